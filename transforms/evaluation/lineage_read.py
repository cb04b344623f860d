"""The cases behind one entity's score, read from a version's stored fact rows (lineage by derivation, 0100).

``marts.score_lineage`` derives one row per (entity, indicator, role, case) from each case's fact row and the
version's bit table: ≈ 30 rows per case, which a reader about one entity only groups again per case. Reading that
entity's fact rows directly — one per case (regions: the level's code column; departments: ``entity_code``) or the
person's events (posts) — and OR-ing each case's bits masked to the indicators asked for gives the same cases with
a fraction of the work (a 10 M-case year's largest district: ≈ 0.1 s instead of 2.5 s of CPU). Both the portal's
drill-down (usecases.scorecard_views.lineage) and ``szcg evaluate explain`` (store.explain) read through here.
Versions stored before 0100 have no bit table: their rows are read through the view as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from transforms.evaluation.indicators import REGION_LEVELS

# (SQL selecting (case_id, roles) of the entity's fact rows with period and version still to bind, its other params)
FactSource = tuple[str, list[Any]]
# one case of a page: its id, the indicators (keys, sorted) it counted in, whether it is in a numerator
CaseRow = tuple[str, list[str], bool]


@dataclass(frozen=True)
class RoleBits:
    """A version's (indicator, role) bits of one object, narrowed to one indicator if asked."""

    mask: int  # the bits the reader counts
    numerator: int  # those of them that are a numerator
    indicator_of: dict[int, str]  # bit → indicator


def role_bits(con: duckdb.DuckDBPyConnection, period: str, version: int, obj: str,
              indicator: str | None) -> RoleBits | None:
    """None for a version without a bit table: stored before migration 0100, its rows are in the legacy table (or,
    in a snapshot published before 0100, in the lineage table itself)."""
    try:
        found = con.execute("SELECT object, indicator, role, bit FROM marts.score_lineage_role "
                            "WHERE period = ? AND version = ?", [period, version]).fetchall()
    except duckdb.CatalogException:  # a snapshot published before migration 0100: only the lineage table
        return None
    if not found:
        return None
    mine = [(k, role, int(bit)) for o, k, role, bit in found if o == obj and (indicator is None or k == indicator)]
    return RoleBits(sum(1 << b for _, _, b in mine), sum(1 << b for _, role, b in mine if role == "numerator"),
                    {b: k for k, _, b in mine})


def fact_source(obj: str, level: str, entity: str) -> FactSource | None:
    """The entity's (case_id, roles) rows as the view's branch for the object and level selects them; None where
    the view has no branch (it yields no rows there)."""
    fact = "FROM marts.score_lineage_fact WHERE period = ? AND version = ? AND object = ?"
    if obj == "region" and level in REGION_LEVELS:  # the level names the column: never user text
        return f"SELECT case_id, roles {fact} AND {level}_code = ?", ["region", entity]
    if obj == "department" and level == "department":
        return f"SELECT case_id, roles {fact} AND entity_code = ?", ["department", entity]
    if obj not in ("region", "department") and level == obj:  # a post: its events
        return f"SELECT e.case_id, e.roles FROM (SELECT unnest(events) AS e {fact} AND entity_code = ?)", [obj, entity]
    return None


def _grouped(fact: FactSource, bits: RoleBits) -> str:
    """One row per case: its bits OR-ed over its rows (a post's events) and masked; cases with none left out."""
    return f"SELECT case_id, bit_or(roles & {bits.mask}) AS bits FROM ({fact[0]}) GROUP BY case_id HAVING bits <> 0"


@dataclass(frozen=True)
class CaseSlice:
    """Some of an entity's cases in case order (``rows``), and how many there are in all and in a numerator."""

    rows: list[CaseRow]
    total: int
    numerator_total: int


def cases_slice(con: duckdb.DuckDBPyConnection, period: str, version: int, fact: FactSource, bits: RoleBits,
                limit: int | None, offset: int = 0) -> CaseSlice:
    """The paging rule of every reader of the lineage: the entity's cases in case order, ``limit`` of them (None:
    all) from ``offset``, with the counts over all of them (also for a slice past the end)."""
    # the counts from one aggregate beside the slice (a filtered count as a window function over every row cost
    # seconds at 10 M); the LEFT JOIN keeps the counts' row when the slice is empty (past the end)
    found = con.execute(
        f"WITH g AS MATERIALIZED ({_grouped(fact, bits)}) "
        f"SELECT n.total, n.numerators, p.case_id, p.bits FROM (SELECT count(*) AS total, "
        f"count(*) FILTER (WHERE bits & {bits.numerator} <> 0) AS numerators FROM g) n "
        "LEFT JOIN (SELECT case_id, bits FROM g ORDER BY case_id LIMIT ? OFFSET ?) p ON TRUE ORDER BY p.case_id",
        [period, version, *fact[1], limit, offset]).fetchall()
    total, numerators = (int(found[0][0]), int(found[0][1])) if found else (0, 0)
    rows = [(str(c), sorted({k for b, k in bits.indicator_of.items() if int(m) >> b & 1}),
             bool(int(m) & bits.numerator)) for _, _, c, m in found if c is not None]
    return CaseSlice(rows, total, numerators)


