"""The synthetic city's cases arrive through the fast Parquet path: conformed states, every row accounted for,
defects flagged, rows that cannot load quarantined with reasons, and a re-import changes nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from szcg.clock import REPORT_CLOCK_SLACK
from szcg.errors import InputRejected
from tests.support.factories import DIRTY_CITY, SyntheticCities
from transforms.cases.parquet_import import _chained_events, _event_parts, import_parquet
from warehouse.fingerprint import database_fingerprint
from warehouse.store import Warehouse


@pytest.fixture(scope="module")
def city(cities: SyntheticCities) -> Path:
    return cities.get(DIRTY_CITY)  # read-only: tests write altered exports under tmp_path


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
    # landed once each (copied on a thread while the events are profiled), nothing left half-copied
    landed = sorted(p.name for p in wh.settings.landing_dir.rglob("*") if p.is_file())
    assert landed == ["case_events.parquet", "cases.parquet"]


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


def _write(folder: Path, cases: pd.DataFrame, events: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cases.to_parquet(folder / "cases.parquet")
    events.to_parquet(folder / "case_events.parquet")
    return folder


def _core(wh: Warehouse) -> tuple[int, int, int, int]:
    with wh.writer() as con:
        row = con.execute('SELECT count(*), count(DISTINCT case_id) FROM core."case"').fetchone()
        ev = con.execute("SELECT count(*), count(DISTINCT (case_id, seq)) FROM core.case_event").fetchone()
    assert row is not None and ev is not None
    return int(row[0]), int(row[1]), int(ev[0]), int(ev[1])


def test_cases_and_events_already_loaded_by_another_batch_are_quarantined_not_doubled(
        wh: Warehouse, city: Path, tmp_path: Path) -> None:
    """core.case/core.case_event have no key (migration 0050): the import itself keeps every case and (case, seq)
    once. A second file that repeats loaded cases next to a new one loads only the new one; the repeats are
    quarantined as already_loaded, and their events as case_not_loaded."""
    cases = pd.read_parquet(city / "cases" / "cases.parquet")
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    first = _write(tmp_path / "first", cases.iloc[:100], events[events["case_id"].isin(cases["case_id"].iloc[:100])])
    import_parquet(wh, first, edition="gbt47678.5-2026")
    n_events = int(events["case_id"].isin(cases["case_id"].iloc[:100]).sum())
    assert _core(wh) == (100, 100, n_events, n_events)

    second_cases = cases.iloc[90:110]  # 10 already loaded, 10 new
    second_events = events[events["case_id"].isin(second_cases["case_id"])]
    result = import_parquet(wh, _write(tmp_path / "second", second_cases, second_events), edition="gbt47678.5-2026")
    repeated_events = int(second_events["case_id"].isin(cases["case_id"].iloc[90:100]).sum())
    assert (result.cases_loaded, result.cases_quarantined) == (10, 10)
    assert (result.events_loaded, result.events_quarantined) == (len(second_events) - repeated_events,
                                                                  repeated_events)
    total_events = n_events + len(second_events) - repeated_events
    assert _core(wh) == (110, 110, total_events, total_events)
    with wh.writer() as con:
        rules = con.execute("SELECT target, rule, count(*) FROM quarantine.rejected_row WHERE batch_id IN (?, ?)"
                            " GROUP BY ALL ORDER BY ALL", [result.cases_batch, result.events_batch]).fetchall()
    assert rules == [("core.case", "already_loaded", 10), ("core.case_event", "case_not_loaded", repeated_events)]


def test_events_already_loaded_for_a_case_are_quarantined_and_the_new_ones_flag_the_case(
        wh: Warehouse, city: Path, tmp_path: Path) -> None:
    """The same cases file with a longer events file: the events already in core stay once (already_loaded),
    the new event loads, and the case's flags are recomputed from all its events (here: out of order)."""
    cases = pd.read_parquet(city / "cases" / "cases.parquet").iloc[:50]
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    events = events[events["case_id"].isin(cases["case_id"])]
    first = _write(tmp_path / "a", cases, events)
    import_parquet(wh, first, edition="gbt47678.5-2026")
    with wh.writer() as con:
        clean = con.execute("SELECT c.case_id FROM core.\"case\" c WHERE NOT list_contains(flags, 'event_out_of_order')"
                            " ORDER BY c.case_id LIMIT 1").fetchone()
    assert clean is not None
    target = str(clean[0]).split(":", 1)[1]
    last = events[events["case_id"] == target].sort_values("seq").iloc[[-1]].copy()
    last["seq"] += 1
    last["at"] = events.loc[events["case_id"] == target, "at"].min() - pd.Timedelta(hours=1)  # earlier: out of order
    result = import_parquet(wh, _write(tmp_path / "b", cases, pd.concat([events, last], ignore_index=True)),
                            edition="gbt47678.5-2026")
    assert (result.cases_loaded, result.events_loaded, result.events_quarantined) == (50, 1, len(events))
    assert _core(wh) == (50, 50, len(events) + 1, len(events) + 1)
    with wh.writer() as con:
        flags = con.execute('SELECT flags FROM core."case" WHERE case_id = ?', [f"synth:{target}"]).fetchone()
        rules = con.execute("SELECT rule, count(*) FROM quarantine.rejected_row WHERE batch_id = ? GROUP BY ALL",
                            [result.events_batch]).fetchall()
    assert flags is not None and "event_out_of_order" in flags[0]
    assert rules == [("already_loaded", len(events))]


