"""Audit: verify every case's hash chain, and export the event log as it is stored."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select

from app.domain.audit import ChainBreak, EventRecord, verify_chain
from app.domain.errors import InvalidInput
from app.persistence.models import Case, Event
from app.services.context import Tracker
from app.services.recording import to_record

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
    """Check every case's chain and its recorded head; the result names the first break."""
    with tracker.transaction() as session:
        heads = {ref: head for ref, head in session.execute(select(Case.reference, Case.last_hash))}
    cases = events = 0
    for reference, group in groupby(_all_records(tracker), key=lambda r: r.case_reference):
        records = list(group)
        cases, events = cases + 1, events + len(records)
        found = verify_chain(records, heads.pop(reference, None) or "", reference)
        if found is not None:
            return AuditResult(cases, events, found)
    for reference, head in sorted(heads.items()):
        if head is not None:  # events recorded for this case, none left
            return AuditResult(cases, events, verify_chain([], head, reference))
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
