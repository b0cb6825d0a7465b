"""A PostgreSQL server that closed the tracker's connections (a restart, an administrator's
terminate) costs no request: the next token read and the next write are answered, on new
connections, without a 503."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import Engine, text

from app.services import tokens
from app.services.context import Tracker
from tests.web.conftest import PRACTICE

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
STEP = {"trigger": "submit_to_parliament", "occurred_on": "2026-02-01", "evidence": {}}
BACKEND = text("SELECT pg_backend_pid()")


def _pooled_backends(engine: Engine) -> set[int]:
    """The server processes of every connection now idle in `engine`'s pool."""
    held = [engine.connect() for _ in range(engine.pool.checkedin())]  # type: ignore[attr-defined]
    try:
        return {int(c.execute(BACKEND).scalar_one()) for c in held}
    finally:
        for connection in held:
            connection.close()


def _close_from_the_server(admin: Engine, backends: set[int]) -> None:
    """Terminate `backends` as a restart does, and wait until they are gone (their goodbye
    sent and their sockets closed)."""
    with admin.connect() as conn:
        for pid in backends:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": list(backends)},
            ).scalar_one()
            if alive == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"backends {backends} still alive")


def test_requests_after_the_server_closed_the_pool_are_answered(
    app: Flask, practice: Tracker, db_engine: Engine
) -> None:
    token = tokens.create_token(practice, "clerk")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/cases/{PRACTICE}", headers=headers).status_code == 200
    engine: Engine = app.extensions["db_engine"]
    before = _pooled_backends(engine)
    assert before, "the app keeps its connections in a pool"
    _close_from_the_server(db_engine, before)

    read = client.get(f"/api/v1/cases/{PRACTICE}", headers=headers)
    assert read.status_code == 200, read.get_json()
    written = client.post(f"/api/v1/cases/{PRACTICE}/events", json=STEP, headers=headers)
    assert written.status_code == 201, written.get_json()
    assert written.get_json()["state"] == "parliament"
    assert _pooled_backends(engine).isdisjoint(before)
