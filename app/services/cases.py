"""Use cases on withdrawal cases: open, advance, correct, undo, sweep. One transaction each."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, false, or_, select
from sqlalchemy.orm import Session

from app.domain.audit import EventRecord
from app.domain.case import CaseState, Step
from app.domain.clock import DateSpan, parse_span
from app.domain.countries import PRACTICE_COUNTRY, check_country, country_name
from app.domain.definitions import IN_FORCE_SINCE_KEY, Transition, Workflow
from app.domain.documents import DocumentRef
from app.domain.errors import Conflict, DomainError, DuplicateCase, InvalidInput, NotAllowed
from app.domain.history import (
    CORRECT,
    OPEN,
    UNDO,
    corrected,
    due_transitions,
    replay,
    steps_from_events,
    take_step,
)
from app.persistence.database import serialize_on
from app.persistence.models import Case, User
from app.services import cascade
from app.services.context import Tracker
from app.services.documents import Upload, check_uploads, store_files
from app.services.idempotency import Idempotency, keep_answer
from app.services.recording import (
    NextEvent,
    case_workflow,
    check_version,
    event_records,
    now,
    projected_state,
    record_event,
    record_events,
)
from app.services.users import active_user, checked_user, require_role, system_user
from app.services.views import (
    CaseView,
    build_view,
    load_case,
    load_case_and_writer,
    projected_view,
)

WRITERS = ("clerk", "admin")
REFERENCE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,63}")
ADMINS = ("admin",)


def open_case(
    tracker: Tracker,
    country: str,
    treaty: str,
    actor: str,
    workflow: str | None = None,
    began_on: date | None = None,
    note: str = "",
    practice: bool = False,
    in_force_since: date | None = None,
    idempotency: Idempotency | None = None,
    allow_duplicate: bool = False,
) -> CaseView:
    """Open a case record today for `country` leaving `treaty`, at its workflow's first stage.

    The procedure may have begun long before: `began_on`, when given, dates the reference, and
    the steps already taken are then recorded at their own dates. The opening is the case's
    first event, so the audit log says who opened the record. With `idempotency`, the
    answer is kept under its key in the same transaction. An open case of the same country,
    treaty and kind is refused (DuplicateCase, naming it) unless `allow_duplicate`.
    """
    opening = opening_for(tracker, country, treaty, workflow, practice)
    opening = replace(opening, began_on=began_on, note=note, in_force_since=in_force_since)
    with tracker.transaction() as session:
        if not (allow_duplicate or opening.practice):
            _refuse_duplicate(session, opening)
        user = active_user(session, actor)
        row = open_in(tracker, session, user, opening)
        open_linked(tracker, session, user, row)
        view = build_view(tracker, session, row, event_records(session, row))
        return _answered(session, view, idempotency)


def open_linked(tracker: Tracker, session: Session, user: User, row: Case) -> None:
    """For a withdrawal that also withdraws from another treaty (UNFCCC -> Paris Agreement,
    Art. 28(3)): open the country's case there if none is open and it is still a party."""
    if cascade.applies(tracker, row):
        cascade.open_others(tracker, session, user, row)


def _refuse_duplicate(session: Session, opening: Opening) -> None:
    """Refuse a second case of the country under the treaty, of the same kind, while one is
    open or after one took effect (a State that left may only leave again once it rejoined);
    one that ended otherwise (revoked, rejected) may be followed by a new attempt. Two openers
    at once take turns, so the second sees the first's case."""
    flow = opening.flow
    serialize_on(session, f"open {opening.country} {flow.treaty.code} {flow.kind}")
    existing = session.execute(
        select(Case.reference, Case.final, Case.effective_on)
        .where(
            Case.country == opening.country,
            Case.treaty == flow.treaty.code,
            Case.kind == flow.kind,
            Case.practice.is_(False),
            or_(Case.final == false(), Case.effective_on.is_not(None)),
        )
        .order_by(Case.final, Case.reference)
        .limit(1)
    ).first()
    if existing is None:
        return
    reference, final, effective_on = existing
    kind, whose = flow.kind.replace("_", " "), country_name(opening.country)
    of = f"{kind} case of {whose} under the {flow.treaty.short_name}"
    took_effect = effective_on if final else None
    if took_effect is not None:
        what = (
            f"{reference}, a {of}, took effect on {took_effect.isoformat()}; open another one "
            "only if it is a new one (the State joined again), "
        )
    else:
        what = f"{reference} is already an open {of}; open a second one only on purpose, "
    raise DuplicateCase(
        f"allow_duplicate: {what}by confirming it (the form's checkbox, --allow-duplicate, "
        'or "allow_duplicate": true)',
        reference,
        took_effect,
    )


