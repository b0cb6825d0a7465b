"""Use cases on withdrawal cases: open, advance, correct, undo, sweep. One transaction each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.audit import GENESIS, EventRecord, compute_hash
from app.domain.case import CaseState, Step
from app.domain.clock import DateSpan, parse_span
from app.domain.countries import PRACTICE_COUNTRY, check_country
from app.domain.definitions import Workflow
from app.domain.errors import Conflict, InvalidInput, NotAllowed
from app.domain.history import (
    CORRECT,
    UNDO,
    apply_step,
    due_transitions,
    replay,
    steps_from_events,
)
from app.persistence.models import Case, Event, User
from app.services.context import Tracker
from app.services.users import active_user, require_role, system_user
from app.services.views import CaseView, build_view, event_records, load_case

WRITERS = ("clerk", "admin")
ADMINS = ("admin",)


def open_case(
    tracker: Tracker,
    country: str,
    treaty: str,
    actor: str,
    workflow: str | None = None,
    opened_on: date | None = None,
    note: str = "",
    practice: bool = False,
) -> CaseView:
    """Open a case for `country` leaving `treaty`, at its workflow's first stage."""
    today = tracker.today()
    country = PRACTICE_COUNTRY if practice else check_country(country)
    flow = _workflow_for(tracker, country, treaty.strip().lower(), workflow, practice)
    opened_on = opened_on or today
    if opened_on > today:
        raise InvalidInput(
            f"opened_on: {opened_on.isoformat()} lies after today ({today.isoformat()})",
            field="opened_on",
        )
    with tracker.transaction() as session:
        user = active_user(session, actor)
        require_role(user, WRITERS, "opening a case")
        base = (
            practice_reference(flow) if practice else f"{country}-{treaty.upper()}-{opened_on.year}"
        )
        row = Case(
            reference=_unique_reference(session, base),
            country=country,
            treaty=flow.treaty.code,
            workflow=flow.name,
            workflow_version=flow.version,
            practice=practice,
            opened_on=opened_on,
            note=note.strip(),
            opened_by=user,
            state=flow.initial,
        )
        tracker.keep_definition(session, flow)
        session.add(row)
        session.flush()
        return build_view(tracker, session, row, [])


def _workflow_for(
    tracker: Tracker, country: str, treaty: str, name: str | None, practice: bool
) -> Workflow:
    registry = tracker.registry
    if name is None:
        return registry.default_workflow(country, treaty)
    flow = registry.workflow(name)
    if flow.treaty.code != registry.treaty(treaty).code:
        raise InvalidInput(
            f"workflow: {name} is for treaty {flow.treaty.code}, not {treaty}", field="workflow"
        )
    if flow.countries and country not in flow.countries and not practice:
        raise InvalidInput(
            f"workflow: {name} is the procedure of {', '.join(flow.countries)}, not {country}",
            field="workflow",
        )
    return flow


def practice_reference(flow: Workflow) -> str:
    """The reference of a workflow's practice case, e.g. PRACTICE-APMBC-GENERIC."""
    return "PRACTICE-" + flow.name.upper().replace("/", "-")


