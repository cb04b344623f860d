"""Two locked environments (pipeline and Superset) that read the same DuckDB files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]


def _pin(lock: str, package: str) -> str:
    text = (REPO / "requirements" / lock).read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(package)}==(\S+)$", text, re.MULTILINE | re.IGNORECASE)
    assert match, f"{package} is not pinned in requirements/{lock}"
    return match.group(1)


def test_both_lock_files_pin_the_same_duckdb_and_the_pipeline_runs_it() -> None:
    assert _pin("pipeline.lock", "duckdb") == _pin("superset.lock", "duckdb") == duckdb.__version__
    assert _pin("pipeline.lock", "duckdb-extension-spatial") == duckdb.__version__


def test_superset_environment_is_separate_and_reads_our_duckdb_files(tmp_path: Path) -> None:
    python = REPO / ".venv-superset" / "bin" / "python"
    if not python.exists():
        pytest.skip("Superset environment not installed (make superset-env)")
    db = tmp_path / "shared.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT 42 AS answer")
    con.close()
    script = (
        "import duckdb, sqlalchemy, superset; "
        f"c = duckdb.connect({str(db)!r}, read_only=True); "
        "answer = c.execute('select answer from t').fetchone()[0]; "
        "print(duckdb.__version__, sqlalchemy.__version__.split('.')[0], answer)"
    )
    out = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=120, check=True)
    version, sqlalchemy_major, answer = out.stdout.split()
    assert version == duckdb.__version__ and sqlalchemy_major == "1" and answer == "42"
