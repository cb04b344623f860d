"""Expensive test inputs built once per test run and shared: synthetic cities (and anything else a test can describe
by a key and build into a folder).

Generating a synthetic city takes seconds to a minute; before this module each test area generated its own, often
with the same parameters. Now a test asks the session's ``cities`` fixture (tests/conftest.py):

    def test_something(cities: SyntheticCities, tmp_path: Path) -> None:
        city = cities.get(CitySpec(scale=0.3, seed=5, dirty=True))      # read-only, shared by the whole run
        mine = cities.copy(CitySpec(scale=0.3, seed=5, dirty=True), tmp_path / "city")  # a private, writable copy

- One city per distinct :class:`CitySpec` per run. The first test that asks builds it under a file lock in a folder
  every pytest-xdist worker of the run sees (the run's base temp), so two workers never build the same city twice.
- The shared folder's files are made read-only: a test that writes into it fails loudly instead of changing what
  later tests read. A test that must change the city asks for :meth:`SyntheticCities.copy`.
- Nothing outlives the run (pytest's base temp): a change to ``synth/`` or to the city's configuration is always seen.

:meth:`SharedBuilds.build` is the same mechanism for any other folder a test run builds once (a warehouse with
thirteen evaluated months, the dashboards' demo warehouse): give it a key and a function that fills a folder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

DEFAULT_SCALE, DEFAULT_MONTHS, DEFAULT_SEED = 0.5, 2, 7


@dataclass(frozen=True)
class CitySpec:
    """What makes one synthetic city differ from another: :class:`synth.city.Options` without the output folder."""

    scale: float = DEFAULT_SCALE
    months: int = DEFAULT_MONTHS
    seed: int = DEFAULT_SEED
    dirty: bool = False
    start: date | None = None
    chunk_cases: int = 200_000

    @property
    def key(self) -> str:
        parts = [f"scale{self.scale:g}", f"months{self.months}", f"seed{self.seed}", "dirty" if self.dirty else "clean"]
        if self.start is not None:
            parts.append(f"start{self.start.isoformat()}")
        if self.chunk_cases != 200_000:
            parts.append(f"chunk{self.chunk_cases}")
        return "city-" + "-".join(parts)


# The cities the suite shares; ask for one of these before inventing a new spec (each new one is a generation).
CITY = CitySpec()  # 3,750 cases over two months, 2,247 components in 12 census batches, 712 hotline calls
DIRTY_CITY = CitySpec(dirty=True)  # the same city with every defect synth/dirty.py injects, listed in manifest.json
SMALL_CITY = CitySpec(scale=0.1, months=2, seed=1)  # 750 cases, 447 components: for runs through Airflow


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's folder for shared builds: the base temp, or its parent under pytest-xdist (one per worker)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    root = base / "shared-builds"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def copy_writable(source: Path, dest: Path) -> Path:
    """A private copy of a shared build (file modes not copied: the copy is writable); symlinks kept as links."""
    shutil.copytree(source, dest, symlinks=True, copy_function=shutil.copyfile)
    return dest


class SharedBuilds:
    """Folders built once per test run, by key, under a lock; later callers (any worker) get the finished folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seconds: dict[str, float] = {}  # what this process spent building, by key (shown in the summary)

    def build(self, key: str, fill: Callable[[Path], None], *, read_only: bool = True) -> Path:
        """The folder ``root/key``, filled by ``fill(folder)`` if no one has yet. ``fill`` gets an empty folder
        whose final name is ``key`` (paths it records stay valid); a failed build leaves nothing behind."""
        done = self.root / key
        with _locked(self.root / f"{key}.lock"):
            if (self.root / f"{key}.ok").is_file():
                return done
            if done.exists():  # a build that failed half-way (its test saw the error): start again
                shutil.rmtree(done)
            done.mkdir()
            started = time.perf_counter()
            try:
                fill(done)
            except BaseException:
                shutil.rmtree(done, ignore_errors=True)
                raise
            if read_only:
                _make_read_only(done)
            (self.root / f"{key}.ok").touch()
            self.seconds[key] = time.perf_counter() - started
        return done


class SyntheticCities:
    """The synthetic cities of one test run (see the module's docstring)."""

    def __init__(self, builds: SharedBuilds) -> None:
        self.builds = builds

    def get(self, spec: CitySpec | None = None) -> Path:
        """The city's folder, shared and read-only: for tests that only read it (load it into their warehouse)."""
        spec = spec or CitySpec()
        return self.builds.build(spec.key, lambda folder: _generate(spec, folder))

    def copy(self, spec: CitySpec | None, dest: Path) -> Path:
        """A private, writable copy of the city at ``dest`` (which must not exist yet)."""
        return copy_writable(self.get(spec), dest)


def _generate(spec: CitySpec, folder: Path) -> None:
    import tempfile

    from synth.city import Options, generate_city
    from szcg.settings import Settings

    # the packaged city configuration, whatever SZCG_DATA_DIR the asking test has set
    with tempfile.TemporaryDirectory(prefix="szcg-city-settings-") as settings_dir:
        settings = Settings(data_dir=Path(settings_dir)).with_data_dir(Path(settings_dir))
        generate_city(Options(folder, spec.scale, spec.months, spec.seed, spec.dirty, progress=False,
                              chunk_cases=spec.chunk_cases, start=spec.start), settings)
