"""The reports' Chinese font: Noto Sans CJK **SC** (Simplified Chinese glyph forms), from PyPI, never the system.

The wheel ``noto-cjk-sans-otc`` (SIL OFL 1.1) ships Noto Sans CJK as one OpenType collection holding the Japanese,
Korean, Simplified and Traditional Chinese faces. matplotlib opens the first face of a collection, which is the
Japanese one (a Chinese government report would print Japanese glyph forms), so the SC face is copied out of the
collection once, into a cache folder, as a standalone font file; charts and PDF pages use that file, and the
PDF embeds it (its PostScript name ``NotoSansCJKsc-Regular`` is what ``pdffonts`` lists). The face's CFF outlines
are converted to TrueType ones on the way out: Chromium, which prints the monthly report, embeds a CFF font as
nameless Type 3 glyphs but a TrueType font as a named, subset CID font.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from importlib import resources
from pathlib import Path
from typing import Any

from szcg.errors import SzcgError

log = logging.getLogger(__name__)

SC_FAMILY = "Noto Sans CJK SC"
SC_FILE = "NotoSansCJKsc-Regular.ttf"
FONT_PACKAGE = "noto_cjk_sans_otc"
COLLECTION = "NotoSansCJK-Regular.ttc"


class MissingCJKFont(SzcgError):
    """The Simplified Chinese font is not installed (the pipeline environment's noto-cjk-sans-otc)."""


def font_cache_dir() -> Path:
    """Where the extracted face is kept: ``$SZCG_FONT_CACHE``, else ``$XDG_CACHE_HOME/szcg/fonts``."""
    given = os.environ.get("SZCG_FONT_CACHE")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "szcg" / "fonts"


def _collection() -> Path:
    try:
        path = Path(str(resources.files(FONT_PACKAGE).joinpath(COLLECTION)))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise MissingCJKFont(
            "the report's Chinese font is missing: Python package noto-cjk-sans-otc is not installed in this "
            "environment (`make env` installs it from requirements/pipeline.lock)")
    return path


def extract_face(collection: Path, family: str, out: Path) -> Path:
    """Copy the face named ``family`` out of an OpenType collection into ``out`` (written atomically)."""
    from fontTools.ttLib import TTCollection

    started = time.perf_counter()
    fonts = TTCollection(str(collection), lazy=True)
    try:
        face = next((f for f in fonts if f["name"].getDebugName(1) == family), None)
        if face is None:
            names = [f["name"].getDebugName(1) for f in fonts]
            raise MissingCJKFont(f"{collection}: no face named {family!r} in the collection (it has {names})")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
        if "CFF " in face:
            _to_truetype_outlines(face)
        face.save(str(partial))
        partial.replace(out)
    finally:
        fonts.close()
    log.info("extracted %s from %s into %s in %.1fs", family, collection.name, out, time.perf_counter() - started)
    return out


def _to_truetype_outlines(font: Any) -> None:
    """Replace a font's cubic CFF outlines by quadratic TrueType ones (fontTools' cu2qu, within 1 font unit)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    outlines = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        outlines[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:  # vertical origins belong to CFF fonts
        del font["VORG"]
    maxp = font["maxp"]  # TrueType's maxp (version 1.0); its glyph statistics are recomputed on save
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints", "maxContours",
                  "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0  # no glyph names: the collection's CID-keyed face has none worth keeping
    font.sfntVersion = "\x00\x01\x00\x00"


@functools.lru_cache(maxsize=1)
def sc_font_file() -> Path:
    """The standalone Noto Sans CJK SC file (extracted from the packaged collection on first use)."""
    collection = _collection()
    # Alone in a folder of its own: Chromium is pointed at the folder, and an older extraction left beside it
    # (the CFF .otf of earlier versions) could be the file it picks for the family.
    out = font_cache_dir() / "noto-sans-cjk-sc" / SC_FILE
    # A newer collection (package upgrade) makes the cached copy stale.
    if not out.is_file() or out.stat().st_mtime < collection.stat().st_mtime:
        extract_face(collection, SC_FAMILY, out)
    return out


@functools.lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """Register the SC font with matplotlib and return its family name (``Noto Sans CJK SC``)."""
    from matplotlib import font_manager

    file = sc_font_file()
    font_manager.fontManager.addfont(str(file))
    return str(font_manager.FontProperties(fname=str(file)).get_name())


def use_cjk() -> str:
    """Make the SC font matplotlib's sans-serif for charts and PDF pages; returns its family name."""
    import matplotlib

    family = cjk_font_family()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    # Only the Regular weight is packaged: bold headings print in Regular, without a warning per heading.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    return family


def fontconfig_file() -> Path:
    """A fontconfig file that adds the SC font to the system's (if any), for Chromium's dashboard screenshots:
    pass it as ``FONTCONFIG_FILE`` so pages render Chinese on a machine without CJK fonts."""
    folder = sc_font_file().parent
    conf = folder / "fonts.conf"
    text = ("<?xml version='1.0'?>\n<!DOCTYPE fontconfig SYSTEM 'urn:fontconfig:fonts.dtd'>\n<fontconfig>\n"
            "  <include ignore_missing='yes'>/etc/fonts/fonts.conf</include>\n"
            f"  <dir>{folder}</dir>\n  <cachedir>{folder / 'fontconfig-cache'}</cachedir>\n"
            "  <alias><family>sans-serif</family><prefer><family>Noto Sans CJK SC</family></prefer></alias>\n"
            "</fontconfig>\n")
    if not conf.is_file() or conf.read_text(encoding="utf-8") != text:
        partial = conf.with_name(f".fonts.conf.{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(conf)
    return conf
