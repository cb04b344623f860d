"""``/``: each role's home is the first page of its navigation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from portal.deps import CurrentUser, render

router = APIRouter()


@router.get("/", include_in_schema=False)
async def home(request: Request, user: CurrentUser) -> Response:
    links = user.nav()
    if links:
        return RedirectResponse(links[0].path, status_code=303)
    return render(request, "home.html", {"title": "首页"})


@router.get("/health", include_in_schema=False)
async def health() -> Response:
    """Liveness for ``szcg portal up`` (no session, no database)."""
    return PlainTextResponse("ok")
