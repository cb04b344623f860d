#!/usr/bin/env bash
# One-shot set-up of Superset's metadata (idempotent): migrate, admin user, roles and permissions.
set -euo pipefail
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USER" --password "$SUPERSET_ADMIN_PASSWORD" \
  --firstname Admin --lastname szcg --email "$SUPERSET_ADMIN_EMAIL" || true  # exists already on re-runs
superset init
echo "superset-init: done"
