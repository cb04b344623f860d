"""Byte-reproducible writers: the same data gives the same bytes on every run and every day.

XLSX and zip members get a fixed timestamp, GeoPackages a fixed ``last_change`` (GDAL's OGR_CURRENT_DATE),
shapefile .dbf headers a fixed "last update" date.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_OGR_DATE = "2026-01-01T00:00:00Z"


def write_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8", bom: bool = False) -> None:
    """CSV with CRLF-free ``\\n`` line ends; ``encoding`` 'gbk' for the batches older tools produce."""
    text = df.to_csv(index=False, lineterminator="\n")
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def normalise_zip(path: Path) -> None:
    """Rewrite a zip with sorted-as-written members, fixed timestamps and fixed permissions."""
    with zipfile.ZipFile(path) as src:
        members = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    # openpyxl stamps "modified" with the clock on save, whatever the workbook properties say
    members = [(name, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data))
               if name == "docProps/core.xml" else (name, data) for name, data in members]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())


_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        "{sheets}</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
}


def _xml_text(s: pd.Series) -> pd.Series:
    return (s.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False)
            .str.replace(">", "&gt;", regex=False))


def _column_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _sheet_xml(df: pd.DataFrame) -> bytes:
    """Worksheet XML built column-wise (numbers as numbers, text as inline strings, missing as no cell)."""
    n = len(df)
    rownum = pd.Series(np.arange(2, n + 2)).astype(str)
    cells = []
    for j, col in enumerate(df.columns):
        ref = _column_letter(j) + rownum
        values = df[col].reset_index(drop=True)
        missing = values.isna() | (values.astype(object) == "")
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            text = values.astype(str)
            cell = '<c r="' + ref + '"><v>' + text + "</v></c>"
        else:
            text = _xml_text(values.astype(object).where(~missing, "").astype(str))
            cell = '<c r="' + ref + '" t="inlineStr"><is><t>' + text + "</t></is></c>"
        cells.append(cell.where(~missing, ""))
    titles = _xml_text(pd.Series([str(c) for c in df.columns], dtype=object))
    header = "".join(f'<c r="{_column_letter(j)}1" t="inlineStr"><is><t>{t}</t></is></c>' for j, t in enumerate(titles))
    body = pd.Series([""] * n, dtype=object)
    for c in cells:
        body = body + c
    rows = '<row r="' + rownum + '">' + body + "</row>"
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           f'<row r="1">{header}</row>' + "".join(rows.tolist()) + "</sheetData></worksheet>")
    return xml.encode("utf-8")


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """A minimal, reproducible XLSX (one sheet per entry, no styles): written directly because openpyxl needs
    minutes for the million-row batches of a benchmark run."""
    names = list(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(names) + 1))
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                + "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
                + "</sheets></workbook>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" '
                      'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
            + "</Relationships>")
    members = [("[Content_Types].xml", _XLSX_STATIC["[Content_Types].xml"].format(sheets=overrides).encode()),
               ("_rels/.rels", _XLSX_STATIC["_rels/.rels"].encode()),
               ("xl/workbook.xml", workbook.encode("utf-8")),
               ("xl/_rels/workbook.xml.rels", rels.encode())]
    members += [(f"xl/worksheets/sheet{i}.xml", _sheet_xml(df)) for i, df in enumerate(sheets.values(), 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


@contextlib.contextmanager
def _fixed_ogr_date() -> Iterator[None]:
    """GDAL stamps GeoPackages with the current time unless OGR_CURRENT_DATE is set; set it only while we write."""
    import pyogrio

    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_OGR_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def write_gpkg(layers: dict[str, Any], path: Path) -> None:
    """GeoDataFrames into one GeoPackage (layers in the given order), reproducibly."""
    import pyogrio

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    with _fixed_ogr_date():
        for name, gdf in layers.items():
            pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", append=path.exists())


def write_shapefile_zip(gdf: Any, path: Path, encoding: str = "UTF-8") -> None:
    """A zipped shapefile (.shp .shx .dbf .prj .cpg) named like the zip."""
    import tempfile

    import pyogrio

    stem = path.name.removesuffix(".zip").removesuffix(".shp")
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{stem}.shp"
        with _fixed_ogr_date():
            pyogrio.write_dataframe(gdf, shp, driver="ESRI Shapefile", encoding=encoding)
        dbf = shp.with_suffix(".dbf")
        raw = bytearray(dbf.read_bytes())
        raw[1:4] = bytes([126, 1, 1])  # dBASE "last update" YYMMDD → 2026-01-01
        dbf.write_bytes(bytes(raw))
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                member = shp.with_suffix(ext)
                if member.exists():
                    info = zipfile.ZipInfo(member.name, date_time=FIXED_ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, member.read_bytes())
