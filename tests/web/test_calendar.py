"""The calendar feed: the treaty dates as iCalendar that calendar programs import, read with a
personal API token, following the cases as they move."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar, Event
from werkzeug.test import TestResponse

from app.domain.countries import PRACTICE_COUNTRY
from app.persistence.models import SYSTEM_ACTOR
from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.demo import load_demo_cases
from app.services.tokens import create_token, list_tokens, revoke_token
from app.services.users import update_user
from app.web import calendar
from tests.conftest import Today
from tests.web.conftest import LV, SignIn, html_of

INTL = "PRACTICE-APMBC-INTERNATIONAL-ONLY"  # starts at MFA coordination: one step to the clock
REASONS = {"reasons": "Security situation"}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client of the app with the calendar blueprint (registered here until app/web does)."""
    if "calendar" not in app.blueprints:
        app.register_blueprint(calendar.bp)
    return app.test_client()


@pytest.fixture
def intl(tracker: Tracker) -> Tracker:
    """Only the practice case of the international part, as seed_demo opens it."""
    open_case(
        tracker, PRACTICE_COUNTRY, "apmbc", SYSTEM_ACTOR, workflow="apmbc/international-only",
        began_on=date(tracker.today().year - 2, 1, 1), practice=True,
    )  # fmt: skip
    return tracker


def get_feed(
    client: FlaskClient, token: str, practice: bool = False, **window: str
) -> TestResponse:
    query = {"token": token, **({"practice": "1"} if practice else {}), **window}
    return client.get("/calendar.ics", query_string=query)


SINCE_2016 = {"from": "2016-01-01"}  # the demo's first dates: before the default window


def parsed(response: TestResponse) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.get_data())


def events(cal: Calendar) -> list[Event]:
    return list(cal.walk("VEVENT"))


def on(cal: Calendar, reference: str, day: date) -> Event:
    """The one event of `reference` on `day`."""
    found = [
        e
        for e in events(cal)
        if str(e["summary"]).startswith(f"{reference}:") and e.decoded("dtstart") == day
    ]
    assert len(found) == 1, f"{len(found)} events of {reference} on {day}"
    return found[0]


def days_of(cal: Calendar, reference: str) -> list[date]:
    return sorted(
        e.decoded("dtstart") for e in events(cal) if str(e["summary"]).startswith(f"{reference}:")
    )


