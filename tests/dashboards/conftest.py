"""Fixtures for the dashboards: a demo warehouse, and (marker ``superset``) one Superset for the whole session."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards.site import SupersetSite, site_from_settings
from szcg.settings import Settings, load_settings
from tests.support.demo_data import DemoSize, publish_demo_warehouse

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboards"
DEMO = DemoSize(cases=20_000)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "superset: starts a real Superset (.venv-superset) on loopback and drives Chromium (~2-3 min)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def superset_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, SupersetSite]]:
    """A demo warehouse, published; a Superset started on it with the assets imported. Stopped at the end."""
    from dashboards import server
    from dashboards.deploy import import_assets

    data_dir = tmp_path_factory.mktemp("superset") / "var"
    mp = pytest.MonkeyPatch()
    mp.setenv("SZCG_DATA_DIR", str(data_dir))
    mp.setenv("SZCG_SUPERSET_PORT", str(_free_port()))
    mp.setenv("SZCG_WAREHOUSE_KEEP_SNAPSHOTS", "3")
    settings = load_settings()  # as the CLI reads them: the same Superset port for fixture and `szcg dashboards`
    site = site_from_settings(settings)
    if not site.bin("superset").exists():
        pytest.fail(f"{site.bin('superset')} missing: run `make superset-env` (the superset tests need it)")
    publish_demo_warehouse(settings, DEMO)
    server.initialize(site)
    server.start(site)
    try:
        import_assets(site)
        yield settings, site
    finally:
        server.stop(site)
        mp.undo()
