"""Landing: every input file kept byte-for-byte, immutable, addressed by batch id and content hash.

The same content always gets the same batch id, so re-submitting a file is recognised and re-running a load is
idempotent; a corrected file is a new batch. A file refused as a whole keeps only its head (:func:`keep_head_only`):
a 2 GiB file of padding must not stay 2 GiB on disk; landing the same content again puts the whole copy back.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from szcg import clock
from szcg.errors import InputRejected, RowProblem

_KIND = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
_CHUNK = 1 << 20
# What landing keeps of a file refused as a whole: enough to see what was sent (the ledger keeps its size and hash).
REJECTED_KEEP_BYTES = 1 << 20


@dataclass(frozen=True)
class LandedFile:
    batch_id: str
    kind: str
    original_name: str
    sha256: str
    size_bytes: int
    path: Path  # absolute path of the immutable copy
    already_landed: bool


def sha256_of(path: Path) -> tuple[str, int]:
    """Stream the file (inputs can be gigabytes) and return its hash and size."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def land_file(con: duckdb.DuckDBPyConnection, landing_dir: Path, source: Path, kind: str) -> LandedFile:
    """Copy ``source`` into the landing area (once) and register it; returns where it is kept.

    The copy is made first and hashed: the batch id is the hash of exactly the bytes kept and loaded (one pass
    over the data, not one over the source and another over the copy). A source whose size or modification time
    moves while it is copied is refused — the copy could mix two versions."""
    return register_copy(con, landing_dir, copy_for_landing(landing_dir, source, kind))


@dataclass(frozen=True)
class CopiedFile:
    """A source copied into the landing area and hashed, not registered yet (see :func:`copy_for_landing`)."""

    source: Path
    kind: str
    incoming: Path
    sha256: str
    size: int


def copy_for_landing(landing_dir: Path, source: Path, kind: str) -> CopiedFile:
    """The part of :func:`land_file` that needs no database: copy and hash. It touches no connection, so a load may
    run it on a thread while DuckDB reads the source; :func:`register_copy` (or :func:`discard_copy`) must follow."""
    if not _KIND.match(kind):
        raise ValueError(f"landing kind {kind!r}: expected lower_snake_case")
    source = Path(source)
    if not source.is_file():
        directory = source.is_dir()
        what, chinese = (("is a directory, not a file", "路径是目录，不是文件") if directory
                         else ("does not exist", "文件不存在"))
        raise InputRejected(f"{source}: {what}", [RowProblem(source.name or str(source), 0, "(file)", "file.missing",
                                                             chinese)])
    incoming = landing_dir / kind / f".incoming-{os.getpid()}-{threading.get_ident()}-{source.name}"
    incoming.parent.mkdir(parents=True, exist_ok=True)
    try:
        before = source.stat()
        shutil.copyfile(source, incoming)
        after = source.stat()
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
            raise OSError(f"{source}: changed while being landed; submit it again")
        sha, size = sha256_of(incoming)
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    return CopiedFile(source, kind, incoming, sha, size)


def discard_copy(copied: CopiedFile) -> None:
    """A copy that will not be registered (the load stopped before): nothing of it stays."""
    copied.incoming.unlink(missing_ok=True)


def register_copy(con: duckdb.DuckDBPyConnection, landing_dir: Path, copied: CopiedFile) -> LandedFile:
    """Keep the copy under its hash (once) and record it in landing.landed_file; returns where it is kept."""
    source, kind, incoming, sha, size = copied.source, copied.kind, copied.incoming, copied.sha256, copied.size
    try:
        batch_id = f"{kind}-{sha[:16]}"
        row = con.execute(
            "SELECT landed_path, original_name FROM landing.landed_file WHERE batch_id = ?", [batch_id]
        ).fetchone()
        if row is not None:
            kept = landing_dir / str(row[0])
            if not kept.is_file() or kept.stat().st_size != size:  # only its head was kept (refused before)
                incoming.chmod(0o444)
                os.replace(incoming, kept)
            return LandedFile(batch_id, kind, str(row[1]), sha, size, kept, True)
        relative = Path(kind) / sha[:2] / sha / source.name
        target = landing_dir / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            incoming.chmod(0o444)
            os.replace(incoming, target)
    finally:
        incoming.unlink(missing_ok=True)
    con.execute(
        "INSERT INTO landing.landed_file VALUES (?, ?, ?, ?, ?, ?, ?)",
        [batch_id, kind, source.name, sha, size, str(relative), clock.now().replace(microsecond=0)],
    )
    return LandedFile(batch_id, kind, source.name, sha, size, target, False)


def keep_head_only(landed: LandedFile, keep_bytes: int = REJECTED_KEEP_BYTES) -> int:
    """Cut the landed copy of a file refused as a whole to its first ``keep_bytes``; returns the bytes kept.

    The survey team holds the original and the ledger its size and hash; a re-submission of the same content lands
    the whole copy again (:func:`land_file`), so a retry reads every byte."""
    if landed.size_bytes <= keep_bytes or not landed.path.is_file() or landed.path.stat().st_size <= keep_bytes:
        return min(landed.size_bytes, keep_bytes)
    head = landed.path.with_name(f".head-{os.getpid()}-{landed.path.name}")
    try:
        with landed.path.open("rb") as source, head.open("wb") as out:
            out.write(source.read(keep_bytes))
        head.chmod(0o444)
        os.replace(head, landed.path)
    finally:
        head.unlink(missing_ok=True)
    return keep_bytes
