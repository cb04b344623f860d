"""Find a text file's encoding by strict decoding, never by guessing: UTF-8 (with or without BOM), then GBK, then
GB18030. The whole file is decoded in streaming fashion, so a multi-gigabyte file costs time, not memory."""

from __future__ import annotations

import codecs
from pathlib import Path

from szcg.errors import InputRejected, RowProblem

CANDIDATES = ("utf-8", "gbk", "gb18030")
_BLOCK = 1 << 20


def _strict_decode_error(path: Path, encoding: str, skip: int = 0) -> tuple[int, str] | None:
    """None when the file decodes strictly; else (byte offset, reason) of the first failure."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = skip
    with path.open("rb") as handle:
        handle.seek(skip)
        while block := handle.read(_BLOCK):
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError as exc:
                return offset + exc.start, exc.reason
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset, f"file ends inside a multi-byte character ({exc.reason}) — truncated?"
    return None


def _is_utf8(path: Path, skip: int = 0) -> bool:
    """True when the file from byte ``skip`` on is valid UTF-8 (the verdict of a strict decode), checked by Arrow's
    validator — several times faster than decoding into Python strings. False says nothing about where it
    fails: :func:`_strict_decode_error` finds that."""
    import pyarrow as pa

    tail = b""
    with path.open("rb") as handle:
        handle.seek(skip)
        while block := handle.read(_BLOCK * 4):
            data = tail + block
            # Validate up to the last line break: a multi-byte character never straddles an ASCII byte.
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                cut = next((i + 1 for i in range(len(data) - 1, max(-1, len(data) - 64), -1) if data[i] < 0x80), 0)
            if cut:
                bounds = pa.py_buffer((0).to_bytes(8, "little") + cut.to_bytes(8, "little"))
                text = pa.Array.from_buffers(pa.large_string(), 1, [None, bounds, pa.py_buffer(data[:cut])])
                try:
                    text.validate(full=True)
                except pa.ArrowInvalid:
                    return False
            tail = data[cut:]
            if len(tail) > _BLOCK * 8:  # megabytes without a line break: leave it to the strict decoder
                return False
    if not tail:
        return True
    try:
        tail.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _has_nul(path: Path) -> int | None:
    offset = 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            at = block.find(b"\x00")
            if at >= 0:
                return offset + at
            offset += len(block)
    return None


HEAD_BYTES = 1 << 20


def provisional_encoding(path: Path) -> tuple[str, bool]:
    """The encoding of a CSV from its first megabyte: ``(encoding, checked)``. ``checked`` is False when only the
    head was read and found UTF-8 — the caller's strict UTF-8 reader (DuckDB validates every byte it reads) checks
    the rest and calls :func:`detect_encoding` when it refuses the file. Anything else — a head that is not UTF-8, a
    NUL byte anywhere — is decided here on the whole file, as :func:`detect_encoding` does."""
    path = Path(path)
    size = path.stat().st_size
    if size <= HEAD_BYTES:
        return detect_encoding(path), True
    if (at := _has_nul(path)) is not None:
        raise _binary(path.name, at)
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    bom = head.startswith(codecs.BOM_UTF8)
    try:  # up to the last line break: a multi-byte character never straddles an ASCII byte
        head[3 if bom else 0:head.rfind(b"\n") + 1].decode("utf-8")
    except UnicodeDecodeError:
        return detect_encoding(path, check_nul=False), True
    return ("utf-8-sig" if bom else "utf-8"), False


def _binary(name: str, at: int) -> InputRejected:
    return InputRejected(
        f"{name}: byte {at} is NUL — not a text file (binary, UTF-16, or padded/damaged); "
        "save it as CSV in UTF-8 or GBK",
        [RowProblem(name, 0, "(file)", "encoding.binary",
                    f"第 {at} 字节为 NUL，不是文本文件（可能是二进制、UTF-16 或已损坏）")],
    )


def detect_encoding(path: Path, *, check_nul: bool = True, skip: int = 0) -> str:
    """The first of UTF-8-with-BOM / UTF-8 / GBK / GB18030 that decodes the whole file strictly.

    Raises InputRejected naming where each candidate failed when none does."""
    path = Path(path)
    name = path.name
    if path.stat().st_size <= skip:
        raise InputRejected(f"{name}: the file is empty", [RowProblem(name, 0, "(file)", "file.empty", "文件为空")])
    if check_nul and (at := _has_nul(path)) is not None:
        raise _binary(name, at)
    with path.open("rb") as handle:
        head = handle.read(skip + 3)[skip:]
    if head.startswith(codecs.BOM_UTF8):
        failure = None if _is_utf8(path, skip + 3) else _strict_decode_error(path, "utf-8", skip + 3)
        if failure is None:
            return "utf-8-sig"
        failures = {"utf-8-sig": failure}
    else:
        failures = {}
        for encoding in CANDIDATES:
            if encoding == "utf-8" and _is_utf8(path, skip):
                return encoding
            failure = _strict_decode_error(path, encoding, skip)
            if failure is None:
                return encoding
            failures[encoding] = failure
            if encoding == "utf-8" and "truncated" in failure[1]:
                # Valid UTF-8 up to a cut-off last character: a truncated UTF-8 file, not GBK that happens to
                # decode (UTF-8 Chinese bytes are often valid GBK pairs — mojibake, not data).
                break
    detail = "; ".join(f"{enc} fails at byte {pos} ({why})" for enc, (pos, why) in failures.items())
    truncated = all("truncated" in why for _, why in failures.values())
    hint = "the file looks truncated" if truncated else "save it as UTF-8 or GBK"
    raise InputRejected(
        f"{name}: no supported encoding decodes this file: {detail}; {hint}",
        [RowProblem(name, 0, "(file)", "encoding.undecodable",
                    f"无法识别文件编码（已尝试 UTF-8、GBK、GB18030）：{detail}")],
    )
