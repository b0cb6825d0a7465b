"""Several staff writing at the same moment: one case never gets two winners, no event is lost
or doubled, and a busy SQLite database makes a writer wait instead of failing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, text

from app.domain.errors import Conflict, DomainError, DuplicateCase
from app.services.audit import verify_audit
from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.queries import get_case
from tests.integration.conftest import (
    POSTGRES_ONLY,
    SQLITE_ONLY,
    Steps,
    case_version,
    event_count,
    event_seqs,
    open_walked,
)

THREADS = 8
IN_PARLIAMENT: Steps = [("submit_to_parliament", "2025-05-28", {})]


def race(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Run call(0..n-1) in n threads released at the same instant; exceptions are returned."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return call(i)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def reading(tracker: Tracker, reference: str, i: int, expected: int | None = None) -> Any:
    return advance(
        tracker,
        reference,
        "record_reading",
        "2025-06-10",
        "clerk",
        comment=f"thread {i}",
        evidence={"chamber": "Eduskunta", "reading": str(i + 1)},
        expected_version=expected,
    )


def outcomes(results: list[Any]) -> tuple[list[Any], list[Exception]]:
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    unexpected = [r for r in losses if not isinstance(r, Conflict)]
    assert unexpected == [], f"only Conflict may stop a concurrent writer: {unexpected!r}"
    return wins, losses


@POSTGRES_ONLY
def test_same_expected_version_exactly_one_wins(tracker: Tracker, db_engine: Engine) -> None:
    reference = open_walked(tracker, steps=IN_PARLIAMENT)
    version = case_version(db_engine, reference)
    events = event_count(db_engine, reference)

    results = race(THREADS, lambda i: reading(tracker, reference, i, expected=version))

    wins, losses = outcomes(results)
    assert len(wins) == 1
    assert len(losses) == THREADS - 1
    assert case_version(db_engine, reference) == version + 1
    assert event_count(db_engine, reference) == events + 1
    # The event stored is the winner's, not a mix.
    winner = results.index(wins[0])
    last = get_case(tracker, reference).history[-1]
    assert last.comment == f"thread {winner}"
    assert last.evidence["reading"] == winner + 1
    assert verify_audit(tracker).intact


@POSTGRES_ONLY
def test_without_expected_version_no_event_is_lost_or_doubled(
    tracker: Tracker, db_engine: Engine
) -> None:
    reference = open_walked(tracker, steps=IN_PARLIAMENT)
    successes = 0
    for _ in range(3):
        wins, _losses = outcomes(race(THREADS, lambda i: reading(tracker, reference, i)))
        assert wins, "at least one writer must get through each round"
        successes += len(wins)

    # The opening and the first reading, then one event per success.
    assert event_count(db_engine, reference) == 2 + successes
    assert event_seqs(db_engine, reference) == list(range(1, successes + 3))
    assert case_version(db_engine, reference) == 1 + 1 + successes
    assert len(get_case(tracker, reference).history) == 2 + successes
    audit = verify_audit(tracker)
    assert audit.intact, audit.first_break


@POSTGRES_ONLY
def test_opening_the_same_case_at_once_never_fails_untidily(tracker: Tracker) -> None:
    results = race(THREADS, lambda i: open_case(tracker, "LV", "apmbc", "clerk").reference)

    wins, _losses = outcomes(results)
    assert wins
    assert len(set(wins)) == len(wins), "two cases got the same reference"
    assert set(wins) <= {"LV-APMBC-2026"} | {f"LV-APMBC-2026-{n}" for n in range(2, 10)}


def test_of_openers_at_once_one_opens_and_the_others_are_told_of_its_case(
    tracker: Tracker,
) -> None:
    results = race(THREADS, lambda i: open_case(tracker, "EE", "apmbc", "clerk").reference)

    assert [r for r in results if isinstance(r, str)] == ["EE-APMBC-2026"]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(refused) == THREADS - 1
    assert all(isinstance(r, DuplicateCase) and r.existing == "EE-APMBC-2026" for r in refused)


def test_writers_on_different_cases_never_conflict(tracker: Tracker, db_engine: Engine) -> None:
    references = [
        open_walked(tracker, country=country, steps=IN_PARLIAMENT)
        for country in ("FI", "EE", "LT", "DE")
    ]

    results = race(len(references), lambda i: reading(tracker, references[i], i))

    assert all(not isinstance(r, Exception) for r in results), results
    assert [event_count(db_engine, r) for r in references] == [3, 3, 3, 3]


@SQLITE_ONLY
def test_sqlite_concurrent_writers_wait_instead_of_database_is_locked(
    tracker: Tracker, db_engine: Engine
) -> None:
    reference = open_walked(tracker, steps=IN_PARLIAMENT)
    successes = 0
    for _ in range(5):
        results = race(2, lambda i: reading(tracker, reference, i))
        failures = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(f, DomainError) for f in failures), failures
        assert "locked" not in " ".join(str(f) for f in failures)
        successes += len(results) - len(failures)

    assert event_count(db_engine, reference) == 2 + successes
    assert event_seqs(db_engine, reference) == list(range(1, successes + 3))
    assert verify_audit(tracker).intact


@SQLITE_ONLY
def test_sqlite_same_expected_version_one_wins_one_gets_a_conflict(
    tracker: Tracker, db_engine: Engine
) -> None:
    reference = open_walked(tracker, steps=IN_PARLIAMENT)
    version = case_version(db_engine, reference)

    wins, losses = outcomes(race(2, lambda i: reading(tracker, reference, i, expected=version)))

    assert (len(wins), len(losses)) == (1, 1)
    assert "at version" in str(losses[0]) or "meanwhile" in str(losses[0])
    assert event_count(db_engine, reference) == 3


def test_a_writer_waits_for_another_open_transaction(tracker: Tracker, db_engine: Engine) -> None:
    """While another transaction holds the case (PostgreSQL: its row; SQLite: the write lock),
    an advance waits for it and then succeeds, instead of failing."""
    reference = open_walked(tracker, steps=IN_PARLIAMENT)
    hold = 0.6
    with ThreadPoolExecutor(max_workers=1) as pool:
        with db_engine.connect() as conn, conn.begin():
            conn.execute(
                text("UPDATE cases SET note = note WHERE reference = :ref"), {"ref": reference}
            )
            started = time.monotonic()
            pending = pool.submit(reading, tracker, reference, 0)
            time.sleep(hold)
            assert not pending.done(), "the writer did not wait for the open transaction"
        view = pending.result(timeout=30)
        waited = time.monotonic() - started
    assert waited >= hold
    assert view.recorded is not None and view.recorded.trigger == "record_reading"
    assert event_count(db_engine, reference) == 3
