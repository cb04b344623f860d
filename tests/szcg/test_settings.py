"""Settings from the SZCG_* environment: same names and defaults, wrong values and unknown names refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from szcg.cli import main
from szcg.settings import DEFAULT_CITY, SettingsError, known_variables, load_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith("SZCG_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults_keep_everything_under_var(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = load_settings()
    assert s.data_dir == tmp_path / "var" and s.city == DEFAULT_CITY and s.city_config_dir is None
    assert s.casework_db_url == f"sqlite:///{tmp_path / 'var' / 'casework' / 'casework.sqlite'}"
    assert (s.warehouse_keep_snapshots, s.superset_port, s.smtp_port) == (5, 8088, 25)
    assert s.hash_key is None and not s.demo and not s.smtp_starttls and s.report_recipients == ()


def test_variables_are_read_and_empty_ones_count_as_unset(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("SZCG_DATA_DIR", str(tmp_path / "d"))
    clean_env.setenv("SZCG_WAREHOUSE_KEEP_SNAPSHOTS", "3")
    clean_env.setenv("SZCG_DEMO", "1")
    clean_env.setenv("SZCG_SMTP_STARTTLS", "yes")
    clean_env.setenv("SZCG_REPORT_RECIPIENTS", "a@example.cn, b@example.cn,")
    clean_env.setenv("SZCG_CASEWORK_URL", "")
    s = load_settings()
    assert s.data_dir == tmp_path / "d" and s.warehouse_keep_snapshots == 3 and s.demo and s.smtp_starttls
    assert s.report_recipients == ("a@example.cn", "b@example.cn") and s.casework_url is None
    clean_env.setenv("SZCG_DEMO", "0")
    assert not load_settings().demo


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("SZCG_WAREHOUSE_KEEP_SNAPSHOTS", "1", "at least|≥ 2"),
    ("SZCG_WAREHOUSE_KEEP_SNAPSHOTS", "five", "whole number"),
    ("SZCG_SUPERSET_PORT", "80a", "port"),
    ("SZCG_DEMO", "maybe", "1 or 0"),
])
def test_a_wrong_value_names_the_variable(clean_env: pytest.MonkeyPatch, name: str, value: str,
                                         expected: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError, match=f"{name}: expected .*({expected})"):
        load_settings()


def test_an_unknown_szcg_variable_is_refused_with_the_closest_name(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SZCG_DATADIR", "/srv/szcg")
    with pytest.raises(SettingsError, match=r"SZCG_DATADIR is not a szcg setting.*did you mean SZCG_DATA_DIR"):
        load_settings()


def test_tools_variables_are_known(clean_env: pytest.MonkeyPatch) -> None:
    for name in ("SZCG_DEMO_SCALE", "SZCG_FONT_CACHE", "SZCG_CHROMIUM", "SZCG_PG_BIN", "SZCG_HASH_KEY"):
        assert name in known_variables()
        clean_env.setenv(name, "x" * 40)
    load_settings()


def test_the_retired_salt_is_explained(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SZCG_HASH_SALT", "old-salt")
    with pytest.raises(SettingsError, match=r"SZCG_HASH_SALT is no longer read.*SZCG_HASH_KEY"):
        load_settings()


def test_errors_never_show_a_secret(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    secret = "s3cret-value-of-the-installation-0123456789"
    clean_env.setenv("SZCG_HASH_KEY", secret)
    clean_env.setenv("SZCG_SMTP_PASSWORD", secret)
    clean_env.setenv("SZCG_SMPT_HOST", "mail.example.cn")  # a typo: refused
    assert main(["warehouse", "status"]) == 2
    err = capsys.readouterr().err
    assert "SZCG_SMPT_HOST" in err and "SZCG_SMTP_HOST" in err and secret not in err


def test_the_portals_variables_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SZCG_PORTAL_PORT", "8799")
    monkeypatch.setenv("SZCG_PORTAL_HTTPS", "1")
    monkeypatch.setenv("SZCG_SUPERSET_URL", "https://bi.example.gov.cn/")
    monkeypatch.setenv("SZCG_PORTAL_SECRET", "k" * 40)
    s = load_settings()
    assert (s.portal_port, s.portal_https, s.superset_url, s.portal_secret) == (
        8799, True, "https://bi.example.gov.cn", "k" * 40)
    monkeypatch.setenv("SZCG_PORTAL_SECRET", "short-secret")
    with pytest.raises(ValueError, match="SZCG_PORTAL_SECRET: expected at least 32 characters") as refused:
        load_settings()
    assert "short-secret" not in str(refused.value)
