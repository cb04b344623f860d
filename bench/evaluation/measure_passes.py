"""Measure before building: what fewer passes over the events could take off the month (issue 23, fifth pass).

    python bench/evaluation/measure_passes.py --db /tmp/eval-10m.duckdb [--period 2026-06] [--repeat 3] [--only a,b]

Runs ``engine.run`` once (no lineage) for its temp tables and macros, then times each statement below — the ones
the engine runs now and the candidates that would replace them — alternately, ``--repeat`` times each, and prints
CPU seconds (min / median) and the shortest wall time. The file is opened read-only; run it under the bench lock.
The candidates are measurements only (results are not checked); the engine's statements are rendered from its own
models (``engine.sql_model``), so they stay what the engine runs.

* ``case_summary``: 01 as the engine runs it (written to another name).
* ``post_cells``: 06 as a view and the post cells grouped from it (eval_post_cell), as without lineage.
* ``post_cells_from_table``: the same with 06's selected events read from a temp table built beforehand: what
  sharing the post pass's scan (and its role/action filter) with another pass could save at most.
* ``subset``: 02 (the subset scan, the slow events), as the engine runs it.
* ``subset_from_table``: 02 reading a temp table of the window's events of the kinds it reads, built beforehand;
  ``subset_kinds_write``: writing that table — what folding the subset scan into the case pass would cost.
* ``fused``: one aggregate of the history window's events grouped by (case, the post event's keys or NULL): each
  group's partial case aggregates and post counts, written once; the case summary re-aggregated from it by case;
  the post cells from its post rows joined with the case summary.
* ``post_cells_window``: the post cells without the join: the case's bits and latest 核实 as window aggregates
  over its events (no 回退 list, no public bit: a lower bound of that way).
* ``post_cells_no_join``: the post cells grouped straight from the selected events, the case's columns constants:
  a lower bound of the post judgements stored on the events at load (the load's cost not counted).
* ``case_fact_table`` / ``case_fact_view``: 04 as a table or as a view, then 05 as a view, the indicator aggregate
  and availability — everything that reads the case fact without lineage.
* ``run`` / ``run_case_fact_view``: the whole ``engine.run`` of the period, with eval_case_fact a table (main) or
  a view like the other facts without lineage.

Sixth pass (e27; ``--check`` also prints the share of bit-0 events and compares every ``x_sum_*`` table, and the
narrow post cells, with the engine's own):

* ``summary_having_hand`` / ``summary_having_plain``: 01 as the engine runs a month (scope 'having'), hand-written,
  with its FILTERed aggregates or with plain aggregates over ``CASE … END`` (NULL where the filter is false).
* ``summary_having_nonzero_lb``: the same without the events whose bit is 0 (a lower bound: rows not kept right).
* ``summary_zero_scope``: bit-0 events out of the aggregate, the cases that have only such events in the window
  from a DISTINCT of those events (a FULL JOIN): the same rows.
* ``summary_hand`` / ``summary_plain`` / ``summary_nonzero`` / ``summary_nonzero_plain`` /
  ``summary_nonzero_nosemi``: the 'window' scope (a semi join with the window's cases), likewise.
* ``agg_bit_or`` / ``agg_bit_or_nonzero`` / ``agg_all`` / ``agg_all_nonzero`` / ``agg_all_window`` /
  ``agg_all_threads_1``: the case pass's aggregate alone (no case join), with bit_or only or all ten aggregates,
  over the history window's events, its non-zero ones, or the window's only; on one thread.
* ``post_cells_narrow``: 06's join built only on the cases whose post columns are not the usual ones.
* ``run_lookback_N``: the whole run with ``history_lookback`` N days; ``run_lookback_0_no_early``: 0 days with the
  early-history pass skipped (a lower bound: wrong rows for the early cases); ``run_threads_1``: on one thread.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from standards.calendar import load_calendar  # noqa: E402
from standards.city import packaged_city  # noqa: E402
from transforms.evaluation import engine  # noqa: E402
from transforms.evaluation.availability import build_availability  # noqa: E402
from transforms.evaluation.period import parse_period  # noqa: E402
from transforms.evaluation.scheme import load_scheme  # noqa: E402

KEEP_BUILD = engine.KEEP_BUILD_SIDE
# 06's selection of the events a post is judged on (the same MAPs), over core.case_event e
POST_SELECTED = """e.occurred_at >= getvariable('eval_start') AND e.occurred_at < getvariable('eval_window_end')
    AND e.actor_id IS NOT NULL
    AND (coalesce(MAP {'report': 1, 'verify': 1, 'check': 1, 'rework': 1, 'reject': 1 | 4, 'accept': 2,
                       'register': 4, 'close': 4, 'dispatch': 8}[e.action], 0)
         | coalesce(MAP {'send_check': 2}[e.outcome], 0))
        & coalesce(MAP {'supervisor': 1, 'operator': 2, 'shift_leader': 4, 'dispatcher': 8}[e.actor_role], 0) <> 0"""
IN_WINDOW = "e.occurred_at >= getvariable('eval_start') AND e.occurred_at < getvariable('eval_window_end')"
IN_HISTORY = "e.occurred_at >= getvariable('eval_history_from') AND e.occurred_at < getvariable('eval_as_of')"
# The case summary's aggregates as 01_case_summary.sql writes them (the candidates restate them: measured
# variants of that statement).
SUMMARY_FILTERED_AGGS = """min(occurred_at) FILTER (WHERE bit & 1 <> 0) AS registered_at,
        min(occurred_at) FILTER (WHERE bit & 16 <> 0) AS first_dispatch_at,
        max(occurred_at) FILTER (WHERE bit & 32 <> 0) AS last_feedback_at,
        max(seq) FILTER (WHERE bit & 16384 <> 0) AS last_verify_seq,
        count(*) FILTER (WHERE bit & 16 <> 0) AS n_dispatch,
        max(seq) FILTER (WHERE bit & 16 <> 0) AS dispatch_seq,
        max(department_code) FILTER (WHERE bit & 16 <> 0) AS dispatch_dept,
        min(seq) FILTER (WHERE bit & (512 | 64 | 256 | 1024 | 2048 | 8) <> 0) AS first_after_seq,
        max(overdue_multiple) FILTER (WHERE bit & 128 <> 0) AS late_multiple"""
FUSED_PARTIALS = f"""CREATE OR REPLACE TEMP TABLE x_partial AS
WITH flagged AS (
    SELECT e.case_id, e.seq, e.occurred_at, e.department_code, e.overdue_multiple, e.action, e.actor_id,
        e.actor_role, e.outcome, e.deadline_met,
        eval_event_bit(e.action, e.outcome, e.actor_role, e.deadline_met)
            + CASE WHEN {IN_WINDOW} THEN 4096 ELSE 0 END AS bit,
        {POST_SELECTED} AS is_post
    FROM core.case_event e SEMI JOIN (SELECT DISTINCT case_id FROM core.case_event e WHERE {IN_WINDOW}) scope
        USING (case_id)
    WHERE {IN_HISTORY}
)
SELECT case_id,
    CASE WHEN is_post THEN actor_id END AS actor_id, CASE WHEN is_post THEN actor_role END AS object,
    CASE WHEN is_post THEN action END AS action, CASE WHEN is_post THEN outcome END AS outcome,
    CASE WHEN is_post THEN deadline_met END AS deadline_met,
    bit_or(bit) AS bits,
    {SUMMARY_FILTERED_AGGS},
    count(*) FILTER (WHERE is_post) AS n_post,
    max(seq) FILTER (WHERE is_post) AS post_seq
