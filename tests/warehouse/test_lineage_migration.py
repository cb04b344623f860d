"""Migration 0100 (lineage by derivation) on a warehouse that already holds published scorecards.

Their lineage rows were materialised in the table marts.score_lineage; after the migration they are read through the
view of the same name (from marts.score_lineage_legacy), unchanged, so the content hash recorded at publication still
matches and the publish-time audit passes.
"""

from __future__ import annotations

import duckdb

from transforms.evaluation import store
from warehouse.migrate import available_migrations, migrate

LINEAGE = [
    ("2026-09", 1, "region", "district", "140602", "registered", "C1", "numerator", None),
    ("2026-09", 1, "region", "district", "140602", "close_rate", "C1", "denominator", None),
    ("2026-09", 1, "supervisor", "supervisor", "S1", "reports", "C1", "numerator", 1),
    ("2026-09", 1, "department", "department", "D1", "due_count", "C2", "numerator", None),
]


def _before_0100(con: duckdb.DuckDBPyConnection, upto: int = 100) -> None:
    """The schema as migrations 0001–0099 (before ``upto``) left it (the views of that time are models, recreated by
    migrate)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("CREATE TABLE meta.schema_migration (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "checksum VARCHAR NOT NULL)")
    for m in available_migrations():
        if m.version < upto:
            con.execute(m.sql)
            con.execute("INSERT INTO meta.schema_migration VALUES (?, ?, ?)", [m.version, m.name, m.checksum])


def test_versions_published_before_the_migration_keep_their_lineage_and_hash() -> None:
    con = duckdb.connect()
    _before_0100(con)
    con.executemany("INSERT INTO marts.score_lineage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", LINEAGE)
    digest = store.content_hash(con, "2026-09", 1)
    con.execute("INSERT INTO marts.scorecard (period, version, status, period_start, period_end, as_of, scheme_id, "
                "scheme_version, scheme_sha256, reason, supersedes, exclusions, content_sha256, created_at, "
                "created_by) VALUES ('2026-09', 1, 'published', DATE '2026-09-01', DATE '2026-09-30', "
                "TIMESTAMP '2026-10-01', 's', '1', 'x', 'first publication', NULL, 0, ?, now(), 'test')", [digest])

    assert 100 in migrate(con)

    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'marts' "
                       "AND table_name = 'score_lineage'").fetchone()
    assert kind == ("VIEW",)
    assert con.execute("SELECT * FROM marts.score_lineage ORDER BY ALL").fetchall() == sorted(
        LINEAGE, key=lambda r: tuple("" if v is None else str(v) for v in r))
    assert store.content_hash(con, "2026-09", 1) == digest
    assert store.published_scorecards_intact(con) == []
    # the dashboards' drill-down reads the view like it read the table
    con.execute("SELECT count(*) FROM marts.dash_score_case").fetchone()


def test_a_version_stored_by_derivation_is_hashed_by_its_stored_rows_not_the_view() -> None:
    """At 10 M cases the view derives ~40 rows per stored one; hashing every published version through it at each
    publish's audit ran DuckDB out of memory. The hash reads the fact and bit rows, and still sees a change in them."""
    con = duckdb.connect()
    migrate(con)
    con.execute("INSERT INTO marts.score_lineage_role VALUES ('2026-10', 1, 'region', 'registered', 'numerator', 0), "
                "('2026-10', 1, 'region', 'close_rate', 'denominator', 1)")
    con.execute("INSERT INTO marts.score_lineage_fact VALUES ('2026-10', 1, 'region', NULL, 'C1', '140602', "
                "'140602001000', '140602001001', '140602001001001', 3, NULL)")
    digest = store.content_hash(con, "2026-10", 1)
    # a view that cannot be read: the hash of a derived version must not need it
    con.execute("CREATE OR REPLACE VIEW marts.score_lineage AS SELECT error('the view was read') AS period, "
                "1 AS version")
    assert store.content_hash(con, "2026-10", 1) == digest
    con.execute("UPDATE marts.score_lineage_fact SET roles = 1")
    assert store.content_hash(con, "2026-10", 1) != digest


def test_migration_0101_bounds_the_report_times_of_every_stored_versions_cases() -> None:
    """marts.score_lineage_bound for versions stored before it: per version and object, the earliest reported_at of
    the cases in its materialised rows (legacy) or its fact rows and post events (by derivation)."""
    con = duckdb.connect()
    _before_0100(con, upto=101)  # 0100 moved the materialised rows to score_lineage_legacy
    con.executemany("INSERT INTO marts.score_lineage_legacy VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", LINEAGE)
    for case_id, reported in (("C1", "2026-09-03 08:00"), ("C2", "2026-08-20 09:30"), ("C3", "2026-07-01 10:00")):
        con.execute("INSERT INTO core.\"case\" (case_id, origin_system, origin_case_id, source, reported_at, status, "
                    "batch_id) VALUES (?, 't', ?, 'supervisor', ?, 'closed', 'b')", [case_id, case_id, reported])
    con.execute("INSERT INTO marts.score_lineage_fact VALUES ('2026-10', 1, 'region', NULL, 'C1', '140602', "
                "'140602001000', '140602001001', '140602001001001', 3, NULL), "
                "('2026-10', 1, 'supervisor', 'S1', NULL, NULL, NULL, NULL, NULL, NULL, "
                "[{'case_id': 'C1', 'event_seq': 1, 'roles': 1}, {'case_id': 'C3', 'event_seq': 2, 'roles': 1}])")
    assert migrate(con)[0] == 101  # later migrations (0102…) follow it
    assert con.execute("SELECT period, version, object, CAST(reported_from AS VARCHAR) FROM marts.score_lineage_bound "
                       "ORDER BY ALL").fetchall() == [
        ("2026-09", 1, "department", "2026-08-20 09:30:00"), ("2026-09", 1, "region", "2026-09-03 08:00:00"),
        ("2026-09", 1, "supervisor", "2026-09-03 08:00:00"),
        ("2026-10", 1, "region", "2026-09-03 08:00:00"), ("2026-10", 1, "supervisor", "2026-07-01 10:00:00")]
