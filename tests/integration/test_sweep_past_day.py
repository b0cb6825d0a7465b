"""A sweep run for a past day (the server was down that day): each case is judged by its
events up to that day; one that holds a later step is reported, not moved, and stops no other."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from app.services.audit import verify_audit
from app.services.cases import advance, sweep
from app.services.context import Tracker
from app.services.queries import get_case
from tests.integration.conftest import event_count, open_walked

PAST_DAY = date(2026, 1, 15)  # Finland's and Sweden's six months ended on 2026-01-10


def test_a_past_day_sweep_moves_the_cases_it_can_and_reports_one_with_a_later_step(
    tracker: Tracker, db_engine: Engine
) -> None:
    later = open_walked(tracker)
    advance(tracker, later, "notify_security_council", "2026-02-01", "clerk")
    plain = open_walked(tracker, country="SE")
    before = event_count(db_engine, later)

    results = sweep(tracker, PAST_DAY)

    assert results[1] == {
        "case": plain,
        "trigger": "take_effect",
        "label": "Withdrawal takes effect",
        "on": "2026-01-10",
    }
    assert results[0]["case"] == later
    skipped = results[0]["skipped"]
    assert "Withdrawal takes effect was due on 2026-01-10 by the events up to 2026-01-15" in skipped
    assert "holds a step on 2026-02-01" in skipped
    assert event_count(db_engine, later) == before
    assert get_case(tracker, later).state.state == "notice_period"
    assert get_case(tracker, plain).state.state == "effective"
    assert verify_audit(tracker).intact


def test_a_past_day_before_anything_was_due_reports_nothing(tracker: Tracker) -> None:
    later = open_walked(tracker)
    advance(tracker, later, "notify_security_council", "2026-02-01", "clerk")
    assert sweep(tracker, date(2026, 1, 9)) == []
