"""China Standard Time (北京时间), defined once: szcg keeps every instant as a naive datetime in CST.

Part of the bottom core: imports nothing of the project. Code that needs "now" takes it from :func:`now` by
default and lets the caller inject another clock (the case service's ``now`` argument, the evaluation's
``as_of``, a DAG run's logical date): tests fix time that way, never by patching this module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

# China has one civil time, UTC+8 with no daylight saving since 1991; a fixed offset (not the tz database's
# Asia/Shanghai, which knows 1986–1991 DST and pre-1949 local mean time) is what every stored instant means.
UTC_OFFSET = timedelta(hours=8)
CST = timezone(UTC_OFFSET)
# The IANA name handed to tools that want a zone name (Airflow, pendulum, Chromium).
ZONE_NAME = "Asia/Shanghai"
# Names a city configuration may give for China Standard Time (every city runs on 北京时间, also in the west).
ZONE_NAMES: tuple[str, ...] = ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "PRC")

# How far apart two systems' clocks may put the same moment: a case's reported_at and its events' times may
# disagree by this much before a loader flags the case (event_before_report) and before the evaluation stops
# trusting reported_at to bound the case's events. Both must use this one value, or the evaluation would miss
# events the loader did not flag.
REPORT_CLOCK_SLACK = timedelta(days=1)

Now = Callable[[], datetime]  # an injectable clock: returns naive CST


def now() -> datetime:
    """The current naive CST wall-clock time."""
    return datetime.now(CST).replace(tzinfo=None)


def today() -> date:
    """Today's date in China (not the machine's local date: servers often run in UTC)."""
    return datetime.now(CST).date()


def to_cst(value: datetime | str) -> datetime:
    """A naive CST datetime from a datetime or ISO 8601 string: an offset is converted to UTC+8 and dropped; a
    value without offset is taken as CST already. Raises ``ValueError`` for text that is not ISO 8601 and
    ``OverflowError`` for an instant outside years 1–9999 in CST (callers name the field)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(CST).replace(tzinfo=None)
    return moment


def aware(value: datetime) -> datetime:
    """``value`` with CST attached: naive values are CST already, aware ones are converted."""
    return value.replace(tzinfo=CST) if value.tzinfo is None else value.astimezone(CST)

