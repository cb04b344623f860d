"""
### grid_map_update — a new or revised 单元网格 map

Triggered when the surveying office delivers a grid map (GeoPackage, GeoJSON or zipped Shapefile), with the run's
conf:

| param | meaning |
|---|---|
| `path` | the delivered map, as the workers see it |
| `valid_from` | date the map takes effect, `YYYY-MM-DD` (empty: the day of the run) |

Steps: **check** the upload (exists, readable, fingerprint) → **load** (new grids added, changed ones versioned
from `valid_from`, unchanged ones kept; communities the map names added; gaps inside a district's grids reported;
bad features quarantined) → **publish** a new snapshot (audited; readers switch atomically) → **report** back the
counts. A map that loads no grid at all fails the run at *report* with the reasons. The load is the job in
`usecases/grids.py` that `szcg grids load` and the demo run too.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, dag, task

from orchestration.assets import DEFAULT_ARGS, GRIDS, WAREHOUSE_WRITER_POOL


@dag(
    dag_id="grid_map_update",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["szcg", "grids", "writes-warehouse"],
    doc_md=__doc__,
    params={
        "path": Param(type="string", minLength=1, description="grid map (GeoPackage, GeoJSON, zipped Shapefile)"),
        "valid_from": Param("", type="string", pattern=r"^(\d{4}-\d{2}-\d{2})?$",
                            description="YYYY-MM-DD the map takes effect; empty: today"),
    },
)
def grid_map_update() -> None:
    @task
    def check(**context: Any) -> dict[str, Any]:
        from orchestration import steps

        return steps.check_upload(context["params"]["path"])

    @task(pool=WAREHOUSE_WRITER_POOL)
    def load(upload: dict[str, Any], **context: Any) -> dict[str, Any]:
        from orchestration import steps

        return steps.load_grid_map(upload["path"], context["params"]["valid_from"] or None)

    @task(pool=WAREHOUSE_WRITER_POOL, outlets=[GRIDS])
    def publish(result: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.publish_if_loaded(result, reason=f"grid map {result.get('batch_id', '?')}")

    @task(retries=0)
    def report(result: dict[str, Any], published: dict[str, Any], **context: Any) -> str:
        from orchestration import steps

        return steps.report_run("grid_map_update", context["run_id"], result, published)

    loaded = load(check())
    report(loaded, publish(loaded))


grid_map_update()
