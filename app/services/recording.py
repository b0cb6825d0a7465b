"""Events between the database and the domain: reading a case's records, appending a step
as the next hash-chained row and rewriting the case's projection with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.domain.audit import GENESIS, EventRecord, sealed
from app.domain.case import CaseState, Step
from app.domain.definitions import Workflow
from app.domain.documents import DocumentRef
from app.domain.errors import Conflict
from app.domain.projection import projection, state_from_json
from app.persistence.models import Base, Case, Event, EventDocument, User
from app.services.context import Tracker


def now() -> datetime:
    """The server's clock, in UTC: the recorded_at of every event."""
    return datetime.now(UTC)


def case_workflow(tracker: Tracker, session: Session, row: Case) -> Workflow:
    """The workflow the case started with."""
    return tracker.case_workflow(session, row.workflow, row.workflow_version)


def check_version(row: Case, expected: int | None) -> None:
    """Refuse a write made against an older version of the case."""
    if expected is not None and row.version != expected:
        raise Conflict(
            f"expected_version: {row.reference} is at version {row.version} (stage "
            f"{row.state}), not {expected}: someone else changed it; reload and try again",
            field="expected_version",
        )


def event_records(session: Session, case: Case) -> list[EventRecord]:
    """The case's events in sequence order, as the domain's records."""
    rows = session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq))
    return [to_record(case.reference, e) for e in rows]


def to_record(reference: str, e: Event) -> EventRecord:
    return EventRecord(
        case_reference=reference,
        seq=e.seq,
        trigger=e.trigger,
        from_state=e.from_state,
        to_state=e.to_state,
        occurred_on=e.occurred_on,
        occurred_until=e.occurred_until,
        recorded_at=e.recorded_at,
        actor=e.actor.name,
        comment=e.comment,
        evidence=e.evidence,
        prev_hash=e.prev_hash,
        hash=e.hash,
        documents=tuple(document_ref(d) for d in e.documents),
    )


def document_ref(row: EventDocument) -> DocumentRef:
    return DocumentRef(row.sha256, row.name, row.media_type, row.size)


def record_event(
    session: Session,
    row: Case,
    flow: Workflow,
    step: Step,
    state: CaseState,
    user: User,
    documents: Sequence[DocumentRef] = (),
) -> EventRecord:
    """Append `step` as the case's next event, chained by its hash to the case's chain head (its
    documents' references part of what is hashed), and rewrite the case row's projection to
    `state`; the version counter moves with it. A case not yet stored (its opening) is
    inserted first."""
    if row.id is not None:
        return record_events(session, [NextEvent(row, flow, step, state, user, documents)])[0]
    record = _chained(row, step, state.state, user, documents)
    for column, value in _projected(flow, state, record).items():
        setattr(row, column, value)
    session.flush()
    insert_events(session, [(row.id, record, user.id)])
    return record


@dataclass(frozen=True)
class NextEvent:
    """A checked step of a stored case, with the case after it: what `record_events` appends."""

    row: Case
    flow: Workflow
    step: Step
    state: CaseState
    user: User
    documents: Sequence[DocumentRef] = ()


def record_events(session: Session, steps: Sequence[NextEvent]) -> list[EventRecord]:
    """`record_event` for stored cases, one step each, written together (the sweep writes a
    batch of cases so): the rows' projections by one UPDATE of many rows, each only if it is
    still at the version read (else the unit of work's own StaleDataError: a lost race), and
    the events by one INSERT. The row objects then hold what was stored."""
    records = [_chained(s.row, s.step, s.state.state, s.user, s.documents) for s in steps]
    rows = []
    for s, record in zip(steps, records, strict=True):
        values = _projected(s.flow, s.state, record)
        if len(steps) == 1:  # one row (an advance): only the columns it changes
            values = {k: v for k, v in values.items() if getattr(s.row, k) != v}
        rows.append({**values, "version": s.row.version + 1})
    stored = session.connection().execute(
        _UPDATE_CASE,
        [
            {"b_id": s.row.id, "b_version": s.row.version, **values}
            for s, values in zip(steps, rows, strict=True)
        ],
    )
    if stored.rowcount != len(steps):
        lost = ", ".join(s.row.reference for s in steps)
        raise StaleDataError(f"cases {lost}: a version read is no longer stored")
    written = session.info.setdefault(_WRITTEN, set())
    for s, values in zip(steps, rows, strict=True):
        for column, value in values.items():
            set_committed_value(s.row, column, value)
        written.add(s.row)
    insert_events(session, [(s.row.id, r, s.user.id) for s, r in zip(steps, records, strict=True)])
    return records


def _projected(flow: Workflow, state: CaseState, record: EventRecord) -> dict[str, Any]:
    """The case row's columns once `record` is its newest event."""
    return {
        **projection(flow, state),
        "last_hash": record.hash,
        "event_count": record.seq,
        "updated_at": now(),
    }


