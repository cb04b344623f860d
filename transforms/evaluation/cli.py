"""``szcg evaluate …`` (综合评价: compute, publish, reissue, explain, appeal, decide, show) and ``szcg report``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from szcg.cliutil import EXIT_USAGE, Outcome, add_command
from szcg.errors import SzcgError
from szcg.settings import Settings

if TYPE_CHECKING:
    import duckdb

    from transforms.evaluation.store import Explanation

# `--strict` and the draft has warnings: computed and published for review, but not to be trusted as complete
EXIT_INCOMPLETE = 3


class EvaluateUsage(SzcgError):
    """``szcg evaluate`` with neither --period nor a command (exit 2, like an argparse usage error)."""

    exit_code = EXIT_USAGE


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    about = "综合评价: scorecards of regions, departments and posts"
    # `szcg evaluate --period 2026-10` computes the draft (the issue's spelling); `evaluate compute --period` too
    top = subparsers.add_parser("evaluate", help=about, description=f"{about}. Without a COMMAND, --period "
                                "computes the period's draft (same as `szcg evaluate compute`).")
    _compute_options(top, required=False)
    top.add_argument("--json", action="store_true", help="print one JSON object summarising what was done")
    top.set_defaults(handler=_compute_default)
    group = top.add_subparsers(dest="evaluate_command", metavar="COMMAND")
    compute = add_command(group, "compute", _compute, help="compute the period's draft scorecard into marts")
    _compute_options(compute, required=True)
    publish = add_command(group, "publish", _publish, help="freeze the reviewed draft as the published version")
    _period(publish)
    _by(publish)
    reissue = add_command(group, "reissue", _reissue, help="recompute and publish a new version, with a reason")
    _period(reissue)
    reissue.add_argument("--reason", required=True, help="why the period is re-issued (recorded)")
    reissue.add_argument("--scheme", type=Path)
    _by(reissue)
    explain = add_command(group, "explain", _explain, help="an indicator behind a score and the cases it counted")
    _period(explain)
    explain.add_argument("--entity", required=True, help="area code, department code or staff id")
    explain.add_argument("--indicator", required=True, help="indicator key or Chinese name, e.g. 按期处置率")
    explain.add_argument("--object", help="region, department, supervisor, operator, shift_leader, dispatcher")
    explain.add_argument("--version", type=int, help="default: latest published, else the draft (0)")
    explain.add_argument("--limit", type=int, default=EXPLAIN_LIMIT,
                         help=f"list at most this many cases, in case order (default {EXPLAIN_LIMIT}); the counts "
                              "are always over all of them")
    explain.add_argument("--offset", type=int, default=0, help="list from this case on (0: the first)")
    explain.add_argument("--all", action="store_true", help="list every case (a district has hundreds of thousands)")
    show = add_command(group, "show", _show, help="the scorecard: totals, grades and ranks")
    _period(show)
    show.add_argument("--object", help="only this evaluation object")
    show.add_argument("--version", type=int)
    appeal = add_command(group, "appeal", _appeal, help="申诉: contest a case counted against an entity")
    _period(appeal)
    appeal.add_argument("--entity", required=True)
    appeal.add_argument("--case", required=True, dest="case_id")
    appeal.add_argument("--indicator", help="only this indicator (default: every indicator of the entity)")
    appeal.add_argument("--object")
    appeal.add_argument("--reason", required=True)
    _by(appeal)
    decide = add_command(group, "decide", _decide, help="accept (→ new version) or reject an appeal, with a reason")
    decide.add_argument("--appeal", type=int, required=True, dest="appeal_id")
    verdict = decide.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--accept", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    decide.add_argument("--reason", required=True)
    _by(decide)
    adjust = add_command(group, "adjust", _adjust, help="扣分/加分: points on one entity's total (→ new version)")
    _period(adjust)
    adjust.add_argument("--entity", required=True)
    adjust.add_argument("--object", required=True, help="region, department, supervisor, …")
    adjust.add_argument("--level", help="region: district/street/community/grid (default: = object)")
    adjust.add_argument("--points", type=float, required=True, help="negative: 扣分, positive: 加分")
    adjust.add_argument("--reason", required=True)
    adjust.add_argument("--approver", required=True, help="who approved the adjustment (recorded)")
    _by(adjust)
    check = add_command(group, "check-scheme", _check_scheme, help="validate a scheme YAML")
    check.add_argument("scheme", type=Path, nargs="?")
    report = add_command(subparsers, "report", _report, help="monthly evaluation report (PDF or HTML, Chinese)")
    _period(report, required=False)  # default: the latest month with published scorecards
    out = report.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", type=Path, help="report.pdf or report.html")
    out.add_argument("--issue", action="store_true",
                     help="issue it: archive and mail (SZCG_SMTP_*), plus a 更正版 of any re-issued month")
    report.add_argument("--version", type=int, help="default: latest published, else the draft")


def _period(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--period", required=required, help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")


def _compute_options(parser: argparse.ArgumentParser, required: bool) -> None:
    _period(parser, required)
    parser.add_argument("--as-of", help="cut-off instant (ISO, CST); default: the end of the period")
    parser.add_argument("--scheme", type=Path, help="scheme YAML (default: the city's own, else the packaged one)")
    parser.add_argument("--strict", action="store_true",
                        help=f"exit {EXIT_INCOMPLETE} when the draft has a warning: cases in scope but none "
                        "registered in the period, or a scored indicator not computable from the month's events")
    _by(parser)


def _by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", default="evaluation_office", help="who does this (recorded in the audit trail)")


def _context(settings: Settings, scheme_path: Path | None = None) -> tuple[Any, Any, Any]:
    """The scheme, the working calendar and the 指挥手册 (its 处置 limits judge cases still open at the cut-off)."""
    from standards.calendar import load_calendar
    from standards.city import load_city
    from standards.handbook import load_handbook
    from transforms.evaluation.scheme import load_scheme, resolve_scheme_path

    city = load_city(settings)
    return load_scheme(resolve_scheme_path(settings, scheme_path)), load_calendar(city), load_handbook(city)


def _compute_default(args: argparse.Namespace, settings: Settings) -> Outcome:
    if not args.period:
        raise EvaluateUsage("szcg evaluate: give --period YYYY-MM (computes the draft) or a COMMAND "
                            "(compute, publish, reissue, explain, show, appeal, decide, check-scheme)")
    return _compute(args, settings)


def _compute(args: argparse.Namespace, settings: Settings) -> Outcome:
    """The draft goes through the same validations and gate as the monthly DAG (usecases.evaluation): a closed
    gate publishes nothing and exits 1 naming what failed; a passed one publishes the draft for review."""
    from usecases.evaluation import evaluate_month, parse_as_of

    as_of = parse_as_of(args.as_of) if args.as_of else None
    outcome = evaluate_month(settings, args.period, scheme=args.scheme, as_of=as_of, actor=args.by, freeze=False)
    draft = outcome.draft
    text = (f"draft {outcome.period} computed with scheme {draft['scheme_id']} {draft['scheme_version']}: "
            f"{draft['counts'].get('cohort_cases', 0)} cases registered in the period, "
            f"{draft['counts']['score']} scores, {draft['counts']['score_lineage']} lineage rows; validations passed"
            + (f"; published snapshot {outcome.snapshot}" if outcome.snapshot else ""))
    lines = [text, *(f"不可用 {u['object']}/{u['level']} {u['label']}: {u['reason']}" for u in draft["unavailable"]),
             *(f"warning: {w['message']}" for w in draft["warnings"])]
    strict_failed = bool(args.strict and draft["warnings"])
    return Outcome({**draft, "snapshot": outcome.snapshot, "strict": bool(args.strict)}, "\n".join(lines),
                   EXIT_INCOMPLETE if strict_failed else 0)


def _publish(args: argparse.Namespace, settings: Settings) -> Outcome:
    from transforms.evaluation.store import EvaluationRefused
    from usecases.scorecards import publish_draft

    out = publish_draft(settings, args.period, actor=args.by)
    if out.version is None:  # the gate is closed: nothing was published
        raise EvaluationRefused("period", "gate", f"{args.period} not published; validation failed: "
                                + "; ".join(out.gate.problems))
    return Outcome({"period": out.gate.period, "version": out.version, "status": "published",
                    "content_sha256": out.content_sha256, "snapshot": out.snapshot},
                   f"{out.gate.period} published as version {out.version} (sha256 {(out.content_sha256 or '')[:12]})")


def _reissue(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.scorecards import reissue

    out = reissue(settings, args.period, args.reason, actor=args.by, scheme_path=args.scheme)
    return Outcome(dict(out.__dict__), f"{out.period} re-issued as version {out.version}: {args.reason}")


def _explain(args: argparse.Namespace, settings: Settings) -> Outcome:
    from transforms.evaluation import store
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    period = parse_period(args.period)
    with Warehouse(settings).reader() as con:
        try:
            ex = store.explain(con, period.key, args.entity, args.indicator, version=args.version, obj=args.object,
                               limit=None if args.all else args.limit, offset=args.offset)
        except store.EvaluationRefused as refused:
            # no value for the entity: if the indicator could not be computed at all this month, say why
            version = args.version if args.version is not None else store.latest_published(con, period.key)
            why = [u for u in _unavailable(con, period.key, 0 if version is None else version, args.object)
                   if args.indicator in (u["indicator"], u["label"])]
            if [p.rule for p in refused.problems] != ["evaluated"] or not why:
                raise
            raise store.EvaluationRefused("indicator", "available", f"{refused.args[0]}: 本期不可用 — " + "; ".join(
                f"{u['object']}/{u['level']} {u['label']}: {u['reason']}" for u in why)) from refused
        unavailable = next((u for u in _unavailable(con, ex.period, ex.version, ex.object)
                            if (u["level"], u["indicator"]) == (ex.level, ex.indicator)), None)
    value = "无样本" if ex.value is None else f"{ex.value:.4f}"
    lines = [
        f"{ex.period} v{ex.version}  {ex.object}/{ex.level} {ex.entity_code}  综合分 {ex.total_score} {ex.grade or ''}",
        f"{ex.label} ({ex.indicator}) = {'不可用' if unavailable else value}  分子 {ex.numerator}  "
        f"分母 {ex.denominator}  得分 {ex.score}  权重 {ex.weight}",
        f"口径: {ex.definition}",
    ]
    if unavailable:  # its inputs are missing this month: the case lists would explain nothing (availability.py)
        lines.append(f"本期不可用: {unavailable['reason']}（不计分，权重按其余指标重新分配）")
    else:
        lines += _case_lines(ex)
    return Outcome({**ex.to_dict(), "available": unavailable is None,
                    "unavailable_reason": unavailable["reason"] if unavailable else None,
                    "unavailable_input": unavailable["input"] if unavailable else None}, "\n".join(lines))


EXPLAIN_LIMIT = 100  # cases listed by default: a reader cannot read a district's 440 k (issue 23)


def _case_lines(ex: Explanation) -> list[str]:
    """The listed cases under their totals, and, when not all are listed, which ones are and how to get the rest."""
    def listed(total: int, cases: list[str]) -> str:
        return f"共 {total}" if len(cases) == total else f"共 {total}，列出 {len(cases)}"

    lines = [f"计入分子的案件 ({listed(ex.numerator_total, ex.numerator_cases)}): "
             f"{', '.join(ex.numerator_cases) or '—'}",
             f"仅计入分母的案件 ({listed(ex.denominator_only_total, ex.denominator_only_cases)}): "
             f"{', '.join(ex.denominator_only_cases) or '—'}"]
    if ex.returned < ex.total:
        shown = f"第 {ex.offset + 1}–{ex.offset + ex.returned} 件" if ex.returned else "无"
        rest = f"--offset {ex.offset + ex.returned} 看后续，" if ex.offset + ex.returned < ex.total else ""
        lines.append(f"按案件编号排序，共 {ex.total} 件，列出{shown}；{rest}--all 列出全部")
    return lines


_UNAVAILABLE_KEYS = ("object", "level", "indicator", "label", "input", "reason")


def _unavailable(con: duckdb.DuckDBPyConnection, period: str, version: int,
                 obj: str | None = None) -> list[dict[str, Any]]:
    """The version's indicators that could not be computed (marts.indicator_availability: its inputs were missing
    from the month's events, or no entity had a sample), with the reason, by object, level and indicator."""
    import duckdb

    sql = f"SELECT {', '.join(_UNAVAILABLE_KEYS)} FROM marts.indicator_availability WHERE period = ? AND version = ?"
    params: list[Any] = [period, version]
    if obj:
        sql += " AND object = ?"
        params.append(obj)
    try:
        rows = con.execute(sql + " ORDER BY object, level, indicator", params).fetchall()
    except duckdb.CatalogException:  # a snapshot published before availability was recorded: nothing to say
        return []
    return [dict(zip(_UNAVAILABLE_KEYS, r, strict=True)) for r in rows]


