"""Bad deliveries: each gets a clear message naming the file (and row/field where there is one); nothing is lost —
the original is landed and every row is either loaded or in the quarantine."""

from __future__ import annotations

import io
import os
import resource
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from cityfiles import HEADER, cell_centre, census_rows, points_frame, write_csv

from census_loaders.config import ZipLimits
from census_loaders.encoding import detect_encoding
from census_loaders.readers import open_source
from standards.gcj02 import wgs84_to_gcj02
from szcg.errors import InputRejected


def _rejected(result, rule: str) -> None:
    assert result.rejected_message, "expected the whole file to be refused"
    assert result.rows_in == result.rows_quarantined == 1 and result.rows_loaded == 0
    assert [p.rule for p in result.problems] == [rule]


def _lines(rows: list[dict[str, str]]) -> str:
    return ",".join(HEADER) + "\n" + "".join(",".join(r[h] for h in HEADER) + "\n" for r in rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_encoding_is_detected_and_reported(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "b.csv", census_rows(3), encoding)
    assert detect_encoding(path) == encoding


def test_undecodable_file_is_refused_naming_every_encoding_tried(census) -> None:
    path = census.tmp / "乱码.csv"
    path.write_bytes(_lines(census_rows(2)).encode("gbk") + b"\xff\xfe\xff,broken\n")
    result = census.ingest(path)
    _rejected(result, "encoding.undecodable")
    assert all(enc in result.rejected_message for enc in ("utf-8", "gbk", "gb18030"))
    landed = census.query("SELECT original_name FROM landing.landed_file WHERE batch_id = ?", [result.batch_id])
    assert landed == [("乱码.csv",)]  # kept byte for byte for the survey team to fix


def test_utf8_file_cut_inside_a_character_is_reported_as_truncated(tmp_path: Path) -> None:
    data = _lines(census_rows(2)).encode("utf-8")
    cut = data.rindex("供".encode()) + 2
    path = tmp_path / "cut.csv"
    path.write_bytes(data[:cut])
    with pytest.raises(InputRejected, match="truncated"):
        detect_encoding(path)


# Past the first megabyte a CSV that began as UTF-8 is checked by DuckDB's reader while it stages the file; the
# tests shrink that head to the header line so small files take the same path.
@pytest.fixture
def header_only_head(monkeypatch: pytest.MonkeyPatch) -> None:
    import census_loaders.encoding

    monkeypatch.setattr(census_loaders.encoding, "HEAD_BYTES", len(",".join(HEADER)) + 1)


def test_a_file_whose_head_is_ascii_and_its_rows_gbk_is_read_as_gbk(census, header_only_head) -> None:
    path = census.tmp / "gbk_below_the_head.csv"
    write_csv(path, census_rows(3), "gbk")
    result = census.ingest(path)
    assert result.encoding == "gbk" and (result.rows_loaded, result.rows_quarantined) == (3, 0)
    assert census.query("SELECT DISTINCT name FROM core.component") == [("供水井盖",)]


def test_a_utf8_file_checked_by_the_reader_says_so(census, header_only_head) -> None:
    result = census.ingest(write_csv(census.tmp / "utf8.csv", census_rows(3)))
    assert result.encoding == "utf-8" and result.rows_loaded == 3
    assert "encoding detected: utf-8 (every byte checked by the CSV reader)" in result.notes


def test_bytes_no_encoding_decodes_below_the_head_refuse_the_file(census, header_only_head) -> None:
    path = census.tmp / "乱码.csv"
    path.write_bytes(_lines(census_rows(2)).encode("utf-8") + b"\xff\xfe\xff,broken\n")
    result = census.ingest(path)
    _rejected(result, "encoding.undecodable")
    assert all(enc in result.rejected_message for enc in ("utf-8", "gbk", "gb18030"))


def test_a_utf8_file_cut_inside_a_character_below_the_head_is_refused_as_truncated(census, header_only_head) -> None:
    data = _lines(census_rows(2)).encode("utf-8")
    path = census.tmp / "cut.csv"
    path.write_bytes(data[:data.rindex("供".encode()) + 2])
    result = census.ingest(path)
    _rejected(result, "encoding.undecodable")
    assert "truncated" in result.rejected_message


def test_a_broken_utf8_row_below_the_head_is_a_malformed_csv_not_an_encoding(census, header_only_head) -> None:
    path = census.tmp / "extra_field.csv"
    path.write_text(_lines(census_rows(3)) + ",".join(census_rows(1)[0].values()) + ",extra\n", encoding="utf-8")
    result = census.ingest(path)
    _rejected(result, "csv.malformed")
    assert result.encoding == "utf-8"


def test_file_cut_mid_row_quarantines_the_partial_row_only(census) -> None:
    text = _lines(census_rows(5))
    path = census.tmp / "cut.csv"
    path.write_text(text[: text.rindex(",20260801,")], encoding="utf-8")  # last row loses its date and position
    result = census.ingest(path)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (5, 4, 1)
    assert {p.rule for p in result.problems} >= {"initial_date.required", "coordinates.missing"}
    assert {p.row_number for p in result.problems} == {5}


def test_truncated_xlsx_and_gpkg_are_refused_clearly(census) -> None:
    points = points_frame(census_rows(5))
    gpkg = census.tmp / "whole.gpkg"
    points.to_file(gpkg, driver="GPKG")
    xlsx = census.tmp / "whole.xlsx"
    points.drop(columns="geometry").to_excel(xlsx, index=False)
    for whole, rule in ((gpkg, "gpkg.unreadable"), (xlsx, "xlsx.unreadable")):
        cut = census.tmp / f"cut{whole.suffix}"
        cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        _rejected(census.ingest(cut), rule)


def test_empty_file_is_refused(census) -> None:
    (census.tmp / "empty.csv").write_bytes(b"")
    _rejected(census.ingest(census.tmp / "empty.csv"), "file.empty")


def test_xlsx_with_merged_header_rows_is_refused(census) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["部件信息", None, None, "位置", None])
    ws.append(["OBJCODE", "OBJNAME", "OBJSTATE", "X", "Y"])
    ws.merge_cells("A1:C1")
    ws.merge_cells("D1:E1")
    path = census.tmp / "merged.xlsx"
    wb.save(path)
    result = census.ingest(path)
    _rejected(result, "xlsx.merged_header")
    assert "A1:C1" in result.rejected_message