def _unique_reference(session: Session, base: str) -> str:
    taken = set(session.scalars(select(Case.reference).where(Case.reference.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def advance(
    tracker: Tracker,
    reference: str,
    trigger: str,
    occurred_on: str | DateSpan,
    actor: str,
    comment: str = "",
    evidence: Mapping[str, object] | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Record that a case took a step on `occurred_on`, with its evidence."""
    today = tracker.today()
    span = occurred_on if isinstance(occurred_on, DateSpan) else parse_span(occurred_on)
    with tracker.transaction() as session:
        row = load_case(session, reference)
        _check_version(row, expected_version)
        user = active_user(session, actor)
        flow = _workflow(tracker, session, row)
        transition = flow.transition(trigger)
        require_role(user, transition.roles, f"'{trigger}'")
        records = event_records(session, row)
        steps = steps_from_events(records)
        current = replay(tracker.engine(flow), steps, today)
        step = Step(
            seq=len(records) + 1,
            trigger=trigger,
            from_state=current.state,
            to_state="",
            span=span,
            actor=user.name,
            recorded_at=_now(),
            comment=comment.strip(),
            evidence=transition.parse_evidence(evidence or {}),
        )
        moved = apply_step(tracker.engine(flow), current, step, today)
        _append(session, row, records, step, moved.state, user)
        _project(row, flow, moved)
        return build_view(tracker, session, row, event_records(session, row))


def correct(
    tracker: Tracker,
    reference: str,
    seq: int,
    actor: str,
    reason: str,
    occurred_on: str | None = None,
    evidence: Mapping[str, object] | None = None,
    comment: str | None = None,
) -> CaseView:
    """Admin: amend an earlier event's date, evidence or comment by a new event with a reason;
    the whole history is re-checked and everything derived from it recomputed."""
    today = tracker.today()
    changes: dict[str, Any] = {}
    if occurred_on is not None:
        changes["occurred_on"] = str(parse_span(occurred_on))
    if evidence:
        changes["evidence"] = dict(evidence)
    if comment is not None:
        changes["comment"] = comment.strip()
    if not changes:
        raise InvalidInput(
            "changes: give a new occurred_on, evidence or comment to correct", field="changes"
        )
    with tracker.transaction() as session:
        row, user, flow, records = _admin_context(tracker, session, reference, actor, "correcting")
        target = _live_step(records, seq)
        if "evidence" in changes:
            for key, value in changes["evidence"].items():
                spec = flow.transition(target.trigger).evidence_field(key)
                if spec is not None and value not in (None, ""):
                    changes["evidence"][key] = spec.parse(value)
        return _record_admin_event(
            tracker,
            session,
            row,
            user,
            flow,
            records,
            today,
            CORRECT,
            {"corrects": seq, "reason": _reason(reason), "changes": changes},
        )


def undo_last(tracker: Tracker, reference: str, actor: str, reason: str) -> CaseView:
    """Admin: return the case to its previous stage by a new event that voids the last step."""
    today = tracker.today()
    with tracker.transaction() as session:
        row, user, flow, records = _admin_context(tracker, session, reference, actor, "undoing")
        steps = steps_from_events(records)
        if not steps:
            raise NotAllowed(f"case: {row.reference} has no step to undo", field="case")
        return _record_admin_event(
            tracker,
            session,
            row,
            user,
            flow,
            records,
            today,
            UNDO,
            {"undoes": steps[-1].seq, "reason": _reason(reason)},
        )


def _admin_context(
    tracker: Tracker, session: Session, reference: str, actor: str, action: str
) -> tuple[Case, User, Workflow, list[EventRecord]]:
    row = load_case(session, reference)
    user = active_user(session, actor)
    require_role(user, ADMINS, f"{action} an event")
    return row, user, _workflow(tracker, session, row), event_records(session, row)


def _record_admin_event(
    tracker: Tracker,
    session: Session,
    row: Case,
    user: User,
    flow: Workflow,
    records: list[EventRecord],
    today: date,
    trigger: str,
    evidence: dict[str, Any],
) -> CaseView:
    before = steps_from_events(records)
    from_state = before[-1].to_state if before else flow.initial
    admin_event = Step(
        seq=len(records) + 1,
        trigger=trigger,
        from_state=from_state,
        to_state="",
        span=DateSpan.exact(today),
        actor=user.name,
        recorded_at=_now(),
        evidence=evidence,
    )
    probe = EventRecord(
        row.reference,
        admin_event.seq,
        trigger,
        "",
        "",
        today,
        None,
        admin_event.recorded_at,
        user.name,
        "",
        evidence,
    )
    after = replay(tracker.engine(flow), steps_from_events([*records, probe]), today)
    _append(session, row, records, admin_event, after.state, user)
    _project(row, flow, after)
    return build_view(tracker, session, row, event_records(session, row))


def _live_step(records: list[EventRecord], seq: int) -> Step:
    for step in steps_from_events(records):
        if step.seq == seq:
            return step
    live = ", ".join(str(s.seq) for s in steps_from_events(records)) or "none"
    raise InvalidInput(
        f"seq: event {seq} is not a step that can be corrected (undone, a correction, or "
        f"missing); steps: {live}",
        field="seq",
    )


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InvalidInput("reason: say why the record is corrected", field="reason")
    return reason.strip()


def sweep(tracker: Tracker, today: date | None = None) -> list[dict[str, str]]:
    """Fire the clock's steps (take effect, or defer for an armed conflict) on every case whose
    date has come, as the system actor. Returns what was done and what was skipped, and why."""
    real_today = tracker.today()
    today = today or real_today
    if today > real_today:
        raise InvalidInput(
            f"today: {today.isoformat()} lies after today ({real_today.isoformat()})",
            field="today",
        )
    results: list[dict[str, str]] = []
    with tracker.transaction() as session:
        actor = system_user(session)
        candidates = session.scalars(
            select(Case).where(Case.deposited_on.is_not(None)).order_by(Case.reference)
        )
        for row in candidates:
            outcome = _sweep_case(tracker, session, row, actor, today)
            if outcome is not None:
                results.append(outcome)
    return results


def _sweep_case(
    tracker: Tracker, session: Session, row: Case, actor: User, today: date
) -> dict[str, str] | None:
    flow = _workflow(tracker, session, row)
    records = event_records(session, row)
    current = replay(tracker.engine(flow), steps_from_events(records), today)
    refusals: list[str] = []
    for transition, due in due_transitions(flow, current):
        if due.on > today:
            return None
        step = Step(
            len(records) + 1,
            transition.trigger,
            current.state,
            "",
            DateSpan.exact(due.on),
            actor.name,
            _now(),
            comment=f"Recorded by the sweep: {due.basis}",
        )
        try:
            moved = apply_step(tracker.engine(flow), current, step, today)
        except (NotAllowed, InvalidInput) as exc:
            refusals.append(exc.message)
            continue
        _append(session, row, records, step, moved.state, actor)
        _project(row, flow, moved)
        return {"case": row.reference, "trigger": transition.trigger, "on": due.on.isoformat()}
    if refusals:
        return {"case": row.reference, "skipped": "; ".join(refusals)}
    return None


def _workflow(tracker: Tracker, session: Session, row: Case) -> Workflow:
    return tracker.case_workflow(session, row.workflow, row.workflow_version)


def _check_version(row: Case, expected: int | None) -> None:
    if expected is not None and row.version != expected:
        raise Conflict(
            f"expected_version: {row.reference} is at version {row.version} (stage "
            f"{row.state}), not {expected}: someone else changed it; reload and try again",
            field="expected_version",
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _append(
    session: Session,
    row: Case,
    records: list[EventRecord],
    step: Step,
    to_state: str,
    user: User,
) -> None:
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
        prev_hash=records[-1].hash if records else GENESIS,
    )
    session.add(
        Event(
            case_id=row.id,
            seq=record.seq,
            trigger=record.trigger,
            from_state=record.from_state,
            to_state=record.to_state,
            occurred_on=record.occurred_on,
            occurred_until=record.occurred_until,
            recorded_at=record.recorded_at,
            actor=user,
            comment=record.comment,
            evidence=dict(record.evidence),
            prev_hash=record.prev_hash,
            hash=compute_hash(record),
        )
    )


def _project(row: Case, flow: Workflow, state: CaseState) -> None:
    """Rewrite the case row's projection; the version counter moves with it."""
    effective = state.effective(flow.clock)
    row.state = state.state
    row.deposited_on = state.deposited_on
    row.effective_on = effective.on if effective else None
    row.updated_at = _now()
