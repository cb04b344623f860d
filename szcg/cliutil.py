"""What every ``szcg`` subcommand shares: its result shape and ``--json`` output (progress on stderr is
:class:`szcg.logs.Progress`, in the core, so loaders report progress without importing the CLI).

A handler is ``def handler(args: argparse.Namespace, settings: Settings) -> Outcome``. It raises
:class:`szcg.errors.SzcgError` for input it rejects (exit 1); argparse handles usage errors (exit 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from szcg.logs import Progress, track
from szcg.settings import Settings

__all__ = ["EXIT_OK", "EXIT_REJECTED", "EXIT_USAGE", "Handler", "Outcome", "Progress", "add_command", "add_group",
           "track"]

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2


@dataclass
class Outcome:
    """What a command did. ``summary`` is printed as one JSON object with ``--json``: counts in, loaded,
    quarantined, outputs. ``text`` is the human-readable report. ``exit_code`` 1 means input was rejected."""

    summary: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    exit_code: int = EXIT_OK


Handler = Callable[[argparse.Namespace, Settings], Outcome]


def add_command(
    subparsers: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    handler: Handler,
    help: str,
    *,
    json_flag: bool = True,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand bound to ``handler``; commands that load or compute get ``--json``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description or help, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON object summarising what was done")
    parser.set_defaults(handler=handler)
    return parser


def add_group(
    subparsers: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    help: str,
) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """Add an area (``szcg standards …``) whose own subcommands are required."""
    parser = subparsers.add_parser(name, help=help, description=help)
    group = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
    group.required = True
    return group