def test_xlsx_batch_loads(census) -> None:
    import pandas as pd

    path = census.tmp / "batch.xlsx"
    pd.DataFrame(census_rows(6)).to_excel(path, index=False)
    result = census.ingest(path)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (6, 6, 0)


def test_xlsx_with_several_filled_sheets_is_refused_naming_them_and_empty_sheets_are_ignored(census) -> None:
    import pandas as pd

    several = census.tmp / "several.xlsx"
    with pd.ExcelWriter(several) as writer:
        pd.DataFrame(census_rows(3)).to_excel(writer, sheet_name="城区", index=False)
        pd.DataFrame(census_rows(2, start_serial=10)).to_excel(writer, sheet_name="郊区", index=False)
    result = census.ingest(several)
    _rejected(result, "xlsx.several_sheets")
    assert "“城区”, “郊区”" in result.rejected_message and "城区" in result.problems[0].message
    # Data on the second sheet only, behind an empty first sheet left by the template: that sheet is read.
    second = census.tmp / "second.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    sheet = workbook.create_sheet("部件")
    sheet.append(HEADER)
    for row in census_rows(4, start_serial=20):
        sheet.append([row[h] for h in HEADER])
    workbook.save(second)
    result = census.ingest(second)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (4, 4, 0)


def _shp_zip(tmp: Path, rows: list[dict[str, str]], keep: tuple[str, ...]) -> Path:
    folder = tmp / "shp"
    folder.mkdir(exist_ok=True)
    points_frame(rows).to_file(folder / "bj.shp", encoding="utf-8")
    path = tmp / "bj.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part in folder.iterdir():
            if part.suffix in keep:
                z.write(part, part.name)
    return path


def test_zipped_shapefile_loads_and_without_prj_is_refused(census) -> None:
    good = _shp_zip(census.tmp, census_rows(4), (".shp", ".shx", ".dbf", ".prj", ".cpg"))
    result = census.ingest(good)
    assert (result.rows_in, result.rows_loaded) == (4, 4)
    no_prj = _shp_zip(census.tmp, census_rows(3, start_serial=50), (".shp", ".shx", ".dbf", ".cpg"))
    result = census.ingest(no_prj)
    _rejected(result, "shp.missing_prj")
    assert ".prj" in result.rejected_message


def test_zip_with_parent_paths_or_absolute_paths_is_refused(census) -> None:
    for name in ("../../etc/evil.shp", "/tmp/evil.shp"):
        path = census.tmp / "evil.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(name, b"x")
        _rejected(census.ingest(path), "zip.unsafe_path")
        assert not Path("/tmp/evil.shp").exists()


