#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is empty: one role and one database per consumer, each owning only its own
# database (Airflow metadata, Superset metadata, the case service). Passwords come from the env file.
set -euo pipefail

create() {  # create <role/database> <password>
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v name="$1" -v pass="$2" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'pass') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', :'name', :'name') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name') \gexec
SQL
}

create airflow "$AIRFLOW_DB_PASSWORD"
create superset "$SUPERSET_DB_PASSWORD"
create casework "$CASEWORK_DB_PASSWORD"
