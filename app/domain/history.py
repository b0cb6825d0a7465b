"""Rebuild a case from its events: corrections and undos applied, every step re-checked.

The same checks gate a new step (`take_step`, once) and a stored one replayed (`apply_step`), so
a corrected history must still be a valid run of the workflow, and the date rules hold along it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from app.domain.audit import EventRecord
from app.domain.case import CaseState, Step
from app.domain.clock import (
    ClockRule,
    DateSpan,
    EffectiveDate,
    check_chronology,
    check_eligibility,
    check_named_date,
    one_date_for_span,
    parse_span,
)
from app.domain.definitions import (
    FOLLOWED_ARTICLE_KEY,
    FOLLOWED_CASE_KEY,
    FOLLOWED_DATE_KEY,
    IN_FORCE_SINCE_KEY,
    NAMED_DATE_KEY,
    NEXT_DATE_KEY,
    RESERVED_TRIGGERS,
    Transition,
    Workflow,
)
from app.domain.engine import Engine
from app.domain.errors import DomainError, InvalidInput

CORRECT, UNDO, OPEN = RESERVED_TRIGGERS
# Opening the record is an event of the audit log, not a step of the procedure: it neither
# moves the case nor bounds the dates of its steps.


def steps_from_events(events: Iterable[EventRecord]) -> list[Step]:
    """The workflow steps as they stand after every correction and undo, in order."""
    steps: dict[int, Step] = {}
    for ev in events:
        if ev.trigger == OPEN:
            continue
        if ev.trigger == CORRECT:
            target = int(ev.evidence["corrects"])
            steps[target] = corrected(steps[target], ev.seq, ev.evidence["changes"])
        elif ev.trigger == UNDO:
            steps.pop(int(ev.evidence["undoes"]), None)
        else:
            steps[ev.seq] = Step(
                seq=ev.seq,
                trigger=ev.trigger,
                from_state=ev.from_state,
                to_state=ev.to_state,
                span=DateSpan(ev.occurred_on, ev.occurred_until or ev.occurred_on),
                actor=ev.actor,
                recorded_at=ev.recorded_at,
                comment=ev.comment,
                evidence=ev.evidence,
            )
    return list(steps.values())


def given_began_on(events: Sequence[EventRecord]) -> date | None:
    """The day the opener gave for the procedure's start, from the case's opening event."""
    given = events[0].evidence.get("began_on") if events and events[0].trigger == OPEN else None
    return date.fromisoformat(given) if given else None


def corrected(step: Step, correction_seq: int, changes: dict[str, Any]) -> Step:
    """`step` with a correction's changes: its date, evidence keys (None drops one), comment."""
    span = parse_span(changes["occurred_on"]) if "occurred_on" in changes else step.span
    evidence = {**step.evidence, **changes.get("evidence", {})}
    return replace(
        step,
        span=span,
        evidence={k: v for k, v in evidence.items() if v is not None},
        comment=changes.get("comment", step.comment),
        corrected_by=(*step.corrected_by, correction_seq),
    )


def take_step(engine: Engine, case: CaseState, step: Step, today: date) -> tuple[Step, CaseState]:
    """Check a new step once (trigger, evidence, dates, guards): the step as it is recorded,
    its evidence parsed, and the case after it; or a DomainError naming what is refused."""
    transition = engine.workflow.transition(step.trigger)
    engine.check_trigger(case.state, step.trigger)
    step = replace(step, evidence=transition.parse_evidence(step.evidence))
    return step, _checked_move(engine, transition, case, step, today)


def apply_step(engine: Engine, case: CaseState, step: Step, today: date) -> CaseState:
    """The case after a stored step, re-checked as it is stored (a replay), or a DomainError
    naming what the workflow or the clock refuses."""
    transition = engine.workflow.transition(step.trigger)
    engine.check_trigger(case.state, step.trigger)
    transition.parse_evidence(step.evidence)
    return _checked_move(engine, transition, case, step, today)


def _checked_move(
    engine: Engine, transition: Transition, case: CaseState, step: Step, today: date
) -> CaseState:
    """The checks after the trigger's and the evidence's: dates, then the machine's guards."""
    workflow = engine.workflow
    check_chronology(case.last_on, step.span, today)
    if (transition.effects or transition.guards) and not _span_allowed(workflow, transition, step):
        raise InvalidInput(
            f"occurred_on: '{step.trigger}' sets or reads the treaty clock, so it needs an exact "
            f"date, not the range {step.span} (a receipt may be a range only when every day of "
            "it gives the same effective date)",
            field="occurred_on",
        )
    dest = engine.fire(case.state, step.trigger, case=case, step=step)
    return _moved(workflow, case, step, dest)


def _span_allowed(workflow: Workflow, transition: Transition, step: Step) -> bool:
    """An exact date, or a receipt known within bounds that all give one effective date."""
    if step.span.is_exact:
        return True
    clock = workflow.clock
    return (
        clock is not None
        and transition.effects == ("start_clock",)
        and not transition.guards
        and NAMED_DATE_KEY not in step.evidence
        and one_date_for_span(clock, step.span) is not None
    )


