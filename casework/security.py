"""The service's protective limits (``security.yaml``): request body size and the login lockout policy."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONFIG = Path(__file__).with_name("security.yaml")


class LoginPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_seconds: float = Field(gt=0)
    account_max_failures: int = Field(ge=1)
    address_max_failures: int = Field(ge=1)
    lockout_seconds: float = Field(gt=0)
    delay_seconds_per_failure: float = Field(ge=0)
    max_delay_seconds: float = Field(ge=0, le=30)


class SecurityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request_body_max_bytes: int = Field(ge=1024)
    login: LoginPolicy


@cache
def load_security(path: Path = CONFIG) -> SecurityConfig:
    """Read and check ``path``; a wrong or unknown key is a ValueError naming the file and the key."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return SecurityConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ValueError(f"{path}: {where}: {first['msg']}") from None