@dataclass(frozen=True)
class Opening:
    """What a new case record starts from: country, workflow, and what the opener says."""

    country: str
    flow: Workflow
    practice: bool = False
    began_on: date | None = None
    note: str = ""
    reference: str | None = None  # an imported case keeps its own
    opened_on: date | None = None  # an imported record keeps the day it was first opened
    in_force_since: date | None = None  # the treaty in force for the State since (Paris 28(1))


def opening_for(
    tracker: Tracker, country: str, treaty: str, workflow: str | None, practice: bool = False
) -> Opening:
    """The checked country and the workflow a new case of it follows."""
    country = PRACTICE_COUNTRY if practice else check_country(country)
    flow = _workflow_for(tracker, country, treaty.strip().lower(), workflow, practice)
    return Opening(country, flow, practice)


def open_in(tracker: Tracker, session: Session, user: User, opening: Opening) -> Case:
    """Add the case row and its opening event to `session`; returns the row."""
    row, step = new_case(tracker, session, user, opening)
    tracker.keep_definition(session, opening.flow)
    session.add(row)
    record_event(session, row, opening.flow, step, CaseState(opening.flow.initial), user)
    return row


def new_case(tracker: Tracker, session: Session, user: User, opening: Opening) -> tuple[Case, Step]:
    """The checked row of a new case (its reference free in `session`) and its opening step,
    neither of them written yet."""
    today, flow = tracker.today(), opening.flow
    opened_on = opening.opened_on or today
    days = (("began_on", opening.began_on), ("opened_on", opened_on))
    for name, day in (*days, ("in_force_since", opening.in_force_since)):
        if day is not None and day > today:
            raise InvalidInput(
                f"{name}: {day.isoformat()} lies after today ({today.isoformat()})", field=name
            )
    require_role(user, WRITERS, "opening a case")
    row = Case(
        reference=_reference(session, opening, opened_on),
        country=opening.country,
        treaty=flow.treaty.code,
        workflow=flow.name,
        workflow_version=flow.version,
        practice=opening.practice,
        opened_on=opened_on,
        note=opening.note.strip(),
        opened_by=user,
        state=flow.initial,
        given_began_on=opening.began_on,
        in_force_since=opening.in_force_since,
    )
    evidence: dict[str, Any] = {"workflow": flow.name, "workflow_version": flow.version}
    if opening.began_on is not None:
        evidence["began_on"] = opening.began_on.isoformat()
    if opening.in_force_since is not None:
        evidence["in_force_since"] = opening.in_force_since.isoformat()
    span = DateSpan.exact(opened_on)
    return row, Step(1, OPEN, "", flow.initial, span, user.name, now(), row.note, evidence)


def _workflow_for(
    tracker: Tracker, country: str, treaty: str, name: str | None, practice: bool
) -> Workflow:
    registry = tracker.registry
    if name is None:
        return registry.default_workflow(country, treaty)
    flow = registry.workflow(name)
    if flow.treaty.code != registry.treaty(treaty).code:
        raise InvalidInput(
            f"workflow: {flow.label} ({name}) is a procedure under the {flow.treaty.short_name}, "
            f"not the {registry.treaty(treaty).short_name}",
            field="workflow",
        )
    if flow.countries and country not in flow.countries and not practice:
        whose = ", ".join(country_name(c) for c in flow.countries)
        raise InvalidInput(
            f"workflow: {flow.label} ({name}) is the procedure of {whose}, not of "
            f"{country_name(country)}",
            field="workflow",
        )
    return flow


def practice_reference(flow: Workflow) -> str:
    """The reference of a workflow's practice case, e.g. PRACTICE-APMBC-GENERIC."""
    return "PRACTICE-" + flow.name.upper().replace("/", "-")


