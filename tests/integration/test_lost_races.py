"""A lost race is told by the unique constraint that failed, named by PostgreSQL, or found from
SQLite's columns; a constraint no concurrent writer can win is not taken for one that can."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from app.domain.errors import Conflict
from app.persistence.database import violated_constraint
from app.persistence.models import Base
from app.services.context import Tracker
from app.services.users import create_user


def broken_constraint(engine: Engine, statement: str) -> str | None:
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text(statement))
    return violated_constraint(caught.value, Base.metadata)


def add_group(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO case_groups (slug, name, note, created_by_id, created_at) "
            "SELECT 'baltic', 'Baltic', '', id, created_at FROM users LIMIT 1"
        ))  # fmt: skip


def test_each_unique_constraint_is_named(tracker: Tracker, db_engine: Engine) -> None:
    create_user(tracker, "ana", "clerk", "a long enough password")
    copy_user = (
        "INSERT INTO users (name, role, password_hash, active, created_at) "
        "SELECT name, role, password_hash, active, created_at FROM users WHERE name = 'ana'"
    )
    assert broken_constraint(db_engine, copy_user) == "uq_users_name"
    add_group(db_engine)
    copy_group = (
        "INSERT INTO case_groups (slug, name, note, created_by_id, created_at) "
        "SELECT 'other', name, note, created_by_id, created_at FROM case_groups"
    )
    assert broken_constraint(db_engine, copy_group) == "uq_case_groups_name"


def test_only_a_race_a_writer_can_lose_becomes_a_conflict(
    tracker: Tracker, db_engine: Engine
) -> None:
    create_user(tracker, "ana", "clerk", "a long enough password")
    lost = pytest.raises(Conflict, match="a user with this name was created meanwhile")
    with lost, tracker.transaction() as session:
        session.execute(text(
            "INSERT INTO users (name, role, password_hash, active, created_at) "
            "SELECT name, role, password_hash, active, created_at FROM users"
        ))  # fmt: skip
    add_group(db_engine)
    # a group's name holds "name" too: the words of the message once took it for a user's
    with pytest.raises(IntegrityError), tracker.transaction() as session:
        session.execute(text(
            "INSERT INTO case_groups (slug, name, note, created_by_id, created_at) "
            "SELECT 'other', name, note, created_by_id, created_at FROM case_groups"
        ))  # fmt: skip