def test_gates_name_the_row_and_rule_for_each_kind_of_bad_row(wh: Warehouse, city: Path, tmp_path: Path) -> None:
    cases = pd.read_parquet(city / "cases" / "cases.parquet").iloc[:40].reset_index(drop=True)
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    events = events[events["case_id"].isin(cases["case_id"])].reset_index(drop=True)
    unloadable = {cases.loc[1, "case_id"], cases.loc[2, "case_id"]}
    cases.loc[1, "reported_at"] = pd.NaT
    cases.loc[2, "case_id"] = None
    events.loc[events.index[events["case_id"] == cases.loc[5, "case_id"]][2], "at"] = pd.NaT
    twin = events[events["case_id"] == cases.loc[6, "case_id"]].iloc[[1]]  # same (case, seq) again, later row
    orphan = events.iloc[[0]].assign(case_id="NO-SUCH-CASE")
    nameless = events.iloc[[0]].assign(case_id=None)
    events = pd.concat([events, twin, orphan, nameless], ignore_index=True)
    result = import_parquet(wh, _write(tmp_path / "in", cases, events), edition="gbt47678.5-2026")
    with wh.writer() as con:
        rows = con.execute("SELECT target, row_number, field, rule FROM quarantine.rejected_row"
                           " ORDER BY target, row_number").fetchall()
        twins = con.execute("SELECT count(*) FROM core.case_event WHERE case_id = ? AND seq = ?",
                            ["synth:" + str(twin["case_id"].iloc[0]), int(twin["seq"].iloc[0])]).fetchone()
    n = len(events)
    lost = int(events["case_id"].isin(unloadable).sum())  # events of the cases without a report time or an id
    bad_time_row = int(events.index[(events["case_id"] == cases.loc[5, "case_id"])][2]) + 1
    assert [r for r in rows if r[0] == "core.case"] == [("core.case", 2, "reported_at", "missing_reported_at"),
                                                      ("core.case", 3, "case_id", "missing_id")]
    event_rules = [(r[1], r[3]) for r in rows if r[0] == "core.case_event"]
    assert (bad_time_row, "missing_time") in event_rules
    assert (n - 2, "duplicate_seq") in event_rules and (n - 1, "case_not_loaded") in event_rules
    assert (n, "missing_case") in event_rules
    assert sum(1 for _, rule in event_rules if rule == "case_not_loaded") == lost + 1
    assert twins == (1,)
    assert result.events_loaded + result.events_quarantined == n


