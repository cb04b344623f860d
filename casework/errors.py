"""The case service's errors, each with its HTTP status and code (the API maps them to responses).

A module of their own so that every part of the service (the workflow, attachments, accounts) can raise them
without importing :mod:`casework.service`, which uses those parts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "PreconditionRequired", "ServiceError"]


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, **detail: Any) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.detail = detail


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Invalid(ServiceError):
    status, code = 422, "invalid"


class PreconditionRequired(ServiceError):
    status, code = 428, "version_required"
