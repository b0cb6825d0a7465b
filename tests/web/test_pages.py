"""The read-only pages as a browser sees them: the pending list (now and on a past date) and a
case's page with its history, evidence and how its effective date was computed."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.demo import seed_demo

LV = "LV-APMBC-2025"
PRACTICE = "PRACTICE-APMBC-GENERIC"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_pages_render_with_the_apps_own_template_loader(app: Flask, tracker: Tracker) -> None:
    """The app finds its own templates (app/web/templates): no page is a 500."""
    seed_demo(tracker)
    plain = app.test_client()
    assert plain.get("/").status_code == 200
    assert plain.get(f"/cases/{LV}").status_code == 200


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def seeded(tracker: Tracker) -> Tracker:
    seed_demo(tracker)
    return tracker


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def row_of(html: str, reference: str) -> str:
    """The table row of the pending list that links to `reference`."""
    rows = [r for r in re.split(r"<tr>", html) if f'href="/cases/{reference}"' in r]
    assert len(rows) == 1, f"{reference} is listed {len(rows)} times"
    return rows[0].split("</tr>")[0]


def test_pending_page_lists_the_open_cases_with_their_next_steps(
    client: FlaskClient, seeded: Tracker
) -> None:
    html = page(client, "/")
    row = row_of(html, PRACTICE)
    assert "Drafting" in row
    assert "Bill submitted to parliament" in row  # the label of its next step
    intl = row_of(html, "PRACTICE-APMBC-INTERNATIONAL-ONLY")
    assert "Depositary receives the instrument" in intl
    assert 'href="/cases/UA-APMBC-2025"' in html
    # Cases that took effect are not pending any more.
    assert f'href="/cases/{LV}"' not in html
    assert 'href="/cases/BI-ROME-STATUTE-2016"' not in html


def test_pending_page_as_of_a_past_date(client: FlaskClient, seeded: Tracker) -> None:
    html = page(client, "/?as_of=2025-07-01")
    assert "as of 2025-07-01" in html
    row = row_of(html, LV)
    assert "takes effect 2025-12-27" in row
    assert "2025-06-27 + 6 months, APMBC Art. 20(3)" in row
    assert 'value="2025-07-01"' in html
    # Burundi left the Rome Statute in 2017: not pending in 2025.
    assert 'href="/cases/BI-ROME-STATUTE-2016"' not in html


def test_pending_page_before_any_case(client: FlaskClient, seeded: Tracker) -> None:
    html = page(client, "/?as_of=2000-01-01")
    assert "Nothing pending." in html
    assert 'href="/cases/' not in html


def test_pending_page_of_an_empty_database(client: FlaskClient) -> None:
    assert "Nothing pending." in page(client, "/")


@pytest.mark.parametrize("value", ["2025-13-01", "2025-02-30", "yesterday", "01.07.2025"])
def test_pending_page_with_a_bad_as_of_is_400(
    client: FlaskClient, seeded: Tracker, value: str
) -> None:
    response = client.get("/", query_string={"as_of": value})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.get_data(as_text=True)


def test_case_page_shows_history_votes_and_effective_date_basis(
    client: FlaskClient, seeded: Tracker
) -> None:
    html = page(client, f"/cases/{LV}")
    assert LV in html and "Latvia" in html
    assert "2025-12-27 (2025-06-27 + 6 months, APMBC Art. 20(3))" in html
    assert "2025-06-27" in html  # deposited
    history = html.split("<h2>History</h2>", 1)[1]
    for trigger in ("submit_to_parliament", "adopt", "sign", "deposit", "take_effect"):
        assert trigger in history, trigger
    assert "votes_for: 66" in history
    assert "votes_against: 14" in history
    assert "abstained: 2" in history
    assert "2025-04-23..2025-04-24" in history  # the proclamation's bounds, not a made-up day
    assert history.count("<li>") == len(re.findall(r"\(\w+ &rarr; \w+\)", history))


def test_case_page_reference_is_case_insensitive(client: FlaskClient, seeded: Tracker) -> None:
    assert LV in page(client, f"/cases/{LV.lower()}")


def test_case_page_escapes_what_users_typed(client: FlaskClient, seeded: Tracker) -> None:
    advance(
        seeded,
        PRACTICE,
        "submit_to_parliament",
        "2026-01-05",
        "clerk",
        comment=SCRIPT,
        evidence={"bill": '<img src=x onerror="alert(2)">'},
    )
    html = page(client, f"/cases/{PRACTICE}")
    assert ESCAPED_SCRIPT in html
    assert SCRIPT not in html
    assert "<script" not in html.lower()
    assert "<img" not in html
    assert "&lt;img src=x" in html


def test_case_page_escapes_the_opening_note(client: FlaskClient, tracker: Tracker) -> None:
    view = open_case(tracker, "FI", "apmbc", "clerk", note=f"Note {SCRIPT}")
    html = page(client, f"/cases/{view.reference}")
    assert f"Note {ESCAPED_SCRIPT}" in html
    assert SCRIPT not in html


@pytest.mark.parametrize("reference", ["XX-NONE-2025", "LV-APMBC-1999", "%3Cscript%3E"])
def test_unknown_case_is_404(client: FlaskClient, seeded: Tracker, reference: str) -> None:
    response = client.get(f"/cases/{reference}")
    assert response.status_code == 404
    assert "<script>" not in response.get_data(as_text=True)
