"""Attachments of events: stored content-addressed (SHA-256 of the bytes) in the database, referenced from an
event's ``attachments`` as ``sha256:<hex>``.

Limits and the accepted types are data (``attachments.yaml``). A file's type is read from its first bytes (the
client's Content-Type is not trusted), and uploads are idempotent: the same bytes give the same id, stored once.
An event may also reference external media by absolute ``http(s)://`` URL (Open311's ``media_url``); anything
else, or an id that was never uploaded, is refused before the event is written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from casework.db import Database
from casework.errors import Invalid
from casework.models import Attachment

CONFIG = Path(__file__).with_name("attachments.yaml")
PREFIX = "sha256:"
_REFERENCE = re.compile(r"^sha256:([0-9a-f]{64})$")
_TABLE = Attachment.__table__


def _is_mp4(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


# How each kind of file begins (magic numbers), by the names attachments.yaml uses.
_SNIFFERS = {
    "jpeg": lambda head: head[:3] == b"\xff\xd8\xff",
    "png": lambda head: head[:8] == b"\x89PNG\r\n\x1a\n",
    "webp": _is_webp,
    "mp4": _is_mp4,
    "pdf": lambda head: head[:5] == b"%PDF-",
}


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    types: dict[str, str]  # content type → sniffer name


@cache
def load_limits(path: Path = CONFIG) -> Limits:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    max_bytes = raw.get("max_bytes")
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ValueError(f"{path}: max_bytes: expected a positive whole number of bytes, got {max_bytes!r}")
    types = raw.get("types") or {}
    for content_type, sniffer in types.items():
        if sniffer not in _SNIFFERS:
            raise ValueError(f"{path}: types.{content_type}: unknown kind {sniffer!r}; expected one of "
                             f"{', '.join(sorted(_SNIFFERS))}")
    return Limits(max_bytes, dict(types))


class TooLarge(Invalid):
    status, code = 413, "attachment_too_large"


class UnsupportedType(Invalid):
    status, code = 415, "attachment_type_not_accepted"


def sniff(data: bytes, limits: Limits) -> str:
    """The content type of ``data`` among the accepted ones, else :class:`UnsupportedType`."""
    head = data[:16]
    for content_type, sniffer in limits.types.items():
        if _SNIFFERS[sniffer](head):
            return content_type
    raise UnsupportedType(f"the file is none of the accepted types ({', '.join(limits.types)}), judged by its "
                          "first bytes", field="body")


def store(db: Database, data: bytes, *, filename: str, uploaded_by: str, at: datetime,
          limits: Limits | None = None) -> tuple[dict[str, Any], bool]:
    """Keep ``data`` (validated) and return (its metadata, whether it was new). Same bytes → same row."""
    limits = limits or load_limits()
    if len(data) > limits.max_bytes:
        raise TooLarge(f"{len(data)} bytes: at most {limits.max_bytes} per attachment", field="body")
    if not data:
        raise Invalid("the file is empty", field="body")
    content_type = sniff(data, limits)
    digest = hashlib.sha256(data).hexdigest()
    row = {"sha256": digest, "content_type": content_type, "size": len(data), "filename": filename[:256],
           "uploaded_by": uploaded_by, "uploaded_at": at}
    existing = metadata(db, digest)
    if existing is not None:
        return existing, False
    try:
        with db.write() as conn:
            conn.execute(_TABLE.insert(), {**row, "data": data})  # type: ignore[attr-defined]
    except IntegrityError:  # the same bytes uploaded concurrently: one row, both callers get it
        found = metadata(db, digest)
        assert found is not None
        return found, False
    return describe(row), True


_META = [c for c in _TABLE.columns if c.name != "data"]


def describe(row: Any) -> dict[str, Any]:
    m = dict(row)
    return {"id": PREFIX + m["sha256"], "sha256": m["sha256"], "content_type": m["content_type"],
            "size": m["size"], "filename": m["filename"], "uploaded_by": m["uploaded_by"],
            "uploaded_at": m["uploaded_at"]}


def metadata(db: Database, digest: str) -> dict[str, Any] | None:
    with db.read() as conn:
        row = conn.execute(select(*_META).where(_TABLE.c.sha256 == digest)).first()  # type: ignore[attr-defined]
    return None if row is None else describe(row._mapping)


@dataclass(frozen=True)
class Stored:
    content_type: str
    data: bytes
    filename: str
    uploaded_by: str


def content(db: Database, digest: str) -> Stored | None:
    with db.read() as conn:
        row = conn.execute(select(_TABLE.c.content_type, _TABLE.c.data, _TABLE.c.filename,  # type: ignore[attr-defined]
                                  _TABLE.c.uploaded_by)  # type: ignore[attr-defined]
                           .where(_TABLE.c.sha256 == digest)).first()  # type: ignore[attr-defined]
    return None if row is None else Stored(row.content_type, bytes(row.data), row.filename, row.uploaded_by)


_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4",
               "application/pdf": ".pdf"}


def download_headers(digest: str, stored: Stored) -> dict[str, str]:
    """Headers that keep a download a download: never sniffed into another type, never rendered as a page of
    ours (a PDF or a crafted file cannot run script in the service's origin), saved under a safe name."""
    fallback = digest[:16] + _EXTENSIONS.get(stored.content_type, "")
    disposition = f'attachment; filename="{fallback}"'
    if stored.filename:  # the uploader's name, percent-encoded (RFC 6266/5987): no header can be injected
        disposition += f"; filename*=UTF-8''{quote(stored.filename.encode('utf-8', 'replace'), safe='')}"
    return {"X-Content-Type-Options": "nosniff", "Content-Disposition": disposition,
            "Content-Security-Policy": "default-src 'none'; sandbox", "ETag": f'"{digest}"',
            "Cache-Control": "private, max-age=31536000, immutable"}


def check_references(conn: Connection, references: Iterable[str]) -> None:
    """Refuse (422) an event whose attachments are neither uploaded files nor absolute http(s) URLs."""
    wanted: dict[str, str] = {}
    for ref in references:
        match = _REFERENCE.match(ref)
        if match:
            wanted[match.group(1)] = ref
        elif not ref.startswith(("https://", "http://")) or len(ref) > 1000:
            raise Invalid("attachments: expected an uploaded file's id (POST /attachments gives "
                          "sha256:<hex>) or an absolute http(s) URL", code="bad_attachment", field="attachments")
    if not wanted:
        return
    found = set(conn.execute(select(_TABLE.c.sha256)  # type: ignore[attr-defined]
                             .where(_TABLE.c.sha256.in_(list(wanted)))).scalars())  # type: ignore[attr-defined]
    missing = [ref for digest, ref in wanted.items() if digest not in found]
    if missing:
        raise Invalid(f"attachment {missing[0]} was never uploaded (POST /attachments first)",
                      code="unknown_attachment", field="attachments")
