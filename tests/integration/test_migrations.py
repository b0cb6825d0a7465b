"""The schema: Alembic round trip, models and migrations agree, events are append-only in the
database itself, the app refuses an un-migrated database, SQLite's settings."""

from __future__ import annotations

import warnings
from datetime import date
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app import create_app
from app.domain.loader import Registry
from app.persistence.database import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_session_factory
from app.persistence.migrate import (
    SchemaNotCurrent,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from app.persistence.models import POLLED, POLLED_ON_SQLITE, Base, CaseGroup
from app.services.audit import verify_audit
from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.groups import get_group
from app.services.queries import get_case
from app.services.users import create_user
from tests.conftest import MIGRATIONS, TODAY, copy_demo
from tests.integration.conftest import SQLITE_ONLY, event_count, open_walked

APP_TABLES = {"users", "cases", "events"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _system_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM users WHERE name = 'system'")).scalar_one()
        )


def test_upgrade_downgrade_upgrade_round_trip(db_url: str, registry: Registry) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(MIGRATIONS, db_url)
        assert current_revision(engine) == head_revision(MIGRATIONS)
        assert _tables(engine) >= APP_TABLES

        downgrade(MIGRATIONS, db_url, "base")
        assert current_revision(engine) is None
        assert _tables(engine) == set()

        upgrade(MIGRATIONS, db_url)
        assert current_revision(engine) == head_revision(MIGRATIONS)
        assert _tables(engine) >= APP_TABLES
        assert _system_users(engine) == 1

        # The re-created schema works, append-only triggers included.
        tracker = Tracker(make_session_factory(engine), lambda: registry, today=lambda: TODAY)
        create_user(tracker, "clerk", "clerk", "correct horse battery")
        reference = open_case(tracker, "EE", "apmbc", "clerk", began_on=date(2025, 4, 24)).reference
        advance(tracker, reference, "submit_to_parliament", "2025-04-24", "clerk")
        assert get_case(tracker, reference).state.state == "parliament"
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("UPDATE events SET comment = 'edited'"))
    finally:
        engine.dispose()


def test_models_and_migrations_agree(db_engine: Engine) -> None:
    with db_engine.connect() as conn, warnings.catch_warnings():
        # SQLite's indexes on expressions are not reflected, so not compared: checked by name
        warnings.filterwarnings("ignore", ".*expression-based index")
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        if db_engine.dialect.name == "sqlite":
            stored = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'")))
            assert "ix_cases_pending_by_date" in stored
            differences = [d for d in differences if not _polled_on_sqlite(conn, d)]
    assert differences == []


def _polled_on_sqlite(conn: Any, difference: Any) -> bool:
    """Whether `difference` is one of the calendar window's indexes, which carry POLLED on
    SQLite only (models.POLLED_ON_SQLITE): the model's columns, then the polled ones."""
    action, index = difference if isinstance(difference, tuple) else (None, None)
    if action not in ("add_index", "remove_index") or index.name not in POLLED_ON_SQLITE:
        return False
    stored = [r[2] for r in conn.execute(text(f"PRAGMA index_info('{index.name}')"))]
    (modelled,) = (i for i in Base.metadata.tables["cases"].indexes if i.name == index.name)
    model = [c.name for c in modelled.columns]
    return stored == model + [c for c in POLLED if c not in model]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET comment = 'edited', occurred_on = '2025-01-01'",
        "DELETE FROM events",
    ],
    ids=["update", "delete"],
)
def test_database_refuses_to_change_or_delete_events(
    tracker: Tracker, db_engine: Engine, statement: str
) -> None:
    reference = open_walked(tracker)
    before = [h.to_json() for h in get_case(tracker, reference).history]

    with pytest.raises(DBAPIError, match="append-only"), db_engine.begin() as conn:
        conn.execute(text(statement))

    assert event_count(db_engine, reference) == len(before)
    assert [h.to_json() for h in get_case(tracker, reference).history] == before


def test_database_refuses_an_event_of_no_case(tracker: Tracker, db_engine: Engine) -> None:
    open_walked(tracker, steps=[])
    with pytest.raises(IntegrityError), db_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (case_id, seq, trigger, from_state, to_state, "
                "occurred_on, recorded_at, actor_id, comment, evidence, prev_hash, hash) "
                "VALUES (9999, 1, 'adopt', 'parliament', 'presidential_signature', "
                "'2025-01-01', CURRENT_TIMESTAMP, 1, '', '{}', :zero, :zero)"
            ),
            {"zero": "0" * 64},
        )


