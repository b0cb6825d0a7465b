"""A withdrawal that is also a withdrawal from another treaty, as a treaty file says
(`also_withdraws_from`: UNFCCC Art. 25, Paris Agreement Art. 28(3)).

Opening a withdrawal case of such a treaty opens the country's case under the other treaty
when none is open (or links the open one); the deposit records, in the same transaction, the
other case's step by operation of that article: one event in each case's own chain, all or
none. A State whose withdrawal from the other treaty has already taken effect (as the tracker's
own cases say, with no accession in force after it) is no longer a party to it: nothing is
opened or recorded there, and the step says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.case import procedure_began
from app.domain.clock import DateSpan
from app.domain.countries import country_name
from app.domain.definitions import (
    FOLLOW_EFFECT,
    FOLLOWED_ARTICLE_KEY,
    FOLLOWED_CASE_KEY,
    FOLLOWED_DATE_KEY,
    Transition,
    Treaty,
)
from app.domain.errors import DomainError, NotAllowed
from app.persistence.models import Case, User
from app.services.context import Tracker
from app.services.recording import case_workflow, projected_state

# The kinds of case after which the State is no longer a party, or is one again.
LEFT = ("withdrawal", "cessation")
JOINED = ("accession",)


@dataclass(frozen=True)
class Other:
    """Where the other treaty stands for the country: its open withdrawal case, or the case
    whose withdrawal took effect (no longer a party), or neither."""

    treaty: Treaty
    open_case: Case | None
    left_by: Case | None


def applies(tracker: Tracker, row: Case) -> bool:
    """Whether a step of this case cascades: a real withdrawal under a treaty that says so."""
    treaty = tracker.registry.treaties.get(row.treaty)
    return (
        bool(treaty and treaty.also_withdraws_from)
        and not row.practice
        and (row.kind == "withdrawal")
    )


def others(tracker: Tracker, session: Session, row: Case) -> list[Other]:
    """The treaties a withdrawal of this case's treaty also withdraws from, as they stand for
    its country."""
    found = []
    for code in tracker.registry.treaty(row.treaty).also_withdraws_from:
        cases = list(
            session.scalars(
                select(Case)
                .where(Case.country == row.country, Case.treaty == code)
                .where(Case.practice.is_(False), Case.id != row.id)
                .order_by(Case.reference)
            )
        )
        open_ones = [c for c in cases if not c.final and c.kind == "withdrawal"]
        found.append(
            Other(tracker.registry.treaty(code), next(iter(open_ones), None), _left_by(cases))
        )
    return found


def _left_by(cases: list[Case]) -> Case | None:
    """The case whose withdrawal (or cessation) took effect last, unless an accession came into
    force after it: then the State is a party again."""
    done = [c for c in cases if c.final and c.effective_on is not None]
    done = [c for c in done if c.kind in LEFT + JOINED]
    latest = max(done, key=lambda c: (c.effective_on, c.kind in LEFT), default=None)
    return latest if latest is not None and latest.kind in LEFT else None


def open_others(tracker: Tracker, session: Session, user: User, row: Case) -> list[Case]:
    """Open the country's case under each treaty this one's withdrawal also withdraws from,
    where none is open and the State is still a party; returns every case now linked."""
    linked = []
    for other in others(tracker, session, row):
        if other.open_case is None and other.left_by is None:
            linked.append(_open_other(tracker, session, user, row, other.treaty))
        elif other.open_case is not None:
            linked.append(other.open_case)
    return linked


def _open_other(tracker: Tracker, session: Session, user: User, row: Case, treaty: Treaty) -> Case:
    from app.services.cases import open_in, opening_for  # cases runs the cascade after a step

    source = tracker.registry.treaty(row.treaty)
    opening = opening_for(tracker, row.country, treaty.code, f"{treaty.code}/international-only")
    note = (
        f"Opened by the tracker with {row.reference}, the withdrawal of "
        f"{country_name(row.country)} from the {source.short_name}: {source.also_article}. "
        f"The date follows the {source.short_name}'s, recorded here when its Depositary "
        "receives that notice."
    )
    began = procedure_began(projected_state(row).began_on, row.given_began_on)
    day = began[0] if began else row.opened_on
    return open_in(tracker, session, user, replace(opening, began_on=day, note=note))


def deposit_note(
    tracker: Tracker, session: Session, user: User, row: Case
) -> tuple[str, list[Case]]:
    """Before a deposit that cascades: the sentence its comment gains and the cases (opened now
    where none was open) whose step follows it."""
    source = tracker.registry.treaty(row.treaty)
    targets, said = [], []
    for other in others(tracker, session, row):
        if other.open_case is None and other.left_by is not None:
            left = other.left_by
            assert left.effective_on is not None
            said.append(
                f"{country_name(row.country)} is no longer a party to the "
                f"{other.treaty.short_name}: its withdrawal took effect on "
                f"{left.effective_on.isoformat()} ({left.reference}), so {source.also_article} "
                "records nothing there"
            )
            continue
        target = other.open_case or _open_other(tracker, session, user, row, other.treaty)
        targets.append(target)
        said.append(f"also the withdrawal from the {other.treaty.short_name}: recorded in "
                    f"{target.reference} ({source.also_article})")  # fmt: skip
    return "; ".join(said), targets


def follow_deposit(
    tracker: Tracker,
    session: Session,
    user: User,
    row: Case,
    targets: list[Case],
) -> None:
    """Record in each target case the step that follows this case's deposit (just recorded):
    on the same day, with the day this withdrawal takes effect. A target that refuses it stops
    the whole transaction, naming that case and the reason."""
    from app.services.cases import NewStep, Writing, record_step

    source = tracker.registry.treaty(row.treaty)
    state = projected_state(row)
    effective = state.effective(case_workflow(tracker, session, row).clock)
    assert state.deposited_on is not None
    for target in targets:
        writing = Writing(target, case_workflow(tracker, session, target), projected_state(target))
        try:
            step = _follow_step(writing.flow.transitions, target)
            if effective is None:
                raise NotAllowed(
                    f"{row.reference} has no effective date to follow yet", field="occurred_on"
                )
            comment = (
                f"By operation of {source.also_article}: the Depositary received the notice of "
                f"withdrawal from the {source.short_name} recorded in {row.reference} on "
                f"{state.deposited_on.isoformat()}; it takes effect on "
                f"{effective.on.isoformat()} ({effective.basis}), and so does this withdrawal, "
                "unless this case's own notice ends earlier. Recorded by the tracker with that "
                "deposit, in the same transaction."
            )
            evidence = {
                FOLLOWED_CASE_KEY: row.reference,
                FOLLOWED_DATE_KEY: effective.on.isoformat(),
                FOLLOWED_ARTICLE_KEY: source.also_article,
            }
            new = NewStep(step.trigger, DateSpan.exact(state.deposited_on), comment, evidence)
            record_step(tracker, session, writing, user, new)
        except DomainError as exc:
            raise exc.within(
                f"{target.reference} ({writing.flow.treaty.short_name}) refused the step that "
                "follows this deposit, so nothing was recorded in either case"
            ) from exc


def _follow_step(transitions: tuple[Transition, ...], target: Case) -> Transition:
    for t in transitions:
        if FOLLOW_EFFECT in t.effects:
            return t
    raise NotAllowed(
        f"its workflow {target.workflow} ({target.workflow_version}) has no step with effect "
        f"{FOLLOW_EFFECT}; record the withdrawal there by hand",
        field="trigger",
    )
