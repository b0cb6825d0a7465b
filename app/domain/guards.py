"""Guards named in workflow files: pure functions of the case, the step and the clock.

Each returns None when the step may happen, or a Refusal: the input at fault and a sentence
saying why it may not (the date, for a step on the wrong day; the step itself, when the case
is not ready for it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from app.domain.case import CaseState, Step
from app.domain.clock import ClockRule, DateSpan


class Refusal(NamedTuple):
    field: str
    message: str


Guard = Callable[[CaseState, Step, ClockRule | None], Refusal | None]


def effective_date_reached(case: CaseState, step: Step, clock: ClockRule | None) -> Refusal | None:
    """The step falls on the day the notice period ends."""
    due = case.period_end(clock)
    if due is None:
        return Refusal(
            "trigger",
            f"trigger: '{step.trigger}' needs the depositary's receipt to be recorded first "
            "(deposit)",
        )
    if step.span != DateSpan.exact(due.on):
        return Refusal(
            "occurred_on",
            f"occurred_on: '{step.trigger}' happens on the day the notice period ends, "
            f"{due.on.isoformat()} ({due.basis}); got {step.span}",
        )
    return None


def no_armed_conflict(case: CaseState, step: Step, clock: ClockRule | None) -> Refusal | None:
    """No armed conflict is recorded."""
    if case.armed_conflict_since is None:
        return None
    article = clock.article if clock else "the treaty"
    return Refusal(
        "trigger",
        f"trigger: an armed conflict is recorded since {case.armed_conflict_since.isoformat()}: "
        f"the withdrawal does not take effect before it ends ({article}); use "
        "suspend_for_armed_conflict",
    )


def armed_conflict_recorded(case: CaseState, step: Step, clock: ClockRule | None) -> Refusal | None:
    """An armed conflict is recorded."""
    if case.armed_conflict_since is not None:
        return None
    return Refusal(
        "trigger",
        f"trigger: '{step.trigger}' needs an armed conflict to be recorded (record_armed_conflict)",
    )


GUARD_CHECKS: dict[str, Guard] = {
    "effective_date_reached": effective_date_reached,
    "no_armed_conflict": no_armed_conflict,
    "armed_conflict_recorded": armed_conflict_recorded,
}
