"""Receive a census upload: the multipart body streamed to disk in chunks, checked before it is kept.

A survey team's file may be 500 MB, so the body is never held in memory (nor spooled by Starlette's form parser
into a second temporary copy): python-multipart parses the request stream as it arrives and the file part goes
straight into a hidden ``.part`` file under a name we make. The small fields (CSRF token, district, mapping) come
before the file in the form, and ``check_fields`` judges them before a byte of the file is written. Type (the
extension, then the magic bytes of the first chunk) and size are checked while receiving; anything refused is
deleted before the request ends, and only an accepted file is renamed to its final name.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header

MAX_UPLOAD_BYTES = 500 * 1024 * 1024
FILE_FIELD = "file"
# Extension → the format census_loaders.readers reads it as (the same list, less what teams do not deliver).
FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".gpkg": "gpkg", ".zip": "shp_zip"}
FORMAT_NAMES = {"csv": "CSV 文本", "xlsx": "Excel 工作簿 (XLSX)", "gpkg": "GeoPackage",
                "shp_zip": "Shapefile 压缩包 (ZIP)"}
_MAGIC = {"xlsx": b"PK\x03\x04", "shp_zip": b"PK\x03\x04", "gpkg": b"SQLite format 3\x00"}
_SNIFF_BYTES = 8192  # a CSV's first 8 KiB must be text: no NUL byte, and none of the binary formats' signatures
_FIELD_LIMIT = 4096  # a form field (token, district, mapping) is short; a long one is not ours
_MAX_FIELDS = 16


class UploadRefused(Exception):
    """The upload is refused; ``message`` (Chinese) tells the team why and is shown on the form."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True)
class ReceivedUpload:
    upload_id: str
    path: Path  # <directory>/<upload_id><ext>: our name, never the user's
    file_name: str  # the team's file name, cleaned for display
    format: str
    size_bytes: int
    sha256: str
    fields: dict[str, str]

    @property
    def batch_id(self) -> str:
        """The batch id landing will give this content (warehouse.landing: ``census-`` + 16 hex of sha256)."""
        return f"census-{self.sha256[:16]}"


def display_name(raw: str) -> str:
    """The user's file name as text to show: last path component, no control characters, at most 120 chars."""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    return name.strip()[:120] or "未命名文件"


