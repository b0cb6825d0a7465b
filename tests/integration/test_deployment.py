"""The README's deployment holds: the PostgreSQL role it grants records steps and may not
rewrite events; behind a proxy the throttle counts the client's address."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from app import create_app
from app.persistence.database import make_engine, make_session_factory
from app.persistence.models import Base, SignInAttempt
from app.services import auth, tokens
from app.services.audit import verify_audit
from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.groups import change_members, create_group
from tests.conftest import PASSWORD, REPO
from tests.integration.conftest import FI_TO_DEPOSIT, POSTGRES_ONLY, open_walked
from tests.web.conftest import csrf_token, post


def readme_grants() -> str:
    """The SQL block of the README's deployment section, as an operator would run it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```sql\n(-- as tracker_owner.*?)```", readme, re.S)
    assert found, "the README's deployment section has no SQL block of grants"
    return found.group(1)


@pytest.fixture
def app_role(migrated_url: str, tracker: Tracker) -> Iterator[str]:
    """A URL of the same database as the README's tracker_app role (made here, dropped after)."""
    parsed = make_url(migrated_url)
    schema = str(parsed.query["options"]).removeprefix("-csearch_path=")
    role = f"app_{uuid.uuid4().hex[:12]}"
    sql = readme_grants().replace("tracker_app", role).replace("SCHEMA public", f"SCHEMA {schema}")
    sql = sql.replace(" PASSWORD 'change me'", "")
    owner = make_engine(migrated_url)
    with owner.begin() as conn:
        conn.execute(text(sql))
    try:
        yield parsed.set(username=role).render_as_string(hide_password=False)
    finally:
        with owner.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}; DROP ROLE {role}"))
        owner.dispose()


@POSTGRES_ONLY
def test_the_readme_role_records_steps_and_cannot_rewrite_events(
    app_role: str, tracker: Tracker
) -> None:
    engine = make_engine(app_role)
    server = Tracker(make_session_factory(engine), tracker.load_registry, today=tracker.today)
    reference = open_walked(server, FI_TO_DEPOSIT[:2])  # an INSERT of events, an UPDATE of cases
    advance(server, reference, "adopt", "2025-06-19", "clerk", evidence=dict(FI_TO_DEPOSIT[2][2]))
    assert auth.sign_in(server, "clerk", PASSWORD, "192.0.2.1").name == "clerk"
    token = tokens.create_token(server, "clerk")
    assert tokens.token_user(server, token) is not None
    others = [open_case(server, c, "apmbc", "clerk").reference for c in ("DK", "NO")]
    create_group(server, "Nordic", [reference, others[0]], "clerk")
    group = change_members(server, "nordic", "clerk", add=[others[1]], remove=[others[0]])
    assert len(group.changes) == 2  # an INSERT of changes, a DELETE of a membership
    for statement in (
        "UPDATE events SET comment = 'rewritten'",
        "DELETE FROM events",
        "TRUNCATE events CASCADE",
        "DROP TABLE events CASCADE",
    ):
        with pytest.raises(ProgrammingError) as refused, engine.begin() as conn:
            conn.execute(text(statement))
        assert getattr(refused.value.orig, "sqlstate", None) == "42501", statement
    assert verify_audit(server).intact
    engine.dispose()


def attempts_from(engine: Engine, address: str) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(SignInAttempt)
        return int(conn.scalar(query.where(SignInAttempt.address == address)) or 0)


def test_behind_a_proxy_the_throttle_counts_the_clients_address(
    migrated_url: str, tracker: Tracker, db_engine: Engine, tmp_path: Path
) -> None:
    app = create_app({"DATABASE_URL": migrated_url, "TESTING": True, "PROXY_HOPS": 1})
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"  # set by the proxy
    token = csrf_token(client, "/login")
    post(client, "/login", {"name": "clerk", "password": "a guess"}, token)
    assert attempts_from(db_engine, "203.0.113.9") == 1
    assert attempts_from(db_engine, "127.0.0.1") == 0
    app.extensions["db_engine"].dispose()


def test_the_readme_grants_insert_on_every_table_of_the_schema() -> None:
    """A migration that adds a table and forgets its grant would pass the test above while the
    server, under the README's role, fails on its first write there."""
    granted = re.search(r"GRANT INSERT ON (.*?) TO", readme_grants(), re.S)
    assert granted is not None
    named = {t.strip() for t in granted.group(1).split(",")}
    assert named == set(Base.metadata.tables)
