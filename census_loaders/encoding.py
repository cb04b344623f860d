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


def _has_nul(path: Path) -> int | None:
    offset = 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            at = block.find(b"\x00")
            if at >= 0:
                return offset + at
            offset += len(block)
    return None


def detect_encoding(path: Path, *, check_nul: bool = True, skip: int = 0) -> str:
    """The first of UTF-8-with-BOM / UTF-8 / GBK / GB18030 that decodes the whole file strictly.

    Raises InputRejected naming where each candidate failed when none does."""
    path = Path(path)
    name = path.name
    if path.stat().st_size <= skip:
        raise InputRejected(f"{name}: the file is empty", [RowProblem(name, 0, "(file)", "file.empty", "文件为空")])
    if check_nul and (at := _has_nul(path)) is not None:
        raise InputRejected(
            f"{name}: byte {at} is NUL — not a text file (binary, UTF-16, or padded/damaged); "
            "save it as CSV in UTF-8 or GBK",
            [RowProblem(name, 0, "(file)", "encoding.binary",
                        f"第 {at} 字节为 NUL，不是文本文件（可能是二进制、UTF-16 或已损坏）")],
        )
    with path.open("rb") as handle:
        head = handle.read(skip + 3)[skip:]
    if head.startswith(codecs.BOM_UTF8):
        failure = _strict_decode_error(path, "utf-8", skip + 3)
        if failure is None:
            return "utf-8-sig"
        failures = {"utf-8-sig": failure}
    else:
        failures = {}
        for encoding in CANDIDATES:
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
