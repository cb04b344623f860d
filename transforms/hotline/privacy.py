"""Personal data out before anything reaches the warehouse: numbers hashed (salted) and masked, names dropped,
numbers inside free text masked.

The salt is ``settings.hash_salt`` (``SZCG_HASH_SALT``); without it the documented demo salt ``szcg-demo-salt`` is
used (fine for synthetic data; set a secret salt in production, and keep it: a new salt makes old and new hashes
incomparable).
"""

from __future__ import annotations

import hashlib
import re

from szcg.settings import DEMO_HASH_SALT, Settings, load_settings

DEMO_SALT = DEMO_HASH_SALT
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")


def hash_salt(settings: Settings | None = None) -> str:
    return (settings or load_settings()).hash_salt


def digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def hash_identifier(value: str | None, salt: str) -> str | None:
    """Salted SHA-256 (first 32 hex) of a number's digits, or of the text as given when it has no full number."""
    if not value or not str(value).strip():
        return None
    key = digits(value) if "*" not in value and len(digits(value)) >= 7 else str(value).strip()
    return hashlib.sha256(f"{salt}|{key}".encode()).hexdigest()[:32]


def mask_number(value: str | None) -> str | None:
    """139****1234 / 0349-***5489; a value already masked is kept as given."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    if "*" in text:
        return text
    d = digits(text)
    if len(d) == 11 and d.startswith("1"):
        return f"{d[:3]}****{d[-4:]}"
    if len(d) >= 7:
        return f"{d[:4]}-***{d[-4:]}" if d.startswith("0") else f"***{d[-4:]}"
    return "***"


def mask_text(text: str | None) -> str | None:
    """Numbers a caller dictated into the call notes are masked too."""
    if text is None:
        return None
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-***{m.group(3)}", text)