def _reference(session: Session, opening: Opening, opened_on: date) -> str:
    """The opening's own reference if it is free, else COUNTRY-TREATY-YEAR (the year the
    procedure began, else the year opened) made unique with -2, -3..."""
    if opening.reference is not None:
        return _free_reference(session, opening.reference)
    year = (opening.began_on or opened_on).year
    base = f"{opening.country}-{opening.flow.treaty.code.upper()}-{year}"
    if opening.practice:
        base = practice_reference(opening.flow)
    taken = set(session.scalars(select(Case.reference).where(Case.reference.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _free_reference(session: Session, reference: str) -> str:
    wanted = reference.strip().upper()
    if not REFERENCE.fullmatch(wanted):
        raise InvalidInput(
            f"reference: {reference!r} is not a reference; use letters, digits and hyphens "
            "(at most 64), e.g. LV-APMBC-2025",
            field="reference",
        )
    if reference_held(session, wanted):
        raise InvalidInput(f"reference: {wanted} is held by another case", field="reference")
    return wanted


def reference_held(session: Session, reference: str) -> bool:
    """Whether a case holds this reference (as stored: upper case). Asked of the transaction's
    connection, past the unit of work (half the cost): a new case's row is flushed at once."""
    return session.connection().scalar(_HELD, {"reference": reference}) is not None


# Built once: an import asks it of every case (building it cost more than running it).
_HELD = select(Case.id).where(Case.reference == bindparam("reference")).limit(1)


def advance(
    tracker: Tracker,
    reference: str,
    trigger: str,
    occurred_on: str | DateSpan,
    actor: str,
    comment: str = "",
    evidence: Mapping[str, object] | None = None,
    expected_version: int | None = None,
    idempotency: Idempotency | None = None,
    documents: Sequence[Upload] = (),
) -> CaseView:
    """Record that a case took a step on `occurred_on`, with its evidence and documents (and,
    with `idempotency`, the answer under its key in the same transaction). The documents are
    checked first; their files are on disk before the event commits: a step refused after
    that (or a failed commit) leaves at most a file no event names, which is harmless."""
    span = occurred_on if isinstance(occurred_on, DateSpan) else parse_span(occurred_on)
    files = check_uploads(tracker, documents)
    with tracker.transaction() as session:
        row, writer = load_case_and_writer(session, reference, actor)
        check_version(row, expected_version)
        user = checked_user(writer, actor)
        writing = Writing(row, case_workflow(tracker, session, row), projected_state(row))
        new = NewStep(trigger, span, comment, evidence, tuple(f.ref for f in files))
        recorded = record_cascading(tracker, session, writing, user, new)
        store_files(tracker, files)
        session.flush()  # the case's version moves at the flush: the answer must say so
        view = projected_view(tracker, session, row, recorded)
        return _answered(session, view, idempotency)


def _answered(session: Session, view: CaseView, idempotency: Idempotency | None) -> CaseView:
    if idempotency is not None:
        keep_answer(session, idempotency, view.to_json())
    return view


@dataclass(frozen=True)
class NewStep:
    """A step as someone asks to record it."""

    trigger: str
    span: DateSpan
    comment: str = ""
    evidence: Mapping[str, object] | None = None
    documents: tuple[DocumentRef, ...] = ()


@dataclass
class Writing:
    """A case being written in this transaction: its row, its workflow and where it stands
    (the projection on its row: a new step is checked without replaying the history)."""

    row: Case
    flow: Workflow
    state: CaseState

    @property
    def seq(self) -> int:
        return self.row.event_count + 1


def record_step(
    tracker: Tracker,
    session: Session,
    case: Writing,
    user: User,
    new: NewStep,
    today: date | None = None,
) -> EventRecord:
    """Check one new step against the case as it stands, append it and move `case` on;
    `today` bounds its date (the sweep may judge an earlier day). Returns the new event."""
    step, moved = check_step(tracker, case, user, new, today)
    recorded = record_event(session, case.row, case.flow, step, moved, user, new.documents)
    case.state = moved
    return recorded


def check_step(
    tracker: Tracker, case: Writing, user: User, new: NewStep, today: date | None = None
) -> tuple[Step, CaseState]:
    """One new step checked against the case as it stands (role, trigger, evidence, dates,
    guards), nothing written: the step as it is recorded, and the case after it."""
    transition = case.flow.transition(new.trigger)
    require_role(user, transition.roles, f"'{new.trigger}'")
    asked = Step(
        seq=case.seq,
        trigger=new.trigger,
        from_state=case.state.state,
        to_state="",
        span=new.span,
        actor=user.name,
        recorded_at=now(),
        comment=new.comment.strip(),
        evidence=with_in_force_since(case.row, transition, new.evidence),
    )
    return take_step(tracker.engine(case.flow), case.state, asked, today or tracker.today())


def record_cascading(
    tracker: Tracker, session: Session, case: Writing, user: User, new: NewStep
) -> EventRecord:
    """`record_step`, and for a deposit whose treaty says it also withdraws from another one
    (UNFCCC -> Paris Agreement, Art. 28(3)), the step that follows it in the country's case
    there, in the same transaction: one event in each case's chain, all or none."""
    starts_clock = "start_clock" in case.flow.transition(new.trigger).effects
    if not starts_clock or not cascade.applies(tracker, case.row):
        return record_step(tracker, session, case, user, new)
    note, targets = cascade.deposit_note(tracker, session, user, case.row)
    comment = f"{new.comment.strip()}\n{note[:1].upper()}{note[1:]}.".strip()
    recorded = record_step(tracker, session, case, user, replace(new, comment=comment))
    cascade.follow_deposit(tracker, session, user, case.row, targets)
    return recorded


def with_in_force_since(
    row: Case, transition: Transition, evidence: Mapping[str, object] | None
) -> Mapping[str, object]:
    """The step's evidence, with the case's in_force_since where the step reads one and the
    evidence does not give it (the deposit under Paris Art. 28(1) or UNFCCC Art. 25(1))."""
    given = dict(evidence or {})
    if (
        row.in_force_since
        and transition.evidence_field(IN_FORCE_SINCE_KEY)
        and not given.get(IN_FORCE_SINCE_KEY)
    ):
        given[IN_FORCE_SINCE_KEY] = row.in_force_since.isoformat()
    return given


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
    changes: dict[str, Any] = {}
    if occurred_on is not None:
        changes["occurred_on"] = str(parse_span(occurred_on))
    if evidence:
        changes["evidence"] = dict(evidence)
    if comment is not None:
        changes["comment"] = comment.strip()
    with tracker.transaction() as session:
        admin = _admin_context(tracker, session, reference, actor, "correcting")
        if not changes:
            raise InvalidInput(
                "changes: give a new occurred_on, evidence or comment to correct", field="changes"
            )
        target = _live_step(admin.steps, seq)
        transition = admin.flow.transition(target.trigger)
        for key, value in changes.get("evidence", {}).items():
            spec = transition.evidence_field(key)
            if spec is not None and value not in (None, ""):
                changes["evidence"][key] = spec.parse(value)
        evidence = {"corrects": seq, "reason": _reason(reason), "changes": changes}
        seq_now = len(admin.records) + 1
        after = [corrected(s, seq_now, changes) if s.seq == seq else s for s in admin.steps]
        return _record_admin_event(tracker, session, admin, CORRECT, evidence, after)


def undo_last(tracker: Tracker, reference: str, actor: str, reason: str) -> CaseView:
    """Admin: return the case to its previous stage by a new event that voids the last step."""
    with tracker.transaction() as session:
        admin = _admin_context(tracker, session, reference, actor, "undoing")
        if not admin.steps:
            raise NotAllowed(f"case: {admin.row.reference} has no step to undo", field="case")
        evidence = {"undoes": admin.steps[-1].seq, "reason": _reason(reason)}
        return _record_admin_event(tracker, session, admin, UNDO, evidence, admin.steps[:-1])


@dataclass(frozen=True)
class _Admin:
    row: Case
    user: User
    flow: Workflow
    records: list[EventRecord]
    steps: list[Step]


def _admin_context(
    tracker: Tracker, session: Session, reference: str, actor: str, action: str
) -> _Admin:
    row = load_case(session, reference)
    user = active_user(session, actor)
    require_role(user, ADMINS, f"{action} an event")
    records = event_records(session, row)
    return _Admin(
        row, user, case_workflow(tracker, session, row), records, steps_from_events(records)
    )


def _record_admin_event(
    tracker: Tracker,
    session: Session,
    admin: _Admin,
    trigger: str,
    evidence: dict[str, Any],
    steps_after: list[Step],
) -> CaseView:
    """Append a correction or undo once the history it leaves is re-checked step by step."""
    today = tracker.today()
    after = replay(tracker.engine(admin.flow), steps_after, today)
    event = Step(
        seq=len(admin.records) + 1,
        trigger=trigger,
        from_state=admin.steps[-1].to_state if admin.steps else admin.flow.initial,
        to_state=after.state,
        span=DateSpan.exact(today),
        actor=admin.user.name,
        recorded_at=now(),
        evidence=evidence,
    )
    record_event(session, admin.row, admin.flow, event, after, admin.user)
    return build_view(tracker, session, admin.row, event_records(session, admin.row))


def _live_step(steps: list[Step], seq: int) -> Step:
    for step in steps:
        if step.seq == seq:
            return step
    live = ", ".join(str(s.seq) for s in steps) or "none"
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
    date has come, as the system actor. Returns what was done and what was skipped, and why.

    A sweep for a past day judges each case by its events up to that day: a case that holds a
    step dated after it is not moved (a step cannot go before a later one) but reported."""
    real_today = tracker.today()
    today = today or real_today
    if today > real_today:
        raise InvalidInput(
            f"today: {today.isoformat()} lies after today ({real_today.isoformat()})",
            field="today",
        )
    with tracker.snapshot() as session:
        due = list(session.scalars(_due_by(today, select(Case.reference))))
    results: list[dict[str, str]] = []
    for start in range(0, len(due), SWEEP_BATCH):
        results.extend(_sweep_batch(tracker, due[start : start + SWEEP_BATCH], today))
    return results


SWEEP_BATCH = 200  # cases a transaction: the sweep's writes flushed together, not one by one


def _due_by(today: date, query: Select[Any]) -> Select[Any]:
    return query.where(Case.final == false(), Case.next_on <= today).order_by(Case.reference)


def _sweep_batch(tracker: Tracker, references: list[str], today: date) -> list[dict[str, str]]:
    """One transaction for a batch of due cases. A step the workflow refuses is refused before
    anything is written, so it skips its case alone; should the database refuse a write (a
    clerk advanced a case meanwhile), the batch is done again with a savepoint per case."""
    try:
        with tracker.transaction() as session:
            return _sweep_rows(tracker, session, references, today, savepoints=False)
    except Conflict:
        with tracker.transaction() as session:
            return _sweep_rows(tracker, session, references, today, savepoints=True)


def _sweep_rows(
    tracker: Tracker, session: Session, references: list[str], today: date, savepoints: bool
) -> list[dict[str, str]]:
    """Each still-due case's step checked in turn; without savepoints, the batch's steps are
    written together at the end (one UPDATE of the rows, one INSERT of the events)."""
    actor = system_user(session)
    rows = session.scalars(_due_by(today, select(Case).where(Case.reference.in_(references))))
    results: list[dict[str, str]] = []
    batch: list[NextEvent] = []
    for row in list(rows):  # still due: a clerk may have moved one since the list was read
        reference = row.reference
        try:
            with session.begin_nested() if savepoints else nullcontext():
                outcome = _later_step(tracker, session, row, today)
                if outcome is None:
                    outcome, step = _sweep_case(tracker, session, row, actor, today)
                    if step is not None and savepoints:
                        record_events(session, [step])
                    elif step is not None:
                        batch.append(step)
        except DomainError as exc:
            outcome = {"case": reference, "skipped": exc.message}
        if outcome:
            results.append(outcome)
    if batch:
        record_events(session, batch)
    return results


def _later_step(
    tracker: Tracker, session: Session, row: Case, today: date
) -> dict[str, str] | None:
    """For a sweep of a past day, a case holding a step dated after it: what was due by that
    day, judged by the events up to it, reported as skipped ({} when nothing was); None for a
    case with no later step, which the sweep then judges as it stands."""
    latest = projected_state(row).last_on  # the latest step's date (not an opening's)
    if latest is None or latest <= today:
        return None
    view = build_view(tracker, session, row, event_records(session, row), as_of=today)
    flow = case_workflow(tracker, session, row)
    due = [(t, d) for t, d in due_transitions(flow, view.state) if d.on <= today]
    if not due:
        return {}  # left alone, nothing to report
    transition, when = due[0]
    return {
        "case": row.reference,
        "skipped": (
            f"{transition.label} was due on {when.on.isoformat()} by the events up to "
            f"{today.isoformat()}, but the case holds a step on {latest.isoformat()}, after "
            "it: a sweep for a past day records no step before a later one"
        ),
    }


def _sweep_case(
    tracker: Tracker, session: Session, row: Case, actor: User, today: date
) -> tuple[dict[str, str] | None, NextEvent | None]:
    """The clock's step due on the case by `today`, checked (nothing written): what the sweep
    reports, and the step to write, if one may be taken."""
    case = Writing(row, case_workflow(tracker, session, row), projected_state(row))
    refusals: list[str] = []
    for transition, due in due_transitions(case.flow, case.state):
        if due.on > today:
            return None, None
        comment = f"Recorded by the sweep: {due.basis}"
        new = NewStep(transition.trigger, DateSpan.exact(due.on), comment)
        try:
            step, moved = check_step(tracker, case, actor, new, today)
        except (NotAllowed, InvalidInput) as exc:
            if exc.message not in refusals:
                refusals.append(exc.message)
            continue
        done = {
            "case": row.reference,
            "trigger": transition.trigger,
            "label": transition.label,
            "on": due.on.isoformat(),
        }
        return done, NextEvent(row, case.flow, step, moved, actor)
    if refusals:
        return {"case": row.reference, "skipped": "; ".join(refusals)}, None
    return None, None
