"""The service's protective limits (``security.yaml``): request body size and the login lockout policy."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field

from szcg.configmodel import ConfigModel, load_yaml

CONFIG = Path(__file__).with_name("security.yaml")


class LoginPolicy(ConfigModel):
    window_seconds: float = Field(gt=0)
    account_max_failures: int = Field(ge=1)
    address_max_failures: int = Field(ge=1)
    lockout_seconds: float = Field(gt=0)
    delay_seconds_per_failure: float = Field(ge=0)
    max_delay_seconds: float = Field(ge=0, le=30)


class SecurityConfig(ConfigModel):
    request_body_max_bytes: int = Field(ge=1024)
    login: LoginPolicy


@cache
def load_security(path: Path = CONFIG) -> SecurityConfig:
    """Read and check ``path``; a wrong or unknown key is a ConfigError naming the file, line and key."""
    return load_yaml(SecurityConfig, path)
