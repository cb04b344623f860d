"""Today's 12319 call log for the living demo city: the history's logs end with its last whole month, but a hotline
sends a log every day. Each call of the demo writes the calls since the previous live file up to ``now`` into
``hotline/live/<end>.csv`` (GBK, masked callers, the history's layout), so the newest call is minutes old and a re-run
later the same day adds only the calls since. A day's calls are drawn from a seed of that day, so they, their times
and their ids are the same whichever run writes them.

The calls are consultations (咨询/建议), which create no case: the live cases come from the case service, and a
hotline case would need its case there first."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth.cases import HOUR_WEIGHTS
from synth.hotline import CONSULTATION_TOPICS, hotline_text_frame, mask_numbers
from synth.writers import write_csv

LIVE_DIR = "hotline/live"
_END = re.compile(r"^(\d{8}T\d{6})\.csv$")


def live_logs(city: Path) -> list[Path]:
    """The live files written so far, oldest first (their names are the instant each one ends at)."""
    folder = city / LIVE_DIR
    return sorted(p for p in folder.glob("*.csv") if _END.match(p.name)) if folder.is_dir() else []


def _end_of(log: Path) -> datetime:
    found = _END.match(log.name)
    if found is None:
        raise ValueError(f"{log}: not a live hotline log name (YYYYMMDDTHHMMSS.csv)")
    return datetime.strptime(found.group(1), "%Y%m%dT%H%M%S")


def calls_per_day(city: Path) -> float:
    """The history's newest monthly log, per day: today's hotline is as busy as last month's."""
    months = sorted((city / "hotline" / "utf8").glob("*.csv"))
    if not months:
        return 0.0
    newest = months[-1]
    first = date.fromisoformat(newest.stem + "-01")
    days = ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - first).days
    with newest.open("rb") as fh:
        rows = sum(1 for _ in fh) - 1
    return max(rows, 0) / days


def day_calls(day: date, rate: float, params: dict[str, Any], admin_code: str, seed: int) -> pd.DataFrame:
    """Every consultation of ``day`` (CST, naive), in time order, with ids ``RX<admin><yyyymmdd><nnnnn>``."""
    cfg = params["hotline"]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7, day.toordinal()]))
    n = int(rng.poisson(rate))
    hours = np.array(HOUR_WEIGHTS["hotline"], dtype=float)
    seconds = np.sort(rng.choice(24, n, p=hours / hours.sum()) * 3600 + rng.integers(0, 3600, n))
    called = np.datetime64(day.isoformat(), "s") + seconds.astype("timedelta64[s]")
    landline = rng.random(n) < float(cfg["landline_share"])
    prefixes = np.array(cfg["mobile_prefixes"], dtype=object)[rng.integers(0, len(cfg["mobile_prefixes"]), n)]
    mobile = prefixes + pd.Series(rng.integers(0, 10**8, n)).map("{:08d}".format).to_numpy()
    local = str(cfg["landline_prefix"]) + "-" + pd.Series(rng.integers(2 * 10**6, 9 * 10**6, n)).astype(str).to_numpy()
    raw = np.where(landline, local, mobile)
    topic = np.array(CONSULTATION_TOPICS, dtype=object)[rng.integers(0, len(CONSULTATION_TOPICS), n)]
    return pd.DataFrame({
        "call_id": [f"RX{admin_code}{day:%Y%m%d}{i:05d}" for i in range(1, n + 1)],
        "called_at": called, "caller": mask_numbers(raw), "caller_raw": raw,
        "caller_type": np.where(landline, "固话", "手机"),
        "category": np.where(rng.random(n) < 0.8, "咨询", "建议"),
        "text": "市民来电咨询" + topic + "，已答复。",
        "district_code": None, "grid_code": None, "linked_case_id": None, "is_duplicate": False,
        "callback_at": pd.Series([pd.NaT] * n, dtype="datetime64[s]").to_numpy(), "satisfaction": "未回访",
    })


def write_live_log(city: Path, now: datetime, params: dict[str, Any], admin_code: str, seed: int) -> Path | None:
    """The calls after the newest live file (or since ``now``'s month began) up to ``now`` (naive CST), as a new
    live file; None when there is no call in between."""
    logs = live_logs(city)
    month_start = datetime(now.year, now.month, 1)
    since = max(month_start, _end_of(logs[-1])) if logs else month_start
    if now <= since:
        return None
    rate = calls_per_day(city)
    days = [since.date() + timedelta(days=k) for k in range((now.date() - since.date()).days + 1)]
    calls = pd.concat([day_calls(d, rate, params, admin_code, seed) for d in days], ignore_index=True)
    at = pd.to_datetime(calls["called_at"])
    calls = calls[(at > pd.Timestamp(since)) & (at <= pd.Timestamp(now))]
    if calls.empty:
        return None
    path = city / LIVE_DIR / f"{now:%Y%m%dT%H%M%S}.csv"
    write_csv(hotline_text_frame(calls.reset_index(drop=True), raw=False), path, "gbk")
    return path
