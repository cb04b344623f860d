"""Dashboard screenshots show Chinese in the reports' Simplified Chinese font, which Chromium gets from the
environment, not from the machine's fonts."""

from __future__ import annotations

from typing import Any

from dashboards.screenshot import launch_chromium


def _fonts_used(page: Any, selector: str) -> dict[str, int]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"]: int(f["glyphCount"]) for f in used}


def test_chinese_labels_are_drawn_with_noto_sans_cjk_sc() -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(locale="zh-CN")
            page.set_content("<html lang='zh-CN'><body><p id='label' style='font-family:sans-serif'>"
                             "领导驾驶舱 按期结案率</p></body></html>")
            fonts = _fonts_used(page, "#label")
        finally:
            browser.close()
    assert fonts.get("Noto Sans CJK SC", 0) >= 9, fonts  # every Chinese glyph from the SC face