def format_of(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix not in FORMATS:
        raise UploadRefused(f"不支持的文件类型“{suffix or '无扩展名'}”：请上传 CSV（UTF-8 或 GBK）、XLSX、"
                            "GeoPackage (.gpkg) 或 Shapefile 压缩包 (.zip)")
    return FORMATS[suffix]


def check_magic(fmt: str, head: bytes, file_name: str) -> None:
    """The first bytes must be what the extension claims (an .xlsx that is really a PDF is refused here)."""
    if not head:
        raise UploadRefused(f"文件“{file_name}”是空的")
    magic = _MAGIC.get(fmt)
    if magic is not None:
        if not head.startswith(magic):
            raise UploadRefused(f"文件“{file_name}”的内容不是{FORMAT_NAMES[fmt]}（文件头不符），请检查文件类型")
        return
    if b"\x00" in head[:_SNIFF_BYTES] or any(head.startswith(m) for m in _MAGIC.values()):
        raise UploadRefused(f"文件“{file_name}”不是文本 CSV（含二进制内容），请另存为 CSV（UTF-8 或 GBK）后上传")


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    value: bytearray = field(default_factory=bytearray)


class _Receiver:
    """The parser's callbacks: they only record; checks that may refuse run between chunks (see ``feed``)."""

    def __init__(self, directory: Path, max_bytes: int, check_fields: Callable[[dict[str, str]], None]) -> None:
        self.directory, self.max_bytes, self.check_fields = directory, max_bytes, check_fields
        self.upload_id = secrets.token_hex(12)
        self.fields: dict[str, str] = {}
        self.part = _Part()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self.file_name: str | None = None
        self.format = ""
        self.handle: IO[bytes] | None = None
        self.partial: Path | None = None
        self.head = bytearray()
        self.size = 0
        self.digest = hashlib.sha256()
        self.file_done = False
        self._events: list[tuple[str, _Part | bytes | str | None]] = []

    # --- callbacks (python-multipart calls them synchronously from ``write``) ---
    def on_part_begin(self) -> None:
        self.part = _Part()
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        # kept as bytes: browsers send a Chinese file name as raw UTF-8 in the header
        self._headers[self._header_field.decode("latin-1").lower()] = bytes(self._header_value)
        self._header_field, self._header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", b""))
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self.part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        if self._is_file():
            self._events.append(("begin", self.part.filename or ""))

    def _is_file(self) -> bool:
        return self.part.name == FILE_FIELD and self.part.filename is not None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file():
            self._events.append(("data", data[start:end]))
        elif len(self.part.value) + end - start <= _FIELD_LIMIT:
            self.part.value += data[start:end]
        else:
            self.part.value = bytearray(b"\x00" * (_FIELD_LIMIT + 1))  # marks it too long; refused in settle

    def on_part_end(self) -> None:
        self._events.append(("end", None) if self._is_file() else ("field", self.part))

    # --- between chunks: everything that may refuse, in the order the body delivered it ---
    def settle(self) -> None:
        events, self._events = self._events, []
        for kind, value in events:
            if kind == "field":
                assert isinstance(value, _Part)
                if len(value.value) > _FIELD_LIMIT or len(self.fields) >= _MAX_FIELDS:
                    raise UploadRefused("表单字段过长或过多")
                self.fields[value.name] = value.value.decode("utf-8", "replace")
            elif kind == "begin":
                assert isinstance(value, str)
                self._open_file(value)
            elif kind == "data":
                assert isinstance(value, bytes)
                self._write(value)
            else:
                self._finish_file()

    def _open_file(self, raw_name: str) -> None:
        if self.file_name is not None:
            raise UploadRefused("一次只能上传一个普查文件")
        # The fields sent before the file (CSRF token, district, mapping) decide whether we keep anything at all.
        self.check_fields(dict(self.fields))
        if not raw_name.strip():
            raise UploadRefused("请选择要上传的普查文件")
        self.file_name = display_name(raw_name)
        self.format = format_of(self.file_name)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.partial = self.directory / f".part-{self.upload_id}"
        self.handle = open(self.partial, "xb")  # noqa: SIM115 — closed by _finish_file or discard

    def _write(self, chunk: bytes) -> None:
        if self.handle is None:
            raise UploadRefused("表单格式不对：文件部分缺少文件名")
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise UploadRefused(f"文件超过 {self.max_bytes // (1024 * 1024)} MB 的上限，请分批上传", 413)
        if len(self.head) < _SNIFF_BYTES:
            self.head += chunk[: _SNIFF_BYTES - len(self.head)]
            if len(self.head) >= _SNIFF_BYTES:
                check_magic(self.format, bytes(self.head), self.file_name or "")
        self.digest.update(chunk)
        self.handle.write(chunk)

    def _finish_file(self) -> None:
        assert self.handle is not None
        self.handle.close()
        self.handle = None
        self.file_done = True

    def kept(self) -> ReceivedUpload:
        """The file, complete and checked, renamed to its final name."""
        if not self.file_done or self.partial is None:
            if self.file_name is None:
                self.check_fields(dict(self.fields))
            raise UploadRefused("请选择要上传的普查文件")
        if len(self.head) < _SNIFF_BYTES:  # a small file: judged on all of it
            check_magic(self.format, bytes(self.head), self.file_name or "")
        suffix = Path(self.file_name or "").suffix.lower()
        final = self.directory / f"{self.upload_id}{suffix}"
        os.replace(self.partial, final)
        self.partial = None
        return ReceivedUpload(self.upload_id, final, self.file_name or "", self.format, self.size,
                              self.digest.hexdigest(), dict(self.fields))

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        if self.partial is not None:
            self.partial.unlink(missing_ok=True)


async def receive_upload(content_type: str, content_length: str | None, stream: AsyncIterator[bytes],
                         directory: Path, check_fields: Callable[[dict[str, str]], None],
                         max_bytes: int = MAX_UPLOAD_BYTES) -> ReceivedUpload:
    """Stream a ``multipart/form-data`` body into ``directory``; returns the kept file or raises UploadRefused
    (nothing is left behind then). ``check_fields`` sees the fields sent before the file and may refuse."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadRefused("请通过上传表单提交文件（multipart/form-data）")
    if content_length is not None and content_length.isdigit() and int(content_length) > max_bytes + 64 * 1024:
        raise UploadRefused(f"文件超过 {max_bytes // (1024 * 1024)} MB 的上限，请分批上传", 413)
    receiver = _Receiver(directory, max_bytes, check_fields)
    callbacks = {name: getattr(receiver, name) for name in (
        "on_part_begin", "on_part_data", "on_part_end", "on_header_field", "on_header_value", "on_header_end",
        "on_headers_finished")}
    parser = MultipartParser(boundary, callbacks, max_size=max_bytes + 64 * 1024)  # type: ignore[arg-type]
    try:
        async for chunk in stream:
            parser.write(chunk)
            receiver.settle()
        parser.finalize()
        receiver.settle()
        if receiver.handle is not None:  # the body ended inside the file part
            raise UploadRefused("上传未完成（连接中断），请重新上传")
        return receiver.kept()
    except BaseException:
        receiver.discard()
        raise


async def keep_spooled(upload: Any, fields: dict[str, str], directory: Path,
                       check_fields: Callable[[dict[str, str]], None],
                       max_bytes: int = MAX_UPLOAD_BYTES) -> ReceivedUpload:
    """The same checks for a form Starlette has already parsed (a browser without script posts the form with its
    CSRF field, which the portal's CSRF check reads; Starlette spooled the file): copied in chunks."""
    receiver = _Receiver(directory, max_bytes, check_fields)
    receiver.fields = dict(fields)
    try:
        receiver._open_file(upload.filename or "")
        while chunk := await upload.read(1 << 20):
            receiver._write(chunk)
        receiver._finish_file()
        return receiver.kept()
    except BaseException:
        receiver.discard()
        raise
