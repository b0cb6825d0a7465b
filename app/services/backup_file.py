"""The backup file's format: JSON lines between a header and a SHA-256 trailer, rows encoded
by their columns' types, and the check of every case's hash chain as the events stream past."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Table

from app.domain.audit import EventRecord, from_utc_iso, utc_iso, verify_chain
from app.domain.documents import DocumentRef
from app.domain.errors import DomainError
from app.persistence.models import SYSTEM_ACTOR, Base, UTCDateTime

FORMAT = "withdrawal-tracker-backup"
FORMAT_VERSION = 1
# In foreign-key order, which is the order a restore inserts them in.
TABLES = (
    "users", "api_tokens", "workflow_definitions", "cases", "events", "event_documents",
    "case_groups", "case_group_members", "case_group_changes",
)  # fmt: skip
# Tables added since format 1 began: a backup made before them has no count for them (none).
LATER = frozenset({"case_groups", "case_group_members", "case_group_changes", "event_documents"})
# Columns added since: a backup made before them has none (the restore's replay of the events
# fills them).
LATER_COLUMNS = {"cases": frozenset({"given_began_on"})}
# Session tokens are not kept: after a restore every user signs in again.
LEFT_OUT = {"users": frozenset({"session_token"})}


class BackupRefused(DomainError):
    """A backup file that cannot be restored, or a database that cannot take it."""

    code = "backup_refused"


def json_line(record: Mapping[str, Any]) -> bytes:
    """One record as one line of compact JSON (newlines inside strings are escaped)."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name not in LEFT_OUT.get(table.name, ())]


