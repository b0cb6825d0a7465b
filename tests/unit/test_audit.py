"""The per-case hash chain: an intact history verifies, any edit behind the application's back
is reported at the event that was touched."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.domain.audit import GENESIS, EventRecord, compute_hash, verify_chain

REF = "LV-APMBC-2025"


def sealed(records: list[EventRecord]) -> list[EventRecord]:
    """Link and hash the records as the service appends them."""
    out, previous = [], GENESIS
    for r in records:
        r = replace(r, prev_hash=previous)
        r = replace(r, hash=compute_hash(r))
        out.append(r)
        previous = r.hash
    return out


def event(seq: int, trigger: str, on: str, **evidence: object) -> EventRecord:
    return EventRecord(
        case_reference=REF,
        seq=seq,
        trigger=trigger,
        from_state="",
        to_state="",
        occurred_on=date.fromisoformat(on),
        occurred_until=None,
        recorded_at=datetime(2025, 7, 1, 10, seq, tzinfo=UTC),
        actor="clerk",
        comment=f"step {seq}",
        evidence=evidence,
    )


@pytest.fixture
def chain() -> list[EventRecord]:
    return sealed(
        [
            event(1, "adopt", "2025-04-16", votes_for=66, votes_against=14, abstained=2),
            event(2, "sign", "2025-04-23"),
            event(3, "deposit", "2025-06-27", reasons="security"),
        ]
    )


def test_intact_chain_verifies(chain):
    assert verify_chain(chain) is None
    assert verify_chain([]) is None


@pytest.mark.parametrize(
    "change",
    [
        {"comment": "edited behind the application's back"},
        {"occurred_on": date(2025, 4, 22)},
        {"occurred_until": date(2025, 4, 24)},
        {"evidence": {"signed_by": "someone else"}},
        {"actor": "admin"},
        {"trigger": "return_to_parliament"},
        {"to_state": "parliament"},
        {"recorded_at": datetime(2025, 7, 1, 11, 0, tzinfo=UTC)},
    ],
    ids=lambda c: next(iter(c)),
)
def test_edited_field_is_reported_at_that_event(chain, change):
    chain[1] = replace(chain[1], **change)
    broken = verify_chain(chain)
    assert broken is not None
    assert broken.seq == 2
    assert broken.case_reference == REF
    assert "edited" in broken.problem
    assert str(broken).startswith(f"{REF} event 2:")


def test_edited_vote_count_is_reported(chain):
    chain[0] = replace(chain[0], evidence={**chain[0].evidence, "votes_for": 68})
    broken = verify_chain(chain)
    assert broken is not None
    assert broken.seq == 1


def test_rehashed_edit_breaks_the_link_to_the_next_event(chain):
    # someone edits event 2 and recomputes its hash: event 3 no longer points at it
    edited = replace(chain[1], comment="edited")
    chain[1] = replace(edited, hash=compute_hash(edited))
    broken = verify_chain(chain)
    assert broken is not None
    assert broken.seq == 3
    assert "prev_hash" in broken.problem


def test_broken_prev_hash_link_is_reported(chain):
    relinked = replace(chain[2], prev_hash="f" * 64)
    chain[2] = replace(relinked, hash=compute_hash(relinked))
    broken = verify_chain(chain)
    assert broken is not None
    assert broken.seq == 3
    assert "prev_hash" in broken.problem


def test_first_event_must_start_from_genesis(chain):
    first = replace(chain[0], prev_hash="a" * 64)
    chain[0] = replace(first, hash=compute_hash(first))
    broken = verify_chain(chain)
    assert broken is not None
    assert broken.seq == 1


def test_deleted_event_shows_as_a_sequence_gap(chain):
    broken = verify_chain([chain[0], chain[2]])
    assert broken is not None
    assert broken.seq == 3
    assert "sequence gap" in broken.problem
    assert "expected 2" in broken.problem


def test_hash_does_not_depend_on_evidence_key_order(chain):
    # PostgreSQL's JSONB reorders keys: that must not look like an edit
    reordered = dict(reversed(list(chain[0].evidence.items())))
    assert list(reordered) != list(chain[0].evidence)
    assert compute_hash(replace(chain[0], evidence=reordered)) == chain[0].hash


def test_hash_is_the_same_for_one_instant_in_any_timezone(chain):
    # SQLite returns naive UTC timestamps, PostgreSQL aware ones: the same moment, the same hash
    moment = chain[0].recorded_at
    naive = moment.replace(tzinfo=None)
    riga = moment.astimezone(timezone(timedelta(hours=3)))
    assert compute_hash(replace(chain[0], recorded_at=naive)) == chain[0].hash
    assert compute_hash(replace(chain[0], recorded_at=riga)) == chain[0].hash
