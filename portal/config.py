"""The portal's own settings: the key that signs its cookies, whether cookies are marked Secure, where Superset is.

Read from the environment once, at start, beside :class:`szcg.settings.Settings`:

- ``SZCG_PORTAL_SECRET`` (≥ 32 characters): signs session cookies and CSRF tokens. Unset, a random key is made
  once and kept in ``<data_dir>/portal/secret`` (mode 0600), so sessions survive a restart of the same install.
- ``SZCG_PORTAL_HTTPS=1``: the portal is reached over https (behind a proxy): cookies get the ``Secure`` flag.
- ``SZCG_SUPERSET_URL``: the dashboards' address as users' browsers reach it (default: the local Superset of
  ``szcg dashboards up``, ``http://127.0.0.1:<SZCG_SUPERSET_PORT>``).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from szcg.settings import Settings


@dataclass(frozen=True)
class PortalConfig:
    secret_key: bytes
    https: bool = False
    superset_url: str = "http://127.0.0.1:8088"


def _kept_secret(path: Path) -> str:
    """The install's own random key: made once, readable by the owner only."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key)
    return key


def load_portal_config(settings: Settings) -> PortalConfig:
    """From the settings (``SZCG_PORTAL_SECRET``, ``SZCG_PORTAL_HTTPS``, ``SZCG_SUPERSET_URL``; checked there)."""
    secret = settings.portal_secret or _kept_secret(settings.data_dir / "portal" / "secret")
    superset = settings.superset_url or f"http://127.0.0.1:{settings.superset_port}"
    return PortalConfig(secret.encode(), settings.portal_https, superset)
