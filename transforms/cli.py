"""``szcg cases …`` and ``szcg hotline …``: cases and hotline calls into the warehouse."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from szcg.cliutil import Outcome, add_command, add_group
from szcg.errors import InputRejected
from szcg.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cases = add_group(subparsers, "cases", help="cases into the warehouse: change feed, legacy exports, Parquet")
    sync = add_command(cases, "sync", _sync, help="pull new events from the case service's change feed")
    sync.add_argument("--url", help="base URL of the case service (default: $SZCG_CASEWORK_URL)")
    sync.add_argument("--token", help="bearer token of an evaluator/admin account (default: $SZCG_CASEWORK_TOKEN)")
    sync.add_argument("--page-size", type=int, default=1000)
    sync.add_argument("--no-publish", action="store_true", help="load into the work database without publishing")
    imp = add_command(cases, "import", _import, help="import a legacy case system's CSV export with a mapping")
    imp.add_argument("path", type=Path)
    imp.add_argument("--mapping", type=Path, required=True, help="mapping YAML (see transforms/mappings/)")
    imp.add_argument("--as-of", help="the export's time (ISO, the export's wall clock): open cases are judged then"
                     " (default: the mapping's as_of)")
    imp.add_argument("--no-publish", action="store_true", help="load into the work database without publishing")
    pq = add_command(cases, "import-parquet", _import_parquet,
                     help="import cases.parquet + case_events.parquet (synthetic city, origin 'synth')")
    pq.add_argument("directory", type=Path)
    pq.add_argument("--origin-system", default="synth")
    pq.add_argument("--no-publish", action="store_true", help="load into the work database without publishing")
    hotline = add_group(subparsers, "hotline", help="12319 hotline logs into the warehouse")
    ingest = add_command(hotline, "ingest", _ingest, help="ingest a hotline log (CSV GBK/UTF-8 or XLSX)")
    ingest.add_argument("path", type=Path)
    ingest.add_argument("--mapping", type=Path, default=None,
                        help="column mapping YAML (default: transforms/mappings/hotline_default.yaml)")
    ingest.add_argument("--no-publish", action="store_true", help="load into the work database without publishing")


def _sync(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.cases import sync_from_case_service

    outcome = sync_from_case_service(settings, args.url, token=args.token, page_size=args.page_size,
                                     publish=not args.no_publish)
    result = outcome.result
    return Outcome(outcome.to_dict(), f"pulled {result.events_seen} events in {result.pages} pages"
                   f" ({result.events_loaded} new, {result.events_already_present} already present,"
                   f" {result.events_quarantined} quarantined); cursor {result.cursor_before} → {result.cursor_after}"
                   + _published(outcome.snapshot))


def _published(snapshot: str | None) -> str:
    return f"\npublished snapshot {snapshot}" if snapshot else ""


def _import(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.cases import import_legacy_export

    as_of = None
    if args.as_of:
        try:
            as_of = datetime.fromisoformat(args.as_of)
        except ValueError:
            raise InputRejected(f"--as-of {args.as_of!r}: expected an ISO date-time") from None
    outcome = import_legacy_export(settings, args.path, args.mapping, as_of=as_of, publish=not args.no_publish)
    result = outcome.result
    flags = ", ".join(f"{k} {v}" for k, v in sorted(result.flags.items())) or "none"
    rules = ", ".join(f"{k} {v}" for k, v in sorted(result.quarantine_rules.items())) or "none"
    return Outcome(outcome.to_dict(), f"{result.file} → batch {result.batch_id}: {result.rows_in} rows in,"
                   f" {result.rows_loaded} cases loaded, {result.rows_quarantined} quarantined ({rules});"
                   f" {result.events_loaded} events; flags: {flags}" + _agreement_text(result.verdict_agreement)
                   + _published(outcome.snapshot))


def _agreement_text(agreement: dict | None) -> str:
    if not agreement:
        return ""
    lines = [f"\nsource's on-time verdict vs szcg's: {agreement['cases']} cases, {agreement['agree']} agree,"
             f" {agreement['disagree']} disagree {agreement['first_disagreeing']}"]
    lines += [f"  {d['department']}: {d['cases']} cases, {d['agree']} agree, {d['disagree']} disagree"
              f" {d['first_disagreeing']}" for d in agreement["departments"]]
    return "\n".join(lines)


def _import_parquet(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.cases import import_parquet_history

    outcome = import_parquet_history(settings, args.directory, origin_system=args.origin_system,
                                     publish=not args.no_publish)
    result = outcome.result
    return Outcome(outcome.to_dict(), f"{args.directory}: {result.cases_loaded} cases, {result.events_loaded} events"
                   f" loaded, {result.cases_quarantined + result.events_quarantined} rows quarantined"
                   f" in {result.seconds:.1f}s" + _published(outcome.snapshot))


def _ingest(args: argparse.Namespace, settings: Settings) -> Outcome:
    from usecases.hotline import ingest_hotline

    outcome = ingest_hotline(settings, args.path, args.mapping, publish=not args.no_publish)
    result = outcome.result
    return Outcome(outcome.to_dict(), f"{args.path.name} → batch {result.batch_id}: {result.rows_in} calls in,"
                   f" {result.rows_loaded} loaded ({result.linked_logged} linked by case number,"
                   f" {result.linked_matched} matched, {result.repeats} repeats),"
                   f" {result.rows_quarantined} quarantined" + _published(outcome.snapshot))
