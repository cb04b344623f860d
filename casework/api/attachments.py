"""Attachments: upload a file's bytes (content-addressed, type read from the bytes), fetch it back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from casework import attachments as store
from casework import workflow as wf
from casework.api.deps import CurrentActor, FastJSON, Service, require_role
from casework.api.schemas import AttachmentOut, ErrorOut
from casework.api.strict import StrictJSONRoute
from casework.service import NotFound

router = APIRouter(tags=["attachments"], route_class=StrictJSONRoute)
UPLOAD_ROLES = tuple(r.value for r in wf.Role if r not in (wf.Role.evaluator, wf.Role.public, wf.Role.survey_team))
Digest = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="the SHA-256 of the file (hex)")]
_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    "description": "the file's bytes; its type is judged from them (JPEG, PNG, WebP, MP4, PDF)"}}


@router.post("/attachments", status_code=201, response_model=AttachmentOut, openapi_extra=_BODY,
             responses={200: {"model": AttachmentOut, "description": "the same bytes were uploaded before"},
                        **{c: {"model": ErrorOut} for c in (401, 403, 413, 415, 422)}},
             summary="Upload a file to attach to events; reference it as its id (sha256:<hex>)")
async def upload(request: Request, actor: CurrentActor, service: Service,
                 filename: Annotated[str, Query(max_length=256)] = "") -> Any:
    require_role(actor, *UPLOAD_ROLES)
    limits = store.load_limits()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:  # refuse before reading a byte of it
        raise store.TooLarge(f"{declared} bytes: at most {limits.max_bytes} per attachment", field="body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_bytes:
            raise store.TooLarge(f"more than {limits.max_bytes} bytes: at most that per attachment", field="body")
        chunks.append(chunk)
    meta, new = await run_in_threadpool(store.store, service.db, b"".join(chunks), filename=filename,
                                        uploaded_by=actor.username, at=service.now(), limits=limits)
    return FastJSON(meta, status_code=201 if new else 200)


@router.get("/attachments/{sha256}", responses={200: {"content": {"application/octet-stream": {}}},
                                                 **{c: {"model": ErrorOut} for c in (401, 404, 422)}},
            response_class=Response,
            summary="An attachment's bytes (its uploader, or who may see a case that references it)")
def download(sha256: Digest, actor: CurrentActor, service: Service) -> Response:
    found = store.content(service.db, sha256)
    with service.db.read() as conn:
        allowed = found is not None and service.may_download(conn, actor, sha256, found.uploaded_by)
    if found is None or not allowed:  # the same answer: whether a file exists is not told to those who may not see it
        raise NotFound(f"attachment sha256:{sha256} does not exist or is outside your scope")
    return Response(found.data, media_type=found.content_type, headers=store.download_headers(sha256, found))
