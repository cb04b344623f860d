"""The living demo city's hotline: a log up to the minute, written in increments that never repeat a call."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pandas as pd

from synth.hotline_live import live_logs, write_live_log
from synth.params import load_params

ADMIN = "140600"


def _city_with_history(tmp_path: Path, calls_last_month: int) -> Path:
    city = tmp_path / "city"
    month = city / "hotline" / "utf8" / "2026-11.csv"
    month.parent.mkdir(parents=True)
    month.write_text("call_id\n" + "".join(f"RX{i}\n" for i in range(calls_last_month)), encoding="utf-8")
    return city


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="gbk", dtype=str, keep_default_na=False)


def test_todays_log_reaches_now_and_a_later_run_adds_only_the_calls_since(tmp_path: Path) -> None:
    params = load_params("shuozhou")
    city = _city_with_history(tmp_path, 30 * 300)  # 300 calls a day
    first = write_live_log(city, datetime(2026, 12, 7, 10, 30), params, ADMIN, seed=1)
    assert first is not None and first.name == "20261207T103000.csv"
    early = _read(first)
    at = pd.to_datetime(early["called_at"])
    assert at.min() >= pd.Timestamp("2026-12-01") and at.max() <= pd.Timestamp("2026-12-07 10:30")
    assert at.max() >= pd.Timestamp("2026-12-07 09:00"), "the newest call is recent: the log is live"
    assert 6 * 300 * 0.8 < len(early) < 7 * 300 * 1.1
    assert early["call_id"].is_unique
    assert (early["linked_case_id"] == "").all() and set(early["category"]) <= {"咨询", "建议"}
    assert not early["caller"].str.contains(r"\d{11}").any(), "callers are masked"

    later = write_live_log(city, datetime(2026, 12, 7, 16, 0), params, ADMIN, seed=1)
    assert later is not None and [p.name for p in live_logs(city)] == [first.name, later.name]
    added = _read(later)
    assert pd.to_datetime(added["called_at"]).min() > pd.Timestamp("2026-12-07 10:30")
    assert not set(added["call_id"]) & set(early["call_id"])

    # the same calls, whichever run writes them
    fresh = _city_with_history(tmp_path / "again", 30 * 300)
    once = write_live_log(fresh, datetime(2026, 12, 7, 16, 0), params, ADMIN, seed=1)
    assert once is not None
    assert _read(once)["call_id"].tolist() == early["call_id"].tolist() + added["call_id"].tolist()
    assert all(re.fullmatch(rf"RX{ADMIN}202612\d\d\d{{5}}", c) for c in added["call_id"])


def test_nothing_new_writes_nothing(tmp_path: Path) -> None:
    params = load_params("shuozhou")
    city = _city_with_history(tmp_path, 3000)
    assert write_live_log(city, datetime(2026, 12, 7, 10, 30), params, ADMIN, seed=1) is not None
    assert write_live_log(city, datetime(2026, 12, 7, 10, 30), params, ADMIN, seed=1) is None
    assert len(live_logs(city)) == 1
