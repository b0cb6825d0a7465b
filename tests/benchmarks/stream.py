"""One streamed read of the whole event log in a process of its own, so that its peak memory is
its own: `python -m tests.benchmarks.stream URL csv|json|plain-csv|verify|plain-hash`.

Prints JSON: the events read, the seconds it took and the peak resident memory in MB. The
`plain-` modes are the baselines: the csv module, or hashlib.sha256, over a plain cursor.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, text

from app.domain.loader import load_registry
from app.persistence.database import make_engine, make_session_factory
from app.services import audit
from app.services.context import Tracker
from tests.benchmarks.harness import peak_rss_mb
from tests.conftest import TODAY, WORKFLOWS

PLAIN = (
    "SELECT cases.reference, events.seq, events.trigger, events.from_state, events.to_state, "
    "events.occurred_on, events.occurred_until, events.recorded_at, users.name, events.comment, "
    "events.evidence, events.prev_hash, events.hash FROM events "
    "JOIN cases ON cases.id = events.case_id JOIN users ON users.id = events.actor_id "
    "ORDER BY cases.reference, events.seq"
)


class Sink(io.TextIOBase):
    """Counts what is written and keeps nothing."""

    size = 0

    def write(self, chunk: str) -> int:
        self.size += len(chunk)
        return len(chunk)


def _plain_rows(url: str) -> Iterator[Row[Any]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        yield from conn.execution_options(yield_per=1000).execute(text(PLAIN))


def run(url: str, mode: str) -> int:
    """Read the log once in `mode`; returns the number of events read."""
    if mode.startswith("plain-"):
        n, writer = 0, csv.writer(Sink())
        for row in _plain_rows(url):
            if mode == "plain-csv":
                writer.writerow(row)
            else:
                hashlib.sha256(repr(tuple(row)).encode()).hexdigest()
            n += 1
        return n
    registry = load_registry(WORKFLOWS)
    tracker = Tracker(make_session_factory(make_engine(url)), lambda: registry, lambda: TODAY)
    if mode == "verify":
        result = audit.verify_audit(tracker)
        assert result.intact, result.first_break
        return result.events
    sink = Sink()
    for chunk in audit.export_events(tracker, mode):
        sink.write(chunk)
    return -1  # counted afterwards, outside the time


def _events(url: str) -> int:
    with make_engine(url).connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


if __name__ == "__main__":
    start = time.perf_counter()
    events = run(sys.argv[1], sys.argv[2])
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    events = _events(sys.argv[1]) if events < 0 else events
    print(json.dumps({"events": events, "seconds": seconds, "rss_mb": peak}))
