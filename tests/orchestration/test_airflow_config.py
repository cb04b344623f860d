"""The platform's airflow.cfg: written under the data directory, the platform's settings over a user's own keys,
the shared secrets generated once and kept, readable by its owner only."""

from __future__ import annotations

import configparser
import stat
from pathlib import Path

from orchestration import airflow_env
from orchestration.airflow_local import unhealthy


def read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return parser


def test_the_config_names_the_platforms_home_executor_and_loopback_api(tmp_path: Path) -> None:
    path = airflow_env.write_config(tmp_path, 18080)
    assert path == tmp_path / "airflow" / "airflow.cfg"
    cfg = read(path)
    assert cfg["core"]["dags_folder"] == str(airflow_env.DAGS_FOLDER)
    assert cfg["core"]["executor"] == "LocalExecutor" and cfg["core"]["load_examples"] == "False"
    assert cfg["database"]["sql_alchemy_conn"] == f"sqlite:///{tmp_path / 'airflow' / 'airflow.db'}?timeout=30"
    assert cfg["api"]["host"] == "127.0.0.1" and cfg["api"]["port"] == "18080"
    assert cfg["core"]["execution_api_server_url"] == "http://127.0.0.1:18080/execution/"  # tasks reach the API
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert airflow_env.admin_password(tmp_path)


def test_rewriting_keeps_secrets_user_keys_and_the_chosen_port(tmp_path: Path) -> None:
    path = airflow_env.write_config(tmp_path, 18080)
    first = read(path)
    password = airflow_env.admin_password(tmp_path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n[smtp]\nsmtp_host = mail.example.org\n")
    airflow_env.write_config(tmp_path)  # as `make demo` does: no port given
    again = read(path)
    assert again["api"]["port"] == "18080" and airflow_env.configured_port(tmp_path) == 18080
    assert again["api_auth"]["jwt_secret"] == first["api_auth"]["jwt_secret"]  # every component must share it
    assert again["api"]["secret_key"] == first["api"]["secret_key"]
    assert again["smtp"]["smtp_host"] == "mail.example.org"
    assert airflow_env.admin_password(tmp_path) == password


def test_health_names_each_component_that_is_not_up() -> None:
    up = {"status": "healthy"}
    report = {"metadatabase": up, "scheduler": up, "triggerer": {"status": "unhealthy"}, "dag_processor": None}
    assert unhealthy(report) == ["dag-processor", "triggerer"]
    assert unhealthy({"metadatabase": up, "scheduler": up, "triggerer": up, "dag_processor": up}) == []
    assert unhealthy(None) == ["api-server", "scheduler", "dag-processor", "triggerer"]