def test_the_feed_shows_latvias_deposit_and_effective_date_with_a_link_back(
    seeded: Tracker, client: FlaskClient, signed_in: SignIn
) -> None:
    response = get_feed(client, create_token(seeded, "viewer"), **SINCE_2016)
    cal = parsed(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert str(cal["prodid"]) and str(cal["version"]) == "2.0"
    assert str(cal["calscale"]) == "GREGORIAN"
    assert str(cal["x-wr-calname"]) == "Treaty withdrawal dates"

    effective = on(cal, LV, date(2025, 12, 27))
    assert str(effective["summary"]) == f"{LV}: withdrawal takes effect (Latvia)"
    assert "2025-06-27 + 6 months, APMBC Art. 20(3)" in str(effective["description"])
    deposit = on(cal, LV, date(2025, 6, 27))
    assert str(deposit["summary"]) == f"{LV}: instrument received by the depositary (Latvia)"
    assert days_of(cal, LV) == [date(2025, 6, 27), date(2025, 12, 27)]

    link = str(effective["url"])
    assert link == f"http://localhost/cases/{LV}"
    assert str(effective["description"]).endswith(link)
    page = signed_in("viewer").get(urlsplit(link).path)
    assert page.status_code == 200
    assert f"<h1>{LV}</h1>" in html_of(page)


def test_an_accession_enters_into_force_rather_than_taking_effect_as_a_withdrawal(
    seeded: Tracker, client: FlaskClient
) -> None:
    cal = parsed(get_feed(client, create_token(seeded, "viewer"), **SINCE_2016))
    rejoined = "US-PARIS-2021"  # accepted 2021-01-20, in force 30 days later (Art. 21(3))
    received = on(cal, rejoined, date(2021, 1, 20))
    assert str(received["description"]).startswith("Instrument of accession received")
    in_force = on(cal, rejoined, date(2021, 2, 19))
    assert str(in_force["summary"]) == (
        f"{rejoined}: entry into force for the State (United States)"
    )
    assert str(in_force["description"]).startswith(
        "The treaty entered into force for the State: 2021-01-20 + 30 days, Paris Agreement"
    )
    assert "ithdrawal" not in str(in_force["summary"]) + str(in_force["description"])


def test_every_demo_date_is_there_once_as_a_well_formed_all_day_event(
    seeded: Tracker, client: FlaskClient
) -> None:
    # and one more case, whose name is not ASCII: folding counts octets, not characters
    ci = open_case(
        seeded, "CI", "apmbc", "clerk", workflow="apmbc/international-only",
        began_on=date(2026, 3, 1),
    ).reference  # fmt: skip
    advance(seeded, ci, "deposit", "2026-05-04", "clerk", evidence=REASONS)
    response = get_feed(client, create_token(seeded, "viewer"), **SINCE_2016)
    raw, cal = response.get_data(), parsed(response)
    all_events = events(cal)
    for event in all_events:
        assert event.get("uid") and event.get("dtstamp") and event.get("dtend")
        stamp, start = event.decoded("dtstamp"), event.decoded("dtstart")
        assert isinstance(stamp, datetime) and stamp.utcoffset() == timedelta(0)
        assert type(start) is date, f"{event['uid']}: DTSTART is not a date"
        assert event.decoded("dtend") == start + timedelta(days=1)
        assert b"DTSTART;VALUE=DATE:" + start.strftime("%Y%m%d").encode() in raw
    uids = [str(e["uid"]) for e in all_events]
    assert len(uids) == len(set(uids))

    expected = set()
    for spec in load_demo_cases():
        reference = spec["expect"]["reference"]
        # the step that starts the clock: the deposit, or a cessation of membership (ECHR 58(3))
        starts = ("deposit", "cease_membership")
        receipt = next((s for s in spec["steps"] if s["trigger"] in starts), None)
        known_day = receipt is not None and ".." not in str(receipt["on"])
        for kind in ("deposited", "effective"):
            # a receipt known only within bounds (Turkey, Nicaragua) has no day to show
            if spec["expect"][kind] is not None and (kind == "effective" or known_day):
                expected.add((reference, spec["expect"][kind]))
    expected |= {(ci, date(2026, 5, 4)), (ci, date(2026, 11, 4))}
    # Latvia's Saeima parked the returned Istanbul law in committee, proposals due 2026-11-01
    expected.add(("LV-ISTANBUL-2025", date(2026, 11, 1)))
    shown = {(str(e["summary"]).split(":")[0], e.decoded("dtstart")) for e in all_events}
    assert shown == expected  # the real cases only; no practice case, no suspension claim
    assert "(Côte d'Ivoire)" in str(on(cal, ci, date(2026, 11, 4))["summary"])
    assert len(all_events) == len(shown)  # one event per case and day

    # RFC 5545 3.1: content lines end in CRLF and are folded to at most 75 octets.
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # long descriptions were folded


def test_the_feed_follows_a_case_through_its_clock(
    intl: Tracker, today: Today, client: FlaskClient
) -> None:
    token = create_token(intl, "viewer")
    assert events(parsed(get_feed(client, token, practice=True))) == []

    advance(intl, INTL, "deposit", "2026-08-01", "clerk", evidence=REASONS)
    assert events(parsed(get_feed(client, token))) == []  # practice cases only on request
    cal = parsed(get_feed(client, token, practice=True))
    assert days_of(cal, INTL) == [date(2026, 8, 1), date(2027, 2, 1)]
    due = on(cal, INTL, date(2027, 2, 1))  # take effect and the step due: one event
    assert str(due["summary"]) == (
        f"{INTL}: withdrawal takes effect; step due: Withdrawal takes effect (Practice state)"
    )
    assert "2026-08-01 + 6 months, APMBC Art. 20(3)" in str(due["description"])
    assert "Overdue" not in str(due["description"])
    uid = str(due["uid"])

    today.day = date(2027, 2, 3)
    overdue = on(parsed(get_feed(client, token, practice=True)), INTL, date(2027, 2, 1))
    assert "Overdue by 2 days" in str(overdue["description"])

    advance(intl, INTL, "take_effect", "2027-02-01", "clerk")
    cal = parsed(get_feed(client, token, practice=True))
    done = on(cal, INTL, date(2027, 2, 1))
    assert str(done["uid"]) == uid  # the same event, updated: calendars do not duplicate it
    assert str(done["summary"]) == f"{INTL}: withdrawal takes effect (Practice state)"
    assert "took effect" in str(done["description"])
    assert len(events(cal)) == 2


def test_an_armed_conflict_shows_the_deferral_due_and_no_effective_date(
    intl: Tracker, client: FlaskClient
) -> None:
    advance(intl, INTL, "deposit", "2026-08-01", "clerk", evidence=REASONS)
    conflict = {"description": "Engaged in an armed conflict"}
    advance(intl, INTL, "record_armed_conflict", "2026-09-01", "clerk", evidence=conflict)
    cal = parsed(get_feed(client, create_token(intl, "viewer"), practice=True))
    due = on(cal, INTL, date(2027, 2, 1))
    assert str(due["summary"]) == (
        f"{INTL}: step due: Effect deferred by armed conflict (Practice state)"
    )
    assert "takes effect" not in str(due["summary"])


def test_a_revoked_withdrawal_keeps_its_deposit_and_never_takes_effect(
    intl: Tracker, client: FlaskClient
) -> None:
    advance(intl, INTL, "deposit", "2026-08-01", "clerk", evidence=REASONS)
    advance(intl, INTL, "revoke", "2026-10-01", "clerk", evidence={"reason": "New government"})
    cal = parsed(get_feed(client, create_token(intl, "viewer"), practice=True))
    assert days_of(cal, INTL) == [date(2026, 8, 1)]


def test_the_feed_needs_a_valid_token_of_an_active_user(intl: Tracker, client: FlaskClient) -> None:
    advance(intl, INTL, "deposit", "2026-08-01", "clerk", evidence=REASONS)
    viewer, clerk = create_token(intl, "viewer"), create_token(intl, "clerk")
    for token in (viewer, clerk):
        assert INTL in get_feed(client, token, practice=True).get_data(as_text=True)
    revoke_token(intl, "viewer", list_tokens(intl, "viewer")[0].id)
    update_user(intl, "admin", "clerk", active=False)

    refused = {
        "": "No token",
        "wt_not-a-real-token": "not valid",
        "not-even-the-form": "not valid",
        viewer: "not valid",  # revoked
        clerk: "not valid",  # its owner is deactivated
    }
    for token, says in refused.items():
        response = get_feed(client, token, practice=True)
        body = response.get_data(as_text=True)
        assert response.status_code == 401, token
        assert response.mimetype == "text/plain" and says in body
        assert "BEGIN:VCALENDAR" not in body and INTL not in body
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/calendar.ics").status_code == 401  # no token parameter at all


def test_a_bad_practice_parameter_is_refused(intl: Tracker, client: FlaskClient) -> None:
    token = create_token(intl, "viewer")
    response = client.get("/calendar.ics", query_string={"token": token, "practice": "maybe"})
    assert response.status_code == 400
    assert "practice=1" in response.get_data(as_text=True)


def test_the_feed_holds_a_year_back_and_three_ahead_unless_asked_for_other_days(
    seeded: Tracker, client: FlaskClient
) -> None:
    token = create_token(seeded, "viewer")  # today is 2026-11-27
    default = parsed(get_feed(client, token))
    assert days_of(default, LV) == [date(2025, 12, 27)]  # its deposit is 17 months old
    days = [e.decoded("dtstart") for e in events(default)]
    assert min(days) >= date(2025, 11, 27) and max(days) <= date(2029, 11, 27)
    assert len(days) < len(events(parsed(get_feed(client, token, **SINCE_2016))))

    june = parsed(get_feed(client, token, **{"from": "2025-06-01", "to": "2025-06-30"}))
    assert days_of(june, LV) == [date(2025, 6, 27)]
    assert {e.decoded("dtstart") for e in events(june)} <= {date(2025, 6, d) for d in range(1, 31)}


@pytest.mark.parametrize(
    ("window", "says"),
    [
        ({"from": "27/06/2025"}, "from: '27/06/2025' is not a date; write it as YYYY-MM-DD"),
        ({"to": "soon"}, "to: 'soon' is not a date"),
        ({"from": "2026-01-02", "to": "2026-01-01"}, "from: 2026-01-02 lies after to"),
    ],
)
def test_a_bad_window_is_refused_naming_the_parameter(
    intl: Tracker, client: FlaskClient, window: dict[str, str], says: str
) -> None:
    response = get_feed(client, create_token(intl, "viewer"), **window)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)