FROM flagged
GROUP BY ALL"""
FUSED_SUMMARY = """CREATE OR REPLACE TEMP TABLE x_fused_summary AS
WITH per_case AS (
    SELECT case_id, bit_or(bits) & 8191 AS bits, min(registered_at) AS registered_at,
        min(first_dispatch_at) AS first_dispatch_at, max(last_feedback_at) AS last_feedback_at,
        max(last_verify_seq) AS last_verify_seq, sum(n_dispatch) AS n_dispatch, max(dispatch_seq) AS dispatch_seq,
        max(dispatch_dept) AS dispatch_dept, min(first_after_seq) AS first_after_seq,
        max(late_multiple) AS late_multiple
    FROM x_partial
    GROUP BY case_id
)
SELECT p.* REPLACE (p.bits | CASE WHEN list_contains(getvariable('eval_public_sources'), c.source) THEN 32768
        ELSE 0 END AS bits), c.district_code, c.street_code, c.community_code, c.grid_code, c.kind, c.subclass_code,
    c.reported_at
FROM per_case p
LEFT JOIN core."case" c ON c.case_id = p.case_id AND c.reported_at >= getvariable('eval_history_from')
    AND c.reported_at < getvariable('eval_report_until')"""
FUSED_CELLS = """CREATE OR REPLACE TEMP TABLE x_fused_cell AS
SELECT p.object, p.actor_id, p.action, p.outcome, p.deadline_met, s.bits & (1 | 2 | 4 | 32768) AS case_bits,
    coalesce(s.last_verify_seq > p.post_seq, false) AS verified_later,
    p.action = 'dispatch' AND s.bits & 512 <> 0 AS returned,
    eval_act(p.action, p.outcome, p.object) AS act, sum(p.n_post) AS n
