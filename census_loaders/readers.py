"""Read what survey companies deliver — CSV, XLSX, GeoPackage, zipped Shapefile, GeoJSON, GeoParquet — as chunks
of string columns with a 1-based ``row_number``; spatial formats add ``__x``/``__y`` (a point on the geometry),
``__geom_type`` and ``__wkt`` (lines/polygons only). Nothing is loaded whole: chunks are bounded in rows."""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from census_loaders.config import ZipLimits
from census_loaders.encoding import detect_encoding, provisional_encoding
from census_loaders.safezip import check_members, safe_extract
from szcg.errors import InputRejected, RowProblem

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".gpkg": "gpkg", ".zip": "shp_zip",
    ".geojson": "geojson", ".json": "geojson", ".parquet": "geoparquet", ".geoparquet": "geoparquet",
}
GEO_COLUMNS = ("__x", "__y", "__geom_type", "__wkt")


def _reject(name: str, rule: str, message: str, chinese: str) -> InputRejected:
    return InputRejected(f"{name}: {message}", [RowProblem(name, 0, "(file)", rule, chinese)])


def _malformed_csv(name: str, row: int | None, error: object) -> InputRejected:
    """Every CSV path (DuckDB, pandas) refuses a broken file with the same rule and words; ``row`` is the last data
    row read when known (DuckDB's own message names the line otherwise)."""
    where = f"after data row {row}" if row is not None else "the file"
    return _reject(name, "csv.malformed",
                   f"cannot parse {where}: {error} (a quote left open, or a row with extra fields)",
                   f"CSV 格式错误（{f'第 {row} 行之后' if row is not None else '见行号'}）：{str(error)[:300]}")


def _header_only(name: str) -> InputRejected:
    return _reject(name, "file.no_rows", "header only, no data rows", "只有表头，没有数据行")