def test_zip_bomb_is_refused_before_extraction(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bj.dbf", b"\0" * (20 << 20))
    with pytest.raises(InputRejected, match="zip bomb") as caught:
        open_source(path, ZipLimits(max_members=10, max_total_uncompressed_bytes=1 << 30, max_ratio=100))
    assert caught.value.problems[0].rule == "zip.bomb"
    with pytest.raises(InputRejected, match="zip bomb"):
        open_source(path, ZipLimits(max_members=10, max_total_uncompressed_bytes=1 << 20, max_ratio=10_000))


def test_mixed_crs_rows_are_quarantined(census) -> None:
    from pyproj import Transformer

    rows = census_rows(6)
    to_gk = Transformer.from_crs(4490, 4546, always_xy=True)
    x, y = to_gk.transform(float(rows[2]["X"]), float(rows[2]["Y"]))
    rows[2]["X"], rows[2]["Y"] = f"{x:.3f}", f"{y:.3f}"  # one row in Gauss–Krüger metres
    result = census.ingest(write_csv(census.tmp / "mixed.csv", rows))
    assert [(p.row_number, p.rule) for p in result.problems] == [(3, "coordinates.mixed_crs")]
    assert result.rows_loaded == 5


def test_projected_gauss_kruger_batch_is_converted(census) -> None:
    from pyproj import Transformer

    rows = census_rows(6)
    to_gk = Transformer.from_crs(4490, 4546, always_xy=True)
    for r in rows:
        x, y = to_gk.transform(float(r["X"]), float(r["Y"]))
        r["X"], r["Y"] = f"{x:.3f}", f"{y:.3f}"
    result = census.ingest(write_csv(census.tmp / "gk.csv", rows))
    assert (result.rows_loaded, result.rows_quarantined) == (6, 0) and "4546" in result.crs


def test_gcj02_batch_is_rejected_with_reason_or_converted_on_request(census) -> None:
    rows = census_rows(12)
    for r in rows:
        gx, gy = wgs84_to_gcj02(np.array([float(r["X"])]), np.array([float(r["Y"])]))
        r["X"], r["Y"] = f"{gx[0]:.7f}", f"{gy[0]:.7f}"
    path = write_csv(census.tmp / "webmap.csv", rows)
    result = census.ingest(path)
    assert result.rows_loaded == 0 and result.rows_quarantined == 12
    assert {p.rule for p in result.problems} == {"crs.gcj02_suspected"} and "GCJ-02" in result.problems[0].message
    converted = census.ingest(path, convert_gcj02=True)  # the same file, now with the conversion asked for
    assert (converted.rows_loaded, converted.rows_quarantined) == (12, 0) and not converted.already_loaded
    assert census.query("SELECT rows_loaded, rows_quarantined FROM landing.load WHERE batch_id = ?",
                        [result.batch_id]) == [(12, 0)]
    assert census.query("SELECT count(*) FROM quarantine.rejected_row WHERE batch_id = ?", [result.batch_id]) == [(0,)]


def test_points_outside_the_district_and_city_are_quarantined(census) -> None:
    rows = census_rows(5)
    rows[1]["X"], rows[1]["Y"] = "112.19166", "39.66405"  # 平鲁区
    rows[2]["X"], rows[2]["Y"] = "116.39", "39.91"  # 北京
    rows[3]["X"], rows[3]["Y"] = str(cell_centre(0, 0)[0] + 0.05), rows[3]["Y"]  # 朔城区, but no grid there
    rows[3]["BGCODE"] = ""
    result = census.ingest(write_csv(census.tmp / "far.csv", rows))
    got = {(p.row_number, p.rule) for p in result.problems}
    assert got == {(2, "location.outside_district"), (3, "location.outside_city"), (4, "grid.not_found")}
    assert "140603" in next(p.message for p in result.problems if p.row_number == 2)


def test_same_id_reused_by_another_batch_far_away_is_quarantined(census) -> None:
    first = census_rows(3)
    census.ingest(write_csv(census.tmp / "one.csv", first))
    second = census_rows(3, start_serial=100)
    second[0]["OBJCODE"] = first[0]["OBJCODE"]
    second[0]["X"] = str(float(second[0]["X"]) + 0.004)  # ~340 m away
    result = census.ingest(write_csv(census.tmp / "two.csv", second))
    assert (1, "component_id.duplicate_across_batches") in [(p.row_number, p.rule) for p in result.problems]
    assert result.rows_loaded == 2


def test_two_components_of_one_subclass_at_one_spot_are_duplicates(census) -> None:
    rows = census_rows(4)
    rows[3]["X"], rows[3]["Y"], rows[3]["BGCODE"] = rows[0]["X"], rows[0]["Y"], rows[0]["BGCODE"]
    result = census.ingest(write_csv(census.tmp / "dup.csv", rows))
    assert [(p.row_number, p.rule) for p in result.problems] == [(4, "position.duplicate")]


def test_big_file_is_read_in_bounded_chunks(tmp_path: Path) -> None:
    rows = census_rows(1)[0]
    line = ",".join(rows[h] for h in HEADER) + "\n"
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADER) + "\n")
        handle.write(line * 200_000)  # ~25 MB
    source = open_source(path)
    sizes = [len(chunk) for chunk in source.chunks(25_000)]
    assert sizes == [25_000] * 8


