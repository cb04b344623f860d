"""Whether the areas above the warehouse have plugged their audits and mart builders into every publish.

The warehouse does not import the areas that build on it. Their audits and mart builders are registered by one
wiring module at the use-case level (``usecases.wiring.wire``), which every entry point runs first; a publish
asked for before that is refused (:class:`NotWired`) rather than run without its gates or with a stale summary.
"""

from __future__ import annotations

from szcg.errors import SzcgError

_wired: list[bool] = [False]


class NotWired(SzcgError):
    """A publish was asked for before the areas' audits and mart builders were registered."""


def mark_wired() -> None:
    _wired[0] = True


def require_wired() -> None:
    if not _wired[0]:
        raise NotWired("the areas' audits and mart builders are not registered: an entry point must call "
                       "usecases.wiring.wire() before publishing (publishing without them would skip their gates)")
