"""The PostgreSQL server restarts under load (a server of the test's own): answers during the
outage may be 503 (never a 500), none outside it; afterwards the tracker reconnects by itself,
and every accepted step has one event, every refused one none, a write cut by the outage at
most one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.loader import Registry
from app.persistence.database import make_engine, make_session_factory
from app.persistence.migrate import upgrade
from app.services.context import Tracker
from app.services.users import create_user
from tests.conftest import MIGRATIONS, PASSWORD, Today
from tests.stress.postgres import OwnPostgres, own_postgres, remove
from tests.stress.server import Gunicorn
from tests.stress.test_stress import (
    READERS,
    SECONDS,
    WRITERS,
    Load,
    check_outcomes,
    prepared,
    reader,
    run,
    sweeper,
    writer,
)

GRACE = 3.0  # seconds after the server is back within which an old connection may still fail


@pytest.fixture
def postgres() -> Iterator[OwnPostgres]:
    server = own_postgres()
    yield server
    remove(server)


def test_a_database_restart_under_load_loses_and_doubles_nothing(
    postgres: OwnPostgres, registry: Registry, tmp_path: Path
) -> None:
    upgrade(MIGRATIONS, postgres.url)
    engine = make_engine(postgres.url)
    tracker = Tracker(make_session_factory(engine), lambda: registry, today=Today())
    for role in ("viewer", "clerk", "admin"):
        create_user(tracker, role, role, PASSWORD)
    cases, token = prepared(tracker)
    server = Gunicorn(postgres.url, tmp_path / "gunicorn.log")
    server.start()
    load, outage = Load(), [0.0, 0.0]
    started = time.time()
    until = started + SECONDS

    def restart() -> None:
        time.sleep(SECONDS / 3)
        outage[0] = time.time()
        postgres.stop()
        time.sleep(1)
        postgres.start()
        outage[1] = time.time()

    try:
        run(
            [
                *(lambda n=n: writer(n, server.base, token, cases, load, until)
                  for n in range(WRITERS)),
                *(lambda n=n: reader(n, server.base, token, cases, load, until)
                  for n in range(READERS)),
                lambda: sweeper(tracker, load, until),
                restart,
            ]
        )  # fmt: skip
    finally:
        server.stop()
    engine.dispose()  # the test's own pool saw the restart too
    figures = check_outcomes(load, engine, tracker, "postgresql", cut=("lost", 503))
    window = (outage[0], outage[1] + GRACE)
    outside = [t for t in load.server_errors if not window[0] <= t <= window[1]]
    assert outside == [], (figures, window, outside)
    assert 500 not in load.statuses, figures  # the outage is a 503 (unavailable), not an error
    assert all(window[0] <= t <= window[1] for t, _ in load.sweep_errors), load.sweep_errors
    print("outage seconds:", round(outage[1] - outage[0], 1), "5xx in it:", len(load.server_errors))
