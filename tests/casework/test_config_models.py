"""The case service's configuration files (attachments, security, the city's open311.yaml) are typed models."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.api.open311_discovery import CONFIG_FILE, _load
from casework.attachments import CONFIG as ATTACHMENTS
from casework.attachments import load_limits
from casework.security import CONFIG as SECURITY
from casework.security import load_security
from standards.city import CITIES_DIR
from szcg.errors import ConfigError


def test_the_shipped_files_load() -> None:
    assert load_limits().types["image/png"] == "png" and load_limits().max_bytes == 10 * 1024 * 1024
    assert load_security().login.account_max_failures == 5
    config = _load(CITIES_DIR / "shuozhou" / CONFIG_FILE, 0.0)
    assert config.changeset is not None and config.changeset.utcoffset() is not None


def _variant(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("source", "old", "new", "entry", "problem"), [
    (ATTACHMENTS, "max_bytes: 10485760", "max_bytes: 10485760\nmax_files: 3", "max_files", "unknown key"),
    (ATTACHMENTS, "max_bytes: 10485760", "max_bytes: 10 MiB", "max_bytes", "expected a whole number"),
    (SECURITY, "  lockout_seconds: 900", "  lockout_second: 900", "login.lockout_second", "unknown key"),
    (SECURITY, "  account_max_failures: 5", "  account_max_failures: '5'", "login.account_max_failures",
     "expected a whole number, got text '5'"),
    (SECURITY, "  max_delay_seconds: 3.0", "  max_delay_seconds: 60", "login.max_delay_seconds",
     "Input should be less than or equal to 30"),
])
def test_service_file_mistakes_are_refused(tmp_path: Path, source: Path, old: str, new: str, entry: str,
                                           problem: str) -> None:
    path = _variant(tmp_path, source, old, new)
    loader = load_limits if source == ATTACHMENTS else load_security
    with pytest.raises(ConfigError) as err:
        loader(path)
    assert (err.value.file, err.value.entry) == (str(path), entry) and err.value.problem.startswith(problem)
    assert err.value.line is not None


@pytest.mark.parametrize(("old", "new", "entry", "problem"), [
    ("type: production", "type: staging", "type", "expected 'production' or 'test'"),
    ('changeset: "2026-12-07T00:00:00+08:00"', 'changeset: "2026-12-07T00:00:00"', "changeset",
     "Input should have timezone info"),
    ("jurisdiction_id:", "jurisdiction:", "jurisdiction", "unknown key"),
])
def test_open311_mistakes_are_refused(tmp_path: Path, old: str, new: str, entry: str, problem: str) -> None:
    path = _variant(tmp_path, CITIES_DIR / "shuozhou" / CONFIG_FILE, old, new)
    with pytest.raises(ConfigError) as err:
        _load(path, 0.0)
    assert (err.value.file, err.value.entry) == (str(path), entry) and err.value.problem.startswith(problem)
