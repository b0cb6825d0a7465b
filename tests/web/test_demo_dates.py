"""After seed-demo, every real case shows the dates of its sources on the three surfaces a
person reads: the case page, the API (and, in tests/integration/test_demo_data.py, the CLI).
The expected dates are the ones transcribed by hand from the facts files there."""

from __future__ import annotations

import re

import pytest

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
            takes_effect = summary_value(page, "Takes effect")
            if on is None:
                assert not re.search(r"\d{4}", takes_effect.split(":")[0])  # no date claimed
            elif which == "effective":
                assert takes_effect.startswith(day(on)), takes_effect
            else:  # revoked, or the effect disputed: the period's end, never an effective date
                assert takes_effect.startswith(("Never", "Not yet")), takes_effect
    turkey = html_of(viewer.get("/cases/TR-ISTANBUL-2021"))
    received = summary_value(turkey, "Instrument received by the depositary")
    assert received.startswith("between 20 Mar 2021 and 31 Mar 2021")
