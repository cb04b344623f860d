"""A user's set of districts (migration 0005, ``user_districts``): existing users keep their district, only a
survey team may have several, and the admin API and the CLI create and show them. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from casework.accounts import create_user
from casework.db import MIGRATIONS_DIR, Database, upgrade
from casework.service import Invalid
from tests.casework.conftest import Env

AT = datetime(2026, 12, 7, 9, 0)


def _downgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    command.downgrade(cfg, revision)


def test_the_upgrade_gives_existing_users_their_district_as_a_set(backend: str) -> None:
    upgrade(backend)
    _downgrade(backend, "0004")  # users as the service before 0005 wrote them: one district column
    db = Database(backend)
    try:
        with db.write() as conn:
            for name, district in (("old-dispatcher", "140602"), ("old-team", "140603"), ("old-operator", None)):
                conn.execute(text("INSERT INTO users (username, password_hash, role, display_name, district_code, "
                                  "grid_codes, active, created_at) VALUES (:n, 'x', 'dispatcher', '', :d, '[]', "
                                  ":a, :t)"), {"n": name, "d": district, "a": True, "t": AT})
        upgrade(backend)
        with db.read() as conn:
            rows = conn.execute(text("SELECT u.username, d.district_code FROM user_districts d "
                                     "JOIN users u ON u.id = d.user_id ORDER BY u.username")).fetchall()
        assert [tuple(r) for r in rows] == [("old-dispatcher", "140602"), ("old-team", "140603")]
    finally:
        db.dispose()


def test_only_a_survey_team_may_have_several_districts(backend: str) -> None:
    upgrade(backend)
    db = Database(backend)
    try:
        team = create_user(db, "team-two", "password-1", "survey_team", at=AT, district_codes=["140603", "140602"])
        assert team.district_codes == ["140602", "140603"] and team.district_code == "140603"  # home: the first
        with pytest.raises(Invalid, match="only a survey_team may have several districts"):
            create_user(db, "dispatcher-two", "password-1", "dispatcher", at=AT, district_code="140602",
                        district_codes=["140603"])
        with pytest.raises(Invalid, match="a survey_team user needs at least one district"):
            create_user(db, "team-none", "password-1", "survey_team", at=AT)
        one = create_user(db, "dispatcher-one", "password-1", "dispatcher", at=AT, district_code="140602",
                          district_codes=["140602"])  # the same district twice is one district
        assert one.district_codes == ["140602"]
        with db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM users WHERE username = 'dispatcher-two'")).scalar() == 0
    finally:
        db.dispose()


def test_the_admin_api_creates_and_lists_a_team_of_two_districts(env: Env) -> None:
    r = env.client.post("/users", headers=env.h("admin"), json={
        "username": "team-api", "password": "password-1", "role": "survey_team", "district_code": "140602",
        "district_codes": ["140603"]})
    assert r.status_code == 201, r.text
    assert r.json()["district_codes"] == ["140602", "140603"] and r.json()["district_code"] == "140602"
    listed = {u["username"]: u for u in env.client.get("/users", headers=env.h("admin")).json()}
    assert listed["team-api"]["district_codes"] == ["140602", "140603"]
    assert listed["dispatcher_sc"]["district_codes"] == ["140602"]
    r = env.client.post("/users", headers=env.h("admin"), json={
        "username": "sup-api", "password": "password-1", "role": "supervisor", "district_codes": ["140602", "140603"]})
    assert r.status_code == 422 and "only a survey_team" in r.text
    r = env.client.post("/users", headers=env.h("admin"), json={
        "username": "team-bad", "password": "password-1", "role": "survey_team", "district_codes": ["朔城区"]})
    assert r.status_code == 422 and "district_codes" in r.text
