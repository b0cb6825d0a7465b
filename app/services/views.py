"""Read models the web, the API and the CLI render: a case with its dates, steps and history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from app.domain.audit import EventRecord
from app.domain.case import CaseState, Step, procedure_began
from app.domain.clock import EffectiveDate, first_notice_day
from app.domain.countries import country_name
from app.domain.definitions import Transition, Workflow
from app.domain.errors import NotFound
from app.domain.history import CORRECT, OPEN, UNDO, due_transitions, fold, steps_from_events
from app.domain.projection import awaited_date
from app.persistence.models import Case, User
from app.services.context import Tracker
from app.services.labels import event_words, labelled
from app.services.recording import projected_state


@dataclass(frozen=True)
class AvailableStep:
    """A step the case may take next, who may take it and, for the clock's steps, when."""

    transition: Transition
    due_on: date | None = None
    # a date a step set for this one, outside the clock (a returned law parked in committee
    # until then): when it is expected, not a day to record it on
    awaited_on: date | None = None

    def to_json(self) -> dict[str, Any]:
        t = self.transition
        return {
            "trigger": t.trigger,
            "label": t.label,
            "roles": list(t.roles),
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "awaited_on": self.awaited_on.isoformat() if self.awaited_on else None,
            "date_note": t.date_note,
            "evidence": [
                {
                    "key": f.key,
                    "type": f.type,
                    "required": f.required,
                    "label": f.label,
                    "allowed": f.describe(),
                }
                for f in t.evidence
            ],
        }


@dataclass
class TimelineEntry:
    """A recorded step as the timeline shows it: as recorded, as it now stands, and what
    corrected or voided it."""

    record: EventRecord
    step: Step | None  # as it stands; once undone, as it stood (corrected) when undone
    corrections: list[EventRecord]
    undone_by: EventRecord | None


def _step_before(history: Sequence[EventRecord], seq: int, target: int) -> Step | None:
    """Step `target` as it stood just before event `seq` (an undo): with its corrections, so
    that a voided step shows what was voided, not what was first recorded."""
    earlier = steps_from_events(r for r in history if r.seq < seq)
    return next((s for s in earlier if s.seq == target), None)


@dataclass(frozen=True)
class CaseRecord:
    """A case row's values, copied inside the transaction that read it: what a view shows of
    the row, so that no ORM row leaves its unit of work."""

    reference: str
    country: str
    treaty: str
    workflow: str
    workflow_version: str
    kind: str
    state: str
    final: bool
    practice: bool
    began_on: date | None
    given_began_on: date | None  # the day the opener gave, if any
    deposited_on: date | None
    deposited_until: str | None  # the latest day of a receipt known only within bounds
    effective_on: date | None
    next_on: date | None
    version: int
    opened_on: date
    opened_by: str
    note: str
    in_force_since: date | None

    @classmethod
    def of(cls, row: Case) -> CaseRecord:
        return cls(
            reference=row.reference, country=row.country, treaty=row.treaty,
            workflow=row.workflow, workflow_version=row.workflow_version, kind=row.kind,
            state=row.state, final=row.final, practice=row.practice, began_on=row.began_on,
            given_began_on=row.given_began_on, deposited_on=row.deposited_on,
            deposited_until=row.clock_state.get("deposited_until"),
            effective_on=row.effective_on, next_on=row.next_on, version=row.version,
            opened_on=row.opened_on, opened_by=row.opened_by.name, note=row.note,
            in_force_since=row.in_force_since,
        )  # fmt: skip

    def began(self) -> date | None:
        """When the procedure began (`case.procedure_began`), from the row's projection."""
        began = procedure_began(self.began_on, self.given_began_on)
        return began[0] if began else None

    def summary(self) -> dict[str, Any]:
        """The case as lists show it, from its row's projection."""
        return {
            "reference": self.reference,
            "country": self.country,
            "country_name": country_name(self.country),
            "treaty": self.treaty,
            "workflow": self.workflow,
            "kind": self.kind,
            "state": self.state,
            "final": self.final,
            "practice": self.practice,
            "began": _iso(self.began()),
            "deposited": _iso(self.deposited_on),
            "deposited_until": self.deposited_until,
            "effective": _iso(self.effective_on),
            "next_date": _iso(self.next_on),
            "version": self.version,
        }


