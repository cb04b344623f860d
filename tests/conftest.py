"""Shared fixtures: every test gets its own data directory (the embedded default layout under a tmp dir)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from szcg.settings import Settings
from usecases.wiring import wire

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# Tests run as production does, with a secret key for callers' hashes (not the demo's public one); subprocesses
# (Airflow runs) inherit it.
TEST_HASH_KEY = "szcg-tests-hash-key-0123456789abcdef"
os.environ.setdefault("SZCG_HASH_KEY", TEST_HASH_KEY)

# The test process is an entry point like the CLI: it registers the areas' audits and mart builders once, so a
# test that publishes directly (Warehouse.publish) runs every gate, as production does.
wire()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    data_dir = tmp_path / "var"
    monkeypatch.setenv("SZCG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SZCG_WAREHOUSE_KEEP_SNAPSHOTS", "3")
    yield Settings(data_dir=data_dir, warehouse_keep_snapshots=3,
                   hash_key=os.environ["SZCG_HASH_KEY"]).with_data_dir(data_dir)
