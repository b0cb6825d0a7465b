"""A database that takes no writes (a read-only file, a role that may only read, a full disk):
every page and API read keeps working, every write is a clear 503 that records nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

from app import create_app
from app.domain.errors import Unavailable
from app.persistence.database import make_engine, make_session_factory
from app.persistence.models import ApiToken
from app.services import tokens
from app.services.cases import advance
from app.services.context import Tracker
from tests.web.conftest import LV, PRACTICE, SignIn, html_of, post

SUBMIT = {"trigger": "submit_to_parliament", "occurred_on": "2026-02-01", "evidence.bill": "7"}
READS = ("/", "/cases", f"/cases/{LV}", "/audit", "/dashboard")
API_READS = ("/api/v1/cases", f"/api/v1/cases/{LV}", "/api/v1/pending", "/api/v1/events")


@contextmanager
def read_only_url(url: str) -> Iterator[str]:
    """The same database, opened so that it refuses every write: a SQLite file opened
    read-only, or a PostgreSQL role that may only SELECT (made here, dropped afterwards)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        yield f"sqlite:///file:{parsed.database}?mode=ro&uri=true"
        return
    role = f"reader_{uuid.uuid4().hex[:12]}"
    schema = str(parsed.query["options"]).removeprefix("-csearch_path=")
    admin = make_engine(url)
    grant = f'GRANT USAGE ON SCHEMA "{schema}" TO {role}; '
    grant += f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}'
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN; {grant}"))
    try:
        yield parsed.set(username=role).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}; DROP ROLE {role}"))
        admin.dispose()


@pytest.fixture
def read_only(app: Flask, seeded: Tracker, migrated_url: str) -> Iterator[Flask]:
    """A second server on the same data, whose database refuses writes; it shares the first
    one's secret key, so a session cookie of one is good on the other."""
    with read_only_url(migrated_url) as url:
        config = {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"]}
        other = create_app(config)
        other.extensions["tracker"].today = seeded.today
        yield other
        other.extensions["db_engine"].dispose()


def moved_to(app: Flask, client: FlaskClient) -> FlaskClient:
    cookie = client.get_cookie("session")
    assert cookie is not None
    moved = app.test_client()
    moved.set_cookie("session", cookie.value)
    return moved


def test_pages_read_and_writes_are_a_503(
    read_only: Flask, signed_in: SignIn, seeded: Tracker
) -> None:
    clerk = moved_to(read_only, signed_in("clerk"))
    for url in READS:
        assert clerk.get(url).status_code == 200, url
    response = post(clerk, f"/cases/{PRACTICE}/steps", SUBMIT)
    assert response.status_code == 503
    assert "takes no writes now" in html_of(response)
    assert clerk.get(f"/cases/{PRACTICE}").status_code == 200


def test_sign_in_needs_a_writable_database_and_says_so(read_only: Flask) -> None:
    client = read_only.test_client()
    response = post(client, "/login", {"name": "clerk", "password": "whatever it is"})
    assert response.status_code == 503
    assert "takes no writes now" in html_of(response)


def test_api_reads_with_a_token_and_writes_are_a_503_in_json(
    read_only: Flask, seeded: Tracker
) -> None:
    token = tokens.create_token(seeded, "clerk")
    client = read_only.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for url in API_READS:
        assert client.get(url, headers=headers).status_code == 200, url
    assert client.get("/calendar.ics", query_string={"token": token}).status_code == 200
    body = {"trigger": "submit_to_parliament", "occurred_on": "2026-02-01", "evidence": {}}
    response = client.post(f"/api/v1/cases/{PRACTICE}/events", json=body, headers=headers)
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["error"]["code"] == "unavailable"
    assert "nothing was recorded" in response.json["error"]["message"]


def last_used(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT last_used_at FROM api_tokens")).scalars())


def test_a_token_read_writes_its_last_use_at_most_once_per_precision(
    app: Flask, tracker: Tracker, db_engine: Engine
) -> None:
    token = tokens.create_token(tracker, "viewer")
    statements: list[str] = []
    event.listen(db_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for _ in range(3):
        assert tokens.token_user(tracker, token) is not None
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1, updates
    with tracker.transaction() as session:  # the last use was longer ago than the precision
        row = session.query(ApiToken).one()
        row.last_used_at = row.last_used_at - tokens.LAST_USED_PRECISION - timedelta(minutes=1)
    before = last_used(db_engine)
    assert tokens.token_user(tracker, token) is not None
    assert last_used(db_engine)[0] > before[0]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_full_sqlite_database_keeps_reading_and_refuses_writes(
    seeded: Tracker, migrated_url: str
) -> None:
    engine = make_engine(migrated_url)

    @event.listens_for(engine, "connect")
    def no_room(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    full = Tracker(make_session_factory(engine), seeded.load_registry, today=seeded.today)
    token = tokens.create_token(seeded, "clerk")
    assert tokens.token_user(full, token) is not None
    advance(seeded, PRACTICE, "submit_to_parliament", "2026-02-01", "clerk")
    with pytest.raises(Unavailable, match="nothing was recorded"):
        for n in range(200):  # until the last free page is used
            evidence = {"chamber": "Saeima", "reading": str(n + 1)}
            advance(full, PRACTICE, "record_reading", "2026-02-01", "clerk",
                    comment="x" * 4000, evidence=evidence)  # fmt: skip
    engine.dispose()
