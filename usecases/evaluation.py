"""综合评价: evaluate a month — compute → validate → gate → publish — the same way whoever starts it.

:func:`evaluate_month` is the whole job; its steps are public functions too, because the ``monthly_evaluation``
DAG runs each as a task of its own (so a closed gate shows as a failed ``gate`` task in the Airflow UI), in the
same order. A closed gate publishes nothing: readers keep what they had, and :class:`GateClosed` says why.

Two ways to publish a month that passed the gate: ``freeze=True`` (the schedule) freezes the draft as published
version 1, unless the month was published already (then it is left as it is and the outcome says whether the
draft still matches); ``freeze=False`` (``szcg evaluate compute``, reviewing a draft) publishes the snapshot so
readers see the draft (version 0) next to the published versions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from szcg.clock import to_cst
from szcg.errors import SzcgError
from szcg.logs import get_logger, job
from szcg.settings import Settings
from usecases.publish import publish_if_changed

if TYPE_CHECKING:
    from transforms.evaluation.scheme import Scheme

log = get_logger(__name__)

# Expectations on the draft before anyone sees it: (what failed, SQL that is true when it failed).
VALIDATIONS: tuple[tuple[str, str], ...] = (
    ("no scores computed", "SELECT count(*) = 0 FROM marts.score WHERE period = ? AND version = 0"),
    (
        "total score outside 0–100",
        "SELECT count(*) > 0 FROM marts.score WHERE period = ? AND version = 0"
        " AND total_score IS NOT NULL AND (total_score < 0 OR total_score > 100)",
    ),
    (
        "an entity scored twice",
        "SELECT count(*) > 0 FROM (SELECT object, level, entity_code FROM marts.score WHERE period = ?"
        " AND version = 0 GROUP BY ALL HAVING count(*) > 1)",
    ),
    (
        "ranked entity without a total",
        "SELECT count(*) > 0 FROM marts.score WHERE period = ? AND version = 0 AND ranked AND total_score IS NULL",
    ),
)


class GateClosed(SzcgError):
    """The evaluation results failed validation: nothing is published, readers keep the previous month."""

    def __init__(self, period: str, problems: list[str]) -> None:
        self.period, self.problems = period, list(problems)
        lines = "\n  ".join(problems)
        super().__init__(f"scorecards for {period} not published; validation failed:\n  {lines}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "period": self.period, "problems": self.problems}


@dataclass
class Validation:
    period: str
    passed: bool
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EvaluationOutcome:
    """What evaluating a month did: the draft's summary, the validation, and what was published."""

    period: str
    draft: dict[str, Any]  # the draft's VersionSummary (version 0): counts, content hash, scheme
    validation: Validation
    version: int | None = None  # the published version readers see for the month (None: only the draft)
    already_published: bool = False  # frozen before: left as it was
    draft_matches: bool | None = None  # when already published: whether the new draft equals it
    published: bool = False  # a new snapshot was published by this run
    snapshot: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_as_of(text: str) -> datetime:
    """``--as-of``: an ISO date-time; one with an offset is read as China Standard Time (naive, like the events)."""
    from transforms.evaluation.store import EvaluationRefused

    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise EvaluationRefused("as_of", "iso_datetime", f"--as-of {text!r}: expected an ISO date-time") from exc
    return to_cst(value)


def evaluation_context(settings: Settings, scheme_path: Path | None = None) -> tuple[Any, Any, Any]:
    """The scheme, the working calendar and the 指挥手册 (its 处置 limits judge cases still open at the cut-off)."""
    from standards.calendar import load_calendar
    from standards.city import load_city
    from standards.handbook import load_handbook
    from transforms.evaluation.scheme import load_scheme, resolve_scheme_path

    city = load_city(settings)
    return load_scheme(resolve_scheme_path(settings, scheme_path)), load_calendar(city), load_handbook(city)


def compute(settings: Settings, period: str, *, scheme: Path | None = None, as_of: datetime | None = None,
            actor: str = "evaluation_office") -> dict[str, Any]:
    """(Re)compute the month's draft scorecard (version 0) into the work database; readers don't see it yet."""
    from transforms.evaluation import store
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    key = parse_period(period)
    chosen, calendar, handbook = evaluation_context(settings, scheme)
    with Warehouse(settings).writer() as con:
        summary = store.compute_draft(con, key, chosen, calendar, as_of=as_of, actor=actor, handbook=handbook)
    draft = {**summary.to_dict(), "scheme_id": chosen.scheme_id}
    # a month without any event is "no scores computed" at the gate; listing every indicator as well is noise
    unavailable = _scored_unavailable(draft["unavailable"], chosen) if summary.counts.get("cases_in_scope") else []
    draft["warnings"] = [*summary.warnings, *unavailable]
    for warning in draft["warnings"]:  # codes and counts only: the message names no case or person
        log.warning("evaluation %s draft: %s (%s)", key.key, warning["code"], warning["message"])
    return draft


