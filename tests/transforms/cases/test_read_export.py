"""A legacy CSV export is read by Arrow's parser where it reads exactly what pandas reads (every column as text,
nothing guessed as missing), and by pandas — with its errors and messages — where the two would differ."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from szcg.errors import InputRejected
from tests.transforms.cases.conftest import MAPPINGS
from transforms.cases.legacy_import import _read_csv_arrow, read_export
from transforms.cases.mapping import LegacyMapping, load_mapping

HEADER = ("案卷号,上报时间,立案时间,派遣时间,处置时间,结案时间,处置时限,是否按期,案卷状态,小类,问题来源,处置部门,"
          "所属网格,地址,问题描述,坐标")
ROW = ("2026030001,2026-03-02 09:00:00,,,,,,,处置中,路灯,监督员上报,,140602001001001,开发路1号,{text},"
       '"112.42,39.33"')


def _mapping(encoding: str = "utf-8") -> LegacyMapping:
    return load_mapping(MAPPINGS / "cn_anjuan.yaml").model_copy(update={"encoding": encoding})


def _pandas(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=",", quoting=csv.QUOTE_MINIMAL)


AWKWARD = {  # the lines of each file
    "plain": [HEADER, ROW.format(text="路灯不亮")],
    "bom": ["\ufeff" + HEADER, ROW.format(text="x")],
    "quoted newline and quotes": [HEADER, ROW.format(text='"第一行\n第二行，""引号"""')],
    "values pandas would guess as missing": [HEADER, ROW.format(text="NA"), ROW.format(text="NULL"),
                                              ROW.format(text='""'), ROW.format(text="nan"), ROW.format(text="  ")],
    "blank lines and CRLF": [HEADER, "", ROW.format(text="a"), "", ROW.format(text="b") + "\r"],
    "leading zeros and numbers": [HEADER, ROW.format(text="007").replace("2026030001", "0001"),
                                  ROW.format(text="1e5")],
}


@pytest.mark.parametrize("case", list(AWKWARD))
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_arrow_reads_what_pandas_reads(tmp_path: Path, case: str, encoding: str) -> None:
    if case == "bom" and encoding == "gbk":
        pytest.skip("a BOM is UTF-8's")
    lines = AWKWARD[case]
    path = tmp_path / "export.csv"
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    fast = _read_csv_arrow(path, _mapping(encoding))
    assert fast is not None, "Arrow should read this file"
    pd.testing.assert_frame_equal(fast, _pandas(path, encoding))
    pd.testing.assert_frame_equal(read_export(path, _mapping(encoding)), _pandas(path, encoding))


@pytest.mark.parametrize(("case", "lines"), [
    ("duplicate column names", [HEADER + ",地址", ROW.format(text="a") + ",x"]),
    ("a row with a field too few", [HEADER, ROW.format(text="a").rsplit(",", 2)[0]]),
    ("a row with a field too many: pandas takes the first as the index", [HEADER, ROW.format(text="a") + ",extra"]),
])
def test_where_arrow_would_differ_pandas_reads_it(tmp_path: Path, case: str, lines: list[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _read_csv_arrow(path, _mapping()) is None, case
    try:
        want = _pandas(path)
    except Exception:  # what pandas refuses, read_export refuses with a named file
        with pytest.raises(InputRejected):
            read_export(path, _mapping())
        return
    pd.testing.assert_frame_equal(read_export(path, _mapping()), want)


def test_an_export_in_another_encoding_than_declared_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(("\n".join([HEADER, ROW.format(text="路灯不亮")]) + "\n").encode("gbk"))
    assert _read_csv_arrow(path, _mapping("utf-8")) is None
    with pytest.raises(InputRejected, match=r"export\.csv: cannot be read as utf-8"):
        read_export(path, _mapping("utf-8"))


def test_a_coordinate_pair_splits_as_the_regular_expression_splits_it() -> None:
    """坐标 "经度,纬度": Arrow splits the plain ASCII values, Python's regular expression the others; both as one."""
    from transforms.cases.legacy_import import _PAIR, _split_pair

    values = pd.Series(["112.1,39.2", "112.1 , 39.2", "112.1，39.2", "112.1 ，39.2", "", "abc", "1,2,3", "0,0",
                        "112.1\u3000,39", ",5", "5,", "x,y", "１１２.１,39", "112.1,", "-1e3,+4"], dtype="str")
    pair = values.str.split(_PAIR, n=1, regex=True)
    xs, ys = _split_pair(values)
    assert xs.tolist() == pair.str[0].fillna("").tolist()
    assert ys.tolist() == pair.str[1].fillna("").tolist()
    assert xs.index.equals(values.index) and ys.index.equals(values.index)