@dataclass
class SourceFile:
    """One delivered file, opened: its format, encoding and CRS as found, and its columns."""

    path: Path
    file_name: str
    format: str
    columns: list[str]
    encoding: str | None = None
    # False while only the head of a CSV has been found UTF-8: the DuckDB reader checks every byte when it stages
    # the file (see stage_raw); chunks() checks the whole file first.
    encoding_checked: bool = True
    crs: str | None = None  # from the file itself (.prj, GeoPackage); None for tables with X/Y columns
    notes: list[str] = field(default_factory=list)
    _workdir: tempfile.TemporaryDirectory[str] | None = None
    _data_path: Path | None = None

    @property
    def spatial(self) -> bool:
        return self.format in ("gpkg", "shp_zip", "geojson", "geoparquet")

    def chunks(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        if self.format == "csv":
            self.check_encoding()
            yield from _csv_chunks(self, chunk_rows)
        elif self.format == "xlsx":
            yield from _xlsx_chunks(self, chunk_rows)
        elif self.format == "geoparquet":
            yield from _parquet_chunks(self, chunk_rows)
        else:
            yield from _ogr_chunks(self, chunk_rows)

    def check_encoding(self) -> None:
        """Decide the encoding on the whole file (:func:`detect_encoding`) when only its head was read."""
        if not self.encoding_checked:
            self.encoding = detect_encoding(self.path)
            self.encoding_checked = True
            self.notes.append(f"encoding detected: {self.encoding}")

    def close(self) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None


DEFAULT_MAX_COLUMNS = 1_000


def open_source(path: Path, zip_limits: ZipLimits | None = None, crs_override: str | None = None,
                max_columns: int = DEFAULT_MAX_COLUMNS) -> SourceFile:
    """Open ``path`` by its extension; InputRejected (file-level problem) when it cannot be read, or when it has
    more than ``max_columns`` columns (found from the header alone: nothing else is read)."""
    source = _open_by_format(Path(path), zip_limits or ZipLimits(), crs_override, max_columns)
    if len(source.columns) > max_columns:
        source.close()
        raise _too_many_columns(source.file_name, len(source.columns), max_columns)
    return source


def _too_many_columns(name: str, found: int, limit: int, header_chars: int | None = None) -> InputRejected:
    """``found`` columns (at least, when only the first ``header_chars`` characters of the header were read)."""
    what = (f"{found} columns" if header_chars is None else
            f"a header line of over {header_chars} characters (at least {found} columns)")
    return _reject(name, "file.too_many_columns",
                   f"{what}, more than the {limit} columns a census table may have (max_columns in census.yaml)",
                   f"列数过多（{'至少 ' if header_chars else ''}{found} 列，上限 {limit} 列）")


def _open_by_format(path: Path, zip_limits: ZipLimits, crs_override: str | None, max_columns: int) -> SourceFile:
    name = path.name
    if not path.is_file():
        raise _reject(name, "file.missing", f"{path} does not exist", "文件不存在")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _reject(name, "file.format", f"unsupported file type {path.suffix!r}; expected one of "
                      + ", ".join(sorted(FORMATS)), f"不支持的文件类型：{path.suffix}")
    if path.stat().st_size == 0:
        raise _reject(name, "file.empty", "the file is empty (0 bytes)", "文件为空（0 字节）")
    if fmt == "csv":
        return _open_csv(path, max_columns)
    if fmt == "xlsx":
        return _open_xlsx(path, zip_limits)
    if fmt == "geoparquet":
        return _open_parquet(path)
    if fmt == "shp_zip":
        return _open_shp_zip(path, zip_limits, crs_override)
    return _open_ogr(path, fmt, path)


# --- CSV ----------------------------------------------------------------------------------------------------------
# Characters a header line may have per allowed column: a longer first line is refused unread past that point.
_HEADER_CHARS_PER_COLUMN = 256


def _open_csv(path: Path, max_columns: int) -> SourceFile:
    encoding, checked = provisional_encoding(path)
    limit = max_columns * _HEADER_CHARS_PER_COLUMN
    try:
        header_line = _first_line(path, encoding, limit)
    except UnicodeDecodeError:  # a header line longer than the head that was checked
        encoding, checked = detect_encoding(path), True
        header_line = _first_line(path, encoding, limit)
    if len(header_line) >= limit and not header_line.endswith(("\n", "\r")):
        raise _too_many_columns(path.name, header_line.count(",") + 1, max_columns, limit)
    import csv

    header = next(csv.reader([header_line]), [])
    header = [h.strip() for h in header]
    if not any(header):
        raise _reject(path.name, "file.no_header", "the first line is empty; expected a header row",
                      "首行为空，缺少表头")
    source = SourceFile(path, path.name, "csv", header, encoding=encoding, encoding_checked=checked)
    if checked:
        source.notes.append(f"encoding detected: {encoding}")
    return source


def _first_line(path: Path, encoding: str, limit: int) -> str:
    with path.open("r", encoding=encoding, newline="") as handle:
        return handle.readline(limit)


def _csv_chunks(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    if source.encoding in ("utf-8", "utf-8-sig"):
        yield from _csv_chunks_duckdb(source, chunk_rows)
    else:
        yield from _csv_chunks_pandas(source, chunk_rows)


def _csv_chunks_duckdb(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """UTF-8 CSV through DuckDB's reader (several times faster than pandas'), streamed as Arrow batches.
    Short rows are padded with NULLs like pandas does, so a cut-off last row is quarantined, not the file."""
    import duckdb

    con = duckdb.connect()
    row = 0
    # the same reader options as staging (positional names: the file's own are put back on each chunk)
    sql, params = _read_csv_sql(source.path, [f"c{i}" for i in range(len(source.columns))])
    try:
        reader = con.execute(f"SELECT row_number() OVER () AS row_number, * FROM ({sql})",
                             params).to_arrow_reader(chunk_rows)
        for batch in reader:
            frame = batch.to_pandas()
            frame["row_number"] = frame["row_number"].astype("int64")
            frame.columns = ["row_number", *source.columns]
            row += len(frame)
            yield frame
    except duckdb.Error as exc:
        raise _malformed_csv(source.file_name, row, exc) from exc
    finally:
        con.close()
    if row == 0:
        raise _header_only(source.file_name)


class _WithoutEmptyLines:
    """A text stream of the CSV minus its empty lines outside quoted fields — what DuckDB's reader skips —, so both
    CSV paths number the same data rows the same way. (pandas' own skip_blank_lines also drops whitespace-only
    lines, which DuckDB keeps as a row; those stay here too.)"""

    def __init__(self, handle: Any) -> None:
        self._lines = iter(handle)
        self._in_quotes = False
        self._pending = ""

    def read(self, size: int = -1) -> str:
        parts = [self._pending]
        length = len(self._pending)
        while size < 0 or length < size:
            line = next(self._lines, None)
            if line is None:
                break
            if not self._in_quotes and line in ("\n", "\r\n", "\r"):
                continue
            if line.count('"') % 2:
                self._in_quotes = not self._in_quotes
            parts.append(line)
            length += len(line)
        text = "".join(parts)
        if size < 0:
            self._pending = ""
            return text
        self._pending = text[size:]
        return text[:size]

    def __iter__(self) -> Iterator[str]:  # pandas checks for it to accept the object as a file
        return iter(self.read().splitlines(keepends=True))


def _csv_chunks_pandas(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    row = 0
    handle = source.path.open("r", encoding=source.encoding, newline="")
    reader = pd.read_csv(
        _WithoutEmptyLines(handle), dtype=str, keep_default_na=False, na_values=[""],
        skip_blank_lines=False, chunksize=chunk_rows, on_bad_lines="error", engine="c",
    )
    try:
        for chunk in reader:
            chunk.columns = [str(c).strip() for c in chunk.columns]
            chunk.insert(0, "row_number", np.arange(row + 1, row + len(chunk) + 1, dtype=np.int64))
            row += len(chunk)
            yield chunk
    except pd.errors.ParserError as exc:
        raise _malformed_csv(source.file_name, row, exc) from exc
    finally:
        reader.close()
        handle.close()
    if row == 0:
        raise _header_only(source.file_name)


# DuckDB's CSV read buffer: 16 MiB reads a large survey file about a fifth faster than the default on two cores
# (fewer buffer boundaries for the threads to reconcile); 128 MiB is slower again.
CSV_BUFFER_BYTES = 16 << 20


def _read_csv_sql(path: Path, columns: list[str]) -> tuple[str, list[Any]]:
    """DuckDB's reader with the options both CSV paths share: short rows padded with NULLs (so a cut-off last row is
    quarantined, not the file), a row with extra fields refused, empty lines skipped, every value text."""
    return ("SELECT * FROM read_csv(?, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"',"
            f" null_padding = true, strict_mode = true, auto_detect = false, buffer_size = {int(CSV_BUFFER_BYTES)},"
            " columns = ?)",
            [str(path), {name: "VARCHAR" for name in columns}])


def _transcode_to_utf8(source: SourceFile, target: Path) -> None:
    """GBK/GB18030 → UTF-8, streamed in blocks (DuckDB reads UTF-8 only); the encoding was checked already."""
    import codecs

    decoder = codecs.getincrementaldecoder(source.encoding or "utf-8")(errors="strict")
    with source.path.open("rb") as handle, target.open("wb") as out:
        while block := handle.read(1 << 22):
            out.write(decoder.decode(block).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))


def stage_raw(source: SourceFile, con: Any, chunk_rows: int, progress: Any = None) -> int:
    """Put the delivered rows into the DuckDB temp table ``raw``: the source columns as text under positional names
    ``c0``, ``c1`` … (``source.columns`` gives the file's own names; duplicates and odd characters are no
    problem), plus ``__x``, ``__y``, ``__geom_type``, ``__wkt`` for spatial formats. A row's number is its
    ``rowid + 1`` (insertion order is file order). Returns the number of rows."""

    def copy(relation: str, params: list[Any]) -> int:
        if relation != "raw":
            con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM {relation}", params)
        return int(con.execute("SELECT count(*) FROM raw").fetchone()[0])

    return read_rows(source, con, chunk_rows, copy, progress)


def read_rows(source: SourceFile, con: Any, chunk_rows: int, create: Callable[[str, list[Any]], int],
              progress: Any = None) -> int:
    """Hand the delivered rows to ``create(relation, params)`` — one statement that makes the caller's table from
    the SQL relation ``relation`` (with its bound ``params``) and returns its row count — and return that count.
    The relation's columns are those of :func:`stage_raw`'s ``raw``, in file order (insertion order is kept, so
    the created table's ``rowid + 1`` is the row number).

    CSV (UTF-8, or GBK/GB18030 transcoded to a temporary UTF-8 file) is DuckDB's reader itself: the rows are
    stored once, by ``create``; the other formats are appended in chunks of ``chunk_rows`` to the temp table
    ``raw``, which is the relation."""
    import duckdb

    names = [f"c{i}" for i in range(len(source.columns))]
    # row numbers are rowid + 1: insertion order must be file order, whatever an earlier user of this
    # connection set (the evaluation and the cases import switch it off for their own statements)
    con.execute("SET preserve_insertion_order = true")
    if source.format == "csv":
        rows = None
        if not source.encoding_checked:
            # Only the head was found UTF-8: DuckDB's reader validates every byte, so a clean read settles it. A
            # refusal may be an encoding (a GBK row further down) or a broken row: the whole file decides.
            try:
                rows = _create_from_csv(con, source.path, names, create)
                source.encoding_checked = True
                source.notes.append(f"encoding detected: {source.encoding} (every byte checked by the CSV reader)")
            except duckdb.Error as exc:
                source.check_encoding()
                if source.encoding in ("utf-8", "utf-8-sig"):
                    raise _malformed_csv(source.file_name, None, exc) from exc
        if rows is None:
            rows = _stage_csv(source, con, names, create)
        if rows == 0:
            raise _header_only(source.file_name)
        if progress is not None:
            progress(rows)
        return rows
    geo = list(GEO_COLUMNS) if source.spatial else []
    definitions = [f"{n} VARCHAR" for n in names] + [
        f"{g} {'DOUBLE' if g in ('__x', '__y') else 'VARCHAR'}" for g in geo]
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw ({', '.join(definitions)})")
    rows = 0
    for chunk in source.chunks(chunk_rows):
        data = chunk.drop(columns=["row_number"])
        if len(data.columns) != len(names) + len(geo):
            raise RuntimeError(f"{source.file_name}: reader gave {len(data.columns)} columns, expected "
                               f"{len(names) + len(geo)}")
        data.columns = names + geo
        import pyarrow as pa

        con.register("raw_frame", pa.Table.from_pandas(data, preserve_index=False))
        con.execute("INSERT INTO raw SELECT * FROM raw_frame")
        con.unregister("raw_frame")
        rows += len(data)
        if progress is not None:
            progress(len(data))
    return create("raw", [])


def _stage_csv(source: SourceFile, con: Any, names: list[str], create: Callable[[str, list[Any]], int]) -> int:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="szcg-csv-") as scratch:
        path = source.path
        if source.encoding not in ("utf-8", "utf-8-sig"):
            path = Path(scratch) / "utf8.csv"
            _transcode_to_utf8(source, path)
        try:
            return _create_from_csv(con, path, names, create)
        except duckdb.Error as exc:
            raise _malformed_csv(source.file_name, None, exc) from exc


def _create_from_csv(con: Any, path: Path, names: list[str], create: Callable[[str, list[Any]], int]) -> int:
    """``create`` over DuckDB's reader of a UTF-8 CSV. The reader's own errors pass through (the caller decides
    between encoding and malformed file); an error of ``create``'s statement on a file the reader accepts is not
    the file's: it is raised as a RuntimeError, never reported as a broken file."""
    import duckdb

    sql, params = _read_csv_sql(path, names)
    try:
        return create(f"({sql})", params)
    except duckdb.Error as exc:
        try:  # the reader alone, every column stored (a count would not decode them all): does it refuse the file?
            con.execute(f"CREATE OR REPLACE TEMP TABLE szcg_reader_check AS {sql}", params)
        except duckdb.Error:
            raise exc from None
        finally:
            con.execute("DROP TABLE IF EXISTS szcg_reader_check")
        raise RuntimeError(f"staging the rows of {path.name} failed: {exc}") from exc


# --- XLSX ---------------------------------------------------------------------------------------------------------
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _first_sheet_xml(archive: zipfile.ZipFile) -> str:
    names = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    return names[0] if names else ""


def _open_xlsx(path: Path, limits: ZipLimits) -> SourceFile:
    import openpyxl

    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            # An XLSX is a zip: its members are checked like a zipped Shapefile's before any is read (a sheet of
            # a 1 MB file may inflate to gigabytes). Reading cannot exceed the declared sizes that pass here.
            check_members(archive, name, limits)
            sheet = _first_sheet_xml(archive)
            merges = []
            if sheet:
                with archive.open(sheet) as handle:
                    tail = b""
                    while block := handle.read(1 << 20):
                        merges += _MERGE.findall(tail + block)
                        tail = block[-200:]
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _reject(name, "xlsx.unreadable", f"not a readable XLSX workbook ({exc}); damaged or truncated?",
                      f"无法读取 XLSX 文件（可能已损坏或不完整）：{exc}") from exc
    header_merges = sorted({f"{a.decode()}{r1.decode()}:{b.decode()}{r2.decode()}"
                            for a, r1, b, r2 in merges if int(r1) <= 2})
    if header_merges:
        workbook.close()
        raise _reject(
            name, "xlsx.merged_header",
            f"the header has merged cells ({', '.join(header_merges)}): a multi-row header cannot be mapped to "
            "columns; keep one header row with one name per column",
            f"表头含合并单元格（{', '.join(header_merges)}），请改为单行表头、每列一个字段名",
        )
    # One sheet of data per file: empty sheets (Excel's Sheet2/Sheet3) are ignored; several sheets with data are
    # refused by name — the quarantine's row numbers could not say which sheet a row came from.
    filled = [ws.title for ws in workbook.worksheets if _sheet_has_data(ws)]
    if len(filled) > 1:
        workbook.close()
        names = ", ".join(f"“{t}”" for t in filled)
        raise _reject(name, "xlsx.several_sheets",
                      f"{len(filled)} sheets hold data ({names}); deliver one sheet per file (or merge them into one)",
                      f"工作簿中有 {len(filled)} 个工作表含数据（{names}）；请每个文件只交一个工作表，或合并为一个")
    ws = workbook[filled[0]] if filled else workbook.worksheets[0]
    rows = ws.iter_rows(min_row=1, max_row=2, values_only=True)
    header_row = next(rows, None)
    second = next(rows, None)
    sheet_title = ws.title
    workbook.close()
    if header_row is None or not any(v not in (None, "") for v in header_row):
        raise _reject(name, "file.no_header", "the first sheet's first row is empty; expected a header row",
                      "第一个工作表首行为空，缺少表头")
    header = [str(v).strip() if v is not None else "" for v in header_row]
    # A second header row: gaps in row 1 filled by text in row 2 and no data-like values in row 2.
    if second is not None and "" in header[: len([h for h in header if h]) + 1] and all(
        isinstance(v, str) for v in second if v is not None
    ) and any(h == "" and i < len(second) and second[i] for i, h in enumerate(header)):
        raise _reject(name, "xlsx.multirow_header",
                      "the header spans two rows (empty names in row 1, names in row 2); keep one header row",
                      "表头占两行（第 1 行有空列名，第 2 行补充列名），请改为单行表头")
    source = SourceFile(path, name, "xlsx", header)
    source.notes.append(f"__sheet={sheet_title}")
    return source


def _sheet_has_data(ws: Any) -> bool:
    return any(v not in (None, "") for row in ws.iter_rows(values_only=True) for v in row)


def _sheet_of(source: SourceFile, workbook: Any) -> Any:
    title = next((n.split("=", 1)[1] for n in source.notes if n.startswith("__sheet=")), None)
    return workbook[title] if title is not None else workbook.worksheets[0]


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    text = str(value).strip()
    return text or None


def _xlsx_chunks(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import openpyxl

    workbook = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    ws = _sheet_of(source, workbook)
    width = len(source.columns)
    columns = [c or f"column_{i + 1}" for i, c in enumerate(source.columns)]
    buffer: list[list[str | None]] = []
    row = 0
    try:
        for values in ws.iter_rows(min_row=2, values_only=True):
            cells = [_cell_text(v) for v in values[:width]]
            extra = [v for v in values[width:] if v not in (None, "")]
            if extra:
                raise _reject(source.file_name, "xlsx.extra_cells",
                              f"data row {row + 1} has values beyond the header's {width} columns",
                              f"第 {row + 1} 行有超出表头的数据")
            buffer.append(cells + [None] * (width - len(cells)))
            row += 1
            if len(buffer) >= chunk_rows:
                yield _frame(buffer, columns, row - len(buffer))
                buffer = []
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise _reject(source.file_name, "xlsx.unreadable", f"damaged after data row {row}: {exc}",
                      f"XLSX 文件在第 {row} 行之后损坏：{exc}") from exc
    finally:
        workbook.close()
    # Trailing empty rows that Excel leaves behind are not data.
    while buffer and all(v is None for v in buffer[-1]):
        buffer.pop()
        row -= 1
    if buffer:
        yield _frame(buffer, columns, row - len(buffer))
    if row == 0:
        raise _header_only(source.file_name)


def _frame(rows: list[list[str | None]], columns: list[str], first: int) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns, dtype="str")
    frame.insert(0, "row_number", np.arange(first + 1, first + len(rows) + 1, dtype=np.int64))
    return frame


# --- spatial formats ----------------------------------------------------------------------------------------------
def _open_ogr(path: Path, fmt: str, data_path: Path, workdir: Any = None, crs_override: str | None = None,
              encoding: str | None = None) -> SourceFile:
    import pyogrio

    name = path.name
    try:
        info = pyogrio.read_info(data_path, encoding=encoding)
    except Exception as exc:  # GDAL raises many types for damaged files
        raise _reject(name, f"{fmt}.unreadable", f"cannot read as {fmt} ({exc}); damaged or truncated?",
                      f"无法读取文件（可能已损坏或不完整）：{exc}") from exc
    crs = crs_override or (str(info["crs"]) if info.get("crs") else None)
    columns = [str(c) for c in info["fields"]]
    source = SourceFile(path, name, fmt, columns, encoding=encoding or info.get("encoding"), crs=crs,
                        _workdir=workdir, _data_path=data_path)
    source.notes.append(f"{info.get('features')} features, geometry {info.get('geometry_type')}, CRS {crs}")
    return source


def _open_shp_zip(path: Path, limits: ZipLimits, crs_override: str | None) -> SourceFile:
    name = path.name
    workdir = tempfile.TemporaryDirectory(prefix="szcg-shp-")
    try:
        files = safe_extract(path, Path(workdir.name), limits)
        shps = [f for f in files if f.suffix.lower() == ".shp"]
        if len(shps) != 1:
            raise _reject(name, "shp.layer_count", f"expected exactly one .shp in the zip, found {len(shps)}",
                          f"压缩包内应有且仅有一个 .shp 文件，实际 {len(shps)} 个")
        shp = shps[0]
        siblings = {f.suffix.lower(): f for f in files if f.stem == shp.stem}
        missing = [s for s in (".shx", ".dbf") if s not in siblings]
        if missing:
            raise _reject(name, "shp.incomplete", f"{shp.name} comes without {', '.join(missing)}",
                          f"Shapefile 缺少 {', '.join(missing)} 文件")
        if ".prj" not in siblings and crs_override is None:
            raise _reject(name, "shp.missing_prj",
                          f"{shp.name} has no .prj, so its coordinate system is unknown; add the .prj or declare "
                          "crs: in the mapping file",
                          "缺少 .prj 坐标系文件，无法确定坐标系；请补充 .prj 或在映射文件中声明 crs")
        encoding = None
        if ".cpg" in siblings:
            encoding = siblings[".cpg"].read_text(encoding="ascii", errors="replace").strip() or None
            if encoding and encoding.upper() in ("936", "CP936"):
                encoding = "gbk"
        else:
            dbf = siblings[".dbf"]
            with dbf.open("rb") as handle:
                head = handle.read(10)
            header_len = int.from_bytes(head[8:10], "little") if len(head) >= 10 else 0
            encoding = detect_encoding(dbf, check_nul=False, skip=header_len) if header_len else None
            if encoding == "utf-8-sig":
                encoding = "utf-8"
        source = _open_ogr(path, "shp_zip", shp, workdir, crs_override, encoding)
        source.notes.append(f"DBF encoding: {encoding} ({'from .cpg' if '.cpg' in siblings else 'detected'})")
        return source
    except BaseException:
        workdir.cleanup()
        raise


def _geo_columns(frame: pd.DataFrame, geometry: Any) -> pd.DataFrame:
    import shapely

    geoms = np.asarray(geometry, dtype=object)
    types = shapely.get_type_id(geoms)
    # A MultiPoint of one point is that point; one of several stays a MultiPoint (its WKT kept): the row is one
    # component with one identifier, so the census quarantines it (geometry.multipoint) rather than keep a point.
    single = (types == 4) & (shapely.get_num_geometries(geoms) == 1)
    if single.any():
        geoms = geoms.copy()
        geoms[single] = shapely.get_geometry(geoms[single], 0)
        types = shapely.get_type_id(geoms)
    is_point = types == 0
    empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    points = is_point & ~empty
    if points.any():
        x[points] = shapely.get_x(geoms[points])
        y[points] = shapely.get_y(geoms[points])
    others = ~is_point & ~empty
    wkt = np.full(len(geoms), None, dtype=object)
    if others.any():
        rep = shapely.point_on_surface(geoms[others])
        x[others] = shapely.get_x(rep)
        y[others] = shapely.get_y(rep)
        wkt[others] = shapely.to_wkt(geoms[others], rounding_precision=8)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                      "MultiPolygon", "GeometryCollection"], dtype=object)
    geom_type = np.where(empty, None, names[np.clip(types, 0, 7)])
    frame["__x"] = x
    frame["__y"] = y
    frame["__geom_type"] = pd.array(geom_type, dtype="str")
    frame["__wkt"] = pd.array(wkt, dtype="str")
    return frame


