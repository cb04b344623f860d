"""Attachments of events: uploaded once (content-addressed, type judged from the bytes, size limited),
referenced from transitions and reports as ``sha256:<hex>``; unknown references are refused before any event
is written. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from casework import workflow as wf
from casework.attachments import Limits, load_limits, sniff
from tests.casework.conftest import Env
from tests.casework.paths import case_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24  # a PNG signature and header-sized padding
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 28
PDF = b"%PDF-1.7\n" + b"%" * 23


def upload(env: Env, data: bytes, user: str = "water", **params: str) -> tuple[int, dict[str, object]]:
    r = env.client.post("/attachments", params=params, headers={**env.h(user), "Content-Type": "image/png"},
                        content=data)
    return r.status_code, r.json()


def test_an_upload_is_content_addressed_and_typed_from_its_bytes(env: Env) -> None:
    data = JPEG + b"before-photo-1"
    status, meta = upload(env, data, filename="before.jpg")
    digest = hashlib.sha256(data).hexdigest()
    assert status == 201
    assert meta["id"] == f"sha256:{digest}" and meta["size"] == len(data)
    assert meta["content_type"] == "image/jpeg"  # the bytes say JPEG whatever the request claimed
    assert meta["uploaded_by"] == "water" and meta["filename"] == "before.jpg"
    again, meta2 = upload(env, data, user="supervisor", filename="other-name.jpg")
    assert again == 200 and meta2 == meta  # same bytes: same id, stored once, first upload's metadata kept
    r = env.client.get(f"/attachments/{digest}", headers=env.h("evaluator"))
    assert r.status_code == 200 and r.content == data and r.headers["content-type"] == "image/jpeg"


def test_uploads_outside_the_limits_are_refused_with_the_reason(env: Env) -> None:
    status, body = upload(env, b"MZ\x90\x00 not a picture")
    assert status == 415 and body["code"] == "attachment_type_not_accepted"
    status, body = upload(env, b"")
    assert status == 422
    status, body = upload(env, PNG + b"\x00" * load_limits().max_bytes)
    assert status == 413 and body["code"] == "attachment_too_large"
    status, body = upload(env, PDF, user="evaluator")  # read-only role
    assert status == 403
    assert env.client.post("/attachments", content=PDF).status_code == 401
    r = env.client.get(f"/attachments/{'0' * 64}", headers=env.h("evaluator"))
    assert r.status_code == 404


def test_events_reference_uploads_and_unknown_references_write_nothing(env: Env) -> None:
    case = case_in(env, wf.State.dispatched)
    _, photo = upload(env, PNG + b"site photo 7")
    never = f"sha256:{hashlib.sha256(b'never uploaded').hexdigest()}"
    for bad, code in ((never, "unknown_attachment"), ("photo.jpg", "bad_attachment"),
                      ("ftp://example.org/x.jpg", "bad_attachment")):
        r = env.client.post(f"/cases/{case['id']}/transitions", headers=env.h("water"), json={
            "action": "handle", "expected_version": case["version"], "attachments": [photo["id"], bad]})
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    assert env.case(case["id"])["version"] == case["version"]  # nothing was written
    out = env.act("water", case, "handle", attachments=[photo["id"], "https://video.example.org/clip/1"])
    assert out["event"]["attachments"] == [photo["id"], "https://video.example.org/clip/1"]
    report = env.client.post("/cases", headers=env.h("supervisor"), json={
        "kind": "component", "subclass_code": "01001", "grid_code": "140602001001001", "attachments": [never]})
    assert report.status_code == 422 and report.json()["code"] == "unknown_attachment"


def test_the_limits_are_data(tmp_path: Path) -> None:
    config = tmp_path / "attachments.yaml"
    config.write_text("max_bytes: 100\ntypes:\n  image/gif: gif\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"types\.image/gif: unknown kind 'gif'"):
        load_limits(config)
    config.write_text("max_bytes: many\ntypes: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="max_bytes"):
        load_limits(config)
    only_pdf = Limits(100, {"application/pdf": "pdf"})
    assert sniff(PDF, only_pdf) == "application/pdf"
    with pytest.raises(Exception, match="none of the accepted types"):
        sniff(PNG, only_pdf)
