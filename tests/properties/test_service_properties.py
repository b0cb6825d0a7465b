"""Properties of the services under random steps on a real database: each accepted step is
one event, a refused one changes nothing (no event, the same version), dates along a case
never go backwards, the chain verifies and the projection equals the replay of the events."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from app.domain.errors import DomainError
from app.services.audit import verify_audit
from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.queries import get_case
from tests.properties.strategies import START, day_after, next_step

WORKFLOWS = ("apmbc/generic", "apmbc/pl", "apmbc/international-only", "rome-statute/generic")


def stored(engine: Engine, reference: str) -> tuple[int, int]:
    """(events, version) of a case, read in SQL behind the services' back."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM events WHERE case_id = cases.id), version "
                "FROM cases WHERE reference = :ref"
            ),
            {"ref": reference},
        ).one()
    return int(row[0]), int(row[1])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(WORKFLOWS), st.integers(1, 10), st.data())
def test_random_steps_through_the_services_keep_the_invariants(
    tracker: Tracker, db_engine: Engine, name: str, length: int, data: st.DataObject
) -> None:
    treaty = name.split("/")[0]
    country = {"apmbc/pl": "PL"}.get(name, "FI")
    reference = open_case(
        tracker, country, treaty, "clerk", workflow=name, began_on=START, allow_duplicate=True
    ).reference  # each example its own case (the references get -2, -3...)
    flow = tracker.registry.workflows[name]
    last: date | None = None
    for _ in range(length):
        view = get_case(tracker, reference)
        step = next_step(data, flow, view.state.state)
        before = stored(db_engine, reference)
        on = day_after(view.state.last_on or last, step)
        try:
            advance(tracker, reference, step.trigger, on.isoformat(), "clerk",
                    evidence=step.evidence)  # fmt: skip
        except DomainError:
            assert stored(db_engine, reference) == before  # a refusal changes nothing
            continue
        events, version = stored(db_engine, reference)
        assert events == before[0] + 1 and version > before[1]
        last = on
    history = [e.occurred_on for e in get_case(tracker, reference).history if e.seq > 1]
    assert history == sorted(history)  # dates never go backwards
    event(f"accepted steps: {min(len(history), 4)}+")
    report = verify_audit(tracker)  # the chain, and each projection against its replay
    assert report.intact, report