def test_a_calendar_polling_an_unchanged_feed_is_told_not_modified(
    intl: Tracker, client: FlaskClient
) -> None:
    advance(intl, INTL, "deposit", "2026-08-01", "clerk", evidence=REASONS)
    token = create_token(intl, "viewer")
    first = get_feed(client, token, practice=True)
    etag = first.headers["ETag"]
    again = get_feed(client, token, practice=True)
    assert again.headers["ETag"] == etag and again.get_data() == first.get_data()  # strong

    polled = client.get(
        "/calendar.ics",
        query_string={"token": token, "practice": "1"},
        headers={"If-None-Match": etag},
    )
    assert polled.status_code == 304 and polled.get_data() == b""
    assert polled.headers["ETag"] == etag
    assert polled.headers["Cache-Control"] == "no-store"
    # another window or filter is another feed
    assert get_feed(client, token).headers["ETag"] != etag
    assert get_feed(client, token, practice=True, to="2027-01-31").headers["ETag"] != etag


def test_a_new_step_or_a_new_day_changes_the_feed_and_its_etag(
    intl: Tracker, today: Today, client: FlaskClient
) -> None:
    advance(intl, INTL, "deposit", "2026-08-01", "clerk", evidence=REASONS)
    token = create_token(intl, "viewer")
    before = get_feed(client, token, practice=True)

    today.day = date(2027, 2, 3)  # the step due on 2027-02-01 is now overdue
    overdue = get_feed(client, token, practice=True)
    assert overdue.headers["ETag"] != before.headers["ETag"]
    assert "Overdue by 2 days" in str(on(parsed(overdue), INTL, date(2027, 2, 1))["description"])

    advance(intl, INTL, "take_effect", "2027-02-01", "clerk")
    polled = client.get(
        "/calendar.ics",
        query_string={"token": token, "practice": "1"},
        headers={"If-None-Match": overdue.headers["ETag"]},
    )
    assert polled.status_code == 200 and polled.headers["ETag"] != overdue.headers["ETag"]
    done = on(parsed(polled), INTL, date(2027, 2, 1))
    assert "took effect" in str(done["description"]) and "Overdue" not in str(done["description"])