def test_event_flags_come_only_from_the_events_that_load(wh: Warehouse, city: Path, tmp_path: Path) -> None:
    """A case whose events are all rejected keeps no event flag: the defects were in rows that never loaded."""
    cases = pd.read_parquet(city / "cases" / "cases.parquet").iloc[:20].reset_index(drop=True)
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    events = events[events["case_id"].isin(cases["case_id"])].reset_index(drop=True)
    target = cases.loc[4, "case_id"]
    mine = events["case_id"] == target
    events.loc[mine, "actor_id"] = None  # would flag event_missing_actor …
    events.loc[mine, "at"] = pd.NaT  # … but no event of the case can load
    result = import_parquet(wh, _write(tmp_path / "in", cases, events), edition="gbt47678.5-2026")
    assert result.events_quarantined == int(mine.sum())
    with wh.writer() as con:
        flags = con.execute('SELECT flags FROM core."case" WHERE case_id = ?', [f"synth:{target}"]).fetchone()
    assert flags is not None and not {"event_missing_actor", "event_out_of_order"} & set(flags[0])


def _flags_and_rules(wh: Warehouse) -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
    with wh.writer() as con:
        flags = {str(r[0]): sorted(r[1]) for r in con.execute('SELECT case_id, flags FROM core."case"').fetchall()}
        rules = con.execute("SELECT target, rule, raw_record->>'case_id' FROM quarantine.rejected_row"
                            " ORDER BY ALL").fetchall()
    return flags, rules


