"""The legacy import's column-wise shortcuts give exactly what the row-wise code they replaced gives (issue 20
item 7: a million-row export within 3× a bare read_csv). Each test puts the shortcut next to the reference on
values chosen to hit its edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from quality.cases import legacy_case_suite
from quality.gx import run_suite
from transforms.cases.legacy_import import gate_rows
from warehouse.store import Warehouse


def test_the_gate_by_distinct_values_reports_the_row_gates_problems_in_its_order() -> None:
    n = 40
    frame = pd.DataFrame({
        "row_number": np.arange(1, n + 1),
        "origin_case_id": pd.Series([None if i % 7 == 3 else f"A{i}" for i in range(n)], dtype=object),
        "reported_at_readable": [i % 5 != 1 for i in range(n)],
        "status": pd.Series(["closed", "奇怪", None, "dispatched"] * (n // 4), dtype=object),
        "source": pd.Series(["hotline", "public", "信鸽", "other", None] * (n // 5), dtype=object),
        "unchecked": ["x"] * n,
    })
    suite = legacy_case_suite()
    expected = run_suite(frame[["row_number", "origin_case_id", "reported_at_readable", "status", "source"]], suite,
                         file_name="f.csv", name="legacy_case")
    assert {p.rule for p in expected} == {"missing_id", "bad_reported_at", "status_vocabulary", "source_vocabulary"}
    assert gate_rows(frame, suite, "f.csv") == expected


FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S",
           "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M", "%Y.%m.%d"]
EDGES = ["2026-03-05 09:07:00", "2024-02-29 23:59:59", "2023-02-29 10:00:00", "2026-02-30 10:00:00",
         "2026-04-31 10:00:00", "2026-00-10 10:00:00", "2026-13-10 10:00:00", "2026-01-00 10:00:00",
         "2026-01-32 10:00:00", "2026-01-10 24:00:00", "2026-01-10 23:60:00", "2026-01-10 23:59:60",
         "2026-01-10 23:59:61", "1677-09-22 00:00:00", "1678-01-01 00:00:00", "2261-12-31 23:59:59",
         "2262-04-12 00:00:00", "0001-01-01 00:00:00", "9999-12-31 00:00:00", "2026-3-5 09:07:00",
         "2026-03-05 9:07:00", "2026-03-05  09:07:00", "2026-03-05T09:07:00", "2026-03-05 09:07:00Z",
         "2026-03-05 09:07:00+08:00", "２０２６-03-05 09:07", "2026-03-05 09:07", "2026/03/05 09:07",
         "2026/03/05 09:07:00", "20260305090700", "05/03/2026 09:07:00", "03/05/2026 09:07", "2026.03.05",
         "2026-03-05 09:07:0a", "2026-03-05 09:07:00.5", "-026-03-05 09:07:00", "2026-03-05\t09:07:00",
         "2026年03月05日 09:07", "", " ", "x", "1900-02-29 00:00:00", "2000-02-29 00:00:00", "2100-02-28 12:00:00"]


def _random_times(n: int, fmt: str, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    stamps = pd.to_datetime(rng.integers(pd.Timestamp("1690-01-01").value // 10**9,
                                         pd.Timestamp("2250-01-01").value // 10**9, n), unit="s")
    return [t.strftime(fmt) for t in stamps]


def test_times_read_by_their_layout_are_what_pandas_reads_and_nothing_pandas_refuses() -> None:
    from transforms.cases.fixed_times import fixed_layout, parse_fixed

    for fmt in FORMATS:
        layout = fixed_layout(fmt)
        assert layout is not None, fmt
        values = EDGES + _random_times(2000, fmt, seed=len(fmt))
        for dtype in ("str", object):
            text = pd.Series(values, dtype=dtype)
            read, times = parse_fixed(text, layout)
            expected = pd.to_datetime(pd.Series(values, dtype=object), format=fmt, errors="coerce")
            assert read.sum() >= 2000, fmt  # the shortcut is taken
            for value, was_read, got, want in zip(values, read, times, expected, strict=True):
                if was_read:
                    assert pd.Timestamp(got) == want, (fmt, value, got, want)
            # every value pandas reads in the layout's width and range that the shortcut did not read is one of
            # the edges (left to pandas on purpose: not exactly the layout)
            missed = [v for v, r, w in zip(values, read, expected, strict=True) if not r and w is not pd.NaT]
            assert set(missed) <= set(EDGES), (fmt, missed[:5])


def test_formats_without_a_fixed_layout_are_left_to_pandas() -> None:
    from transforms.cases.fixed_times import fixed_layout

    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%Y-%m-%dT%H:%M:%S.%f", "%Y年%m月%d日 %H:%M", "%m/%d/%y %H:%M", "%H:%M",
                "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M %Y", "%Y-%m-%d\t%H:%M", "%Y-%m-%d 1%H"):
        assert fixed_layout(fmt) is None, fmt


def _parse_times_reference(values: pd.Series, formats: list[str]) -> tuple[pd.Series, pd.Series]:
    """parse_times as it was before the shortcut (main at fdb7566), without offsets (none in these values)."""
    text = values.astype(str).str.strip()
    given = text != ""
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = given & result.isna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        result.loc[todo] = parsed.astype("datetime64[ns]")
    return result, given & result.isna()


def test_parse_times_with_the_shortcut_equals_parse_times_without_it() -> None:
    from tests.transforms.cases.conftest import MAPPINGS
    from transforms.cases.legacy_import import parse_times
    from transforms.cases.mapping import load_mapping

    mapping = load_mapping(MAPPINGS / "cn_anjuan.yaml")
    edges = [e for e in EDGES if not e.endswith(("Z", "+08:00")) and e not in ("0001-01-01 00:00:00",
                                                                                "9999-12-31 00:00:00",
                                                                                "2262-04-12 00:00:00",
                                                                                "-026-03-05 09:07:00")]
    # (the four years outside nanosecond timestamps stop both versions with OutOfBoundsDatetime)
    values = pd.Series([*edges, " 2026-03-05 09:07:00 ", *_random_times(500, "%Y/%m/%d %H:%M", 1),
                        *_random_times(500, "%Y-%m-%d %H:%M:%S", 2)], dtype="str").sample(frac=1, random_state=3)
    got, got_bad = parse_times(values, mapping)
    want, want_bad = _parse_times_reference(values, mapping.timestamp_formats)
    pd.testing.assert_series_equal(got, want)
    pd.testing.assert_series_equal(got_bad, want_bad)


def test_a_vocabulary_looked_up_per_distinct_value_is_series_map() -> None:
    from transforms.cases.legacy_import import _mapped

    table = {"已结案": "closed", "处置中": "dispatched", "nan": "odd", "": "blank"}
    values = ["已结案", "处置中", None, "未知", "nan", "", "已结案", None]
    for dtype in ("str", object):
        series = pd.Series(values, dtype=dtype, index=range(10, 18))
        want = series.map(table).astype(object)
        got = _mapped(series, table)
        pd.testing.assert_series_equal(got, want)
        assert got.isna().tolist() == want.isna().tolist()


STEP_ORDER = {"report": 0, "accept": 1, "register": 2, "dispatch": 3, "feedback": 4, "check": 5, "close": 6,
              "void": 6, "reject": 6}


def test_events_are_numbered_by_time_then_step_and_stored_in_case_id_order(wh: Warehouse,
                                                                            tmp_path: Path) -> None:
    """seq is the step's place in its case by (time, step order) — the row_number() it replaced — and the cases'
    steps are stored in case_id order whatever the export's order, steps out of time order included."""
    from synth.legacy_export import ExportSpec, legacy_export_frame
    from tests.transforms.cases.conftest import MAPPINGS
    from transforms.cases.legacy_import import import_legacy
    from transforms.cases.mapping import load_mapping

    raw = legacy_export_frame(ExportSpec("2026-03", cases=300, seed=7)).sample(frac=1, random_state=1)
    raw = raw.reset_index(drop=True)
    raw.loc[0, ["案卷状态", "上报时间", "立案时间", "派遣时间", "处置时间", "结案时间"]] = [
        "已结案", "2026-03-10 10:00:00", "2026-03-09 10:00:00", "2026-03-10 10:00:00", "2026-03-08 10:00:00",
        "2026-03-07 10:00:00"]  # every step before the report, two at its time
    raw.loc[1, ["案卷状态", "上报时间", "立案时间", "派遣时间", "处置时间", "结案时间"]] = [
        "已结案", "2026-03-10 10:00:00", "2026-03-10 10:00:00", "2026-03-10 10:00:00", "2026-03-10 10:00:00",
        "2026-03-10 10:00:00"]  # all at one instant: the step order decides
    path = tmp_path / "anjuan.csv"
    raw.to_csv(path, index=False, encoding="utf-8")
    mapping = load_mapping(MAPPINGS / "cn_anjuan.yaml").model_copy(update={"encoding": "utf-8"})
    import_legacy(wh, path, mapping)
    with wh.writer() as con:
        stored = con.execute("SELECT case_id, seq, action, occurred_at FROM core.case_event"
                             " ORDER BY case_id, seq").df()
        scanned = con.execute("SELECT case_id FROM core.case_event_legacy").df()["case_id"]  # scan order
    assert len(stored) > 1000
    assert scanned.is_monotonic_increasing and scanned.is_unique and len(scanned) == 300
    ranked = stored.assign(order=stored["action"].map(STEP_ORDER)).sort_values(["case_id", "occurred_at", "order"])
    expected = ranked.groupby("case_id").cumcount() + 1
    assert (ranked["seq"] == expected).all()
    first = stored[stored["case_id"] == f"cn_anjuan:{raw.loc[0, '案卷号']}"]
    assert first["action"].tolist() == ["close", "feedback", "register", "report", "dispatch"]
    same = stored[stored["case_id"] == f"cn_anjuan:{raw.loc[1, '案卷号']}"]
    assert same["action"].tolist() == ["report", "register", "dispatch", "feedback", "close"]


