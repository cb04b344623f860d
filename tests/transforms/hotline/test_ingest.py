"""12319 call logs reach the warehouse without anybody's phone number, linked to the cases they are about,
repeat calls about one problem counted once and the callback satisfaction kept."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pandas as pd
import pytest

from szcg.errors import ConfigError
from transforms.cases.parquet_import import import_parquet
from transforms.hotline.categories import load_categories
from transforms.hotline.ingest import ingest_hotline
from transforms.hotline.privacy import hash_identifier, hash_key
from warehouse.fingerprint import database_fingerprint
from warehouse.store import Warehouse

MONTH = "2026-01"


def _calls(wh: Warehouse) -> pd.DataFrame:
    with wh.writer() as con:
        return con.execute("SELECT * EXCLUDE (batch_id) FROM core.hotline_call ORDER BY call_id").df()


def test_gbk_csv_utf8_csv_and_xlsx_logs_give_the_same_calls(wh: Warehouse, city: Path, tmp_path: Path) -> None:
    gbk = ingest_hotline(wh, city / "hotline" / "gbk" / f"{MONTH}.csv", wh.settings)
    from_gbk = _calls(wh)
    assert gbk.encoding == "gbk" and gbk.rows_in == gbk.rows_loaded > 0
    other = Warehouse(wh.settings.with_data_dir(tmp_path / "other"))
    from transforms.cases.parquet_import import import_parquet

    import_parquet(other, city / "cases", edition="gbt47678.5-2026")
    xlsx = ingest_hotline(other, city / "hotline" / "xlsx" / f"{MONTH}.xlsx", other.settings)
    assert xlsx.encoding == "xlsx"
    pd.testing.assert_frame_equal(_calls(other), from_gbk)
    utf8 = tmp_path / f"{MONTH}.csv"
    pd.read_csv(city / "hotline" / "gbk" / f"{MONTH}.csv", dtype=str, encoding="gbk",
                keep_default_na=False).to_csv(utf8, index=False, encoding="utf-8")
    third = Warehouse(wh.settings.with_data_dir(tmp_path / "third"))
    import_parquet(third, city / "cases", edition="gbt47678.5-2026")
    assert ingest_hotline(third, utf8, third.settings).encoding == "utf-8"
    pd.testing.assert_frame_equal(_calls(third), from_gbk)


def test_no_raw_phone_number_reaches_core_or_quarantine(wh: Warehouse, city: Path, tmp_path: Path) -> None:
    raw = pd.read_csv(city / "hotline" / "raw" / f"{MONTH}.csv", dtype=str, keep_default_na=False)
    numbers = set(raw["caller_number"])
    # a caller dictates a number into the notes, and a row with an unreadable time goes to quarantine
    raw.loc[0, "text"] = f"请回电 {raw.loc[1, 'caller_number']} 或 0349-5551234"
    raw.loc[2, "called_at"] = "上周三"
    log = tmp_path / "log.csv"
    raw.to_csv(log, index=False, encoding="gbk")
    result = ingest_hotline(wh, log, wh.settings)
    assert result.rows_quarantined == 1 and result.rows_loaded == len(raw) - 1

    with wh.writer() as con:
        texts = con.execute(
            "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM core.hotline_call").fetchall()
        quarantined = con.execute("SELECT CAST(raw_record AS VARCHAR), rule FROM quarantine.rejected_row").fetchall()
        landed = con.execute("SELECT landed_path FROM landing.landed_file WHERE kind = 'hotline'").fetchone()
        hashes = con.execute("SELECT caller_hash FROM core.hotline_call WHERE call_id = ?",
                             [raw.loc[3, "call_id"]]).fetchone()
    stored = " ".join(str(v) for row in texts + quarantined for v in row)
    assert not {n for n in numbers if n in stored}
    assert "5551234" not in stored and re.search(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9a-z])", stored) is None
    assert quarantined[0][1] == "bad_called_at" and "尾号" in quarantined[0][0] and "****" not in quarantined[0][0]
    assert hashes == (hash_identifier(raw.loc[3, "caller_number"], hash_key(wh.settings)),)
    # landing keeps the file byte-for-byte (the warehouse's rule) but readable by its owner only
    assert landed is not None
    mode = (wh.settings.landing_dir / landed[0]).stat().st_mode
    assert not mode & (stat.S_IRGRP | stat.S_IROTH)


def test_a_call_time_outside_the_warehouse_range_is_quarantined_not_a_crash(wh: Warehouse, city: Path,
                                                                           tmp_path: Path) -> None:
    """A year 0001 or 9999 in a log (a placeholder) is quarantined as an unreadable time; the rest of the log loads
    (it once stopped the whole ingest with pandas' OutOfBoundsDatetime)."""
    raw = pd.read_csv(city / "hotline" / "raw" / f"{MONTH}.csv", dtype=str, keep_default_na=False)
    raw.loc[2, "called_at"] = raw.loc[2, "called_at"].replace(raw.loc[2, "called_at"][:4], "0001", 1)
    raw.loc[4, "called_at"] = raw.loc[4, "called_at"].replace(raw.loc[4, "called_at"][:4], "9999", 1)
    log = tmp_path / "log.csv"
    raw.to_csv(log, index=False, encoding="gbk")
    result = ingest_hotline(wh, log, wh.settings)
    assert result.rows_quarantined == 2 and result.rows_loaded == len(raw) - 2
    with wh.writer() as con:
        rules = con.execute("SELECT row_number, rule FROM quarantine.rejected_row ORDER BY 1").fetchall()
    assert rules == [(3, "bad_called_at"), (5, "bad_called_at")]


def test_calls_are_linked_by_case_number_or_by_place_time_and_category(
    wh: Warehouse, city: Path, tmp_path: Path
) -> None:
    raw = pd.read_csv(city / "hotline" / "raw" / f"{MONTH}.csv", dtype=str, keep_default_na=False)
    with_case = raw[(raw["linked_case_id"] != "") & (raw["is_duplicate"] == "否") & (raw["text"] != "")]
    forgotten = with_case.index[:10]
    truth = raw.loc[forgotten, ["call_id", "linked_case_id"]]
    raw.loc[forgotten, "linked_case_id"] = ""  # the operator did not write the case number down
    log = tmp_path / "log.csv"
    raw.to_csv(log, index=False)
    result = ingest_hotline(wh, log, wh.settings)
    calls = _calls(wh).set_index("call_id")

    assert result.linked_matched >= 8
    matched = calls.loc[truth["call_id"]]
    right = (matched["case_id"] == "synth:" + truth.set_index("call_id")["linked_case_id"])
    assert right.sum() >= 8 and (matched.loc[matched["link_method"] == "matched", "case_id"].notna()).all()
    assert (calls.loc[raw.loc[raw["linked_case_id"] != "", "call_id"], "link_method"] == "logged").all()
    enquiries = calls[calls["category"] == "咨询"]
    assert (enquiries["link_method"] == "none").all()
    # callback satisfaction kept in the conformed vocabulary
    sat = calls["satisfaction"].value_counts().to_dict()
    assert set(sat) <= {"satisfied", "basically_satisfied", "dissatisfied", "unreached"} and sat


def test_repeat_calls_about_one_problem_count_once_and_reingest_changes_nothing(wh: Warehouse, city: Path) -> None:
    log = city / "hotline" / "raw" / f"{MONTH}.csv"
    raw = pd.read_csv(log, dtype=str, keep_default_na=False)
    ingest_hotline(wh, log, wh.settings)
    calls = _calls(wh).set_index("call_id")
    repeats = calls[calls["is_repeat"]]
    # the log's own marker of a repeat call agrees with what was derived independently from case + time
    marked = set(raw.loc[raw["is_duplicate"] == "是", "call_id"])
    assert set(repeats.index) == marked
    firsts = calls.loc[repeats["repeat_of"]]
    assert (firsts["case_id"].to_numpy() == repeats["case_id"].to_numpy()).all()
    assert (~firsts["is_repeat"]).all()
    with wh.writer() as con:
        before = database_fingerprint(con)
    ingest_hotline(wh, log, wh.settings)
    with wh.writer() as con:
        assert database_fingerprint(con) == before


def test_calls_without_case_number_are_linked_by_the_category_table(wh: Warehouse, city: Path,
                                                                      tmp_path: Path) -> None:
    """A call whose category is in transforms/hotline/categories.yaml links only to a case of a subclass that
    category lists (time and place as before), even when its notes never name the subclass."""
    table = load_categories()
    category_of = {code: cat for cat, codes in table.subclasses.items() for code in codes}
    cases = pd.read_parquet(city / "cases" / "cases.parquet")
    subclass = dict(zip(cases["case_id"], cases["kind"] + ":" + cases["subclass_code"], strict=True))
    raw = pd.read_csv(city / "hotline" / "raw" / f"{MONTH}.csv", dtype=str, keep_default_na=False)
    chosen = raw[(raw["linked_case_id"] != "") & (raw["is_duplicate"] == "否")
                 & raw["linked_case_id"].map(lambda c: subclass.get(c) in category_of)].index[:10]
    assert len(chosen) == 10
    truth = raw.loc[chosen, "linked_case_id"].copy()
    raw.loc[chosen, "linked_case_id"] = ""
    raw.loc[chosen, "text"] = "市民来电反映问题，请尽快处理"  # names no subclass: only the category can link it
    raw.loc[chosen, "category"] = [category_of[subclass[c]] for c in truth]
    wrong = raw.copy()
    wrong.loc[chosen, "category"] = [next(cat for cat, codes in table.subclasses.items() if subclass[c] not in codes)
                                     for c in truth]
    log = tmp_path / "log.csv"
    raw.to_csv(log, index=False)
    result = ingest_hotline(wh, log, wh.settings)
    calls = _calls(wh).set_index("call_id").loc[raw.loc[chosen, "call_id"]]
    right = calls["case_id"].to_numpy() == ("synth:" + truth).to_numpy()
    assert right.sum() >= 8 and (calls["link_method"] == "matched").sum() >= 8
    with wh.writer() as con:
        detail = con.execute("SELECT detail FROM landing.load WHERE batch_id = ?", [result.batch_id]).fetchone()
    assert detail is not None and table.version in str(detail[0])

    other = Warehouse(wh.settings.with_data_dir(tmp_path / "other"))
    import_parquet(other, city / "cases", edition="gbt47678.5-2026")
    wrong_log = tmp_path / "wrong.csv"
    wrong.to_csv(wrong_log, index=False)
    ingest_hotline(other, wrong_log, other.settings)
    misfiled = _calls(other).set_index("call_id").loc[raw.loc[chosen, "call_id"]]
    assert not (misfiled["case_id"].to_numpy() == ("synth:" + truth).to_numpy()).any()


def test_a_category_table_naming_a_subclass_the_catalogue_lacks_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "categories.yaml"
    bad.write_text("version: t1\nedition: gbt47678.5-2026\ncategories:\n  井盖问题: ['event:01001-01099']\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="event:01001-01099"):
        load_categories(bad)
