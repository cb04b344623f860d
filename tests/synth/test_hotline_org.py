"""Hotline logs mask callers (raw numbers only in the raw variant); the organisation seeds the case service."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml


def test_hotline_calls_masked_and_linked(city_dir: Path) -> None:
    files = sorted((city_dir / "hotline" / "utf8").glob("*.csv"))
    assert files
    calls = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    assert calls["caller"].str.fullmatch(r"1\d{2}\*{4}\d{4}|0349-\*{3}\d{4}").all()
    assert "caller_number" not in calls.columns
    cases = pd.read_parquet(city_dir / "cases" / "cases.parquet")
    linked = calls[calls["linked_case_id"] != ""]
    assert linked["linked_case_id"].isin(cases["case_id"]).all()
    assert (calls["linked_case_id"] == "").any(), "consultations create no case"
    assert (calls["is_duplicate"] == "是").any()
    assert set(cases.loc[cases["source"] == "hotline", "case_id"]) <= set(linked["linked_case_id"])
    first_call = linked[linked["is_duplicate"] == "否"].set_index("linked_case_id")["called_at"]
    reported = cases.set_index("case_id")["reported_at"].reindex(first_call.index)
    assert (pd.to_datetime(first_call) <= reported).all(), "the call comes before the case is entered"
    raw = pd.concat([pd.read_csv(city_dir / "hotline" / "raw" / f.name, dtype=str, keep_default_na=False)
                     for f in files])
    assert raw["caller_number"].str.fullmatch(r"1\d{10}|0349-\d{7}").all()
    masked_again = raw["caller_number"].str[:3] + "****" + raw["caller_number"].str[-4:]
    mobile = ~raw["caller_number"].str.contains("-")
    assert (masked_again[mobile].to_numpy() == calls["caller"][mobile.to_numpy()].to_numpy()).all()
    gbk = (city_dir / "hotline" / "gbk" / files[0].name).read_bytes().decode("gbk")
    assert gbk == files[0].read_text(encoding="utf-8")
    xlsx = pd.read_excel(city_dir / "hotline" / "xlsx" / files[0].name.replace(".csv", ".xlsx"), dtype=str)
    assert len(xlsx) == len(pd.read_csv(files[0], dtype=str))


def test_people_and_users_seed(city_dir: Path) -> None:
    people = pd.read_csv(city_dir / "org" / "people.csv", dtype=str, keep_default_na=False)
    assert people["person_id"].is_unique
    assert {"operator", "shift_leader", "dispatcher", "supervisor", "handler"} == set(people["role"])
    users = yaml.safe_load((city_dir / "org" / "users.yaml").read_text(encoding="utf-8"))
    assert users["synthetic"] is True and len(users["users"]) == len(people)
    sg = pd.read_csv(city_dir / "org" / "supervisor_grids.csv", dtype=str)
    assert sg["grid_code"].is_unique  # every grid has exactly one supervisor
