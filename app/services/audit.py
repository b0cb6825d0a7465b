"""Audit: verify every case's hash chain, and export the event log as it is stored."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Row, Select, select, tuple_
from sqlalchemy.orm import Session

from app.domain.audit import ChainBreak, EventRecord, from_utc_iso, utc_iso, verify_chain
from app.domain.definitions import Workflow
from app.domain.errors import InvalidInput
from app.domain.projection import replayed
from app.persistence.models import COUNTED_BY, Case, CaseCount, Event, User
from app.services.context import Tracker
from app.services.documents import file_break
from app.services.event_log import (
    log_query,
    log_rows,
    page_records,
    record_of,
    streamed_records,
)
from app.services.labels import CaseLabels, EventWords, labelled, workflows_of
from app.services.spreadsheet import csv_lines, safe_cell

EXPORT_FORMATS = ("csv", "json")
CSV_COLUMNS = (
    "case",
    "seq",
    "trigger",
    "step",
    "from_state",
    "from_stage",
    "to_state",
    "to_stage",
    "occurred_on",
    "occurred_until",
    "recorded_at",
    "actor",
    "comment",
    "evidence",
    "prev_hash",
    "hash",
    "documents",
)


@dataclass(frozen=True)
class AuditResult:
    cases: int
    events: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


@dataclass(frozen=True)
class EventFilter:
    """Narrows the log: by case, by who recorded, by trigger, by the UTC day recorded, and
    to the practice cases or the others (`practice`; None: both)."""

    case: str | None = None
    actor: str | None = None
    trigger: str | None = None
    since: date | None = None
    until: date | None = None
    practice: bool | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.since and self.until and self.since > self.until:
            raise InvalidInput(
                f"until: {self.until.isoformat()} is before the range's first day "
                f"({self.since.isoformat()})",
                field="until",
            )
        if self.case:
            query = query.where(Case.reference == self.case.strip().upper())
        if self.actor:
            query = query.where(Event.actor.has(User.name == self.actor.strip()))
        if self.trigger:
            query = query.where(Event.trigger == self.trigger.strip())
        if self.practice is not None:
            # by the few practice cases' ids, not by the joined row's flag: so the log is still
            # read newest first from its index and stops at a page (the flag made SQLite read
            # every event of every case: 0.5 s a page at 1,000,000 events)
            practice = select(Case.id).where(Case.practice.is_(True))
            query = query.where(
                Event.case_id.in_(practice) if self.practice else Event.case_id.not_in(practice)
            )
        if self.since:
            query = query.where(Event.recorded_at >= _midnight(self.since))
        if self.until and self.until < date.max:
            query = query.where(Event.recorded_at < _midnight(self.until + timedelta(days=1)))
        return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@dataclass(frozen=True)
class EventSlice:
    """A page of the log, newest first, and the positions to read on from: the page of newer
    events and the page of older ones (None at either end)."""

    items: list[EventRecord]
    newer: str | None
    older: str | None


def browse_events(
    tracker: Tracker,
    where: EventFilter,
    newer_than: str | None = None,
    older_than: str | None = None,
    oldest: bool = False,
    per_page: int = 50,
    documents: bool = True,
) -> EventSlice:
    """A page of the events that match, newest recorded first: from the newest, from the
    oldest, or next to a position a previous page gave. Each page costs the same anywhere in
    a log of any length (keyset pagination: no OFFSET, no count). Without `documents`, the
    records leave out their files (one statement less)."""
    per_page = min(max(1, per_page), 500)
    key = tuple_(Event.recorded_at, Event.id)
    query = where.apply(log_query())
    forward = newer_than is not None or oldest  # read oldest first, then turn the page round
    if newer_than is not None:
        query = query.where(key > _position(newer_than, "newer_than"))
    elif older_than is not None:
        query = query.where(key < _position(older_than, "older_than"))
    order = (
        (Event.recorded_at, Event.id) if forward else (Event.recorded_at.desc(), Event.id.desc())
    )
    with tracker.snapshot() as session:
        rows = list(log_rows(session, query.order_by(*order).limit(per_page + 1)))
        more = len(rows) > per_page
        records = page_records(session, rows[:per_page]) if documents else map(record_of, rows)
        found = [(record, row.id) for record, row in zip(records, rows, strict=False)]
    if forward:
        found.reverse()
    first = _cursor(*found[0]) if found else None
    last = _cursor(*found[-1]) if found else None
    if forward:
        return EventSlice([r for r, _ in found], first if more else None, None if oldest else last)
    came_from_newer = older_than is not None
    return EventSlice(
        [r for r, _ in found], first if came_from_newer else None, last if more else None
    )


def _cursor(record: EventRecord, event_id: int) -> str:
    return f"{utc_iso(record.recorded_at)}~{event_id}"


def _position(cursor: str, field: str) -> tuple[datetime, int]:
    moment, _, event_id = cursor.partition("~")
    try:
        position = from_utc_iso(moment), int(event_id)
        if not 0 < position[1] < 2**63:  # what a database's id column can hold
            raise ValueError(event_id)
        return position
    except ValueError:
        raise InvalidInput(
            f"{field}: {cursor!r} is not a position in the log; follow the pager's links",
            field=field,
        ) from None


def _all_records(tracker: Tracker, where: EventFilter | None = None) -> Iterator[EventRecord]:
    with tracker.snapshot() as session:
        yield from streamed_records(session, (where or EventFilter()).apply)


def verify_audit(tracker: Tracker) -> AuditResult:
    """Check, in one snapshot, every case's chain, its recorded head, that its row's
    projection equals the replay of its events, and that the kept case counts equal the case
    rows; the result names the first break."""
    cases = events = 0
    with tracker.snapshot() as session:
        # The cases and the events, both by reference, read side by side a batch at a time.
        # Core rows, not ORM objects: a million events in one snapshot, in flat memory.
        connection = session.connection()
        rows = connection.execute(
            select(Case.__table__).order_by(Case.reference).execution_options(yield_per=500)
        )
        records = streamed_records(session)
        chains = groupby(records, key=lambda r: r.case_reference)
        reference, chain = next(chains, (None, iter(())))
        counted: Counter[tuple[Any, ...]] = Counter()
        for row in rows:
            counted[tuple(getattr(row, c) for c in COUNTED_BY)] += 1
            found_chain = list(chain) if reference == row.reference else []
            if found_chain:
                reference, chain = next(chains, (None, iter(())))
            elif row.last_hash is None:
                continue  # a case with no event (none is opened so; an import in progress)
            cases, events = cases + 1, events + len(found_chain)
            found = verify_chain(found_chain, row.last_hash or "", row.reference)
            found = found or _projection_break(tracker, session, row, found_chain)
            found = found or file_break(tracker.documents, found_chain)
            if found is not None:
                return AuditResult(cases, events, found)
        return AuditResult(cases, events, _count_break(session, counted))


def _count_break(session: Session, counted: Counter[tuple[Any, ...]]) -> ChainBreak | None:
    """Where the kept case counts differ from the case rows, if they do."""
    kept = {
        tuple(row[:-1]): row[-1]
        for row in session.execute(
            select(*(getattr(CaseCount, c) for c in COUNTED_BY), CaseCount.cases)
        )
        if row[-1] != 0
    }
    for key in sorted(set(kept) | set(counted)):
        if kept.get(key, 0) != counted[key]:
            group = ", ".join(f"{c} {v!r}" for c, v in zip(COUNTED_BY, key, strict=True))
            return ChainBreak(
                "",
                0,
                f"the case counts hold {kept.get(key, 0)} cases of {group}; the case rows "
                f"{counted[key]} (the counts were changed behind the application's back)",
            )
    return None


def _projection_break(
    tracker: Tracker, session: Session, row: Row[Any], chain: list[EventRecord]
) -> ChainBreak | None:
    """Where the case row's projection differs from the replay of its events, if it does."""
    flow = tracker.case_workflow(session, row.workflow, row.workflow_version)
    for column, value in replayed(flow, chain).items():
        if getattr(row, column) != value:
            return ChainBreak(
                row.reference,
                len(chain),
                f"the case row's {column} is {getattr(row, column)!r}; the replay of its events "
                f"gives {value!r} (the projection was changed behind the application's back)",
            )
    return None


