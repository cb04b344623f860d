"""Hostile input stops at the door: JSON that is not text or not numbers, bodies too large, and error answers
that never carry the rejected input back.

- :class:`StrictJSONRoute` parses JSON bodies refusing ``NaN``/``Infinity`` (and numbers that overflow to
  them) and strings with a lone surrogate (``"\\ud800"`` is valid JSON but not text: no database, log or JSON
  answer can encode it). Routers use it as their ``route_class``.
- :class:`BodyLimit` (ASGI middleware) refuses a body larger than its limit before reading it when the client
  declares its length, and stops reading at the limit when it does not: nothing is buffered beyond it.
- :func:`safe_errors` keeps only where and what of a validation error (never the ``input``, which may be a
  password, or a value that cannot even be serialised).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _NotText(ValueError):
    pass


def printable(value: object, limit: int = 64) -> str:
    """``value`` as text safe to put in an answer: lone surrogates replaced, cut to ``limit`` characters."""
    text = str(value)[:limit]
    return text.encode("utf-8", "replace").decode("utf-8")


def _has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise _NotText(f"the number {literal[:32]}… is too large for a float")
    return number


def _no_constant(name: str) -> Any:
    raise _NotText(f"{name} is not a number JSON allows (NaN and ±Infinity are refused)")


def _check_strings(value: Any) -> None:
    """Raise :class:`_NotText` naming the field (path) of the first string with a lone surrogate."""
    stack: list[tuple[str, Any]] = [("body", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _has_lone_surrogate(item):
                raise _NotText(f"{path} holds a lone surrogate (U+D800–U+DFFF), which is not text")
        elif isinstance(item, dict):
            for key, child in item.items():
                if _has_lone_surrogate(key):
                    raise _NotText(f"a key of {path} holds a lone surrogate (U+D800–U+DFFF), which is not text")
                stack.append((f"{path}.{printable(key, 32)}", child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{n}", child) for n, child in enumerate(item))


# A lone surrogate can only come from a \uD800-\uDFFF escape (raw UTF-8 cannot encode one): bodies without
# such an escape skip the walk over every string.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_json(body: bytes) -> Any:
    """``json.loads`` for hostile clients: :class:`json.JSONDecodeError` (FastAPI: a 422) for non-finite numbers
    and lone surrogates, with a message that names the problem but repeats none of the body."""
    try:
        value = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
        if _SURROGATE_ESCAPE.search(body):
            _check_strings(value)
    except _NotText as exc:
        raise json.JSONDecodeError(str(exc), body.decode("utf-8", "replace"), 0) from None
    return value


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """An APIRoute whose JSON bodies are parsed by :func:`parse_json`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


def safe_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors reduced to type, location and message: never the input (nor ``ctx``, which can quote it),
    except the JSON parser's own reason, which names the problem only."""
    out = []
    for e in errors[:20]:
        msg = str(e.get("msg", ""))
        reason = (e.get("ctx") or {}).get("error") if e.get("type") == "json_invalid" else None
        if reason:
            msg = f"{msg}: {reason}"
        out.append({"type": printable(e.get("type", ""), 64), "loc": [printable(x) for x in e.get("loc", ())],
                    "msg": printable(msg, 300)})
    return out


class BodyTooLarge(HTTPException):
    """413; an HTTPException so that FastAPI's body parsing lets it through to the error handlers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail={"code": "body_too_large",
                                      "message": f"request body larger than {limit} bytes: refused"})


class BodyLimit:
    """Refuse request bodies over ``limit_for(scope)`` bytes: at once when Content-Length says so (nothing is
    read), else as soon as the stream passes the limit (at most one chunk beyond it is ever held)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"code": "body_too_large", "message": f"request body larger than {limit} bytes: refused",
                       "detail": {}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