def _show(args: argparse.Namespace, settings: Settings) -> Outcome:
    from transforms.evaluation import store
    from transforms.evaluation.period import parse_period
    from warehouse.store import Warehouse

    period = parse_period(args.period)
    with Warehouse(settings).reader() as con:
        version = args.version if args.version is not None else store.latest_published(con, period.key)
        version = 0 if version is None else version
        h = store.header(con, period.key, version)
        if h is None:
            raise store.EvaluationRefused("period", "exists", f"no scorecard {period.key} version {version}")
        sql = ("SELECT object, level, entity_code, entity_name, total_score, grade, rank, ranked, sample_size, "
               "tie_break FROM marts.score WHERE period = ? AND version = ?")
        params: list[Any] = [period.key, version]
        if args.object:
            sql += " AND object = ?"
            params.append(args.object)
        rows = con.execute(sql + " ORDER BY object, level, rank NULLS LAST, entity_code", params).fetchall()
        unavailable = _unavailable(con, period.key, version, args.object)
    lines = [f"{period.key} version {version} ({h['status']}, scheme {h['scheme_id']} {h['scheme_version']}, "
             f"reason: {h['reason']})"]
    for o, lv, code, name, total, grade, rank, ranked, n, tie in rows:
        # below the minimum sample: 样本不足, neither score nor grade (a "100.00 A" from 2 cases would mislead)
        shown = f"{total!s:>7s} {grade or '-'} #{rank}" if ranked else "样本不足"
        lines.append(f"  {o:12s} {lv:12s} {code:16s} {name or '':12s} {shown} n={n}{'  ' + tie if tie else ''}")
    # the indicators that did not count this month, and why (the same words as `szcg evaluate compute`)
    lines += [f"不可用 {u['object']}/{u['level']} {u['label']}: {u['reason']}" for u in unavailable]
    keys = ("object", "level", "entity_code", "entity_name", "total_score", "grade", "rank", "ranked", "sample_size",
            "tie_break")
    scores = [dict(zip(keys, r, strict=True)) for r in rows]
    for s in scores:
        if not s["ranked"]:
            s["grade"] = None
    return Outcome({"period": period.key, "version": version, "status": h["status"], "scores": scores,
                    "unavailable": unavailable},
                   "\n".join(lines))


