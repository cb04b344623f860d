"""The ``szcg`` command line: one program, one subcommand group per area.

Each area package has a ``cli`` module with ``register(subparsers)``; handlers call the jobs in ``usecases/`` and
return an :class:`~szcg.cliutil.Outcome`. Exit codes: 0 success, 1 rejected input, 2 usage error. ``szcg -v …``
shows the job's log (steps, counts, durations) on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from szcg import __version__, logs
from szcg.cliutil import EXIT_USAGE, Outcome
from szcg.errors import SzcgError
from szcg.settings import load_settings
from usecases.wiring import wire

# Area modules, in the order their groups appear in --help. Each imports only argparse-level code at the top;
# heavy libraries are imported inside handlers so ``szcg --help`` stays fast.
AREAS: tuple[str, ...] = (
    "warehouse.cli",
    "standards.cli",
    "synth.cli",
    "transforms.cli",
    "casework.cli",
    "portal.cli",
    "census_loaders.cli",
    "transforms.evaluation.cli",
    "dashboards.cli",
    "orchestration.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="szcg",
        description="szcg 数字城管 data platform: standards, census, cases, hotline, evaluation, dashboards.",
    )
    parser.add_argument("--version", action="version", version=f"szcg {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log what the job does on stderr: its steps, counts and durations (-vv: debug)")
    sub = parser.add_subparsers(dest="area", metavar="AREA")
    sub.required = True
    for module_name in AREAS:
        importlib.import_module(module_name).register(sub)
    return parser


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    want_json = bool(getattr(args, "json", False))
    started = time.perf_counter()
    logs.configure(args.verbose)
    wire()  # the areas' audits and mart builders into every publish this command may make
    try:
        settings = load_settings()
        outcome: Outcome = args.handler(args, settings)
    except SzcgError as exc:
        payload = {"ok": False, **exc.to_dict(), "seconds": round(time.perf_counter() - started, 3)}
        if want_json:
            print(json.dumps(payload, ensure_ascii=False, default=_json_default))
        else:
            print(f"szcg: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValueError as exc:  # bad settings from the environment
        print(f"szcg: {exc}", file=sys.stderr)
        return EXIT_USAGE
    seconds = round(time.perf_counter() - started, 3)
    if want_json:
        payload = {"ok": outcome.exit_code == 0, **outcome.summary, "seconds": seconds}
        print(json.dumps(payload, ensure_ascii=False, default=_json_default))
    elif outcome.text:
        print(outcome.text)
    return outcome.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
