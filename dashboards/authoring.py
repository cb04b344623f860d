"""Authoring tool for the dashboards' assets: writes dashboards/assets/ (Superset's import-bundle YAML).

The YAML under dashboards/assets/ is what is reviewed and imported; this module is how it is written, so that
uuids stay stable (uuid5 of a key), every chart in a layout carries meta.uuid and meta.sliceName (re-imports are
idempotent), and dataset columns match the marts.dash_* views. Regenerate after changing a view or a chart:

    python -m dashboards.authoring      # rewrites dashboards/assets/; tests check the two stay in sync
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dashboards.site import ASSETS_DIR
from transforms.evaluation.scheme import Grade, Scheme, load_scheme

NAMESPACE = uuid.UUID("6f1c2d8e-5b7a-4c1e-9a54-3c0f6d1e2a10")
DATABASE_NAME = "szcg_warehouse"
DATABASE_FILE = "databases/szcg_warehouse.yaml"
PLACEHOLDER_URI = "duckdb:////var/lib/szcg/warehouse/current/warehouse.duckdb"
VERSION = "1.0.0"

# The cockpit map opens on the city's main built-up area (here 朔城区); 100 m grids are invisible at city scale.
MAP_VIEWPORT = {"longitude": 112.43, "latitude": 39.345, "zoom": 11.4, "bearing": 0, "pitch": 0}
# Grade bands and colours of 综合评价 are the evaluation scheme's (its `grades:`), never restated here: the assets
# are written from the packaged default scheme, so changing a band there means regenerating them (a test checks).
TOP_SCORE = 100


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"szcg:{kind}:{key}"))


# --------------------------------------------------------------------------------------------------------------
# Datasets: one virtual dataset per marts.dash_* view, with Chinese column names and saved metrics.

COLUMN_LABELS = {
    "period_month": "统计月份", "period_start": "月份", "months_ago": "距今月数", "district_code": "区县代码",
    "district_name": "区县", "street_code": "街道代码", "street_name": "街道", "grid_code": "网格编码",
    "department_code": "部门代码", "department_name": "专业部门", "source_name": "案件来源", "kind_name": "案件类型",
    "major_name": "大类", "subclass_name": "小类", "status_name": "案件状态", "handling_class_name": "处置类别",
    "case_number": "案件编号", "reported_at": "上报时间", "closed_at": "结案时间", "indicator": "指标",
    "step_name": "环节", "cases": "案件数", "cases_per_ha": "每公顷案件数", "polygon": "网格边界",
    "category": "来电类别", "satisfaction_name": "满意度", "caller_masked": "来电号码", "called_at": "来电时间",
    "state_name": "部件状态", "owner_department_name": "主管部门", "grids": "网格数", "grids_covered": "已普查网格数",
    "original_name": "批次文件", "loaded_at": "入库时间", "rows_in": "读入行数", "rows_loaded": "入库行数",
    "rows_quarantined": "拒收行数", "rejection_pct": "拒收率(%)", "object_name": "评价对象", "level_name": "评价层级",
    "entity_name": "评价单位", "total_score": "综合得分", "grade": "等级", "rank": "排名", "version_name": "版本",
    "mom_change": "环比变化", "sample_size": "样本量", "numerator_indicators": "计入分子的指标",
    "denominator_indicators": "计入分母的指标",
    "batch_id": "批次号", "reported": "上报数", "registered": "立案数", "registered_at": "立案时间",
    "registered_month": "立案月份", "closed": "结案数", "on_time": "按期环节数",
    "with_deadline": "应按期环节数", "step_order": "环节序号", "mom_score": "上月得分", "yoy_score": "去年同月得分",
}

DATASETS: dict[str, dict[str, Any]] = {
    "headline": {
        "view": "dash_headline", "title": "驾驶舱要情", "dttm": "period_start",
        "metrics": {
            "this_value": ("本月", "SUM(this_num) / COALESCE(SUM(this_den), 1)", ",.1~f"),
            "last_month_value": ("上月", "SUM(last_month_num) / COALESCE(SUM(last_month_den), 1)", ",.1~f"),
            "last_year_value": ("去年同期", "SUM(last_year_num) / COALESCE(SUM(last_year_den), 1)", ",.1~f"),
            "mom_pct": ("环比(%)", "100.0 * ((SUM(this_num) / COALESCE(SUM(this_den), 1)) / NULLIF(SUM(last_month_num)"
                        " / COALESCE(SUM(last_month_den), 1), 0) - 1)", "+,.1f"),
            "yoy_pct": ("同比(%)", "100.0 * ((SUM(this_num) / COALESCE(SUM(this_den), 1)) / NULLIF(SUM(last_year_num)"
                        " / COALESCE(SUM(last_year_den), 1), 0) - 1)", "+,.1f"),
            "sort_order": ("序号", "MIN(sort_key)", None),
        },
    },
    "case": {
        "view": "dash_case", "title": "案件明细", "dttm": "reported_at",
        "metrics": {
            "case_count": ("上报数", "COUNT(*)", ",d"),
            "registered_count": ("立案数", "COUNT(*) FILTER (WHERE is_registered)", ",d"),
            "closed_count": ("结案数", "COUNT(*) FILTER (WHERE is_closed)", ",d"),
            "close_rate": ("结案率(%)", "100.0 * COUNT(*) FILTER (WHERE is_closed) / NULLIF(COUNT(*) FILTER "
                           "(WHERE is_registered), 0)", ".1f"),
        },
    },
    # The cockpit's case and on-time charts read monthly summaries (migration 0043, rebuilt at every publish):
    # their cost does not grow with history. The per-case and per-step datasets stay for detail and drill-down.
    "case_month": {
        "view": "dash_case_monthly", "title": "案件月度汇总", "dttm": "period_start",
        "metrics": {
            "case_count": ("上报数", "SUM(reported)", ",d"),
            "registered_count": ("立案数", "SUM(registered)", ",d"),
            "closed_count": ("结案数", "SUM(closed)", ",d"),
        },
    },
    "step_month": {
        "view": "dash_step_monthly", "title": "环节按期月度汇总", "dttm": "period_start",
        "metrics": {
            "on_time_rate": ("按期率(%)", "100.0 * SUM(on_time) / NULLIF(SUM(with_deadline), 0)", ".1f"),
            "step_count": ("环节数", "SUM(with_deadline)", ",d"),
        },
    },
    "case_step": {
        "view": "dash_case_step", "title": "办理环节按期情况", "dttm": "period_start",
        "metrics": {
            "on_time_rate": ("按期率(%)", "100.0 * AVG(on_time)", ".1f"),
            "step_count": ("环节数", "COUNT(*)", ",d"),
        },
    },
    "grid_density": {
        "view": "dash_grid_density", "title": "网格问题密度", "dttm": None,
        "metrics": {"case_sum": ("案件数", "SUM(cases)", ",d")},
    },
    "hotline": {
        "view": "dash_hotline_call", "title": "热线来电", "dttm": "called_at",
        "metrics": {
            "call_count": ("来电量", "COUNT(*)", ",d"),
            "satisfaction_rate": ("满意率(%)", "100.0 * AVG(is_satisfied)", ".1f"),
            "repeat_rate": ("重复来电率(%)", "100.0 * AVG(is_repeat)", ".1f"),
            "case_rate": ("转立案率(%)", "100.0 * AVG(has_case)", ".1f"),
        },
    },
    "component": {
        "view": "dash_component", "title": "部件清单", "dttm": None,
        "metrics": {
            "component_count": ("部件数", "COUNT(*)", ",d"),
            "intact_rate": ("完好率(%)", "100.0 * AVG(is_intact)", ".1f"),
        },
    },
    "coverage": {
        "view": "dash_census_coverage", "title": "普查覆盖", "dttm": None,
        "metrics": {"coverage_rate": ("覆盖率(%)", "100.0 * SUM(grids_covered) / NULLIF(SUM(grids), 0)", ".1f")},
    },
    "batch": {
        "view": "dash_census_batch", "title": "普查批次", "dttm": "loaded_at",
        "metrics": {
            "batch_rejection": ("拒收率(%)", "100.0 * SUM(rows_quarantined) / NULLIF(SUM(rows_in), 0)", ".2f"),
        },
    },
    "score": {
        "view": "dash_score", "title": "综合评价得分", "dttm": "period_start",
        "metrics": {
            "score": ("综合得分", "MAX(total_score)", ".1f"),
            "avg_score": ("平均得分", "AVG(total_score)", ".1f"),
            "best_rank": ("排名", "MIN(rank)", "d"),
            "score_change": ("环比变化", "MAX(mom_change)", "+.1f"),
            "entity_count": ("单位数", "COUNT(*)", ",d"),
        },
    },
    "filter_option": {
        "view": "dash_filter_option", "title": "筛选项（月份×区县）", "dttm": None,
        "metrics": {"option_count": ("选项数", "COUNT(*)", ",d")},
    },
    "score_case": {
        "view": "dash_score_case", "title": "得分依据案件", "dttm": "reported_at",
        "metrics": {"score_case_count": ("案件数", "COUNT(DISTINCT case_number)", ",d")},
    },
}

# Datasets whose rows belong to a district: these get the district roles' row-level security filter.
DISTRICT_DATASETS = ("headline", "case", "case_month", "case_step", "step_month", "grid_density", "hotline",
                     "component", "coverage", "batch", "score", "score_case", "filter_option")


def _view_columns(view: str) -> list[tuple[str, str]]:
    from warehouse.migrate import migrate

    con = duckdb.connect()
    try:
        migrate(con)
        rows = con.execute(f"DESCRIBE marts.{view}").fetchall()
    finally:
        con.close()
    return [(str(r[0]), str(r[1])) for r in rows]


def dataset_yaml(key: str, spec: dict[str, Any], database_uuid: str) -> dict[str, Any]:
    columns: list[dict[str, Any]] = []
    for name, sql_type in _view_columns(spec["view"]):
        columns.append({
            "column_name": name,
            "verbose_name": COLUMN_LABELS.get(name),
            "is_dttm": sql_type in ("DATE", "TIMESTAMP"),
            "is_active": True,
            "type": sql_type,
            "groupby": True,
            "filterable": True,
            "expression": None,
            "description": None,
            "python_date_format": None,
            "advanced_data_type": None,
            "extra": {},
        })
    metrics = [
        {"metric_name": name, "verbose_name": label, "metric_type": None, "expression": expr,
         "description": None, "d3format": fmt, "extra": {}, "warning_text": None}
        for name, (label, expr, fmt) in spec["metrics"].items()
    ]
    return {
        "table_name": spec["title"],
        "main_dttm_col": spec["dttm"],
        "description": f"marts.{spec['view']}",
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "catalog": None,
        "schema": "marts",
        "sql": f"SELECT * FROM marts.{spec['view']}",
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": uid("dataset", key),
        "metrics": metrics,
        "columns": columns,
        "version": VERSION,
        "database_uuid": database_uuid,
    }


def database_yaml() -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": PLACEHOLDER_URI,  # replaced at import by this installation's published snapshot path
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        # read_only: Superset never writes, and may read while the pipeline publishes. No pool: every query opens
        # the `current` symlink anew, so a publish is visible at the next query and no old snapshot stays pinned.
        "extra": {"engine_params": {"connect_args": {"read_only": True}}, "allows_virtual_table_explore": True,
                  "metadata_params": {}, "schemas_allowed_for_file_upload": []},
        "uuid": uid("database", DATABASE_NAME),
        "version": VERSION,
    }


# --------------------------------------------------------------------------------------------------------------
# Charts.

def _filter(col: str, op: str, value: Any) -> dict[str, Any]:
    return {"expressionType": "SIMPLE", "subject": col, "operator": op, "comparator": value, "clause": "WHERE",
            "isExtra": False, "filterOptionName": f"filter_{col}_{op}".replace(" ", "_")}


def _sql_filter(sql: str) -> dict[str, Any]:
    return {"expressionType": "SQL", "sqlExpression": sql, "clause": "WHERE", "isExtra": False,
            "filterOptionName": "filter_" + uuid.uuid5(NAMESPACE, sql).hex[:12]}


def big_number(metric: str, filters: list[dict[str, Any]] | None = None, fmt: str = "SMART_NUMBER",
               subheader: str = "") -> dict[str, Any]:
    return {"viz_type": "big_number_total", "metric": metric, "adhoc_filters": filters or [],
            "header_font_size": 0.4, "subheader_font_size": 0.15, "y_axis_format": fmt, "subheader": subheader,
            "time_format": "smart_date"}


def bar(x: str, metrics: list[str], *, groupby: list[str] | None = None, horizontal: bool = False,
        stack: bool = False, filters: list[dict[str, Any]] | None = None, limit: int = 50,
        fmt: str = "SMART_NUMBER") -> dict[str, Any]:
    return {
        "viz_type": "echarts_timeseries_bar", "x_axis": x, "metrics": metrics, "groupby": groupby or [],
        "adhoc_filters": filters or [], "row_limit": limit, "orientation": "horizontal" if horizontal else "vertical",
        "x_axis_sort": metrics[0] if not groupby else None, "x_axis_sort_asc": horizontal,
        "x_axis_sort_series": "sum", "x_axis_sort_series_ascending": horizontal,
        "stack": "Stack" if stack else None, "show_legend": bool(groupby) or len(metrics) > 1,
        "legendType": "scroll", "legendOrientation": "top", "show_value": not stack and not groupby,
        "rich_tooltip": True, "y_axis_format": fmt, "truncateXAxis": True, "xAxisLabelRotation": 0,
        "color_scheme": "supersetColors", "time_grain_sqla": None, "truncate_metric": True,
        "sort_series_type": "sum", "only_total": True, "zoomable": False,
    }


def trend(metrics: list[str], *, groupby: list[str] | None = None, filters: list[dict[str, Any]] | None = None,
          fmt: str = "SMART_NUMBER") -> dict[str, Any]:
    return {
        "viz_type": "echarts_timeseries_line", "x_axis": "period_start", "time_grain_sqla": "P1M",
        "metrics": metrics, "groupby": groupby or [],
        "adhoc_filters": [_sql_filter("months_ago BETWEEN 0 AND 11"), *(filters or [])],
        "row_limit": 10000, "time_range": "No filter", "x_axis_time_format": "%Y-%m", "markerEnabled": True,
        "markerSize": 5, "show_legend": True, "legendType": "scroll", "legendOrientation": "top",
        "rich_tooltip": True, "y_axis_format": fmt, "color_scheme": "supersetColors", "truncate_metric": True,
        "zoomable": False, "seriesType": "line", "tooltipTimeFormat": "%Y-%m",
    }


def pie(groupby: str, metric: str, filters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"viz_type": "pie", "groupby": [groupby], "metric": metric, "adhoc_filters": filters or [],
            "row_limit": 20, "sort_by_metric": True, "color_scheme": "supersetColors", "show_labels": True,
            "label_type": "key_percent", "labels_outside": True, "label_line": True, "number_format": "SMART_NUMBER",
            "show_legend": True, "legendType": "scroll", "legendOrientation": "top", "donut": True,
            "innerRadius": 35, "outerRadius": 70, "show_total": True}


def table(*, groupby: list[str] | None = None, metrics: list[str] | None = None, columns: list[str] | None = None,
          order: str | None = None, desc: bool = True, filters: list[dict[str, Any]] | None = None,
          limit: int = 100, formatting: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    raw = columns is not None
    params: dict[str, Any] = {
        "viz_type": "table", "query_mode": "raw" if raw else "aggregate", "adhoc_filters": filters or [],
        "row_limit": limit, "server_page_length": 10, "include_search": False, "show_cell_bars": False,
        "table_timestamp_format": "%Y-%m-%d %H:%M", "allow_rearrange_columns": False, "color_pn": True,
        "conditional_formatting": formatting or [], "percent_metrics": [], "order_desc": desc,
    }
    if raw:
        params.update(all_columns=columns, order_by_cols=[f'["{order}", {str(not desc).lower()}]'] if order else [])
    else:
        params.update(groupby=groupby or [], metrics=metrics or [], timeseries_limit_metric=order)
    return params


def grade_formatting(column: str, grades: Sequence[Grade]) -> list[dict[str, Any]]:
    """Table cell colours by grade band: each grade from its lower bound (inclusive) up to the next grade's, the
    top one up to and including 100 (grades come highest first, as the scheme lists them)."""
    rules = []
    high = float(TOP_SCORE)
    for grade in grades:
        rules.append({"column": column, "operator": "≤ x ≤" if high == TOP_SCORE else "≤ x <",
                      "targetValueLeft": _bound(grade.min), "targetValueRight": _bound(high),
                      "colorScheme": grade.hex})
        high = grade.min
    return rules


def grade_colours(grades: Sequence[Grade]) -> dict[str, str]:
    return {g.grade: g.hex for g in grades}


def _bound(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def grid_map() -> dict[str, Any]:
    """deck.gl polygons of the unit grids coloured by case count, without a base map (no tiles offline)."""
    return {
        "viz_type": "deck_polygon", "line_column": "polygon", "line_type": "json", "metric": "case_sum",
        "groupby": ["grid_code", "street_name"], "adhoc_filters": [], "row_limit": 10000,
        "point_radius_fixed": {"type": "fix", "value": 1}, "filled": True, "stroked": False, "extruded": False,
        "line_width": 1, "line_width_unit": "pixels", "opacity": 90, "multiplier": 1,
        "fill_color_picker": {"r": 214, "g": 39, "b": 40, "a": 0.9},
        "stroke_color_picker": {"r": 90, "g": 90, "b": 90, "a": 0.6},
        "linear_color_scheme": "schemeOranges", "num_buckets": 6, "break_points": [], "legend_position": "tr",
        "legend_format": ",d", "autozoom": False, "mapbox_style": "", "map_style": "",
        "viewport": dict(MAP_VIEWPORT),
        "js_columns": [], "reverse_long_lat": False, "table_filter": False,
        "tooltip_contents": ["street_name", "grid_code"],
    }


def _query_filters(adhoc: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The chart's adhoc filters as a query object has them: simple ones as filters, SQL ones ANDed as WHERE."""
    simple = [{"col": f["subject"], "op": f["operator"], "val": f["comparator"]}
              for f in adhoc if f["expressionType"] == "SIMPLE"]
    where = " AND ".join(f"({f['sqlExpression']})" for f in adhoc if f["expressionType"] == "SQL")
    return simple, where


