"""The deployment described by docker-compose.yml makes sense: Docker Compose accepts it, every image is pinned,
every long-running service is health-checked and waits for healthy dependencies, secrets come only from the env
file, and Superset can only read the warehouse.

No Docker engine runs here, so the file is validated, not started: ``docker-compose config`` (Debian's
docker-compose, v1) parses and resolves it; the rest are checks on the resolved YAML.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / "deploy" / ".env.example"
ONE_SHOT = {"airflow-init", "superset-init"}  # jobs: dependents wait for service_completed_successfully
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY\b|SQL_ALCHEMY_CONN|DATABASE_URI|DB_URL|BACKEND", re.I)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose (Debian package docker-compose) is not installed: `apt-get install docker-compose`")
    project = tmp_path / "project"
    shutil.copytree(REPO / "deploy", project / "deploy")
    shutil.copy(COMPOSE, project / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, project / "deploy" / ".env")  # what an operator does first
    done = subprocess.run(
        [binary, "--project-directory", str(project), "-f", str(project / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_the_platform_is_all_there(services: dict[str, dict[str, Any]]) -> None:
    expected = {
        "postgres", "redis",
        "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
        "airflow-worker",
        "superset-init", "superset", "superset-worker", "superset-beat",
        "casework",
    }  # fmt: skip
    assert expected <= set(services)


def test_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        image = svc.get("image", "")
        assert ":" in image, f"{name}: image {image!r} has no tag"
        tag = image.rsplit(":", 1)[1]
        assert tag not in {"latest", "stable", "main"} and re.search(r"\d", tag), f"{name}: {image} is not pinned"
    for dockerfile in (REPO / "deploy").glob("Dockerfile*"):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("FROM "):
                assert re.search(r":\d+\.\d+\.\d+", line), f"{dockerfile.name}: base image not pinned: {line}"


def test_long_running_services_are_health_checked(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        if name in ONE_SHOT:
            assert svc.get("restart") == "no", f"{name} is a one-shot job"
            continue
        check = svc.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_dependencies_wait_for_health_or_completion(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            wanted = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            assert cond.get("condition") == wanted, f"{name} → {dep}: condition {cond}"
    airflow = [n for n in services if n.startswith("airflow-") and n not in ONE_SHOT]
    for name in airflow:
        assert "airflow-init" in services[name]["depends_on"], f"{name} may start before the metadata is migrated"
    for name in ("superset", "superset-worker", "superset-beat"):
        assert "superset-init" in services[name]["depends_on"]


def test_secrets_come_only_from_the_env_file(services: dict[str, dict[str, Any]]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert "change-me-" not in text, "a placeholder secret was pasted into docker-compose.yml"
    for name, svc in services.items():
        assert svc.get("env_file") in ("deploy/.env", ["deploy/.env"]), f"{name} does not use deploy/.env"
        env = svc.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)
        for key, _value in items:
            assert not SECRET_NAME.search(key), f"{name}: {key} set in docker-compose.yml; put it in deploy/.env"
    if shutil.which("git") and (REPO / ".git").exists():
        ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "deploy/.env"], check=False)
        assert ignored.returncode == 0, "deploy/.env must be git-ignored"


def test_env_example_names_every_secret_with_a_placeholder() -> None:
    values = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if line and not line.startswith("#")
    )
    for key, value in values.items():
        if SECRET_NAME.search(key) and not key.endswith("_FILE") and not value.startswith("redis://"):
            assert "change-me" in value, f"{key} in .env.example should be a change-me placeholder"
    for needed in ("POSTGRES_PASSWORD", "AIRFLOW__CORE__FERNET_KEY", "SUPERSET_SECRET_KEY", "SZCG_CASEWORK_DB_URL"):
        assert needed in values


def test_superset_reads_the_warehouse_read_only_and_airflow_writes_it(services: dict[str, dict[str, Any]]) -> None:
    def mounts(name: str) -> dict[str, str]:
        found = {}
        for volume in services[name].get("volumes", []):
            parts = volume.split(":")
            found[parts[0]] = parts[2] if len(parts) > 2 else "rw"
        return found

    for name in ("superset", "superset-worker", "superset-beat", "superset-init"):
        assert mounts(name).get("warehouse") == "ro", f"{name} must mount the warehouse read-only"
    for name in ("airflow-worker", "airflow-init"):
        assert mounts(name).get("warehouse") == "rw", f"{name} must be able to write the warehouse"
    assert "warehouse" not in mounts("casework"), "the case service has its own database, not the warehouse"


def test_commands_point_at_things_that_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name}: bind mount {source} does not exist"
        build = svc.get("build")
        if build:
            assert (REPO / build["dockerfile"]).is_file(), f"{name}: {build['dockerfile']} missing"
    assert services["airflow-worker"]["command"][:3] == ["airflow", "celery", "worker"]
    assert services["airflow-scheduler"]["command"] == ["airflow", "scheduler"]
    assert services["airflow-dag-processor"]["command"] == ["airflow", "dag-processor"]
    assert services["airflow-triggerer"]["command"] == ["airflow", "triggerer"]
    assert services["airflow-apiserver"]["command"][:2] == ["airflow", "api-server"]
    assert services["casework"]["command"][:3] == ["szcg", "serve", "casework"]
    init = (REPO / "deploy" / "airflow" / "init.sh").read_text()
    assert "airflow db migrate" in init and "airflow pools set warehouse_writer 1" in init
    pg_init = (REPO / "deploy" / "postgres" / "init-databases.sh").read_text()
    for db in ("airflow", "superset", "casework"):
        assert re.search(rf"^create {db} ", pg_init, re.M), f"postgres init does not create the {db} database"


def test_every_file_the_images_copy_exists() -> None:
    for dockerfile in (REPO / "deploy").glob("Dockerfile*"):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY ") and "--from" not in line:
                for source in line.split()[1:-1]:
                    assert (REPO / source).exists(), f"{dockerfile.name}: COPY source {source} is missing"


def test_superset_config_reads_secrets_from_the_environment() -> None:
    config = (REPO / "deploy" / "superset" / "superset_config.py").read_text()
    assert 'os.environ["SUPERSET_SECRET_KEY"]' in config
    assert 'os.environ["SUPERSET_DATABASE_URI"]' in config
    compile(config, "superset_config.py", "exec")
