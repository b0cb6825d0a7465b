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


def test_coe_membership_ceased_by_decision(engine_of, make_step):
    # Russia: Art. 7 notice 2022-03-15, Committee of Ministers: membership ceased 2022-03-16
    coe = engine_of("coe-statute")
    case = replay(coe, [make_step(1, "deposit", D("2022-03-15"))], TODAY)
    step = make_step(2, "cease_membership", D("2022-03-16"), {"decision": "CM resolution"})
    assert apply_step(coe, case, step, TODAY).state == "membership_ceased"
