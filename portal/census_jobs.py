"""Census batches uploaded through the portal, ingested one at a time in the background.

The request that receives a file only keeps it and queues a job; one worker thread runs the jobs in order (the
warehouse has one writer at a time anyway) through the same use case as ``szcg census ingest`` and the
``census_ingest`` DAG (:func:`usecases.census.ingest_batch`). The page polls the job for its stage and counts.
The worker's first task imports what a batch needs (DuckDB spatial, the GX suite, the report's libraries), so the
first survey team of the day does not wait seconds for imports.

A job's record (who uploaded which file for which district) goes into ``landing.census_upload`` in the warehouse
after the ingest and before the publish, so it is published with the batch it describes; the page's report is
assembled from the work database in the same writer session and kept as JSON under ``<data>/portal/census/``
(:mod:`portal.census_report`). The report is shown as soon as it is ready; the publish comes after it (its cost
grows with the warehouse, the team's wait should not: 20-40 s at the demo's size). When another batch is waiting
in the queue, a batch's publish is left to the next one — one publish carries both — so a batch uploaded while
another is being processed is not held behind that one's publish. The uploaded file is deleted when its job ends:
landing keeps the copy the batch was loaded from.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.census_upload import ReceivedUpload
from szcg import clock
from szcg.errors import InputRejected
from szcg.settings import Settings

log = logging.getLogger(__name__)

STAGE_NAMES = {
    "queued": "排队等候", "ingesting": "读取、校验与入库", "report": "生成批次报告", "publishing": "发布到数据仓库",
    "done": "完成", "failed": "失败",
}
STAGES_SHOWN = ("queued", "ingesting", "report", "publishing")
# From this stage on the batch's report can be read (the publish that follows is for the warehouse's readers).
REPORTED = ("publishing", "done")
FINISHED = ("done", "failed")
MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "census_loaders" / "mappings"


def mapping_presets() -> dict[str, Path]:
    """The column mappings a team may choose (the presets ``szcg census ingest --mapping`` is given), by name."""
    return {p.stem: p for p in sorted(MAPPINGS_DIR.glob("*.yaml"))}


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "portal" / "census" / "uploads"


@dataclass
class CensusJob:
    upload_id: str
    batch_id: str
    district_code: str
    mapping: str | None
    file_name: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: dt.datetime
    corrects: str | None
    path: Path
    stage: str = "queued"
    message: str = ""  # why it failed, in Chinese
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, for the page and the benchmark
    finished_at: float | None = None
    ended: threading.Event = field(default_factory=threading.Event)

    @property
    def stage_name(self) -> str:
        return STAGE_NAMES[self.stage]

    @property
    def finished(self) -> bool:
        return self.stage in FINISHED

    def stages(self) -> list[tuple[str, str, str]]:
        """(stage, its name, done | current | waiting) for the progress line."""
        order = list(STAGES_SHOWN)
        at = order.index(self.stage) if self.stage in order else len(order)
        return [(key, STAGE_NAMES[key], "done" if i < at else "current" if i == at else "waiting")
                for i, key in enumerate(order)]

    @property
    def reported(self) -> bool:
        """Its report is ready (it may still be publishing)."""
        return self.stage in REPORTED


def warm_up() -> None:
    """Import the ingest's heavy libraries once, in the worker thread, before the first batch."""
    started = time.perf_counter()
    import great_expectations  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import openpyxl  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import shapely  # noqa: F401

    import census_loaders.ingest
    import census_loaders.report  # noqa: F401
    import quality.census  # noqa: F401
    import usecases.census
    import usecases.publish  # noqa: F401

    log.info("census jobs: libraries imported in %.1f s", time.perf_counter() - started)


