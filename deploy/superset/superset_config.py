"""Superset configuration for the containerised deployment (docker-compose.yml).

Every secret comes from the environment (deploy/.env); nothing sensitive is written here. The warehouse is mounted
read-only at /data and opened read-only (DuckDB: one writer or many readers per file, never both): the database
connection registered by `szcg dashboards up` points at /data/warehouse/current/warehouse.duckdb with
``{"connect_args": {"read_only": true}}``. Each publish switches ``current``; the next query reads the new snapshot.
"""

import os
from typing import ClassVar

from celery.schedules import crontab

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_DATABASE_URI"]
REDIS_URL = os.environ["SUPERSET_REDIS_URL"]

BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "Chinese"}, "en": {"flag": "us", "name": "English"}}
MAPBOX_API_KEY = ""
SCARF_ANALYTICS = False
ENABLE_PROXY_FIX = True  # behind the installation's reverse proxy
TALISMAN_ENABLED = False

FEATURE_FLAGS = {
    "DASHBOARD_CROSS_FILTERS": True,
    "DRILL_TO_DETAIL": True,
    "DRILL_BY": True,
    "ALERT_REPORTS": True,  # the monthly cockpit e-mail runs on the Celery worker/beat below
}

# Query results are not cached (a publish must show at once); UI state is kept in Redis so every Gunicorn worker
# sees it.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "RedisCache", "CACHE_DEFAULT_TIMEOUT": 86400, "CACHE_REDIS_URL": REDIS_URL}
EXPLORE_FORM_DATA_CACHE_CONFIG = FILTER_STATE_CACHE_CONFIG
RATELIMIT_STORAGE_URI = REDIS_URL


class CeleryConfig:
    broker_url = REDIS_URL
    result_backend = REDIS_URL
    imports = ("superset.sql_lab", "superset.tasks.scheduler")
    worker_prefetch_multiplier = 1
    task_acks_late = False
    beat_schedule: ClassVar[dict[str, dict[str, object]]] = {
        "reports.scheduler": {"task": "reports.scheduler", "schedule": crontab(minute="*", hour="*")},
        "reports.prune_log": {"task": "reports.prune_log", "schedule": crontab(minute=0, hour=0)},
    }


CELERY_CONFIG = CeleryConfig
ALERT_REPORTS_NOTIFICATION_DRY_RUN = os.environ.get("SUPERSET_REPORTS_DRY_RUN", "True") == "True"
WEBDRIVER_BASEURL = "http://superset:8088/"

ROW_LIMIT = 50000
SQLLAB_TIMEOUT = 60
SUPERSET_WEBSERVER_TIMEOUT = 60
WTF_CSRF_ENABLED = True