def _appeal(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.scorecards import AppealRequest, file_appeal

    out = file_appeal(settings, AppealRequest(args.period, args.entity, args.case_id, args.reason,
                                              indicator=args.indicator, object=args.object), actor=args.by)
    return Outcome({"appeal_id": out.appeal_id, "status": "pending", "snapshot": out.snapshot},
                   f"appeal #{out.appeal_id} filed for {args.entity} / case {args.case_id}")


def _decide(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.scorecards import decide_appeal

    out = decide_appeal(settings, args.appeal_id, bool(args.accept), args.reason, actor=args.by)
    text = f"appeal #{args.appeal_id} {out.decision}"
    if out.version is not None:
        text += f"; {out.period} re-issued as version {out.version.version}"
    return Outcome({"appeal_id": args.appeal_id, "decision": out.decision,
                    "version": out.version.version if out.version else None, "snapshot": out.snapshot}, text)


def _adjust(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.scorecards import adjust

    out = adjust(settings, args.period, args.object, args.level or args.object, args.entity, args.points,
                 args.reason, args.approver, actor=args.by)
    return Outcome({"adjustment_id": out.adjustment_id, **out.version.__dict__},
                   f"{'加分' if args.points > 0 else '扣分'} #{out.adjustment_id} on {args.entity}: "
                   f"{out.version.period} re-issued as version {out.version.version}")


def _check_scheme(args: argparse.Namespace, settings: Settings) -> Outcome:
    from transforms.evaluation.scheme import load_scheme, resolve_scheme_path

    scheme = load_scheme(resolve_scheme_path(settings, args.scheme))
    return Outcome({"scheme_id": scheme.scheme_id, "version": scheme.version, "file": scheme.file,
                    "sha256": scheme.sha256, "objects": sorted(scheme.objects)},
                   f"{scheme.file}: {scheme.scheme_id} {scheme.version} OK ({', '.join(sorted(scheme.objects))})")


def _latest_published_month(settings: Settings) -> str:
    """The latest complete month the report can show: the newest month with published scorecards."""
    from usecases.report import latest_published_month

    month = latest_published_month(settings)
    if month is None:
        raise EvaluateUsage("szcg report: no month has published scorecards yet; give --period YYYY-MM")
    return month


def _report(args: argparse.Namespace, settings: Settings) -> Outcome:
    from transforms.evaluation.period import parse_period
    from usecases.report import render_report, send_monthly_report

    period = parse_period(args.period or _latest_published_month(settings))
    if args.issue:
        issued = send_monthly_report(settings, period.key).to_dict()
        lines = [f"issued {i['period']} v{i['version']}{' 更正版' if i['corrected'] else ''} → {i['pdf']} "
                 f"(mailed to {i['sent_to']})" for i in issued["issued"]]
        return Outcome(issued, "\n".join(lines) or f"{period.key}: already issued, nothing new")
    result = render_report(settings, period.key, args.out, version=args.version)
    return Outcome(result, f"report {period.key} v{result['version']} → {result['out']}"
                   + (f" ({result['pages']} pages)" if result["pages"] else ""))