def export_events(tracker: Tracker, fmt: str, where: EventFilter | None = None) -> Iterator[str]:
    """The event log (or the part that matches), streamed in chunks, as CSV or a JSON array."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            f"format: {fmt!r} is not an export format; use {' or '.join(EXPORT_FORMATS)}",
            field="format",
        )
    records = _all_records(tracker, where)
    with tracker.snapshot() as session:
        flows = workflows_of(tracker, session)
    return _csv(records, flows) if fmt == "csv" else _json(records, flows)


def _csv(records: Iterator[EventRecord], flows: Mapping[str, Workflow]) -> Iterator[str]:
    """CSV rows with the labels of each step and stage beside their ids."""
    labels = CaseLabels(flows)
    return csv_lines(CSV_COLUMNS, (_csv_row(r, labels.words(r)) for r in records))


# json.dumps(value, sort_keys=True, ensure_ascii=False), without building an encoder a cell
_EVIDENCE_CELL = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
_DOCUMENTS_CELL = json.JSONEncoder(ensure_ascii=False).encode


def _csv_row(record: EventRecord, words: EventWords) -> list[object]:
    """The record's cells in the order of CSV_COLUMNS, made from its fields (no dict between):
    free text through `safe_cell`; numbers, dates, hashes and the definitions' ids as they are."""
    documents = record.documents
    return [
        safe_cell(record.case_reference), record.seq, record.trigger, safe_cell(words.step),
        record.from_state, safe_cell(words.from_stage), record.to_state,
        safe_cell(words.to_stage), record.occurred_on.isoformat(),
        record.occurred_until.isoformat() if record.occurred_until else "",
        utc_iso(record.recorded_at), safe_cell(record.actor), safe_cell(record.comment),
        safe_cell(_EVIDENCE_CELL(dict(record.evidence))), record.prev_hash, record.hash,
        safe_cell(_DOCUMENTS_CELL([d.to_json() for d in documents])) if documents else "",
    ]  # fmt: skip


def _json(
    records: Iterator[EventRecord], flows: Mapping[str, Workflow], per_chunk: int = 500
) -> Iterator[str]:
    """A JSON array, one event a line with its labels, streamed `per_chunk` events at a time."""
    encode, labels = json.JSONEncoder(ensure_ascii=False).encode, CaseLabels(flows)
    chunk, separator = ["["], "\n"
    for record in records:
        chunk.append(separator + encode(labelled(record, labels.words(record))))
        separator = ",\n"
        if len(chunk) >= per_chunk:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk) + "\n]\n"
