"""The calendar feed's hand-written content lines (app/web/calendar.py) against icalendar, the
library that parses what calendar programs import: any text, folded and escaped, reads back as
written, and no line is longer than RFC 5545 allows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from app.web.calendar import _line, _text

# Text as case notes hold it: any character but the controls RFC 5545 TEXT cannot carry,
# with the escaped ones (backslash, semicolon, comma, line ends) and multi-byte characters
# made likely.
TEXT = st.text(
    st.one_of(
        st.sampled_from('\\;,\n:"é€😀 '),
        st.characters(blacklist_categories=("Cs", "Cc")),
    ),
    max_size=400,
)


@settings(max_examples=300)
@given(summary=TEXT, description=TEXT)
def test_any_text_reads_back_as_written_and_every_line_fits(summary: str, description: str) -> None:
    feed = b"".join(
        (
            b"BEGIN:VCALENDAR\r\n",
            b"BEGIN:VEVENT\r\n",
            _line("SUMMARY", _text(summary)),
            _line("DESCRIPTION", _text(description)),
            b"END:VEVENT\r\n",
            b"END:VCALENDAR\r\n",
        )
    )
    assert all(len(line) <= 75 for line in feed.split(b"\r\n"))
    event = Calendar.from_ical(feed).walk("VEVENT")[0]
    assert str(event.get("SUMMARY", "")) == summary
    assert str(event.get("DESCRIPTION", "")) == description
