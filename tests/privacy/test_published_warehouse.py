"""The attack of issue 19, from the outside: a city's hotline log, its case history (Parquet), a legacy system's
export and the live case service carry callers' phone numbers in the eleven common forms, ID-card numbers and
names people gave for themselves — in rows that load and in rows that are quarantined. Once all of it is ingested
and the warehouse published, no table, view or mart of the published snapshot, in no text column, holds any of them.

The detector here is independent of szcg.privacy: it looks for the planted numbers' digits themselves, with any
separator, in any width."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from szcg.settings import Settings
from tests.support.factories import SMALL_CITY, SyntheticCities
from tests.transforms.cases.conftest import EXPORTS, MAPPINGS
from tests.transforms.cases.test_feed_pull import Service
from transforms.cases.feed_pull import pull_feed
from transforms.cases.legacy_import import import_legacy
from transforms.cases.mapping import load_mapping
from transforms.cases.parquet_import import import_parquet
from transforms.hotline.ingest import ingest_hotline
from warehouse.store import Warehouse

# (as written, the number's digits) — the eleven forms of a phone number, and two ID-card numbers
PHONES = [
    ("13912345601", "13912345601"), ("139 1234 5602", "13912345602"), ("139-1234-5603", "13912345603"),
    ("+8613912345604", "13912345604"), ("86 139 1234 5605", "13912345605"), ("１３９１２３４５６０６", "13912345606"),
    ("139.1234.5607", "13912345607"), ("(139)12345608", "13912345608"), ("0349-5551234", "03495551234"),
    ("（0349）5551235", "03495551235"), ("+86 349 555 1236", "3495551236"),
]
IDS = [("142601199001011234", "142601199001011234"), ("14260119850203123X", "14260119850203123X")]
NAMES = ["钱多多", "欧阳娜娜"]  # given as 我叫钱多多 / 联系人欧阳娜娜


def notes() -> list[str]:
    """Call notes / descriptions, each carrying one planted item (and the last two a name as well)."""
    out = [f"市民来电反映井盖缺失，请回电{written}" for written, _ in PHONES]
    out += [f"我叫{NAMES[0]}，身份证{IDS[0][0]}，反映占道经营", f"联系人{NAMES[1]}，身份证号 {IDS[1][0]}，路灯不亮"]
    return out


def found(text: str) -> list[str]:
    """The planted items this text still holds: digits compared with every separator and width removed."""
    flat = re.sub(r"[\s\-.()（）\[\]+_/]", "", unicodedata.normalize("NFKC", text)).upper()
    hits = [digits for _, digits in PHONES + IDS if digits.upper() in flat]
    return hits + [name for name in NAMES if name in text]


@pytest.fixture(scope="module")
def city(cities: SyntheticCities) -> Path:
    return cities.get(SMALL_CITY)  # read-only: the planted inputs are written under tmp_path


def _hotline_log(city: Path, tmp: Path) -> Path:
    log = sorted((city / "hotline" / "raw").glob("*.csv"))[0]
    raw = pd.read_csv(log, dtype=str, keep_default_na=False)
    planted = notes()
    raw.loc[: len(planted) - 1, "text"] = planted
    n = len(planted)
    raw.loc[n: n + len(PHONES) - 1, "caller_number"] = [written for written, _ in PHONES]  # the number column too
    raw.loc[0, "called_at"] = "上周三"  # rows that go to quarantine carry them as well
    raw.loc[1, "district_code"] = "999999"
    out = tmp / "hotline.csv"
    raw.to_csv(out, index=False)
    return out


def _case_history(city: Path, tmp: Path) -> Path:
    out = tmp / "cases"
    out.mkdir()
    cases = pd.read_parquet(city / "cases" / "cases.parquet")
    planted = notes()
    cases.loc[: len(planted) - 1, "description"] = planted
    cases.loc[0, "reported_at"] = pd.NaT  # quarantined (missing_reported_at) with its description
    cases.to_parquet(out / "cases.parquet", index=False)
    pd.read_parquet(city / "cases" / "case_events.parquet").to_parquet(out / "case_events.parquet", index=False)
    return out


def _legacy_export(tmp: Path) -> Path:
    raw = pd.read_csv(EXPORTS / "sf_311_sample_10k.csv", dtype=str, keep_default_na=False).head(40)
    planted = notes()
    raw.loc[: len(planted) - 1, "descriptor"] = planted
    raw.loc[len(planted): 2 * len(planted) - 1, "incident_address"] = planted
    raw.loc[0, "created_date"] = ""  # quarantined (no report time) with its description
    out = tmp / "sf_311.csv"
    raw.to_csv(out, index=False)
    return out


def _live_cases(settings: Settings, tmp: Path) -> Service:
    svc = Service(settings, tmp)
    for note in notes():
        r = svc.client.post("/cases", headers=svc._h("supervisor"), json={
            "kind": "component", "subclass_code": "01001", "grid_code": "140602001001001", "description": note,
            "address": note, "lon": 112.4331, "lat": 39.3312})
        assert r.status_code == 201, r.text
        case = r.json()["case"]
        r = svc.client.post(f"/cases/{case['id']}/transitions", headers=svc._h("operator"),
                            json={"action": "accept", "expected_version": case["version"], "comment": note})
        assert r.status_code == 200, r.text
    return svc


def _published_text(wh: Warehouse) -> dict[str, list[str]]:
    """Every text value of every table and view of the published snapshot, by relation."""
    out: dict[str, list[str]] = {}
    with wh.reader() as con:
        relations = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_catalog = current_database() AND table_schema NOT IN ('information_schema', 'pg_catalog')"
            " ORDER BY ALL").fetchall()
        for schema, name in relations:
            rows = con.execute(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{schema}"."{name}"').fetchall()
            out[f"{schema}.{name}"] = [v for row in rows for v in row if v is not None]
    return out


def test_no_phone_or_id_number_or_self_given_name_reaches_the_published_warehouse(
    settings: Settings, city: Path, tmp_path: Path
) -> None:
    wh = Warehouse(settings)
    inputs = [_hotline_log(city, tmp_path), _case_history(city, tmp_path), _legacy_export(tmp_path)]
    planted_in_inputs = " ".join(p.read_text(encoding="utf-8") for p in (inputs[0], inputs[2]))
    assert sorted(set(found(planted_in_inputs))) == sorted({d for _, d in PHONES + IDS} | set(NAMES))

    import_parquet(wh, inputs[1], edition="gbt47678.5-2026")
    hotline = ingest_hotline(wh, inputs[0], settings)
    legacy = import_legacy(wh, inputs[2], load_mapping(MAPPINGS / "sf_311.yaml"))
    service = _live_cases(settings, tmp_path / "service")
    pull_feed(wh, service.feed(), page_size=50)
    wh.publish(reason="privacy scan")
    assert hotline.rows_quarantined == 2 and legacy.rows_quarantined >= 1

    published = _published_text(wh)
    leaks = {rel: sorted({hit for v in values for hit in found(v)}) for rel, values in published.items()}
    assert {rel: hits for rel, hits in leaks.items() if hits} == {}
    # the scan saw the places where the notes went (masked), not an empty warehouse
    text = {rel: " ".join(values) for rel, values in published.items()}
    for rel in ("core.hotline_call", "core.case", "core.case_event", "quarantine.rejected_row",
                "staging.casework_event_extra", "marts.dash_hotline_call"):
        assert "[电话]" in text[rel] or rel == "marts.dash_hotline_call", rel
    assert text["core.hotline_call"].count("[身份证号]") >= 2 and "[姓名]" in text["core.case"]
    assert re.search(r"尾号\d{4}·[0-9a-f]{4}", text["marts.dash_hotline_call"])
    assert len(published) > 20
