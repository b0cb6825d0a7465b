"""The case row's projection: written with every event, read by lists, pending steps and the
sweep without replaying history, back-filled by its migration, and checked by `audit verify`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from app.domain.clock import parse_span
from app.persistence.migrate import downgrade, upgrade
from app.services.audit import verify_audit
from app.services.cases import NewStep, Writing, advance, open_case, record_step, sweep
from app.services.context import Tracker
from app.services.demo import seed_demo
from app.services.queries import pending
from app.services.recording import case_workflow, projected_state
from app.services.users import active_user
from app.services.views import load_case
from tests.conftest import MIGRATIONS, Today
from tests.integration.conftest import FI_TO_DEPOSIT, TAKES_EFFECT, open_walked

PROJECTION = (
    "state, kind, final, event_count, began_on, deposited_on, period_ends_on, effective_on, "
    "effective_basis, next_on, next_what, next_trigger, clock_state"
)


SPAN = parse_span("2025-02-01")


def projections(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT reference, {PROJECTION} FROM cases"))
        return {r[0]: tuple(r[1:]) for r in rows}


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` meanwhile."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_migration_back_fills_the_projection_that_every_event_writes(
    tracker: Tracker, db_engine: Engine, migrated_url: str
) -> None:
    seed_demo(tracker)
    open_walked(tracker)
    written = projections(db_engine)
    assert written["LV-APMBC-2025"][:4] == ("effective", "withdrawal", True, 7)
    assert written["UA-APMBC-2025"][1] == "suspension_claim"

    downgrade(MIGRATIONS, migrated_url, "0003")
    upgrade(MIGRATIONS, migrated_url)

    assert projections(db_engine) == written
    assert verify_audit(tracker).intact


@pytest.mark.parametrize(
    ("column", "changed_to", "replayed"),
    [
        ("next_on", date(2027, 1, 10), "2026, 1, 10"),  # deposited 2025-07-10: effect 2026-01-10
        ("given_began_on", date(2024, 1, 1), "2025, 4, 1"),  # the start its opener gave
    ],
)
def test_audit_verify_names_a_projection_changed_behind_the_applications_back(
    tracker: Tracker, db_engine: Engine, column: str, changed_to: date, replayed: str
) -> None:
    reference = open_walked(tracker)
    assert verify_audit(tracker).intact
    with db_engine.begin() as conn:
        conn.execute(
            text(f"UPDATE cases SET {column} = :day WHERE reference = :ref"),
            {"day": changed_to, "ref": reference},
        )

    result = verify_audit(tracker)

    assert result.first_break is not None
    assert result.first_break.case_reference == reference
    assert column in result.first_break.problem and replayed in result.first_break.problem


def test_pending_runs_the_same_statements_for_ten_cases_as_for_forty(
    tracker: Tracker, db_engine: Engine
) -> None:
    for country in ("FI", "EE", "LT", "DK", "SE", "DE", "FR", "IT", "ES", "PT"):
        open_walked(tracker, country=country)
    pending(tracker)  # the workflows' stored definitions are read once, then kept
    with statements(db_engine) as ten:
        assert len(pending(tracker)) == 10
    for country in ("NL", "BE", "AT", "CZ", "SK", "HU", "RO", "BG", "GR", "CY") * 3:
        open_case(tracker, country, "apmbc", "clerk", allow_duplicate=True)
    with statements(db_engine) as forty:
        assert len(pending(tracker)) == 40
    assert len(forty) == len(ten) <= 6


def test_a_step_on_a_long_history_runs_as_many_statements_as_on_a_short_one(
    tracker: Tracker, db_engine: Engine
) -> None:
    short = open_walked(tracker, steps=FI_TO_DEPOSIT[:1])
    long = open_walked(tracker, country="EE", steps=FI_TO_DEPOSIT[:1])
    for n in range(2, 40):
        advance(tracker, long, "record_reading", "2025-06-10", "clerk",
                evidence={"chamber": "Riigikogu", "reading": n})  # fmt: skip
    reading = {"chamber": "Eduskunta", "reading": "1"}
    with statements(db_engine) as on_short:
        advance(tracker, short, "record_reading", "2025-06-10", "clerk", evidence=reading)
    with statements(db_engine) as on_long:
        advance(tracker, long, "record_reading", "2025-06-10", "clerk", evidence=reading)
    assert len(on_long) == len(on_short)


def test_the_sweep_reads_the_projection_and_keeps_it_equal_to_the_replay(
    tracker: Tracker, today: Today
) -> None:
    reference = open_walked(tracker)
    today.day = date(2026, 1, 9)
    assert sweep(tracker) == []
    today.day = date(2026, 1, 10)
    assert sweep(tracker) == [
        {"case": reference, "trigger": "take_effect", "label": TAKES_EFFECT, "on": "2026-01-10"}
    ]
    assert pending(tracker) == []
    assert verify_audit(tracker).intact


def test_a_rolled_back_savepoint_leaves_the_case_row_as_stored(tracker: Tracker) -> None:
    """The advance writes the case row by statement, not through the unit of work: a savepoint
    that rolls back must still leave the row object as the database has it (the sweep's and
    the import's savepoints rely on it)."""
    reference = open_case(tracker, "FI", "apmbc", "clerk").reference
    with tracker.transaction() as session:
        row = load_case(session, reference)
        stored = (row.version, row.event_count, row.last_hash, row.state)
        with session.begin_nested() as savepoint:
            writing = Writing(row, case_workflow(tracker, session, row), projected_state(row))
            user = active_user(session, "clerk")
            record_step(tracker, session, writing, user, NewStep("submit_to_parliament", SPAN))
            assert row.event_count == stored[1] + 1
            savepoint.rollback()
        assert (row.version, row.event_count, row.last_hash, row.state) == stored
    advance(tracker, reference, "submit_to_parliament", "2025-02-01", "clerk")  # nothing stale
    assert verify_audit(tracker).intact
