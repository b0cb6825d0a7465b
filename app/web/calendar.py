"""The calendar feed: the treaty dates as iCalendar, for the calendar programs staff use.

Calendar programs cannot sign in or send headers, so the feed is read with the user's personal
API token in its address; that address is a secret, hence no-store and no-referrer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, request
from icalendar import Calendar, Event
from werkzeug.wrappers import Response

from app import tracker_of
from app.services.calendar import CalendarItem, calendar_items
from app.services.tokens import token_user
from app.web.links import absolute_url

bp = Blueprint("calendar", __name__)

CALENDAR_NAME = "Treaty withdrawal dates"
PRODID = "-//withdrawal-tracker//Treaty withdrawal dates//EN"
SECRET_URL_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_YES, _NO = ("1", "true", "yes"), ("", "0", "false", "no")


def _plain(message: str, status: int) -> Response:
    return Response(
        message + "\n",
        status=status,
        content_type="text/plain; charset=utf-8",
        headers=SECRET_URL_HEADERS,
    )


@bp.get("/calendar.ics")
def feed() -> Response:
    """The deposit, effective and due dates of the cases, one event per case and day;
    `?practice=1` adds the practice cases."""
    token = request.args.get("token", "").strip()
    if not token:
        return _plain(
            "No token: add ?token=YOUR_API_TOKEN to the calendar address "
            "(a personal API token, made on your settings page or with `flask --app app users "
            "token NAME`).",
            401,
        )
    if token_user(tracker_of(), token, scope="feed") is None:
        return _plain(
            "The token is not valid: it is mistyped, revoked, or its owner is deactivated. "
            "Make a new API token and subscribe to the address with it.",
            401,
        )
    practice = request.args.get("practice", "").strip().lower()
    if practice not in _YES + _NO:
        return _plain(
            "practice: use practice=1 to include the practice cases, or leave it out", 400
        )
    items = calendar_items(tracker_of(), include_practice=practice in _YES)
    return Response(
        _calendar(items).to_ical(),
        content_type="text/calendar; charset=utf-8",
        headers={
            **SECRET_URL_HEADERS,
            "Content-Disposition": 'inline; filename="treaty-withdrawal-dates.ics"',
        },
    )


def _calendar(items: list[CalendarItem]) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", CALENDAR_NAME)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for item in items:
        cal.add_component(_event(item, stamp))
    return cal


def _event(item: CalendarItem, stamp: datetime) -> Event:
    link = absolute_url("cases.show", reference=item.reference)
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", item.day)
    event.add("dtend", item.day + timedelta(days=1))
    event.add("summary", item.summary)
    event.add("description", f"{item.description}\n{link}")
    event.add("url", link)
    event.add("transp", "TRANSPARENT")  # a date to know, not time spent: shows as free
    return event
