"""The demo data: the real withdrawals seeded from their sources, with dates the treaty clock
computes (checked against the seed file and, independently, against the facts file)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from app.domain.loader import Registry
from app.services.context import Tracker
from app.services.demo import load_demo_cases, seed_demo
from app.services.queries import get_case
from tests.conftest import all_cases, copy_demo
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


# Transcribed by hand from /work/shared/facts/treaty-actions.md (sections 2-10): reference ->
# (stage, receipt or start of the clock, the date the sources give, which date of the case it
# is: "effective", or "notice_period_ends" where the case did not take effect).
ACTIONS = {
    "HU-ROME-STATUTE-2025": ("notice_period", "2025-06-02", "2026-06-02", "effective"),
    "ZA-ROME-STATUTE-2016": ("revoked", "2016-10-19", "2017-10-19", "notice_period_ends"),
    "GM-ROME-STATUTE-2016": ("revoked", "2016-11-10", "2017-11-10", "notice_period_ends"),
    "US-PARIS-2017": ("effective", "2019-11-04", "2020-11-04", "effective"),
    "US-PARIS-2021": ("in_force", "2021-01-20", "2021-02-19", "effective"),
    "US-PARIS-2025": ("effective", "2025-01-27", "2026-01-27", "effective"),
    "US-WHO-2020": ("revoked", "2020-07-06", "2021-07-06", "notice_period_ends"),
    "US-WHO-2025": ("effect_disputed", "2025-01-22", "2026-01-22", "notice_period_ends"),
    "AR-WHO-2025": ("effective", "2025-03-17", "2026-03-17", "effective"),
    "US-UNESCO-2025": ("notice_period", "2025-07-22", "2026-12-31", "effective"),
    "NI-UNESCO-2025": ("notice_period", "2025-01-01", "2026-12-31", "effective"),
    "LT-CCM-2024": ("effective", "2024-09-06", "2025-03-06", "effective"),
    "TR-ISTANBUL-2021": ("effective", "2021-03-20", "2021-07-01", "effective"),
    "RU-CFE-2023": ("effective", "2023-06-09", "2023-11-07", "effective"),
    # a cessation (Statute Art. 8): the Committee's decision sets the date, no notice's receipt
    "RU-COE-STATUTE-2022": ("membership_ceased", None, "2022-03-16", "effective"),
    "RU-ECHR-2022": ("effective", "2022-03-16", "2022-09-16", "effective"),
    # no clock: no receipt, no date
    "LV-ISTANBUL-2025": ("parked", None, None, "effective"),
    "RU-CTBT-2023": ("ratification_withdrawn", None, None, "effective"),
    "BF-ROME-STATUTE-2025": ("announced", None, None, "effective"),
    "ML-ROME-STATUTE-2025": ("announced", None, None, "effective"),
    "NE-ROME-STATUTE-2025": ("announced", None, None, "effective"),
    # section 11: the memorandum of 2026-01-07; the receipt of a formal notice not found
    "US-UNFCCC-2026": ("mfa_coordination", None, None, "effective"),
}


@pytest.fixture
def demo_references(tracker: Tracker) -> list[str]:
    """The references of the demo's cases, seeded by seed_demo itself (slow: where it counts)."""
    return seed_demo(tracker)