def _agreement_reference(cases: pd.DataFrame) -> dict:
    """verdict_agreement as it was (main at fdb7566): pandas groups per department."""
    def one(group: pd.DataFrame) -> dict:
        agree = group["source_on_time"] == group["handle_deadline_met"]
        return {"cases": len(group), "agree": int(agree.sum()), "disagree": int((~agree).sum()),
                "first_disagreeing": group.loc[~agree, "origin_case_id"].head(5).tolist()}

    judged = cases["source_on_time"].notna() & cases["handle_deadline_met"].notna()
    both = cases.loc[judged, ["row_number", "origin_case_id", "origin_department", "source_on_time",
                              "handle_deadline_met"]].sort_values("row_number")
    departments = [{"department": str(name), **one(group)}
                   for name, group in both.groupby(both["origin_department"].fillna("(none)"), sort=True)]
    return {**one(both), "not_judged_by_source": int(cases["source_on_time"].isna().sum()),
            "not_judged_by_szcg": int(cases["handle_deadline_met"].isna().sum()), "departments": departments}


def test_verdict_agreement_on_arrays_equals_the_pandas_groups() -> None:
    from transforms.cases.legacy_import import verdict_agreement

    rng = np.random.default_rng(4)
    n = 3000
    verdicts = np.array([True, False, None], dtype=object)
    for order in (np.arange(n), rng.permutation(n)):
        cases = pd.DataFrame({
            "row_number": np.arange(1, n + 1)[order],
            "origin_case_id": pd.Series([f"C{i:05d}" for i in order], dtype="str"),
            "origin_department": pd.Series(np.array(["环卫", "市政", "执法", None, "Zoo", "zoo"], dtype=object)[
                rng.integers(0, 6, n)], dtype="str"),
            "source_on_time": pd.Series(verdicts[rng.integers(0, 3, n)], dtype=object),
            "handle_deadline_met": pd.Series(verdicts[rng.integers(0, 3, n)], dtype=object),
        })
        assert verdict_agreement(cases) == _agreement_reference(cases)
    empty = cases.assign(source_on_time=None)
    assert verdict_agreement(empty) == _agreement_reference(empty)
