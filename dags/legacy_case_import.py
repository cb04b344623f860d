"""
### legacy_case_import — cases exported from a previous 数字城管 system

Triggered per export file with conf `path` and `mapping` (the column mapping of that system's export; CSV or
Parquet). Cases and their workflow events are mapped into `core.case` / `core.case_event` with their defects kept
as flags (e.g. closed before opened); rows that cannot be mapped go to quarantine. Then publish and report.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, dag, task

from orchestration.assets import DEFAULT_ARGS, LEGACY_CASES, WAREHOUSE_WRITER_POOL


@dag(
    dag_id="legacy_case_import",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["szcg", "cases", "writes-warehouse"],
    doc_md=__doc__,
    params={
        "path": Param(type="string", minLength=1, description="CSV export, or a folder with cases/case_events.parquet"),
        "mapping": Param("", type="string", description="column mapping name or YAML path; empty for Parquet"),
    },
)
def legacy_case_import() -> None:
    @task
    def check(**context: Any) -> dict[str, Any]:
        from orchestration import steps

        return steps.check_upload(context["params"]["path"])

    @task(pool=WAREHOUSE_WRITER_POOL)
    def import_cases(upload: dict[str, Any], **context: Any) -> dict[str, Any]:
        from orchestration import steps

        p = context["params"]
        return steps.import_legacy_cases(upload["path"], p["mapping"] or None)

    @task(pool=WAREHOUSE_WRITER_POOL, outlets=[LEGACY_CASES])
    def publish(result: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.publish_if_loaded(result, reason=f"legacy cases {result.get('batch_id', '?')}")

    @task(retries=0)
    def report(result: dict[str, Any], published: dict[str, Any], **context: Any) -> str:
        from orchestration import steps

        return steps.report_run("legacy_case_import", context["run_id"], result, published)

    loaded = import_cases(check())
    report(loaded, publish(loaded))


legacy_case_import()
