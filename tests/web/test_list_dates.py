"""What the lists say of two dates that are not the treaty clock's plain days: a receipt known
only within bounds reads as its range wherever a list shows it (never as its first day), and
a returned law parked in committee carries its next date to the pending list, the dashboard
and the calendar feed, with the step it awaits."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.queries import pending
from app.services.tokens import create_token
from app.web import calendar
from tests.web.conftest import SignIn, html_of, row_linking

# Istanbul Convention Art. 80 (facts/treaty-actions.md, section 1): the first day of the month
# after three months from receipt. Any receipt between 1 and 15 January 2026 gives 2026-05-01
# (1 Jan + 3 months = 1 Apr, 15 Jan + 3 months = 15 Apr: both -> 1 May).
BOUNDED = ("2026-01-01", "2026-01-15")


@pytest.fixture
def bounded(seeded: Tracker) -> str:
    """An open Istanbul case whose receipt is known only between 1 and 15 January 2026."""
    reference = open_case(
        seeded, "FR", "istanbul", "clerk", workflow="istanbul/international-only"
    ).reference
    advance(seeded, reference, "deposit", "..".join(BOUNDED), "clerk")
    return reference


def test_a_bounded_receipt_reads_as_its_range_in_every_list(
    bounded: str, signed_in: SignIn
) -> None:
    viewer = signed_in("viewer")
    for address in ("/cases?q=FR", "/treaties/istanbul"):
        row = row_linking(html_of(viewer.get(address)), bounded)
        assert "between 1 Jan 2026 and 15 Jan 2026" in row, address
    turkey = row_linking(html_of(viewer.get("/cases?q=TR")), "TR-ISTANBUL-2021")
    assert "between 20 Mar 2021 and 31 Mar 2021" in turkey  # its receipt date is not known

    rows = csv.DictReader(io.StringIO(viewer.get("/cases.csv?q=FR").get_data(as_text=True)))
    found = next(r for r in rows if r["reference"] == bounded)
    assert (found["deposited"], found["deposited_until"]) == BOUNDED
    assert found["effective"] == "2026-05-01"

    listed = viewer.get("/api/v1/cases", query_string={"q": "FR"}).get_json()["items"]
    item = next(c for c in listed if c["reference"] == bounded)
    assert (item["deposited"], item["deposited_until"], item["effective"]) == (
        *BOUNDED,
        "2026-05-01",
    )
    pending = viewer.get("/api/v1/pending", query_string={"per_page": 200}).get_json()["items"]
    item = next(p for p in pending if p["reference"] == bounded)
    assert (item["deposited"], item["deposited_until"]) == BOUNDED
    exact = next(p for p in pending if p["reference"] == "HU-ROME-STATUTE-2025")
    assert (exact["deposited"], exact["deposited_until"]) == ("2025-06-02", None)


def test_the_cli_shows_a_bounded_receipt_as_its_range(bounded: str, cli) -> None:  # type: ignore[no-untyped-def]
    shown = cli.invoke(args=["cases", "show", bounded]).output
    assert "between 2026-01-01 and 2026-01-15" in shown


# Latvia, Istanbul Convention (facts/treaty-actions.md, section 9): on 2025-11-05 the Saeima sent
# the returned law to the Foreign Affairs Committee, proposals due 2026-11-01.
PARKED = "LV-ISTANBUL-2025"
NEXT_DATE = date(2026, 11, 1)


def test_a_parked_law_has_its_next_date_in_the_pending_list_and_the_dashboard(
    seeded: Tracker, signed_in: SignIn
) -> None:
    viewer = signed_in("viewer")
    pending = viewer.get("/api/v1/pending", query_string={"per_page": 200}).get_json()["items"]
    latvia = next(p for p in pending if p["reference"] == PARKED)
    assert latvia["next_date"]["on"] == NEXT_DATE.isoformat()
    assert "Committee returns the law to the Saeima" in latvia["next_date"]["what"]
    assert latvia["next_date"]["days_from_today"] == (NEXT_DATE - seeded.today()).days

    row = row_linking(html_of(viewer.get("/")), PARKED)
    assert "Awaits: Committee returns the law to the Saeima 1 Nov 2026" in row  # as written
    dashboard = html_of(viewer.get("/dashboard"))
    line = next(li for li in dashboard.split("<li>") if PARKED in li)
    assert "1 Nov 2026" in line and "Committee returns the law to the Saeima" in line


def test_a_parked_law_has_its_next_date_in_the_calendar(seeded: Tracker, app: Flask) -> None:
    if "calendar" not in app.blueprints:
        app.register_blueprint(calendar.bp)
    client: FlaskClient = app.test_client()
    token = create_token(seeded, "viewer")
    feed = Calendar.from_ical(client.get("/calendar.ics", query_string={"token": token}).data)
    latvia = [e for e in feed.walk("VEVENT") if str(e["summary"]).startswith(f"{PARKED}:")]
    assert [e.decoded("dtstart") for e in latvia] == [NEXT_DATE]
    assert "Committee returns the law to the Saeima" in str(latvia[0]["description"])


def test_a_parked_date_ends_with_the_next_step(seeded: Tracker) -> None:
    advance(seeded, PARKED, "resume_reading", "2026-11-02", "clerk")
    latvia = next(p for p in pending(seeded) if p.view.reference == PARKED)
    assert latvia.next_on is None