FROM x_partial p
LEFT JOIN x_fused_summary s ON s.case_id = p.case_id
WHERE p.n_post > 0
GROUP BY ALL"""
POST_CELLS_WINDOW = f"""CREATE OR REPLACE TEMP TABLE x_window_cell AS
WITH flagged AS (
    SELECT e.case_id, e.seq, e.action, e.actor_id, e.actor_role, e.outcome, e.deadline_met,
        eval_event_bit(e.action, e.outcome, e.actor_role, e.deadline_met) AS bit, {POST_SELECTED} AS is_post
    FROM core.case_event e
    WHERE {IN_HISTORY}
), per_event AS (
    SELECT *, bit_or(bit) OVER (PARTITION BY case_id) AS case_bits,
        max(seq) FILTER (WHERE bit & 16384 <> 0) OVER (PARTITION BY case_id) AS last_verify_seq
    FROM flagged
)
SELECT actor_role AS object, actor_id, action, outcome, deadline_met, case_bits & (1 | 2 | 4) AS case_bits,
    coalesce(last_verify_seq > seq, false) AS verified_later, action = 'dispatch' AND case_bits & 512 <> 0 AS returned,
    eval_act(action, outcome, actor_role) AS act, count(*) AS n
FROM per_event
WHERE is_post
GROUP BY ALL"""
# the post cells if the event carried its case's judgements (stored at load, say): a group-by without the join —
# here the case columns are constants, so this is a lower bound of that way (the load's own cost not counted)
POST_CELLS_NO_JOIN = f"""CREATE OR REPLACE TEMP TABLE x_nojoin_cell AS
SELECT e.actor_role AS object, e.actor_id, e.action, e.outcome, e.deadline_met, 1 AS case_bits,
    false AS verified_later, false AS returned, eval_act(e.action, e.outcome, e.actor_role) AS act, count(*) AS n
FROM core.case_event e
WHERE {POST_SELECTED}
GROUP BY ALL"""
SUBSET_KINDS = """CREATE OR REPLACE TEMP TABLE x_subset_kinds AS
SELECT e.case_id, e.seq, e.action, e.outcome, e.actor_role, e.occurred_at, e.department_code, e.deadline_met,
    e.overdue_multiple, e.deadline_at, e.step
