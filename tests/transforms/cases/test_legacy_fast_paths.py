"""The legacy import's shortcuts for the values nearly every row of a large export holds — times written exactly in
the first format's layout, coordinates written as plain decimals — give what the general path gives (issue 20
item 7), on values chosen to hit the edges of both, and the general path still refuses a failing rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from szcg.errors import InputRejected
from tests.transforms.cases.conftest import MAPPINGS
from transforms.cases import legacy_import
from transforms.cases.legacy_import import (
    _coordinate_numbers,
    _coordinate_text,
    _coordinates,
    _parse_times,
    _read_in_first_layout,
    parse_times,
    refuse_failing_rule,
)
from transforms.cases.mapping import LegacyMapping, Placeholder, load_mapping

BAD_TIMES = ["2026-02-30 10:00:00", "2023-02-29 10:00:00", "2026-13-01 10:00:00", "2026-00-10 10:00:00",
             "2026-01-00 10:00:00", "2026-04-31 23:00:00", "2026-01-10 24:00:00", "2026-01-10 23:60:00",
             "2026-01-10 23:59:60", "1677-09-22 00:00:00", "2262-04-12 00:00:00", "2026-03-05 09:07:0a",
             "2026-3-5 09:07:00", "2026-03-05  09:07:00", "２０２６-03-05 09:07:00", "2026-03-05\t09:07:00", "昨天下午",
             "x", "nan", "2026-03-05 09:07:00.5"]
OTHER_TIMES = ["", " ", "\u3000", " 2026-03-05 09:07:00", "2026-03-05 09:07:00 ", "2026/03/05 09:07:00",
               "2026-03-05 09:07", "2026/03/05 09:07", "2026-03-05T09:07:00+08:00", "2026-03-05 09:07:00Z",
               "2026-03-05T01:07:00Z", "2026-03-05 09:07:00-05:00", "2026-03-05 09:07:00+0530",
               "2024-02-29 23:59:59", "2000-02-29 00:00:00", "1900-02-28 00:00:00", "2100-03-01 00:00:00",
               "1678-01-01 00:00:00", "2261-12-31 23:59:59", "2026-03-08 02:30:00", "2026-11-01 01:30:00"]


def _mapping(**changes: object) -> LegacyMapping:
    return load_mapping(MAPPINGS / "cn_anjuan.yaml").model_copy(update=changes)


def _times(seed: int, n: int = 3000) -> list[str]:
    rng = np.random.default_rng(seed)
    stamps = pd.to_datetime(rng.integers(pd.Timestamp("1679-01-01").value // 10**9,
                                         pd.Timestamp("2261-01-01").value // 10**9, n), unit="s")
    return [t.strftime("%Y-%m-%d %H:%M:%S") for t in stamps]


@pytest.mark.parametrize("changes", [
    {},
    {"offsets": "ignore"},
    {"timezone": "America/New_York"},
    {"timezone": "America/Los_Angeles", "offsets": "ignore"},
    {"timestamp_formats": ["%Y-%m-%d-%H%M", "%Y-%m-%d %H:%M:%S"]},  # its values end like an offset: no shortcut
    {"timestamp_formats": ["%Y-%m-%d-%H%M", "%Y-%m-%d %H:%M:%S"], "offsets": "ignore"},
    {"timestamp_formats": ["%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S"]},  # no fixed layout: no shortcut
    {"timestamp_formats": ["%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S"]},
])
def test_times_read_by_the_shortcut_are_what_the_general_path_reads(changes: dict[str, object]) -> None:
    mapping = _mapping(**changes)
    extra = ["2026-03-05-0907", "2026-03-05-2359", "03/05/2026 09:07:00 PM", "2026/03/05 09:07"]
    values = pd.Series([*BAD_TIMES, *OTHER_TIMES, *extra, *_times(1)], dtype="str",
                       index=range(7, 7 + len(BAD_TIMES) + len(OTHER_TIMES) + len(extra) + 3000))
    values = values.sample(frac=1, random_state=2)
    got, got_bad = parse_times(values, mapping)
    want, want_bad = _parse_times(values, mapping)
    pd.testing.assert_series_equal(got, want)
    pd.testing.assert_series_equal(got_bad, want_bad, check_names=False)
    assert got_bad[values.isin(BAD_TIMES)].sum() >= 10  # (pandas reads some odd ones, e.g. one-digit fields)
    fast = _read_in_first_layout(values, mapping)
    if mapping.timestamp_formats[0] in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        assert fast is not None and fast[0].sum() >= (3000 if "-" in mapping.timestamp_formats[0] else 1)
    else:
        assert fast is None


def test_times_of_other_dtypes_and_missing_values_take_the_general_path() -> None:
    mapping = _mapping()
    values = pd.Series(["2026-03-05 09:07:00", None, "", "2026-02-30 10:00:00", "2026-03-05 09:07:00"],
                       dtype="str")
    got, got_bad = parse_times(values, mapping)
    want, want_bad = _parse_times(values, mapping)
    pd.testing.assert_series_equal(got, want)
    pd.testing.assert_series_equal(got_bad, want_bad, check_names=False)
    as_objects = values.astype(object)
    assert _read_in_first_layout(as_objects, mapping) is None
    pd.testing.assert_series_equal(parse_times(as_objects, mapping)[0], _parse_times(as_objects, mapping)[0])


def test_a_rule_failing_on_most_values_refuses_the_batch_naming_column_formats_and_samples() -> None:
    mapping = _mapping()
    values = pd.Series(["2026.03.05"] * 95 + _times(3, 5) + [""] * 10, dtype="str")
    _, bad = parse_times(values, mapping)
    with pytest.raises(InputRejected) as refused:
        refuse_failing_rule(values, bad, "上报时间", mapping, "export.csv")
    message = str(refused.value)
    assert "export.csv: column '上报时间': 95 of 100 values do not parse" in message
    assert "%Y-%m-%d %H:%M:%S" in message and "samples: ['2026.03.05']" in message
    fine = pd.Series(["2026.03.05"] * 5 + _times(4, 95), dtype="str")
    refuse_failing_rule(fine, parse_times(fine, mapping)[1], "上报时间", mapping, "export.csv")  # not refused
    clean = pd.Series(_times(5, 100), dtype="str")
    refuse_failing_rule(clean, parse_times(clean, mapping)[1], "上报时间", mapping, "export.csv")


PAIRS = ["112.419995,39.330650", "0,0", "0.0,0.0", "-0.0,0.0", "0.000000,39.3", "-0.0,-0.0", "", " ", "abc,def",
         "200.0,95.0", "180.0,90.0", "-180.0,-90.0", "180.00000001,90", "-180.0000001,0", "179.9999999,-89.99999999",
         "1,2,3", "112.123456789,39.1", "12345678.1,1", "1234567.1,1", "1e3,5", "inf,5", "nan,nan", "１１２.１,39",
         "112.1 , 39.2", "112.1，39.2", " 112.1,39.2", "112.1,39.2 ", "112.1,", ",39.2", "+112.1,39.2", "112.,39.",
         ".5,.5", "112.1\u3000,39", "0112.10,039.20", "112.4187,39.3312", "112.41870,39.33120"]
XY = [("112.1", "39.2"), ("0", "0"), ("0.0", "-0.0"), ("", "39.2"), ("112.1", ""), (" 112.1", "39.2 "),
      ("abc", "39"), ("1e3", "5"), ("1005408", "214238"), ("1005408.5", "214238.25"), ("12345678", "1"),
      ("-73.9", "40.7"), ("-73.90000001", "40.7"), ("inf", "1"), ("+1.5", "2"), ("1.", "2")]


def _placeholder_mapping(**changes: object) -> LegacyMapping:
    mapping = _mapping(**changes)
    coordinates = mapping.coordinates.model_copy(update={"placeholders": [
        Placeholder(name="市政府", lon=112.4187, lat=39.3312, radius_m=30)]})
    return mapping.model_copy(update={"coordinates": coordinates})


def _random_pairs(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-200, 200, n)
    lat = rng.uniform(-100, 100, n)
    decimals = rng.integers(0, 9, n)
    return [f"{x:.{d}f},{y:.{d}f}" for x, y, d in zip(lon, lat, decimals, strict=True)]


def _reference_numbers(raw: pd.DataFrame, mapping: LegacyMapping) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The coordinates' numbers as the import read them before the shortcut (main d1889c5)."""
    xs, ys = _coordinate_text(raw, mapping)
    x = pd.to_numeric(xs, errors="coerce").astype(float)
    y = pd.to_numeric(ys, errors="coerce").astype(float)
    return x, y, (xs == "") | (ys == "")


