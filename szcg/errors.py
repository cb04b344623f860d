"""Errors that reach the user. Each names what was wrong and where, so nothing has to be guessed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class SzcgError(Exception):
    """Base class for errors the CLI reports without a traceback."""

    exit_code = 1

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": str(self)}


class ConfigError(SzcgError):
    """A configuration file (catalogue, 指挥手册, evaluation scheme, mapping) does not make sense.

    The message names the file (and the line, when known), the entry (a key path such as ``categories.路灯.code``)
    and the problem.
    """

    def __init__(self, file: str, entry: str, problem: str, *, line: int | None = None) -> None:
        self.file, self.entry, self.problem, self.line = file, entry, problem, line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {entry}: {problem}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "file": self.file, "line": self.line, "entry": self.entry,
                "problem": self.problem}


@dataclass(frozen=True)
class RowProblem:
    """One reason one input row was not loaded: what the quarantine stores."""

    file: str
    row_number: int  # 1-based data row (header excluded); 0 = the file as a whole
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row_number}" if self.row_number else "file"
        return f"{self.file}: {where}: {self.field}: {self.message} [{self.rule}]"


class InputRejected(SzcgError):
    """Input that cannot be taken at all (unreadable file, wrong format). Exit code 1."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": [p.__dict__ for p in self.problems]}