def test_a_poll_with_a_known_etag_still_needs_a_valid_token(
    intl: Tracker, client: FlaskClient
) -> None:
    token = create_token(intl, "viewer")
    etag = get_feed(client, token, practice=True).headers["ETag"]
    revoke_token(intl, "viewer", list_tokens(intl, "viewer")[0].id)
    polled = client.get(
        "/calendar.ics",
        query_string={"token": token, "practice": "1"},
        headers={"If-None-Match": etag},
    )
    assert polled.status_code == 401 and "ETag" not in polled.headers


def test_the_rendered_feeds_kept_stay_within_their_budget() -> None:
    feeds = calendar.RenderedFeeds(budget=10)
    for etag, body in (("a", b"1234"), ("b", b"5678"), ("c", b"90ab")):
        assert b"".join(feeds.keeping(etag, [body[:2], body[2:]])) == body  # streamed as is
    assert feeds.get("a") is None  # the oldest went to make room
    assert feeds.get("b") == b"5678" and feeds.get("c") == b"90ab"
    assert b"".join(feeds.keeping("big", [b"x" * 6, b"y" * 6])) == b"x" * 6 + b"y" * 6
    assert feeds.get("big") is None  # larger than the budget: streamed, not kept
    assert feeds.get("b") == b"5678"
