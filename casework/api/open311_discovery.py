"""Open311 service discovery: where the GeoReport v2 endpoint is, its formats, changeset and contact, and which
``jurisdiction_id`` it answers to. Read from the city's ``open311.yaml`` (optional; defaults name the city)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from casework.deadlines import CaseStandards
from szcg.configmodel import ConfigModel, load_yaml

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CONFIG_FILE = "open311.yaml"


class Open311Config(ConfigModel):
    jurisdiction_id: str | None = Field(default=None, min_length=1, max_length=200)
    contact: str | None = Field(default=None, min_length=1)
    key_service: str | None = Field(default=None, min_length=1)
    # written as text ("2026-12-07T00:00:00+08:00") or as a YAML timestamp; it must carry its offset
    changeset: Annotated[AwareDatetime, Field(strict=False)] | None = None
    type: Literal["production", "test"] = "production"


@cache
def _load(path: Path, stamp: float) -> Open311Config:
    return load_yaml(Open311Config, path)


def load_config(standards: CaseStandards) -> Open311Config:
    """The city's Open311 settings; a file that does not fit the model is an error naming file and field."""
    path = standards.city.config_dir / CONFIG_FILE
    if not path.is_file():
        return Open311Config()
    return _load(path, path.stat().st_mtime)


def jurisdictions(standards: CaseStandards) -> tuple[str, ...]:
    """The ``jurisdiction_id`` values this endpoint serves: the configured one and the city's admin code."""
    configured = load_config(standards).jurisdiction_id
    return tuple(j for j in (configured, standards.city.admin_code) if j)


def discovery(standards: CaseStandards, base_url: str) -> dict[str, Any]:
    """The discovery document (spec field order). ``base_url`` is where this service is reached, ending in /."""
    config = load_config(standards)
    city = standards.city
    changeset = (config.changeset.isoformat() if isinstance(config.changeset, datetime)
                 else f"handbook {standards.handbook.version}")
    return {
        "changeset": changeset,
        "contact": config.contact or f"{city.name}数字化城市管理监督指挥中心",
        "key_service": config.key_service or f"API 密钥由{city.name}监督指挥中心的系统管理员发放",
        "endpoints": [{
            "specification": SPECIFICATION, "url": f"{base_url}open311/v2", "changeset": changeset,
            "type": config.type, "formats": ["text/xml", "application/json"],
        }],
    }
