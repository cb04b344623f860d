"""Zip the reviewed YAML under dashboards/assets/ into an import bundle for this installation.

The only change made on the way is the database URI: the repository holds a placeholder, the bundle gets this
installation's published snapshot path (``…/warehouse/current/warehouse.duckdb``).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import yaml

from dashboards.authoring import DATABASE_FILE
from dashboards.site import ASSETS_DIR

BUNDLE_ROOT = "szcg_dashboards"


def asset_files(assets_dir: Path = ASSETS_DIR) -> list[Path]:
    return sorted(p for p in assets_dir.rglob("*.yaml") if p.is_file())


def build_bundle(database_uri: str, assets_dir: Path = ASSETS_DIR) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in asset_files(assets_dir):
            rel = path.relative_to(assets_dir).as_posix()
            text = path.read_text(encoding="utf-8")
            if rel == DATABASE_FILE:
                content = yaml.safe_load(text)
                content["sqlalchemy_uri"] = database_uri
                text = yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
            zf.writestr(f"{BUNDLE_ROOT}/{rel}", text)
    return buffer.getvalue()
