"""A caller's privacy through hotline ingest: what they said about themselves is masked in every column, their
number is published as its last four digits only, its hash cannot be checked against guesses without the
production key, and a log naming a district the city does not have does not load it."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from szcg.errors import ConfigError
from szcg.settings import DEMO_HASH_KEY, load_settings
from transforms.hotline.ingest import ingest_hotline
from transforms.hotline.privacy import digits, hash_identifier, hash_key
from warehouse.store import Warehouse

MONTH = "2026-01"
NOTES = ["来电人电话13912345601，路灯不亮", "电话 139 1234 5602 井盖缺失", "手机+8613912345604，垃圾满溢",
         "请回电１３９１２３４５６０６", "我叫张三，身份证142601199001011234，反映占道经营", "座机（0349）5551235",
         "本人李四反映噪音扰民，联系电话：5551236"]


def _log(city: Path, tmp_path: Path, change: dict[int, dict[str, str]]) -> tuple[Path, pd.DataFrame]:
    raw = pd.read_csv(city / "hotline" / "raw" / f"{MONTH}.csv", dtype=str, keep_default_na=False)
    for row, values in change.items():
        for column, value in values.items():
            raw.loc[row, column] = value
    log = tmp_path / "log.csv"
    raw.to_csv(log, index=False)
    return log, raw


def test_what_callers_say_about_themselves_is_masked_in_the_notes(wh: Warehouse, city: Path, tmp_path: Path) -> None:
    log, raw = _log(city, tmp_path, {i: {"text": note} for i, note in enumerate(NOTES)})
    ingest_hotline(wh, log, wh.settings)
    with wh.writer() as con:
        content = dict(con.execute("SELECT call_id, content FROM core.hotline_call").fetchall())
    notes = [content[c] for c in raw.loc[: len(NOTES) - 1, "call_id"]]
    assert notes == ["来电人电话[电话]，路灯不亮", "电话 [电话] 井盖缺失", "手机[电话]，垃圾满溢", "请回电[电话]",
                     "我叫[姓名]，身份证[身份证号]，反映占道经营", "座机[电话]",
                     "本人[姓名]反映噪音扰民，联系电话：[电话]"]


def test_a_caller_is_published_as_the_last_four_digits_of_the_number_and_a_keyed_tag(
    wh: Warehouse, city: Path, tmp_path: Path
) -> None:
    log, raw = _log(city, tmp_path, {0: {"called_at": "上周三"}})  # row 1 goes to quarantine
    ingest_hotline(wh, log, wh.settings)
    with wh.writer() as con:
        shown = dict(con.execute("SELECT call_id, caller_masked FROM core.hotline_call").fetchall())
        record = con.execute("SELECT CAST(raw_record AS VARCHAR) FROM quarantine.rejected_row").fetchone()
    for call_id, number, given in raw.loc[1:, ["call_id", "caller_number", "caller"]].itertuples(index=False):
        assert re.fullmatch(rf"尾号{digits(number)[-4:]}·[0-9a-f]{{4}}", shown[call_id]), shown[call_id]
        assert given not in shown.values()  # the source system's own mask (139****1234) showed 7 digits
    # two callers whose numbers end alike stay two callers on the dashboard's list of repeat callers
    assert len(set(shown.values())) == len(set(raw.loc[1:, "caller_number"]))
    assert record is not None and raw.loc[0, "caller_number"] not in record[0]
    assert raw.loc[0, "caller"] not in record[0] and "尾号" in record[0]


def test_the_callers_hash_is_keyed_and_the_key_is_required_outside_the_demo(
    wh: Warehouse, city: Path, tmp_path: Path
) -> None:
    number = "13912345601"
    key = hash_key(wh.settings)
    assert hash_identifier(number, key) == hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:32]
    assert hash_identifier("+86 139 1234 5601", key) == hash_identifier(number, key)  # one caller, one hash
    other = replace(wh.settings, hash_key="another-installation-key-0123456789")
    assert hash_identifier(number, hash_key(other)) != hash_identifier(number, key)
    # no unkeyed or salted hash of the digits a brute force over 10^11 numbers could match
    assert hash_identifier(number, key) not in {hashlib.sha256(f"{salt}{number}".encode()).hexdigest()[:32]
                                                for salt in ("", "szcg-demo-salt|")}

    unset = replace(wh.settings, hash_key=None)
    with pytest.raises(ConfigError, match=r"SZCG_HASH_KEY: not set") as refused:
        ingest_hotline(Warehouse(unset), city / "hotline" / "raw" / f"{MONTH}.csv", unset)
    assert "SZCG_DEMO" in str(refused.value)
    assert not unset.landing_dir.exists() or not any(unset.landing_dir.rglob("*.csv"))  # refused before landing
    weak = replace(wh.settings, hash_key="weak-k3y-q7")
    with pytest.raises(ConfigError, match="too short") as short:
        hash_key(weak)
    assert "weak-k3y-q7" not in str(short.value)  # a secret is never echoed
    assert hash_key(replace(unset, demo=True)) == DEMO_HASH_KEY.encode()
    for public in (DEMO_HASH_KEY, "change-me-hash-key-" + "x" * 32):  # the demo's key, the deploy placeholder
        with pytest.raises(ConfigError):
            hash_key(replace(wh.settings, hash_key=public))


def test_the_old_salt_setting_is_refused_with_a_pointer_to_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SZCG_HASH_KEY")
    monkeypatch.setenv("SZCG_HASH_SALT", "my-old-salt")
    with pytest.raises(ValueError, match="SZCG_HASH_KEY") as refused:
        load_settings()
    assert "my-old-salt" not in str(refused.value)
    monkeypatch.delenv("SZCG_HASH_SALT")
    monkeypatch.setenv("SZCG_DEMO", "1")
    assert load_settings().demo and load_settings().hash_key is None


def test_a_call_in_a_district_the_city_does_not_have_is_quarantined_not_loaded(
    wh: Warehouse, city: Path, tmp_path: Path
) -> None:
    raw = pd.read_csv(city / "hotline" / "raw" / f"{MONTH}.csv", dtype=str, keep_default_na=False)
    row = int(raw.index[raw["district_code"] != ""][0])
    log, raw = _log(city, tmp_path, {row: {"district_code": "999999"}})
    result = ingest_hotline(wh, log, wh.settings)
    assert result.rows_quarantined == 1 and result.rows_loaded == len(raw) - 1
    with wh.writer() as con:
        loaded = con.execute("SELECT count(*) FROM core.hotline_call WHERE call_id = ?",
                             [raw.loc[row, "call_id"]]).fetchone()
        reason = con.execute("SELECT row_number, field, rule FROM quarantine.rejected_row").fetchall()
        districts = {d for (d,) in con.execute("SELECT DISTINCT district_code FROM core.hotline_call").fetchall()}
    assert loaded == (0,)
    assert reason == [(row + 1, "district_code", "unknown_district")]
    assert "999999" not in districts and districts - {None} <= {"140602", "140603", "140621", "140622", "140623",
                                                                "140624", "140681", "140671"}
