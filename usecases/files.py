"""Input paths a job is given: refused by name, before any work, when missing or of the wrong kind."""

from __future__ import annotations

from pathlib import Path

from szcg.errors import InputRejected, RowProblem


def need_path(path: Path, *, directory: bool = False) -> None:
    """A clear refusal (exit 1) for a missing path, or a directory where a file is expected (and vice versa)."""
    if not path.exists():
        raise InputRejected(f"{path}: no such file", [RowProblem(str(path), 0, "path", "file_exists", "文件不存在")])
    if directory and not path.is_dir():
        raise InputRejected(f"{path}: not a directory",
                            [RowProblem(str(path), 0, "path", "is_directory", "不是目录")])
    if not directory and not path.is_file():
        raise InputRejected(f"{path}: is a directory, expected a file",
                            [RowProblem(str(path), 0, "path", "is_file", "不是文件")])
