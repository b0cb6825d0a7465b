"""How the read paths scale with the number of cases: `python -m tests.benchmarks.pending`.

Builds a SQLite database with N cases (each opened and deposited: five events), then times
the pending list (whole, and its first page of 50), one case page's read model, an advance
through the service layer against a bare ORM insert with commit on the same engine (their
ratio is what counts on a shared machine), and the sweep. Not a test: it prints timings.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from app.domain.countries import PRACTICE_COUNTRY
from app.domain.loader import load_registry
from app.persistence.database import make_engine, make_session_factory
from app.persistence.migrate import upgrade
from app.persistence.models import SYSTEM_ACTOR, SignInAttempt
from app.services import cases, queries
from app.services.context import Tracker
from tests.conftest import MIGRATIONS, TODAY, WORKFLOWS

STEPS = (
    ("submit_to_parliament", "2025-02-01", {}),
    ("adopt", "2025-03-01", {"votes_for": 60, "votes_against": 20}),
    ("sign", "2025-03-10", {}),
    ("deposit", "2025-04-01", {"reasons": "benchmark"}),
)


def build(tracker: Tracker, n: int) -> None:
    for _ in range(n):
        view = cases.open_case(
            tracker,
            PRACTICE_COUNTRY,
            "apmbc",
            SYSTEM_ACTOR,
            workflow="apmbc/generic",
            began_on=date(2025, 1, 1),
            practice=True,
        )
        for trigger, on, evidence in STEPS:
            cases.advance(tracker, view.reference, trigger, on, SYSTEM_ACTOR, evidence=evidence)


def timed(label: str, run: Callable[[], object], repeat: int) -> float:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds) * 1000
    print(f"{label:<28} median {median:8.2f} ms  (x{repeat})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        upgrade(MIGRATIONS, url)
        registry = load_registry(WORKFLOWS)
        tracker = Tracker(make_session_factory(make_engine(url)), lambda: registry, lambda: TODAY)
        start = time.perf_counter()
        build(tracker, args.cases)
        print(
            f"{args.cases} cases, {args.cases * (1 + len(STEPS))} events built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        timed("pending()", lambda: queries.pending(tracker), args.repeat)
        timed("pending_page() (50)", lambda: queries.pending_page(tracker), args.repeat)
        timed(
            "pending(as_of=2025-06-01)",
            lambda: queries.pending(tracker, date(2025, 6, 1)),
            args.repeat,
        )
        timed(
            "get_case()", lambda: queries.get_case(tracker, "PRACTICE-APMBC-GENERIC"), args.repeat
        )
        readings = _readings(tracker)
        next(readings)  # opens the case: set-up, not timed
        advance_ms = timed("advance()", lambda: next(readings), args.repeat * 20)
        bare_ms = timed("bare ORM insert + commit", lambda: _bare_insert(tracker), args.repeat * 20)
        print(f"advance / bare insert rate: {bare_ms / advance_ms:.3f}")
        timed("sweep() (all due)", lambda: cases.sweep(tracker), 1)


def _readings(tracker: Tracker) -> Iterator[None]:
    """Each step one more reading on one long-lived case (it stays where it is)."""
    view = cases.open_case(tracker, "FI", "apmbc", SYSTEM_ACTOR, workflow="apmbc/generic")
    cases.advance(tracker, view.reference, "submit_to_parliament", "2025-02-01", SYSTEM_ACTOR)
    for n in itertools.count(1):
        evidence = {"chamber": "Parliament", "reading": n}
        cases.advance(tracker, view.reference, "record_reading", "2025-02-01", SYSTEM_ACTOR,
                      evidence=evidence)  # fmt: skip
        yield None


def _bare_insert(tracker: Tracker) -> None:
    """The baseline: one ORM row inserted and committed on the same engine and settings."""
    with tracker.transaction() as session:
        session.add(SignInAttempt(name="bench", address="127.0.0.1", succeeded=True))


if __name__ == "__main__":
    main()
