"""Configuration files read through typed models: one way to load YAML and one way to report what is wrong.

Every configuration file (census rules, mappings, evaluation schemes, the city's standards, service limits…) is
described by a pydantic model built on :class:`ConfigModel`: unknown keys are refused (``extra="forbid"``), types are
strict (a quoted ``"5"`` is not the number 5, ``yes`` is not a name), and rules across fields are
``model_validator``\\ s raising :class:`KeyProblem`. :func:`load_yaml` reads a file and validates it; a problem
becomes a :class:`~szcg.errors.ConfigError` naming the file, the line, the key path
(``objects.region.indicators[2].weight``, list items counted from 1) and what was expected — so a typo such as
``categorys:`` stops the job instead of being silently ignored. :func:`validate_row` does the same for one row of a
CSV table (an unknown column is refused on the header).
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from szcg.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Loc = tuple[int | str, ...]


class KeyProblem(ValueError):
    """Raised by a model's validator for a rule across keys: names the key the problem is reported at.

    ``key`` is relative to the model that raises it: ``"fields.state"`` or, when a key holds a dot itself or a list
    index (from 0) is part of it, a tuple of parts (``("geometry_types", "gbt47678.5-2026")``, ``("grades", 1)``).
    """

    def __init__(self, key: str | tuple[str | int, ...], problem: str) -> None:
        self.parts: Loc = tuple(key.split(".")) if isinstance(key, str) else key
        self.problem = problem
        super().__init__(f"{'.'.join(map(str, self.parts))}: {problem}")


class ConfigModel(BaseModel):
    """Base of every configuration model: unknown keys and loose types are errors; loaded models are immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def read_yaml(path: Path) -> tuple[Any, dict[tuple[str, ...], int]]:
    """The file's data and the (1-based) line of every key and list item, by key path.

    A missing or unreadable file, or text that is not YAML, is a ConfigError naming the file.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, "(file)", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, "(file)", f"cannot read: {exc}") from None
    # Parsed once: the node tree gives the lines, the same tree is then built into data (libyaml when installed).
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise ConfigError(file, "(file)", f"not valid YAML: {exc}") from None
    lines: dict[tuple[str, ...], int] = {}
    if node is None:
        return None, lines
    twice = _index_lines(node, (), lines)
    if twice is not None:  # YAML keeps the last silently: the first would do nothing
        raise ConfigError(file, key_path(twice[0]), f"given twice (also on line {twice[1]}); keep one",
                          line=lines[tuple(map(str, twice[0]))])
    try:
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(file, "(file)", f"not valid YAML: {exc}") from None
    except ValueError as exc:  # a value YAML recognises but cannot build, such as the date 2018-08-32
        where, line = _unbuildable(node, ())
        raise ConfigError(file, where, f"{exc} (expected a valid date YYYY-MM-DD)", line=line) from None
    return data, lines


def _unbuildable(node: yaml.Node | None, path: Loc) -> tuple[str, int | None]:
    """The key path and line of the first timestamp YAML cannot build (what makes safe_load raise ValueError)."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
        try:
            yaml.safe_load(node.value)
        except ValueError:
            return key_path(path), node.start_mark.line + 1
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found = _unbuildable(value, (*path, str(key.value)))
            if found[1] is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _unbuildable(item, (*path, i))
            if found[1] is not None:
                return found
    return "(file)", None


