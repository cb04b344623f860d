#!/usr/bin/env bash
# One-shot set-up before any Airflow service starts: migrate the metadata database, create the warehouse writer
# pool (1 slot: DuckDB has one writer), and make sure the shared data directory is writable by the workers.
set -euo pipefail
airflow db migrate
airflow pools set warehouse_writer 1 "one writer at a time on the DuckDB warehouse"
mkdir -p "${SZCG_DATA_DIR}/warehouse" "${SZCG_DATA_DIR}/reports" "${SZCG_DATA_DIR}/uploads"
szcg warehouse init
echo "airflow-init: done"
