"""The warehouse's SQL models: every view, macro and derived-table query, one per file, recreated after migrations.

Layout (as dbt's jaffle_shop_duckdb: the folder is the layer, the file names the object)::

    warehouse/models/<layer>/<schema>.<name>.sql      layer = schema: core/ (rules of the core model), marts/

A file holds the model's body, not its DDL, and says how it is materialised in a header line (default ``view``)::

    -- materialized: view    a SELECT; created as ``CREATE OR REPLACE VIEW <schema>.<name> AS <body>``
    -- materialized: macro   ``(params) AS expr`` or ``(params) AS TABLE <select>``; ``CREATE OR REPLACE MACRO``
    -- materialized: table   a SELECT whose rows a mart builder writes into the table of that name before every
                             publish (the table itself is a migration's); read with :func:`table_model`

Bodies are Jinja templates rendered with :func:`template_context` (lists from the domain's vocabulary, quoted by the
``sql_list`` filter): values never come from a caller, so nothing a user sends is ever spliced into SQL here.

:func:`apply_models` runs after the migrations (``warehouse.migrate.migrate`` calls it): views and macros are created
in dependency order — derived from the names each body references (``marts.dash_area`` before the views reading it),
ties in name order, so the order is deterministic — in one transaction, and recorded with their checksums in
``meta.model``. When every checksum is unchanged and no migration ran, nothing is touched (a writer opens the
warehouse many times a run); otherwise all are recreated and models whose file is gone are dropped. Migrations keep
tables only: 0071 dropped the views 0040–0048 had created (those files stay as they were, byte for byte: the
migration checksums of existing warehouses must still match).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

import duckdb
import jinja2

from szcg.errors import ConfigError
from szcg.vocabulary import as_template_context, sql_list
from warehouse.transaction import transaction

Materialized = Literal["view", "macro", "table"]
LAYERS = ("core", "marts")
_FILE = re.compile(r"^([a-z_]+)\.([a-z0-9_]+)\.sql$")
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(\w+)\s*$", re.M)
_COMMENT = re.compile(r"--[^\n]*")
_REFERENCE = re.compile(r"\b(core|marts|staging|landing|meta)\.\"?([a-z0-9_]+)\b")


# --- the vocabulary the models are templated with: szcg.vocabulary's lists, one definition ----------------------
def template_context() -> dict[str, object]:
    return as_template_context()


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
_ENV.filters["sql_list"] = sql_list


# --- the models -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Model:
    name: str                 # schema.name
    path: str                 # warehouse/models/<layer>/<file>, for messages
    materialized: Materialized
    body: str                 # rendered

    @property
    def statement(self) -> str:
        if self.materialized == "view":
            return f"CREATE OR REPLACE VIEW {self.name} AS\n{self.body}"
        if self.materialized == "macro":
            return f"CREATE OR REPLACE MACRO {self.name}{self.body}"
        raise ValueError(f"{self.path}: a table model is written by its mart builder, not created")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(f"{self.materialized}\n{self.body}".encode()).hexdigest()

    def references(self) -> set[str]:
        return {f"{schema}.{name}" for schema, name in _REFERENCE.findall(_COMMENT.sub("", self.body))} - {self.name}


def render(path: str, text: str) -> str:
    try:
        return _ENV.from_string(text).render(template_context())
    except jinja2.TemplateError as exc:
        line = f" line {exc.lineno}" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise ConfigError(path, f"template{line}", str(exc)) from exc


def read_model(layer: str, entry: Traversable) -> Model:
    """One model file of ``layer`` (a folder entry: packaged, or a path in tests)."""
    path = f"warehouse/models/{layer}/{entry.name}"
    match = _FILE.match(entry.name)
    if not match:
        raise ConfigError(path, "file name", "expected <schema>.<name>.sql")
    if match.group(1) != layer:
        raise ConfigError(path, "file name", f"a model in {layer}/ must be in schema {layer}, not {match.group(1)}")
    text = entry.read_text(encoding="utf-8")
    declared = _MATERIALIZED.findall(text)
    kind: Materialized
    match declared:
        case [] | ["view"]:
            kind = "view"
        case ["macro"]:
            kind = "macro"
        case ["table"]:
            kind = "table"
        case _:
            raise ConfigError(path, "materialized", f"expected one of view, macro, table once; got {declared}")
    body = render(path, text).rstrip().rstrip(";").rstrip()
    return Model(f"{match.group(1)}.{match.group(2)}", path, kind, body)


@lru_cache(maxsize=1)
def _packaged_models() -> tuple[Model, ...]:
    root = resources.files("warehouse.models")
    found = [read_model(layer, entry) for layer in LAYERS for entry in root.joinpath(layer).iterdir()
             if entry.name.endswith(".sql")]
    return tuple(sorted(found, key=lambda m: m.name))


def available_models() -> list[Model]:
    return list(_packaged_models())


def table_model(name: str) -> str:
    """The SELECT of a table model (``marts.summary_case_month``): what its mart builder inserts."""
    for model in _packaged_models():
        if model.name == name and model.materialized == "table":
            return model.body
    raise KeyError(f"no table model {name} under warehouse/models")


def creation_order(models: Sequence[Model]) -> list[Model]:
    """Views and macros, each after the models it references; ties in name order. A cycle names its files."""
    created = {m.name: m for m in models if m.materialized != "table"}
    needs = {name: m.references() & created.keys() for name, m in created.items()}
    order: list[Model] = []
    while needs:
        ready = sorted(name for name, deps in needs.items() if not deps)
        if not ready:
            files = ", ".join(created[n].path for n in sorted(needs))
            raise ConfigError(files, "references", "the models reference each other in a cycle")
        for name in ready:
            order.append(created[name])
            del needs[name]
        for deps in needs.values():
            deps.difference_update(ready)
    return order


def _recorded(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("CREATE TABLE IF NOT EXISTS meta.model ("
                " name VARCHAR PRIMARY KEY, materialized VARCHAR NOT NULL, checksum VARCHAR NOT NULL)")
    rows = con.execute("SELECT name, materialized, checksum FROM meta.model").fetchall()
    return {str(n): (str(k), str(c)) for n, k, c in rows}


def forget_models(con: duckdb.DuckDBPyConnection) -> None:
    """Make the next :func:`apply_models` recreate every model (after a migration, which may have dropped any)."""
    _recorded(con)
    con.execute("DELETE FROM meta.model")


def apply_models(con: duckdb.DuckDBPyConnection, models: Sequence[Model] | None = None) -> list[str]:
    """Create or replace every view and macro in dependency order; returns the names created (empty: unchanged).

    A model DuckDB refuses (a syntax error, a column that does not exist) stops everything — nothing of this run is
    kept — with a ConfigError naming its file."""
    chosen = creation_order(list(models) if models is not None else available_models())
    recorded = _recorded(con)
    wanted = {m.name: (m.materialized, m.checksum) for m in chosen}
    if recorded == wanted:
        return []
    if any(m.materialized == "macro" for m in chosen):
        # a macro's body is bound when it is created, and the point-in-grid macros call DuckDB spatial
        from warehouse.duckdb_ext import load_spatial

        load_spatial(con)
    with transaction(con):
        for name, (kind, _) in sorted(recorded.items()):
            if name not in wanted:  # its file is gone
                con.execute(f"DROP {_drop_kind(con, name, kind)} IF EXISTS {name}")
        for model in chosen:
            try:
                con.execute(model.statement)
            except duckdb.Error as exc:
                raise ConfigError(model.path, model.name, f"{type(exc).__name__}: {exc}") from exc
        con.execute("DELETE FROM meta.model")
        con.executemany("INSERT INTO meta.model VALUES (?, ?, ?)",
                        [(m.name, m.materialized, m.checksum) for m in chosen])
    return [m.name for m in chosen]


def _drop_kind(con: duckdb.DuckDBPyConnection, name: str, materialized: str) -> str:
    if materialized == "view":
        return "VIEW"
    schema, _, function = name.partition(".")
    row = con.execute("SELECT function_type FROM duckdb_functions() WHERE schema_name = ? AND function_name = ?"
                      " LIMIT 1", [schema, function]).fetchone()
    return "MACRO TABLE" if row and str(row[0]) == "table_macro" else "MACRO"
