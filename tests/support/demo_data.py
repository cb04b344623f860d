"""A demo warehouse for the dashboards: rows written straight into the core (and evaluation) tables with DuckDB SQL.

It is *input data* for the dashboards' tests and benchmark, made the way the real loaders would leave it: the city
in ``demo_city.yaml``, cases spread over ``months`` months ending with ``end_month``, their workflow steps with
deadlines, hotline calls, a component census with its batches, and monthly scorecards with their lineage.
Deterministic: every "random" figure is a hash of the row number, so the same arguments give the same warehouse.
Scales from a few thousand cases (tests) to 10,000,000 (bench) in seconds to minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from warehouse.transaction import transaction

CITY_FILE = Path(__file__).resolve().parent / "demo_city.yaml"
BATCH = "demo-0000000000000000"
EDITION = "gbt47678.5-2026"


@dataclass(frozen=True)
class DemoSize:
    cases: int = 20_000
    months: int = 14
    end_month: date = date(2026, 10, 1)
    calls_per_case: float = 0.3
    components_per_grid: int = 12
    with_scores: bool = True


def _u(expr: str, salt: int) -> str:
    """A deterministic pseudo-random number in [0, 1) from a row expression."""
    return f"((hash({expr}, {salt}) % 1000003) / 1000003.0)"


def _city() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CITY_FILE.read_text(encoding="utf-8"))
    return data


def _dimensions(con: duckdb.DuckDBPyConnection, city: dict[str, Any], valid_from: date) -> None:
    con.execute("INSERT INTO core.admin_area VALUES (?, ?, 'city', NULL, ?, NULL)",
                [city["city"]["code"], city["city"]["name"], valid_from])
    for d in city["districts"]:
        con.execute("INSERT INTO core.admin_area VALUES (?, ?, 'district', ?, ?, NULL)",
                    [d["code"], d["name"], city["city"]["code"], valid_from])
        for code, name in d["streets"].items():
            con.execute("INSERT INTO core.admin_area VALUES (?, ?, 'street', ?, ?, NULL)",
                        [code, name, d["code"], valid_from])
    for dep in city["departments"]:
        con.execute("INSERT INTO core.department VALUES (?, ?, ?, ?, ?)",
                    [dep["code"], dep["name"], dep["level"], dep.get("district"), dep["kind"]])
    for edition, kind, major_code, major_name, code, name in city["subclasses"]:
        con.execute("INSERT INTO core.subclass VALUES (?, ?, ?, ?, ?, ?, 'demo')",
                    [edition, kind, major_code, major_name, code, name])
    # Unit grids: a square block of small squares per street, placed around its district's centre.
    side = float(city["grid_side_deg"])
    per = int(city["grids_per_street"])
    cols = max(1, int(per**0.5))
    rows = []
    for d in city["districts"]:
        lon0, lat0 = d["centre"]
        for s_idx, street in enumerate(d["streets"]):
            block_lon = lon0 + (s_idx - len(d["streets"]) / 2) * (cols + 1) * side
            for g in range(per):
                x = block_lon + (g % cols) * side
                y = lat0 + (g // cols) * side
                ring = f"{x:.6f} {y:.6f}, {x + side:.6f} {y:.6f}, {x + side:.6f} {y + side:.6f}, " \
                       f"{x:.6f} {y + side:.6f}, {x:.6f} {y:.6f}"
                community = f"{street}{1 + g // 16:03d}"
                rows.append((f"{community}{1 + g % 16:03d}", community, street, d["code"], 1.2e5,
                             f"POLYGON (({ring}))", valid_from, None, BATCH, x + side / 2, y + side / 2,
                             int(d.get("weight", 1))))
    con.execute("CREATE TEMP TABLE demo_grid (grid_code VARCHAR, community_code VARCHAR, street_code VARCHAR,"
                " district_code VARCHAR, area_m2 DOUBLE, geometry_wkt VARCHAR, valid_from DATE, valid_to DATE,"
                " batch_id VARCHAR, lon DOUBLE, lat DOUBLE, weight INTEGER)")
    con.executemany("INSERT INTO demo_grid VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("INSERT INTO core.grid SELECT grid_code, community_code, street_code, district_code, area_m2,"
                " geometry_wkt, valid_from, valid_to, batch_id FROM demo_grid")
    # Grids repeated by their district's weight, in a fixed order: picking a row uniformly gives the busy
    # districts more cases; the square of a uniform number gives the first grids of each block more still.
    con.execute("CREATE TEMP TABLE demo_grid_pick AS SELECT row_number() OVER (ORDER BY g.grid_code, r.k) - 1 AS idx,"
                " g.* FROM demo_grid g, LATERAL (SELECT unnest(range(g.weight)) AS k) r")
    con.execute("INSERT INTO core.staff SELECT 'sup-' || street_code || '-' || k,"
                " '监督员' || street_code[-3:] || '-' || k, 'supervisor', district_code, NULL, 'demo'"
                " FROM (SELECT DISTINCT street_code, district_code FROM demo_grid), range(2) t(k)")


def _cases(con: duckdb.DuckDBPyConnection, size: DemoSize, city: dict[str, Any]) -> None:
    start = date(size.end_month.year - (size.months - 1 + 12 - size.end_month.month) // 12,
                 (size.end_month.month - size.months) % 12 + 1, 1)
    end_month = size.end_month
    end = date(end_month.year + end_month.month // 12, end_month.month % 12 + 1, 1)
    span_s = (end - start).days * 86400
    n_pick = con.execute("SELECT count(*) FROM demo_grid_pick").fetchone()[0]  # type: ignore[index]
    subclasses = city["subclasses"]
    deps = [d["code"] for d in city["departments"]]
    sub_rows = ", ".join(f"({i}, '{s[1]}', '{s[4]}')" for i, s in enumerate(subclasses))
    con.execute(f"CREATE TEMP TABLE demo_sub AS SELECT * FROM (VALUES {sub_rows}) t(idx, kind, code)")
    dep_rows = ", ".join(f"({i}, '{c}')" for i, c in enumerate(deps))
    con.execute(f"CREATE TEMP TABLE demo_dep AS SELECT * FROM (VALUES {dep_rows}) t(idx, code)")
    sources = "['supervisor','supervisor','supervisor','hotline','hotline','public','video','leader']"
    con.execute(f"""
        INSERT INTO core."case" (case_id, origin_system, origin_case_id, edition, kind, subclass_code, source,
            description, reported_at, reporter_id, grid_code, community_code, street_code, district_code, lon, lat,
            department_code, handling_class, status, closed_at, flags, batch_id)
        WITH base AS (
            SELECT i,
                   TIMESTAMP '{start}'
                       + to_seconds(CAST(floor(pow({_u("i", 1)}, 0.8) * {span_s}) AS BIGINT)) AS reported_at,
                   CAST(floor(pow({_u('i', 2)}, 1.7) * {n_pick}) AS BIGINT) AS pick,
                   CAST(floor({_u('i', 3)} * {len(subclasses)}) AS INTEGER) AS sub,
                   CAST(floor({_u('i', 4)} * {len(deps)}) AS INTEGER) AS dep,
                   {_u('i', 5)} AS u_status,
                   {_u('i', 6)} AS u_close,
                   {sources}[1 + CAST(floor({_u('i', 7)} * 8) AS INTEGER)] AS source
            FROM range({size.cases}) t(i)
        )
        SELECT 'demo:' || i, 'demo', 'DEMO' || lpad(CAST(i AS VARCHAR), 9, '0'), '{EDITION}', s.kind, s.code,
               b.source, NULL, b.reported_at,
               CASE WHEN b.source = 'supervisor' THEN 'sup-' || g.street_code || '-' || (i % 2) END,
               g.grid_code, g.community_code, g.street_code, g.district_code, g.lon, g.lat,
               CASE WHEN b.u_status < 0.90 THEN d.code END,
               CASE WHEN b.u_status < 0.03 THEN 'urgent' WHEN b.u_status > 0.88 THEN 'engineering' ELSE 'normal' END,
               CASE WHEN b.u_status < 0.78 THEN 'closed' WHEN b.u_status < 0.84 THEN 'handling'
                    WHEN b.u_status < 0.90 THEN 'dispatched' WHEN b.u_status < 0.95 THEN 'rejected'
                    ELSE 'reported' END,
               CASE WHEN b.u_status < 0.78
                    THEN b.reported_at + to_seconds(CAST(3600 + b.u_close * 5 * 86400 AS BIGINT)) END,
               [], '{BATCH}'
        FROM base b
        JOIN demo_grid_pick g ON g.idx = b.pick
        JOIN demo_sub s ON s.idx = b.sub
        JOIN demo_dep d ON d.idx = b.dep
    """)
    # Workflow steps with deadlines for every dispatched case: 派遣, 处置 (its 反馈), 结案 (only those reached).
    con.execute(f"""
        INSERT INTO core.case_event_row (case_id, seq, event_id, action, from_state, to_state, occurred_at, actor_id,
            actor_role, department_code, district_code, outcome, deadline_at, deadline_met, overdue_multiple,
            limit_hours, limit_basis, handbook_version, comment, origin_system, batch_id, step)
        WITH c AS (
            SELECT case_id, reported_at, closed_at, status, department_code, district_code, hash(case_id) AS h
            FROM core."case" WHERE department_code IS NOT NULL
        ), steps AS (
            SELECT case_id, 1 AS seq, 'dispatch' AS action, 'registered' AS f, 'dispatched' AS t,
                   reported_at + INTERVAL 40 MINUTE AS ts, 1.0 AS limit_h, (h % 100) < 96 AS met, department_code,
                   district_code FROM c
            UNION ALL
            SELECT case_id, 2, 'feedback', 'handling', 'handled', reported_at + INTERVAL 20 HOUR, 24.0,
                   (h % 97) < 84, department_code, district_code FROM c WHERE status IN ('closed', 'handling')
            UNION ALL
            SELECT case_id, 3, 'close', 'checked', 'closed', closed_at, 2.0, (h % 89) < 82, department_code,
                   district_code FROM c WHERE status = 'closed'
        )
        SELECT case_id, seq, case_id || '#' || seq, action, f, t, ts, NULL, NULL, department_code, district_code,
               NULL, ts - to_seconds(CAST(CASE WHEN met THEN -600 ELSE 3600 END AS BIGINT)), met,
               CASE WHEN met THEN 0 ELSE 1.5 END, limit_h, 'working', 'demo-1', NULL, 'demo', '{BATCH}',
               CASE action WHEN 'feedback' THEN 'handle' ELSE action END  -- 反馈 completes the 处置 step
        FROM steps
    """)
    n_calls = int(size.cases * size.calls_per_case)
    categories = city["hotline_categories"]
    cats = "[" + ", ".join(f"'{c}'" for c in categories) + "]"
    sats = "['satisfied','satisfied','satisfied','basically_satisfied','dissatisfied','unreached']"
    con.execute(f"""
        INSERT INTO core.hotline_call (call_id, called_at, caller_hash, caller_masked, content, category,
            subclass_code, case_id, link_method, is_repeat, repeat_of, satisfaction, district_code, grid_code, lon,
            lat, batch_id)
        WITH b AS (
            SELECT i, TIMESTAMP '{start}' + to_seconds(CAST(floor(sqrt({_u('i', 11)}) * {span_s}) AS BIGINT)) AS ts,
                   CAST(floor(pow({_u('i', 12)}, 1.5) * {n_pick}) AS BIGINT) AS pick,
                   CAST(floor(pow({_u('i', 13)}, 2) * {max(1, int(n_calls * 0.6))}) AS BIGINT) AS caller
            FROM range({n_calls}) t(i)
        )
        SELECT 'call-' || i, ts, 'h' || caller,
               '尾号' || lpad(CAST(caller % 10000 AS VARCHAR), 4, '0') || '·' || left(md5('h' || caller), 4),
               NULL, {cats}[1 + CAST(floor({_u('i', 14)} * {len(categories)}) AS INTEGER)], NULL,
               CASE WHEN {_u('i', 15)} < 0.6 THEN 'demo:' || (i * 3) % {size.cases} END, 'logged',
               {_u('i', 16)} < 0.12, NULL, {sats}[1 + CAST(floor({_u('i', 17)} * 6) AS INTEGER)],
               g.district_code, g.grid_code, g.lon, g.lat, '{BATCH}'
        FROM b JOIN demo_grid_pick g ON g.idx = b.pick
    """)
    _census(con, size, city, start)
    if size.with_scores:
        _scores(con, start, end)


def _census(con: duckdb.DuckDBPyConnection, size: DemoSize, city: dict[str, Any], start: date) -> None:
    comp = [s for s in city["subclasses"] if s[1] == "component"]
    comp_rows = ", ".join(f"({i}, '{s[4]}', '{s[5]}')" for i, s in enumerate(comp))
    con.execute(f"CREATE TEMP TABLE demo_comp AS SELECT * FROM (VALUES {comp_rows}) t(idx, code, name)")
    # One census file per district, as `szcg census load --district` records it (district in the load's detail).
    districts = [d["code"] for d in city["districts"]]
    for b, district in enumerate(districts):
        batch_id = f"census-demo{b:011d}"
        rows_in = 2000 + 137 * b
        rejected = [12, 0, 45, 3, 160, 7][b % 6]
        con.execute("INSERT INTO landing.landed_file VALUES (?, 'census', ?, ?, ?, ?, ?)",
                    [batch_id, f"普查批次{b + 1:02d}.csv", f"{b:064d}", rows_in * 120, f"{batch_id}.csv",
                     f"{start} 09:00:00"])
        con.execute("INSERT INTO landing.load VALUES (?, 'core.component', ?, ?, ?, "
                    "TIMESTAMP '" + str(start) + " 10:00:00' + to_days(?), ?)",
                    [batch_id, rows_in, rows_in - rejected, rejected, 9 * b, f'{{"district_code": "{district}"}}'])
    batch_of = ", ".join(f"('{d}', 'census-demo{b:011d}')" for b, d in enumerate(districts))
    con.execute(f"CREATE TEMP TABLE demo_batch AS SELECT * FROM (VALUES {batch_of}) t(district_code, batch_id)")
    con.execute(f"""
        INSERT INTO core.component (component_id, edition, subclass_code, name, grid_code, district_code,
            owner_department_code, property_department_code, maintenance_department_code, state, lon, lat,
            geometry_wkt, surveyed_on, photo, valid_from, valid_to, change_source)
        SELECT g.district_code || c.code || lpad(CAST(row_number() OVER () AS VARCHAR), 7, '0'), '{EDITION}',
               c.code, c.name, g.grid_code, g.district_code, 'SZ-SZJ', NULL, NULL,
               CASE WHEN u < 0.88 THEN 'intact' WHEN u < 0.95 THEN 'damaged' WHEN u < 0.98 THEN 'missing'
                    ELSE 'occupied' END,
               g.lon, g.lat, NULL, DATE '{start}' + CAST(floor(u2 * 150) AS INTEGER), NULL,
               TIMESTAMP '{start}', NULL, cb.batch_id
        FROM (SELECT * FROM demo_grid WHERE hash(grid_code) % 10 < 8) g
        JOIN demo_batch cb ON cb.district_code = g.district_code,
             LATERAL (SELECT k, {_u('g.grid_code || k', 21)} AS u, {_u('g.grid_code || k', 22)} AS u2,
                      CAST(floor({_u('g.grid_code || k', 23)} * {len(comp)}) AS INTEGER) AS ci
                      FROM range({size.components_per_grid}) r(k)) x
        JOIN demo_comp c ON c.idx = x.ci
    """)


def _scores(con: duckdb.DuckDBPyConnection, start: date, end: date) -> None:
    """Monthly scorecards shaped like transforms/evaluation's output, one published version each."""
    con.execute("""
        CREATE TEMP TABLE demo_entity AS
        WITH c AS (SELECT strftime(reported_at, '%Y-%m') AS period, case_id, status = 'closed' AS is_closed, *
                   FROM core."case" WHERE status NOT IN ('reported', 'rejected'))
        SELECT * FROM (
            SELECT period, 'region' AS object, 'district' AS level, district_code AS entity_code, case_id, is_closed
            FROM c
            UNION ALL SELECT period, 'region', 'street', street_code, case_id, is_closed FROM c
            UNION ALL SELECT period, 'department', 'department', department_code, case_id, is_closed FROM c
            UNION ALL SELECT period, 'supervisor', 'supervisor', reporter_id, case_id, is_closed FROM c
        )
        WHERE entity_code IS NOT NULL
    """)
    con.execute("""
        INSERT INTO marts.indicator_value
        SELECT period, 1, object, level, entity_code, 'close_rate', '结案率', count(*) FILTER (WHERE is_closed),
               count(*), count(*) FILTER (WHERE is_closed) / count(*),
               round(100.0 * count(*) FILTER (WHERE is_closed) / count(*), 2), 100
        FROM demo_entity GROUP BY ALL
    """)
    # the district figures the cockpit's 要情 reads from the scorecard: 立案数, 按期处置率 (反馈 on time ÷ dispatched)
    con.execute("""
        INSERT INTO marts.indicator_value
        WITH c AS (
            SELECT strftime(c.reported_at, '%Y-%m') AS period, c.district_code, e.case_id IS NOT NULL AS dispatched,
                   coalesce(f.deadline_met, false) AS on_time
            FROM core."case" c
            LEFT JOIN core.case_event e ON e.case_id = c.case_id AND e.action = 'dispatch'
            LEFT JOIN core.case_event f ON f.case_id = c.case_id AND f.action = 'feedback'
            WHERE c.status NOT IN ('reported', 'rejected') AND c.district_code IS NOT NULL
        )
        SELECT period, 1, 'region', 'district', district_code, 'registered', '立案数', count(*), NULL, count(*),
               NULL, NULL
        FROM c GROUP BY ALL
        UNION ALL
        SELECT period, 1, 'region', 'district', district_code, 'on_time_handle_rate', '按期处置率',
               count(*) FILTER (WHERE on_time), count(*) FILTER (WHERE dispatched),
               count(*) FILTER (WHERE on_time) / nullif(count(*) FILTER (WHERE dispatched), 0), NULL, NULL
        FROM c GROUP BY ALL
    """)
    # rows per (entity, indicator, case) as given: the table the view marts.score_lineage reads them from as they
    # are (the engine's versions store bit masks instead, migration 0100)
    con.execute("""
        INSERT INTO marts.score_lineage_legacy
        SELECT period, 1, object, level, entity_code, 'close_rate', case_id,
               CASE WHEN is_closed THEN 'numerator' ELSE 'denominator' END, NULL
        FROM demo_entity
    """)
    con.execute("""
        INSERT INTO marts.score (period, version, object, level, entity_code, entity_name, sample_size, ranked,
            total_score, grade, colour, rank, tie_break, mom_score, yoy_score, scheme_version)
        WITH v AS (
            SELECT i.period, i.object, i.level, i.entity_code, CAST(i.denominator AS BIGINT) AS n,
                   -- spread the demo scores over every grade band: close rate plus a per-entity offset
                   greatest(0, least(100, round(i.score - 45 + (hash(i.entity_code) % 60), 1))) AS total
            FROM marts.indicator_value i WHERE i.indicator = 'close_rate'
        )
        SELECT v.period, 1, v.object, v.level, v.entity_code,
               coalesce(a.name, d.name, s.name, v.entity_code), n, n >= 5, total,
               CASE WHEN total >= 90 THEN 'A' WHEN total >= 75 THEN 'B' WHEN total >= 60 THEN 'C'
                    WHEN total >= 40 THEN 'D' ELSE 'E' END,
               CASE WHEN total >= 90 THEN 'green' WHEN total >= 75 THEN 'blue' WHEN total >= 60 THEN 'yellow'
                    WHEN total >= 40 THEN 'red' ELSE 'black' END,
               CASE WHEN n >= 5 THEN rank() OVER (PARTITION BY v.period, v.object, v.level, n >= 5
                                                  ORDER BY total DESC) END,
               NULL, NULL, NULL, 'demo-1'  -- 环比/同比 are derived when read (marts.score_change)
        FROM v
        LEFT JOIN marts.dash_area a ON a.code = v.entity_code
        LEFT JOIN core.department d ON d.code = v.entity_code
        LEFT JOIN core.staff s ON s.staff_id = v.entity_code
    """)
    con.execute("""
        INSERT INTO marts.scorecard
        SELECT DISTINCT period, 1, 'published', CAST(period || '-01' AS DATE),
               CAST(period || '-01' AS DATE) + INTERVAL 1 MONTH - INTERVAL 1 DAY,
               CAST(period || '-01' AS DATE) + INTERVAL 1 MONTH, 'demo', '1', '0', 'first publication', NULL, 0,
               '0', TIMESTAMP '2026-01-01', 'demo'
        FROM marts.score
    """)


def build_demo_warehouse(con: duckdb.DuckDBPyConnection, size: DemoSize | None = None) -> dict[str, int]:
    """Fill an empty, migrated warehouse (the writer's connection) with the demo city; returns row counts."""
    size = size or DemoSize()
    city = _city()
    with transaction(con):
        _dimensions(con, city, date(2020, 1, 1))
        _cases(con, size, city)
    counts = {}
    for table in ("core.grid", 'core."case"', "core.case_event", "core.hotline_call", "core.component",
                  "marts.score"):
        counts[table.replace('"', "")] = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
    return counts


def publish_demo_warehouse(settings: Any, size: DemoSize | None = None, *, reason: str = "dashboards demo") -> Any:
    """Write the demo city into the work database of ``settings`` and publish it; returns the Snapshot."""
    from warehouse.store import Warehouse

    wh = Warehouse(settings)
    with wh.writer() as con:
        build_demo_warehouse(con, size)
    return wh.publish(reason=reason, audits=[])
