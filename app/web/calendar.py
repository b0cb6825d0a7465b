"""The calendar feed: the treaty dates as iCalendar, for the calendar programs staff use.

Calendar programs cannot sign in or send headers, so the feed is read with the user's personal
API token in its address; that address is a secret, hence no-store and no-referrer."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, date, timedelta

from flask import Blueprint, current_app, request, stream_with_context
from werkzeug.wrappers import Response

from app import tracker_of
from app.services.calendar import (
    CalendarItem,
    Window,
    calendar_items,
    calendar_version,
    default_window,
)
from app.services.tokens import token_user
from app.web.kept import Kept
from app.web.links import absolute_url, public_base

bp = Blueprint("calendar", __name__)
# A week of 3,500 dates is about 2 MB; a larger feed is streamed without being kept.
FEED_CACHE_BYTES = 32 * 1024 * 1024
bp.record_once(
    lambda state: state.app.extensions.setdefault("calendar_feeds", RenderedFeeds(FEED_CACHE_BYTES))
)

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
    """The deposit, effective and due dates of the cases, one event per case and day, from a
    year back to three years ahead (`?from=` and `?to=` choose other days); `?practice=1` adds
    the practice cases."""
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
    window = _window(default_window(tracker_of().today()))
    if isinstance(window, str):
        return _plain(window, 400)
    include_practice = practice in _YES
    etag = _etag(calendar_version(tracker_of(), window, include_practice))
    headers = {
        **SECRET_URL_HEADERS,
        "ETag": f'"{etag}"',
        "Content-Disposition": 'inline; filename="treaty-withdrawal-dates.ics"',
    }
    if request.if_none_match.contains_weak(etag):  # a calendar program polling again
        return Response(status=304, headers=headers)
    feeds: RenderedFeeds = current_app.extensions["calendar_feeds"]
    body: bytes | Iterator[bytes] | None = feeds.get(etag)
    if body is None:
        items = calendar_items(tracker_of(), window, include_practice)
        body = stream_with_context(feeds.keeping(etag, _calendar(items)))
    return Response(body, content_type="text/calendar; charset=utf-8", headers=headers)


def _etag(version: str) -> str:
    """A strong validator of the feed's bytes: the version of its items and the address its
    links start with."""
    return hashlib.sha256(f"{version} {public_base()}".encode()).hexdigest()[:32]


class RenderedFeeds:
    """The feeds rendered lately, by ETag, within `budget` bytes: a calendar program asks for
    the same address again and again, and the same ETag means the same bytes."""

    def __init__(self, budget: int) -> None:
        self._bodies: Kept[str, bytes] = Kept(budget)

    def get(self, etag: str) -> bytes | None:
        """The body rendered for `etag`, if it is still kept."""
        return self._bodies.get(etag)

    def keeping(self, etag: str, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """`pieces` as they come; once they have all come, their body is kept as `etag`'s
        if it fits the budget (a larger feed is streamed and not kept)."""
        kept: list[bytes] | None = []
        size = 0
        for piece in pieces:
            yield piece
            size += len(piece)
            kept = kept if kept is not None and size <= self._bodies.budget else None
            if kept is not None:
                kept.append(piece)
        if kept is not None:
            self._bodies.keep(etag, b"".join(kept))


def _window(default: Window) -> Window | str:
    """The days asked for with ?from= and ?to= (ISO dates), each defaulting to the feed's
    own; a message naming the parameter when one is not a date or they are the wrong way."""
    days = {}
    for name, fallback in (("from", default.first), ("to", default.last)):
        text = request.args.get(name, "").strip()
        try:
            days[name] = date.fromisoformat(text) if text else fallback
        except ValueError:
            return f"{name}: {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-06-27"
    if days["from"] > days["to"]:
        return f"from: {days['from']} lies after to ({days['to']}); the first day comes first"
    return Window(days["from"], days["to"])


def _calendar(items: Iterable[CalendarItem]) -> Iterator[bytes]:
    """The feed in pieces: its header, one VEVENT at a time, its end (RFC 5545 does not ask
    for any order, so the events come case by case as they are read)."""
    yield _HEAD
    for item in items:
        yield _vevent(item, absolute_url("cases.show", reference=item.reference))
    yield b"END:VCALENDAR\r\n"


def _vevent(item: CalendarItem, link: str) -> bytes:
    """One all-day event, its content lines written directly (building icalendar's objects
    and folding with them was three quarters of the feed's time), in the order icalendar
    wrote them. DTSTAMP is when the case last changed (RFC 5545 3.8.7.2: without a METHOD,
    the time the information was last revised), so the same data gives the same bytes."""
    return b"".join(
        (
            b"BEGIN:VEVENT\r\n",
            _line("SUMMARY", _text(item.summary)),
            _line("DTSTART;VALUE=DATE", _date(item.day)),
            _line("DTEND;VALUE=DATE", _date(item.day + timedelta(days=1))),
            _line("DTSTAMP", item.revised_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")),
            _line("UID", _text(item.uid)),
            _line("DESCRIPTION", _text(f"{item.description}\n{link}")),
            b"TRANSP:TRANSPARENT\r\n",  # a date to know, not time spent: shows as free
            _line("URL", link),
            b"END:VEVENT\r\n",
        )
    )


_FOLD_AT = 74  # octets of content a line; a continuation line's leading space makes it 75


def _line(name: str, value: str) -> bytes:
    """A content line (RFC 5545 3.1): UTF-8, folded before 75 octets without splitting a
    character or a TEXT escape, ended by CRLF."""
    line = f"{name}:{value}".encode()
    pieces, start = [], 0
    while len(line) - start > _FOLD_AT:
        end = start + _FOLD_AT
        while line[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its character
            end -= 1
        if line[end - 1] == 0x5C and end - 1 > start:  # a backslash goes with what it escapes
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return b"\r\n ".join(pieces) + b"\r\n"


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line ends escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _date(day: date) -> str:
    """A DATE value (RFC 5545 3.3.4): YYYYMMDD."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


_HEAD = b"".join(
    (
        b"BEGIN:VCALENDAR\r\n",
        _line("VERSION", "2.0"),
        _line("PRODID", _text(PRODID)),
        _line("CALSCALE", "GREGORIAN"),
        _line("X-WR-CALNAME", _text(CALENDAR_NAME)),
    )
)
