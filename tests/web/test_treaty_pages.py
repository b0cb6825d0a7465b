"""The treaty pages and the timeline chart: /treaties lists every treaty with its clause, a
treaty's page shows its clause in words, its cases linked and their chart side by side; the
case page carries the chart of its own case; treaty names link to their page."""

from __future__ import annotations

import re

from app.services.cases import advance, open_case
from app.services.context import Tracker
from tests.web.conftest import LV, SignIn, html_of

APMBC_CASES = ["EE-APMBC-2025", "FI-APMBC-2025", "LT-APMBC-2025", LV, "PL-APMBC-2025"]


def chart_rows(html: str) -> list[str]:
    return re.findall(r'<g class="row" data-case="([^"]+)"', html)


def test_the_treaty_page_shows_its_clause_and_its_cases_side_by_side(
    seeded: Tracker, signed_in: SignIn
) -> None:
    page = signed_in("viewer").get("/treaties/apmbc")
    html = html_of(page)
    assert page.status_code == 200
    assert "A withdrawal takes effect 6 months after the depositary receives the notice" in html
    assert "does not take effect before the armed conflict ends" in html
    assert chart_rows(html) == [*APMBC_CASES, "UA-APMBC-2025"]  # the five, and the claim
    for reference in APMBC_CASES:
        assert f'href="/cases/{reference}"' in html
    assert "PRACTICE-" not in html
    assert html.count("Took effect on 27 Dec 2025") == 3  # EE, LT and LV: the same day


def test_the_treaty_index_lists_every_treaty_with_its_cases(
    seeded: Tracker, signed_in: SignIn
) -> None:
    html = html_of(signed_in("viewer").get("/treaties"))
    for code in ("apmbc", "rome-statute", "paris", "unesco", "cfe"):
        assert f'href="/treaties/{code}"' in html
    assert "A withdrawal takes effect 12 months after the depositary receives the notice" in html


def test_an_unknown_treaty_is_a_404_and_a_bad_page_names_the_field(
    seeded: Tracker, signed_in: SignIn
) -> None:
    viewer = signed_in("viewer")
    assert viewer.get("/treaties/nope").status_code == 404
    bad = viewer.get("/treaties/apmbc?page=x")
    assert bad.status_code == 400 and "page" in html_of(bad)


def test_the_case_page_has_its_chart_and_treaty_names_link_to_their_page(
    seeded: Tracker, signed_in: SignIn
) -> None:
    viewer = signed_in("viewer")
    html = html_of(viewer.get(f"/cases/{LV}"))
    assert chart_rows(html) == [LV]
    assert "From &#39;Parliament&#39; to &#39;Presidential signature&#39;" in html or (
        "between 23 Apr 2025 and 24 Apr 2025" in html
    )
    assert 'href="/treaties/apmbc"' in html
    for address in ("/cases", "/", "/dashboard"):
        assert 'href="/treaties/apmbc"' in html_of(viewer.get(address)), address


def test_an_effective_date_still_to_come_is_drawn_as_computed(
    seeded: Tracker, signed_in: SignIn
) -> None:
    viewer = signed_in("viewer")
    before = html_of(viewer.get("/treaties/rome-statute"))
    view = open_case(
        seeded, "AT", "rome-statute", "clerk", workflow="rome-statute/international-only"
    )
    advance(seeded, view.reference, "deposit", "2026-06-02", "clerk")
    html = html_of(viewer.get("/treaties/rome-statute"))
    assert chart_rows(html) == sorted([*chart_rows(before), view.reference])
    assert "Takes effect on 2 Jun 2027, computed" in html
    for mark in ('class="mark effective computed"', 'class="projected"'):  # projected: from today
        assert html.count(mark) == before.count(mark) + 1, mark


def test_a_treaty_page_names_the_condition_on_its_effect_and_the_withdrawal_it_carries(
    seeded: Tracker, signed_in: SignIn
) -> None:
    viewer = signed_in("viewer")
    ilo = html_of(viewer.get("/treaties/ilo"))
    assert "It takes effect only if the Member has then fulfilled all financial obligations" in ilo
    assert "the effect is disputed until it is recorded met" in ilo
    cascade = "withdrawing from the UNFCCC is also withdrawing from the Paris Agreement."
    for code in ("unfccc", "paris"):  # each side says so
        assert cascade in html_of(viewer.get(f"/treaties/{code}")), code
    assert cascade not in html_of(viewer.get("/treaties/apmbc"))
