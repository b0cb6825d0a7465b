"""The cascade of UNFCCC Art. 25 and Paris Agreement Art. 28(3): withdrawing from the Convention
is also withdrawing from the Agreement. Opening a UNFCCC withdrawal opens (or links) the
country's Paris case; the UNFCCC deposit records the Paris step in the same transaction, its
date following the Convention's; all or none. The real case, the United States in 2026, reads
as the sources say.

Except for the US case, the cases here are hypothetical (New Zealand, Chile, Norway are only
names): the dates are chosen, and what follows from them is UNFCCC Art. 25(2) (one year after
the Depositary's receipt, or a later date named in the notice; facts/treaty-actions.md,
section 1)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from app.domain.errors import NotAllowed
from app.services.audit import verify_audit
from app.services.cases import advance, open_case, sweep
from app.services.context import Tracker
from app.services.queries import get_case
from tests.conftest import Today, all_cases
from tests.integration.conftest import event_count

UNFCCC = "unfccc/international-only"
IN_FORCE = {"in_force_since": "1994-03-21"}  # chosen: more than three years before (25(1))


def case(tracker: Tracker, reference: str) -> dict[str, Any]:
    return get_case(tracker, reference).to_json()


def paris_cases(tracker: Tracker, country: str) -> list[dict[str, Any]]:
    return all_cases(tracker, treaty="paris", country=country)


def test_opening_a_unfccc_withdrawal_opens_the_paris_case_and_the_deposit_moves_both(
    tracker: Tracker, db_engine: Engine
) -> None:
    began = date(2026, 1, 7)
    unfccc = open_case(tracker, "NZ", "unfccc", "clerk", workflow=UNFCCC, began_on=began)
    unfccc = unfccc.reference
    [opened] = paris_cases(tracker, "NZ")
    paris = case(tracker, opened["reference"])
    assert paris["procedure_began_on"] == "2026-01-07"  # the UNFCCC procedure's, as opened
    assert (paris["kind"], paris["state"], paris["workflow"]) == (
        "withdrawal", "mfa_coordination", "paris/international-only",
    )  # fmt: skip
    assert unfccc in paris["note"] and "Paris Agreement Art. 28(3)" in paris["note"]
    assert [c["reference"] for c in case(tracker, unfccc)["linked_cases"]] == [paris["reference"]]
    assert [c["reference"] for c in paris["linked_cases"]] == [unfccc]
    before = {r: event_count(db_engine, r) for r in (unfccc, paris["reference"])}

    advance(tracker, unfccc, "deposit", "2026-03-02", "clerk", evidence=IN_FORCE)

    convention = case(tracker, unfccc)
    assert convention["dates"]["effective"] == "2027-03-02"  # 2026-03-02 + 1 year, Art. 25(2)
    assert paris["reference"] in convention["history"][-1]["comment"]
    paris = case(tracker, paris["reference"])
    assert paris["state"] == "notice_period"
    assert paris["dates"]["effective"] == convention["dates"]["effective"]  # Art. 28(3)
    step = paris["history"][-1]
    assert (step["trigger"], step["occurred_on"]) == ("withdraw_with_convention", "2026-03-02")
    assert step["evidence"]["withdrawn_with"] == unfccc
    assert "Art. 28(3)" in step["comment"] and unfccc in step["comment"]
    after = {r: event_count(db_engine, r) for r in before}
    assert after == {r: n + 1 for r, n in before.items()}  # one event in each chain
    assert verify_audit(tracker).intact


def test_a_later_date_named_in_the_unfccc_notice_is_the_paris_date_and_the_sweep_ends_both(
    tracker: Tracker, today: Today
) -> None:
    unfccc = open_case(tracker, "CL", "unfccc", "clerk", workflow=UNFCCC).reference
    named = {**IN_FORCE, "effective_on_named": "2027-06-30"}
    advance(tracker, unfccc, "deposit", "2026-03-02", "clerk", evidence=named)
    [paris] = paris_cases(tracker, "CL")
    assert paris["effective"] == "2027-06-30" == case(tracker, unfccc)["dates"]["effective"]
    assert paris["next_date"] == "2027-06-30"  # the projection: pending, calendar, sweep

    today.day = date(2027, 6, 30)
    done = {r["case"]: r["on"] for r in sweep(tracker)}
    assert done == {unfccc: "2027-06-30", paris["reference"]: "2027-06-30"}
    assert case(tracker, paris["reference"])["state"] == "effective"


def test_an_open_paris_case_is_linked_and_moved_not_doubled(tracker: Tracker) -> None:
    paris = open_case(tracker, "NO", "paris", "clerk", workflow="paris/generic").reference
    advance(tracker, paris, "submit_to_parliament", "2026-01-05", "clerk")
    unfccc = open_case(tracker, "NO", "unfccc", "clerk", workflow=UNFCCC).reference
    assert [c["reference"] for c in paris_cases(tracker, "NO")] == [paris]

    advance(tracker, unfccc, "deposit", "2026-02-02", "clerk", evidence=IN_FORCE)

    moved = case(tracker, paris)
    assert moved["state"] == "notice_period"  # from the Storting, by operation of 28(3)
    assert moved["dates"]["effective"] == "2027-02-02"
    assert [c["reference"] for c in paris_cases(tracker, "NO")] == [paris]


def test_a_paris_case_that_refuses_the_step_stops_the_deposit_of_both(
    tracker: Tracker, db_engine: Engine
) -> None:
    paris = open_case(tracker, "NO", "paris", "clerk", workflow="paris/generic").reference
    advance(tracker, paris, "submit_to_parliament", "2026-04-01", "clerk")  # after the deposit
    unfccc = open_case(tracker, "NO", "unfccc", "clerk", workflow=UNFCCC).reference
    counts = {r: event_count(db_engine, r) for r in (paris, unfccc)}

    with pytest.raises(NotAllowed) as refused:
        advance(tracker, unfccc, "deposit", "2026-03-02", "clerk", evidence=IN_FORCE)

    assert paris in refused.value.message and "nothing was recorded" in refused.value.message
    assert {r: event_count(db_engine, r) for r in counts} == counts
    assert case(tracker, unfccc)["state"] == "mfa_coordination"
    assert case(tracker, paris)["state"] == "parliament"


def test_no_paris_case_is_opened_or_moved_for_a_state_no_longer_a_party(tracker: Tracker) -> None:
    left = open_case(tracker, "NZ", "paris", "clerk", workflow="paris/international-only")
    evidence = {"in_force_since": "2016-11-04"}
    advance(tracker, left.reference, "deposit", "2019-11-04", "clerk", evidence=evidence)
    advance(tracker, left.reference, "take_effect", "2020-11-04", "clerk")
    unfccc = open_case(tracker, "NZ", "unfccc", "clerk", workflow=UNFCCC).reference
    assert [c["reference"] for c in paris_cases(tracker, "NZ")] == [left.reference]

    advance(tracker, unfccc, "deposit", "2026-03-02", "clerk", evidence=IN_FORCE)

    comment = case(tracker, unfccc)["history"][-1]["comment"]
    assert "no longer a party" in comment and "2020-11-04" in comment
    assert len(case(tracker, left.reference)["history"]) == 3  # opening, deposit, effect


def test_the_us_unfccc_case_of_2026_reads_as_the_sources_say(
    tracker: Tracker, db_engine: Engine, demo_rows: dict[str, list[dict[str, Any]]]
) -> None:
    # facts/treaty-actions.md section 11: the memorandum of 2026-01-07; the UN SG's receipt of a
    # formal notice not found, so no effective date (one year after receipt) is determinable.
    # Section 5: the US's own Paris withdrawal took effect on 2026-01-27 (H, UN spokesperson).
    from tests.conftest import copy_demo

    copy_demo(db_engine, demo_rows)
    us = case(tracker, "US-UNFCCC-2026")
    assert (us["state"], us["dates"]["deposited"], us["dates"]["effective"]) == (
        "mfa_coordination", None, None,
    )  # fmt: skip
    assert us["procedure_began_on"] == "2026-01-07"
    assert [c["reference"] for c in paris_cases(tracker, "US")] == [
        "US-PARIS-2017",
        "US-PARIS-2021",
        "US-PARIS-2025",
    ]  # fmt: skip  (no Paris case opened: the US is no longer a party)
    assert case(tracker, "US-PARIS-2025")["dates"]["effective"] == "2026-01-27"
    linked = [c["reference"] for c in us["linked_cases"]]
    assert linked == ["US-PARIS-2017", "US-PARIS-2021", "US-PARIS-2025"]
    back = case(tracker, "US-PARIS-2025")["linked_cases"]
    assert [c["reference"] for c in back] == ["US-UNFCCC-2026"]
    assert "Paris Agreement Art. 28(3)" in back[0]["why"]
