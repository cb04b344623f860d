"""--dirty injects exactly what manifest.json says; the same seed gives byte-identical files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from szcg.cli import main
from tests.synth.conftest import MONTHS, SCALE, SEED
from tests.synth.test_census import read_batch


def _read(root: Path, rel: str, cache: dict[str, pd.DataFrame]) -> pd.DataFrame:
    if rel not in cache:
        if rel.endswith(".parquet"):
            cache[rel] = pd.read_parquet(root / rel)
        elif rel.startswith("hotline/") and rel.endswith(".csv"):
            raw = (root / rel).read_bytes()
            enc = "gbk" if "/gbk/" in rel else "utf-8"
            try:
                text = raw.decode(enc)
            except UnicodeDecodeError:
                text = raw.decode("gbk")
            import io

            cache[rel] = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        elif rel.startswith("hotline/"):
            cache[rel] = pd.read_excel(root / rel, dtype=str, keep_default_na=False)
        else:
            enc = "gbk" if rel in _gbk_files(root) else None
            cache[rel] = read_batch(root, rel, enc)
    return cache[rel]


def _gbk_files(root: Path) -> set[str]:
    b = pd.read_csv(root / "census" / "batches.csv", dtype=str)
    return set(b.loc[b["encoding"] == "gbk", "file"])


def _same(found: object, injected: object) -> bool:
    if injected is None or injected == "":
        return found is None or found == "" or (isinstance(found, float) and pd.isna(found)) or found is pd.NaT
    if isinstance(injected, float):
        return abs(float(found) - injected) < 1e-7  # type: ignore[arg-type]
    return str(found) == str(injected)


def test_every_manifest_entry_is_in_the_files(dirty_dir: Path) -> None:
    manifest = json.loads((dirty_dir / "manifest.json").read_text(encoding="utf-8"))
    kinds = {e["kind"] for e in manifest["defects"]}
    assert kinds == set(manifest["kinds"]), "every defect kind is injected at least once"
    cache: dict[str, pd.DataFrame] = {}
    for e in manifest["defects"]:
        if e["row"] is None:
            continue
        df = _read(dirty_dir, e["file"], cache)
        found = df.iloc[e["row"] - 1][e["field"]]
        is_time = e["field"] == "at" or e["field"].endswith("_at")
        if e["file"].endswith(".parquet") and is_time and e["injected"] is not None:
            found = pd.Timestamp(found).strftime("%Y-%m-%d %H:%M:%S")
        assert _same(found, e["injected"]), e
        assert e["original"] != e["injected"], e


def test_defects_are_real_defects(dirty_dir: Path, city_dir: Path) -> None:
    manifest = json.loads((dirty_dir / "manifest.json").read_text(encoding="utf-8"))
    by_kind: dict[str, list[dict]] = {}
    for e in manifest["defects"]:
        by_kind.setdefault(e["kind"], []).append(e)
    bom = by_kind["bom"][0]
    assert (dirty_dir / bom["file"]).read_bytes().startswith(b"\xef\xbb\xbf")
    gbk = by_kind["gbk_encoding"][0]
    with pytest.raises(UnicodeDecodeError):
        (dirty_dir / gbk["file"]).read_bytes().decode("utf-8")
    for e in by_kind["gcj02_coordinates"]:  # GCJ-02 shifts Shuozhou by a few hundred metres
        assert 0.0005 < abs(e["injected"] - e["original"]) < 0.01
    cases = pd.read_parquet(dirty_dir / "cases" / "cases.parquet").set_index("case_id")
    events = pd.read_parquet(dirty_dir / "cases" / "case_events.parquet")
    for e in by_kind["closed_before_opened"]:
        if e["file"] == "cases/cases.parquet":
            row = cases.iloc[e["row"] - 1]
            assert row["closed_at"] < row["reported_at"]
        else:  # a 结案 event timed before the case was reported
            event = events.iloc[e["row"] - 1]
            assert event["action"] == "close" and event["at"] < cases.at[event["case_id"], "reported_at"]
    for e in by_kind["event_out_of_order"]:
        event, before = events.iloc[e["row"] - 1], events.iloc[e["row"] - 2]
        assert event["case_id"] == before["case_id"] and event["at"] < before["at"]
    assert any(e["field"] == "actor_id" for e in by_kind["missing_field"])
    # rows without defects are identical to the clean run (same seed)
    clean = pd.read_parquet(city_dir / "census" / "components.parquet")
    assert len(clean) == len(pd.read_parquet(dirty_dir / "census" / "components.parquet"))


def _text(df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype(object)
    return df.where(df.notna(), "").astype(str)


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(city_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "again"
    rc = main(["synth", "city", "--out", str(out), "--scale", str(SCALE), "--months", str(MONTHS),
               "--seed", str(SEED), "--quiet", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] and summary["synthetic"] and summary["counts"]["cases"] > 0
    first, second = _hashes(city_dir), _hashes(out)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    kinds = {k.rsplit(".", 1)[1] for k in first}
    assert {"gpkg", "xlsx", "zip", "parquet", "csv"} <= kinds


def test_refuses_to_overwrite_a_folder_that_is_not_a_synthetic_city(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "precious.txt").write_text("real data", encoding="utf-8")
    rc = main(["synth", "city", "--out", str(tmp_path), "--quiet", "--json"])
    assert rc == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False
    assert (tmp_path / "precious.txt").read_text(encoding="utf-8") == "real data"


def test_nothing_differs_from_the_clean_run_except_the_manifest(dirty_dir: Path, city_dir: Path) -> None:
    """Same seed with and without --dirty: every differing cell is a manifest entry and vice versa."""
    manifest = json.loads((dirty_dir / "manifest.json").read_text(encoding="utf-8"))
    expected: dict[str, set[tuple[int, str]]] = {}
    for e in manifest["defects"]:
        if e["row"] is not None:
            expected.setdefault(e["file"], set()).add((e["row"], e["field"]))
    batches = pd.read_csv(city_dir / "census" / "batches.csv", dtype=str)
    files = list(batches["file"]) + [str(p.relative_to(city_dir)) for p in (city_dir / "hotline").rglob("*.*")]
    files += ["cases/cases.parquet", "cases/case_events.parquet"]
    clean_cache: dict[str, pd.DataFrame] = {}
    dirty_cache: dict[str, pd.DataFrame] = {}
    for rel in files:
        a, b = (_text(_read(root, rel, cache)) for root, cache in ((city_dir, clean_cache), (dirty_dir, dirty_cache)))
        assert a.shape == b.shape, rel
        rows, cols = (a.to_numpy() != b.to_numpy()).nonzero()
        found = {(int(r) + 1, str(a.columns[c])) for r, c in zip(rows, cols, strict=True)}
        assert found == expected.get(rel, set()), rel