def _scored_unavailable(unavailable: list[dict[str, Any]], scheme: Scheme) -> list[dict[str, Any]]:
    """A warning when indicators the scheme scores could not be computed for want of an input (the month's events
    lack a step): totals then rest on the other indicators. 无样本 alone (input 'sample') is usual and not warned."""
    scored = {(o.object, s.indicator) for o in scheme.objects.values() for s in o.indicators if s.weight}
    missing = sorted({(u["object"], u["label"], u["reason"]) for u in unavailable
                      if u["input"] != "sample" and (u["object"], u["indicator"]) in scored})
    if not missing:
        return []
    return [{"code": "indicators_unavailable", "indicators": [
                {"object": o, "indicator": label, "reason": reason} for o, label, reason in missing],
             "message": f"{len(missing)} 项计分指标本期不可用，总分按其余指标的权重计算："
                        + "；".join(f"{o}/{label}（{reason}）" for o, label, reason in missing)}]


def validate(settings: Settings, period: str) -> Validation:
    """Run :data:`VALIDATIONS` on the month's draft."""
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    key = parse_period(period).key
    with Warehouse(settings).writer() as con:
        problems = [name for name, sql in VALIDATIONS if con.execute(sql, [key]).fetchone()[0]]  # type: ignore[index]
    return Validation(key, not problems, problems)


def gate(validation: Validation) -> Validation:
    """Let a validated draft through, or stop the job here (:class:`GateClosed`)."""
    if not validation.passed:
        raise GateClosed(validation.period, validation.problems)
    return validation


def publish_month(settings: Settings, period: str, *, freeze: bool = True, actor: str = "system") -> dict[str, Any]:
    """Publish a month that passed the gate (see the module's doc for ``freeze``). A month already published stays
    as it is: a re-run whose draft equals the published version changes nothing; one that differs is reported —
    changing a published month is a human decision (``szcg evaluate reissue --reason …``)."""
    from transforms.evaluation import store
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    key = parse_period(period)
    outcome: dict[str, Any] = {"period": key.key, "version": None, "already_published": False}
    if freeze:
        with Warehouse(settings).writer() as con:
            existing = store.latest_published(con, key.key)
            if existing is not None:
                same = store.content_hash(con, key.key, 0) == store.content_hash(con, key.key, existing)
                outcome.update(version=existing, already_published=True, draft_matches=same)
            else:
                outcome["version"] = store.publish(con, key, actor=actor).version
    reason = (f"evaluation {key.key} v{outcome['version']}" if freeze else f"evaluation draft {key.key}")
    snap = publish_if_changed(settings, reason)
    return {**outcome, "published": snap.published, "snapshot": snap.snapshot_id}


def evaluate_month(settings: Settings, period: str, *, scheme: Path | None = None, as_of: datetime | None = None,
                   actor: str = "evaluation_office", freeze: bool = True) -> EvaluationOutcome:
    """Compute the month's draft, validate it, and publish it only if every validation passed; a closed gate
    raises :class:`GateClosed` and publishes nothing."""
    with job("evaluate month", log, period=period, freeze=freeze) as running:
        with running.step("compute") as step:
            draft = compute(settings, period, scheme=scheme, as_of=as_of, actor=actor)
            step.count(**{k: v for k, v in draft.get("counts", {}).items()})
        with running.step("validate") as step:
            validation = validate(settings, period)
            step.count(passed=validation.passed, problems=len(validation.problems))
        with running.step("gate"):
            if not validation.passed:  # say why the draft is empty, not only that it is
                validation.problems += [str(w["message"]) for w in draft["warnings"] if w["code"] == "empty_cohort"]
            gate(validation)
        with running.step("publish") as step:
            published = publish_month(settings, period, freeze=freeze, actor=actor)
            step.count(version=published["version"], published=published["published"],
                       snapshot_id=published["snapshot"])
        running.done(period=validation.period, version=published["version"], published=published["published"])
    return EvaluationOutcome(
        period=validation.period, draft=draft, validation=validation, version=published["version"],
        already_published=published["already_published"], draft_matches=published.get("draft_matches"),
        published=published["published"], snapshot=published["snapshot"],
    )
