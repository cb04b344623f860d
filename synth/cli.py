"""``szcg synth city``: generate the synthetic Shuozhou city (geography, census batches, organisation, cases,
hotline; optionally with injected defects)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from szcg.cliutil import Outcome, add_command, add_group
from szcg.errors import InputRejected
from szcg.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = add_group(subparsers, "synth", help="synthetic city data for tests, demos and benchmarks (SYNTHETIC)")
    p = add_command(group, "city", _city, help="generate a synthetic city into a folder")
    p.add_argument("--out", required=True, type=Path, help="output folder (created)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="size factor; 1 = demo (~7.7k grids, ~4.5k components, 3,750 cases a month); "
                        "226 = census benchmark (~48k grids, ~1M components)")
    p.add_argument("--months", type=int, default=3, help="months of cases (default 3)")
    p.add_argument("--start", type=_day, default=None, metavar="YYYY-MM-DD",
                   help="first day of the case history (default: the city parameters', 2026-01-05); the census "
                        "survey moves with it")
    p.add_argument("--seed", type=int, default=1, help="random seed; same seed → byte-identical files")
    p.add_argument("--dirty", action="store_true", help="inject realistic defects and write manifest.json")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")

    p = add_command(group, "legacy-export", _legacy_export,
                    help="a 数字城管 案卷 export in the usual Chinese shape (GBK CSV + XLSX; mapping cn_anjuan.yaml)")
    p.add_argument("--out", required=True, type=Path, help="output folder (created)")
    p.add_argument("--month", required=True, help="month of the reports, YYYY-MM")
    p.add_argument("--cases", type=int, default=400, help="cases (default 400)")
    p.add_argument("--seed", type=int, default=1, help="random seed; same seed → same files")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def _city(args: argparse.Namespace, settings: Settings) -> Outcome:
    from synth.city import Options, generate_city

    if args.scale <= 0 or not 1 <= args.months <= 60:
        raise InputRejected("--scale must be > 0 and --months between 1 and 60")
    try:
        summary = generate_city(Options(args.out, args.scale, args.months, args.seed, args.dirty,
                                        progress=not args.quiet, start=args.start), settings)
    except FileExistsError as exc:
        raise InputRejected(f"--out: {exc}; choose an empty or new folder") from exc
    c = summary["counts"]
    text = (f"SYNTHETIC city written to {args.out}: {c['grids']} grids, {c['components']} components in "
            f"{c['census_batches']} batches, {c['people']} people, {c['cases']} cases ({c['case_events']} "
            f"transitions), {c['hotline_calls']} hotline calls"
            + (f", {c['defects']} injected defects" if args.dirty else ""))
    return Outcome(summary={**summary, "out": str(args.out)}, text=text)


def _legacy_export(args: argparse.Namespace, settings: Settings) -> Outcome:
    from datetime import datetime

    from synth.legacy_export import ExportSpec, write_legacy_export

    try:
        datetime.strptime(args.month, "%Y-%m")
    except ValueError:
        raise InputRejected(f"--month {args.month!r}: expected YYYY-MM") from None
    if not 1 <= args.cases <= 2_000_000:
        raise InputRejected("--cases must be between 1 and 2,000,000")
    summary = write_legacy_export(ExportSpec(args.month, args.cases, args.seed), args.out)
    return Outcome(summary=summary, text=f"SYNTHETIC 案卷 export: {summary['cases']} cases → {summary['csv']} (GBK)"
                   f" and {summary['xlsx']}; exported at {summary['export_time']} (import with --as-of)")