FROM core.case_event e
WHERE e.occurred_at >= getvariable('eval_lower') AND e.occurred_at < getvariable('eval_as_of')
  AND eval_subset_kind(e.action)"""

# e27 (sixth pass): the case summary with the events whose bit is 0 (report, accept, a passed check, requests and
# denials…) left out of its aggregate — they only put the case in scope and set 4096, which every case of the
# 'window' scope has; the scope's own DISTINCT case ids keep the cases that have only such events (their columns
# NULL, n_dispatch 0). {agg} is the aggregate list: FILTERed (as 01) or plain aggregates over NULLs.
SUMMARY_PLAIN_AGGS = """min(CASE WHEN bit & 1 <> 0 THEN occurred_at END) AS registered_at,
        min(CASE WHEN bit & 16 <> 0 THEN occurred_at END) AS first_dispatch_at,
        max(CASE WHEN bit & 32 <> 0 THEN occurred_at END) AS last_feedback_at,
        max(CASE WHEN bit & 16384 <> 0 THEN seq END) AS last_verify_seq,
        count(CASE WHEN bit & 16 <> 0 THEN 1 END) AS n_dispatch,
        max(CASE WHEN bit & 16 <> 0 THEN seq END) AS dispatch_seq,
        max(CASE WHEN bit & 16 <> 0 THEN department_code END) AS dispatch_dept,
        min(CASE WHEN bit & (512 | 64 | 256 | 1024 | 2048 | 8) <> 0 THEN seq END) AS first_after_seq,
        max(CASE WHEN bit & 128 <> 0 THEN overdue_multiple END) AS late_multiple"""
SUMMARY_TAIL = """
SELECT {case_id},
    {bits} | CASE WHEN list_contains(getvariable('eval_public_sources'), c.source) THEN 32768 ELSE 0 END AS bits,
    p.registered_at, p.first_dispatch_at, p.last_feedback_at, p.last_verify_seq, {n_dispatch} AS n_dispatch,
    p.dispatch_seq, p.dispatch_dept, p.first_after_seq, p.late_multiple, c.district_code, c.street_code,
    c.community_code, c.grid_code, c.kind, c.subclass_code, c.reported_at
FROM {source}
LEFT JOIN core."case" c ON c.case_id = {case_id} AND c.reported_at >= getvariable('eval_history_from')
    AND c.reported_at < getvariable('eval_report_until')"""
EVENT_BIT = "eval_event_bit(e.action, e.outcome, e.actor_role, e.deadline_met)"
SCOPE = f"SELECT DISTINCT case_id FROM core.case_event e WHERE {IN_WINDOW}"


def summary_variant(name: str, aggs: str, nonzero: bool, semi: bool = True) -> str:
    """The case summary as 01 writes it (scope 'window'), with ``aggs``; ``nonzero``: bit-0 events left out,
    the cases in scope from the window's DISTINCT case ids (``semi``: the events semi-joined with them first,
    else every non-zero history event aggregated and the groups joined with the scope)."""
    if not nonzero:
        return f"""CREATE OR REPLACE TEMP TABLE {name} AS
WITH flagged AS (
    SELECT e.case_id, e.seq, e.occurred_at, e.department_code, e.overdue_multiple,
        {EVENT_BIT} + CASE WHEN {IN_WINDOW} THEN 4096 ELSE 0 END AS bit
    FROM core.case_event e SEMI JOIN ({SCOPE}) scope USING (case_id)
    WHERE {IN_HISTORY}
), per_case AS (
    SELECT case_id, bit_or(bit) & 8191 AS bits, {aggs}
    FROM flagged GROUP BY case_id
)""" + SUMMARY_TAIL.format(case_id="p.case_id", bits="p.bits", n_dispatch="p.n_dispatch", source="per_case p")
    join = "SEMI JOIN scope USING (case_id)" if semi else ""
    return f"""CREATE OR REPLACE TEMP TABLE {name} AS
