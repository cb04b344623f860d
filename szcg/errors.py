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

    The message names the file, the entry and the problem.
    """

    def __init__(self, file: str, entry: str, problem: str) -> None:
        self.file, self.entry, self.problem = file, entry, problem
        super().__init__(f"{file}: {entry}: {problem}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "file": self.file, "entry": self.entry, "problem": self.problem}


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