@dataclass(frozen=True)
class CaseView:
    """A case as it stands (or stood on `as_of`): rebuilt from its events, or read from its
    row's projection (then `history` is None; a write also holds the event it `recorded`)."""

    case: CaseRecord
    workflow: Workflow
    state: CaseState
    effective: EffectiveDate | None
    available: tuple[AvailableStep, ...]
    history: tuple[EventRecord, ...] | None
    steps: tuple[Step, ...] = ()
    as_of: date | None = None
    recorded: EventRecord | None = None
    # The country's cases under a treaty this one's withdrawal also covers, or that covers
    # this one (UNFCCC and Paris Agreement, Paris Art. 28(3)): (reference, treaty, why).
    linked: tuple[tuple[str, str, str], ...] = ()

    @property
    def reference(self) -> str:
        return self.case.reference

    def timeline(self) -> list[TimelineEntry]:
        """Each recorded step with the corrections of it and the undo that voided it, if any."""
        current = {s.seq: s for s in self.steps}
        history = self.history or ()
        entries = {
            r.seq: TimelineEntry(r, current.get(r.seq), [], None)
            for r in history
            if r.trigger not in (CORRECT, UNDO, OPEN)
        }
        for r in history:
            if r.trigger == CORRECT and int(r.evidence["corrects"]) in entries:
                entries[int(r.evidence["corrects"])].corrections.append(r)
            elif r.trigger == UNDO and int(r.evidence["undoes"]) in entries:
                entry = entries[int(r.evidence["undoes"])]
                entry.undone_by = r
                entry.step = _step_before(history, r.seq, entry.record.seq)
        return list(entries.values())

    def taken(self) -> list[tuple[str, str, str]]:
        """The path the case took: (from stage, trigger, to stage) for each live step."""
        return [(s.from_state, s.trigger, s.to_state) for s in self.steps]

    @property
    def version(self) -> int:
        return self.case.version

    def procedure_began(self) -> tuple[date, str] | None:
        """When the procedure began and how that is known (`case.procedure_began`)."""
        return procedure_began(self.state.began_on, self.case.given_began_on)

    def notice_allowed_from(self) -> date | None:
        """The first day a notice may be given, where the clause bars early notice."""
        clock, since = self.workflow.clock, self.case.in_force_since
        return first_notice_day(clock, since) if clock and since else None

    def to_json(self) -> dict[str, Any]:
        """The case as the API gives it: its summary, with its history when it was read."""
        return {
            **self.summary_json(),
            **(
                {}
                if self.history is None
                else {"history": [self._event_json(h) for h in self.history]}
            ),
            **(
                {} if self.recorded is None else {"recorded_event": self._event_json(self.recorded)}
            ),
        }

    def summary_json(self) -> dict[str, Any]:
        """The case's facts, stage, dates and next steps, without its events (the case page
        shows those from its records)."""
        row, stage = self.case, self.workflow.stages[self.state.state]
        period_end = self.state.period_end(self.workflow.clock)
        began = self.procedure_began()
        return {
            "reference": row.reference,
            "country": row.country,
            "country_name": country_name(row.country),
            "treaty": row.treaty,
            "treaty_name": self.workflow.treaty.short_name,
            "workflow": row.workflow,
            "workflow_version": row.workflow_version,
            "practice": row.practice,
            "opened_on": row.opened_on.isoformat(),
            "opened_by": row.opened_by,
            "procedure_began_on": began[0].isoformat() if began else None,
            "procedure_began_from": began[1] if began else None,
            "note": row.note,
            "kind": self.workflow.kind,
            "in_force_since": _iso(row.in_force_since),
            "notice_allowed_from": _iso(self.notice_allowed_from()),
            "state": stage.id,
            "stage": {
                "label": stage.label,
                "description": stage.description,
                "responsible": stage.responsible,
                "final": stage.final,
            },
            "version": row.version,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "dates": {
                "deposited": _iso(self.state.deposited_on),
                "deposited_until": _iso(self.state.deposited_until),
                "effective": _iso(self.effective.on if self.effective else None),
                "effective_basis": self.effective.basis if self.effective else None,
                "notice_period_ends": _iso(period_end.on if period_end else None),
                "armed_conflict_since": _iso(self.state.armed_conflict_since),
                "revoked": _iso(self.state.revoked_on),
                "effect_disputed_since": _iso(self.state.disputed_since),
                "condition_met": _iso(self.state.condition_met_on),
                "membership_ceased": _iso(self.state.ceased_on),
            },
            "linked_cases": [
                {"reference": ref, "treaty": treaty, "why": why} for ref, treaty, why in self.linked
            ],
            "available_triggers": [a.to_json() for a in self.available],
        }

    def _event_json(self, record: EventRecord) -> dict[str, Any]:
        """An event of the history with its step and stages in words, beside their ids."""
        return labelled(record, event_words(self.workflow, record))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def build_view(
    tracker: Tracker,
    session: Session,
    row: Case,
    records: list[EventRecord],
    as_of: date | None = None,
) -> CaseView:
    """Fold the (corrected) steps up to `as_of` into the case's state, dates and next steps."""
    workflow = tracker.case_workflow(session, row.workflow, row.workflow_version)
    steps = steps_from_events(records)
    if as_of is not None:
        steps = [s for s in steps if s.span.earliest <= as_of]
        records = [r for r in records if r.occurred_on <= as_of]
    view = _view(row, workflow, fold(workflow, steps))
    return replace(
        view, history=tuple(records), steps=tuple(steps), as_of=as_of,
        linked=linked_cases(tracker, session, row),
    )  # fmt: skip


