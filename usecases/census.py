"""部件普查: ingest census batches (one delivered file = one batch) and publish what they changed.

:func:`ingest_batch` is the whole job for one file — land, validate, load the valid rows, quarantine the rest, write
the batch report, publish — and :func:`ingest_batches` the same for several files of one district with one publish
at the end (``szcg census ingest a.csv b.csv``). The CLI, the ``census_ingest`` DAG, the demo and the portal call
these; nothing here prints (the CLI words the outcome, the portal shows it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from szcg.errors import InputRejected, RowProblem
from szcg.logs import get_logger, job
from szcg.settings import Settings
from usecases.publish import publish_if_changed

log = get_logger(__name__)
PROBLEMS_KEPT = 50  # problems carried in the outcome (all of them are in the quarantine and the report)


@dataclass
class CensusOutcome:
    """What ingesting one batch did. Rows in = rows loaded + rows quarantined, always."""

    batch_id: str
    file: str
    district_code: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    new: int
    changed: int
    unchanged: int
    missing: int  # known components of the district the batch did not mention
    grids_assigned: int
    already_loaded: bool  # the same content was loaded before: nothing loaded again
    rejected: str | None  # the whole file was refused, and why
    problems_by_rule: dict[str, int]  # quarantined rows' reasons, by rule
    problems: list[str]  # the first PROBLEMS_KEPT problems, worded (file, row, field, rule, message)
    notes: list[str]
    encoding: str | None
    mapping: str
    crs: str
    gcj02: str
    report: dict[str, str] | None = None  # html / xlsx / png paths of the batch report (None: not written)
    published: str | None = None  # the snapshot readers see now, if this job published one
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def report_path(self) -> Path | None:
        """The batch report's HTML page (the one to show a person), if written."""
        return Path(self.report["html"]) if self.report and "html" in self.report else None

    @property
    def changed_warehouse(self) -> bool:
        return self.rows_in > 0 and not self.already_loaded

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CensusRunOutcome:
    """Several batches ingested in one run, published once."""

    batches: list[CensusOutcome]
    published: str | None

    @property
    def rejected(self) -> bool:
        return any(b.rejected for b in self.batches)

    def to_dict(self) -> dict[str, Any]:
        return {"batches": [b.to_dict() for b in self.batches], "published": self.published}


def check_output_path(path: Path | None, option: str, *, directory: bool) -> None:
    """Refuse an output path of the wrong kind by name before any work is done (not a traceback at the end)."""
    if path is None:
        return
    wrong = path.exists() and (path.is_dir() != directory)
    if wrong or (not directory and not path.parent.is_dir()):
        what = ("is a file, expected a directory" if directory else
                "is a directory, expected a file" if wrong else "is in a directory that does not exist")
        raise InputRejected(f"{option} {path}: {what}", [RowProblem(str(path), 0, option, "path.kind", what)])


def default_report_dir(settings: Settings) -> Path:
    return settings.data_dir / "reports" / "census"


