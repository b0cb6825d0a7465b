"""The event log read as plain (Core) rows straight into the domain's records: a page at a
time, or the whole log (or the part a filter keeps) streamed by case and sequence number.
Loading ORM objects cost most of an export's time; a stream of a million events stays in
flat memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import CursorResult, Row, Select, select
from sqlalchemy.orm import Session

from app.domain.audit import EventRecord
from app.persistence.models import Case, Event, EventDocument, User
from app.services.documents import with_documents, with_documents_in_order

Narrowing = Callable[[Select[Any]], Select[Any]]  # the filter a read applies (EventFilter.apply)

# An event's columns in the order of EventRecord's fields; the event's id last, for the log's
# page positions and for the documents of a page.
_RECORD_COLUMNS = (
    Case.reference, Event.seq, Event.trigger, Event.from_state, Event.to_state,
    Event.occurred_on, Event.occurred_until, Event.recorded_at, User.name, Event.comment,
    Event.evidence, Event.prev_hash, Event.hash, Event.id,
)  # fmt: skip
_LOG_ORDER = (Case.reference, Event.seq)


def log_query() -> Select[Any]:
    """Every event's record columns (and its id), to narrow, order and limit."""
    return (
        select(*_RECORD_COLUMNS)
        .join(Case, Event.case_id == Case.id)
        .join(User, Event.actor_id == User.id)
    )


def log_rows(session: Session, query: Select[Any]) -> CursorResult[Any]:
    """The rows of a narrowed `log_query`, read past the ORM (which spent a third of a case
    page of 200 events on rows that are plain columns)."""
    return session.connection().execute(query)


def record_of(row: Row[Any]) -> EventRecord:
    """The record of a row of `log_query`, without its documents."""
    values: tuple[Any, ...] = row[:-1]  # all but the event's id
    return EventRecord(*values)


def page_records(session: Session, rows: Iterable[Row[Any]]) -> Iterator[EventRecord]:
    """The records of a page of rows, with their documents (one statement for the page)."""
    return with_documents(session, ((record_of(row), row.id) for row in rows))


def streamed_records(
    session: Session, narrow: Narrowing | None = None, batch: int = 500
) -> Iterator[EventRecord]:
    """Every event `narrow` keeps, by case and sequence number, with its documents, read a
    batch at a time: the documents come from a second read in the same order, merged beside
    the events (two statements for a log of any length, not one per batch)."""
    narrow = narrow or _everything
    connection = session.connection()
    events = connection.execute(
        narrow(log_query()).order_by(*_LOG_ORDER).execution_options(yield_per=batch)
    )
    documents = connection.execute(narrow(_documents_query()).execution_options(yield_per=batch))
    return with_documents_in_order(map(record_of, events), documents)


_DOCUMENT_COLUMNS: tuple[Any, ...] = (
    Case.reference, Event.seq,
    EventDocument.sha256, EventDocument.name, EventDocument.media_type, EventDocument.size,
)  # fmt: skip


def _documents_query() -> Select[Any]:
    """Each document with its event's case and sequence number, in the log's order."""
    return (
        select(*_DOCUMENT_COLUMNS)
        .join(Event, EventDocument.event_id == Event.id)
        .join(Case, Event.case_id == Case.id)
        .order_by(*_LOG_ORDER, EventDocument.position)
    )


def _everything(query: Select[Any]) -> Select[Any]:
    return query