def test_two_gigabyte_file_is_not_loaded_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(_lines(census_rows(3)).encode("utf-8"))
        handle.truncate(2 << 30)  # sparse: 2 GiB, the tail is NUL padding as left by a failed copy
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputRejected, match="NUL"):
        open_source(path)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 64 and os.path.getsize(path) == 2 << 30


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "batch.dwg"
    path.write_bytes(io.BytesIO(b"AC1027").getvalue())
    with pytest.raises(InputRejected, match="unsupported file type"):
        open_source(path)


def test_geojson_and_geoparquet_batches_load_and_lines_only_where_the_subclass_allows(census) -> None:
    import geopandas as gpd
    from shapely.geometry import LineString

    points = points_frame(census_rows(4))
    points.to_file(census.tmp / "b.geojson", driver="GeoJSON")
    assert census.ingest(census.tmp / "b.geojson").rows_loaded == 4
    points_frame(census_rows(4, start_serial=40)).to_parquet(census.tmp / "b.parquet")
    assert census.ingest(census.tmp / "b.parquet").rows_loaded == 4

    lines = census_rows(2, start_serial=70, subclass="02017")  # 交通护栏: may be surveyed as a line
    lines += census_rows(1, start_serial=80)  # 供水井盖: a point only
    frame = points_frame(lines)
    frame["geometry"] = [LineString([(p.x - 0.0001, p.y), (p.x + 0.0001, p.y)]) for p in frame.geometry]
    gpd.GeoDataFrame(frame, crs="EPSG:4490").to_file(census.tmp / "lines.gpkg", driver="GPKG")
    result = census.ingest(census.tmp / "lines.gpkg")
    assert [(p.row_number, p.rule) for p in result.problems] == [(3, "geometry.type_not_allowed")]
    stored = census.query("SELECT count(*) FROM core.component WHERE geometry_wkt LIKE 'LINESTRING%'")
    assert stored == [(2,)]


def test_blank_lines_are_not_rows_and_both_csv_readers_number_rows_alike(census) -> None:
    """UTF-8 goes through DuckDB's reader, GBK through pandas: an empty line is skipped by both (it is not a
    row), so the row numbers in the quarantine are the same whichever encoding the survey team saved in."""
    rows = census_rows(5)
    rows[3]["OBJSTATE"] = "坏了"  # data row 4, delivered after two empty lines
    lines = _lines(rows).split("\n")
    text = "\n".join([*lines[:3], "", "", *lines[3:]]) + "\n\n"
    found = {}
    for encoding in ("utf-8", "gbk"):
        path = census.tmp / f"blank_{encoding}.csv"
        path.write_bytes(text.replace("\n", "\r\n" if encoding == "gbk" else "\n").encode(encoding))
        result = census.ingest(path)
        assert result.encoding == encoding
        found[encoding] = (result.rows_in, result.rows_loaded, [(p.row_number, p.rule) for p in result.problems])
    assert found["utf-8"] == found["gbk"] == (5, 4, [(4, "state.vocabulary")])


