"""The monthly report prints Simplified Chinese glyph forms from the font the environment installs, on a machine
with no fonts of its own, and embeds that font in the PDF."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from transforms.report import fonts

# 骨 and 直 are drawn differently in Japanese and Chinese: their glyphs differ between the JP and SC faces.
DIFFERING = ("骨", "直")


def _glyphs(font: object, chars: tuple[str, ...]) -> list[int]:
    """The glyph ids the characters map to (names may change with the outline format; ids do not)."""
    cmap = font["cmap"].getBestCmap()  # type: ignore[index]
    return [font.getGlyphID(cmap[ord(c)]) for c in chars]  # type: ignore[attr-defined]


def test_the_report_font_is_the_simplified_chinese_face(tmp_path: Path) -> None:
    from fontTools.ttLib import TTCollection, TTFont

    collection = fonts._collection()
    out = fonts.extract_face(collection, fonts.SC_FAMILY, tmp_path / fonts.SC_FILE)
    faces = {f["name"].getDebugName(1): f for f in TTCollection(str(collection), lazy=True)}
    extracted = TTFont(str(out), lazy=True)
    assert extracted["name"].getDebugName(1) == "Noto Sans CJK SC"
    assert extracted["name"].getDebugName(6) == "NotoSansCJKsc-Regular"
    assert _glyphs(extracted, DIFFERING) == _glyphs(faces["Noto Sans CJK SC"], DIFFERING)
    assert _glyphs(extracted, DIFFERING) != _glyphs(faces["Noto Sans CJK JP"], DIFFERING)


def test_charts_and_pdf_need_no_system_font(tmp_path: Path) -> None:
    """A bare machine: fontconfig knows no font, matplotlib and the font cache start empty."""
    conf = tmp_path / "fonts.conf"
    conf.write_text("<?xml version='1.0'?><!DOCTYPE fontconfig SYSTEM 'fonts.dtd'><fontconfig></fontconfig>")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "MPLCONFIGDIR": str(tmp_path / "mpl"),
           "SZCG_FONT_CACHE": str(tmp_path / "cache"), "PYTHONWARNINGS": "error::UserWarning"}
    script = textwrap.dedent(f"""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from transforms.report.fonts import use_cjk
        print(use_cjk())
        fig = plt.figure()
        fig.text(0.1, 0.5, "朔州市数字城管综合评价月报 按期结案率 骨 直", fontsize=14)
        fig.savefig({str(tmp_path / "chart.png")!r})
        fig.savefig({str(tmp_path / "report.pdf")!r})
    """)
    # A glyph missing from the font is a UserWarning in matplotlib: here it would be an error.
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "Noto Sans CJK SC"
    assert (tmp_path / "cache" / "noto-sans-cjk-sc" / fonts.SC_FILE).is_file()
    assert (tmp_path / "chart.png").stat().st_size > 0
    listed = subprocess.run(["pdffonts", str(tmp_path / "report.pdf")], capture_output=True, text=True,
                            check=True).stdout
    assert "NotoSansCJKsc-Regular" in listed
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "按期结案率" in text
