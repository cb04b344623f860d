"""A CJK font for charts and PDF pages: Chinese text must render as glyphs, never as boxes."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from szcg.errors import SzcgError

_CANDIDATES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Noto Serif CJK SC")
_KNOWN_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class MissingCJKFont(SzcgError):
    """No font with Chinese glyphs is installed (Debian: apt-get install fonts-noto-cjk)."""


@functools.lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """Register the first CJK font found with matplotlib and return its family name."""
    from matplotlib import font_manager

    files: list[str] = []
    chosen = os.environ.get("SZCG_REPORT_FONT")  # a font file chosen by the installation (e.g. a packaged font)
    if chosen:
        if not Path(chosen).is_file():
            raise MissingCJKFont(f"SZCG_REPORT_FONT={chosen}: no such font file")
        files.append(chosen)
    if shutil.which("fc-match"):
        for name in _CANDIDATES:
            out = subprocess.run(["fc-match", "-f", "%{file}", f"{name}:lang=zh"], capture_output=True, text=True,
                                 check=False).stdout.strip()
            if out and Path(out).is_file() and ("CJK" in out or "wqy" in out.lower() or "Han" in out):
                files.append(out)
    files += [f for f in _KNOWN_FILES if Path(f).is_file()]
    for file in files:
        font_manager.fontManager.addfont(file)
        family = font_manager.FontProperties(fname=file).get_name()
        return family
    raise MissingCJKFont("no CJK font found for the report; install Debian package fonts-noto-cjk "
                         "(apt-get install -y fonts-noto-cjk)")


def use_cjk() -> str:
    import matplotlib

    family = cjk_font_family()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family
