"""Migration 0050 takes the PRIMARY KEY/UNIQUE constraints off core.case and core.case_event (their ART indexes
did not fit a 10 M-case load) and keeps every column, type, NOT NULL and row as it was."""

from __future__ import annotations

import duckdb

from warehouse.migrate import available_migrations, migrate

COLUMNS = ("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
           " WHERE table_schema = 'core' AND table_name IN ('case', 'case_event')"
           " ORDER BY table_name, ordinal_position")


def test_migration_0050_drops_the_keys_and_keeps_columns_and_rows() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.schema_migration (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " checksum VARCHAR NOT NULL)")
    for m in available_migrations():  # the schema as it was before 0050, with data in it
        if m.version >= 50:
            break
        con.execute(m.sql)
        con.execute("INSERT INTO meta.schema_migration VALUES (?, ?, ?)", [m.version, m.name, m.checksum])
    con.execute("INSERT INTO core.\"case\" (case_id, origin_system, origin_case_id, source, reported_at, status,"
                " batch_id, flags, area_method) VALUES ('legacy:1', 'legacy', '1', 'other',"
                " TIMESTAMP '2026-03-02 09:00', 'closed', 'b1', ['missing_deadline'], 'none')")
    con.execute("INSERT INTO core.case_event (case_id, seq, event_id, action, occurred_at, origin_system, batch_id,"
                " step) VALUES ('legacy:1', 1, '1:report', 'report', TIMESTAMP '2026-03-02 09:00', 'legacy', 'b1',"
                " NULL)")
    columns = con.execute(COLUMNS).fetchall()
    rows = (con.execute('SELECT * FROM core."case"').fetchall(),
            con.execute("SELECT * FROM core.case_event").fetchall())
    assert 50 in migrate(con)
    # core.case_event is a view since 0102 (its columns read as nullable): the NOT NULLs are the stored table's
    assert con.execute(COLUMNS.replace("'case_event'", "'case_event_row'")).fetchall() == [
        (t.replace("case_event", "case_event_row"), *rest) for t, *rest in columns]
    assert [r[:3] for r in con.execute(COLUMNS).fetchall()] == [r[:3] for r in columns]
    assert (con.execute('SELECT * FROM core."case"').fetchall(),
            con.execute("SELECT * FROM core.case_event").fetchall()) == rows
    keys = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE schema_name = 'core'"
                       " AND table_name IN ('case', 'case_event') AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
                       ).fetchone()
    assert keys == (0,)
    assert con.execute("SELECT count(*) FROM marts.dash_case").fetchone() == (1,)  # views over them still bind
