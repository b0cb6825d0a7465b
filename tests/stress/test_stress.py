"""gunicorn with 4 workers on SQLite and PostgreSQL: contested advances, readers and sweeps at
once, and workers killed mid-request. Afterwards every accepted step has exactly one event,
every refused one none, the chains and projections verify, and no answer was a 5xx.

Bounded for CI (STRESS_SECONDS per backend, 8 by default); bigger by hand, e.g.
STRESS_SECONDS=120 pytest tests/stress -s (the figures are printed)."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from app.services.audit import verify_audit
from app.services.cases import sweep
from app.services.context import Tracker
from app.services.tokens import create_token
from tests.integration.conftest import open_walked
from tests.stress.server import Answer, Gunicorn, call

SECONDS = float(os.environ.get("STRESS_SECONDS", "8"))
WRITERS, READERS, KILLS = 6, 2, 2
IN_PARLIAMENT = [("submit_to_parliament", "2025-05-28", {"bill": "HE 1/2025"})]
CONTESTED = ("FI", "SE", "NO")  # generic procedure: a reading can be recorded again and again
DUE = ("DK", "EE")  # deposited in 2025: the sweep makes them take effect on 2026-01-10


class Load:
    """What the clients saw: each write's outcome by its comment, every status, the faults."""

    def __init__(self) -> None:
        self.writes: dict[str, int | str] = {}
        self.statuses: Counter[int] = Counter()
        self.lost_connections = 0
        self.sweeps = 0
        self.sweep_errors: list[tuple[float, str]] = []
        self.server_errors: list[float] = []  # when each 5xx came
        self.kills = 0
        self.lock = threading.Lock()

    def saw(self, answer: Answer) -> Answer:
        with self.lock:
            self.statuses[answer.status] += 1
            if answer.status >= 500:
                self.server_errors.append(time.time())
        return answer

    def lost(self) -> None:
        with self.lock:
            self.lost_connections += 1


@pytest.fixture
def server(migrated_url: str, tmp_path: Path) -> Iterator[Gunicorn]:
    gunicorn = Gunicorn(migrated_url, tmp_path / "gunicorn.log")
    yield gunicorn
    gunicorn.stop()


def prepared(tracker: Tracker) -> tuple[list[str], str]:
    cases = [open_walked(tracker, IN_PARLIAMENT, country=c) for c in CONTESTED]
    for country in DUE:
        open_walked(tracker, country=country)
    return cases, create_token(tracker, "clerk")


def writer(n: int, base: str, token: str, cases: list[str], load: Load, until: float) -> None:
    rng, i = random.Random(n), 0
    while time.time() < until:
        i += 1
        comment, reference = f"stress w{n} #{i}", rng.choice(cases)
        try:
            current = load.saw(call(f"{base}/api/v1/cases/{reference}", token=token))
            if current.status != 200:
                continue  # a 503 while the database is out of reach
            version = current.body
            body = {"trigger": "record_reading", "occurred_on": "2025-06-10", "comment": comment,
                    "evidence": {"chamber": "Eduskunta", "reading": i},
                    "expected_version": version["version"]}  # fmt: skip
        except (OSError, TypeError, KeyError):
            load.lost()
            continue
        try:
            answer = load.saw(call(f"{base}/api/v1/cases/{reference}/events", body, token))
            load.writes[comment] = answer.status
        except OSError:
            load.writes[comment] = "lost"
            load.lost()


def reader(n: int, base: str, token: str, cases: list[str], load: Load, until: float) -> None:
    paths = ["/api/v1/pending", "/api/v1/cases", *(f"/api/v1/cases/{c}" for c in cases)]
    while time.time() < until:
        try:
            load.saw(call(base + random.choice(paths), token=token))
        except OSError:
            load.lost()


def sweeper(tracker: Tracker, load: Load, until: float) -> None:
    while time.time() < until:
        try:
            sweep(tracker)
            load.sweeps += 1
        except Exception as exc:
            load.sweep_errors.append((time.time(), repr(exc)))
        time.sleep(0.5)


def killer(server: Gunicorn, load: Load, started: float) -> None:
    for k in range(1, KILLS + 1):
        time.sleep(max(0.0, started + SECONDS * k / (KILLS + 1) - time.time()))
        server.kill_a_worker()
        load.kills += 1


def events_by_comment(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT comment FROM events WHERE comment LIKE 'stress w%'"))
        return Counter(r[0] for r in rows)


def run(threads: list[Callable[[], None]]) -> None:
    started = [threading.Thread(target=t) for t in threads]
    for t in started:
        t.start()
    for t in started:
        t.join()


def check_outcomes(
    load: Load, engine: Engine, tracker: Tracker, url: str, cut: tuple[int | str, ...] = ("lost",)
) -> dict[str, Any]:
    """Each accepted write has exactly one event, each refused one none, a write whose answer
    was cut (`cut`: a killed worker, an outage) at most one; the audit verifies. The figures."""
    stored = events_by_comment(engine)
    accepted = [c for c, status in load.writes.items() if status == 201]
    refused = [c for c, status in load.writes.items() if status in (409, 422)]
    unknown = [c for c, status in load.writes.items() if status in cut]
    figures = {
        "backend": url.split(":")[0].split("+")[0],
        "seconds": SECONDS,
        "requests": sum(load.statuses.values()),
        "statuses": dict(sorted(load.statuses.items())),
        "writes": len(load.writes),
        "accepted": len(accepted),
        "conflicts": len(refused),
        "workers_killed": load.kills,
        "connections_lost": load.lost_connections,
        "writes_cut": len(unknown),
        "writes_cut_recorded": sum(stored[c] for c in unknown),
        "sweeps": load.sweeps,
        "events_lost": sum(1 for c in accepted if stored[c] == 0),
        "events_doubled": sum(1 for c in stored if stored[c] > 1),
    }
    print("stress figures:", json.dumps(figures))
    assert accepted and refused, figures  # the advances really were contested
    assert all(stored[c] == 1 for c in accepted), figures
    assert all(stored[c] == 0 for c in refused), figures
    assert all(stored[c] <= 1 for c in unknown), figures
    assert set(stored) <= set(load.writes), "an event no client asked for"
    report = verify_audit(tracker)
    assert report.intact, report
    return figures


def test_contested_load_with_killed_workers_loses_and_doubles_nothing(
    server: Gunicorn, tracker: Tracker, db_engine: Engine, db_url: str
) -> None:
    cases, token = prepared(tracker)
    server.start()
    load, base = Load(), server.base
    started = time.time()
    until = started + SECONDS
    run(
        [
            *(lambda n=n: writer(n, base, token, cases, load, until) for n in range(WRITERS)),
            *(lambda n=n: reader(n, base, token, cases, load, until) for n in range(READERS)),
            lambda: sweeper(tracker, load, until),
            lambda: killer(server, load, started),
        ]
    )
    figures = check_outcomes(load, db_engine, tracker, db_url)
    assert load.kills == KILLS and load.sweep_errors == [], figures
    assert not load.server_errors, load.statuses
    assert len(server.workers()) == 4  # the master replaced the killed workers