def _query(params: dict[str, Any]) -> dict[str, Any]:
    """The query a chart of ``params`` sends (what Superset's front end builds for its viz type)."""
    viz = params["viz_type"]
    columns: list[Any] = []
    metrics: list[Any] = []
    orderby: list[list[Any]] = []
    if viz == "big_number_total":
        metrics = [params["metric"]]
    elif viz in ("echarts_timeseries_bar", "echarts_timeseries_line"):
        x = params["x_axis"]
        axis = ({"timeGrain": params["time_grain_sqla"], "columnType": "BASE_AXIS", "sqlExpression": x, "label": x,
                 "expressionType": "SQL"} if params.get("time_grain_sqla") else x)
        columns, metrics = [axis, *params["groupby"]], list(params["metrics"])
        orderby = [[metrics[0], False]]
    elif viz == "pie":
        columns, metrics, orderby = list(params["groupby"]), [params["metric"]], [[params["metric"], False]]
    elif viz == "table" and params["query_mode"] == "raw":
        import json

        columns = list(params["all_columns"])
        orderby = [json.loads(o) for o in params["order_by_cols"]]
    elif viz == "table":
        columns, metrics = list(params["groupby"]), list(params["metrics"])
        if params.get("timeseries_limit_metric"):
            orderby = [[params["timeseries_limit_metric"], not params["order_desc"]]]
    elif viz == "deck_polygon":
        columns, metrics = [*params["groupby"], params["line_column"]], [params["metric"]]
    else:
        raise ValueError(f"no query for viz type {viz!r}: add it to dashboards.authoring._query")
    filters, where = _query_filters(params["adhoc_filters"])
    return {"columns": columns, "metrics": metrics, "orderby": orderby, "filters": filters,
            "extras": {"where": where, "having": ""}, "row_limit": params.get("row_limit", 10000),
            "time_range": params.get("time_range", "No filter"), "annotation_layers": [], "series_limit": 0,
            "order_desc": True, "url_params": {}, "custom_params": {}, "custom_form_data": {}}


