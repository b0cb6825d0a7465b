"""The group pages: the demo's Baltic deposit group with its members and their chart; a clerk
makes a group and records one step for all its members, a viewer may not; a refusal by one
member refuses all, says which at the top of the page, keeps what was typed."""

from __future__ import annotations

import re

from app.services.cases import open_case
from app.services.context import Tracker
from app.services.queries import get_case
from tests.web.conftest import SignIn, html_of, location, post

BALTIC = "/groups/baltic-deposit-27-june-2025"


def test_the_demo_groups_the_baltic_deposit(seeded: Tracker, signed_in: SignIn) -> None:
    viewer = signed_in("viewer")
    assert f'href="{BALTIC}"' in html_of(viewer.get("/groups"))
    html = html_of(viewer.get(BALTIC))
    rows = re.findall(r'<g class="row" data-case="([^"]+)"', html)
    assert rows == ["EE-APMBC-2025", "LT-APMBC-2025", "LV-APMBC-2025"]
    assert html.count("Instrument received by the depositary on 27 Jun 2025") == 3
    assert "the members have no next step in common" in html
    assert "Make a group" not in html_of(viewer.get("/groups"))  # a viewer makes none
    assert viewer.get("/groups/nope").status_code == 404


def _ready(tracker: Tracker) -> list[str]:
    return [
        open_case(tracker, c, "apmbc", "clerk", workflow="apmbc/international-only").reference
        for c in ("DK", "NO")
    ]


def test_a_clerk_makes_a_group_and_records_the_deposit_for_all(
    seeded: Tracker, signed_in: SignIn
) -> None:
    references = _ready(seeded)
    clerk, viewer = signed_in("clerk"), signed_in("viewer")
    made = post(clerk, "/groups", {"name": "Nordic deposit", "cases": " ".join(references)})
    assert made.status_code == 302 and location(made).endswith("/groups/nordic-deposit")
    page = html_of(clerk.get("/groups/nordic-deposit"))
    assert "Record for all 2: Depositary receives the instrument" in page
    deposit = {"trigger": "deposit", "occurred_on": "2026-06-27", "evidence.reasons": "Security"}
    versions = {f"expected_version.{r}": "1" for r in references}
    assert post(viewer, "/groups/nordic-deposit/steps", {**deposit, **versions}).status_code == 403
    done = post(clerk, "/groups/nordic-deposit/steps", {**deposit, **versions})
    assert done.status_code == 302, html_of(done)
    assert "Recorded for all 2 cases" in html_of(clerk.get(location(done)))
    for reference in references:
        assert get_case(seeded, reference).state.deposited_on.isoformat() == "2026-06-27"


def test_a_refusal_names_the_member_and_keeps_the_input(seeded: Tracker, signed_in: SignIn) -> None:
    references = _ready(seeded)
    clerk = signed_in("clerk")
    post(clerk, "/groups", {"name": "Nordic deposit", "cases": ",".join(references)})
    no_reasons = {"trigger": "deposit", "occurred_on": "2026-06-27", "comment": "kept"}
    refused = post(clerk, "/groups/nordic-deposit/steps", no_reasons)
    html = html_of(refused)
    assert refused.status_code == 422
    assert "Nothing was recorded for any member. DK-APMBC-2026 (Denmark) refused it" in html
    assert "evidence.reasons" in html and ">kept</textarea>" in html
    assert [len(get_case(seeded, r).history) for r in references] == [1, 1]
    bad = post(clerk, "/groups", {"name": "Solo", "cases": references[0]})
    assert bad.status_code == 422 and "at least two cases" in html_of(bad)
    assert 'value="Solo"' in html_of(bad)
