"""Open311 service discovery: where the GeoReport v2 endpoint is, its formats, changeset and contact, and which
``jurisdiction_id`` it answers to. Read from the city's ``open311.yaml`` (optional; defaults name the city)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from casework.deadlines import CaseStandards

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CONFIG_FILE = "open311.yaml"


class Open311Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction_id: str | None = Field(default=None, min_length=1, max_length=200)
    contact: str | None = Field(default=None, min_length=1)
    key_service: str | None = Field(default=None, min_length=1)
    changeset: AwareDatetime | None = None
    type: Literal["production", "test"] = "production"


@cache
def _load(path: Path, stamp: float) -> Open311Config:
    try:
        return Open311Config.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: {fields}") from None


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
