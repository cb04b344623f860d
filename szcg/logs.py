"""What every job logs, and how: its start, each step with its counts and duration, its end (or its failure).

One mechanism for every entry point: the use cases (``usecases/``) wrap their work in :func:`job` and its steps;
the CLI turns the log on with ``szcg -v`` (stderr); Airflow's task runner routes the standard library's logging into
the task log. Only counts, durations and identifiers are logged — never row contents or rejected input: a field
whose value is text is logged only if its name is one of :data:`IDENTIFIERS`, and even then it is passed through
:func:`szcg.privacy.scrub_text`, so a phone number in a file name or a batch label comes out masked.

This module is part of the core (it imports nothing of the project but ``szcg.privacy``); :class:`Progress` lives
here for the same reason: loaders report progress without importing the CLI.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from szcg.privacy import scrub_text

ROOT = "szcg"
P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

# Text fields a log line may show: identifiers and labels the system made, not what an input row said.
IDENTIFIERS = frozenset({
    "batch_id", "period", "snapshot_id", "snapshot", "why", "district", "district_code", "file", "reason", "kind",
    "source", "version", "target", "dag_id", "run_id", "mapping",
})
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_handler: logging.Handler | None = None


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged (a test's capture, a redirected demo step)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


# The project's top-level packages: their loggers (``logging.getLogger(__name__)`` in an area, ``szcg.*`` from
# :func:`get_logger`) are the ones ``szcg -v`` shows; third-party libraries keep their own levels.
PROJECT_LOGGERS = ("szcg", "usecases", "warehouse", "transforms", "census_loaders", "quality", "dashboards",
                   "casework", "standards", "synth", "orchestration", "portal")


def _shown(record: logging.LogRecord) -> bool:
    """The project's records, and any library's warnings (which Python would print without a handler)."""
    return record.levelno >= logging.WARNING or record.name.split(".", 1)[0] in PROJECT_LOGGERS


def configure(verbosity: int = 0, stream: Any = None) -> None:
    """With ``verbosity`` 1 (``szcg -v``) send the project's log at INFO to ``stream`` (default: stderr), with 2 or
    more at DEBUG; with 0 take the handler away again (warnings then reach stderr as Python prints them without
    any handler). One handler, on the root logger, passing the project's records and anyone's warnings."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler = None
    if verbosity <= 0:
        return
    _handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    _handler.addFilter(_shown)
    _handler.setFormatter(logging.Formatter(_FORMAT))
    _handler.setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)
    root.addHandler(_handler)
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(_handler.level)


def get_logger(name: str) -> logging.Logger:
    """A logger under ``szcg`` (``usecases.census`` → ``szcg.usecases.census``), so one switch turns all on."""
    return logging.getLogger(name if name == ROOT or name.startswith(ROOT + ".") else f"{ROOT}.{name}")


def safe_value(key: str, value: Any) -> str | None:
    """How ``key=value`` may appear in a log line, or None when it may not (text that is not an identifier,
    lists, frames: anything that could carry row contents)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    if key in IDENTIFIERS and isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict) and all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        # counts by a key the system defines (problems by rule, rows by state)
        return "{" + ", ".join(f"{scrub_text(str(k))}: {v}" for k, v in value.items()) + "}"
    return None


def describe(fields: dict[str, Any] | Any) -> str:
    """``key=value`` for the fields that may be logged (see :func:`safe_value`), in their order."""
    if not isinstance(fields, dict):
        return ""
    shown = ((k, safe_value(k, v)) for k, v in fields.items())
    return " ".join(f"{k}={v}" for k, v in shown if v is not None)


class Step:
    """One step of a job: ``step.count(rows_in=…)`` adds what it did to its log line."""

    def __init__(self) -> None:
        self.counts: dict[str, Any] = {}

    def count(self, **counts: Any) -> None:
        self.counts.update(counts)


class Job:
    """A running job: its steps log themselves; :meth:`done` sets what its end line shows."""

    def __init__(self, name: str, logger: logging.Logger) -> None:
        self.name, self.log = name, logger
        self.result: dict[str, Any] = {}
        self.steps: list[tuple[str, float, dict[str, Any]]] = []  # name, seconds, counts (tests and reports read it)

    @contextmanager
    def step(self, name: str, **counts: Any) -> Iterator[Step]:
        step = Step()
        step.count(**counts)
        started = time.perf_counter()
        try:
            yield step
        except Exception as exc:
            self.log.error("%s: step %s failed after %.2f s: %s", self.name, name, time.perf_counter() - started,
                           type(exc).__name__)
            raise
        seconds = time.perf_counter() - started
        self.steps.append((name, seconds, dict(step.counts)))
        self.log.info("%s: step %s done in %.2f s %s", self.name, name, seconds, describe(step.counts))

    def done(self, **result: Any) -> None:
        self.result.update(result)


@contextmanager
def job(name: str, logger: logging.Logger | None = None, **inputs: Any) -> Iterator[Job]:
    """Log a job's start (with the inputs that may be logged), hand out its steps, log its end and duration, or
    that it failed and after how long (the exception's type only: its message may quote input)."""
    running = Job(name, logger or get_logger("usecases"))
    started = time.perf_counter()
    running.log.info("%s: started %s", name, describe(inputs))
    try:
        yield running
    except Exception as exc:
        running.log.error("%s: failed after %.2f s: %s", name, time.perf_counter() - started, type(exc).__name__)
        raise
    running.log.info("%s: done in %.2f s %s", name, time.perf_counter() - started, describe(running.result))


def logged(func: Callable[P, R]) -> Callable[P, R]:
    """Log a function's start, and what it returned (a dict's loggable fields) and its duration, or its failure."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with job(func.__name__, get_logger(func.__module__)) as running:
            result = func(*args, **kwargs)
            if isinstance(result, dict):
                running.done(**result)
            return result

    return run


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
