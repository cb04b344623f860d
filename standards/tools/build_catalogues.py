"""Rebuild the packaged catalogue tables from the research CSVs (developer tool, not used at run time).

    python -m standards.tools.build_catalogues /work/shared/standards

Copies rows (with their provenance marker) into ``standards/catalogues/<edition>.csv``, derives the GB/T
30428.2-2013 rows that the 2026 edition lets us recover (NOTES §2.4), and writes the crosswalk. Name matches
are only exact names or renames that NOTES states or that differ only in wording; everything else is written as
``unknown``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "catalogues"
TITLE_TO_KEY = {"CJ/T 214-2007": "cjt214-2007", "GB/T 30428.2-2013": "gbt30428.2-2013",
                "GB/T 47678.5-2026": "gbt47678.5-2026"}
COLUMNS = ["kind", "major_code", "major_name", "code", "name", "provenance", "derived_from", "source_note"]

# 2007 -> 2026 renames/moves named in NOTES §2.2 (relation, note) and wording-only variants (relation "probable").
KNOWN_2007_2026 = {
    ("component", "0101"): [("01001", "renamed", "NOTES §2.2: 上水井盖 → 供水井盖")],
    ("component", "0107"): [("01007", "renamed", "NOTES §2.2: 通讯 → 通信")],
    ("component", "0115"): [("01027", "renamed", "NOTES §2.2: 通讯 → 通信")],
    ("component", "0114"): [("01023", "renamed", "NOTES §2.2: 无主井盖 → 不明井盖")],
    ("component", "0117"): [(c, "split", "NOTES §2.2: 立杆 split into 电力/通信/公交/特殊/不明立杆")
                            for c in ("01030", "01031", "01032", "01033", "01034")],
    ("component", "0501"): [("03008", "moved", "NOTES §2.2: 房屋土地类 removed; 宣传栏 moves to 03008")],
    ("component", "0503"): [("05002", "moved", "NOTES §2.2: 公房地下室 becomes 05002")],
    ("component", "0603"): [("01069", "moved", "NOTES §2.2: moved into 01 (01069–01071)")],
    ("component", "0604"): [("01070", "moved", "NOTES §2.2: moved into 01 (01069–01071)")],
    ("component", "0606"): [("01071", "moved", "NOTES §2.2: moved into 01 (01069–01071)")],
    ("component", "0131"): [("01024", "probable", "wording only: 民用水井 → 水井")],
    ("component", "0136"): [("01050", "probable", "wording only: 监控电子眼 → 监控电子眼设施")],
    ("component", "0126"): [("01046", "probable", "wording only: 健身设施 → 户外健身设施")],
    ("component", "0407"): [("04007", "probable", "wording only: 坐椅 → 座椅")],
    ("component", "0409"): [("04009", "probable", "wording only: 绿地维护设施 → 绿地附属设施")],
    ("component", "0209"): [("02010", "probable", "wording only: 交通标志牌 → 交通标志牌及标线")],
    ("component", "0203"): [("02004", "probable", "wording only: 公交站亭 → 公交站设施")],
    ("component", "0207"): [("02008", "probable", "wording only: 高架立交桥 → 立交桥")],
    ("event", "0112"): [("06014", "probable", "wording only (2007 source typo 撒遗): 道路遗撒（洒）")],
    ("event", "0108"): [("06035", "probable", "wording only: 废弃家具设施 → 废弃家具设备")],
    ("event", "0109"): [("06019", "probable", "wording only: 非装饰性树挂 → 非装饰性吊挂")],
    ("event", "0115"): [("06020", "probable", "wording only: 焚烧树叶，垃圾 → 焚烧垃圾、树叶")],
    ("event", "0117"): [("06037", "probable", "wording only: 动物尸体清理 → 动物尸体")],
    ("event", "0118"): [("06038", "probable", "wording only: 私自 → 擅自饲养家禽家畜")],
    ("event", "0111"): [("06023", "probable", "wording only: 河堤破损 → 堤岸破损")],
    ("event", "0114"): [("06024", "probable", "wording only: 水域秩序问题 → 水域秩序乱象")],
    ("event", "0507"): [("06036", "probable", "wording only (2007 source typo 乱堆物料堆): 乱堆杂物")],
    ("event", "0407"): [("10001", "probable", "wording only: 道路积雪结冰 → 道路积雪、结冰")],
}


def marker(note: str) -> str:
    head = note.split(":")[0].split("(")[0].strip()
    if head.startswith("PARTIAL"):
        return "RECONSTRUCTED"
    if head in ("VERIFIED", "TRANSCRIBED", "RECONSTRUCTED"):
        return head
    raise ValueError(f"no provenance marker in {note[:60]!r}")


def read(src: Path) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {k: [] for k in TITLE_TO_KEY.values()}
    for fname, kind in (("components.csv", "component"), ("events.csv", "event")):
        with (src / fname).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if not row["minor_code"]:
                    continue  # major-class-only rows go to editions.yaml by hand
                out[TITLE_TO_KEY[row["standard"]]].append({
                    "kind": kind, "major_code": row["major_code"], "major_name": row["major_name"],
                    "code": row["minor_code"], "name": row["minor_name"], "provenance": marker(row["source_note"]),
                    "derived_from": "", "source_note": row["source_note"]})
    return out


def derive_2013(rows_2026: list[dict[str, str]], fragments: list[dict[str, str]]) -> list[dict[str, str]]:
    """2013 codes recovered from 2026 (NOTES §2.4): events major − 5, minor cut to 2 digits; components keep
    their major and the last two minor digits (consistent with 0101/0102 seen in Suzhou component IDs)."""
    have = {(r["kind"], r["code"]) for r in fragments}
    derived = []
    for r in rows_2026:
        major = int(r["major_code"])
        if r["kind"] == "event" and major < 6:
            continue  # 2026 matters 01–05 are the component-anomaly matters, not 2013 events
        if int(r["code"][2:]) > 99:
            continue
        major13 = major - 5 if r["kind"] == "event" else major
        code = f"{major13:02d}{r['code'][3:]}"
        if (r["kind"], code) in have:
            continue
        derived.append({
            "kind": r["kind"], "major_code": f"{major13:02d}", "major_name": "", "code": code, "name": r["name"],
            "provenance": "RECONSTRUCTED", "derived_from": r["code"],
            "source_note": "RECONSTRUCTED (derived): GB/T 47678.5-2026 keeps the 2013 subclass numbers "
            "(NOTES §2.4, medium confidence); name is the 2026 name; the item may be a 2026 addition"})
    return derived


def write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def crosswalk(by_ed: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    out = []
    new = {(r["kind"], r["code"]): r for r in by_ed["gbt47678.5-2026"]}
    by_name_new: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in by_ed["gbt47678.5-2026"]:
        if r["kind"] == "event" and int(r["major_code"]) < 6:
            continue
        by_name_new.setdefault((r["kind"], r["name"]), []).append(r)

    def row(fe, r, te, to_code, relation, note):
        return {"from_edition": fe, "kind": r["kind"], "from_code": r["code"], "from_name": r["name"],
                "to_edition": te, "to_code": to_code, "to_name": new[(r["kind"], to_code)]["name"] if to_code else "",
                "relation": relation, "note": note}

    for r in by_ed["cjt214-2007"]:
        known = KNOWN_2007_2026.get((r["kind"], r["code"]))
        matches = by_name_new.get((r["kind"], r["name"]), [])
        if known:
            out += [row("cjt214-2007", r, "gbt47678.5-2026", c, rel, note) for c, rel, note in known]
        elif len(matches) == 1:
            m = matches[0]
            moved = m["code"][:2] != r["code"][:2] if r["kind"] == "component" else False
            out.append(row("cjt214-2007", r, "gbt47678.5-2026", m["code"], "moved" if moved else "same",
                           "same name" + (" in another major class" if moved else "")))
        else:
            out.append(row("cjt214-2007", r, "gbt47678.5-2026", "", "unknown", "no equivalent established"))
    for r in by_ed["gbt30428.2-2013"]:
        if r["kind"] == "event":
            target = f"{int(r['code'][:2]) + 5:02d}0{r['code'][2:]}"
        else:
            target = f"{r['code'][:2]}0{r['code'][2:]}"
        if (r["kind"], target) not in new:
            out.append(row("gbt30428.2-2013", r, "gbt47678.5-2026", "", "unknown", "no 2026 item at the derived code"))
            continue
        same = new[(r["kind"], target)]["name"] == r["name"]
        relation = "derived" if r["derived_from"] else ("same" if same else "renamed")
        note = "code rule of NOTES §2.4 (RECONSTRUCTED, medium confidence)"
        out.append(row("gbt30428.2-2013", r, "gbt47678.5-2026", target, relation, note))
    frag13 = {(r["kind"], r["name"]): r for r in by_ed["gbt30428.2-2013"] if not r["derived_from"]}
    for r in by_ed["cjt214-2007"]:
        m13 = frag13.get((r["kind"], r["name"]))
        if m13:
            out.append({"from_edition": "cjt214-2007", "kind": r["kind"], "from_code": r["code"],
                        "from_name": r["name"], "to_edition": "gbt30428.2-2013", "to_code": m13["code"],
                        "to_name": m13["name"], "relation": "same", "note": "same name in the 2013 fragments"})
    return out


def main(src: Path) -> None:
    by_ed = read(src)
    by_ed["gbt30428.2-2013"] += derive_2013(by_ed["gbt47678.5-2026"], by_ed["gbt30428.2-2013"])
    for key, rows in by_ed.items():
        rows.sort(key=lambda r: (r["kind"], r["code"]))
        write(OUT / f"{key}.csv", rows, COLUMNS)
        print(key, len(rows))
    cw = crosswalk(by_ed)
    write(OUT / "crosswalk.csv", cw, ["from_edition", "kind", "from_code", "from_name", "to_edition", "to_code",
                                      "to_name", "relation", "note"])
    print("crosswalk", len(cw))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/standards"))
