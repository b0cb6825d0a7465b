"""The engine and a case's history: steps allowed by the workflow and the treaty clock, the
effective date they lead to, and corrections and undos folded into the history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.domain.audit import EventRecord
from app.domain.case import CaseState, Step
from app.domain.engine import Engine, Engines
from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.domain.history import apply_step, fold, replay, steps_from_events
from app.domain.loader import Registry

D = date.fromisoformat
TODAY = date(2026, 11, 27)  # "today" as the service would inject it
MakeStep = Callable[..., Step]
REASONS = {"reasons": "Security situation in the region (Art. 20(2) explanation)"}


@pytest.fixture
def generic(registry: Registry, engines: Engines) -> Engine:
    return engines.for_workflow(registry.workflow("apmbc/generic"))


@pytest.fixture
def apmbc(registry: Registry, engines: Engines) -> Engine:
    """APMBC, international steps only: a case starts at the foreign ministry."""
    return engines.for_workflow(registry.workflow("apmbc/international-only"))


@pytest.fixture
def rome(registry: Registry, engines: Engines) -> Engine:
    return engines.for_workflow(registry.workflow("rome-statute/international-only"))


def deposited(engine: Engine, make_step: MakeStep, on: str, **evidence: Any) -> CaseState:
    """A case whose instrument the depositary received on `on`."""
    return replay(engine, [make_step(1, "deposit", D(on), evidence or REASONS)], TODAY)


# --- a full run -----------------------------------------------------------------------------


def test_estonia_runs_from_drafting_to_effective(generic: Engine, make_step: MakeStep):
    # Estonia 2025 (news.err.ee, ERR, Xinhua): readings, final vote, proclamation, receipt.
    steps = [
        make_step(1, "submit_to_parliament", D("2025-04-24"), {"bill": "642 SE"}),
        make_step(2, "record_reading", D("2025-05-21"), {"chamber": "Riigikogu", "reading": 1}),
        make_step(3, "adopt", D("2025-06-04"), {"votes_for": 81, "votes_against": 1}),
        make_step(4, "sign", D("2025-06-13"), {"signed_by": "President Karis"}),
        make_step(5, "deposit", D("2025-06-27"), REASONS),
        make_step(6, "notify_security_council", D("2025-06-27")),
    ]
    case = replay(generic, steps, TODAY)
    assert case.state == "notice_period"
    assert case.deposited_on == D("2025-06-27")
    effective = case.effective(generic.workflow.clock)
    assert effective is not None
    assert effective.on == D("2025-12-27")
    assert effective.basis == "2025-06-27 + 6 months, APMBC Art. 20(3)"

    case = apply_step(generic, case, make_step(7, "take_effect", D("2025-12-27")), TODAY)
    assert case.state == "effective"
    assert case.effective(generic.workflow.clock).on == D("2025-12-27")


def test_states_follow_each_step(generic: Engine, make_step: MakeStep):
    case = CaseState("drafting")
    expected = [
        ("submit_to_parliament", {}, "parliament"),
        ("record_reading", {"chamber": "Saeima", "reading": 1}, "parliament"),
        ("adopt", {"votes_for": 66, "votes_against": 14}, "presidential_signature"),
        ("return_to_parliament", {"reason": "reconsider"}, "parliament"),
        ("adopt", {"votes_for": 60, "votes_against": 20}, "presidential_signature"),
        ("sign", {}, "mfa_coordination"),
    ]
    for seq, (trigger, evidence, state) in enumerate(expected, start=1):
        case = apply_step(generic, case, make_step(seq, trigger, D("2025-04-16"), evidence), TODAY)
        assert case.state == state, trigger


def test_rejected_bill_ends_the_case(generic: Engine, make_step: MakeStep):
    case = replay(generic, [make_step(1, "submit_to_parliament", D("2025-01-10"))], TODAY)
    case = apply_step(generic, case, make_step(2, "reject", D("2025-02-01")), TODAY)
    assert case.state == "rejected"
    with pytest.raises(NotAllowed) as exc:
        apply_step(generic, case, make_step(3, "revoke", D("2025-02-02"), {"reason": "x"}), TODAY)
    assert "none (final stage)" in exc.value.message


# --- refusals that name what is allowed -------------------------------------------------------


def test_trigger_not_allowed_in_this_stage_names_the_allowed_ones(
    generic: Engine, make_step: MakeStep
):
    with pytest.raises(NotAllowed) as exc:
        apply_step(generic, CaseState("drafting"), make_step(1, "sign", D("2025-04-01")), TODAY)
    assert exc.value.field == "trigger"
    assert "'sign'" in exc.value.message
    assert "'drafting'" in exc.value.message
    assert "submit_to_parliament" in exc.value.message
    assert "revoke" in exc.value.message


def test_trigger_of_no_workflow_is_refused_naming_the_steps(generic: Engine, make_step: MakeStep):
    with pytest.raises(NotFound) as exc:
        apply_step(generic, CaseState("drafting"), make_step(1, "ratify", D("2025-04-01")), TODAY)
    assert "'ratify'" in exc.value.message
    assert "submit_to_parliament" in exc.value.message


def test_step_refused_for_missing_evidence(apmbc: Engine, make_step: MakeStep):
    with pytest.raises(InvalidInput) as exc:
        apply_step(
            apmbc, CaseState("mfa_coordination"), make_step(1, "deposit", D("2025-06-27")), TODAY
        )
    assert exc.value.field == "evidence.reasons"


def test_step_refused_after_today(apmbc: Engine, make_step: MakeStep):
    with pytest.raises(NotAllowed) as exc:
        apply_step(
            apmbc,
            CaseState("mfa_coordination"),
            make_step(1, "deposit", D("2026-11-28"), REASONS),
            TODAY,
        )
    assert exc.value.field == "occurred_on"
    assert TODAY.isoformat() in exc.value.message


def test_step_refused_before_the_previous_one(generic: Engine, make_step: MakeStep):
    case = replay(generic, [make_step(1, "submit_to_parliament", D("2025-04-24"))], TODAY)
    with pytest.raises(NotAllowed) as exc:
        apply_step(
            generic,
            case,
            make_step(2, "adopt", D("2025-04-23"), {"votes_for": 1, "votes_against": 0}),
            TODAY,
        )
    assert "2025-04-24" in exc.value.message


# --- take_effect: exactly on the day the notice period ends -----------------------------------


@pytest.mark.parametrize("on", ["2025-12-26", "2025-12-28", "2026-06-27"])
def test_take_effect_refused_off_the_end_of_the_period(apmbc: Engine, make_step: MakeStep, on):
    case = deposited(apmbc, make_step, "2025-06-27")
    with pytest.raises(NotAllowed) as exc:
        apply_step(apmbc, case, make_step(2, "take_effect", D(on)), TODAY)
    assert exc.value.field == "occurred_on"
    assert "2025-12-27" in exc.value.message
    assert "2025-06-27 + 6 months, APMBC Art. 20(3)" in exc.value.message
    assert on in exc.value.message


def test_take_effect_on_a_clipped_month_end(apmbc: Engine, make_step: MakeStep):
    case = deposited(apmbc, make_step, "2025-08-31")
    with pytest.raises(NotAllowed) as exc:
        apply_step(apmbc, case, make_step(2, "take_effect", D("2026-03-03")), TODAY)
    assert "2026-02-28" in exc.value.message
    case = apply_step(apmbc, case, make_step(2, "take_effect", D("2026-02-28")), TODAY)
    assert case.state == "effective"


def test_take_effect_needs_an_exact_date(apmbc: Engine, make_step: MakeStep):
    case = deposited(apmbc, make_step, "2025-06-27")
    step = make_step(2, "take_effect", D("2025-12-27"), until=D("2025-12-28"))
    with pytest.raises(InvalidInput) as exc:
        apply_step(apmbc, case, step, TODAY)
    assert "exact date" in exc.value.message


# --- deposit ------------------------------------------------------------------------------------


def test_deposit_with_a_date_range_is_refused(apmbc: Engine, make_step: MakeStep):
    # the clock starts on the day of receipt: a range would make the effective date a guess
    step = make_step(1, "deposit", D("2025-06-26"), REASONS, until=D("2025-06-27"))
    with pytest.raises(InvalidInput) as exc:
        apply_step(apmbc, CaseState("mfa_coordination"), step, TODAY)
    assert exc.value.field == "occurred_on"
    assert "exact date" in exc.value.message
    assert "2025-06-26..2025-06-27" in exc.value.message


def test_domestic_step_may_have_a_date_range(generic: Engine, make_step: MakeStep):
    # Latvia: the President proclaimed the law on 23 or 24 April 2025.
    case = CaseState("presidential_signature", last_on=D("2025-04-16"))
    step = make_step(1, "sign", D("2025-04-23"), until=D("2025-04-24"))
    assert apply_step(generic, case, step, TODAY).state == "mfa_coordination"


def test_deposit_starts_the_clock_at_receipt(apmbc: Engine, make_step: MakeStep):
    case = deposited(apmbc, make_step, "2025-08-20")  # Poland
    assert case.period_end(apmbc.workflow.clock).on == D("2026-02-20")


def test_a_revoked_notification_never_takes_effect(rome: Engine, make_step: MakeStep):
    """VCLT Art. 68: a notification revoked before it takes effect never takes effect."""
    case = deposited(rome, make_step, "2016-10-19")
    assert case.effective(rome.workflow.clock) is not None
    revoked = apply_step(
        rome, case, make_step(2, "revoke", D("2017-03-07"), {"reason": "court ruling"}), TODAY
    )
    assert revoked.state == "revoked"
    assert revoked.effective(rome.workflow.clock) is None
    assert revoked.revoked_on == D("2017-03-07")


# --- APMBC Art. 20(3): armed conflict --------------------------------------------------------


@pytest.fixture
def at_war(apmbc: Engine, make_step: MakeStep) -> CaseState:
    steps = [
        make_step(1, "deposit", D("2025-06-27"), REASONS),
        make_step(2, "record_armed_conflict", D("2025-09-01"), {"description": "invaded"}),
    ]
    return replay(apmbc, steps, TODAY)


def test_take_effect_refused_while_an_armed_conflict_is_recorded(
    apmbc: Engine, make_step: MakeStep, at_war: CaseState
):
    with pytest.raises(NotAllowed) as exc:
        apply_step(apmbc, at_war, make_step(3, "take_effect", D("2025-12-27")), TODAY)
    assert "armed conflict" in exc.value.message
    assert "suspend_for_armed_conflict" in exc.value.message
    assert exc.value.field == "trigger"  # the date is right; the step is the wrong one


def test_suspend_for_armed_conflict_only_on_the_period_end(
    apmbc: Engine, make_step: MakeStep, at_war: CaseState
):
    with pytest.raises(NotAllowed) as exc:
        apply_step(
            apmbc, at_war, make_step(3, "suspend_for_armed_conflict", D("2025-12-20")), TODAY
        )
    assert "2025-12-27" in exc.value.message
    assert exc.value.field == "occurred_on"  # the step is right; its date is not

    case = apply_step(
        apmbc, at_war, make_step(3, "suspend_for_armed_conflict", D("2025-12-27")), TODAY
    )
    assert case.state == "suspended_armed_conflict"
    assert case.effective(apmbc.workflow.clock) is None  # not before the conflict ends


def test_suspend_refused_without_an_armed_conflict(apmbc: Engine, make_step: MakeStep):
    case = deposited(apmbc, make_step, "2025-06-27")
    with pytest.raises(NotAllowed) as exc:
        apply_step(apmbc, case, make_step(2, "suspend_for_armed_conflict", D("2025-12-27")), TODAY)
    assert "record_armed_conflict" in exc.value.message
    assert exc.value.field == "trigger"


def test_end_of_the_armed_conflict_is_the_effective_date(
    apmbc: Engine, make_step: MakeStep, at_war: CaseState
):
    case = apply_step(
        apmbc, at_war, make_step(3, "suspend_for_armed_conflict", D("2025-12-27")), TODAY
    )
    case = apply_step(
        apmbc,
        case,
        make_step(4, "end_armed_conflict", D("2026-03-15"), {"description": "ceasefire"}),
        TODAY,
    )
    assert case.state == "effective"
    effective = case.effective(apmbc.workflow.clock)
    assert effective is not None
    assert effective.on == D("2026-03-15")
    assert "armed conflict" in effective.basis


def test_revoke_from_the_suspension(apmbc: Engine, make_step: MakeStep, at_war: CaseState):
    # VCLT Art. 68: a notification may be revoked any time before it takes effect
    case = apply_step(
        apmbc, at_war, make_step(3, "suspend_for_armed_conflict", D("2025-12-27")), TODAY
    )
    case = apply_step(
        apmbc, case, make_step(4, "revoke", D("2026-01-05"), {"reason": "peace"}), TODAY
    )
    assert case.state == "revoked"


# --- Rome Statute Art. 127: a later date named in the notice --------------------------------


def test_rome_statute_one_year_after_receipt(rome: Engine, make_step: MakeStep):
    case = deposited(rome, make_step, "2016-10-27")  # Burundi
    case = apply_step(rome, case, make_step(2, "take_effect", D("2017-10-27")), TODAY)
    assert case.state == "effective"
    assert case.effective(rome.workflow.clock).on == D("2017-10-27")


def test_rome_statute_later_named_date_moves_the_effective_date(rome: Engine, make_step: MakeStep):
    case = deposited(rome, make_step, "2016-10-27", effective_on_named="2018-01-01")
    assert case.effective(rome.workflow.clock).on == D("2018-01-01")

    with pytest.raises(NotAllowed) as exc:
        apply_step(rome, case, make_step(2, "take_effect", D("2017-10-27")), TODAY)
    assert "2018-01-01" in exc.value.message

    case = apply_step(rome, case, make_step(2, "take_effect", D("2018-01-01")), TODAY)
    assert case.state == "effective"


def test_rome_statute_named_date_within_the_year_is_refused(rome: Engine, make_step: MakeStep):
    with pytest.raises(InvalidInput) as exc:
        deposited(rome, make_step, "2016-10-27", effective_on_named="2017-05-01")
    assert exc.value.field == "evidence.effective_on_named"
    assert "2017-10-27" in exc.value.message


# --- the machine is shared: nothing stays bound to it ------------------------------------------


def test_engine_built_once_per_workflow(registry: Registry, engines: Engines):
    workflow = registry.workflow("apmbc/generic")
    assert engines.for_workflow(workflow) is engines.for_workflow(workflow)


def test_no_case_stays_bound_after_firing(apmbc: Engine, make_step: MakeStep):
    bound = list(apmbc._machine.models)  # the engine's own holder, bound once when built
    assert len(bound) == 1
    case = deposited(apmbc, make_step, "2025-06-27")
    assert apmbc._machine.models == bound
    with pytest.raises(NotAllowed):  # refused by a guard
        apply_step(apmbc, case, make_step(2, "take_effect", D("2025-12-26")), TODAY)
    assert apmbc._machine.models == bound
    with pytest.raises(NotAllowed):  # refused by the machine itself
        apmbc.fire(
            "notice_period", "deposit", case=case, step=make_step(2, "deposit", D("2025-07-01"))
        )
    assert apmbc._machine.models == bound


def test_a_refusal_does_not_carry_over_to_the_next_firing(apmbc: Engine, make_step: MakeStep):
    case = deposited(apmbc, make_step, "2025-06-27")
    with pytest.raises(NotAllowed):  # refused by a guard: the period has not ended
        apply_step(apmbc, case, make_step(2, "take_effect", D("2025-12-26")), TODAY)
    later = apply_step(apmbc, case, make_step(2, "take_effect", D("2025-12-27")), TODAY)
    assert later.state == "effective"


# --- history: corrections and undos -----------------------------------------------------------


def record(seq: int, trigger: str, on: str, from_state: str, to_state: str, **evidence: Any):
    return EventRecord(
        case_reference="LV-APMBC-2025",
        seq=seq,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        occurred_on=D(on),
        occurred_until=None,
        recorded_at=datetime(2026, 1, seq, 12, 0, tzinfo=UTC),
        actor="clerk",
        comment="",
        evidence=evidence,
    )


def test_correction_of_the_deposit_date_recomputes_the_effective_date(apmbc: Engine):
    events = [
        record(1, "deposit", "2025-06-26", "mfa_coordination", "notice_period", **REASONS),
        record(
            2,
            "correct",
            "2026-01-02",
            "notice_period",
            "notice_period",
            corrects=1,
            reason="UN depositary notification gives 27 June",
            changes={"occurred_on": "2025-06-27"},
        ),
    ]
    steps = steps_from_events(events)
    assert [s.seq for s in steps] == [1]
    assert steps[0].span.earliest == D("2025-06-27")
    assert steps[0].corrected_by == (2,)

    for case in (replay(apmbc, steps, TODAY), fold(apmbc.workflow, steps)):
        assert case.deposited_on == D("2025-06-27")
        assert case.effective(apmbc.workflow.clock).on == D("2025-12-27")


def test_correction_of_evidence_and_comment(apmbc: Engine):
    events = [
        record(1, "deposit", "2025-06-27", "mfa_coordination", "notice_period", **REASONS),
        record(
            2,
            "correct",
            "2026-01-02",
            "notice_period",
            "notice_period",
            corrects=1,
            reason="reference published",
            changes={
                "evidence": {"depositary_reference": "C.N.180.2025.TREATIES-XXVI.5"},
                "comment": "reference added",
            },
        ),
    ]
    (step,) = steps_from_events(events)
    assert step.evidence["depositary_reference"] == "C.N.180.2025.TREATIES-XXVI.5"
    assert step.evidence["reasons"] == REASONS["reasons"]
    assert step.comment == "reference added"
    assert step.span.earliest == D("2025-06-27")  # date untouched


def test_undo_voids_the_step(apmbc: Engine):
    events = [
        record(1, "deposit", "2025-06-27", "mfa_coordination", "notice_period", **REASONS),
        record(2, "notify_security_council", "2025-06-30", "notice_period", "notice_period"),
        record(3, "undo", "2026-01-02", "notice_period", "notice_period", undoes=2, reason="dup"),
        record(4, "undo", "2026-01-02", "notice_period", "mfa_coordination", undoes=1, reason="x"),
    ]
    assert [s.seq for s in steps_from_events(events[:3])] == [1]

    steps = steps_from_events(events)
    assert steps == []
    case = replay(apmbc, steps, TODAY)
    assert case.state == "mfa_coordination"
    assert case.effective(apmbc.workflow.clock) is None


def test_undone_step_no_longer_counts_for_the_state(generic: Engine):
    events = [
        record(1, "submit_to_parliament", "2025-04-24", "drafting", "parliament"),
        record(
            2,
            "adopt",
            "2025-06-04",
            "parliament",
            "presidential_signature",
            votes_for=81,
            votes_against=1,
        ),
        record(
            3, "undo", "2025-06-05", "presidential_signature", "parliament", undoes=2, reason="x"
        ),
    ]
    steps = steps_from_events(events)
    assert [s.trigger for s in steps] == ["submit_to_parliament"]
    assert replay(generic, steps, TODAY).state == "parliament"
    assert fold(generic.workflow, steps).state == "parliament"


def test_correction_that_breaks_the_order_of_dates_is_refused_naming_the_event(
    generic: Engine,
):
    events = [
        record(1, "submit_to_parliament", "2025-04-24", "drafting", "parliament"),
        record(
            2,
            "adopt",
            "2025-06-04",
            "parliament",
            "presidential_signature",
            votes_for=81,
            votes_against=1,
        ),
        record(
            3,
            "correct",
            "2026-01-02",
            "presidential_signature",
            "presidential_signature",
            corrects=1,
            reason="typo",
            changes={"occurred_on": "2025-07-01"},
        ),
    ]
    with pytest.raises(NotAllowed) as exc:
        replay(generic, steps_from_events(events), TODAY)
    assert exc.value.message.startswith("event 2 (adopt):")
    assert "2025-07-01" in exc.value.message


@pytest.mark.parametrize("began_on", [None, date(2024, 3, 1)])
def test_a_step_moves_a_case_state_as_replace_would(began_on: date | None) -> None:
    """The fold's copy of the state (made without dataclasses.replace) keeps every other date
    and compares, hashes and reads as the state replace would give."""
    from dataclasses import fields, replace

    dates = {f.name: date(2025, 1, 1 + n) for n, f in enumerate(fields(CaseState)) if n}
    state = CaseState("parliament", **{**dates, "began_on": began_on, "follows_basis": "b"})
    moved = state.after_step("adopted", date(2025, 6, 1), None)
    expected = replace(
        state,
        state="adopted",
        last_on=date(2025, 6, 1),
        began_on=began_on or date(2025, 6, 1),
        next_step_on=None,
    )
    assert moved == expected and hash(moved) == hash(expected) and repr(moved) == repr(expected)
    assert state.state == "parliament"  # the state it came from is unchanged
    with pytest.raises(AttributeError):
        moved.state = "x"  # type: ignore[misc]
