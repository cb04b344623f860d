"""
### hotline_ingest — one 12319 热线 log file

Triggered per delivered log file (conf `path`). The file is landed byte-for-byte, calls are parsed, caller numbers
masked and hashed, repeat calls counted once and linked to cases; rows that don't parse go to quarantine. Then a
new snapshot is published (audited) and a run report is written.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, dag, task

from orchestration.assets import DEFAULT_ARGS, HOTLINE_CALLS, WAREHOUSE_WRITER_POOL


@dag(
    dag_id="hotline_ingest",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["szcg", "hotline", "writes-warehouse"],
    doc_md=__doc__,
    params={"path": Param(type="string", minLength=1, description="hotline log file")},
)
def hotline_ingest() -> None:
    @task
    def check(**context: Any) -> dict[str, Any]:
        from orchestration import steps

        return steps.check_upload(context["params"]["path"])

    @task(pool=WAREHOUSE_WRITER_POOL)
    def ingest(upload: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.ingest_hotline(upload["path"])

    @task(pool=WAREHOUSE_WRITER_POOL, outlets=[HOTLINE_CALLS])
    def publish(result: dict[str, Any]) -> dict[str, Any]:
        from orchestration import steps

        return steps.publish_if_loaded(result, reason=f"hotline file {result.get('batch_id', '?')}")

    @task(retries=0)
    def report(result: dict[str, Any], published: dict[str, Any], **context: Any) -> str:
        from orchestration import steps

        return steps.report_run("hotline_ingest", context["run_id"], result, published)

    loaded = ingest(check())
    report(loaded, publish(loaded))


hotline_ingest()