def encode_row(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row as JSON values: dates ISO, timestamps UTC to the microsecond, JSON as it is."""
    out: dict[str, Any] = {}
    for name in _columns(table):
        value = row[name]
        if isinstance(value, datetime):
            value = utc_iso(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def decode_row(table: Table, row: Any, line: int) -> dict[str, Any]:
    """The row of `table` that `encode_row` wrote; refuse other columns or ill-typed dates."""
    columns = set(_columns(table))
    older = columns - LATER_COLUMNS.get(table.name, frozenset())
    if not isinstance(row, dict) or not older <= set(row) <= columns:
        raise BackupRefused(f"file: line {line}: not a row of {table.name} of this schema")
    out = dict(row)
    try:
        for column in table.columns:
            value = out.get(column.name)
            if value is None:
                continue
            if isinstance(column.type, UTCDateTime):
                out[column.name] = from_utc_iso(value)
            elif isinstance(column.type, Date):
                out[column.name] = date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise BackupRefused(f"file: line {line}: {table.name}: {exc}") from None
    return out


@dataclass
class Frame:
    """The file's lines but the last, hashed as they are read; the last is the trailer."""

    sha: Any = field(default_factory=hashlib.sha256)
    trailer: bytes | None = None

    def check(self) -> str:
        """The file's SHA-256, once read to the end; refuse a file cut short or changed."""
        if self.trailer is None:
            raise BackupRefused("file: empty, not a backup")
        try:
            expected = json.loads(self.trailer)["sha256"] if self.trailer[-1:] == b"\n" else None
        except (ValueError, KeyError, TypeError):
            expected = None
        if not isinstance(expected, str):
            raise BackupRefused("file: truncated (no SHA-256 trailer line at its end)")
        if expected != self.sha.hexdigest():
            raise BackupRefused("file: its content does not match its SHA-256 (edited or damaged)")
        return expected


def content_lines(lines: Iterable[bytes], frame: Frame) -> Iterator[bytes]:
    """Every line but the last (kept in `frame` as the trailer), hashed into `frame`."""
    pending: bytes | None = None
    for line in lines:
        if pending is not None:
            frame.sha.update(pending)
            yield pending
        pending = line
    frame.trailer = pending


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


class Parser:
    """A backup's content as decoded rows: the header first, then tables in their order."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self.lines = lines
        self.line = 1
        header = self._json(next(lines, b""))
        if header.get("format") != FORMAT:
            raise BackupRefused(f"file: not a backup of this tracker (no {FORMAT} header)")
        if header.get("format_version") != FORMAT_VERSION:
            raise BackupRefused(
                f"file: backup format {header.get('format_version')!r}; "
                f"this version reads format {FORMAT_VERSION}"
            )
        counts = header.get("counts")
        if not isinstance(counts, dict) or not set(TABLES) - LATER <= set(counts) <= set(TABLES):
            raise BackupRefused("file: the header has no row count for each table")
        self.header: dict[str, Any] = {**header, "counts": {t: counts.get(t, 0) for t in TABLES}}

    def _json(self, raw: bytes) -> dict[str, Any]:
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BackupRefused(f"file: line {self.line} is not a JSON object")
        return data

    def rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(table, row) in file order; refuse an unknown table, one out of order, or counts
        other than the header's."""
        seen = dict.fromkeys(TABLES, 0)
        position = 0
        for raw in self.lines:
            self.line += 1
            record = self._json(raw)
            name = record.get("table")
            if name not in TABLES or TABLES.index(name) < position:
                raise BackupRefused(f"file: line {self.line}: unknown or misplaced table {name!r}")
            position = TABLES.index(name)
            seen[name] += 1
            yield name, decode_row(_table(name), record.get("row"), self.line)
        if seen != self.header["counts"]:
            expected = self.header["counts"]
            raise BackupRefused(f"file: rows {seen} differ from the header's {expected}")


class Chains:
    """Every case's hash chain, checked as its events stream past in case and seq order. The
    event_documents rows come after all events, so a chain that does not verify without its
    documents is kept (with its event ids) and checked again with them at the end."""

    def __init__(self) -> None:
        self.users: dict[int, str] = {}
        self.cases: dict[int, tuple[str, str | None]] = {}
        self.checked: set[int] = set()
        self.case_id: int | None = None
        self.records: list[EventRecord] = []
        self.event_ids: list[int] = []
        self.waiting: dict[int, list[tuple[int, EventRecord]]] = {}
        self.documents: dict[int, list[DocumentRef]] = {}

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        """Take in one row: users and cases are remembered, events checked case by case."""
        if table == "users":
            self.users[row["id"]] = row["name"]
        elif table == "cases":
            self.cases[row["id"]] = (row["reference"], row["last_hash"])
        elif table == "events":
            if row["case_id"] != self.case_id:
                self._close()
                if row["case_id"] in self.checked or row["case_id"] not in self.cases:
                    raise BackupRefused(f"file: event {row['id']} of an unknown or earlier case")
                self.case_id = row["case_id"]
            self.records.append(self._record(row))
            self.event_ids.append(row["id"])
        elif table == "event_documents":
            self._close()
            ref = DocumentRef(row["sha256"], row["name"], row["media_type"], row["size"])
            self.documents.setdefault(row["event_id"], []).append(ref)

    def _record(self, row: Mapping[str, Any]) -> EventRecord:
        if row["actor_id"] not in self.users:
            raise BackupRefused(f"file: event {row['id']} by a user not in the backup")
        columns = ("seq", "trigger", "from_state", "to_state", "occurred_on", "occurred_until")
        more = ("recorded_at", "comment", "evidence", "prev_hash", "hash")
        return EventRecord(
            case_reference=self.cases[row["case_id"]][0],
            actor=self.users[row["actor_id"]],
            **{name: row[name] for name in columns + more},
        )

    def _close(self) -> None:
        if self.case_id is not None:
            reference, head = self.cases[self.case_id]
            if verify_chain(self.records, head or "", reference) is not None:
                self.waiting[self.case_id] = list(zip(self.event_ids, self.records, strict=True))
            self.checked.add(self.case_id)
        self.case_id, self.records, self.event_ids = None, [], []

    def _verify(self, records: list[EventRecord], head: str, reference: str) -> None:
        broken = verify_chain(records, head, reference)
        if broken is not None:
            raise BackupRefused(f"chain: {broken}", field="chain")

    def _verify_waiting(self) -> None:
        for case_id, events in self.waiting.items():
            reference, head = self.cases[case_id]
            records = [
                replace(r, documents=tuple(self.documents.get(event_id, ())))
                for event_id, r in events
            ]
            self._verify(records, head or "", reference)

    def finish(self) -> None:
        """Check the last case, the chains waiting for their documents, the cases whose
        events are all missing, the system user."""
        self._close()
        self._verify_waiting()
        for case_id, (reference, head) in sorted(self.cases.items(), key=lambda c: c[1][0]):
            if case_id not in self.checked and head is not None:
                self._verify([], head, reference)
        if SYSTEM_ACTOR not in self.users.values():
            raise BackupRefused(f"file: no {SYSTEM_ACTOR!r} user (the sweep's actor)")
