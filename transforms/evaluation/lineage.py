"""Lineage by derivation: what each case contributed to a scorecard, stored once; the cases behind a score derived.

Every (indicator, role) pair of an object gets a bit (``roles()``: the catalogue's order, so the same code gives the
same bits; each version stores its own bit table, so a later catalogue never re-reads a frozen version). The run
writes ``eval_lineage_fact``:

* 区域: one row per cohort case with its four area codes and the bits of the pairs it counts in;
* 专业部门: one row per (case, department) fact row, with its bits;
* 岗位: one row per person (object, actor) with the events they are judged on as a list of (case, seq, bits).

A pair's condition is the one the aggregate counts (indicators.py): a count's numerator; a rate's numerator (within
its denominator) and denominator; a mean's rows in both roles — with the appeal exclusions applied, so the bits are
exactly the rows the materialised lineage had. ``eval_lineage`` (11_lineage.sql) and the warehouse view
marts.score_lineage expand the bits back into one row per (entity, indicator, role, case[, event]).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from transforms.evaluation.indicators import OBJECTS, Indicator, indicators_of
from transforms.evaluation.params import Params

POST_OBJECTS: tuple[str, ...] = tuple(o for o in OBJECTS if o not in ("region", "department"))
MAX_BIT = 62  # roles is a BIGINT: bits 0..62 keep it positive


@dataclass(frozen=True)
class Role:
    object: str
    indicator: str
    role: str  # numerator | denominator
    bit: int
    condition: str  # SQL boolean over the object's fact row


def _conditions(ind: Indicator) -> list[tuple[str, str]]:
    """(role, condition) of an indicator, as the aggregate counts it."""
    if ind.kind == "count":
        return [("numerator", f"({ind.numerator})")]
    if ind.kind == "rate":
        return [("numerator", f"({ind.numerator}) AND ({ind.denominator})"), ("denominator", f"({ind.denominator})")]
    return [("numerator", f"({ind.denominator})"), ("denominator", f"({ind.denominator})")]


def roles() -> list[Role]:
    """Every (object, indicator, role) with its bit within the object."""
    out: list[Role] = []
    for obj in OBJECTS:
        pairs = [(ind.key, role, cond) for ind in indicators_of(obj) for role, cond in _conditions(ind)]
        if len(pairs) > MAX_BIT + 1:
            raise ValueError(f"{obj}: {len(pairs)} lineage roles do not fit in a BIGINT bit mask")
        out += [Role(obj, key, role, bit, cond) for bit, (key, role, cond) in enumerate(pairs)]
    return out


def _mask(obj: str, exclusions: bool, p: Params) -> str:
    """The object's roles bit mask of a fact row: one CASE per (indicator, role), summed (bits are distinct)."""
    terms = []
    for r in roles():
        if r.object != obj:
            continue
        keep = f" AND NOT eval_excluded(excluded, {p(r.indicator)})" if exclusions else ""
        terms.append(f"CASE WHEN {r.condition}{keep} THEN CAST({1 << r.bit} AS BIGINT) ELSE 0 END")
    return "(" + " + ".join(terms) + ")"


def fact_sql(exclusions: bool = True) -> tuple[str, dict[str, object]]:
    """eval_lineage_fact from the run's fact tables (eval_post_fact is read once: a view); (statement, params)."""
    p = Params()
    no_codes = "CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)"
    post_mask = " ".join(f"WHEN {p(obj)} THEN {_mask(obj, exclusions, p)}" for obj in POST_OBJECTS)
    sql = f"""
CREATE OR REPLACE TEMP TABLE eval_lineage_fact AS
SELECT * FROM (
    SELECT {p('region')} AS object, CAST(NULL AS VARCHAR) AS entity_code, case_id, district_code, street_code,
           community_code, grid_code, {_mask('region', exclusions, p)} AS roles,
           CAST(NULL AS STRUCT(case_id VARCHAR, event_seq INTEGER, roles BIGINT)[]) AS events
    FROM eval_case_fact
    UNION ALL
    SELECT {p('department')}, department_code, case_id, {no_codes}, {_mask('department', exclusions, p)}, NULL
    FROM eval_department_fact
) WHERE roles <> 0
UNION ALL
SELECT object, actor_id, CAST(NULL AS VARCHAR), {no_codes}, CAST(NULL AS BIGINT),
       list({{'case_id': case_id, 'event_seq': CAST(seq AS INTEGER), 'roles': roles}})
FROM (SELECT object, actor_id, case_id, seq, CASE object {post_mask} ELSE 0 END AS roles FROM eval_post_fact)
WHERE roles <> 0
GROUP BY object, actor_id"""
    return sql, p.values


def load_roles(con: duckdb.DuckDBPyConnection) -> None:
    """eval_lineage_role(object, indicator, role, bit): what each bit of a roles mask means."""
    con.execute("CREATE OR REPLACE TEMP TABLE eval_lineage_role "
                "(object VARCHAR, indicator VARCHAR, role VARCHAR, bit INTEGER)")
    con.executemany("INSERT INTO eval_lineage_role VALUES (?, ?, ?, ?)",
                    [(r.object, r.indicator, r.role, r.bit) for r in roles()])
