"""Audit: verify every case's hash chain, and export the event log as it is stored."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.audit import ChainBreak, EventRecord, verify_chain
from app.domain.errors import InvalidInput
from app.persistence.models import Case, Event
from app.services.context import Tracker
from app.services.views import to_record

EXPORT_FORMATS = ("csv", "json")
CSV_COLUMNS = (
    "case",
    "seq",
    "trigger",
    "from_state",
    "to_state",
    "occurred_on",
    "occurred_until",
    "recorded_at",
    "actor",
    "comment",
    "evidence",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class AuditResult:
    cases: int
    events: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _all_records(tracker: Tracker, batch: int = 500) -> Iterator[EventRecord]:
    query = (
        select(Event, Case.reference)
        .join(Case, Event.case_id == Case.id)
        .order_by(Case.reference, Event.seq)
        .execution_options(yield_per=batch)
    )
    with tracker.transaction() as session:
        for event, reference in session.execute(query):
            yield to_record(reference, event)


def verify_audit(tracker: Tracker) -> AuditResult:
    """Check every case's chain; the result names the first broken event, if any."""
    cases = events = 0
    current: list[EventRecord] = []
    for record in _all_records(tracker):
        events += 1
        if current and current[0].case_reference != record.case_reference:
            cases += 1
            if (found := verify_chain(current)) is not None:
                return AuditResult(cases, events, found)
            current = []
        current.append(record)
    if current:
        cases += 1
        if (found := verify_chain(current)) is not None:
            return AuditResult(cases, events, found)
    return AuditResult(cases, events, None)


def export_events(tracker: Tracker, fmt: str) -> Iterator[str]:
    """The whole event log, streamed in chunks, as CSV or as a JSON array."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            f"format: {fmt!r} is not an export format; use {' or '.join(EXPORT_FORMATS)}",
            field="format",
        )
    return _csv(tracker) if fmt == "csv" else _json(tracker)


def _csv(tracker: Tracker) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for record in _all_records(tracker):
        row = record.to_json()
        row["evidence"] = json.dumps(row["evidence"], sort_keys=True, ensure_ascii=False)
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _json(tracker: Tracker) -> Iterator[str]:
    yield "["
    separator = "\n"
    for record in _all_records(tracker):
        yield separator + json.dumps(record.to_json(), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"