class CensusJobs:
    """The portal process's census jobs: a queue served by one worker thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jobs: dict[str, CensusJob] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="szcg-census")
        self.warmed: Future[None] = self._pool.submit(warm_up)
        # Reported batches whose publish waits for the next batch's (only the worker thread touches it).
        self._unpublished: list[tuple[CensusJob, list[float]]] = []

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._unpublished:  # the batch that would have carried them was cancelled: publish them now
            self._publish_reported()

    def submit(self, upload: ReceivedUpload, *, district_code: str, mapping: str | None, uploaded_by: str,
               corrects: str | None) -> CensusJob:
        job = CensusJob(upload.upload_id, upload.batch_id, district_code, mapping, upload.file_name,
                        upload.size_bytes, uploaded_by, clock.now().replace(microsecond=0), corrects,
                        upload.path)
        with self._lock:
            self._jobs[job.upload_id] = job
        self._pool.submit(self._run, job)
        return job

    def get(self, upload_id: str) -> CensusJob | None:
        with self._lock:
            return self._jobs.get(upload_id)

    def jobs(self) -> list[CensusJob]:
        with self._lock:
            return list(self._jobs.values())

    def _stage(self, job: CensusJob, stage: str, clock: list[float]) -> None:
        now = time.perf_counter()
        if job.stage not in ("queued", *FINISHED):
            job.seconds[job.stage] = round(now - clock[0], 3)
        clock[0] = now
        job.stage = stage

    def _queued(self) -> bool:
        with self._lock:
            return any(j.stage == "queued" for j in self._jobs.values())

    def _run(self, job: CensusJob) -> None:
        from portal import census_report
        from usecases.census import ingest_batch

        clock = [time.perf_counter()]
        try:
            self._stage(job, "ingesting", clock)
            mapping = mapping_presets()[job.mapping] if job.mapping else None
            # The page draws its own report: only the report's data is written (not the CLI's HTML/XLSX/PNG).
            outcome = ingest_batch(self.settings, job.path, job.district_code, mapping, report=False,
                                   report_data=True, publish=False)
            job.path.unlink(missing_ok=True)  # landing keeps the copy the batch was loaded from
            job.counts = {"rows_in": outcome.rows_in, "rows_loaded": outcome.rows_loaded,
                          "rows_quarantined": outcome.rows_quarantined}
            self._stage(job, "report", clock)
            census_report.record_and_report(self.settings, job, outcome)
            # The team reads its report now; readers (dashboards, the history) see the batch once it is published.
            self._stage(job, "publishing", clock)
            self._unpublished.append((job, clock))
        except Exception as exc:
            self._fail(job, clock, exc)
        finally:
            job.path.unlink(missing_ok=True)  # landing keeps the copy the batch was loaded from
        if self._unpublished and not self._queued():  # else the next batch's publish carries these too
            self._publish_reported()

    def _publish_reported(self) -> None:
        from usecases.publish import publish_if_changed

        reported, self._unpublished = self._unpublished, []
        batches = ", ".join(j.batch_id for j, _ in reported)
        uploaders = ", ".join(dict.fromkeys(j.uploaded_by for j, _ in reported))
        try:
            publish_if_changed(self.settings, f"census {batches} (portal upload by {uploaders})")
        except Exception as exc:
            for job, clock in reported:
                self._fail(job, clock, exc)
            return
        for job, clock in reported:
            self._stage(job, "done", clock)
            self._end(job)

    def _fail(self, job: CensusJob, clock: list[float], exc: Exception) -> None:
        from warehouse.lock import WarehouseBusy

        if isinstance(exc, InputRejected):
            job.message = f"文件被拒收：{exc}"
        elif isinstance(exc, WarehouseBusy):
            job.message = "数据仓库正被其他任务占用，请稍后重新上传"
        else:
            log.error("census upload %s (batch %s) failed", job.upload_id, job.batch_id, exc_info=exc)
            job.message = "处理时发生内部错误，已记录日志；请联系系统管理员"
        self._stage(job, "failed", clock)
        self._end(job)

    @staticmethod
    def _end(job: CensusJob) -> None:
        job.finished_at = time.time()
        job.ended.set()
