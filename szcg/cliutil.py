"""What every ``szcg`` subcommand shares: its result shape, ``--json`` output and progress on stderr.

A handler is ``def handler(args: argparse.Namespace, settings: Settings) -> Outcome``. It raises
:class:`szcg.errors.SzcgError` for input it rejects (exit 1); argparse handles usage errors (exit 2).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from szcg.settings import Settings

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

T = TypeVar("T")


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


class Progress:
    """Progress on stderr for long work, at most once a second; silent when ``enabled`` is false."""

    def __init__(self, label: str, total: int | None = None, *, enabled: bool = True) -> None:
        self.label, self.total, self.enabled = label, total, enabled
        self.done = 0
        self._started = self._last = time.monotonic()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self._last >= 1.0:
            self._last = now
            self._print(now)

    def finish(self) -> None:
        if self.enabled:
            self._print(time.monotonic(), end=True)

    def _print(self, now: float, end: bool = False) -> None:
        of = f"/{self.total}" if self.total else ""
        pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        state = "done" if end else "…"
        print(f"{self.label}: {self.done}{of}{pct} {state} {now - self._started:.1f}s", file=sys.stderr, flush=True)


def track(items: Iterable[T], label: str, total: int | None = None, *, enabled: bool = True) -> Iterator[T]:
    """Iterate with progress on stderr."""
    progress = Progress(label, total, enabled=enabled)
    for item in items:
        yield item
        progress.advance()
    progress.finish()
