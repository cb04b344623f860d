"""The census upload receiver on real multipart bodies (as browsers build them), fed in small chunks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from portal.census_upload import ReceivedUpload, UploadRefused, display_name, receive_upload

BOUNDARY = "----szcgBoundary7MA4YWxkTrZu0gW"
T = TypeVar("T")


def body(fields: dict[str, str], file_name: str | None, content: bytes) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    if file_name is not None:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a fresh loop in a thread of its own: a Playwright test earlier in the session may have left an
    event loop running on this thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def receive(tmp: Path, data: bytes, *, chunk: int = 1000, max_bytes: int = 1 << 20,
            check: object = None) -> ReceivedUpload:
    def check_fields(fields: dict[str, str]) -> None:
        if fields.get("csrf") != "ok":
            raise UploadRefused("表单已过期", 403)

    return run(receive_upload(f"multipart/form-data; boundary={BOUNDARY}", str(len(data)),
                                      chunks(data, chunk), tmp, check_fields, max_bytes))


CSV = "OBJCODE,OBJNAME,X,Y\n14060201001000001,井盖,112.4,39.3\n".encode("gbk") * 50


@pytest.mark.parametrize("chunk", [1, 7, 1000, 1 << 20])
def test_a_csv_is_kept_under_our_name_whatever_the_chunking(tmp_path: Path, chunk: int) -> None:
    got = receive(tmp_path, body({"csrf": "ok", "district": "140602"}, "../../etc/普查 第1批.csv", CSV), chunk=chunk)
    assert got.path.read_bytes() == CSV
    assert got.path.parent == tmp_path and got.path.name == f"{got.upload_id}.csv"
    assert got.file_name == "普查 第1批.csv" and got.format == "csv" and got.size_bytes == len(CSV)
    assert got.fields == {"csrf": "ok", "district": "140602"}
    assert got.batch_id.startswith("census-") and len(got.batch_id) == 23
    assert sorted(p.name for p in tmp_path.iterdir()) == [got.path.name]


@pytest.mark.parametrize(("name", "content", "says"), [
    ("batch.pdf", b"%PDF-1.7", "不支持的文件类型"),
    ("batch.xlsx", b"%PDF-1.7 not a workbook" * 10, "不是Excel 工作簿"),
    ("batch.gpkg", b"PK\x03\x04" + b"x" * 100, "不是GeoPackage"),
    ("batch.csv", b"PK\x03\x04" + b"x" * 100, "不是文本 CSV"),
    ("batch.csv", b"a,b\n\x00\x01\x02", "不是文本 CSV"),
    ("batch.csv", b"", "是空的"),
    ("", b"", "请选择"),
])
def test_wrong_type_is_refused_and_nothing_is_left(tmp_path: Path, name: str, content: bytes, says: str) -> None:
    with pytest.raises(UploadRefused, match=says):
        receive(tmp_path, body({"csrf": "ok"}, name, content))
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_magic_bytes_are_checked_on_big_files_too(tmp_path: Path) -> None:
    with pytest.raises(UploadRefused, match="不是GeoPackage"):
        receive(tmp_path, body({"csrf": "ok"}, "x.gpkg", b"\x89PNG" + b"\x00" * 200_000), chunk=4096)
    assert list(tmp_path.iterdir()) == []


def test_too_big_is_refused_while_streaming(tmp_path: Path) -> None:
    data = body({"csrf": "ok"}, "big.csv", b"a,b\n" * 100_000)
    with pytest.raises(UploadRefused, match="上限") as refused:
        # no Content-Length (chunked): the size is counted as the bytes come
        run(receive_upload(f"multipart/form-data; boundary={BOUNDARY}", None, chunks(data, 4096), tmp_path,
                                   lambda f: None, 100_000))
    assert refused.value.status_code == 413
    assert list(tmp_path.iterdir()) == []


def test_declared_length_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    async def never() -> AsyncIterator[bytes]:
        raise AssertionError("the body was read")
        yield b""

    with pytest.raises(UploadRefused, match="上限"):
        run(receive_upload(f"multipart/form-data; boundary={BOUNDARY}", str(10 << 20), never(), tmp_path,
                                   lambda f: None, 1 << 20))


def test_fields_are_judged_before_the_file_is_written(tmp_path: Path) -> None:
    with pytest.raises(UploadRefused, match="过期") as refused:
        receive(tmp_path, body({"csrf": "forged"}, "a.csv", CSV))
    assert refused.value.status_code == 403
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_a_body_cut_short_leaves_nothing(tmp_path: Path) -> None:
    data = body({"csrf": "ok"}, "a.csv", CSV * 10)
    with pytest.raises(UploadRefused, match="上传未完成"):
        run(receive_upload(f"multipart/form-data; boundary={BOUNDARY}", None,
                                   chunks(data[: len(data) // 2], 512), tmp_path, lambda f: None))
    assert list(tmp_path.iterdir()) == []


def test_display_name_drops_paths_and_control_characters() -> None:
    assert display_name("C:\\Users\\x\\批次\x07.csv") == "批次.csv"
    assert display_name("   ") == "未命名文件"
