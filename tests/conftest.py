"""Shared fixtures: the shipped workflows, a migrated database per test (SQLite, and PostgreSQL
when TEST_DATABASE_URL is set), a Tracker with an injected "today", staff users, the Flask app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.domain.loader import Registry, load_registry
from app.persistence.database import make_engine, make_session_factory
from app.persistence.migrate import upgrade
from app.persistence.models import Base
from app.services import users
from app.services.case_filter import CaseFilter
from app.services.case_list import every_case
from app.services.context import Tracker
from app.services.demo import seed_demo
from app.services.users import create_user

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / "workflows"
MIGRATIONS = REPO / "migrations"
TODAY = date(2026, 11, 27)
PASSWORD = "correct horse battery"
BACKENDS = ("sqlite", "postgresql")


class ClosingClient(FlaskClient):
    """Flask's test client, reading every response to its end and closing it, as a WSGI server
    does. A streamed response (the calendar, the exports) that a test only checks the status of
    would otherwise be closed by the garbage collector later, inside whatever request then runs in
    that process (another test's, or a browser test's live server), and its request context would
    pop that request's: "Working outside of request context", or a lost session and a CSRF 400."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


Flask.test_client_class = ClosingClient


def postgres_url() -> str | None:
    """TEST_DATABASE_URL, or a skip (a failure in CI, where PostgreSQL tests must run)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("CI must set TEST_DATABASE_URL so that the PostgreSQL tests run")
    pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+psycopg:///test)")
    return None


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its production cost takes ~0.2 s a hash; tests that are not about hashing
    use the same algorithm at the lowest cost (a dedicated test checks the real parameters)."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(WORKFLOWS)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL on a new PostgreSQL schema, dropped afterwards."""
    base = postgres_url()
    assert base is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(MIGRATIONS, db_url)
    return db_url


@pytest.fixture
def db_engine(migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


class Today:
    """A settable "today" for the services: tests move it to see the clock act."""

    def __init__(self, day: date = TODAY) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


@pytest.fixture
def today() -> Today:
    return Today()


@pytest.fixture
def tracker(db_engine: Engine, registry: Registry, today: Today) -> Tracker:
    """Services on the migrated database, with users viewer, clerk and admin."""
    t = Tracker(make_session_factory(db_engine), lambda: registry, today=today)
    for role in ("viewer", "clerk", "admin"):
        create_user(t, role, role, PASSWORD)
    return t


DEMO_TABLES = ("workflow_definitions", "cases", "events", "case_groups", "case_group_members",
               "case_group_changes")  # fmt: skip


@pytest.fixture(scope="session")
def demo_rows(
    tmp_path_factory: pytest.TempPathFactory, registry: Registry
) -> dict[str, list[dict[str, Any]]]:
    """The demo data, seeded once per test run through the services, as rows to copy into a
    test's database (seeding each test anew cost most of the suite's time)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    upgrade(MIGRATIONS, url)
    engine = make_engine(url)
    seed_demo(Tracker(make_session_factory(engine), lambda: registry, today=Today()))
    with engine.connect() as conn:
        rows = {
            name: [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]
            for name in DEMO_TABLES
            for table in (Base.metadata.tables[name],)
        }
    engine.dispose()
    return rows


def copy_demo(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert the seeded demo rows as they are (the same ids: every event is the system
    user's, id 1 in every migrated database); as `seed_demo` would leave the database."""
    with engine.begin() as conn:
        for name in DEMO_TABLES:
            conn.execute(insert(Base.metadata.tables[name]), rows[name])
            if conn.dialect.name == "postgresql":
                sequence = f"pg_get_serial_sequence('{name}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {name}"))


@pytest.fixture
def app(migrated_url: str, tracker: Tracker, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The Flask app on the same database as `tracker` (whose users it sees); its checkpoint
    key and log are under tmp_path, never the repository's instance/."""
    flask_app = create_app(
        {
            "DATABASE_URL": migrated_url,
            "TESTING": True,
            "CHECKPOINT_KEY_FILE": tmp_path / "checkpoint_key",
            "CHECKPOINT_LOG_FILE": tmp_path / "checkpoints.jsonl",
            "DOCUMENTS_PATH": tmp_path / "documents",
        }
    )
    flask_app.extensions["tracker"].today = tracker.today
    yield flask_app
    flask_app.extensions["db_engine"].dispose()


@pytest.fixture
def cli(app):  # type: ignore[no-untyped-def]
    """Click's runner; `result.stderr` holds what a command wrote to stderr."""
    return app.test_cli_runner()


def all_cases(tracker: Tracker, **narrowed: Any) -> list[dict[str, Any]]:
    """Every case, practice ones too, as the cases list gives them (by reference); `narrowed`
    as the list's filters (treaty, country, stage...)."""
    return list(every_case(tracker, CaseFilter(practice=None, **narrowed)))