def _stringify(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column in GEO_COLUMNS or column == "row_number":
            continue
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            frame[column] = series.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif pd.api.types.is_float_dtype(series):
            frame[column] = series.map(lambda v: None if pd.isna(v) else (str(int(v)) if float(v).is_integer()
                                                                          else repr(float(v))))
        frame[column] = frame[column].astype("str").where(frame[column].notna(), None)
        frame[column] = frame[column].str.strip().replace("", None)
    return frame


def _ogr_chunks(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyogrio

    data_path = source._data_path or source.path
    done = 0
    while True:
        try:
            gdf = pyogrio.read_dataframe(data_path, skip_features=done, max_features=chunk_rows,
                                         encoding=source.encoding if source.format == "shp_zip" else None)
        except Exception as exc:
            raise _reject(source.file_name, f"{source.format}.unreadable", f"damaged after feature {done}: {exc}",
                          f"文件在第 {done} 条之后损坏：{exc}") from exc
        if len(gdf) == 0:
            break
        frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        frame = _stringify(frame)
        frame = _geo_columns(frame, gdf.geometry.values)
        frame.insert(0, "row_number", np.arange(done + 1, done + len(frame) + 1, dtype=np.int64))
        done += len(frame)
        yield frame
        if len(gdf) < chunk_rows:
            break
    if done == 0:
        raise _reject(source.file_name, "file.no_rows", "no features", "文件中没有要素")


def _open_parquet(path: Path) -> SourceFile:
    import json

    import pyarrow.parquet as pq

    name = path.name
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise _reject(name, "geoparquet.unreadable", f"not a readable Parquet file ({exc}); damaged or truncated?",
                      f"无法读取 Parquet 文件（可能已损坏或不完整）：{exc}") from exc
    meta = parquet.schema_arrow.metadata or {}
    geo = json.loads(meta.get(b"geo", b"{}") or b"{}")
    primary = geo.get("primary_column")
    if not primary:
        raise _reject(name, "geoparquet.no_geometry", "Parquet file without GeoParquet 'geo' metadata",
                      "Parquet 文件缺少 GeoParquet 几何元数据")
    crs_json = geo.get("columns", {}).get(primary, {}).get("crs")
    crs = None
    if crs_json is not None:
        from pyproj import CRS

        crs = CRS.from_json_dict(crs_json).to_string()
    else:
        crs = "OGC:CRS84"  # GeoParquet default when crs is absent
    columns = [c for c in parquet.schema_arrow.names if c != primary]
    source = SourceFile(path, name, "geoparquet", columns, crs=crs)
    source.notes.append(f"geometry column {primary!r}")
    source._data_path = path
    source.notes.append(f"__primary={primary}")
    return source


def _parquet_chunks(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq
    import shapely

    primary = next(n.split("=", 1)[1] for n in source.notes if n.startswith("__primary="))
    done = 0
    for batch in pq.ParquetFile(source.path).iter_batches(batch_size=chunk_rows):
        table = batch.to_pandas()
        geometry = shapely.from_wkb(table.pop(primary).to_numpy())
        frame = _stringify(table)
        frame = _geo_columns(frame, geometry)
        frame.insert(0, "row_number", np.arange(done + 1, done + len(frame) + 1, dtype=np.int64))
        done += len(frame)
        yield frame
    if done == 0:
        raise _reject(source.file_name, "file.no_rows", "no rows", "文件中没有数据行")
