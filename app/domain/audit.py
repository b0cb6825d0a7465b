"""The per-case hash chain over events: any edit made behind the application's back shows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from app.domain.documents import DocumentRef

GENESIS = "0" * 64


@dataclass(frozen=True)
class EventRecord:
    """One recorded event, as stored; the unit the chain hashes."""

    case_reference: str
    seq: int
    trigger: str
    from_state: str
    to_state: str
    occurred_on: date
    occurred_until: date | None
    recorded_at: datetime
    actor: str
    comment: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""
    documents: tuple[DocumentRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The event as the case JSON and the audit export show it."""
        return {
            "case": self.case_reference,
            "seq": self.seq,
            "trigger": self.trigger,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "occurred_on": self.occurred_on.isoformat(),
            "occurred_until": self.occurred_until.isoformat() if self.occurred_until else None,
            "recorded_at": utc_iso(self.recorded_at),
            "actor": self.actor,
            "comment": self.comment,
            "evidence": dict(self.evidence),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "documents": [d.to_json() for d in self.documents],
        }


UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_iso(moment: datetime) -> str:
    """A UTC timestamp in one canonical form (a naive value is taken to be UTC already)."""
    if moment.tzinfo is UTC:  # as the database gives it back: drop "+00:00", not the zone
        return moment.isoformat(timespec="microseconds")[:-6] + "Z"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"  # UTC_FORMAT, written faster


def from_utc_iso(text: str) -> datetime:
    """The moment `utc_iso` wrote; ValueError for any other text."""
    return datetime.strptime(text, UTC_FORMAT).replace(tzinfo=UTC)


def compute_hash(record: EventRecord) -> str:
    """SHA-256 over the canonical JSON of every field but the hash itself; an event without
    documents hashes as events did before documents existed."""
    body = record.to_json()
    del body["hash"]
    if not body["documents"]:
        del body["documents"]
    return hashlib.sha256(_CANONICAL_JSON(body).encode("utf-8")).hexdigest()


def sealed(record: EventRecord) -> EventRecord:
    """A record just built, its hash set: built once, where `replace` would build it again
    (a fifth of chaining an event). Only for a record no one else holds yet."""
    object.__setattr__(record, "hash", compute_hash(record))
    return record


# json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False), without building
# an encoder for each event
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


@dataclass(frozen=True)
class ChainBreak:
    """The first event whose stored hash or link does not match (or, with no case reference
    and seq 0, a break of no one case's: the kept case counts)."""

    case_reference: str
    seq: int
    problem: str

    def __str__(self) -> str:
        if not self.case_reference:
            return self.problem
        return f"{self.case_reference} event {self.seq}: {self.problem}"


def verify_chain(
    records: Iterable[EventRecord], head: str | None = None, reference: str = ""
) -> ChainBreak | None:
    """Check one case's events in sequence order, and, when the case's recorded `head` (hash of
    its newest event) is given, that no event is missing at the end; return the first break."""
    previous, expected_seq = GENESIS, 1
    for r in records:
        if r.seq != expected_seq:
            return ChainBreak(r.case_reference, r.seq, f"sequence gap: expected {expected_seq}")
        if r.prev_hash != previous:
            return ChainBreak(r.case_reference, r.seq, "prev_hash does not match the event before")
        if compute_hash(r) != r.hash:
            return ChainBreak(r.case_reference, r.seq, "content does not match its hash (edited)")
        previous, expected_seq = r.hash, expected_seq + 1
    if head is not None and head != previous:
        return ChainBreak(
            reference,
            expected_seq,
            f"missing: the case records a newer event than event {expected_seq - 1}",
        )
    return None
