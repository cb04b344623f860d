"""A portal data directory at (or above) the demo's size, for the page benchmark and the README screenshots.

The city: the census tests' lattice of 48 unit grids in 朔城区 (loaded by the real grid loader, published). The
case database: the demo accounts and ``cases`` reports with positions, placed at intake, walked through the loop
by the case service (as the people whose role each step needs) to a random depth, some with a photo at 反馈 and
some with an approved 延期 — so task lists hold every kind of waiting case and case pages have real histories.
The demo itself replays 60 cases into its live case service; the default here is 300.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import struct
import sys
import zlib
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from casework.attachments import store  # noqa: E402
from casework.cli import seed_demo_users  # noqa: E402
from casework.db import Database, upgrade  # noqa: E402
from casework.deadlines import load_standards  # noqa: E402
from casework.grids import GridLocator  # noqa: E402
from casework.service import Actor, CaseService, ReportInput, TransitionInput, now_cst  # noqa: E402
from szcg.settings import Settings  # noqa: E402

# (subclass, kind, what the reporter wrote)
REPORTS = [
    ("01001", "component", "供水井盖缺失，行人易踏空"), ("01001", "component", "井盖破损下沉"),
    ("01002", "component", "污水井盖松动，车过有响声"), ("01004", "component", "雨水箅子丢失"),
    ("01005", "component", "电力井盖移位"), ("01003", "component", "雨水井盖周边路面塌陷"),
]
STREETS = ["北城街道开发路", "北城街道民福街", "北城街道文远路", "北城街道鄯阳街", "北城街道张辽路"]
HAPPY_PATH = ["accept", "register", "dispatch", "handle", "request_extension", "approve_extension", "feedback", "check",
              "close"]


class SetClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def photo_png(seed: int, width: int = 240, height: int = 160) -> bytes:
    """A real PNG (a grey pavement with a dark manhole disc, shade by seed): a stand-in for a 处置 photo."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    base = 150 + seed % 60
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2
            v = 60 + (x * 7 + y * 3) % 20 if inside else base + (x + y) % 12
            row += bytes([v, v, v + 8 if not inside else v])
        rows.append(bytes(row))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def publish_lattice(settings: Settings) -> None:
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.grids import load_grids
    from tests.census_loaders.cityfiles import write_grids
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    with wh.writer(spatial=True) as con:
        load_grids(con, wh, write_grids(settings.data_dir / "grids.gpkg"), load_census_config(settings),
                   city_context(settings), dt.date(2026, 1, 1))
    wh.publish("portal bench: small city", mart_builders=[])


def seed_cases(settings: Settings, cases: int, seed: int = 1) -> dict[str, int]:
    """``cases`` reports walked to random depths; → counts by final state."""
    from tests.census_loaders.cityfiles import COLS, ROWS, cell_centre

    rng = random.Random(seed)
    upgrade(settings.casework_db_url)
    db = Database(settings.casework_db_url)
    clock = SetClock(now_cst() - timedelta(days=3))
    service = CaseService(db, load_standards(settings), clock, grids=GridLocator(settings.current_snapshot_link))
    operator, leader = Actor("operator", "operator"), Actor("leader", "shift_leader")
    dispatcher = Actor("dispatcher-140602", "dispatcher", "140602")
    supervisor = Actor("supervisor-140602", "supervisor", "140602")
    states: dict[str, int] = {}
    step = timedelta(days=3) / max(cases, 1)
    for n in range(cases):
        clock.at += step
        subclass, kind, text = rng.choice(REPORTS)
        lon, lat = cell_centre(rng.randrange(COLS), rng.randrange(ROWS), rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9))
        case, _ = service.report(operator, ReportInput(kind=kind, subclass_code=subclass, source="hotline",
                                                       description=text, address=f"{rng.choice(STREETS)}{n % 97 + 1}号",
                                                       lon=round(lon, 7), lat=round(lat, 7)))
        depth = rng.choice([0, 1, 2, 3, 4, 6, 7, 8, 9, 9, 9])
        saved = clock.at
        for action in HAPPY_PATH[:depth]:
            clock.at += timedelta(minutes=rng.randint(3, 50))
            dept = Actor(f"dept-{case['department_code']}", "department", department_code=case["department_code"])
            who = {"accept": operator, "register": leader, "dispatch": dispatcher, "handle": dept,
                   "request_extension": dept, "approve_extension": leader, "feedback": dept, "check": supervisor,
                   "close": leader}[action]
            if action in ("request_extension", "approve_extension") and n % 4:
                continue  # a quarter of the cases ask for 延期
            refs: list[str] = []
            if action == "feedback":
                meta, _ = store(db, photo_png(n), filename=f"处置照片{n}.png", uploaded_by=who.username,
                                at=clock.at)
                refs = [str(meta["id"])]
            comment = {"request_extension": "需调配材料，申请延期", "approve_extension": "同意延期",
                       "feedback": "已处置完毕", "check": "现场核查合格"}.get(action, "")
            hours = 8.0 if action in ("request_extension", "approve_extension") else None
            case, _ = service.transition(who, case["id"], TransitionInput(action, case["version"], comment, refs,
                                                                          hours=hours))
        clock.at = saved
        states[case["status"]] = states.get(case["status"], 0) + 1
    db.dispose()
    return states


def build(data_dir: Path, cases: int) -> Settings:
    os.environ.setdefault("SZCG_HASH_KEY", "portal-bench-hash-key-0123456789abcdef")
    settings = Settings(data_dir=data_dir).with_data_dir(data_dir)
    publish_lattice(settings)
    seed_demo_users(settings)
    print(f"seeded {cases} cases: {seed_cases(settings, cases)}", flush=True)
    return settings