def test_a_refused_sparse_file_does_not_stay_whole_in_landing(census) -> None:
    path = census.tmp / "huge.csv"
    with path.open("wb") as handle:
        handle.write(_lines(census_rows(3)).encode("utf-8"))
        handle.truncate(256 << 20)  # sparse: the tail is NUL padding as left by a failed copy
    result = census.ingest(path)
    _rejected(result, "encoding.binary")
    (kept,) = [p for p in (census.settings.landing_dir / "census").rglob("huge.csv")]
    assert kept.stat().st_size <= 1 << 20 and kept.stat().st_blocks * 512 <= 2 << 20
    assert census.query("SELECT size_bytes FROM landing.landed_file WHERE batch_id = ?", [result.batch_id]) == [
        (256 << 20,)]


@pytest.mark.parametrize("command", [["census", "ingest", "--district", "140602"], ["grids", "load"]])
def test_a_missing_path_or_a_directory_gets_a_clear_error(settings, tmp_path: Path, capsys, command) -> None:
    from szcg.cli import main

    for path, words in [(tmp_path / "nope.csv", "does not exist"), (tmp_path, "is a directory")]:
        assert main([*command[:2], str(path), *command[2:]]) == 1
        err = capsys.readouterr().err
        assert words in err and str(path) in err and "Traceback" not in err


def test_a_csv_with_a_hundred_thousand_columns_is_refused_fast(census) -> None:
    import time

    path = census.tmp / "wide.csv"
    path.write_text(",".join(f"C{i}" for i in range(100_000)) + "\n" + ",".join("1" * 100_000) + "\n",
                    encoding="utf-8")
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = census.ingest(path)
    assert time.perf_counter() - started < 10
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 200
    _rejected(result, "file.too_many_columns")
    assert "1000" in result.rejected_message


def test_the_column_limit_is_the_census_rules_own(census) -> None:
    import dataclasses

    path = write_csv(census.tmp / "b.csv", census_rows(2))  # 15 columns
    census.config = dataclasses.replace(census.config, max_columns=10)
    _rejected(census.ingest(path), "file.too_many_columns")
    with pytest.raises(InputRejected, match="15 columns, more than the 10"):
        open_source(path, max_columns=10)


def test_an_xlsx_whose_sheet_inflates_far_beyond_the_file_is_refused_before_reading(census) -> None:
    import time

    plain = census.tmp / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.save(plain)
    bomb = census.tmp / "bomb.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":  # 64 MiB of empty rows, a few hundred KB zipped
                data = data.replace(b"</sheetData>", b"<row/>" * ((64 << 20) // 6) + b"</sheetData>")
            out.writestr(item, data, zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 1 << 20
    started = time.perf_counter()
    result = census.ingest(bomb)
    assert time.perf_counter() - started < 10
    _rejected(result, "zip.bomb")
    assert "sheet1.xml" in result.rejected_message


def test_a_multipoint_is_quarantined_not_loaded_as_one_of_its_points(census) -> None:
    import geopandas as gpd
    from shapely.geometry import MultiPoint

    rows = census_rows(3)
    frame = points_frame(rows)
    p0, p1 = frame.geometry.iloc[0], frame.geometry.iloc[1]
    frame["geometry"] = [MultiPoint([p0, p1, (p0.x + 1e-4, p0.y)]), MultiPoint([p1]), frame.geometry.iloc[2]]
    gpd.GeoDataFrame(frame, crs="EPSG:4490").to_file(census.tmp / "multi.geojson", driver="GeoJSON")
    result = census.ingest(census.tmp / "multi.geojson")
    assert [(p.row_number, p.rule) for p in result.problems] == [(1, "geometry.multipoint")]
    assert "3" in result.problems[0].message
    assert result.rows_loaded == 2  # a MultiPoint of one point is that point
    assert census.query("SELECT round(lon, 7), round(lat, 7) FROM core.component WHERE component_id = ?",
                        [rows[1]["OBJCODE"]]) == [(round(p1.x, 7), round(p1.y, 7))]
    (raw,) = census.query("SELECT raw_record->>'__wkt' FROM quarantine.rejected_row WHERE batch_id = ?",
                          [result.batch_id])[0]
    assert raw.startswith("MULTIPOINT") and raw.count(",") == 2, "every point of it kept in the quarantine"


def test_output_paths_of_the_wrong_kind_get_a_clear_error(settings, tmp_path: Path, capsys) -> None:
    from szcg.cli import main

    batch = write_csv(tmp_path / "b.csv", census_rows(1))
    assert main(["census", "ingest", str(batch), "--district", "140602", "--report-dir", str(batch)]) == 1
    assert "--report-dir" in capsys.readouterr().err
    assert main(["census", "inventory", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "--out" in err and "is a directory" in err and "Traceback" not in err
