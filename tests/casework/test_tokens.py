"""Token revocation: logout and an administrator revoking a user's tokens. The service caches token lookups
per process, so these tests also check that the cache never lets a revoked token through — in the process that
revoked it at once, in another process serving the same database within the epoch check interval."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from casework.api.deps import EPOCH_CHECK_SECONDS, TokenCache
from casework.app import create_app
from casework.service import Actor
from szcg.settings import load_settings
from tests.casework.conftest import PASSWORD, Env


def login(client: TestClient, user: str) -> dict[str, str]:
    r = client.post("/auth/token", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def refused(r: Any) -> bool:
    return bool(r.status_code == 401 and r.json()["code"] == "invalid_token")


def test_logout_revokes_only_the_token_it_was_sent_with(env: Env) -> None:
    first, second = login(env.client, "evaluator"), login(env.client, "evaluator")
    assert env.client.get("/tasks", headers=first).status_code == 200  # now cached
    assert env.client.post("/auth/logout", headers=first).status_code == 204
    assert refused(env.client.get("/tasks", headers=first))
    assert refused(env.client.post("/auth/logout", headers=first))
    assert env.client.get("/tasks", headers=second).status_code == 200


def test_an_admin_revokes_every_token_of_a_user(env: Env) -> None:
    tokens = [login(env.client, "dispatcher_pl") for _ in range(2)]
    for h in tokens:
        assert env.client.get("/tasks", headers=h).status_code == 200
    r = env.client.post("/users/dispatcher_pl/revoke-tokens", headers=env.h("admin"))
    assert r.status_code == 200 and r.json() == {"username": "dispatcher_pl", "revoked": 3}  # + the fixture's
    for h in tokens:
        assert refused(env.client.get("/tasks", headers=h))
    r = env.client.post("/users/dispatcher_pl/revoke-tokens", headers=env.h("admin"))
    assert r.json()["revoked"] == 0  # nothing live is left
    assert env.client.get("/tasks", headers=login(env.client, "dispatcher_pl")).status_code == 200  # may log in
    assert env.client.get("/tasks", headers=env.h("dispatcher")).status_code == 200  # other users untouched


def test_only_an_admin_revokes_and_only_known_users(env: Env) -> None:
    r = env.client.post("/users/operator/revoke-tokens", headers=env.h("leader"))
    assert r.status_code == 403
    r = env.client.post("/users/nobody/revoke-tokens", headers=env.h("admin"))
    assert r.status_code == 404 and r.json()["code"] == "unknown_user"
    assert env.client.get("/tasks", headers=env.h("operator")).status_code == 200


def test_another_process_refuses_a_revoked_token_within_the_epoch_interval(env: Env) -> None:
    """Two apps on one database stand for two uvicorn workers, each with its own token cache."""
    settings = replace(load_settings(), casework_db_url=env.client.app.state.service.db.url)  # type: ignore[attr-defined]
    other = TestClient(create_app(settings, standards=env.standards, now=env.clock, migrate=False))
    try:
        h = login(env.client, "sanitation")
        assert other.get("/tasks", headers=h).status_code == 200  # cached in the other process
        assert env.client.post("/auth/logout", headers=h).status_code == 204
        time.sleep(EPOCH_CHECK_SECONDS + 0.2)
        assert refused(other.get("/tasks", headers=h))
        assert other.get("/tasks", headers=env.h("water")).status_code == 200
    finally:
        other.app.state.service.db.dispose()  # type: ignore[attr-defined]


def test_a_lookup_that_raced_with_a_revocation_is_not_cached() -> None:
    cache = TokenCache()
    actor = Actor("someone", "operator")
    generation = cache.generation  # a lookup starts reading the token row…
    cache.clear()  # …a revocation lands meanwhile…
    cache.put("key", actor, 30, generation)  # …and the lookup's (possibly stale) answer is dropped
    assert cache.get("key") is None
    cache.put("key", actor, 30, cache.generation)
    assert cache.get("key") == actor
    cache.observe(5)  # first sight of the epoch: nothing to drop
    assert cache.get("key") == actor
    cache.observe(6)  # it moved: another process revoked something
    assert cache.get("key") is None
