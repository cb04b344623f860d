"""Cached readers for the packaged configuration files.

Parsed content is cached per (path, modification time), so a process pays the parse once and an edited file is
re-read. Callers must not mutate what they get back.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import TypeVar

from szcg.configmodel import ConfigModel, load_yaml
from szcg.errors import ConfigError

M = TypeVar("M", bound=ConfigModel)

PACKAGE_DIR = Path(__file__).resolve().parent


def _stamp(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise ConfigError(str(path), "(file)", "file not found") from exc


@functools.lru_cache(maxsize=128)
def _read_csv(path: Path, stamp: int) -> tuple[tuple[str, ...], tuple[dict[str, str], ...]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        # Lines starting with '#' are comments (used to say where values come from).
        lines = [line for line in fh if not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    rows = tuple({k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader)
    return tuple(reader.fieldnames or ()), rows


@functools.lru_cache(maxsize=128)
def _read_model(model: type[ConfigModel], path: Path, stamp: int) -> ConfigModel:
    return load_yaml(model, path)


def read_yaml_model(model: type[M], path: Path) -> M:
    """A YAML file read through its typed model (cached per modification time): a mistake is a ConfigError naming
    the file, the line and the key."""
    path = Path(path).resolve()
    found = _read_model(model, path, _stamp(path))
    assert isinstance(found, model)
    return found


def read_csv_rows(path: Path, required: tuple[str, ...] = ()) -> tuple[dict[str, str], ...]:
    """Rows of a CSV file (header line first, '#' comment lines skipped); checks the required columns exist."""
    path = Path(path).resolve()
    header, rows = _read_csv(path, _stamp(path))
    missing = [c for c in required if c not in header]
    if missing:
        raise ConfigError(str(path), "(header)", f"missing column(s): {', '.join(missing)}")
    return rows


def file_stamp(path: Path) -> int:
    """Modification time used in cache keys of derived objects."""
    return _stamp(Path(path).resolve())
