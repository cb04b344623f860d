"""Text that must be written into SQL because DuckDB takes no parameter there (COPY targets, LOAD paths, IN lists
inside model templates). Values go through these functions, never through bare f-strings: a path such as
``/srv/city's share`` must stay one literal."""

from __future__ import annotations


def string_literal(value: object) -> str:
    """A SQL string literal of ``value``'s text, single quotes doubled."""
    text = str(value)
    if "\x00" in text:
        raise ValueError("a SQL string literal cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """A quoted SQL identifier (schema, table or column name), double quotes doubled."""
    if not name or "\x00" in name:
        raise ValueError("a SQL identifier must be non-empty text without NUL")
    return '"' + name.replace('"', '""') + '"'
