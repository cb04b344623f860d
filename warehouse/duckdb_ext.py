"""Opening DuckDB the way this platform needs it: extensions from the installed wheels, never downloaded."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import duckdb

from szcg.sqltext import string_literal


@lru_cache(maxsize=1)
def spatial_extension_path() -> Path:
    """The spatial extension shipped in the ``duckdb-extension-spatial`` wheel (no network at run time)."""
    import duckdb_extension_spatial  # type: ignore[import-untyped]

    root = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    version = f"v{duckdb.__version__}"
    candidates = sorted(root.glob(f"{version}/spatial.duckdb_extension")) or sorted(
        root.glob("*/spatial.duckdb_extension")
    )
    if not candidates:
        raise RuntimeError(f"spatial extension for duckdb {duckdb.__version__} not found under {root}")
    return candidates[0]


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Load DuckDB spatial from the wheel; ``INSTALL spatial`` would try the network and fail."""
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"LOAD {string_literal(spatial_extension_path())}")


def connect(path: Path | str, *, read_only: bool = False, spatial: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=read_only)
    if spatial:
        load_spatial(con)
    return con