def fold(workflow: Workflow, steps: Iterable[Step]) -> CaseState:
    """The case after `steps`, trusted as recorded: views and lists use this, no machine."""
    case = CaseState(workflow.initial)
    for step in steps:
        case = _moved(workflow, case, step, step.to_state)
    return case


def _moved(workflow: Workflow, case: CaseState, step: Step, dest: str) -> CaseState:
    moved = case.after_step(dest, step.span.earliest, _evidence_date(step, NEXT_DATE_KEY))
    for effect in workflow.transition(step.trigger).effects:
        moved = APPLY_EFFECT[effect](moved, step, workflow.clock)
    return moved


def replay(engine: Engine, steps: Sequence[Step], today: date) -> CaseState:
    """Fold the steps from the workflow's first stage; a step that no longer fits raises,
    prefixed with its event number."""
    case = CaseState(engine.workflow.initial)
    for step in steps:
        try:
            case = apply_step(engine, case, step, today)
        except DomainError as exc:
            raise type(exc)(f"event {step.seq} ({step.trigger}): {exc.message}", exc.field) from exc
    return case


def due_transitions(workflow: Workflow, case: CaseState) -> list[tuple[Transition, EffectiveDate]]:
    """The steps that wait for the treaty clock (take effect, or defer), with their date."""
    due = case.period_end(workflow.clock)
    if due is None:
        return []
    return [
        (t, due) for t in workflow.available(case.state) if "effective_date_reached" in t.guards
    ]


def _evidence_date(step: Step, key: str) -> date | None:
    value = step.evidence.get(key)
    return date.fromisoformat(value) if value else None


def _start_clock(case: CaseState, step: Step, clock: ClockRule | None) -> CaseState:
    received_on = step.span.earliest
    named_on = _evidence_date(step, NAMED_DATE_KEY)
    if clock is not None:
        check_eligibility(clock, received_on, _evidence_date(step, IN_FORCE_SINCE_KEY))
        if named_on is not None:
            check_named_date(clock, received_on, named_on)
        elif clock.named_date_required:
            raise InvalidInput(
                f"evidence.{NAMED_DATE_KEY}: {clock.article}: the notice names the date it "
                f"takes effect ({clock.clause}); give it (YYYY-MM-DD)",
                field=f"evidence.{NAMED_DATE_KEY}",
            )
    until = None if step.span.is_exact else step.span.latest
    return replace(
        case, deposited_on=received_on, deposited_until=until, named_effective_on=named_on
    )


def _record_armed_conflict(case: CaseState, step: Step, clock: ClockRule | None) -> CaseState:
    return replace(case, armed_conflict_since=case.armed_conflict_since or step.span.earliest)


def _end_armed_conflict(case: CaseState, step: Step, clock: ClockRule | None) -> CaseState:
    return replace(case, conflict_ended_on=step.span.earliest)


def _revoke_notice(case: CaseState, step: Step, clock: ClockRule | None) -> CaseState:
    return replace(case, revoked_on=step.span.earliest)


def _dispute_effect(case: CaseState, step: Step, clock: ClockRule | None) -> CaseState:
    return replace(case, disputed_since=step.span.earliest)


def _condition_met(case: CaseState, step: Step, clock: ClockRule | None) -> CaseState:
    return replace(case, condition_met_on=step.span.earliest)


def _cease_membership(case: CaseState, step: Step, clock: ClockRule | None) -> CaseState:
    return replace(case, ceased_on=step.span.earliest)


def _follow_withdrawal(case: CaseState, step: Step, clock: ClockRule | None) -> CaseState:
    on = _evidence_date(step, FOLLOWED_DATE_KEY)
    if on is None:
        raise InvalidInput(
            f"evidence.{FOLLOWED_DATE_KEY}: the day the other treaty's withdrawal takes effect "
            "is required (YYYY-MM-DD)",
            field=f"evidence.{FOLLOWED_DATE_KEY}",
        )
    article = step.evidence.get(FOLLOWED_ARTICLE_KEY) or "by operation of the other treaty"
    basis = (
        f"the withdrawal recorded in {step.evidence.get(FOLLOWED_CASE_KEY)} takes effect on "
        f"{on.isoformat()}, and is also a withdrawal from this treaty ({article})"
    )
    return replace(case, follows_on=on, follows_basis=basis)


APPLY_EFFECT: dict[str, Callable[[CaseState, Step, ClockRule | None], CaseState]] = {
    "start_clock": _start_clock,
    "record_armed_conflict": _record_armed_conflict,
    "end_armed_conflict": _end_armed_conflict,
    "revoke_notice": _revoke_notice,
    "dispute_effect": _dispute_effect,
    "condition_met": _condition_met,
    "cease_membership": _cease_membership,
    "follow_withdrawal": _follow_withdrawal,
}
