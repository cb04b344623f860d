"""Callers' numbers before anything reaches the warehouse: a keyed hash to count repeat callers, and a display
label that shows no more than the dashboards need.

The hash is HMAC-SHA256 keyed with ``settings.hash_key`` (``SZCG_HASH_KEY``, a secret of at least 32 characters).
Without the key nobody can test a guessed number against a published hash (an unkeyed or salted hash of an 11-digit
number is reversed by trying them all). Production must set it and keep it (a new key makes old and new hashes
incomparable); only the demo (``SZCG_DEMO=1``) runs with a public key.

The display label is ``尾号5602·3fa1``: the last four digits (how a hotline operator names a number back to a
caller) and four hex digits of the keyed hash, so that the dashboards' list of repeat callers tells apart two
callers whose numbers end alike. No area code, no prefix: a mobile number keeps 4 of its 11 digits.
Free text (call notes) is scrubbed with :func:`szcg.privacy.scrub_text`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from szcg.errors import ConfigError
from szcg.settings import DEMO_HASH_KEY, Settings

MIN_KEY_CHARS = 32
_KEY_HELP = ("set it to a random secret of at least 32 characters (python -c 'import secrets;"
             " print(secrets.token_hex(32))'), keep it secret and keep it: a new key makes earlier hashes"
             " incomparable. Only the demo runs without it (SZCG_DEMO=1, public key).")


def hash_key(settings: Settings) -> bytes:
    """The key of the callers' hash; refuses (ConfigError) outside the demo when production has not set one."""
    key = settings.hash_key
    if key is None:
        if settings.demo:
            return DEMO_HASH_KEY.encode()
        raise ConfigError("environment", "SZCG_HASH_KEY", f"not set — callers' numbers are hashed with it; {_KEY_HELP}")
    if len(key) < MIN_KEY_CHARS or key == DEMO_HASH_KEY or key.startswith("change-me"):
        raise ConfigError("environment", "SZCG_HASH_KEY", "too short, the public demo key or the placeholder of"
                          f" deploy/.env.example (its value is not shown); {_KEY_HELP}")
    return key.encode()


def digits(value: str | None) -> str:
    """The number's digits (full-width digits read as digits), without the country code."""
    d = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("0086", "86"):  # a national number never starts with 86 (mobiles start 1, area codes 0)
        rest = d[len(prefix):]
        if d.startswith(prefix) and len(rest) >= 9:
            is_mobile = len(rest) == 11 and rest[0] == "1" and rest[1] in "3456789"
            return rest if is_mobile or rest.startswith("0") else "0" + rest  # +86 349 … is 0349 …
    return d


def hash_identifier(value: str | None, key: bytes) -> str | None:
    """HMAC-SHA256 (first 32 hex) of a number's digits, or of the text as given when it holds no whole number
    (a number the source system already masked: 139****1234)."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    ident = digits(text) if "*" not in text and len(digits(text)) >= 7 else text
    return hmac.new(key, ident.encode(), hashlib.sha256).hexdigest()[:32]


def display_number(value: str | None, caller_hash: str | None) -> str | None:
    """尾号5602·3fa1 — the last four digits and a tag of the keyed hash; nothing more of the number."""
    if not value or not str(value).strip() or not caller_hash:
        return None
    d = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", str(value)))
    tail = f"尾号{d[-4:]}" if len(d) >= 4 else "号码不全"
    return f"{tail}·{caller_hash[:4]}"
