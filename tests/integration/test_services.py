"""The use cases on a real database (SQLite and PostgreSQL): open, advance, sweep, pending,
a case as it stood on a past date, correct, undo, and every kind of bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm.attributes import set_committed_value

from app.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotAllowed,
    NotFound,
)
from app.services import recording
from app.services.audit import verify_audit
from app.services.cases import advance, correct, open_case, sweep, undo_last
from app.services.context import Tracker
from app.services.queries import get_case, pending
from app.services.users import create_user, list_users, update_user
from tests.conftest import PASSWORD, Today, all_cases
from tests.integration.conftest import (
    FI_TO_DEPOSIT,
    TAKES_EFFECT,
    case_version,
    event_count,
    open_walked,
    total_rows,
)

# name -> (what differs from a good call, error, the field it names, text of the message)
Refusals = dict[str, tuple[dict[str, Any], type[DomainError], str, str]]

# --------------------------------------------------------------------------- open_case


def test_reference_comes_from_the_year_the_procedure_began_else_the_year_opened(
    tracker: Tracker,
) -> None:
    first = open_case(tracker, "lv", "apmbc", "clerk", began_on=date(2025, 3, 25))
    again = {"allow_duplicate": True}  # a second open case of Latvia under the APMBC
    second = open_case(tracker, "LV", "apmbc", "clerk", began_on=date(2025, 11, 2), **again)
    third = open_case(tracker, "LV", "apmbc", "admin", began_on=date(2025, 12, 31), **again)
    next_year = open_case(tracker, "LV", "apmbc", "clerk", began_on=date(2026, 1, 5), **again)

    assert [first.reference, second.reference, third.reference, next_year.reference] == [
        "LV-APMBC-2025",
        "LV-APMBC-2025-2",
        "LV-APMBC-2025-3",
        "LV-APMBC-2026",
    ]
    case = get_case(tracker, "LV-APMBC-2025").to_json()
    assert case["country"] == "LV"
    assert case["treaty"] == "apmbc"
    # Latvia has its own procedure (the President may return the law to the Saeima).
    assert case["workflow"] == "apmbc/lv"
    assert case["state"] == "drafting"
    # The record is opened today; the procedure began on the day the opener gave.
    assert case["opened_on"] == "2026-11-27"
    assert case["opened_by"] == "clerk"
    assert case["procedure_began_on"] == "2025-03-25"
    assert case["procedure_began_from"] == "given when the case was opened"
    # The opening is the first event of the audit log, with who opened the record.
    [opening] = case["history"]
    assert (opening["seq"], opening["trigger"], opening["actor"]) == (1, "open", "clerk")
    assert opening["occurred_on"] == "2026-11-27"
    assert opening["evidence"]["began_on"] == "2025-03-25"
    assert case["available_triggers"][0]["trigger"] == "submit_to_parliament"
    assert case["dates"]["deposited"] is None and case["dates"]["effective"] is None


def test_the_procedure_began_on_the_day_given_unless_a_step_is_dated_earlier(
    tracker: Tracker,
) -> None:
    # Finland: the Government decided on 1 Apr 2025; the first step the tracker records is
    # the bill's submission on 28 May.
    finland = open_case(tracker, "FI", "apmbc", "clerk", began_on=date(2025, 4, 1)).reference
    advance(tracker, finland, "submit_to_parliament", "2025-05-28", "clerk")
    # A start given too late: the first step recorded shows the procedure began before it.
    latvia = open_case(tracker, "LV", "apmbc", "clerk", began_on=date(2025, 3, 25)).reference
    advance(tracker, latvia, "submit_to_parliament", "2025-03-20", "clerk")
    # None given: the first step's earliest day.
    estonia = open_case(tracker, "EE", "apmbc", "clerk").reference
    advance(tracker, estonia, "submit_to_parliament", "2025-04-01..2025-04-10", "clerk")

    began = {
        ref: (case["procedure_began_on"], case["procedure_began_from"])
        for ref in (finland, latvia, estonia)
        for case in (get_case(tracker, ref).to_json(),)
    }
    assert began == {
        finland: ("2025-04-01", "given when the case was opened"),
        latvia: ("2025-03-20", "first step"),
        estonia: ("2025-04-01", "first step"),
    }
    listed = {c["reference"]: c["began"] for c in all_cases(tracker)}
    assert {ref: listed[ref] for ref in began} == {ref: on for ref, (on, _) in began.items()}


OPEN_REFUSALS: Refusals = {
    "unknown country": ({"country": "XX"}, InvalidInput, "country", "ISO 3166-1 alpha-2"),
    "country name": ({"country": "Latvia"}, InvalidInput, "country", "ISO 3166-1 alpha-2"),
    "unknown treaty": (
        {"treaty": "ottawa"},
        NotFound,
        "treaty",
        "apmbc, att, ccm, cfe, coe-statute, ctbt, cwc, echr, ilo, istanbul, npt, paris",
    ),
    "unknown workflow": ({"workflow": "apmbc/nowhere"}, NotFound, "workflow", "apmbc/generic"),
    "other treaty's workflow": (
        {"workflow": "rome-statute/generic"},
        InvalidInput,
        "workflow",
        "rome-statute",
    ),
    "other country's procedure": (
        {"country": "FI", "workflow": "apmbc/pl"},
        InvalidInput,
        "workflow",
        "is the procedure of Poland, not of Finland",
    ),
    "procedure begins after today": (
        {"began_on": date(2026, 11, 28)},
        InvalidInput,
        "began_on",
        "2026-11-27",
    ),
    "viewer": ({"actor": "viewer"}, Forbidden, "user", "clerk or admin"),
    "unknown user": ({"actor": "mallory"}, NotFound, "user", "mallory"),
}


def test_open_case_refuses_bad_input_naming_the_field_and_writes_nothing(
    tracker: Tracker, db_engine: Engine, subtests: pytest.Subtests
) -> None:
    for name, (overrides, error, field, allowed) in OPEN_REFUSALS.items():
        call: dict[str, Any] = {
            "country": "LV",
            "treaty": "apmbc",
            "actor": "clerk",
            "workflow": None,
            "began_on": None,
        } | overrides
        with subtests.test(msg=name):
            with pytest.raises(error) as caught:
                open_case(tracker, **call)
            assert caught.value.field == field
            assert caught.value.message.startswith(f"{field}:")
            assert allowed in caught.value.message
            assert total_rows(db_engine, "cases") == 0
            assert total_rows(db_engine, "events") == 0
    # The same call without the fault opens the case.
    assert open_case(tracker, "LV", "apmbc", "clerk").reference == "LV-APMBC-2026"
    assert open_case(tracker, "HU", "rome-statute", "clerk").reference == "HU-ROME-STATUTE-2026"
    assert get_case(tracker, "HU-ROME-STATUTE-2026").to_json()["workflow"] == "rome-statute/generic"


# --------------------------------------------------------------------------- advance + sweep


def test_whole_case_reaches_effect_through_the_sweep_on_the_right_day(
    tracker: Tracker, today: Today
) -> None:
    today.day = date(2025, 7, 10)
    reference = open_case(tracker, "FI", "apmbc", "clerk").reference
    states = []
    for trigger, on, evidence in FI_TO_DEPOSIT:
        view = advance(tracker, reference, trigger, on, "clerk", evidence=evidence)
        states.append(view.state.state)
    assert states == [
        "parliament",
        "parliament",
        "presidential_signature",
        "mfa_coordination",
        "notice_period",
    ]
    view = advance(tracker, reference, "notify_security_council", "2025-07-10", "clerk")
    dates = view.to_json()["dates"]
    assert dates["deposited"] == "2025-07-10"
    assert dates["effective"] == "2026-01-10"
    assert dates["effective_basis"] == "2025-07-10 + 6 months, APMBC Art. 20(3)"

    # The day before the six months end, the sweep does nothing.
    today.day = date(2026, 1, 9)
    assert sweep(tracker) == []
    assert get_case(tracker, reference).state.state == "notice_period"
    # A clerk cannot make it take effect early either.
    with pytest.raises(NotAllowed) as early:
        advance(tracker, reference, "take_effect", "2026-01-09", "clerk")
    assert "2026-01-10" in early.value.message

    today.day = date(2026, 1, 10)
    assert sweep(tracker) == [
        {"case": reference, "trigger": "take_effect", "label": TAKES_EFFECT, "on": "2026-01-10"}
    ]
    case = get_case(tracker, reference).to_json()
    assert case["state"] == "effective"
    assert case["stage"]["final"] is True
    last = case["history"][-1]
    assert (last["trigger"], last["from_state"], last["to_state"]) == (
        "take_effect",
        "notice_period",
        "effective",
    )
    assert last["occurred_on"] == "2026-01-10"
    assert last["actor"] == "system"
    assert case["available_triggers"] == []

    # A second sweep the next day finds nothing left to do and records nothing.
    today.day = date(2026, 1, 11)
    assert sweep(tracker) == []
    assert len(get_case(tracker, reference).history) == len(case["history"])
    assert verify_audit(tracker).intact


def test_a_late_sweep_records_the_day_the_period_ended_not_the_day_it_ran(
    tracker: Tracker, today: Today
) -> None:
    reference = open_walked(tracker)
    assert today.day == date(2026, 11, 27)
    assert sweep(tracker) == [
        {"case": reference, "trigger": "take_effect", "label": TAKES_EFFECT, "on": "2026-01-10"}
    ]
    case = get_case(tracker, reference).to_json()
    assert case["history"][-1]["occurred_on"] == "2026-01-10"
    assert case["dates"]["effective"] == "2026-01-10"
    assert all_cases(tracker, stage="effective")[0]["effective"] == "2026-01-10"


def test_sweep_refuses_a_day_after_today(tracker: Tracker, today: Today) -> None:
    open_walked(tracker)
    today.day = date(2026, 1, 9)
    with pytest.raises(InvalidInput) as caught:
        sweep(tracker, today=date(2026, 1, 10))
    assert caught.value.field == "today"
    assert all_cases(tracker)[0]["state"] == "notice_period"


def test_armed_conflict_defers_effect_until_it_ends(tracker: Tracker, today: Today) -> None:
    today.day = date(2025, 9, 1)
    reference = open_walked(tracker)
    advance(
        tracker,
        reference,
        "record_armed_conflict",
        "2025-09-01",
        "clerk",
        evidence={"description": "Engaged in an armed conflict"},
    )
    today.day = date(2026, 1, 10)
    assert sweep(tracker) == [
        {
            "case": reference,
            "trigger": "suspend_for_armed_conflict",
            "label": "Effect deferred by armed conflict",
            "on": "2026-01-10",
        }
    ]
    case = get_case(tracker, reference).to_json()
    assert case["state"] == "suspended_armed_conflict"
    assert case["dates"]["effective"] is None
    assert case["dates"]["armed_conflict_since"] == "2025-09-01"

    today.day = date(2026, 3, 15)
    view = advance(
        tracker,
        reference,
        "end_armed_conflict",
        "2026-03-14",
        "clerk",
        evidence={"description": "Ceasefire agreement"},
    )
    assert view.state.state == "effective"
    assert view.to_json()["dates"]["effective"] == "2026-03-14"


def test_a_recorded_armed_conflict_no_longer_promises_the_period_end_as_effective_date(
    tracker: Tracker, today: Today
) -> None:
    """Art. 20(3): with an armed conflict recorded, the withdrawal cannot take effect when the
    six months end (take_effect is refused, the sweep defers it), so neither the case nor the
    pending list may announce that it takes effect on that day."""
    today.day = date(2025, 9, 1)
    reference = open_walked(tracker)
    advance(
        tracker,
        reference,
        "record_armed_conflict",
        "2025-09-01",
        "clerk",
        evidence={"description": "Engaged in an armed conflict"},
    )

    dates = get_case(tracker, reference).to_json()["dates"]
    assert dates["notice_period_ends"] == "2026-01-10"
    assert dates["effective"] is None or "armed conflict" in dates["effective_basis"], dates
    (item,) = [p.to_json(today.day) for p in pending(tracker)]
    promise = item["next_date"]
    assert (
        promise is None
        or promise["what"] != "takes effect"
        or ("armed conflict" in promise["basis"])
    ), promise


# --------------------------------------------------------------------------- pending


def test_pending_lists_open_cases_with_steps_roles_and_next_date_soonest_first(
    tracker: Tracker,
) -> None:
    finland = open_walked(tracker)  # received 2025-07-10
    estonia = open_walked(
        tracker,
        country="EE",
        steps=[
            ("submit_to_parliament", "2025-04-24", {}),
            ("adopt", "2025-06-04", {"votes_for": 81, "votes_against": 1, "abstained": 7}),
            ("sign", "2025-06-13", {}),
            ("deposit", "2025-06-27", {"reasons": "Security environment"}),
        ],
    )
    germany = open_walked(tracker, country="DE", steps=[("submit_to_parliament", "2025-05-02", {})])

    items = [p.to_json(date(2025, 11, 1)) for p in pending(tracker, as_of=date(2025, 11, 1))]

    assert [i["reference"] for i in items] == [estonia, finland, germany]
    ee, fi, de = items
    assert ee["next_date"]["on"] == "2025-12-27"
    assert ee["next_date"]["what"] == "takes effect"
    assert ee["next_date"]["basis"] == "2025-06-27 + 6 months, APMBC Art. 20(3)"
    assert ee["next_date"]["days_from_today"] == 56
    assert fi["next_date"]["on"] == "2026-01-10"
    assert de["next_date"] is None
    assert de["state"] == "parliament"
    ee_steps = {s["trigger"]: s for s in ee["steps"]}
    assert ee_steps["take_effect"]["due_on"] == "2025-12-27"
    assert ee_steps["take_effect"]["roles"] == ["clerk", "admin"]
    assert "revoke" in ee_steps
    de_triggers = [s["trigger"] for s in de["steps"]]
    assert {"record_reading", "adopt", "reject"} <= set(de_triggers)
    assert "deposit" not in de_triggers


def test_pending_on_a_past_date_rebuilds_that_day_and_drops_finished_cases(
    tracker: Tracker,
) -> None:
    finland = open_walked(tracker)
    sweep(tracker)  # takes effect on 2026-01-10

    before = pending(tracker, as_of=date(2025, 6, 30))
    assert [(p.view.reference, p.view.state.state, p.next_on) for p in before] == [
        (finland, "presidential_signature", None)
    ]
    assert [p.view.reference for p in pending(tracker, as_of=date(2026, 1, 9))] == [finland]
    assert pending(tracker, as_of=date(2026, 1, 10)) == []
    assert pending(tracker) == []
    # A case opened later is not pending on an earlier day.
    assert pending(tracker, as_of=date(2025, 3, 31)) == []


# --------------------------------------------------------------------------- get_case(as_of)


def test_get_case_as_of_a_past_date_rebuilds_the_case_as_it_stood(tracker: Tracker) -> None:
    reference = open_walked(tracker)
    sweep(tracker)
    version = case_version_of(tracker, reference)

    opened = get_case(tracker, reference, as_of=date(2025, 4, 1)).to_json()
    assert opened["state"] == "drafting"
    assert opened["history"] == []
    assert opened["as_of"] == "2025-04-01"

    in_parliament = get_case(tracker, reference, as_of=date(2025, 6, 18)).to_json()
    assert in_parliament["state"] == "parliament"
    assert [h["trigger"] for h in in_parliament["history"]] == [
        "submit_to_parliament",
        "record_reading",
    ]
    assert in_parliament["dates"]["deposited"] is None

    waiting = get_case(tracker, reference, as_of=date(2025, 12, 31)).to_json()
    assert waiting["state"] == "notice_period"
    assert waiting["dates"]["deposited"] == "2025-07-10"
    assert waiting["dates"]["effective"] == "2026-01-10"
    assert "take_effect" in [a["trigger"] for a in waiting["available_triggers"]]

    now = get_case(tracker, reference).to_json()
    assert now["state"] == "effective"
    assert now["as_of"] is None
    # Looking back changes nothing.
    assert case_version_of(tracker, reference) == version


def case_version_of(tracker: Tracker, reference: str) -> int:
    return get_case(tracker, reference).version


# --------------------------------------------------------------------------- correct


def _deposit_seq(tracker: Tracker, reference: str) -> int:
    history = get_case(tracker, reference).history
    return next(e.seq for e in history if e.trigger == "deposit")


def test_admin_corrects_the_deposit_date_and_the_effective_date_follows(
    tracker: Tracker, db_engine: Engine, today: Today
) -> None:
    today.day = date(2025, 9, 30)
    reference = open_walked(tracker)
    seq = _deposit_seq(tracker, reference)
    events, version = event_count(db_engine, reference), case_version(db_engine, reference)

    view = correct(
        tracker, reference, seq, "admin", "UN receipt was the 14th", occurred_on="2025-07-14"
    )

    case = view.to_json()
    assert case["dates"]["deposited"] == "2025-07-14"
    assert case["dates"]["effective"] == "2026-01-14"
    assert case["dates"]["effective_basis"] == "2025-07-14 + 6 months, APMBC Art. 20(3)"
    assert event_count(db_engine, reference) == events + 1
    assert case_version(db_engine, reference) == version + 1
    # The original event is kept as it was recorded; the correction says what and why.
    original = next(h for h in case["history"] if h["seq"] == seq)
    assert original["occurred_on"] == "2025-07-10"
    fix = case["history"][-1]
    assert fix["trigger"] == "correct"
    assert fix["actor"] == "admin"
    assert fix["evidence"]["corrects"] == seq
    assert fix["evidence"]["reason"] == "UN receipt was the 14th"
    # Lists and the sweep use the corrected date too.
    assert all_cases(tracker)[0]["effective"] == "2026-01-14"
    today.day = date(2026, 1, 10)
    assert sweep(tracker) == []
    today.day = date(2026, 1, 14)
    assert sweep(tracker) == [
        {"case": reference, "trigger": "take_effect", "label": TAKES_EFFECT, "on": "2026-01-14"}
    ]
    assert verify_audit(tracker).intact


CORRECTION_REFUSALS: Refusals = {
    "clerk": ({"actor": "clerk"}, Forbidden, "user", "admin"),
    "before the step before": (
        {"occurred_on": "2025-07-01"},
        NotAllowed,
        "occurred_on",
        "2025-07-04",
    ),
    "after today": ({"occurred_on": "2026-12-01"}, NotAllowed, "occurred_on", "2026-11-27"),
    "no reason": ({"reason": "  "}, InvalidInput, "reason", ""),
    "ill-typed evidence": (
        {"occurred_on": None, "evidence": {"depositary_reference": "CN 180"}},
        InvalidInput,
        "evidence.depositary_reference",
        "in the form C.N.180.2026.TREATIES-XXVI.5",  # an example, not a regular expression
    ),
}


def test_refused_corrections_write_nothing(
    tracker: Tracker, db_engine: Engine, subtests: pytest.Subtests
) -> None:
    reference = open_walked(tracker)
    seq = _deposit_seq(tracker, reference)
    events, version = event_count(db_engine, reference), case_version(db_engine, reference)
    for name, (overrides, error, field, hint) in CORRECTION_REFUSALS.items():
        call: dict[str, Any] = {
            "actor": "admin",
            "reason": "wrong date",
            "occurred_on": "2025-07-14",
        } | overrides
        with subtests.test(msg=name):
            with pytest.raises(error) as caught:
                correct(tracker, reference, seq, **call)
            assert caught.value.field == field
            assert hint in caught.value.message
            if error is NotAllowed:  # the replayed history names the event that no longer fits
                assert f"event {seq} (deposit)" in caught.value.message
            assert event_count(db_engine, reference) == events
            assert case_version(db_engine, reference) == version
            dates = get_case(tracker, reference).to_json()["dates"]
            assert (dates["deposited"], dates["effective"]) == ("2025-07-10", "2026-01-10")


# --------------------------------------------------------------------------- undo_last


def test_undo_last_returns_to_the_previous_stage_by_a_new_event(
    tracker: Tracker, db_engine: Engine, today: Today
) -> None:
    today.day = date(2025, 9, 30)
    reference = open_walked(tracker)
    events, version = event_count(db_engine, reference), case_version(db_engine, reference)

    view = undo_last(tracker, reference, "admin", "deposit was recorded on the wrong case")

    case = view.to_json()
    assert case["state"] == "mfa_coordination"
    assert case["dates"]["deposited"] is None and case["dates"]["effective"] is None
    assert event_count(db_engine, reference) == events + 1
    assert case_version(db_engine, reference) == version + 1
    assert [h["trigger"] for h in case["history"]][-2:] == ["deposit", "undo"]
    assert case["history"][-1]["evidence"]["undoes"] == events
    assert all_cases(tracker)[0]["state"] == "mfa_coordination"
    # The stage is really back: the deposit can be recorded again, and the clock restarts.
    again = advance(
        tracker, reference, "deposit", "2025-08-01", "clerk", evidence={"reasons": "Security"}
    )
    assert again.to_json()["dates"]["effective"] == "2026-02-01"
    assert verify_audit(tracker).intact


def test_a_clerk_may_not_undo(tracker: Tracker, db_engine: Engine) -> None:
    reference = open_walked(tracker)
    events = event_count(db_engine, reference)
    with pytest.raises(Forbidden) as caught:
        undo_last(tracker, reference, "clerk", "oops")
    assert caught.value.field == "user"
    assert event_count(db_engine, reference) == events
    assert get_case(tracker, reference).state.state == "notice_period"


# --------------------------------------------------------------------------- bad input


BAD_ADVANCES: Refusals = {
    "unknown case": (
        {"reference": "FI-APMBC-1999"},
        NotFound,
        "case",
        "cases list",
    ),
    "unknown trigger": ({"trigger": "ratify"}, NotFound, "trigger", "record_reading"),
    "trigger not allowed here": (
        {"trigger": "deposit", "evidence": {"reasons": "x"}},
        NotAllowed,
        "trigger",
        "allowed: record_reading, adopt, reject",
    ),
    "missing required evidence": (
        {"evidence": {"votes_for": "157"}},
        InvalidInput,
        "evidence.votes_against",
        "required",
    ),
    "ill-typed evidence": (
        {"evidence": {"votes_for": "abc", "votes_against": "18"}},
        InvalidInput,
        "evidence.votes_for",
        "'abc' is not a whole number >= 0",
    ),
    "negative vote count": (
        {"evidence": {"votes_for": "157", "votes_against": "-1"}},
        InvalidInput,
        "evidence.votes_against",
        ">= 0",
    ),
    "unknown evidence key": (
        {"evidence": {"votes_for": "1", "votes_against": "2", "colour": "red"}},
        InvalidInput,
        "evidence.colour",
        "allowed: votes_for, votes_against, abstained",
    ),
    "not a date": ({"occurred_on": "19/06/2025"}, InvalidInput, "occurred_on", "YYYY-MM-DD"),
    "date before the previous step": (
        {"occurred_on": "2025-05-27"},
        NotAllowed,
        "occurred_on",
        "2025-05-28",
    ),
    "date after today": (
        {"occurred_on": "2026-11-28"},
        NotAllowed,
        "occurred_on",
        "after today (2026-11-27)",
    ),
    "unknown user": ({"actor": "mallory"}, NotFound, "user", "mallory"),
    "viewer role": ({"actor": "viewer"}, Forbidden, "user", "clerk or admin"),
}


def test_bad_advance_is_refused_naming_the_field_and_changes_nothing(
    tracker: Tracker, db_engine: Engine, subtests: pytest.Subtests
) -> None:
    reference = open_walked(tracker, steps=[("submit_to_parliament", "2025-05-28", {})])
    events, version = event_count(db_engine, reference), case_version(db_engine, reference)
    good: dict[str, Any] = {
        "reference": reference,
        "trigger": "adopt",
        "occurred_on": "2025-06-19",
        "actor": "clerk",
        "evidence": {"votes_for": "157", "votes_against": "18"},
    }
    for name, (overrides, error, field, hint) in BAD_ADVANCES.items():
        with subtests.test(msg=name):
            with pytest.raises(error) as caught:
                advance(tracker, **(good | overrides))
            assert caught.value.field == field
            assert caught.value.message.startswith(f"{field}:")
            assert hint in caught.value.message
            assert event_count(db_engine, reference) == events
            assert case_version(db_engine, reference) == version
            assert get_case(tracker, reference).state.state == "parliament"

    # The call every bad one deviates from goes through.
    view = advance(tracker, **good)
    assert view.state.state == "presidential_signature"
    assert view.recorded is not None and view.recorded.evidence["votes_for"] == 157
    assert event_count(db_engine, reference) == events + 1


def test_stale_expected_version_is_a_conflict_naming_the_current_version(
    tracker: Tracker, db_engine: Engine
) -> None:
    reference = open_walked(tracker, steps=[("submit_to_parliament", "2025-05-28", {})])
    current = case_version(db_engine, reference)
    events = event_count(db_engine, reference)
    reading = {"chamber": "Eduskunta", "reading": "1"}

    with pytest.raises(Conflict) as caught:
        advance(
            tracker,
            reference,
            "record_reading",
            "2025-06-10",
            "clerk",
            evidence=reading,
            expected_version=current - 1,
        )
    assert caught.value.field == "expected_version"
    assert f"at version {current}" in caught.value.message
    assert event_count(db_engine, reference) == events
    assert case_version(db_engine, reference) == current

    view = advance(
        tracker,
        reference,
        "record_reading",
        "2025-06-10",
        "clerk",
        evidence=reading,
        expected_version=current,
    )
    assert view.version == current + 1
    assert event_count(db_engine, reference) == events + 1


def test_references_are_found_whatever_their_case(tracker: Tracker) -> None:
    reference = open_walked(tracker, steps=[])
    assert get_case(tracker, reference.lower()).reference == reference


def test_an_admin_cannot_deactivate_themselves_but_may_deactivate_another(
    tracker: Tracker,
) -> None:
    create_user(tracker, "second-admin", "admin", PASSWORD)
    with pytest.raises(Forbidden, match="deactivate yourself"):
        update_user(tracker, "admin", "admin", active=False)
    update_user(tracker, "admin", "second-admin", active=False)
    active = {u["name"]: u["active"] for u in list_users(tracker)}
    assert active["admin"] is True
    assert active["second-admin"] is False


def test_a_second_practice_case_of_a_workflow_gets_its_own_reference(tracker: Tracker) -> None:
    first = open_case(tracker, "", "apmbc", "clerk", workflow="apmbc/generic", practice=True)
    second = open_case(tracker, "", "apmbc", "clerk", workflow="apmbc/generic", practice=True)
    assert (first.reference, second.reference) == (
        "PRACTICE-APMBC-GENERIC",
        "PRACTICE-APMBC-GENERIC-2",
    )


def test_the_sweep_moves_every_due_case_a_batch_at_a_time(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.services.cases.SWEEP_BATCH", 2)  # five cases: three transactions
    walked = sorted(open_walked(tracker, country=c) for c in ("FI", "EE", "LT", "DE", "SE"))

    results = sweep(tracker)

    assert [r["case"] for r in results] == walked
    assert all(r["on"] == "2026-01-10" for r in results)
    assert {get_case(tracker, r).state.state for r in walked} == {"effective"}
    assert sweep(tracker) == []  # nothing is due any more
    assert verify_audit(tracker).intact


def test_a_batch_that_loses_a_race_is_swept_again_case_by_case(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = sorted(open_walked(tracker, country=c) for c in ("FI", "EE", "LT"))
    written = recording.record_events
    batches: list[list[str]] = []

    def losing_once(session: Any, steps: list[recording.NextEvent]) -> Any:
        batches.append([s.row.reference for s in steps])
        if len(batches) == 1:  # as if a clerk had moved Estonia's case since it was read
            set_committed_value(steps[1].row, "version", steps[1].row.version - 1)
        return written(session, steps)

    monkeypatch.setattr("app.services.cases.record_events", losing_once)

    results = sweep(tracker)

    assert batches == [walked, *([r] for r in walked)]  # the batch, then each in its savepoint
    assert [r["case"] for r in results] == walked
    for reference in walked:
        case = get_case(tracker, reference)
        assert case.state.state == "effective"
        assert [h.trigger for h in case.history or []].count("take_effect") == 1
    assert verify_audit(tracker).intact


def test_one_case_the_sweep_cannot_move_stops_no_other(
    tracker: Tracker, db_engine: Engine, today: Today
) -> None:
    finland = open_walked(tracker)  # deposited 2025-07-10
    estonia = open_case(tracker, "EE", "apmbc", "clerk", workflow="apmbc/international-only")
    advance(tracker, estonia.reference, "deposit", "2025-07-10", "clerk",
            evidence={"reasons": "Art. 20(2)"})  # fmt: skip
    with db_engine.begin() as conn:  # Estonia's stored definition lost behind the app's back
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER workflow_definitions_no_delete"))
        else:
            conn.execute(text("ALTER TABLE workflow_definitions DISABLE TRIGGER USER"))
        conn.execute(
            text("DELETE FROM workflow_definitions WHERE name = 'apmbc/international-only'")
        )
    fresh = Tracker(tracker.sessions, tracker.load_registry, today=today)  # no cached copy

    results = sweep(fresh)

    assert {"case": finland, "trigger": "take_effect", "label": TAKES_EFFECT,
            "on": "2026-01-10"} in results  # fmt: skip
    [skipped] = [r for r in results if r["case"] == estonia.reference]
    assert "no stored definition of apmbc/international-only" in skipped["skipped"]
    assert get_case(fresh, finland).state.state == "effective"