@dataclass
class Draft:
    """A new case written at once (an import): its events, chained in memory on its row (not
    yet stored), and where they leave it; `insert_draft` projects that onto the row once."""

    row: Case
    flow: Workflow
    state: CaseState
    events: list[tuple[EventRecord, int]] = field(default_factory=list)  # with the actor's id

    def record(
        self, step: Step, state: CaseState, user: User, documents: Sequence[DocumentRef] = ()
    ) -> EventRecord:
        """Chain `step` as the draft's next event, which leaves the case in `state`."""
        record = _chained(self.row, step, state.state, user, documents)
        self.row.last_hash, self.row.event_count = record.hash, record.seq  # the chain's head
        self.state = state
        self.events.append((record, user.id))
        return record


def insert_draft(session: Session, draft: Draft) -> list[tuple[int, EventRecord, int]]:
    """INSERT the draft's case row, projected as `record_event` would have left it; returns
    its events for `insert_events`, which may write them later with other cases'."""
    row, (last, _) = draft.row, draft.events[-1]
    for column, value in _projected(draft.flow, draft.state, last).items():
        setattr(row, column, value)
    row.version = last.seq  # one version an event, as when written one by one
    values = {c.key: v for c in _CASES.columns if (v := getattr(row, c.key)) is not None}
    values["opened_by_id"] = row.opened_by.id
    inserted = session.connection().execute(_INSERT_CASE, values).inserted_primary_key
    assert inserted is not None  # a one-row INSERT knows the id it gave
    return [(inserted[0], record, actor) for record, actor in draft.events]


def _chained(
    row: Case, step: Step, to_state: str, user: User, documents: Sequence[DocumentRef]
) -> EventRecord:
    record = EventRecord(
        case_reference=row.reference,
        seq=step.seq,
        trigger=step.trigger,
        from_state=step.from_state,
        to_state=to_state,
        occurred_on=step.span.earliest,
        occurred_until=None if step.span.is_exact else step.span.latest,
        recorded_at=step.recorded_at,
        actor=user.name,
        comment=step.comment,
        evidence=dict(step.evidence),
        prev_hash=row.last_hash or GENESIS,
        documents=tuple(documents),
    )
    return sealed(record)


# An advance's two writes, as statements built once and run on the session's connection: the
# unit of work spent four times what the statements themselves cost (issue 8).
_CASES, _EVENTS = Base.metadata.tables["cases"], Base.metadata.tables["events"]
_UPDATE_CASE = update(_CASES).where(
    _CASES.c.id == bindparam("b_id"), _CASES.c.version == bindparam("b_version")
)
_INSERT_EVENT = insert(_EVENTS)
_INSERT_EVENT_IDS = _INSERT_EVENT.returning(_EVENTS.c.id, sort_by_parameter_order=True)
_INSERT_CASE = insert(_CASES)
_INSERT_DOCUMENTS = insert(Base.metadata.tables["event_documents"])


# The rows `record_events` wrote: the unit of work never saw those writes, so should a savepoint
# (or the transaction) roll back, it would not expire them as it expires what it flushed.
_WRITTEN = "tracker.cases_written"


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_writes(session: Session, _previous: SessionTransaction) -> None:
    """Expire the case rows written by statement when any rollback happens: a row read again
    after a savepoint's rollback is read as stored, not as the write that was undone."""
    for row in session.info.pop(_WRITTEN, ()):
        if row in session:
            session.expire(row)


def insert_events(session: Session, events: Sequence[tuple[int, EventRecord, int]]) -> None:
    """INSERT events, each with its case's id and its actor's, in one statement (and their
    documents' references in a second)."""
    rows = [_event_row(case_id, record, actor_id) for case_id, record, actor_id in events]
    connection = session.connection()
    if not any(record.documents for _, record, _ in events):
        connection.execute(_INSERT_EVENT, rows)
        return
    ids = connection.execute(_INSERT_EVENT_IDS, rows).scalars()
    connection.execute(
        _INSERT_DOCUMENTS,
        [
            {"event_id": event_id, "position": n, **d.to_json()}
            for event_id, (_, record, _) in zip(ids, events, strict=True)
            for n, d in enumerate(record.documents, 1)
        ],
    )


def _event_row(case_id: int, record: EventRecord, actor_id: int) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": record.seq,
        "trigger": record.trigger,
        "from_state": record.from_state,
        "to_state": record.to_state,
        "occurred_on": record.occurred_on,
        "occurred_until": record.occurred_until,
        "recorded_at": record.recorded_at,
        "actor_id": actor_id,
        "comment": record.comment,
        "evidence": dict(record.evidence),
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def projected_state(row: Case) -> CaseState:
    """Where the case stands, as its row's projection has it (no event read)."""
    return state_from_json(row.clock_state)
