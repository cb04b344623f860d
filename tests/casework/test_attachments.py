"""Attachments of events: uploaded once (content-addressed, type judged from the bytes, size limited),
referenced from transitions and reports as ``sha256:<hex>``; unknown references are refused before any event
is written. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from casework import workflow as wf
from casework.attachments import Limits, load_limits, sniff
from szcg.errors import ConfigError
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
    r = env.client.get(f"/attachments/{digest}", headers=env.h("water"))
    assert r.status_code == 200 and r.content == data and r.headers["content-type"] == "image/jpeg"


def test_an_attachment_is_seen_by_its_uploader_and_by_who_may_see_a_case_using_it(env: Env) -> None:
    data = PNG + f"photo of a Shuocheng case ({env.backend})".encode()
    digest = hashlib.sha256(data).hexdigest()
    _, photo = upload(env, data, user="supervisor", filename="现场照片 1.png")

    def status(user: str) -> int:
        return env.client.get(f"/attachments/{digest}", headers=env.h(user)).status_code

    assert status("supervisor") == 200  # its uploader
    assert status("evaluator") == 404 and status("water") == 404  # referenced by no case yet: nobody else's
    case = env.report(attachments=[photo["id"]])  # 朔城区
    assert status("evaluator") == 200 and status("operator") == 200 and status("dispatcher_sc") == 200
    assert status("dispatcher_pl") == 404 and status("supervisor2") == 404  # 平鲁区
    assert status("water") == 404  # not (yet) sent to that department
    case = env.act("operator", case, "accept")["case"]
    case = env.act("leader", case, "register")["case"]
    env.act("dispatcher", case, "dispatch")
    assert status("water") == 200 and status("sanitation") == 404


def test_a_download_is_never_sniffed_nor_rendered_as_a_page(env: Env) -> None:
    data = PDF + b"<script>alert(1)</script>"
    _, meta = upload(env, data, user="water", filename='report"\r\nSet-Cookie: x=1.pdf')
    r = env.client.get(f"/attachments/{meta['sha256']}", headers=env.h("water"))
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith(f'attachment; filename="{str(meta["sha256"])[:16]}.pdf"')
    assert "\r" not in r.headers["content-disposition"] and "set-cookie" not in r.headers
    assert "sandbox" in r.headers["content-security-policy"]


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
    with pytest.raises(ConfigError, match=r"types\.image/gif: expected 'jpeg', .* or 'pdf', got 'gif'"):
        load_limits(config)
    config.write_text("max_bytes: many\ntypes: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_bytes: expected a whole number, got text 'many'"):
        load_limits(config)
    only_pdf = Limits(100, {"application/pdf": "pdf"})
    assert sniff(PDF, only_pdf) == "application/pdf"
    with pytest.raises(Exception, match="none of the accepted types"):
        sniff(PNG, only_pdf)


def downgrade_to_0003(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from casework.db import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    command.downgrade(cfg, "0003")


def test_the_upgrade_lets_readers_of_existing_cases_download_their_attachments(tmp_path: Path) -> None:
    """Migration 0004 fills attachment_uses from the events written before it."""
    from datetime import datetime

    from sqlalchemy import text

    from casework.db import Database, upgrade
    from casework.deadlines import load_standards
    from casework.service import Actor, CaseService, ReportInput
    from szcg.settings import load_settings

    url = f"sqlite:///{tmp_path / 'casework.sqlite'}"
    upgrade(url)
    db = Database(url)
    try:
        service = CaseService(db, load_standards(load_settings()), lambda: datetime(2026, 11, 23, 9, 0))
        data = PNG + b"written before 0004"
        digest = hashlib.sha256(data).hexdigest()
        from casework.attachments import store

        store(db, data, filename="", uploaded_by="someone", at=datetime(2026, 11, 23, 9, 0))
        case, _ = service.report(Actor("sup", "supervisor", "140602"), ReportInput(
            "component", "01001", grid_code="140602001001001", attachments=[f"sha256:{digest}"]))
        downgrade_to_0003(url)  # as if the events had been written by the old service
        with db.read() as conn:
            assert not conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'attachment_uses'")).first()
        upgrade(url)
        with db.read() as conn:
            uses = conn.execute(text("SELECT sha256, case_id FROM attachment_uses")).fetchall()
            assert uses == [(digest, case["id"])]
            assert service.may_download(conn, Actor("eva", "evaluator"), digest, "someone")
            assert not service.may_download(conn, Actor("pl", "dispatcher", "140603"), digest, "someone")
    finally:
        db.dispose()
