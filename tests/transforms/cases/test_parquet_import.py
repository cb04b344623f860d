"""The synthetic city's cases arrive through the fast Parquet path: conformed states, every row accounted for,
defects flagged, rows that cannot load quarantined with reasons, and a re-import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from szcg.cli import main
from szcg.errors import InputRejected
from transforms.cases.parquet_import import import_parquet
from warehouse.fingerprint import database_fingerprint
from warehouse.store import Warehouse


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "city"
    assert main(["synth", "city", "--out", str(out), "--seed", "5", "--scale", "0.3", "--months", "2", "--dirty",
                 "--quiet"]) == 0
    return out


def test_synthetic_cases_load_with_conformed_states_and_flags(wh: Warehouse, city: Path) -> None:
    cases = pd.read_parquet(city / "cases" / "cases.parquet")
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    result = import_parquet(wh, city / "cases", edition="gbt47678.5-2026")
    assert (result.cases_in, result.cases_loaded, result.events_in, result.events_loaded) == (
        len(cases), len(cases), len(events), len(events))
    report_at = events[events["action"] == "report"].groupby("case_id")["at"].min()
    close_at = events[events["action"] == "close"].set_index("case_id")["at"]
    early_close = set(close_at.index[close_at < report_at.reindex(close_at.index)])
    closed_before = len(set(cases.loc[cases["closed_at"] < cases["reported_at"], "case_id"]) | early_close)
    assert closed_before > 0  # --dirty injects this defect, in cases.parquet and in case_events.parquet
    with wh.writer() as con:
        flagged = con.execute("SELECT count(*) FROM core.\"case\" WHERE list_contains(flags, 'closed_before_opened')"
                              ).fetchone()
        states = dict(con.execute('SELECT origin_status, status FROM core."case" GROUP BY ALL').fetchall())
        ledger = con.execute("SELECT target, rows_in, rows_loaded FROM landing.load ORDER BY target").fetchall()
        origins = con.execute('SELECT DISTINCT origin_system FROM core."case"').fetchall()
    assert flagged == (closed_before,)
    assert states.get("fed_back", "handled") == "handled" and states.get("verified", "accepted") == "accepted"
    assert ledger == [("core.case", len(cases), len(cases)), ("core.case_event", len(events), len(events))]
    assert origins == [("synth",)]


def test_rows_that_cannot_load_are_quarantined_and_reimport_changes_nothing(wh: Warehouse, city: Path,
                                                                             tmp_path: Path) -> None:
    cases = pd.read_parquet(city / "cases" / "cases.parquet")
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    cases.loc[3, "status"] = "teleported"
    cases = pd.concat([cases, cases.iloc[[5]]], ignore_index=True)  # a duplicate id
    events.loc[0, "action"] = "dance"
    (tmp_path / "in").mkdir()
    cases.to_parquet(tmp_path / "in" / "cases.parquet")
    events.to_parquet(tmp_path / "in" / "case_events.parquet")
    result = import_parquet(wh, tmp_path / "in", edition="gbt47678.5-2026")
    lost_events = int((events["case_id"] == cases.loc[3, "case_id"]).sum())
    assert (result.cases_quarantined, result.events_quarantined) == (2, 1 + lost_events - (
        1 if events.loc[0, "case_id"] == cases.loc[3, "case_id"] else 0))
    with wh.writer() as con:
        rules = con.execute("SELECT target, rule, count(*) FROM quarantine.rejected_row GROUP BY ALL ORDER BY ALL"
                            ).fetchall()
        before = database_fingerprint(con)
    assert ("core.case", "duplicate_id", 1) in rules and ("core.case", "status_vocabulary", 1) in rules
    assert ("core.case_event", "action_vocabulary", 1) in rules
    import_parquet(wh, tmp_path / "in", edition="gbt47678.5-2026")
    with wh.writer() as con:
        assert database_fingerprint(con) == before


def test_a_folder_without_the_parquet_files_is_refused(wh: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match=r"cases\.parquet"):
        import_parquet(wh, tmp_path, edition="gbt47678.5-2026")


def test_event_defects_of_the_dirty_city_flag_their_cases(wh: Warehouse, city: Path) -> None:
    import json

    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    defects = [d for d in manifest["defects"] if d["file"].endswith("case_events.parquet")]
    by_kind: dict[str, set[str]] = {}
    for d in defects:
        by_kind.setdefault(d["kind"], set()).add("synth:" + str(events.iloc[d["row"] - 1]["case_id"]))
    assert by_kind.get("event_out_of_order")  # the dirty city has this defect
    import_parquet(wh, city / "cases", edition="gbt47678.5-2026")
    with wh.writer() as con:
        flagged = {f: {r[0] for r in con.execute(
            "SELECT case_id FROM core.\"case\" WHERE list_contains(flags, ?)", [f]).fetchall()}
            for f in ("event_out_of_order", "closed_before_opened")}
    assert by_kind["event_out_of_order"] <= flagged["event_out_of_order"]
    assert by_kind.get("closed_before_opened", set()) <= flagged["closed_before_opened"]