WITH scope AS MATERIALIZED ({SCOPE}), flagged AS (
    SELECT e.case_id, e.seq, e.occurred_at, e.department_code, e.overdue_multiple, {EVENT_BIT} AS bit
    FROM core.case_event e {join}
    WHERE {IN_HISTORY} AND {EVENT_BIT} <> 0
), per_case AS (
    SELECT case_id, bit_or(bit) & 8191 AS bits, {aggs}
    FROM flagged GROUP BY case_id
)""" + SUMMARY_TAIL.format(case_id="scope.case_id", bits="(coalesce(p.bits, 0) | 4096)",
                           n_dispatch="coalesce(p.n_dispatch, 0)",
                           source="scope LEFT JOIN per_case p USING (case_id)")


def summary_having(name: str, aggs: str, where: str = "") -> str:
    """01 as the engine runs it on a month (scope 'having': the window holds most of the history's events) with
    ``aggs``; ``where``: a further condition on the events (a lower bound when it drops rows)."""
    return f"""CREATE OR REPLACE TEMP TABLE {name} AS
WITH flagged AS (
    SELECT e.case_id, e.seq, e.occurred_at, e.department_code, e.overdue_multiple,
        {EVENT_BIT} + CASE WHEN {IN_WINDOW} THEN 4096 ELSE 0 END AS bit
    FROM core.case_event e
    WHERE {IN_HISTORY} {where}
), per_case AS (
    SELECT case_id, bit_or(bit) & 8191 AS bits, {aggs}
    FROM flagged GROUP BY case_id HAVING bit_or(bit) & 4096 <> 0
)""" + SUMMARY_TAIL.format(case_id="p.case_id", bits="p.bits", n_dispatch="p.n_dispatch", source="per_case p")


def aggregate_only(name: str, aggs: str, where: str = "") -> str:
    """The case pass's aggregate alone (no case join, groups not filtered by scope): ``aggs`` beside bit_or over the
    history window's events (``where``: fewer events) — how its cost splits between events, groups and aggregates."""
    return f"""CREATE OR REPLACE TEMP TABLE {name} AS
SELECT case_id, bit_or(bit) AS bits{aggs}
FROM (SELECT e.case_id, e.seq, e.occurred_at, e.department_code, e.overdue_multiple,
        {EVENT_BIT} + CASE WHEN {IN_WINDOW} THEN 4096 ELSE 0 END AS bit
      FROM core.case_event e WHERE {IN_HISTORY} {where})
GROUP BY case_id"""


def summary_zero_scope(name: str) -> str:
    """The case summary without bit-0 events in its aggregate: the cases in scope are those with a non-zero event in
    the window (4096 in the aggregate) and those with a bit-0 event there (a DISTINCT of those events only)."""
    return f"""CREATE OR REPLACE TEMP TABLE {name} AS
WITH flagged AS (
    SELECT e.case_id, e.seq, e.occurred_at, e.department_code, e.overdue_multiple,
        {EVENT_BIT} + CASE WHEN {IN_WINDOW} THEN 4096 ELSE 0 END AS bit
    FROM core.case_event e
    WHERE {IN_HISTORY} AND {EVENT_BIT} <> 0
), per_case AS (
    SELECT case_id, bit_or(bit) & 8191 AS bits, {SUMMARY_FILTERED_AGGS}
    FROM flagged GROUP BY case_id
), zero AS (
    SELECT DISTINCT case_id FROM core.case_event e WHERE {IN_WINDOW} AND {EVENT_BIT} = 0
), joined AS (
    SELECT coalesce(p.case_id, z.case_id) AS case_id, coalesce(p.bits, 0) | 4096 AS bits,
        p.* EXCLUDE (case_id, bits, n_dispatch), coalesce(p.n_dispatch, 0) AS n_dispatch
    FROM per_case p FULL JOIN zero z ON z.case_id = p.case_id
    WHERE p.bits & 4096 <> 0 OR z.case_id IS NOT NULL
)""" + SUMMARY_TAIL.format(case_id="p.case_id", bits="p.bits", n_dispatch="p.n_dispatch", source="joined p")


BIT_SHARE = f"""SELECT count(*) AS history_events, count(*) FILTER (WHERE {EVENT_BIT} = 0) AS bit_zero,
    count(*) FILTER (WHERE {EVENT_BIT} = 0 AND {IN_WINDOW}) AS bit_zero_in_window
FROM core.case_event e SEMI JOIN ({SCOPE}) scope USING (case_id) WHERE {IN_HISTORY}"""


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) < 1:
        raise ValueError(f"not in the model: {old!r}")
    return text.replace(old, new)