def _same_coordinates(raw: pd.DataFrame, mapping: LegacyMapping, monkeypatch: pytest.MonkeyPatch) -> int:
    """Asserts the shortcut's numbers and masks equal the reference's; returns how many rows the general path got."""
    general: list[int] = []
    real = legacy_import._coordinate_text

    def counted(part: pd.DataFrame, m: LegacyMapping) -> tuple[pd.Series, pd.Series]:
        general.append(len(part))
        return real(part, m)

    monkeypatch.setattr(legacy_import, "_coordinate_text", counted)
    x, y, blank = _coordinate_numbers(raw, mapping)
    want_x, want_y, want_blank = _reference_numbers(raw, mapping)
    np.testing.assert_array_equal(x.to_numpy(), want_x.to_numpy())  # NaN equals NaN; -0.0 is checked below
    np.testing.assert_array_equal(np.signbit(x.to_numpy()), np.signbit(want_x.to_numpy()))
    np.testing.assert_array_equal(y.to_numpy(), want_y.to_numpy())
    np.testing.assert_array_equal(np.signbit(y.to_numpy()), np.signbit(want_y.to_numpy()))
    np.testing.assert_array_equal(blank.to_numpy(), want_blank.to_numpy())
    assert x.index.equals(raw.index) and blank.index.equals(raw.index)
    return sum(general)


