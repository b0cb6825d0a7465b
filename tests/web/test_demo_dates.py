"""After seed-demo, every real case shows the dates of its sources on the three surfaces a
person reads: the case page, the API (and, in tests/integration/test_demo_data.py, the CLI).
The expected dates are the ones transcribed by hand from the facts files there."""

from __future__ import annotations

import json
import re

import pytest

from app.domain.action_words import action_words
from app.services.context import Tracker
from app.web.format import day
from tests.integration.test_demo_data import ACTIONS, SOURCES
from tests.web.conftest import SignIn, html_of

# reference -> (receipt or start of the clock, the sources' date, which date of the case it is)
EXPECTED = {
    **{
        ref: (received, effective, "effective") for ref, (received, effective, _) in SOURCES.items()
    },
    **{ref: (start, on, which) for ref, (_, start, on, which) in ACTIONS.items()},
}


def summary_value(html: str, term: str) -> str:
    """The text of the case page's summary entry `term` (a <dt>), tags removed."""
    match = re.search(rf"<dt>{re.escape(term)}</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert match is not None, term
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_every_real_case_shows_its_sources_dates_on_its_page_and_in_the_api(
    seeded: Tracker, signed_in: SignIn, subtests: pytest.Subtests
) -> None:
    viewer = signed_in("viewer")
    for reference, (start, on, which) in sorted(EXPECTED.items()):
        with subtests.test(msg=reference):
            api = viewer.get(f"/api/v1/cases/{reference}").get_json()
            assert api["dates"]["deposited"] == start
            assert api["dates"][which] == on
            if which == "notice_period_ends":
                assert api["dates"]["effective"] is None

            page = html_of(viewer.get(f"/cases/{reference}"))
            received = summary_value(page, "Instrument received by the depositary")
            # a receipt known within bounds reads "between <start> and ..."
            assert (
                received.removeprefix("between ").startswith(day(start))
                if start
                else (received == "—")
            )
            # "Takes effect", "Enters into force for the State", "Membership ends"
            takes_effect = summary_value(page, action_words(api["kind"]).heading)
            if on is None:
                assert not re.search(r"\d{4}", takes_effect.split(":")[0])  # no date claimed
            elif which == "effective":
                assert takes_effect.startswith(day(on)), takes_effect
            else:  # revoked, or the effect disputed: the period's end, never an effective date
                assert takes_effect.startswith(("Never", "Not yet")), takes_effect
    turkey = html_of(viewer.get("/cases/TR-ISTANBUL-2021"))
    received = summary_value(turkey, "Instrument received by the depositary")
    assert received.startswith("between 20 Mar 2021 and 31 Mar 2021")


def test_cessation_is_a_kind_of_its_own_on_every_surface(
    seeded: Tracker, signed_in: SignIn, cli
) -> None:  # type: ignore[no-untyped-def]
    # Statute of the Council of Europe Art. 8: Russia's membership ceased by the Committee of
    # Ministers' decision, as from 2022-03-16; under ECHR Art. 58(3) it ceased to be a party
    # six months later, 2022-09-16 (facts/treaty-actions.md, section 10)
    viewer = signed_in("viewer")
    page = html_of(viewer.get("/cases?kind=cessation"))
    assert 'value="cessation"' in page  # the filter offers the kind
    assert "RU-COE-STATUTE-2022" in page and "RU-ECHR-2022" not in page
    case_page = html_of(viewer.get("/cases/RU-COE-STATUTE-2022"))
    assert summary_value(case_page, "Kind") == "Cessation of membership"
    assert summary_value(case_page, "Membership ends").startswith("16 Mar 2022")
    api = viewer.get("/api/v1/cases/RU-COE-STATUTE-2022").get_json()
    assert (api["kind"], api["dates"]["membership_ceased"]) == ("cessation", "2022-03-16")
    listed = viewer.get("/api/v1/cases", query_string={"kind": "cessation"}).get_json()
    assert [c["reference"] for c in listed["items"]] == ["RU-COE-STATUTE-2022"]

    shown = cli.invoke(args=["cases", "list", "--kind", "cessation", "--json"])
    assert [c["reference"] for c in json.loads(shown.output)] == ["RU-COE-STATUTE-2022"]
    assert (
        "kind       cessation" in cli.invoke(args=["cases", "show", "RU-COE-STATUTE-2022"]).output
    )

    echr = viewer.get("/api/v1/cases/RU-ECHR-2022").get_json()
    assert (echr["kind"], echr["dates"]["effective"]) == ("withdrawal", "2022-09-16")


def test_an_accession_enters_into_force_on_its_page(seeded: Tracker, signed_in: SignIn) -> None:
    # Paris Agreement Art. 21(3): the 30th day after the United States' deposit of 2021-01-20
    page = html_of(signed_in("viewer").get("/cases/US-PARIS-2021"))
    assert summary_value(page, "Enters into force for the State").startswith("19 Feb 2021")
    assert "<dt>Takes effect</dt>" not in page


def test_a_law_parked_in_committee_shows_when_its_next_step_is_due(
    seeded: Tracker, signed_in: SignIn
) -> None:
    # Latvia, Istanbul Convention: the Saeima sent the returned law to its Foreign Affairs
    # Committee, proposals due 2026-11-01 (facts/treaty-actions.md); the suite's today is later
    viewer = signed_in("clerk")
    api = viewer.get("/api/v1/cases/LV-ISTANBUL-2025").get_json()
    [resume] = [t for t in api["available_triggers"] if t["trigger"] == "resume_reading"]
    assert (resume["awaited_on"], resume["due_on"]) == ("2026-11-01", None)
    page = html_of(viewer.get("/cases/LV-ISTANBUL-2025"))
    step = page[page.index('id="step-resume_reading"') :]
    step = step[: step.index("</summary>")]
    assert "due on <strong>1 Nov 2026</strong>" in step and "overdue" in step
    # an expected date, not the day it happened: the step's date field is left empty
    assert re.search(
        r'name="occurred_on"[^>]*value=""', page[page.index('id="step-resume_reading"') :]
    )
