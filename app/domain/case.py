"""A case's history as the domain sees it: steps (after corrections) and the state they lead to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.domain.clock import (
    ClockRule,
    DateSpan,
    EffectiveDate,
    effective_date,
    one_date_for_span,
)

FIRST_STEP, GIVEN = "first step", "given when the case was opened"


def procedure_began(first_step_on: date | None, given_on: date | None) -> tuple[date, str] | None:
    """When the procedure began and how that is known: the day the opener gave (a decision
    before any step the tracker records: a government's, a cabinet's) unless the first step is
    dated earlier; the first step's (earliest) day when none was given; None before either."""
    if given_on is not None and (first_step_on is None or given_on < first_step_on):
        return given_on, GIVEN
    return (first_step_on, FIRST_STEP) if first_step_on is not None else None


@dataclass(frozen=True)
class Step:
    """A workflow step as it stands once every correction of it is applied."""

    seq: int
    trigger: str
    from_state: str
    to_state: str
    span: DateSpan
    actor: str
    recorded_at: datetime
    comment: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    corrected_by: tuple[int, ...] = ()


@dataclass(frozen=True)
class CaseState:
    """Where a case stands and the dates its treaty clock needs."""

    state: str
    deposited_on: date | None = None
    named_effective_on: date | None = None
    armed_conflict_since: date | None = None
    conflict_ended_on: date | None = None
    revoked_on: date | None = None
    # A receipt known only within bounds that all give one date (see clock.one_date_for_span).
    deposited_until: date | None = None
    # The effect waits for a condition (ILO dues, the US conditions on the WHO): disputed since
    # the period's end, until the condition is recorded met.
    disputed_since: date | None = None
    condition_met_on: date | None = None
    # Membership ended by an organ's decision (Statute of the Council of Europe Art. 8).
    ceased_on: date | None = None
    # A withdrawal by operation of another treaty's (Paris Art. 28(3): the UNFCCC's): the day
    # that one takes effect, and how (the other case and the article).
    follows_on: date | None = None
    follows_basis: str | None = None
    # A next date a step set outside the clock (definitions.NEXT_DATE_KEY: a returned law
    # parked in committee until then); it holds until the next step.
    next_step_on: date | None = None
    # The first step's (earliest) date, whenever the record was opened (`procedure_began`
    # weighs it against the day the opener gave).
    began_on: date | None = None
    last_on: date | None = None

    def after_step(self, state: str, on: date, next_step_on: date | None) -> CaseState:
        """This state moved to `state` by a step on `on` (the first step's day is when the
        procedure began). Every step of every case replayed goes through here, so the copy is
        made directly: dataclasses.replace walks every field and runs __init__ again, three
        quarters of a replay's time spent copying fields that __init__ does not check."""
        moved = object.__new__(CaseState)
        moved.__dict__.update(
            self.__dict__,
            state=state,
            last_on=on,
            began_on=self.began_on or on,
            next_step_on=next_step_on,
        )
        return moved

    def effective(self, clock: ClockRule | None) -> EffectiveDate | None:
        """The effective date with how it was computed; None before the deposit, while a
        recorded armed conflict defers it to a day not yet known (e.g. APMBC Art. 20(3)), and
        while the effect is disputed for an unmet condition (ILO Art. 1(5))."""
        if self.ceased_on is not None:
            return EffectiveDate(
                self.ceased_on,
                f"membership ceased as from {self.ceased_on.isoformat()} by the decision recorded",
            )
        end = self.period_end(clock)
        if end is None or self.revoked_on is not None:
            return None
        if clock is None or (self.follows_on is not None and end.on == self.follows_on):
            return end
        deferral = clock.armed_conflict_deferral
        if deferral and self.armed_conflict_since is not None and self.conflict_ended_on is None:
            return None
        if self.disputed_since is not None:
            return self._condition_met(clock, end)
        if self.conflict_ended_on is not None and self.deposited_on is not None:
            return effective_date(
                clock, self.deposited_on, self.named_effective_on, self.conflict_ended_on
            )
        return end

    def _condition_met(self, clock: ClockRule, end: EffectiveDate) -> EffectiveDate | None:
        met = self.condition_met_on
        if met is None:
            return None
        if clock.effect_when_met == "period_end":
            return EffectiveDate(end.on, f"{end.basis}; condition met on {met.isoformat()}")
        return EffectiveDate(
            met,
            f"condition met on {met.isoformat()} ({clock.effect_condition}); the notice period "
            f"had ended on {end.on.isoformat()} ({end.basis})",
        )

    def period_end(self, clock: ClockRule | None) -> EffectiveDate | None:
        """The day the notice period ends (or the later date named in the notice); for a
        withdrawal that also follows another treaty's, the earlier of the two days."""
        own = self._own_period_end(clock)
        if self.follows_on is None or self.ceased_on is not None:
            return own
        if own is not None and own.on <= self.follows_on:
            return own
        return EffectiveDate(self.follows_on, self.follows_basis or "")

    def _own_period_end(self, clock: ClockRule | None) -> EffectiveDate | None:
        if clock is None or self.deposited_on is None or self.ceased_on is not None:
            return None
        if clock.named_date_required and self.named_effective_on is None:
            return None
        if self.deposited_until is not None:
            return one_date_for_span(clock, DateSpan(self.deposited_on, self.deposited_until))
        return effective_date(clock, self.deposited_on, self.named_effective_on)
