"""The demo data: the real withdrawals seeded from their sources, with dates the treaty clock
computes (checked against the seed file and, independently, against the facts file)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from app.domain.loader import Registry
from app.services.context import Tracker
from app.services.demo import load_demo_cases, seed_demo
from app.services.queries import get_case, list_cases
from tests.integration.conftest import total_rows

# Transcribed by hand from /work/shared/facts/withdrawals.md (sections 2 and 4):
# reference -> (depositary's receipt, effective date, clause).
SOURCES = {
    "LV-APMBC-2025": ("2025-06-27", "2025-12-27", "+ 6 months, APMBC Art. 20(3)"),
    "LT-APMBC-2025": ("2025-06-27", "2025-12-27", "+ 6 months, APMBC Art. 20(3)"),
    "EE-APMBC-2025": ("2025-06-27", "2025-12-27", "+ 6 months, APMBC Art. 20(3)"),
    "FI-APMBC-2025": ("2025-07-10", "2026-01-10", "+ 6 months, APMBC Art. 20(3)"),
    "PL-APMBC-2025": ("2025-08-20", "2026-02-20", "+ 6 months, APMBC Art. 20(3)"),
    "BI-ROME-STATUTE-2016": ("2016-10-27", "2017-10-27", "Rome Statute Art. 127"),
    "PH-ROME-STATUTE-2018": ("2018-03-17", "2019-03-17", "Rome Statute Art. 127"),
}


@pytest.fixture
def seeded(tracker: Tracker) -> list[str]:
    return seed_demo(tracker)


def _case(tracker: Tracker, reference: str, as_of: date | None = None) -> dict[str, Any]:
    return get_case(tracker, reference, as_of).to_json()


def _iso(value: object) -> str | None:
    """A date from the YAML file (PyYAML reads dates as `date`) as the JSON shows it."""
    return None if value is None else str(value)


def test_computed_dates_match_the_seed_file_and_the_sources(
    tracker: Tracker, seeded: list[str]
) -> None:
    specs = load_demo_cases()
    assert len(specs) == 8
    for spec in specs:
        expect = spec["expect"]
        assert expect["reference"] in seeded
        case = _case(tracker, expect["reference"])
        assert (case["state"], case["dates"]["deposited"], case["dates"]["effective"]) == (
            expect["state"],
            _iso(expect["deposited"]),
            _iso(expect["effective"]),
        ), expect["reference"]

    # Independently of the seed file: the dates the sources give.
    listed = {c["reference"]: c for c in list_cases(tracker)}
    for reference, (received, effective, clause) in SOURCES.items():
        case = _case(tracker, reference)
        dates = case["dates"]
        assert case["state"] == "effective", reference
        assert dates["deposited"] == received, reference
        assert dates["effective"] == effective, reference
        assert dates["effective_basis"].startswith(f"{received} + "), reference
        assert clause in dates["effective_basis"], reference
        # The list (the case row's projection) says the same.
        assert (listed[reference]["deposited"], listed[reference]["effective"]) == (
            received,
            effective,
        )
        # The day before, the withdrawal had not yet taken effect; on the day it had.
        day = date.fromisoformat(effective)
        assert _case(tracker, reference, day - timedelta(days=1))["state"] == "notice_period"
        assert _case(tracker, reference, day)["state"] == "effective"
    basis = _case(tracker, "LV-APMBC-2025")["dates"]["effective_basis"]
    assert basis == "2025-06-27 + 6 months, APMBC Art. 20(3)"


def test_seeded_histories_are_the_real_ones(
    tracker: Tracker, seeded: list[str], subtests: pytest.Subtests
) -> None:
    with subtests.test(msg="Latvia: the real vote, and the proclamation as a range"):
        history = _case(tracker, "LV-APMBC-2025")["history"]
        by_trigger = {h["trigger"]: h for h in history}

        adopt = by_trigger["adopt"]
        assert (adopt["occurred_on"], adopt["occurred_until"]) == ("2025-04-16", None)
        votes = {k: adopt["evidence"][k] for k in ("votes_for", "votes_against", "abstained")}
        assert votes == {"votes_for": 66, "votes_against": 14, "abstained": 2}

        proclaimed = by_trigger["sign"]
        assert (proclaimed["occurred_on"], proclaimed["occurred_until"]) == (
            "2025-04-23",
            "2025-04-24",
        )
        deposit = by_trigger["deposit"]
        assert (deposit["occurred_on"], deposit["occurred_until"]) == ("2025-06-27", None)
        assert deposit["evidence"]["reasons"]
        # No depositary reference was found in the sources, so none is invented.
        assert "depositary_reference" not in deposit["evidence"]

    with subtests.test(msg="Ukraine: a suspension claim with no effective date"):
        case = _case(tracker, "UA-APMBC-2025")
        assert case["workflow"] == "apmbc/ua/suspension"
        assert case["state"] == "suspension_notified"
        assert case["dates"]["deposited"] is None
        assert case["dates"]["effective"] is None
        objections = [
            h["evidence"]["objecting_state"]
            for h in case["history"]
            if h["trigger"] == "record_objection"
        ]
        assert sorted(objections) == sorted(
            ["Norway", "Belgium", "Austria", "Switzerland", "New Zealand", "Colombia"]
        )
        triggers = {a["trigger"] for a in case["available_triggers"]}
        assert "take_effect" not in triggers and "deposit" not in triggers

    with subtests.test(msg="every seeded event names its source"):
        checked = 0
        for spec in load_demo_cases():
            opening, *steps = _case(tracker, spec["expect"]["reference"])["history"]
            assert (opening["trigger"], opening["actor"]) == ("open", "system")
            for event in steps:
                source = event["evidence"].get("source")
                assert isinstance(source, str) and source.strip(), (event["case"], event["seq"])
                assert event["evidence"].get("confidence") in ("H", "M", "L")
                checked += 1
        assert checked >= 40


def test_one_practice_case_per_workflow_and_seeding_twice_adds_nothing(
    tracker: Tracker, db_engine: Engine, registry: Registry, seeded: list[str]
) -> None:
    practice = [c for c in list_cases(tracker) if c["practice"]]
    by_workflow = {c["workflow"]: c for c in practice}

    assert len(practice) == len(registry.workflows)
    assert set(by_workflow) == set(registry.workflows)
    for name, summary in by_workflow.items():
        assert summary["state"] == registry.workflows[name].initial, name
        assert "PRACTICE" in summary["reference"]
        case = _case(tracker, summary["reference"])
        assert case["practice"] is True
        assert [e["trigger"] for e in case["history"]] == ["open"]
    real = {c["reference"] for c in list_cases(tracker) if not c["practice"]}
    assert real == {spec["expect"]["reference"] for spec in load_demo_cases()}

    cases, events = total_rows(db_engine, "cases"), total_rows(db_engine, "events")
    assert cases == len(seeded)

    assert seed_demo(tracker) == []

    assert total_rows(db_engine, "cases") == cases
    assert total_rows(db_engine, "events") == events
