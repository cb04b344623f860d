"""The project's own source files, for tests that check a rule is written in one place only."""

from __future__ import annotations

import subprocess

from tests.conftest import REPO


def production_sources(patterns: tuple[str, ...] = ("*.py",)) -> list[str]:
    """Repository-relative paths of tracked (or new, not ignored) files matching ``patterns``, outside tests and
    benchmarks."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", *patterns], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()
    return [p for p in listed if not p.startswith(("tests/", "bench/")) and (REPO / p).is_file()]


def read(path: str) -> str:
    return (REPO / path).read_text(encoding="utf-8")
