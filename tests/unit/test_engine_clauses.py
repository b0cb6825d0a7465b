"""Clause kinds through the engine: the deposit starts each treaty's clock, a notice before the
eligibility bar or with a named date too early is refused and nothing changes, and the case
takes effect on the clause's day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from app.domain.case import CaseState, Step
from app.domain.engine import Engine, Engines
from app.domain.errors import InvalidInput, NotAllowed
from app.domain.history import apply_step, replay
from app.domain.loader import Registry

D = date.fromisoformat
TODAY = date(2026, 11, 27)
LATER = date(2027, 6, 1)  # "today" after UNESCO's 2026-12-31
MakeStep = Callable[..., Step]


@pytest.fixture
def engine_of(registry: Registry, engines: Engines) -> Callable[[str], Engine]:
    return lambda code: engines.for_workflow(registry.workflow(f"{code}/international-only"))


def test_paris_deposit_before_the_bar_is_refused_and_nothing_changes(engine_of, make_step):
    paris = engine_of("paris")
    case = CaseState(paris.workflow.initial)
    # in force for the US on 2016-11-04: the first allowed notice is 2019-11-04 (facts sec. 5)
    early = make_step(1, "deposit", D("2019-11-03"), {"in_force_since": "2016-11-04"})
    with pytest.raises(NotAllowed) as exc:
        apply_step(paris, case, early, TODAY)
    assert exc.value.field == "occurred_on"
    assert "the first allowed day is 2019-11-04" in exc.value.message
    assert case == CaseState("mfa_coordination")  # the case is where it was, no clock

    on_time = make_step(1, "deposit", D("2019-11-04"), {"in_force_since": "2016-11-04"})
    case = apply_step(paris, case, on_time, TODAY)
    assert case.state == "notice_period"
    assert case.effective(paris.workflow.clock).on == D("2020-11-04")  # facts sec. 5


def test_paris_deposit_without_the_date_of_entry_into_force_is_refused(engine_of, make_step):
    paris = engine_of("paris")
    with pytest.raises(InvalidInput) as exc:
        replay(paris, [make_step(1, "deposit", D("2025-01-27"))], TODAY)
    assert exc.value.field == "evidence.in_force_since"


def test_cfe_named_date_too_early_is_refused_with_the_earliest(engine_of, make_step):
    cfe = engine_of("cfe")
    evidence = {"reasons": "extraordinary events", "effective_on_named": "2023-11-05"}
    with pytest.raises(InvalidInput) as exc:
        replay(cfe, [make_step(1, "deposit", D("2023-06-09"), evidence)], TODAY)
    assert exc.value.field == "evidence.effective_on_named"
    assert "2023-11-06" in exc.value.message


def test_cfe_russia_takes_effect_on_the_named_date(engine_of, make_step):
    cfe = engine_of("cfe")
    evidence = {"reasons": "extraordinary events", "effective_on_named": "2023-11-07"}
    case = replay(cfe, [make_step(1, "deposit", D("2023-06-09"), evidence)], TODAY)
    case = apply_step(cfe, case, make_step(2, "convene_conference", D("2023-06-29")), TODAY)
    with pytest.raises(NotAllowed) as exc:
        apply_step(cfe, case, make_step(3, "take_effect", D("2023-11-06")), TODAY)
    assert "2023-11-07" in exc.value.message
    case = apply_step(cfe, case, make_step(3, "take_effect", D("2023-11-07")), TODAY)
    assert case.state == "effective"


@pytest.mark.parametrize(
    ("code", "notice", "effective"),
    [
        ("unesco", "2025-07-22", "2026-12-31"),  # the US (facts sec. 7)
        ("istanbul", "2021-03-22", "2021-07-01"),  # a March 2021 receipt, as Turkey (sec. 9)
        ("coe-statute", "2025-09-30", "2025-12-31"),
    ],
)
def test_each_clause_takes_effect_on_its_day(engine_of, make_step, code, notice, effective):
    engine = engine_of(code)
    case = replay(engine, [make_step(1, "deposit", D(notice))], LATER)
    assert case.period_end(engine.workflow.clock).on == D(effective)
    with pytest.raises(NotAllowed):
        apply_step(engine, case, make_step(2, "take_effect", D(notice)), LATER)
    case = apply_step(engine, case, make_step(2, "take_effect", D(effective)), LATER)
    assert case.state == "effective"


def test_coe_membership_ceased_by_decision_is_a_cessation_not_a_withdrawal(
    registry, engines, make_step
):
    # Russia: Art. 8 suspension 2022-02-25, its own Art. 7 notice 2022-03-15, Committee of
    # Ministers: membership ceased 2022-03-16 (facts/treaty-actions.md, section 10)
    coe = engines.for_workflow(registry.workflow("coe-statute/international-only/cessation"))
    assert coe.workflow.kind == "cessation"
    steps = [
        make_step(1, "suspend_representation", D("2022-02-25"), {"decision": "Art. 8"}),
        make_step(2, "record_withdrawal_notice", D("2022-03-15")),
    ]
    case = replay(coe, steps, TODAY)
    assert case.deposited_on is None  # the State's own notice starts no Art. 7 clock here
    assert case.effective(coe.workflow.clock) is None
    step = make_step(3, "cease_membership", D("2022-03-16"), {"decision": "CM resolution"})
    ceased = apply_step(coe, case, step, TODAY)
    assert ceased.state == "membership_ceased"
    assert ceased.effective(coe.workflow.clock).on == D("2022-03-16")


def test_a_coe_withdrawal_has_no_cessation_step(engine_of):
    withdrawal = engine_of("coe-statute").workflow
    assert withdrawal.kind == "withdrawal"
    assert "cease_membership" not in {t.trigger for t in withdrawal.transitions}
    assert "membership_ceased" not in withdrawal.stages


# --- the treaties added from the facts (withdrawals.md sec. 3, treaty-actions.md sec. 1) -------


@pytest.mark.parametrize(
    ("code", "notice", "effective"),
    [
        ("ccm", "2024-09-06", "2025-03-06"),  # Lithuania (treaty-actions sec. 4)
        ("ccm", "2024-08-31", "2025-02-28"),  # a month end: clipped
        ("ccm", "2023-08-31", "2024-02-29"),  # ... to a leap day
        ("tpnw", "2024-02-29", "2025-02-28"),  # twelve months from a leap day
        ("npt", "2025-11-30", "2026-02-28"),  # three months to a shorter month
        ("att", "2025-12-31", "2026-03-31"),  # 90 calendar days across a year end
        ("att", "2024-01-01", "2024-03-31"),  # ... in a leap year (29 February counts)
        ("cwc", "2023-01-01", "2023-04-01"),  # ... in a common year
        ("ctbt", "2025-08-31", "2026-02-28"),
        ("echr", "2022-03-16", "2022-09-16"),  # Russia (sec. 10, via Art. 58(3))
        ("ilo", "2025-02-28", "2027-02-28"),
        ("who", "2025-01-22", "2026-01-22"),  # the US (sec. 6)
    ],
)
def test_new_treaties_count_their_period(engine_of, make_step, code, notice, effective):
    engine = engine_of(code)
    required = engine.workflow.transition("deposit").evidence_field("reasons")
    evidence = {"reasons": "extraordinary events"} if required and required.required else {}
    case = replay(engine, [make_step(1, "deposit", D(notice), evidence)], LATER)
    assert case.period_end(engine.workflow.clock).on == D(effective)


def test_unfccc_bar_refuses_the_day_before_and_allows_the_day(engine_of, make_step):
    unfccc = engine_of("unfccc")
    since = {"in_force_since": "2016-02-29"}  # a leap day: three years later is 28 February
    with pytest.raises(NotAllowed) as exc:
        replay(unfccc, [make_step(1, "deposit", D("2019-02-27"), since)], TODAY)
    assert "the first allowed day is 2019-02-28" in exc.value.message
    case = replay(unfccc, [make_step(1, "deposit", D("2019-02-28"), since)], TODAY)
    assert case.effective(unfccc.workflow.clock).on == D("2020-02-28")


def test_tpnw_defers_for_an_armed_conflict_and_npt_has_no_such_step(engine_of, make_step):
    tpnw = engine_of("tpnw")
    steps = [
        make_step(1, "deposit", D("2024-01-10"), {"reasons": "extraordinary events"}),
        make_step(2, "record_armed_conflict", D("2024-06-01"), {"description": "war"}),
    ]
    case = replay(tpnw, steps, TODAY)
    with pytest.raises(NotAllowed):
        apply_step(tpnw, case, make_step(3, "take_effect", D("2025-01-10")), TODAY)
    case = apply_step(
        tpnw, case, make_step(3, "suspend_for_armed_conflict", D("2025-01-10")), TODAY
    )
    assert case.effective(tpnw.workflow.clock) is None
    ended = make_step(4, "end_armed_conflict", D("2025-05-01"), {"description": "peace"})
    case = apply_step(tpnw, case, ended, TODAY)
    assert case.effective(tpnw.workflow.clock).on == D("2025-05-01")
    npt = engine_of("npt").workflow
    assert "record_armed_conflict" not in {t.trigger for t in npt.transitions}


def test_a_condition_on_the_effect_holds_the_case_until_it_is_met(engine_of, make_step):
    ilo = engine_of("ilo")
    clock = ilo.workflow.clock
    case = replay(ilo, [make_step(1, "deposit", D("2024-03-01"))], LATER)
    # the sweep's take_effect carries no evidence: refused, the condition must be stated
    with pytest.raises(InvalidInput) as exc:
        apply_step(ilo, case, make_step(2, "take_effect", D("2026-03-01")), LATER)
    assert exc.value.field == "evidence.condition_met"
    disputed = make_step(2, "dispute_effect", D("2026-03-01"), {"dispute": "dues unpaid"})
    case = apply_step(ilo, case, disputed, LATER)
    assert (case.state, case.effective(clock)) == ("effect_disputed", None)
    assert case.period_end(clock).on == D("2026-03-01")
    met = make_step(3, "record_condition_met", D("2026-05-04"), {"how": "arrears paid"})
    case = apply_step(ilo, case, met, LATER)
    assert case.state == "effective"
    effective = case.effective(clock)
    assert effective.on == D("2026-05-04")
    assert "condition met on 2026-05-04" in effective.basis


def test_a_condition_step_on_a_treaty_without_conditions_is_refused(engine_of, make_step):
    rome = engine_of("rome-statute")
    case = replay(rome, [make_step(1, "deposit", D("2025-06-02"))], TODAY)
    with pytest.raises(Exception) as exc:
        apply_step(rome, case, make_step(2, "dispute_effect", D("2026-06-02")), TODAY)
    assert "'dispute_effect' is not a step of workflow rome-statute/international-only" in str(
        exc.value
    )


def test_a_receipt_within_bounds_is_accepted_only_when_every_day_gives_one_date(
    engine_of, make_step
):
    istanbul = engine_of("istanbul")
    march = make_step(1, "deposit", D("2021-03-20"), until=D("2021-03-31"))  # Turkey (sec. 9)
    case = replay(istanbul, [march], TODAY)
    end = case.period_end(istanbul.workflow.clock)
    assert end.on == D("2021-07-01")
    assert end.basis.startswith("receipt known only within 2021-03-20..2021-03-31")
    case = apply_step(istanbul, case, make_step(2, "take_effect", D("2021-07-01")), TODAY)
    assert case.state == "effective"
    across = make_step(1, "deposit", D("2021-03-20"), until=D("2021-04-02"))
    with pytest.raises(InvalidInput) as exc:
        replay(istanbul, [across], TODAY)
    assert exc.value.field == "occurred_on"
    apmbc = make_step(1, "deposit", D("2025-06-26"), {"reasons": "r"}, until=D("2025-06-27"))
    with pytest.raises(InvalidInput):
        replay(engine_of("apmbc"), [apmbc], TODAY)


def test_accession_enters_into_force_on_the_30th_day(registry, engines, make_step):
    engine = engines.for_workflow(registry.workflow("paris/international-only/accession"))
    assert engine.workflow.kind == "accession"
    case = replay(engine, [make_step(1, "deposit", D("2021-01-20"))], TODAY)  # US (sec. 5)
    assert case.period_end(engine.workflow.clock).on == D("2021-02-19")


def test_deratification_runs_no_clock(registry):
    workflow = registry.workflow("ctbt/ru/deratification")
    assert (workflow.kind, workflow.clock) == ("deratification", None)