@pytest.fixture
def copied(db_engine: Engine, demo_rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The demo as seed_demo leaves it, copied from the run's one seeding (fast)."""
    copy_demo(db_engine, demo_rows)
    return [str(row["reference"]) for row in demo_rows["cases"]]


def _case(tracker: Tracker, reference: str, as_of: date | None = None) -> dict[str, Any]:
    return get_case(tracker, reference, as_of).to_json()


def _iso(value: object) -> str | None:
    """A date from the YAML file (PyYAML reads dates as `date`) as the JSON shows it."""
    return None if value is None else str(value)


def test_computed_dates_match_the_seed_file_and_the_sources(
    tracker: Tracker, copied: list[str]
) -> None:
    specs = load_demo_cases()
    assert len(specs) == 8 + len(ACTIONS)
    for spec in specs:
        expect = spec["expect"]
        assert expect["reference"] in copied
        case = _case(tracker, expect["reference"])
        assert (case["state"], case["dates"]["deposited"], case["dates"]["effective"]) == (
            expect["state"],
            _iso(expect["deposited"]),
            _iso(expect["effective"]),
        ), expect["reference"]

    # Independently of the seed file: the dates the sources give.
    listed = {c["reference"]: c for c in all_cases(tracker)}
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
    tracker: Tracker, copied: list[str], subtests: pytest.Subtests
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

    with subtests.test(msg="every seeded event names its source, or says that none is named"):
        checked = 0
        for spec in load_demo_cases():
            opening, *steps = _case(tracker, spec["expect"]["reference"])["history"]
            assert (opening["trigger"], opening["actor"]) == ("open", "system")
            for event in steps:
                source = event["evidence"].get("source")
                where = (event["case"], event["seq"])
                if source is None:  # never a placeholder in the source's place
                    assert "No source is named for this step" in event["comment"], where
                else:
                    assert isinstance(source, str) and source.strip(), where
                    assert "facts file" not in source and "no source" not in source, where
                assert event["evidence"].get("confidence") in ("H", "M", "L")
                checked += 1
        assert checked >= 40


def test_one_practice_case_per_workflow_and_seeding_twice_adds_nothing(
    tracker: Tracker, db_engine: Engine, registry: Registry, demo_references: list[str]
) -> None:
    practice = [c for c in all_cases(tracker) if c["practice"]]
    by_workflow = {c["workflow"]: c for c in practice}

    assert len(practice) == len(registry.workflows)
    assert set(by_workflow) == set(registry.workflows)
    for name, summary in by_workflow.items():
        assert summary["state"] == registry.workflows[name].initial, name
        assert "PRACTICE" in summary["reference"]
        case = _case(tracker, summary["reference"])
        assert case["practice"] is True
        assert [e["trigger"] for e in case["history"]] == ["open"]
    real = {c["reference"] for c in all_cases(tracker) if not c["practice"]}
    assert real == {spec["expect"]["reference"] for spec in load_demo_cases()}

    cases, events = total_rows(db_engine, "cases"), total_rows(db_engine, "events")
    assert cases == len(demo_references)

    assert seed_demo(tracker) == []

    assert total_rows(db_engine, "cases") == cases
    assert total_rows(db_engine, "events") == events


def test_each_treaty_action_shows_the_date_of_its_sources(
    db_engine: Engine,
    demo_rows: dict[str, list[dict[str, Any]]],
    cli: Any,
    subtests: pytest.Subtests,
) -> None:
    copy_demo(db_engine, demo_rows)
    listed = {
        c["reference"]: c for c in json.loads(cli.invoke(args=["cases", "list", "--json"]).output)
    }
    for reference, (state, start, day, which) in sorted(ACTIONS.items()):
        with subtests.test(msg=reference):
            result = cli.invoke(args=["cases", "show", reference, "--json"])
            assert result.exit_code == 0, result.output
            case = json.loads(result.output)
            assert case["state"] == state
            assert case["dates"]["deposited"] == start
            assert case["dates"][which] == day
            if which == "notice_period_ends":
                assert case["dates"]["effective"] is None  # revoked, or waiting for a condition
            else:  # the list (the case row's projection) says the same
                assert listed[reference]["effective"] == day


def test_the_real_actions_read_as_the_sources_say(tracker: Tracker, copied: list[str]) -> None:
    sahel = _case(tracker, "BF-ROME-STATUTE-2025")
    assert "No clock runs until the depositary receives a notice" in sahel["stage"]["description"]
    paris = _case(tracker, "US-PARIS-2017")
    assert (paris["in_force_since"], paris["notice_allowed_from"]) == ("2016-11-04", "2019-11-04")
    assert _case(tracker, "US-PARIS-2021")["kind"] == "accession"
    assert _case(tracker, "RU-CTBT-2023")["kind"] == "deratification"
    latvia = _case(tracker, "LV-ISTANBUL-2025")
    parked = [h for h in latvia["history"] if h["trigger"] == "park_returned_law"]
    assert parked[0]["evidence"]["next_date"] == "2026-11-01"
    turkey = _case(tracker, "TR-ISTANBUL-2021")["history"]
    deposit = next(h for h in turkey if h["trigger"] == "deposit")
    assert (deposit["occurred_on"], deposit["occurred_until"]) == ("2021-03-20", "2021-03-31")
    lithuania = _case(tracker, "LT-CCM-2024")["history"]
    adopt = next(h for h in lithuania if h["trigger"] == "adopt")
    assert "Delfi EN" in adopt["comment"] and "BNS" in adopt["comment"]  # the split disputed