def _index_lines(node: yaml.Node, path: Loc, lines: dict[tuple[str, ...], int]) -> tuple[Loc, int] | None:
    """Record the line of every key and item under ``node``; the first key given twice in one mapping (its path
    and the line of its second occurrence), if any."""
    twice: tuple[Loc, int] | None = None
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            here = (*path, str(key.value))
            if str(key.value) in seen and twice is None:
                twice = (here, key.start_mark.line + 1)
            seen.add(str(key.value))
            lines.setdefault(tuple(map(str, here)), key.start_mark.line + 1)
            twice = twice or _index_lines(value, here, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            here = (*path, i)
            lines.setdefault(tuple(map(str, here)), item.start_mark.line + 1)
            twice = twice or _index_lines(item, here, lines)
    return twice


def load_yaml(model: type[M], path: Path, *, context: dict[str, Any] | None = None,
              top: dict[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; ``top`` adds keys the loader supplies (e.g. the file name).

    An empty file is an empty mapping (a model whose keys all have defaults accepts it).
    """
    data, lines = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), "(file)", f"expected a mapping of keys at the top level, got {_kind(data)}")
    if top:
        clash = sorted(set(top) & set(data))
        if clash:
            raise ConfigError(str(path), clash[0], "unknown key" + _expected_keys(model, (), exclude=set(top)))
        data = {**data, **top}
    return validate(model, data, str(path), lines=lines, context=context, hidden=set(top or ()))


def validate(model: type[M], data: Any, file: str, *, lines: dict[tuple[str, ...], int] | None = None,
             context: dict[str, Any] | None = None, prefix: Loc = (), hidden: set[str] | None = None) -> M:
    """``model`` validated from ``data``; the first problem is a ConfigError naming ``file`` and the key path.

    ``prefix`` is where ``data`` sits in the file; ``hidden`` are top-level keys the loader supplies, never listed
    as keys the file may use.
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise config_error(exc, model, file, lines=lines, prefix=prefix, hidden=hidden) from None


def validate_row(model: type[M], row: dict[str, str], file: str, entry: str) -> M:
    """One CSV row (``{column: text}``) validated as ``model``; an empty cell counts as not given.

    A problem is a ConfigError whose entry is ``entry`` (e.g. ``row 3 (14060201)``) and the column; a column the
    model does not know is refused like an unknown key (a misspelt header is not silently ignored).
    """
    known = [f.alias or n for n, f in model.model_fields.items()]
    unknown = [c for c in row if c not in known]
    if unknown:  # checked on the header, not the cells: a misspelt column is wrong even where its cells are empty
        raise ConfigError(file, f"(header) {unknown[0]}", f"unknown column; expected one of: {', '.join(known)}")
    try:
        return model.model_validate({k: v for k, v in row.items() if v != ""})
    except ValidationError as exc:
        found = config_error(exc, model, file)
        column = "" if found.entry == "(file)" else f" {found.entry}"
        raise ConfigError(file, f"{entry}{column}", found.problem) from None


def config_error(exc: ValidationError, model: type[BaseModel], file: str, *,
                 lines: dict[tuple[str, ...], int] | None = None, prefix: Loc = (),
                 hidden: set[str] | None = None) -> ConfigError:
    """The ConfigError for the first of ``exc``'s problems (with how many more there are)."""
    # An unknown key first: it is usually the typo behind a "missing" one (``hour:`` for ``hours:``).
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = tuple(p for p in err["loc"] if not _is_internal(p))
    raised = (err.get("ctx") or {}).get("error")
    if isinstance(raised, KeyProblem):
        loc, problem = (*loc, *raised.parts), raised.problem
    else:
        problem = _problem(err, model, loc, hidden if len(loc) == 1 else None)
    full = (*prefix, *loc)
    if len(errors) > 1:  # the others too, briefly: one round of corrections instead of one per mistake
        others = [f"{key_path((*prefix, *_loc(e)))}: {_problem(e, model, _loc(e), hidden)}" for e in errors[1:6]]
        more = "; …" if len(errors) > 6 else ""
        problem += f" (and {len(errors) - 1} more: {'; '.join(others)}{more})"
    return ConfigError(file, key_path(full), problem, line=_line(lines or {}, full))


def _loc(err: Any) -> Loc:
    return tuple(p for p in err["loc"] if not _is_internal(p))


def key_path(loc: Loc) -> str:
    """``objects.region.indicators[2].weight``: keys joined by dots, list items counted from 1 as people do."""
    text = ""
    for part in loc:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _is_internal(part: int | str) -> bool:
    # pydantic names the branch of a union or a validator in the location ("function-after[…]", "str", "list[str]");
    # those are not keys of the file.
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "float", "bool", "none", "dict", "list"))


def _line(lines: dict[tuple[str, ...], int], loc: Loc) -> int | None:
    path = tuple(str(p) for p in loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a whole number",
             float: "a number", type(None): "nothing (null)"}
    return next((n for t, n in names.items() if type(value) is t), type(value).__name__)


_EXPECTED = {
    "string_type": "expected text", "int_type": "expected a whole number", "float_type": "expected a number",
    "bool_type": "expected true or false", "list_type": "expected a list", "dict_type": "expected a mapping",
    "model_type": "expected a mapping of keys", "date_type": "expected a date YYYY-MM-DD",
    "datetime_type": "expected a date-time YYYY-MM-DD HH:MM:SS", "int_from_float": "expected a whole number",
}


def _problem(err: Any, model: type[BaseModel], loc: Loc, hidden: set[str] | None) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key" + _expected_keys(model, loc[:-1], exclude=hidden)
    if kind == "missing":
        described = _description(model, loc)
        return f"missing (required): {described}" if described else "missing (required)"
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {_kind(err['input'])} {_short(err['input'])}".rstrip()
    if kind == "literal_error":
        return f"expected {err['ctx']['expected']}, got {_short(err['input'])}"
    message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("value_error", "assertion_error"):
        return message
    return f"{message}, got {_short(err['input'])}"


def _short(value: Any) -> str:
    if isinstance(value, dict | list):
        return ""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected_keys(model: type[BaseModel], loc: Loc, exclude: set[str] | None = None) -> str:
    """"; expected one of: a, b, c" — the keys the model accepts where the unknown one was found."""
    target = _model_at(model, loc)
    if target is None:
        return ""
    names = [f.alias or n for n, f in target.model_fields.items() if n not in (exclude or set())]
    return f"; expected one of: {', '.join(names)}" if names else ""


def _description(model: type[BaseModel], loc: Loc) -> str | None:
    """The ``description`` of the field at ``loc`` (says what a missing key should hold)."""
    target = _model_at(model, loc[:-1])
    if target is None or not loc:
        return None
    field = target.model_fields.get(str(loc[-1])) or next(
        (f for f in target.model_fields.values() if f.alias == loc[-1]), None)
    return field.description if field is not None else None


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (dict keys and list indexes are stepped over)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return None
    return _unwrap_model(current)


def _step(annotation: Any, part: int | str) -> Any:
    found = _unwrap_model(annotation)
    if found is not None:
        field = found.model_fields.get(str(part)) or next(
            (f for f in found.model_fields.values() if f.alias == part), None)
        return None if field is None else field.annotation
    for arg in _container_args(annotation):
        return arg
    return None


def _container_args(annotation: Any) -> list[Any]:
    """The element type of a list/tuple or the value type of a dict (through Optional and Annotated)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _container_args(args[0])
    if origin in (list, tuple, set, frozenset) and args:
        return [args[0]]
    if origin is dict and len(args) == 2:
        return [args[1]]
    if origin in (typing.Union, types.UnionType):  # the first branch that is a container
        return next((inner for inner in map(_container_args, args) if inner), [])
    return []


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _unwrap_model(args[0])
    if origin in (typing.Union, types.UnionType):  # Optional[Model] and other unions
        return next((m for m in map(_unwrap_model, args) if m is not None), None)
    return None