def _same_coordinate_step(raw: pd.DataFrame, mapping: LegacyMapping) -> dict[str, pd.Series]:
    """Asserts the whole coordinate step (zero, range, placeholder) gives what it gives on an object column, which
    takes the general path throughout; returns the masks."""
    lon, lat, flags = _coordinates(raw, mapping)
    want_lon, want_lat, want_flags = _coordinates(raw.astype(object), mapping)
    pd.testing.assert_series_equal(lon, want_lon)
    pd.testing.assert_series_equal(lat, want_lat)
    for name, mask in want_flags.items():
        assert flags[name].tolist() == mask.tolist(), name
    return flags


def test_coordinate_pairs_read_by_the_shortcut_are_what_the_general_path_reads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    values = [*PAIRS, *_random_pairs(5000, 1)]
    raw = pd.DataFrame({"坐标": pd.Series(values, dtype="str")}, index=range(3, 3 + len(values)))
    mapping = _placeholder_mapping()
    general = _same_coordinates(raw, mapping, monkeypatch)
    assert general < 40  # the edges that are not plain decimals; the 5,000 plain pairs took the shortcut
    # and the whole step (zero, range, placeholder) as before: the object column takes the general path throughout
    flags = _same_coordinate_step(raw, mapping)
    assert flags["placeholder_coordinates"][raw["坐标"].isin(["112.4187,39.3312", "112.41870,39.33120"])].all()


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:2263"])
def test_coordinate_columns_read_by_the_shortcut_are_what_the_general_path_reads(
        crs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    pairs = [*XY, *[(f"{x:.6f}", f"{y:.6f}") for x, y in zip(rng.uniform(-190, 190, 2000),
                                                            rng.uniform(-95, 95, 2000), strict=True)]]
    raw = pd.DataFrame({"X": pd.Series([p[0] for p in pairs], dtype="str"),
                        "Y": pd.Series([p[1] for p in pairs], dtype="str")})
    mapping = _mapping()
    coordinates = mapping.coordinates.model_copy(update={"xy": None, "x": "X", "y": "Y", "crs": crs})
    mapping = mapping.model_copy(update={"coordinates": coordinates})
    general = _same_coordinates(raw, mapping, monkeypatch)
    assert general < 20
    _same_coordinate_step(raw, mapping)


def _flag_lists_reference(matrix: np.ndarray, names: np.ndarray) -> np.ndarray:
    """flag_lists as it was (main d1889c5): the rows' combinations as a matrix product, np.unique."""
    weights = np.left_shift(1, np.arange(matrix.shape[1], dtype=np.int64))
    combination, row_of = np.unique(matrix.astype(np.int64) @ weights, return_inverse=True)
    lists = np.empty(len(combination), dtype=object)
    for n, bits in enumerate(combination):
        lists[n] = list(names[(bits & weights) != 0])
    return lists[row_of.reshape(-1)]


@pytest.mark.parametrize("width", [1, 7, 8, 9, 21, 64])
def test_flag_lists_are_the_rows_flags_in_name_order(width: int) -> None:
    from transforms.cases.legacy_import import flag_lists

    rng = np.random.default_rng(width)
    matrix = rng.random((5000, width)) < 0.2
    matrix[0] = True
    matrix[1] = False
    names = np.array(sorted(f"flag_{k:02d}" for k in range(width)))
    got = flag_lists(matrix, names)
    want = _flag_lists_reference(matrix, names)
    assert got.dtype == object and len(got) == len(want)
    assert [list(x) for x in got] == [list(x) for x in want]
    assert all(type(f) is type(w) for x, y in zip(got, want, strict=True) for f, w in zip(x, y, strict=True))
    assert list(got[0]) == list(names) and got[1] == []


def _possible_duplicates_reference(frame: pd.DataFrame, window_hours: float) -> pd.Series:
    """possible_duplicates as it was (main d1889c5): the place of every row as text, four sort keys."""
    address_codes, addresses = pd.factorize(frame["address"].fillna(""))
    normal = pd.Series(addresses, dtype=object).str.upper().str.split().str.join(" ").fillna("").to_numpy()
    place = pd.Series(normal[address_codes] if len(addresses) else np.full(len(frame), ""), index=frame.index,
                      dtype=object)
    by_point = (place == "") & frame["lon"].notna()
    if by_point.any():
        point = frame.loc[by_point]
        place[by_point] = point["lon"].round(4).astype(str) + "," + point["lat"].round(4).astype(str)
    place_codes = pd.factorize(place)[0]
    category_codes = pd.factorize(frame["origin_category"].fillna(""))[0]
    reported = frame["reported_at"].astype("datetime64[ns]").to_numpy().view(np.int64)
    missing = frame["reported_at"].isna().to_numpy()
    last = np.where(missing, np.iinfo(np.int64).max, reported)
    order = np.lexsort((frame["row_number"].to_numpy(), last, place_codes, category_codes))
    same = np.zeros(len(frame), dtype=bool)
    same[1:] = ((category_codes[order][1:] == category_codes[order][:-1])
                & (place_codes[order][1:] == place_codes[order][:-1]))
    timed = ~missing[order]
    gap = np.zeros(len(frame), dtype=np.int64)
    gap[1:] = np.diff(reported[order])
    window = pd.Timedelta(hours=window_hours).value
    hit = same & timed & np.concatenate([[False], timed[:-1]]) & (gap <= window) & (place.to_numpy()[order] != "")
    dup = np.zeros(len(frame), dtype=bool)
    dup[order] = hit
    return pd.Series(dup, index=frame.index)


def _cases_for_duplicates(n: int, seed: int, *, points: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    addresses = np.array(["开发路1号", "开发路1号 ", " 开发路1号", "开发路  1号", "kaifa road 1", "KAIFA ROAD 1", "",
                          "  ", "鄯阳街2号", None], dtype=object)
    times = pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 6, n) * 6, unit="h")  # ties everywhere
    reported = pd.Series(times, dtype="datetime64[ns]")
    reported[rng.random(n) < 0.1] = pd.NaT
    lon = pd.Series(np.round(112.4 + rng.integers(0, 3, n) * 0.00004, 6))
    lat = pd.Series(np.round(39.3 + rng.integers(0, 2, n) * 0.00004, 6))
    lon[rng.random(n) < (0.2 if points else 1.0)] = np.nan
    return pd.DataFrame({
        "row_number": np.arange(1, n + 1),
        "address": pd.Series(addresses[rng.integers(0, len(addresses), n)], dtype=object),
        "origin_category": pd.Series(np.array(["暴露垃圾", "路灯", None], dtype=object)[rng.integers(0, 3, n)],
                                     dtype=object),
        "reported_at": reported, "lon": lon, "lat": lat,
    }, index=range(100, 100 + n))


@pytest.mark.parametrize("points", [True, False])
@pytest.mark.parametrize("window", [0.0, 6.0, 24.0])
def test_possible_duplicates_are_those_the_four_key_sort_found(points: bool, window: float) -> None:
    from transforms.cases.legacy_import import possible_duplicates

    frame = _cases_for_duplicates(3000, int(window) + points, points=points)
    for case in (frame, frame.sample(frac=1, random_state=1), frame.iloc[:1], frame.iloc[:0]):
        got = possible_duplicates(case, window)
        want = _possible_duplicates_reference(case, window)
        pd.testing.assert_series_equal(got, want)
    assert 0 < possible_duplicates(frame, window).sum() < len(frame)