@contextmanager
def _case_fact_view() -> Iterator[None]:
    """engine.run with eval_case_fact a view when lineage is off (the candidate), restored afterwards."""
    before = engine.VIEW_WITHOUT_LINEAGE
    engine.VIEW_WITHOUT_LINEAGE = (*before, "eval_case_fact")
    try:
        yield
    finally:
        engine.VIEW_WITHOUT_LINEAGE = before


def _without_early(run: Callable[[], object]) -> None:
    """``run`` with the early-history pass skipped: wrong rows for the cases reported before the bound — a lower
    bound of a shorter lookback whose early cases cost nothing."""
    before = engine._early_history
    engine._early_history = lambda con: 0  # type: ignore[assignment]
    try:
        run()
    finally:
        engine._early_history = before


def statements(
    con: duckdb.DuckDBPyConnection, run: Callable[[], object],
    run_lookback: Callable[[timedelta], object] = lambda _: None,
) -> dict[str, Callable[[], object]]:
    """The timed variants (see the module's docstring), over the temp state of one engine run on ``con``."""

    def ex(sql: str, keep_build: bool = False) -> None:
        con.execute("SET disabled_optimizers = $1", [KEEP_BUILD if keep_build else ""])
        con.execute(sql)

    summary_sql = engine._case_summary_sql(con)
    summary = _replace_once(summary_sql, "TEMP TABLE eval_case_summary AS", "TEMP TABLE x_case_summary AS")
    post_base = _replace_once(engine.sql_model("06_post_base.sql", exclusions=False, relation="TEMP VIEW"),
                              "eval_post_base", "x_post_base")
    # e27: the post join's build side only the cases whose columns are not the usual ones (立案 by the cut-off, not
    # 作废/不予立案/公众举报, no 核实, no 回退): a case not found there reads those
    post_base_narrow = _replace_once(
        _replace_once(
            _replace_once(
                post_base,
                ") k USING (case_id)\n) s ON",
                ") k USING (case_id)\n    WHERE NOT (s.bits & (1 | 2 | 4 | 32768 | 512) = 1 "
                "AND s.last_verify_seq IS NULL)\n) s ON",
            ),
            "s.bits & (1 | 2 | 4 | 32768) AS case_bits",
            "CASE WHEN ev.reads_case THEN coalesce(s.bits & (1 | 2 | 4 | 32768), 1) END AS case_bits",
        ),
        "ev.action = 'dispatch' AND s.bits & 512 <> 0 AND NOT coalesce(list_contains(s.kept_dispatch_seqs, ev.seq), "
        "false)\n        AS returned",
        "coalesce(ev.action = 'dispatch' AND s.bits & 512 <> 0 AND NOT coalesce(list_contains(s.kept_dispatch_seqs, "
        "ev.seq), false), false)\n        AS returned",
    )
    cells = _replace_once(_replace_once(engine.post_cell_sql(False), "eval_post_base", "x_post_base"),
                          "eval_post_cell", "x_post_cell")
    selected = post_base.split("WITH ev AS (", 1)[1].split("\n)\nSELECT", 1)[0]
    ex("CREATE OR REPLACE TEMP TABLE x_post_selected AS " + selected)
    post_base_table = _replace_once(
        "CREATE OR REPLACE TEMP VIEW x_post_base_t AS SELECT" + post_base.split("\n)\nSELECT", 1)[1],
        "FROM ev\n", "FROM x_post_selected ev\n")
    cells_table = _replace_once(cells, "x_post_base", "x_post_base_t")
    subset = engine.sql_model("02_slow_event.sql")
    ex(SUBSET_KINDS)
    subset_table = _replace_once(subset, "FROM core.case_event e\nJOIN eval_case_subset k",
                                 "FROM x_subset_kinds e\nJOIN eval_case_subset k")
    fact = {rel: engine.sql_model("04_case_fact.sql", exclusions=False, relation=rel)
            for rel in ("TEMP TABLE", "TEMP VIEW")}
    department = engine.sql_model("05_department_fact.sql", exclusions=False, relation="TEMP VIEW")
    indicators = engine.indicator_sql(False)

    def fact_and_readers(relation: str) -> None:
        engine._drop_relation(con, "eval_case_fact")
        ex(fact[relation])
        ex(department)
        con.execute(*indicators)
        build_availability(con)

    def on_one_thread(step: Callable[[], object]) -> None:
        con.execute("SET threads = 1")
        try:
            step()
        finally:
            con.execute("SET threads = 2")

    def post_cells_narrow() -> None:
        ex(post_base_narrow)
        ex(cells, True)

    def run_case_fact_view() -> None:
        with _case_fact_view():
            engine._drop_relation(con, "eval_case_fact")
            run()
        engine._drop_relation(con, "eval_case_fact")

    return {
        "case_summary": lambda: ex(summary),
        "post_cells": lambda: (ex(post_base), ex(cells, True)),
        "post_cells_from_table": lambda: (ex(post_base_table), ex(cells_table, True)),
        "subset": lambda: ex(subset),
        "subset_from_table": lambda: ex(subset_table),
        "subset_kinds_write": lambda: ex(SUBSET_KINDS),
        "fused": lambda: (ex(FUSED_PARTIALS), ex(FUSED_SUMMARY), ex(FUSED_CELLS, True)),
        "post_cells_window": lambda: ex(POST_CELLS_WINDOW),
        "post_cells_no_join": lambda: ex(POST_CELLS_NO_JOIN),
        "case_fact_table": lambda: fact_and_readers("TEMP TABLE"),
        "case_fact_view": lambda: fact_and_readers("TEMP VIEW"),
        "summary_having_hand": lambda: ex(summary_having("x_sum_having", SUMMARY_FILTERED_AGGS)),
        "summary_having_plain": lambda: ex(summary_having("x_sum_having_plain", SUMMARY_PLAIN_AGGS)),
        "summary_having_nonzero_lb": lambda: ex(
            summary_having("x_lb_having_nz", SUMMARY_FILTERED_AGGS, f"AND {EVENT_BIT} <> 0")
        ),
        "agg_bit_or": lambda: ex(aggregate_only("x_agg", "")),
        "agg_bit_or_nonzero": lambda: ex(aggregate_only("x_agg", "", f"AND {EVENT_BIT} <> 0")),
        "agg_all": lambda: ex(aggregate_only("x_agg", ", " + SUMMARY_FILTERED_AGGS)),
        "agg_all_nonzero": lambda: ex(aggregate_only("x_agg", ", " + SUMMARY_FILTERED_AGGS, f"AND {EVENT_BIT} <> 0")),
        "agg_all_window": lambda: ex(aggregate_only("x_agg", ", " + SUMMARY_FILTERED_AGGS, f"AND {IN_WINDOW}")),
        "summary_zero_scope": lambda: ex(summary_zero_scope("x_sum_zero_scope")),
        "post_cells_narrow": post_cells_narrow,
        "summary_hand": lambda: ex(summary_variant("x_sum_hand", SUMMARY_FILTERED_AGGS, False)),
        "summary_plain": lambda: ex(summary_variant("x_sum_plain", SUMMARY_PLAIN_AGGS, False)),
        "summary_nonzero": lambda: ex(summary_variant("x_sum_nz", SUMMARY_FILTERED_AGGS, True)),
        "summary_nonzero_plain": lambda: ex(summary_variant("x_sum_nzp", SUMMARY_PLAIN_AGGS, True)),
        "summary_nonzero_nosemi": lambda: ex(summary_variant("x_sum_nzn", SUMMARY_FILTERED_AGGS, True, semi=False)),
        "run_lookback_5": lambda: run_lookback(timedelta(days=5)),
        "run_lookback_4": lambda: run_lookback(timedelta(days=4)),
        "run_lookback_6": lambda: run_lookback(timedelta(days=6)),
        "run_lookback_0": lambda: run_lookback(timedelta(0)),
        "run_lookback_1": lambda: run_lookback(timedelta(days=1)),
        "run_lookback_2": lambda: run_lookback(timedelta(days=2)),
        "run_threads_1": lambda: on_one_thread(run),
        "agg_all_threads_1": lambda: on_one_thread(lambda: ex(aggregate_only("x_agg", ", " + SUMMARY_FILTERED_AGGS))),
        "run_lookback_0_no_early": lambda: _without_early(
            lambda: run_lookback(timedelta(0))
        ),
        "run": run,
        "run_case_fact_view": run_case_fact_view,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--period", default="2026-06")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated variant names (default: all)")
    ap.add_argument("--check", action="store_true",
                    help="after timing: the share of bit-0 events, and each x_sum_* table against x_case_summary")
    args = ap.parse_args()
    con = duckdb.connect(str(args.db), read_only=True)
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '6GB'")
    scheme, calendar, period = load_scheme(), load_calendar(packaged_city()), parse_period(args.period)

    def run() -> None:
        engine.run(con, period, scheme, calendar, lineage=False)

    run()
    con.execute("SET preserve_insertion_order = false")  # as inside engine.run
    def run_lookback(lookback: timedelta) -> None:
        engine.run(con, period, scheme, calendar, lineage=False, history_lookback=lookback)

    variants = statements(con, run, run_lookback)
    if args.only:
        variants = {k: variants[k] for k in args.only.split(",")}
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
    print(f"start {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}")
    for r in range(args.repeat):
        for name, variant in variants.items():
            load, t, c = os.getloadavg()[0], time.perf_counter(), _cpu()
            variant()
            times[name].append((_cpu() - c, time.perf_counter() - t))
            print(f"  {r + 1} {name:22s} {times[name][-1][0]:6.2f} CPU {times[name][-1][1]:6.2f} s  load {load:.1f}",
                  flush=True)
    print(f"end {time.strftime('%H:%M:%S UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}")
    for name, vals in times.items():
        cpus = sorted(v[0] for v in vals)
        print(f"{name:22s} CPU min {cpus[0]:.2f} median {cpus[len(cpus) // 2]:.2f}   wall min "
              f"{min(v[1] for v in vals):.2f}")
    if args.check:
        print("history window (events, bit 0, bit 0 in the window):", con.execute(BIT_SHARE).fetchone())
        if "post_cells_narrow" in variants:  # the cells of both forms (the narrow one ran last)
            con.execute("CREATE OR REPLACE TEMP TABLE x_cells_narrow AS SELECT * FROM x_post_cell")
            variants["post_cells"]()
            row = con.execute("SELECT (SELECT count(*) FROM (SELECT * FROM x_cells_narrow EXCEPT ALL SELECT * "
                              "FROM x_post_cell)), (SELECT count(*) FROM (SELECT * FROM x_post_cell EXCEPT ALL "
                              "SELECT * FROM x_cells_narrow)), (SELECT sum(n) FROM x_post_cell)").fetchone()
            row = row or (0, 0, 0)
            print(f"post cells narrow vs main: {row[0]} not in main's, {row[1]} of main's missing, {row[2]} events")
        names: list[str] = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary "
                                           "AND table_name LIKE 'x_sum_%'").fetchall()]
        for name in names:
            row = con.execute(f"SELECT (SELECT count(*) FROM {name}), (SELECT count(*) FROM (SELECT * FROM {name} "
                              f"EXCEPT ALL SELECT * FROM x_case_summary)), (SELECT count(*) FROM (SELECT * FROM "
                              f"x_case_summary EXCEPT ALL SELECT * FROM {name}))").fetchone() or (0, 0, 0)
            print(f"{name}: {row[0]} rows, {row[1]} not in x_case_summary, {row[2]} of it missing")


if __name__ == "__main__":
    main()