def ingest_batches(
    settings: Settings,
    paths: Sequence[Path],
    district: str,
    mapping: Path | None = None,
    *,
    convert_gcj02: bool = False,
    report: bool = True,
    report_dir: Path | None = None,
    publish: bool = True,
    progress: bool = False,
    report_data: bool = False,
) -> CensusRunOutcome:
    """Ingest each file as one batch of ``district`` (6-digit code), in order, in one writer session; write each
    new batch's report (HTML/XLSX/PNG) into ``report_dir`` (default ``<data>/reports/census``) unless ``report`` is
    false; then publish once if the work database changed (see :mod:`usecases.publish`) unless ``publish`` is
    false. A file refused as a whole is an outcome with ``rejected`` set, not an exception; a district that is
    not the city's raises :class:`InputRejected`. ``progress`` prints reading progress on stderr (the CLI's).
    ``report_data`` without ``report``: only the report's data (points and diff as Parquet), which the web portal
    draws its own page from — a fraction of the cost of the HTML/XLSX/PNG."""
    from census_loaders.cityctx import city_context
    from census_loaders.config import load_census_config
    from census_loaders.ingest import IngestOptions, ingest_file
    from census_loaders.report import batch_grids, write_report, write_report_data
    from warehouse.store import Warehouse

    target_dir = report_dir or default_report_dir(settings)
    if report:
        check_output_path(target_dir, "report directory", directory=True)
    wh = Warehouse(settings)
    # the report's diff and points (a million rows each for a full census) are fetched only for a report
    options = IngestOptions(district, mapping, convert_gcj02, progress=progress, report_tables=report or report_data)
    outcomes: list[CensusOutcome] = []
    with job("census ingest", log, district=district, files=len(paths)) as running:
        with running.step("configuration"):
            config, ctx = load_census_config(settings), city_context(settings)
        with wh.writer(spatial=True) as con:
            for path in paths:
                with running.step("ingest") as step:
                    result = ingest_file(con, wh, Path(path), options, ctx, config)
                    summary = result.summary()
                    step.count(batch_id=result.batch_id, rows_in=result.rows_in, rows_loaded=result.rows_loaded,
                               rows_quarantined=result.rows_quarantined, already_loaded=result.already_loaded,
                               rejected=bool(result.rejected_message), problems_by_rule=summary["problems_by_rule"],
                               **{f"{k.replace(' ', '_')}_s": v for k, v in result.timings.items()})
                written = None
                if report and not result.already_loaded:
                    with running.step("report", batch_id=result.batch_id):
                        written = write_report(result, batch_grids(con, result), target_dir)
                elif report_data and not result.already_loaded:
                    target_dir.mkdir(parents=True, exist_ok=True)
                    written = write_report_data(result, target_dir)
                outcomes.append(CensusOutcome(
                    batch_id=result.batch_id, file=result.file_name, district_code=result.district_code,
                    rows_in=result.rows_in, rows_loaded=result.rows_loaded, rows_quarantined=result.rows_quarantined,
                    new=result.new, changed=result.changed, unchanged=result.unchanged, missing=result.missing,
                    grids_assigned=result.grids_assigned, already_loaded=result.already_loaded,
                    rejected=result.rejected_message or None, problems_by_rule=summary["problems_by_rule"],
                    problems=[str(p) for p in result.problems[:PROBLEMS_KEPT]], notes=list(result.notes),
                    encoding=result.encoding, mapping=result.mapping, crs=result.crs, gcj02=result.gcj02,
                    report=written, timings=dict(result.timings),
                ))
        published = None
        if publish:
            with running.step("publish") as step:
                snap = publish_if_changed(settings, "census " + ", ".join(o.batch_id for o in outcomes))
                published = snap.snapshot_id
                step.count(published=snap.published, snapshot_id=published)
        running.done(batches=len(outcomes), rows_in=sum(o.rows_in for o in outcomes),
                     rows_loaded=sum(o.rows_loaded for o in outcomes),
                     rows_quarantined=sum(o.rows_quarantined for o in outcomes),
                     rejected=sum(1 for o in outcomes if o.rejected), snapshot_id=published)
    for outcome in outcomes:
        outcome.published = published
    return CensusRunOutcome(outcomes, published)


def ingest_batch(
    settings: Settings,
    path: Path,
    district: str,
    mapping: Path | None = None,
    *,
    report: bool = True,
    report_dir: Path | None = None,
    convert_gcj02: bool = False,
    publish: bool = True,
    progress: bool = False,
    report_data: bool = False,
) -> CensusOutcome:
    """Ingest one census batch and publish it: see :func:`ingest_batches`. Returns rows in / loaded / quarantined,
    the quarantine's reasons by rule, the batch id, the report's paths and the published snapshot."""
    run = ingest_batches(settings, [path], district, mapping, convert_gcj02=convert_gcj02, report=report,
                         report_dir=report_dir, publish=publish, progress=progress,
                         report_data=report_data)
    return run.batches[0]