def linked_cases(tracker: Tracker, session: Session, row: Case) -> tuple[tuple[str, str, str], ...]:
    """The country's other real cases under a treaty linked to this one by a cascade."""
    treaties = tracker.registry.treaties
    links: dict[str, str] = {}
    for code, treaty in treaties.items():
        if code == row.treaty:
            links.update({other: treaty.also_article for other in treaty.also_withdraws_from})
        elif row.treaty in treaty.also_withdraws_from:
            links[code] = treaty.also_article
    if not links or row.practice:
        return ()
    found = session.scalars(
        select(Case)
        .where(Case.country == row.country, Case.treaty.in_(links), Case.practice.is_(False))
        .order_by(Case.reference)
    )
    return tuple((c.reference, c.treaty, links[c.treaty]) for c in found)


def projected_view(
    tracker: Tracker,
    session: Session,
    row: Case,
    recorded: EventRecord | None = None,
) -> CaseView:
    """The case as its row's projection has it, without its history: lists, pending steps,
    calendars and the answer to a write read this, no event but the ones given."""
    workflow = tracker.case_workflow(session, row.workflow, row.workflow_version)
    return replace(_view(row, workflow, projected_state(row)), recorded=recorded)


def _view(row: Case, workflow: Workflow, state: CaseState) -> CaseView:
    due = {t.trigger: d.on for t, d in due_transitions(workflow, state)}
    if not due and (awaited := awaited_date(workflow, state)):
        expected = {awaited.trigger: awaited.on}
    else:
        expected = {}
    return CaseView(
        case=CaseRecord.of(row),
        workflow=workflow,
        state=state,
        effective=state.effective(workflow.clock),
        available=tuple(
            AvailableStep(t, due.get(t.trigger), expected.get(t.trigger))
            for t in workflow.available(state.state)
        ),
        history=None,
    )


# Built once: building the statement for each advance cost about what running it did (issue 8).
_CASE_BY_REFERENCE = select(Case).where(Case.reference == bindparam("reference"))
_WRITER = aliased(User, name="writer")
_CASE_AND_WRITER = (
    select(Case, _WRITER)
    .outerjoin(_WRITER, _WRITER.name == bindparam("actor"))
    .where(Case.reference == bindparam("reference"))
)


def load_case(session: Session, reference: str) -> Case:
    """The case with this reference, or NotFound saying how to list the references."""
    return _found(session.scalar(_CASE_BY_REFERENCE, {"reference": _key(reference)}), reference)


def load_case_and_writer(session: Session, reference: str, actor: str) -> tuple[Case, User | None]:
    """The case (or NotFound, as `load_case`) and the account named `actor` if there is one,
    in one statement: a write reads both."""
    found = session.execute(
        _CASE_AND_WRITER, {"reference": _key(reference), "actor": actor}
    ).one_or_none()
    case, writer = (None, None) if found is None else found
    return _found(case, reference), writer


def _key(reference: str) -> str:
    return reference.strip().upper()


def _found(case: Case | None, reference: str) -> Case:
    if case is None:
        raise NotFound(
            f"case: no case {reference!r}; `flask --app app cases list` shows the references",
            field="case",
        )
    return case


def workflow_json(workflow: Workflow) -> dict[str, Any]:
    """A workflow definition as data: stages, transitions with their evidence, the clock."""
    clock = workflow.clock
    return {
        "name": workflow.name,
        "version": workflow.version,
        "label": workflow.label,
        "treaty": workflow.treaty.code,
        "initial": workflow.initial,
        "clock": None
        if clock is None
        else {
            "article": clock.article,
            "kind": clock.kind,
            "rule": str(clock),
            # the period where the clause has one ("6 months"), else what the clause counts
            "notice_period": str(clock.notice_period or clock.clause),
            "later_date_allowed": clock.later_date_allowed,
            "armed_conflict_deferral": clock.armed_conflict_deferral,
            "earliest_notice_after_years": clock.earliest_notice_after_years,
        },
        "stages": [
            {
                "id": s.id,
                "label": s.label,
                "responsible": s.responsible,
                "final": s.final,
                "description": s.description,
            }
            for s in workflow.stages.values()
        ],
        "transitions": [
            {
                **AvailableStep(t).to_json(),
                "sources": list(t.sources),
                "dest": t.dest,
                "guards": list(t.guards),
                "effects": list(t.effects),
            }
            for t in workflow.transitions
        ],
    }
