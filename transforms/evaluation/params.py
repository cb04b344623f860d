"""Named parameters of one generated statement (the engine's aggregate, the lineage's bit masks)."""

from __future__ import annotations


class Params:
    """Named parameters of one generated statement: ``p(value)`` is the placeholder that binds ``value``."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self._names: dict[object, str] = {}

    def __call__(self, value: str) -> str:
        if value not in self._names:
            self._names[value] = f"p{len(self._names)}"
            self.values[self._names[value]] = value
        return "$" + self._names[value]
