"""Signed checkpoints of every case's chain head, kept outside the database, and the proof
that what a checkpoint saw is still in the database, unchanged.

A checkpoint is {"statement": {...}, "signature": base64}: the statement names the time, the
number of cases and events, each case's event count and chain head, the key's fingerprint and
the SHA-256 of the checkpoint before it (its `previous`); the signature is Ed25519 over the
statement's canonical JSON. Each checkpoint is also appended to a local log (one canonical line
each), which is where the next one finds its predecessor.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.audit import EventRecord, utc_iso, verify_chain
from app.domain.errors import InvalidInput, NotAllowed
from app.persistence.models import Case, Event
from app.services.checkpoint_key import fingerprint
from app.services.context import Tracker
from app.services.recording import to_record

FORMAT = "withdrawal-tracker-checkpoint/1"
Document = dict[str, Any]


def canonical(data: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes that are signed and hashed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(document: Document) -> str:
    """A checkpoint's name in the chain: SHA-256 of its statement's canonical JSON."""
    return hashlib.sha256(canonical(document["statement"])).hexdigest()


@dataclass(frozen=True)
class Head:
    events: int
    last_hash: str | None


def _chains(session: Session) -> Iterator[tuple[str, str | None, list[EventRecord]]]:
    """Every case's reference, recorded chain head and events, in sequence order."""
    heads = {ref: head for ref, head in session.execute(select(Case.reference, Case.last_hash))}
    query = (
        select(Event, Case.reference)
        .join(Case, Event.case_id == Case.id)
        .order_by(Case.reference, Event.seq)
        .execution_options(yield_per=500)
    )
    records = (to_record(reference, event) for event, reference in session.execute(query))
    for reference, group in groupby(records, key=lambda r: r.case_reference):
        yield reference, heads.pop(reference, None) or "", list(group)
    for reference, head in sorted(heads.items()):
        yield reference, head, []


def _break(reference: str, head: str | None, records: list[EventRecord]) -> str | None:
    found = verify_chain(records, head, reference) if records or head else None
    if found is None:
        return None
    return f"{reference}: chain broken at event {found.seq}: {found.problem}"


def _heads(tracker: Tracker) -> dict[str, Head]:
    """Each case's event count and chain head, read in one snapshot; refuses a broken log."""
    heads = {}
    with tracker.snapshot() as session:
        for reference, head, records in _chains(session):
            broken = _break(reference, head, records)
            if broken is not None:
                raise NotAllowed(f"audit: {broken}; a checkpoint signs only an intact log")
            heads[reference] = Head(len(records), records[-1].hash if records else None)
    return heads


def _statement(heads: dict[str, Head], key: Ed25519PrivateKey, last: Document | None) -> Document:
    return {
        "format": FORMAT,
        "number": 1 if last is None else int(last["statement"]["number"]) + 1,
        "previous": None if last is None else digest(last),
        "created_at": utc_iso(datetime.now(UTC)),
        "key": fingerprint(key.public_key()),
        "cases": len(heads),
        "events": sum(h.events for h in heads.values()),
        "heads": {
            reference: {"events": h.events, "last_hash": h.last_hash}
            for reference, h in sorted(heads.items())
        },
    }