def query_context(params: dict[str, Any], dataset_uuid: str) -> str:
    """The chart's saved query_context (a JSON text, as Superset stores it): GET /api/v1/chart/<id>/data/ — used
    by reports, alerts and API clients — answers from it alone, 400 without one. The dataset is named by uuid,
    which Superset resolves (ids differ between installations and the import does not rewrite them here)."""
    import json

    datasource = {"id": dataset_uuid, "type": "table"}
    return json.dumps({"datasource": datasource, "force": False, "queries": [_query(params)],
                       "form_data": {**params, "datasource": f"{dataset_uuid}__table"},
                       "result_format": "json", "result_type": "full"}, ensure_ascii=False, sort_keys=True)


def _charts(grades: Sequence[Grade] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per dashboard: rows of charts (key, title, dataset, params, width, height, options); score tables coloured
    by ``grades`` (default: the packaged default scheme's)."""
    grades = load_scheme().grades if grades is None else grades
    region_district = [_filter("object", "==", "region"), _filter("level", "==", "district")]
    return {
        "cockpit": [
            {"row": [
                ("kpi_registered", "本月立案数", "headline",
                 big_number("this_value", [_filter("indicator", "==", "立案数")], ",d", "件"), 3, 22, {}),
                ("kpi_close_rate", "结案率(%)", "headline",
                 big_number("this_value", [_filter("indicator", "==", "结案率(%)")], ".1f",
                            "结案数/应结案数（综合评价）"),
                 3, 22, {}),
                ("kpi_on_time", "按期处置率(%)", "headline",
                 big_number("this_value", [_filter("indicator", "==", "按期处置率(%)")], ".1f",
                            "按期处置数/应处置数（综合评价）"),
                 3, 22, {}),
                ("kpi_calls", "热线来电数", "headline",
                 big_number("this_value", [_filter("indicator", "==", "热线来电数")], ",d", "件"), 3, 22, {}),
            ]},
            {"row": [
                ("headline_table", "本月要情：环比与同比", "headline",
                 table(groupby=["indicator"], metrics=["this_value", "last_month_value", "mom_pct",
                                                        "last_year_value", "yoy_pct"],
                       order="sort_order", desc=False), 6, 50, {}),
                ("grid_map", "网格问题密度（单元网格）", "grid_density", grid_map(), 6, 50, {}),
            ]},
            {"row": [
                ("cases_by_source", "案件来源", "case_month", pie("source_name", "case_count"), 4, 50, {}),
                ("cases_by_class", "案件大类分布", "case_month",
                 bar("major_name", ["case_count"], horizontal=True, limit=15), 4, 50, {}),
                ("cases_by_district", "各区县立案与结案", "case_month",
                 bar("district_name", ["registered_count", "closed_count"]), 4, 50, {}),
            ]},
            {"row": [
                ("on_time_by_district", "各区县环节按期率(%)", "step_month",
                 bar("district_name", ["on_time_rate"], fmt=".1f"), 4, 50, {}),
                ("on_time_by_step", "各环节按期率(%)", "step_month",
                 bar("step_name", ["on_time_rate"], fmt=".1f"), 4, 50, {}),
                ("cockpit_trend", "近12个月立案与结案趋势", "headline",
                 trend(["this_value"], groupby=["indicator"],
                       filters=[_filter("indicator", "IN", ["立案数", "结案数"])]), 4, 50, {"no_period": True}),
            ]},
        ],
        "evaluation": [
            {"row": [
                ("score_district", "区县综合评价排名", "score",
                 table(groupby=["entity_name", "grade"], metrics=["score", "best_rank", "score_change"],
                       order="best_rank", desc=False, filters=region_district,
                       formatting=grade_formatting("score", grades)), 6, 50, {"drill_source": True}),
                ("score_grade_mix", "评价等级分布", "score", pie("grade", "entity_count"), 3, 50, {}),
                ("score_department", "专业部门评价排名", "score",
                 table(groupby=["entity_name", "grade"], metrics=["score", "best_rank"], order="best_rank",
                       desc=False, filters=[_filter("object", "==", "department")],
                       formatting=grade_formatting("score", grades)), 3, 50, {"drill_source": True}),
            ]},
            {"row": [
                ("score_street", "街道综合评价排名", "score",
                 table(groupby=["district_name", "entity_name", "grade"], metrics=["score", "best_rank"],
                       order="best_rank", desc=False,
                       filters=[_filter("object", "==", "region"), _filter("level", "==", "street")],
                       formatting=grade_formatting("score", grades)), 6, 50, {"drill_source": True}),
                ("score_post", "岗位评价（监督员等）", "score",
                 table(groupby=["object_name", "entity_name", "grade"], metrics=["score", "best_rank"],
                       order="score", desc=True,
                       filters=[_filter("object", "NOT IN", ["region", "department"])],
                       formatting=grade_formatting("score", grades)), 6, 50, {"drill_source": True}),
            ]},
            {"row": [
                ("score_trend", "区县综合得分近12个月趋势", "score",
                 trend(["avg_score"], groupby=["entity_name"], filters=region_district, fmt=".1f"), 12, 50,
                 {"no_period": True}),
            ]},
            {"row": [  # the whole width: each case's indicators are listed in two columns
                ("score_cases", "得分依据案件（点击排名中的单位下钻）", "score_case",
                 table(columns=["case_number", "entity_name", "numerator_indicators", "denominator_indicators",
                                "reported_at", "status_name", "subclass_name", "department_name"],
                       order="reported_at", limit=1000), 12, 50, {"drill_target": True}),
            ]},
        ],
        "census": [
            {"row": [
                ("census_total", "部件总数", "component", big_number("component_count", fmt=",d", subheader="个"),
                 3, 22, {}),
                ("census_intact", "完好率(%)", "component", big_number("intact_rate", fmt=".1f"), 3, 22, {}),
                ("census_coverage_kpi", "网格普查覆盖率(%)", "coverage", big_number("coverage_rate", fmt=".1f"),
                 3, 22, {"no_period": True}),
                ("census_rejection_kpi", "普查批次拒收率(%)", "batch", big_number("batch_rejection", fmt=".2f"),
                 3, 22, {}),
            ]},
            {"row": [
                ("census_by_class", "各大类部件数（按状态）", "component",
                 bar("major_name", ["component_count"], groupby=["state_name"], stack=True), 6, 50, {}),
                ("census_by_district", "各区县部件数（按状态）", "component",
                 bar("district_name", ["component_count"], groupby=["state_name"], stack=True), 6, 50, {}),
            ]},
            {"row": [
                ("census_state", "部件状态", "component", pie("state_name", "component_count"), 3, 50, {}),
                ("census_coverage", "各区县网格覆盖率(%)", "coverage",
                 bar("district_name", ["coverage_rate"], fmt=".1f"), 3, 50, {"no_period": True}),
                ("census_batches", "最新普查批次与拒收率", "batch",
                 table(columns=["original_name", "district_name", "loaded_at", "rows_in", "rows_loaded",
                                "rows_quarantined", "rejection_pct"], order="loaded_at", limit=20), 6, 50, {}),
            ]},
        ],
        "hotline": [
            {"row": [
                ("hotline_calls", "来电量", "hotline", big_number("call_count", fmt=",d", subheader="通"), 3, 22, {}),
                ("hotline_satisfaction", "满意率(%)", "hotline", big_number("satisfaction_rate", fmt=".1f"), 3, 22,
                 {}),
                ("hotline_repeat", "重复来电率(%)", "hotline", big_number("repeat_rate", fmt=".1f"), 3, 22, {}),
                ("hotline_case_rate", "转立案率(%)", "hotline", big_number("case_rate", fmt=".1f"), 3, 22, {}),
            ]},
            {"row": [
                ("hotline_trend", "近12个月来电量趋势", "hotline", trend(["call_count"]), 6, 50, {"no_period": True}),
                ("hotline_category", "来电类别", "hotline",
                 bar("category", ["call_count"], horizontal=True), 6, 50, {}),
            ]},
            {"row": [
                ("hotline_satisfaction_mix", "回访满意度", "hotline", pie("satisfaction_name", "call_count"), 4, 50,
                 {}),
                ("hotline_by_district", "各区县来电量", "hotline", bar("district_name", ["call_count"]), 4, 50, {}),
                ("hotline_repeat_callers", "重复来电号码 Top 10", "hotline",
                 table(groupby=["caller_masked"], metrics=["call_count"], order="call_count", limit=10), 4, 50, {}),
            ]},
        ],
    }


DASHBOARDS = {
    "cockpit": {"title": "领导驾驶舱", "slug": "cockpit", "period_default": True},
    "evaluation": {"title": "综合评价", "slug": "evaluation", "period_default": True},
    "census": {"title": "部件普查", "slug": "census", "period_default": False},
    "hotline": {"title": "热线", "slug": "hotline", "period_default": True},
}
PERIOD_DATASET = {"cockpit": "case_month", "evaluation": "score", "census": "component", "hotline": "hotline"}


def _native_filters(board: str, period_excluded: list[int], district_excluded: list[int]) -> list[dict[str, Any]]:
    # Options come from the small months × districts view; the filters apply to every chart by column name.
    dataset = uid("dataset", "filter_option")
    default = DASHBOARDS[board]["period_default"]
    common = {"type": "NATIVE_FILTER", "filterType": "filter_select", "cascadeParentIds": [], "description": "",
              "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}}}
    return [
        {**common, "id": f"NATIVE_FILTER-{board}-period", "name": "统计月份",
         "targets": [{"column": {"name": "period_month"}, "datasetUuid": dataset}],
         "controlValues": {"enableEmptyFilter": bool(default), "defaultToFirstItem": bool(default),
                           "multiSelect": False, "searchAllOptions": False, "inverseSelection": False,
                           "sortAscending": False},
         "scope": {"rootPath": ["ROOT_ID"], "excluded": period_excluded}},
        {**common, "id": f"NATIVE_FILTER-{board}-district", "name": "区县",
         "targets": [{"column": {"name": "district_name"}, "datasetUuid": dataset}],
         "controlValues": {"enableEmptyFilter": False, "defaultToFirstItem": False, "multiSelect": True,
                           "searchAllOptions": False, "inverseSelection": False, "sortAscending": True},
         "scope": {"rootPath": ["ROOT_ID"], "excluded": district_excluded}},
    ]


def _drill_configuration(charts: list[int], sources: list[int], targets: list[int]) -> dict[str, Any]:
    """Cross-filters of the drill-down: a click on a unit in a ranking filters only the drill-down table (the
    other rankings stay as they are). scoping.scope_filters writes chartsInScope after the import."""
    return {str(source): {"id": source, "crossFilters": {
        "scope": {"rootPath": ["ROOT_ID"], "excluded": [c for c in charts if c not in targets]}, "chartsInScope": []}}
        for source in sources}


def build_assets(scheme: Scheme | None = None) -> dict[str, dict[str, Any]]:
    """Every file of the bundle, relative path → YAML content; grades from ``scheme`` (default: the packaged
    default evaluation scheme)."""
    grades = (scheme or load_scheme()).grades
    files: dict[str, dict[str, Any]] = {
        "metadata.yaml": {"version": VERSION, "type": "assets", "timestamp": "2026-11-23T00:00:00+00:00"},
    }
    db = database_yaml()
    files[DATABASE_FILE] = db
    for key, spec in DATASETS.items():
        files[f"datasets/{DATABASE_NAME}/{key}.yaml"] = dataset_yaml(key, spec, db["uuid"])
    chart_number = 0
    for board, rows in _charts(grades).items():
        position: dict[str, Any] = {
            "DASHBOARD_VERSION_KEY": "v2",
            "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
            "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
            "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": DASHBOARDS[board]["title"]}},
        }
        period_excluded: list[int] = []
        district_excluded: list[int] = []
        board_charts: list[int] = []
        drill_sources: list[int] = []
        drill_targets: list[int] = []
        for r, row in enumerate(rows, start=1):
            row_id = f"ROW-{board}-{r}"
            position["GRID_ID"]["children"].append(row_id)
            position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                                "meta": {"background": "BACKGROUND_TRANSPARENT"}}
            for key, title, dataset, params, width, height, options in row["row"]:
                chart_number += 1
                chart_uuid = uid("chart", key)
                files[f"charts/{key}.yaml"] = {
                    "slice_name": title, "description": None, "certified_by": None,
                    "certification_details": None, "viz_type": params["viz_type"],
                    "params": {**params, "datasource": f"{chart_number}__table"},
                    "query_context": query_context(params, uid("dataset", dataset)),
                    "cache_timeout": None, "uuid": chart_uuid, "version": VERSION,
                    "dataset_uuid": uid("dataset", dataset),
                }
                chart_id = f"CHART-{key}"
                position[row_id]["children"].append(chart_id)
                position[chart_id] = {"type": "CHART", "id": chart_id, "children": [],
                                      "parents": ["ROOT_ID", "GRID_ID", row_id],
                                      "meta": {"width": width, "height": height, "chartId": chart_number,
                                               "uuid": chart_uuid, "sliceName": title}}
                board_charts.append(chart_number)
                if options.get("drill_source"):
                    drill_sources.append(chart_number)
                if options.get("drill_target"):
                    drill_targets.append(chart_number)
                if options.get("no_period"):
                    period_excluded.append(chart_number)
                if options.get("no_district"):
                    district_excluded.append(chart_number)
        meta = DASHBOARDS[board]
        files[f"dashboards/{board}.yaml"] = {
            "dashboard_title": meta["title"], "description": None, "css": "", "slug": meta["slug"],
            "certified_by": None, "certification_details": None, "published": True,
            "uuid": uid("dashboard", board), "position": position,
            "metadata": {
                "native_filter_configuration": _native_filters(board, period_excluded, district_excluded),
                "chart_configuration": _drill_configuration(board_charts, drill_sources, drill_targets),
                "global_chart_configuration": {
                    "scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []},
                "color_scheme": "supersetColors", "label_colors": grade_colours(grades),
                "shared_label_colors": [], "color_scheme_domain": [], "cross_filters_enabled": True,
                "refresh_frequency": 0, "expanded_slices": {}, "timed_refresh_immune_slices": [],
                "default_filters": "{}",
            },
            "version": VERSION,
        }
    return files


def dump(content: dict[str, Any]) -> str:
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=120)


def write_assets(target: Path = ASSETS_DIR) -> list[Path]:
    written = []
    for rel, content in build_assets().items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(content), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for p in write_assets():
        print(p.relative_to(ASSETS_DIR))
