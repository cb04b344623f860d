"""Views and macros are models, one per file under warehouse/models/, recreated after the migrations (tables only)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from szcg.errors import ConfigError
from warehouse.migrate import apply_migrations, available_migrations, migrate
from warehouse.models import (
    Model,
    apply_models,
    available_models,
    creation_order,
    forget_models,
    read_model,
    table_model,
)


def _views(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT schema_name || '.' || view_name, sql FROM duckdb_views() "
                       "WHERE NOT internal AND NOT temporary").fetchall()
    return {str(n): str(s) for n, s in rows}


def _macros(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT DISTINCT schema_name || '.' || function_name, macro_definition FROM duckdb_functions() "
                       "WHERE function_type IN ('macro', 'table_macro') AND NOT internal "
                       "AND schema_name NOT IN ('pg_catalog', 'information_schema')").fetchall()
    return {str(n): str(s) for n, s in rows}


def _broken(tmp_path: Path, text: str, name: str = "marts.broken.sql") -> Model:
    folder = tmp_path / "marts"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return read_model("marts", folder / name)


def test_every_view_and_macro_of_a_fresh_warehouse_comes_from_exactly_one_model_file() -> None:
    con = duckdb.connect()
    migrate(con)
    models = available_models()
    names = [m.name for m in models]
    assert len(names) == len(set(names))
    assert set(_views(con)) == {m.name for m in models if m.materialized == "view"}
    assert set(_macros(con)) == {m.name for m in models if m.materialized == "macro"}
    assert {m.name for m in models if m.materialized == "table"} <= {
        r[0] for r in con.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables()").fetchall()}


def test_migrations_keep_tables_only() -> None:
    con = duckdb.connect()
    apply_migrations(con)
    assert _views(con) == {}
    assert _macros(con) == {}


def test_migrate_and_models_again_change_nothing() -> None:
    con = duckdb.connect()
    migrate(con)
    views, macros = _views(con), _macros(con)
    recorded = con.execute("SELECT * FROM meta.model ORDER BY ALL").fetchall()
    assert migrate(con) == []
    assert apply_models(con) == []  # unchanged checksums: nothing recreated
    forget_models(con)
    assert len(apply_models(con)) == len(views) + len(macros)  # recreated: the very same definitions
    assert (_views(con), _macros(con)) == (views, macros)
    assert con.execute("SELECT * FROM meta.model ORDER BY ALL").fetchall() == recorded


def test_a_warehouse_migrated_before_the_models_gets_them_with_its_old_checksums_intact() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.schema_migration (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " checksum VARCHAR NOT NULL)")
    for m in available_migrations():
        if m.version <= 70:  # as it stood: views defined by 0040–0048, some redefined by later ones
            con.execute(m.sql)
            con.execute("INSERT INTO meta.schema_migration VALUES (?, ?, ?)", [m.version, m.name, m.checksum])
    old = _views(con)
    assert "marts.dash_headline" in old
    assert migrate(con) == [m.version for m in available_migrations() if m.version > 70]
    fresh = duckdb.connect()
    migrate(fresh)
    assert _views(con) == _views(fresh)


def test_a_model_duckdb_refuses_fails_naming_its_file(tmp_path: Path) -> None:
    con = duckdb.connect()
    migrate(con)
    broken = _broken(tmp_path, "-- a typo\nSELEC code FROM marts.dash_area\n")
    with pytest.raises(ConfigError, match=r"warehouse/models/marts/marts\.broken\.sql: marts\.broken: .*syntax"):
        apply_models(con, [*available_models(), broken])
    # nothing of the failed run is kept
    assert "marts.broken" not in _views(con)
    assert apply_models(con) == []


def test_a_template_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"marts\.broken\.sql: template line 2"):
        _broken(tmp_path, "SELECT 1\nWHERE x IN {{ unregistered_states | sql_list }\n")
    with pytest.raises(ConfigError, match=r"marts\.broken\.sql: template: 'no_such_list' is undefined"):
        _broken(tmp_path, "SELECT 1 WHERE x IN {{ no_such_list | sql_list }}\n")


def test_a_file_in_the_wrong_layer_or_with_two_materialisations_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be in schema marts, not core"):
        _broken(tmp_path, "SELECT 1\n", "core.misplaced.sql")
    with pytest.raises(ConfigError, match="materialized"):
        _broken(tmp_path, "-- materialized: view\n-- materialized: table\nSELECT 1\n")


def test_models_are_created_after_what_they_read_and_a_cycle_names_the_files(tmp_path: Path) -> None:
    order = [m.name for m in creation_order(available_models())]
    assert order.index("marts.dash_area") < order.index("marts.dash_case") < order.index("marts.dash_score_case")
    assert order.index("marts.score_change") < order.index("marts.dash_score")
    assert order.index("core.point_in_grid") < order.index("core.grid_at")
    a = _broken(tmp_path, "SELECT * FROM marts.cycle_b\n", "marts.cycle_a.sql")
    b = _broken(tmp_path, "SELECT * FROM marts.cycle_a\n", "marts.cycle_b.sql")
    with pytest.raises(ConfigError, match=r"marts\.cycle_a\.sql, .*marts\.cycle_b\.sql: references: .*cycle"):
        creation_order([a, b])


def test_a_removed_model_file_drops_its_view() -> None:
    con = duckdb.connect()
    migrate(con)
    kept = [m for m in available_models() if m.name != "marts.dash_census_coverage"]
    apply_models(con, kept)
    assert "marts.dash_census_coverage" not in _views(con)
    apply_models(con)
    assert "marts.dash_census_coverage" in _views(con)


def test_the_vocabulary_is_templated_into_the_models() -> None:
    assert "h.satisfaction IN ('satisfied', 'basically_satisfied')" in next(
        m.body for m in available_models() if m.name == "marts.dash_hotline_call")
    # 立案 is not a status list: one table model says it (tests/warehouse/test_one_meaning_of_register.py)
    assert "marts.case_registration" in next(m.body for m in available_models() if m.name == "marts.dash_case")
    assert "marts.case_registration" in table_model("marts.summary_case_month")
