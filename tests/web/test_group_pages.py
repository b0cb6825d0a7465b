"""The group pages: the demo's Baltic deposit group with its members and their chart; a clerk
makes a group and records one step for all its members, a viewer may not; a refusal by one
member refuses all, says which at the top of the page, keeps what was typed."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.services.cases import open_case
from app.services.context import Tracker
from app.services.queries import get_case
from tests.web.conftest import SignIn, csrf_token, html_of, location, post
from tests.web.test_documents import PDF, stored_files

BALTIC = "/groups/baltic-deposit-27-june-2025"
STEPS = "/groups/nordic-deposit/steps"


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
    top = "Explanation of reasons: DK-APMBC-2026 (Denmark) refused it, so nothing was recorded"
    assert top in html and ">kept</textarea>" in html
    beside = re.search(r'<p class="error"[^>]*>([^<]*)</p>', html)
    assert beside and beside.group(1).startswith("DK-APMBC-2026 (Denmark) refused it")
    assert "evidence.reasons:" not in html and "&#39;deposit&#39;" not in html
    assert [len(get_case(seeded, r).history) for r in references] == [1, 1]
    bad = post(clerk, "/groups", {"name": "Solo", "cases": references[0]})
    assert bad.status_code == 422 and "at least two cases" in html_of(bad)
    assert 'value="Solo"' in html_of(bad)


def _nordic_deposit(tracker: Tracker, signed_in: SignIn) -> tuple[list[str], FlaskClient]:
    """Denmark's and Norway's cases grouped by a signed-in clerk, who is returned."""
    references = _ready(tracker)
    clerk = signed_in("clerk")
    post(clerk, "/groups", {"name": "Nordic deposit", "cases": " ".join(references)})
    return references, clerk


def _deposit_with(clerk: FlaskClient, content: bytes) -> TestResponse:
    """The group's deposit posted from its form with one document, instrument.pdf."""
    data: dict[str, Any] = {
        "csrf_token": csrf_token(clerk), "trigger": "deposit", "occurred_on": "2026-06-27",
        "evidence.reasons": "Security", "documents": [(io.BytesIO(content), "instrument.pdf")],
    }  # fmt: skip
    return clerk.post(STEPS, data=data, content_type="multipart/form-data")


def test_a_group_step_attaches_the_same_documents_to_every_member(
    app: Flask, seeded: Tracker, signed_in: SignIn
) -> None:
    references, clerk = _nordic_deposit(seeded, signed_in)
    page = html_of(clerk.get("/groups/nordic-deposit"))
    assert 'enctype="multipart/form-data"' in page and 'name="documents"' in page
    done = _deposit_with(clerk, PDF)
    assert done.status_code == 302, html_of(done)
    for reference in references:
        case = html_of(clerk.get(f"/cases/{reference}"))
        assert re.search(r'/documents/[0-9a-f]{64}" download>instrument.pdf</a>', case)
    assert len(stored_files(app)) == 1  # stored once, named by both events


def test_a_refused_file_refuses_the_whole_group_step(
    app: Flask, seeded: Tracker, signed_in: SignIn
) -> None:
    references, clerk = _nordic_deposit(seeded, signed_in)
    refused = _deposit_with(clerk, b"PK\x03\x04" + b"\x00\xff" * 20)  # a ZIP named .pdf
    assert refused.status_code == 422
    assert "instrument.pdf is not a file of an allowed type" in html_of(refused)
    assert [len(get_case(seeded, r).history or ()) for r in references] == [1, 1]
    assert stored_files(app) == []


def test_a_clerk_changes_the_members_and_the_page_keeps_who_and_why(
    seeded: Tracker, signed_in: SignIn
) -> None:
    dk, no = _ready(seeded)
    clerk, viewer = signed_in("clerk"), signed_in("viewer")
    post(clerk, "/groups", {"name": "Nordic deposit", "cases": f"{dk} {no}"})
    members = "/groups/nordic-deposit/members"
    assert "Change the members" not in html_of(viewer.get("/groups/nordic-deposit"))
    assert post(viewer, members, {"add": "LV-APMBC-2025"}).status_code == 403

    refused = post(clerk, members, {"add": "XX-NOPE", "remove": no, "reason": "kept"})
    html = html_of(refused)
    assert refused.status_code == 422
    assert "The members were not changed. Cases to add: no case &#39;XX-NOPE&#39;" in html
    assert 'value="XX-NOPE" aria-describedby="members-add-help" autofocus' in html
    assert f'value="{no}" checked' in html and ">kept</textarea>" in html

    done = post(clerk, members, {"add": "LV-APMBC-2025", "remove": no, "reason": "Norway waits"})
    assert done.status_code == 302
    page = html_of(clerk.get(location(done)))
    assert "Members changed; the group has 2 cases." in page
    assert re.findall(r'data-case="([^"]+)"', page) == [dk, "LV-APMBC-2025"]
    changes = page[page.index('id="changes-h"') :]
    assert f"Made with {dk}, {no}" in changes and "Norway waits" in changes
    cell = '<td data-label="{}">{}</td>'.format
    row = rf"{cell('By', 'clerk')}\s*{cell('Added', 'LV-APMBC-2025')}\s*{cell('Taken out', no)}"
    assert re.search(row, changes)