@pytest.mark.parametrize("order", ["reversed", "shuffled", "interleaved"])
def test_event_order_in_the_file_changes_no_flag_and_no_rule(city: Path, tmp_path: Path, order: str) -> None:
    """The profile only proves a case in order when its events form one run in file order (seq rising, times not
    falling); every other case is judged exactly from its sorted events. So the same events in any file order give
    the same cases, flags, events and quarantine — and event_out_of_order is exactly "a time earlier than the one
    before it by seq", computed here independently with pandas."""
    from szcg.settings import Settings

    cases = pd.read_parquet(city / "cases" / "cases.parquet")
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    twin = events.iloc[[7]]  # a duplicate (case, seq) right after its first copy: quarantined whatever the order
    events = pd.concat([events.iloc[:8], twin, events.iloc[8:]], ignore_index=True)
    if order == "reversed":
        moved = events.iloc[::-1]
    elif order == "shuffled":
        moved = events.sample(frac=1.0, random_state=3)
    else:  # two halves of the file, rows alternating: every case's run is broken by another case's rows
        half = len(events) // 2
        moved = pd.concat([events.iloc[:half], events.iloc[half:]]).iloc[
            sorted(range(len(events)), key=lambda i: (i % half, i // half))]
    results = []
    for name, frame in (("file", events), (order, moved.reset_index(drop=True))):
        wh = Warehouse(Settings(data_dir=tmp_path / name).with_data_dir(tmp_path / name))
        result = import_parquet(wh, _write(tmp_path / f"in-{name}", cases, frame), edition="gbt47678.5-2026")
        results.append((result.cases_loaded, result.events_loaded, result.events_quarantined,
                        *_flags_and_rules(wh), _core(wh)))
    assert results[0] == results[1]
    assert results[0][2] == 1 and results[0][4] == [("core.case_event", "duplicate_seq", str(twin["case_id"].iloc[0]))]
    ordered = events.drop(index=8).sort_values(["case_id", "seq"])
    late = ordered.groupby("case_id")["at"].transform(lambda at: at < at.shift())
    expected = {"synth:" + c for c in ordered.loc[late, "case_id"]}
    assert expected and expected == {c for c, f in results[1][3].items() if "event_out_of_order" in f}


def test_an_event_without_seq_is_quarantined_and_the_rest_loads(wh: Warehouse, city: Path, tmp_path: Path) -> None:
    """seq is part of an event's key: a NULL seq is rejected with its rule and field (it used to stop the whole load
    at the NOT NULL constraint of core.case_event)."""
    cases = pd.read_parquet(city / "cases" / "cases.parquet").iloc[:30].reset_index(drop=True)
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    events = events[events["case_id"].isin(cases["case_id"])].reset_index(drop=True)
    events["seq"] = events["seq"].astype("Int32")
    events.loc[4, "seq"] = pd.NA
    solo = cases.iloc[[0]].assign(case_id="SOLO-1")
    lone = events.iloc[[0]].assign(case_id="SOLO-1", seq=pd.NA)  # a case whose only event has no seq
    result = import_parquet(wh, _write(tmp_path / "in", pd.concat([cases, solo], ignore_index=True),
                                       pd.concat([events, lone], ignore_index=True)), edition="gbt47678.5-2026")
    assert (result.cases_loaded, result.events_loaded, result.events_quarantined) == (31, len(events) - 1, 2)
    with wh.writer() as con:
        rows = con.execute("SELECT row_number, field, rule FROM quarantine.rejected_row"
                           " WHERE target = 'core.case_event' ORDER BY row_number").fetchall()
    assert rows == [(5, "seq", "missing_seq"), (len(events) + 1, "seq", "missing_seq")]


def test_a_case_reported_after_its_own_events_is_flagged_event_before_report(
    wh: Warehouse, city: Path, tmp_path: Path
) -> None:
    """The evaluation reads a period's history from shortly before it and trusts reported_at to bound a case's
    events; a case whose file says it was reported (more than a day) after its first event carries a flag instead."""
    cases = pd.read_parquet(city / "cases" / "cases.parquet").iloc[:20].reset_index(drop=True)
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    events = events[events["case_id"].isin(cases["case_id"])].reset_index(drop=True)
    late, slightly = cases.loc[3, "case_id"], cases.loc[4, "case_id"]
    cases.loc[3, "reported_at"] = cases.loc[3, "reported_at"] + pd.Timedelta(days=40)
    cases.loc[4, "reported_at"] = cases.loc[4, "reported_at"] + pd.Timedelta(hours=6)  # clocks a little apart
    import_parquet(wh, _write(tmp_path / "in", cases, events), edition="gbt47678.5-2026")
    with wh.writer() as con:
        flagged = {r[0] for r in con.execute(
            "SELECT origin_case_id FROM core.\"case\" WHERE list_contains(flags, 'event_before_report')").fetchall()}
    first = events.groupby("case_id")["at"].min()
    expected = {c for c, at in zip(cases["case_id"], cases["reported_at"], strict=True)
                if c in first.index and first[c] < at - REPORT_CLOCK_SLACK}  # the dirty city has a few of its own
    assert late in flagged and slightly not in flagged and flagged == expected


def test_reporters_descriptions_are_loaded_scrubbed_and_ordinary_ones_as_written(
    wh: Warehouse, city: Path, tmp_path: Path
) -> None:
    """A number or a name dictated into a case's description never reaches core.case, whatever its form; text
    without any stays exactly as written (the load tests the hint in SQL and scrubs only the rows that match)."""
    from szcg.privacy import scrub_text

    notes = ["市民反映路灯不亮", "联系电话 139 1234 5601，井盖缺失",
             "我叫张三，身份证１４０６０２１９９００１０１１２３４", "座机(0349)5551234", "本人李四反映噪音扰民",
             "一三九一二三四五六零二 请回电", "3月5日 12:30 垃圾未清运", "", None]
    cases = pd.read_parquet(city / "cases" / "cases.parquet").iloc[:len(notes)].reset_index(drop=True)
    cases["description"] = notes
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    events = events[events["case_id"].isin(cases["case_id"])].reset_index(drop=True)
    import_parquet(wh, _write(tmp_path / "in", cases, events), edition="gbt47678.5-2026")
    with wh.writer() as con:
        loaded = dict(con.execute('SELECT origin_case_id, description FROM core."case"').fetchall())
    expected = {c: (scrub_text(n) if n else n) for c, n in zip(cases["case_id"], notes, strict=True)}
    assert loaded == expected
    assert sum(loaded[c] != n for c, n in zip(cases["case_id"], notes, strict=True)) == 5  # the five with PII


def test_the_chain_pass_split_at_row_groups_sees_every_row_as_one_pass_does(tmp_path: Path) -> None:
    """The profile's chain pass runs as one UNION ALL branch per part of the events file (so DuckDB runs them on
    several threads); each row's in_chain must be what one pass over the whole file gives, at the parts' edges too:
    row 3 continues case B from row 2 across a row-group boundary, row 9 continues C across another."""
    rows = [("A", 1, 0), ("A", 2, 1), ("B", 1, 0),        # row group 0
            ("B", 2, 1), ("B", 3, 2), ("A", 3, 2),        # 1: B goes on from row 2; A comes back after B
            ("C", 1, 0), ("C", 2, 1), ("C", 2, 2),        # 2: a seq given twice is not a continuation
            ("C", 3, 3), ("C", 4, 1), ("D", 1, 0)]        # 3: C goes on from row 8; then a time going back
    expected = [False, True, False, True, True, False, False, True, False, True, False, False]
    path = tmp_path / "case_events.parquet"
    pq.write_table(pa.table({"case_id": [r[0] for r in rows], "seq": pa.array([r[1] for r in rows], pa.int32()),
                             "at": pa.array([r[2] * 60_000_000 for r in rows], pa.timestamp("us")),
                             "action": ["dispatch"] * len(rows), "actor_id": ["W1"] * len(rows)}),
                   path, row_group_size=3)
    con = duckdb.connect()
    assert [_event_parts(con, path, n) for n in (1, 2, 3, 4, 9)] == [
        [0], [0, 6], [0, 3, 9], [0, 3, 6, 9], [0, 3, 6, 9]]
    for starts in ([0], [0, 3], [0, 6], [0, 9], [0, 3, 6], [0, 3, 6, 9]):
        got = con.execute(f"SELECT file_row_number, in_chain FROM ({_chained_events(starts)}) ORDER BY 1",
                          {"efile": str(path)}).fetchall()
        assert got == list(enumerate(expected)), starts


def test_events_in_many_row_groups_give_the_same_cases_flags_and_quarantine(city: Path, tmp_path: Path) -> None:
    """The events file cut into many row groups (the profile then reads it in parts, on several threads) loads
    exactly as the same rows in one row group: a duplicate seq whose copies lie in two row groups is still caught."""
    from szcg.settings import Settings

    cases = pd.read_parquet(city / "cases" / "cases.parquet")
    events = pd.read_parquet(city / "cases" / "case_events.parquet")
    edge = 996  # the last row of the first row group of 997 rows; its twin is the first row of the second
    events = pd.concat([events.iloc[:edge + 1], events.iloc[[edge]], events.iloc[edge + 1:]], ignore_index=True)
    results = []
    for name, row_group in (("one", len(events)), ("many", 997)):
        folder = tmp_path / f"in-{name}"
        _write(folder, cases, events)
        events.to_parquet(folder / "case_events.parquet", row_group_size=row_group)
        wh = Warehouse(Settings(data_dir=tmp_path / name).with_data_dir(tmp_path / name))
        result = import_parquet(wh, folder, edition="gbt47678.5-2026")
        results.append((result.cases_loaded, result.events_loaded, result.events_quarantined,
                        *_flags_and_rules(wh), _core(wh)))
        assert len(_event_parts(duckdb.connect(), folder / "case_events.parquet", 2)) == (2 if name == "many" else 1)
    assert results[0] == results[1]
    assert ("core.case_event", "duplicate_seq", str(events["case_id"].iloc[edge])) in results[1][4]