def test_app_refuses_an_unmigrated_database_and_names_the_fix(db_url: str) -> None:
    config = {"DATABASE_URL": db_url, "SECRET_KEY": "k" * 32}  # production refuses less
    with pytest.raises(SchemaNotCurrent, match="flask --app app db upgrade"):
        create_app(config)

    upgrade(MIGRATIONS, db_url)
    downgrade(MIGRATIONS, db_url, "base")
    with pytest.raises(SchemaNotCurrent, match="flask --app app db upgrade"):
        create_app(config)

    upgrade(MIGRATIONS, db_url)
    app = create_app(config)  # at head: starts
    app.extensions["db_engine"].dispose()


@SQLITE_ONLY
def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert busy == SQLITE_BUSY_TIMEOUT_MS
    assert busy >= 5000


@SQLITE_ONLY
def test_0010_rewrites_the_projection_an_older_version_left(
    db_engine: Engine, db_url: str, demo_rows: dict[str, list[dict[str, Any]]], registry: Registry
) -> None:
    # A database as the previous version left it: the parked law without its next date, and
    # clock_state without the fields the projection has since.
    copy_demo(db_engine, demo_rows)
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE cases SET next_on = NULL, next_what = NULL, next_trigger = NULL"
                          " WHERE reference = 'LV-ISTANBUL-2025'"))  # fmt: skip
        conn.execute(text("UPDATE cases SET clock_state = json_remove(clock_state, "
                          "'$.next_step_on', '$.follows_on', '$.follows_basis')"))  # fmt: skip
    downgrade(MIGRATIONS, db_url, "0009")
    tracker = Tracker(make_session_factory(db_engine), lambda: registry, today=lambda: TODAY)
    assert parked_next_on(db_engine) is None  # the row differs from the replay of its events

    upgrade(MIGRATIONS, db_url)

    assert verify_audit(tracker).intact
    assert str(parked_next_on(db_engine)) == "2026-11-01"  # the Saeima committee's (facts, 9)


def parked_next_on(engine: Engine) -> object:
    with engine.connect() as conn:
        query = text("SELECT next_on FROM cases WHERE reference = 'LV-ISTANBUL-2025'")
        return conn.execute(query).scalar_one()


def test_0011_gives_each_group_its_making_as_its_first_change(
    db_engine: Engine, db_url: str, demo_rows: dict[str, list[dict[str, Any]]], registry: Registry
) -> None:
    copy_demo(db_engine, demo_rows)
    downgrade(MIGRATIONS, db_url, "0010")  # groups without a record of their changes
    upgrade(MIGRATIONS, db_url)
    tracker = Tracker(make_session_factory(db_engine), lambda: registry, today=lambda: TODAY)
    baltic = get_group(tracker, "baltic-deposit-27-june-2025")
    (making,) = baltic.changes
    assert making.added == ("EE-APMBC-2025", "LT-APMBC-2025", "LV-APMBC-2025")
    assert (making.removed, making.changed_by) == ((), baltic.created_by)
    with tracker.snapshot() as session:
        made_at = session.scalar(select(CaseGroup.created_at).where(CaseGroup.slug == baltic.slug))
    assert making.changed_at == made_at


def test_0013_gives_each_case_the_start_its_opener_gave(
    db_engine: Engine, db_url: str, demo_rows: dict[str, list[dict[str, Any]]], registry: Registry
) -> None:
    copy_demo(db_engine, demo_rows)
    downgrade(MIGRATIONS, db_url, "0012")  # the day lived only in the opening event
    upgrade(MIGRATIONS, db_url)
    tracker = Tracker(make_session_factory(db_engine), lambda: registry, today=lambda: TODAY)
    with db_engine.connect() as conn:
        given = dict(conn.execute(text("SELECT reference, given_began_on FROM cases")).all())
    assert str(given["US-UNFCCC-2026"]) == "2026-01-07"  # the memorandum; no step recorded
    assert sum(1 for day in given.values() if day is not None) > 20  # the demo's openers gave
    assert verify_audit(tracker).intact
