"""Events edited behind the application's back (append-only triggers switched off first) are
found by `audit verify`, in the service and on the command line, naming the case and event."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, Table, delete, select, update

from app.persistence.models import Case, Event
from app.services.audit import verify_audit
from app.services.context import Tracker
from app.services.demo import seed_demo
from tests.integration.conftest import open_walked

EVENTS = cast(Table, Event.__table__)
CASES = cast(Table, Case.__table__)


def _switch_off_append_only(conn: Any, action: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS events_no_{action}")
    else:
        conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER events_append_only")


def _event(reference: str, seq: int) -> Any:
    case_id = select(CASES.c.id).where(CASES.c.reference == reference).scalar_subquery()
    return (EVENTS.c.case_id == case_id) & (EVENTS.c.seq == seq)


def edit_event(engine: Engine, reference: str, seq: int, **values: Any) -> None:
    """UPDATE one stored event directly in the database, as an intruder or a careless DBA."""
    with engine.begin() as conn:
        _switch_off_append_only(conn, "update")
        changed = conn.execute(update(EVENTS).where(_event(reference, seq)).values(**values))
        assert changed.rowcount == 1


def delete_event(engine: Engine, reference: str, seq: int) -> None:
    with engine.begin() as conn:
        _switch_off_append_only(conn, "delete")
        assert conn.execute(delete(EVENTS).where(_event(reference, seq))).rowcount == 1


def audit_verify(cli: FlaskCliRunner) -> Any:
    return cli.invoke(args=["audit", "verify"])


def test_untouched_database_verifies(tracker: Tracker, cli: FlaskCliRunner) -> None:
    seed_demo(tracker)
    open_walked(tracker)

    audit = verify_audit(tracker)
    assert audit.intact
    assert audit.first_break is None
    # Every case has events, its opening at least: 30 real cases, FI-APMBC-2025-2, 49 practice.
    assert audit.cases == 80
    assert audit.events > 40

    result = audit_verify(cli)
    assert result.exit_code == 0, result.stderr
    assert "intact" in result.output
    assert result.stderr == ""


# One edit per case, in reverse order of reference: each new edit is then the first broken
# event `audit verify` must name, and the earlier edits stay broken behind it.
EDITS: list[tuple[str, int, dict[str, Any]]] = [
    ("UA-APMBC-2025", 7, {"evidence": {"objecting_state": "Nobody", "source": "HRW"}}),
    ("PL-APMBC-2025", 6, {"occurred_on": date(2025, 8, 19)}),  # the depositary's receipt
    ("PH-ROME-STATUTE-2018", 2, {"prev_hash": "f" * 64}),
    ("LV-APMBC-2025", 3, {"evidence": {"votes_for": 68, "votes_against": 14, "abstained": 2}}),
    ("LT-APMBC-2025", 2, {"comment": "Nothing happened that day."}),
    ("FI-APMBC-2025", 5, {"to_state": "revoked"}),
    ("EE-APMBC-2025", 4, {"occurred_until": date(2025, 6, 14)}),
    ("BI-ROME-STATUTE-2016", 2, {"occurred_on": date(2017, 10, 26)}),
]


def test_each_edited_event_is_named_first_broken_by_audit_verify(
    tracker: Tracker, db_engine: Engine, cli: FlaskCliRunner, subtests: pytest.Subtests
) -> None:
    seed_demo(tracker)
    assert verify_audit(tracker).intact

    for reference, seq, values in EDITS:
        with subtests.test(msg=f"{reference} event {seq}: {', '.join(values)}"):
            edit_event(db_engine, reference, seq, **values)

            broken = verify_audit(tracker).first_break
            assert broken is not None
            assert (broken.case_reference, broken.seq) == (reference, seq)

            result = audit_verify(cli)
            assert result.exit_code != 0
            assert f"{reference} event {seq}" in result.stderr
            assert len(result.stderr.strip().splitlines()) == 1


def test_an_edit_to_an_advanced_case_is_caught(
    tracker: Tracker, db_engine: Engine, cli: FlaskCliRunner
) -> None:
    reference = open_walked(tracker)  # FI-APMBC-2025, deposited 2025-07-10
    edit_event(db_engine, reference, 5, occurred_on=date(2025, 6, 10))

    broken = verify_audit(tracker).first_break
    assert broken is not None
    assert (broken.case_reference, broken.seq) == (reference, 5)
    result = audit_verify(cli)
    assert result.exit_code != 0
    assert f"{reference} event 5" in result.stderr


def test_a_deleted_event_is_caught(
    tracker: Tracker, db_engine: Engine, cli: FlaskCliRunner
) -> None:
    reference = open_walked(tracker)
    delete_event(db_engine, reference, 3)

    broken = verify_audit(tracker).first_break
    assert broken is not None
    assert (broken.case_reference, broken.seq) == (reference, 4)
    result = audit_verify(cli)
    assert result.exit_code != 0
    assert f"{reference} event 4" in result.stderr


def test_a_deleted_last_event_is_caught(
    tracker: Tracker, db_engine: Engine, cli: FlaskCliRunner
) -> None:
    """Removing a case's newest event (Latvia's taking effect) leaves a chain that is intact
    as far as it goes, but the case is no longer what was recorded: the case page rebuilt from
    the events says `notice_period` while the list still says `effective`. Audit must notice."""
    seed_demo(tracker)
    delete_event(db_engine, "LV-APMBC-2025", 6)

    broken = verify_audit(tracker).first_break
    assert broken is not None, "audit verify reports intact after an event was deleted"
    assert broken.case_reference == "LV-APMBC-2025"
    result = audit_verify(cli)
    assert result.exit_code != 0
    assert "LV-APMBC-2025" in result.stderr
