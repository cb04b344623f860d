"""
### census_ingest — one uploaded 部件普查 batch

Triggered once per uploaded batch (CSV GBK/UTF-8, XLSX, GeoPackage or zipped Shapefile) with the run's conf:

| param | meaning |
|---|---|
| `path` | the uploaded file, as the workers see it |
| `district` | 区县 code the batch belongs to (6 digits) |
| `mapping` | column-mapping name or YAML file (empty: the city's default) |

Steps: **check** the upload (exists, readable, fingerprint) → **ingest** (read, validate; good rows into
`core.component`, bad rows into `quarantine` with file/row/field/rule) → **publish** a new snapshot (audited;
readers switch atomically) → **report** back counts and where the quarantined rows are. A batch rejected as a
whole is quarantined and not published; the run then fails at *report* with the reasons.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, dag, task

from orchestration.assets import COMPONENTS, DEFAULT_ARGS, WAREHOUSE_WRITER_POOL


@dag(
    dag_id="census_ingest",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["szcg", "census", "writes-warehouse"],
    doc_md=__doc__,
    params={
        "path": Param(type="string", minLength=1, description="uploaded census batch file"),
        "district": Param(type="string", pattern=r"^\d{6}$", description="区县 code (6 digits)"),
        "mapping": Param("", type="string", description="column mapping name or YAML path; empty: default"),
    },
)
def census_ingest() -> None:
    @task
    def check(**context: Any) -> dict[str, Any]:
        from orchestration import steps

        return steps.check_upload(context["params"]["path"])

    @task(pool=WAREHOUSE_WRITER_POOL)
    def ingest(upload: dict[str, Any], **context: Any) -> dict[str, Any]:
        from orchestration import steps

        p = context["params"]
        return steps.ingest_census(upload["path"], p["district"], p["mapping"] or None)

    @task(pool=WAREHOUSE_WRITER_POOL, outlets=[COMPONENTS])
    def publish(result: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.publish_if_loaded(result, reason=f"census batch {result.get('batch_id', '?')}")

    @task(retries=0)
    def report(result: dict[str, Any], published: dict[str, Any], **context: Any) -> str:
        from orchestration import steps

        return steps.report_run("census_ingest", context["run_id"], result, published)

    loaded = ingest(check())
    report(loaded, publish(loaded))


census_ingest()