def cases_page(con: duckdb.DuckDBPyConnection, period: str, version: int, fact: FactSource, bits: RoleBits,
               page: int, page_size: int) -> tuple[list[CaseRow], int]:
    """A page (from 1) of the entity's cases in case order, and how many there are."""
    found = cases_slice(con, period, version, fact, bits, page_size, (page - 1) * page_size)
    return found.rows, found.total


@dataclass(frozen=True)
class IndicatorCases:
    """Cases behind one indicator of one entity, in case order: a slice of them, and the counts over all."""

    numerator: list[str]  # the slice's cases in the indicator's numerator
    denominator_only: list[str]  # the slice's cases only in its denominator
    numerator_total: int
    denominator_only_total: int

    @property
    def total(self) -> int:
        return self.numerator_total + self.denominator_only_total

    @property
    def returned(self) -> int:
        return len(self.numerator) + len(self.denominator_only)


def indicator_case_slice(con: duckdb.DuckDBPyConnection, period: str, version: int, obj: str, level: str,
                         entity: str, indicator: str, limit: int | None, offset: int = 0) -> IndicatorCases:
    """``limit`` (None: every one) of the cases behind one indicator of one entity from ``offset``, by the paging
    rule of :func:`cases_slice`; versions stored before lineage by derivation through the view, the same way."""
    if limit is None and offset == 0:  # all of them: read as columns (indicator_cases)
        num, den_only = indicator_cases(con, period, version, obj, level, entity, indicator)
        return IndicatorCases(num, den_only, len(num), len(den_only))
    bits = role_bits(con, period, version, obj, indicator)
    fact = fact_source(obj, level, entity) if bits is not None else None
    if bits is not None and fact is not None:
        found = cases_slice(con, period, version, fact, bits, limit, offset)
        rows, total, numerators = [(c, n) for c, _, n in found.rows], found.total, found.numerator_total
    else:  # stored before lineage by derivation: the rows are the view's (the legacy table)
        everything = indicator_cases_from_view(con, period, version, obj, level, entity, indicator)
        rows = everything[offset:] if limit is None else everything[offset:offset + limit]
        total, numerators = len(everything), sum(n for _, n in everything)
    return IndicatorCases([c for c, n in rows if n], [c for c, n in rows if not n], numerators, total - numerators)


def indicator_cases(con: duckdb.DuckDBPyConnection, period: str, version: int, obj: str, level: str, entity: str,
                    indicator: str) -> tuple[list[str], list[str]]:
    """Every case behind one indicator of one entity, in case order: (in its numerator, only in its denominator)."""
    bits = role_bits(con, period, version, obj, indicator)
    fact = fact_source(obj, level, entity) if bits is not None else None
    if bits is not None and fact is not None:
        # columns, not row tuples: a district's indicator lists ≈ 440 k cases at 10 M, and building a tuple per row
        # cost as much CPU as the query
        found = con.execute(f"SELECT case_id, bits & {bits.numerator} <> 0 AS num FROM ({_grouped(fact, bits)}) "
                            "ORDER BY case_id", [period, version, *fact[1]]).fetchnumpy()
        ids, num = found["case_id"].tolist(), found["num"].tolist()
        return [c for c, n in zip(ids, num, strict=True) if n], [c for c, n in zip(ids, num, strict=True) if not n]
    # stored before lineage by derivation: the rows are the view's (the legacy table)
    cases = indicator_cases_from_view(con, period, version, obj, level, entity, indicator)
    return [c for c, n in cases if n], [c for c, n in cases if not n]


def indicator_cases_from_view(con: duckdb.DuckDBPyConnection, period: str, version: int, obj: str, level: str,
                              entity: str, indicator: str) -> list[tuple[str, bool]]:
    """(case, in its numerator) in case order through marts.score_lineage: any version, the legacy ones' only way."""
    found = con.execute(
        "SELECT case_id, bool_or(role = 'numerator') FROM marts.score_lineage WHERE period = ? AND version = ? "
        "AND object = ? AND level = ? AND entity_code = ? AND indicator = ? GROUP BY case_id ORDER BY case_id",
        [period, version, obj, level, entity, indicator]).fetchall()
    return [(str(c), bool(n)) for c, n in found]
