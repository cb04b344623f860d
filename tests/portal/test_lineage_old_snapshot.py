"""A snapshot published before migration 0100 has no bit table: the drill-down (and explain) read its lineage table
as before."""

from __future__ import annotations

import duckdb

from transforms.evaluation import lineage_read
from usecases import scorecard_views as views


def test_a_snapshot_without_the_bit_table_is_read_through_the_lineage_table() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.score_lineage AS SELECT '2026-10' AS period, 1 AS version, 'region' AS object, "
                "'district' AS level, 'D1' AS entity_code, 'close_rate' AS indicator, 'C1' AS case_id, "
                "'numerator' AS role, CAST(NULL AS INTEGER) AS event_seq")
    assert lineage_read.role_bits(con, "2026-10", 1, "region", None) is None
    assert views._cases_from_view(con, "2026-10", 1, views.Scope("region", "district"), "D1", None, 1, 50) == (
        [("C1", ["close_rate"], True)], 1)
    assert lineage_read.indicator_cases(con, "2026-10", 1, "region", "district", "D1", "close_rate") == (["C1"], [])


def test_explain_slices_an_old_snapshots_cases_by_the_same_rule() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.score_lineage AS SELECT '2026-10' AS period, 1 AS version, 'region' AS object, "
                "'district' AS level, 'D1' AS entity_code, 'close_rate' AS indicator, c AS case_id, "
                "CASE WHEN c = 'C2' THEN 'denominator' ELSE 'numerator' END AS role, "
                "CAST(NULL AS INTEGER) AS event_seq FROM (VALUES ('C3'), ('C1'), ('C2')) t(c)")
    found = lineage_read.indicator_case_slice(con, "2026-10", 1, "region", "district", "D1", "close_rate", 1, 1)
    assert (found.numerator, found.denominator_only, found.numerator_total, found.denominator_only_total) == (
        [], ["C2"], 2, 1)
