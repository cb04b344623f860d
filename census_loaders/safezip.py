"""Extract zipped Shapefiles safely: no paths leaving the folder, no absolute paths, no links, no zip bombs.

Declared sizes and compression ratios are checked before anything is written, and the bytes actually written are
counted too (a zip can lie about its sizes)."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from census_loaders.config import ZipLimits
from szcg.errors import InputRejected, RowProblem

_RATIO_FLOOR = 1 << 20  # tiny members (a .prj, a .cpg) may compress well; judge ratios above 1 MiB only


def _reject(zip_name: str, rule: str, message: str, chinese: str) -> InputRejected:
    return InputRejected(f"{zip_name}: {message}", [RowProblem(zip_name, 0, "(file)", rule, chinese)])


def check_members(archive: zipfile.ZipFile, zip_name: str, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """The members to extract, or InputRejected for the first unsafe one."""
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > limits.max_members:
        raise _reject(zip_name, "zip.too_many_members", f"{len(members)} members, more than {limits.max_members}",
                      f"压缩包内文件过多（{len(members)} 个）")
    total = 0
    for member in members:
        name = member.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
            raise _reject(zip_name, "zip.unsafe_path",
                          f"member {member.filename!r} points outside the extraction folder; refused",
                          f"压缩包内路径不安全：{member.filename}")
        mode = member.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _reject(zip_name, "zip.unsafe_path", f"member {member.filename!r} is a symbolic link; refused",
                          f"压缩包内含符号链接：{member.filename}")
        total += member.file_size
        if member.file_size > _RATIO_FLOOR and member.file_size > limits.max_ratio * max(member.compress_size, 1):
            raise _reject(zip_name, "zip.bomb",
                          f"member {member.filename!r} expands {member.file_size / max(member.compress_size, 1):.0f}"
                          f"× ({member.file_size} bytes); limit {limits.max_ratio:.0f}×, refused as a zip bomb",
                          f"疑似压缩炸弹：{member.filename} 压缩比过大")
    if total > limits.max_total_uncompressed_bytes:
        raise _reject(zip_name, "zip.bomb",
                      f"declares {total} bytes uncompressed, more than {limits.max_total_uncompressed_bytes}; "
                      "refused as a zip bomb",
                      f"解压后过大（{total} 字节）")
    return members


def safe_extract(path: Path, target: Path, limits: ZipLimits) -> list[Path]:
    """Extract ``path`` into ``target`` after the checks; returns the files written."""
    zip_name = Path(path).name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _reject(zip_name, "zip.unreadable", f"not a readable zip file ({exc}); damaged or truncated?",
                      f"无法读取压缩包（可能已损坏或不完整）：{exc}") from exc
    written: list[Path] = []
    with archive:
        members = check_members(archive, zip_name, limits)
        budget = limits.max_total_uncompressed_bytes
        root = target.resolve()
        for member in members:
            out = (root / member.filename.replace("\\", "/")).resolve()
            if root not in out.parents:
                raise _reject(zip_name, "zip.unsafe_path", f"member {member.filename!r} leaves the folder",
                              f"压缩包内路径不安全：{member.filename}")
            out.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            try:
                with archive.open(member) as src, out.open("wb") as dst:
                    while block := src.read(1 << 20):
                        size += len(block)
                        if size > member.file_size or size > budget:
                            raise _reject(zip_name, "zip.bomb",
                                          f"member {member.filename!r} expands beyond its declared size; refused",
                                          f"疑似压缩炸弹：{member.filename} 实际大小超过声明")
                        dst.write(block)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:  # zlib.error is not an OSError
                raise _reject(zip_name, "zip.unreadable", f"member {member.filename!r} is damaged ({exc})",
                              f"压缩包内文件损坏：{member.filename}") from exc
            except Exception as exc:
                if isinstance(exc, InputRejected):
                    raise
                raise _reject(zip_name, "zip.unreadable", f"member {member.filename!r} is damaged ({exc})",
                              f"压缩包内文件损坏：{member.filename}") from exc
            budget -= size
            written.append(out)
    return written
