"""Bulk data for the benchmarks and the statement-count tests: N cases whose events the domain
computes (the same steps, states, hashes and projections that a clerk's advances write), put in
with one executemany per table instead of one transaction per step.

Each case is opened, read in parliament `readings` times, adopted, signed and deposited; the
dates move one day from case to case (over 200 days), so lists have dates to sort and the
clock has periods ending on different days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pycountry
from sqlalchemy import func, insert, select, text

from app.domain.audit import GENESIS, EventRecord, compute_hash
from app.domain.case import CaseState, Step
from app.domain.clock import DateSpan
from app.domain.definitions import Workflow
from app.domain.history import OPEN, apply_step
from app.domain.projection import projection
from app.persistence.models import SYSTEM_ACTOR, Case, Event, User
from app.services.context import Tracker
from app.services.users import system_user

WORKFLOW = "apmbc/generic"
FIRST_DAY = date(2024, 1, 1)
SPREAD_DAYS = 200
TEMPLATE: tuple[tuple[str, int, dict[str, Any]], ...] = (
    ("submit_to_parliament", 0, {}),
    ("adopt", 60, {"votes_for": 60, "votes_against": 20}),
    ("sign", 70, {}),
    ("deposit", 90, {"reasons": "benchmark data"}),
)
COUNTRIES = [c.alpha_2 for c in pycountry.countries]
RECORDED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Shape:
    """The events and the final projection of a case that starts `offset` days late."""

    steps: list[tuple[Step, str]]  # each step with the stage it moved to
    columns: dict[str, Any]


def _steps(offset: int, readings: int, finish: bool) -> Iterator[tuple[str, date, dict[str, Any]]]:
    start = FIRST_DAY + timedelta(days=offset)
    yield TEMPLATE[0][0], start, {}
    for n in range(1, readings + 1):
        yield "record_reading", start, {"chamber": "Parliament", "reading": n}
    for trigger, days, evidence in TEMPLATE[1:] if finish else ():
        yield trigger, start + timedelta(days=days), evidence


def _shape(
    tracker: Tracker, flow: Workflow, offset: int, readings: int, finish: bool, today: date
) -> Shape:
    engine, state = tracker.engine(flow), CaseState(flow.initial)
    steps: list[tuple[Step, str]] = []
    for seq, (trigger, on, evidence) in enumerate(_steps(offset, readings, finish), start=2):
        step = Step(
            seq, trigger, state.state, "", DateSpan.exact(on), SYSTEM_ACTOR, RECORDED_AT, "",
            flow.transition(trigger).parse_evidence(evidence),
        )  # fmt: skip
        state = apply_step(engine, state, step, today)
        steps.append((step, state.state))
    return Shape(steps, projection(flow, state))


def build_cases(
    tracker: Tracker, n: int, readings: int = 0, batch: int = 2000, finish: bool = True
) -> int:
    """Add `n` cases (1 + readings + 4 events each; 2 + readings, still in parliament, when
    not `finish`) as of the tracker's today; returns the number of events written."""
    flow = tracker.registry.workflow(WORKFLOW)
    today = tracker.today()
    shapes = [_shape(tracker, flow, d, readings, finish, today) for d in range(SPREAD_DAYS)]
    with tracker.transaction() as session:
        tracker.keep_definition(session, flow)
        actor = system_user(session)
        first_case = (session.scalar(select(func.max(Case.id))) or 0) + 1
        first_event = (session.scalar(select(func.max(Event.id))) or 0) + 1
    written = 0
    for start in range(0, n, batch):
        cases, events = [], []
        for i in range(start, min(n, start + batch)):
            reference = f"{COUNTRIES[i % len(COUNTRIES)]}-APMBC-2024-B{first_case + i}"
            shape = shapes[i % SPREAD_DAYS]
            case, case_events = _case_rows(flow, shape, reference, actor, first_case + i)
            for e in case_events:
                e["id"] = first_event + written
                written += 1
            cases.append(case)
            events.extend(case_events)
        with tracker.transaction() as session:
            session.execute(insert(Case.__table__), cases)
            session.execute(insert(Event.__table__), events)
    _advance_sequences(tracker)
    return written


def _advance_sequences(tracker: Tracker) -> None:
    """PostgreSQL's id sequences past the ids written here (SQLite takes the largest id)."""
    with tracker.transaction() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
        for table in ("cases", "events"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )


def _case_rows(
    flow: Workflow, shape: Shape, reference: str, actor: User, case_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    country = reference[:2]
    opening = Step(
        1, OPEN, "", flow.initial, DateSpan.exact(RECORDED_AT.date()), SYSTEM_ACTOR,
        RECORDED_AT, "", {"workflow": flow.name, "workflow_version": flow.version},
    )  # fmt: skip
    events, prev = [], GENESIS
    for step, to_state in [(opening, flow.initial), *shape.steps]:
        record = EventRecord(
            reference, step.seq, step.trigger, step.from_state, to_state, step.span.earliest,
            None, step.recorded_at, SYSTEM_ACTOR, "", dict(step.evidence), prev,
        )  # fmt: skip
        prev = compute_hash(record)
        events.append(
            {
                "case_id": case_id, "seq": record.seq, "trigger": record.trigger,
                "from_state": record.from_state, "to_state": record.to_state,
                "occurred_on": record.occurred_on, "occurred_until": None,
                "recorded_at": record.recorded_at, "actor_id": actor.id, "comment": "",
                "evidence": dict(record.evidence), "prev_hash": record.prev_hash, "hash": prev,
            }
        )  # fmt: skip
    case = {
        "id": case_id, "reference": reference, "country": country, "treaty": flow.treaty.code,
        "workflow": flow.name, "workflow_version": flow.version, "practice": False,
        "opened_on": RECORDED_AT.date(), "note": "", "opened_by_id": actor.id,
        **shape.columns, "event_count": len(events), "version": len(events), "last_hash": prev,
        "created_at": RECORDED_AT, "updated_at": RECORDED_AT,
    }  # fmt: skip
    return case, events