def make_checkpoint(tracker: Tracker, key: Ed25519PrivateKey, log: Path) -> Document:
    """Sign every case's chain head and append the checkpoint to `log`, chained to the last."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a+b") as file:
        # Held until the checkpoint is appended: two at once would name the same predecessor.
        fcntl.flock(file, fcntl.LOCK_EX)
        last = _last_entry(file, log)
        statement = _statement(_heads(tracker), key, last)
        document = {"statement": statement, "signature": _b64(key.sign(canonical(statement)))}
        file.write(canonical(document) + b"\n")
        file.flush()
        os.fsync(file.fileno())
    return document


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _last_entry(file: IO[bytes], log: Path) -> Document | None:
    line = _last_line(file)
    if not line:
        return None
    try:
        return parse_checkpoint(line)
    except InvalidInput as exc:
        raise InvalidInput(
            f"checkpoint log: the last line of {log} is not a checkpoint ({exc.message}); "
            "repair it, or move the file aside to start a new chain"
        ) from None


def _last_line(file: IO[bytes]) -> bytes:
    end = file.seek(0, os.SEEK_END)
    tail, start = b"", end
    while start > 0 and b"\n" not in tail.rstrip(b"\n"):
        start = max(0, start - 65536)
        file.seek(start)
        tail = file.read(end - start)
    return tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].strip()


def parse_checkpoint(data: bytes) -> Document:
    """A checkpoint read from a file: its shape checked, its signature not yet."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"checkpoint: not JSON ({exc})", field="checkpoint") from None
    statement = document.get("statement") if isinstance(document, dict) else None
    if not isinstance(statement, dict) or not isinstance(document.get("signature"), str):
        raise InvalidInput("checkpoint: not a checkpoint (no statement and signature)")
    if statement.get("format") != FORMAT:
        raise InvalidInput(f"checkpoint: format is {statement.get('format')!r}, not {FORMAT!r}")
    if not isinstance(statement.get("number"), int) or not isinstance(statement.get("heads"), dict):
        raise InvalidInput("checkpoint: the statement has no number or no heads")
    return {"statement": statement, "signature": document["signature"]}


def check_signature(document: Document, key: Ed25519PublicKey) -> None:
    """Refuse a checkpoint that `key` did not sign, or that was edited after it was signed."""
    statement = document["statement"]
    if statement.get("key") != fingerprint(key):
        raise InvalidInput(
            f"checkpoint: signed by another key ({str(statement.get('key'))[:16]}...), not by "
            f"this one ({fingerprint(key)[:16]}...): forged, or made by another instance"
        )
    try:
        key.verify(base64.b64decode(document["signature"], validate=True), canonical(statement))
    except (InvalidSignature, binascii.Error):
        raise InvalidInput(
            "checkpoint: the signature does not match: the file was edited after it was signed"
        ) from None


def _covered(statement: Document) -> dict[str, Head]:
    heads = {}
    for reference, head in statement["heads"].items():
        count = head.get("events") if isinstance(head, dict) else None
        if not isinstance(count, int) or count < 0:
            raise InvalidInput(f"checkpoint: {reference}: no event count")
        heads[reference] = Head(count, head.get("last_hash"))
    return heads


@dataclass(frozen=True)
class CheckpointReport:
    """What `verify_checkpoint` found: one line per case that is not as the checkpoint saw it."""

    number: int
    created_at: str
    covered_cases: int
    covered_events: int
    cases: int
    events: int
    findings: list[str]

    @property
    def intact(self) -> bool:
        return not self.findings


def _finding(reference: str, seen: Head, records: list[EventRecord]) -> str | None:
    if len(records) < seen.events:
        return (
            f"{reference}: event {seen.events} missing (the checkpoint saw {seen.events} "
            f"events, the database has {len(records)})"
        )
    if seen.events and records[seen.events - 1].hash != seen.last_hash:
        return f"{reference}: event {seen.events} differs from the checkpoint (chain rewritten)"
    return None


def verify_checkpoint(
    tracker: Tracker, document: Document, key: Ed25519PublicKey
) -> CheckpointReport:
    """Check every chain as `audit verify` does and that each case the signed checkpoint saw is
    still there with the events it saw, unchanged; later events are fine."""
    check_signature(document, key)
    statement = document["statement"]
    expected = _covered(statement)
    covered_cases, covered_events = len(expected), sum(h.events for h in expected.values())
    findings: list[str] = []
    cases = events = 0
    with tracker.snapshot() as session:
        for reference, head, records in _chains(session):
            cases, events = cases + 1, events + len(records)
            seen = expected.pop(reference, None)
            found = _break(reference, head, records)
            if found is None and seen is not None:
                found = _finding(reference, seen, records)
            if found is not None:
                findings.append(found)
    findings += [f"{reference}: deleted" for reference in sorted(expected)]
    return CheckpointReport(
        number=statement["number"],
        created_at=str(statement.get("created_at")),
        covered_cases=covered_cases,
        covered_events=covered_events,
        cases=cases,
        events=events,
        findings=findings,
    )
