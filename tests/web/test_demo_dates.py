"""After seed-demo, every real case shows the dates of its sources on the three surfaces a
person reads: the case page, the API (and, in tests/integration/test_demo_data.py, the CLI).
The expected dates are the ones transcribed by hand from the facts files there."""

from __future__ import annotations

import json
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
    assert summary_value(case_page, "Kind") == "cessation"
    assert summary_value(case_page, "Takes effect").startswith("16 Mar 2022")
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
