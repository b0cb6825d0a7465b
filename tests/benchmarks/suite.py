"""The measurements of docs/PERFORMANCE.md, each with its baseline taken in the same run.

One SQLite file (WAL, as served) grows through three sizes of the bulk data (tests/benchmarks/
data.py): the pending page is timed at each, the sweep at the middle one, everything else at the
largest. Writes, the import and PostgreSQL get databases of their own.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, update

from app import create_app
from app.domain.loader import load_registry
from app.persistence.database import make_engine, make_session_factory
from app.persistence.migrate import upgrade
from app.persistence.models import SYSTEM_ACTOR, Base, Case, SignInAttempt
from app.services import cases, transfer
from app.services.context import Tracker
from app.services.tokens import create_token
from app.services.users import create_user
from tests.benchmarks.data import build_cases
from tests.benchmarks.harness import Result, once, p50, rss_mb
from tests.benchmarks.over_http import http_advances
from tests.conftest import MIGRATIONS, PASSWORD, TODAY, WORKFLOWS, postgres_schema
from tests.web.conftest import sign_in


@dataclass(frozen=True)
class Scale:
    sizes: tuple[int, int, int]  # cases at the three steps
    readings: int  # each case has 5 + readings events
    repeat: int
    advances: int
    imported: int
    http_seconds: int  # each wrk round


SCALES = {
    "full": Scale((1_000, 10_000, 100_000), 5, 15, 10_000, 100_000, 10),
    "medium": Scale((1_000, 3_000, 10_000), 5, 9, 1_000, 10_000, 5),
    "quick": Scale((100, 300, 1_000), 5, 5, 300, 1_000, 3),
}


@dataclass
class Site:
    """A database with the app on it, a signed-in viewer and a bare route to compare with."""

    url: str
    tracker: Tracker
    app: Flask
    viewer: FlaskClient
    token: dict[str, str]

    def get(self, path: str, api: bool = False) -> Callable[[], None]:
        client = self.app.test_client() if api else self.viewer
        headers = self.token if api else {}

        def run() -> None:
            response = client.get(path, headers=headers)
            response.get_data()
            assert response.status_code == 200, (path, response.status_code)

        return run


def tracker_on(url: str) -> Tracker:
    upgrade(MIGRATIONS, url)
    registry = load_registry(WORKFLOWS)
    return Tracker(make_session_factory(make_engine(url)), lambda: registry, lambda: TODAY)


def site(url: str, folder: Path) -> Site:
    tracker = tracker_on(url)
    create_user(tracker, "viewer", "viewer", PASSWORD)
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "CHECKPOINT_KEY_FILE": folder / "key",
            "CHECKPOINT_LOG_FILE": folder / "checkpoints.jsonl",
        }
    )
    app.extensions["tracker"].today = tracker.today
    app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")
    viewer = app.test_client()
    assert sign_in(viewer, "viewer").status_code == 302
    token = {"Authorization": f"Bearer {create_token(tracker, 'viewer')}"}
    return Site(url, tracker, app, viewer, token)


def reads(scale: Scale, folder: Path, log: Callable[[str], None]) -> Iterator[Result]:
    """The pages at three sizes, the sweep, the log's pages, exports and verification."""
    s = site(f"sqlite:///{folder / 'reads.sqlite3'}", folder)
    yield from pending(s, scale, log, sweep=True)
    large = scale.sizes[-1]
    bare = p50(s.get("/bench/bare"), scale.repeat * 4)
    log("dashboard, calendar, case page, audit pages")
    (long_case,) = _long_case(s.tracker)
    yield from _calendar(s, large, bare, scale.repeat)
    for name, path, target, api in (
        (f"dashboard at {large:,} cases", "/dashboard", 20, False),
        ("case page with 200 events", f"/cases/{long_case}", 10, False),
        (f"audit page at {_events(s):,} events, newest", "/audit", 10, False),
        (f"audit page at {_events(s):,} events, oldest", "/audit?oldest=1", 10, False),
    ):
        yield Result(name, p50(s.get(path, api), scale.repeat), bare, "s", target, False)
    log("exports and verification (each in a process of its own)")
    yield from _streams(s.url, _events(s))


def pending(
    s: Site, scale: Scale, log: Callable[[str], None], sweep: bool = False
) -> Iterator[Result]:
    """The pending page and API as the database grows through the scale's sizes (and the
    sweep of every due case at the middle size)."""
    small, middle, large = scale.sizes
    built, timed = 0, {}
    for size in scale.sizes:
        log(f"building {size:,} cases ({5 + scale.readings} events each)")
        build_cases(s.tracker, size - built, scale.readings)
        built = size
        timed[size] = (p50(s.get("/"), scale.repeat), p50(s.get("/api/v1/pending", True), 5))
        if sweep and size == middle:
            yield from _sweep(s.tracker, size)
    for i, name in enumerate(("pending page", "pending API")):
        yield Result(
            f"{name}, 50 per page, at {large:,} cases vs {small:,}", timed[large][i],
            timed[small][i], "s", 1.5, False,
        )  # fmt: skip


def _events(s: Site) -> int:
    with s.tracker.snapshot() as session:
        return int(session.scalar(select(func.sum(Case.event_count))) or 0)


# The bulk data's dates fall within 200 days (2024): a week of them, as a feed that holds a
# week (its default, a year back, holds none of them: they are over two years old).
CALENDAR_WEEK = "from=2024-06-01&to=2024-06-07"


def _calendar(s: Site, large: int, bare: float, repeat: int) -> Iterator[Result]:
    """The feed's first request (rendered), and a calendar program's repeated polls: with
    the ETag it was given (304), and without (the body the app kept)."""
    feed = f"/calendar.ics?token={_feed(s)}&{CALENDAR_WEEK}"
    start = time.perf_counter()
    first = s.viewer.get(feed)  # rendered: no body is kept for this week yet
    entries = first.get_data().count(b"BEGIN:VEVENT")  # read it all: it is streamed
    took = time.perf_counter() - start
    week = f"calendar feed at {large:,} cases, a week of {entries:,} dates"
    yield Result(f"{week}, first request", took, bare, "s", 20, False)
    etag = {"If-None-Match": first.headers["ETag"]}

    def poll() -> None:
        assert s.viewer.get(feed, headers=etag).status_code == 304

    yield Result(
        f"{week}, repeated poll with its ETag (304)", p50(poll, repeat), bare, "s", 20, False
    )
    yield Result(
        f"{week}, repeated poll without it (kept body)", p50(s.get(feed), repeat), bare, "s",
        20, False,
    )  # fmt: skip


def _feed(s: Site) -> str:
    return create_token(s.tracker, "viewer", scope="feed")


def _long_case(tracker: Tracker) -> list[str]:
    build_cases(tracker, 1, readings=195)
    with tracker.snapshot() as session:
        return list(session.scalars(select(Case.reference).where(Case.event_count == 200)))


def _streams(url: str, events: int) -> Iterator[Result]:
    runs = {
        mode: _stream(url, mode) for mode in ("plain-csv", "csv", "json", "plain-hash", "verify")
    }
    for mode in ("csv", "json"):
        run, base = runs[mode], runs["plain-csv"]
        yield Result(
            f"audit export of {events:,} events, {mode.upper()}", run["events"] / run["seconds"],
            base["events"] / base["seconds"], "events/s", 0.5, True,
        )  # fmt: skip
        yield Result(
            f"audit export, {mode.upper()}: peak memory", run["rss_mb"], 200, "MB", 1, False,
            "(baseline: the 200 MB limit)",
        )  # fmt: skip
    run, base = runs["verify"], runs["plain-hash"]
    yield Result(
        f"audit verify of {events:,} events", run["events"] / run["seconds"],
        base["events"] / base["seconds"], "events/s", 0.5, True,
    )  # fmt: skip


def _stream(url: str, mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.stream", url, mode],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


def _sweep(tracker: Tracker, due: int) -> Iterator[Result]:
    """The sweep moving every due case, against as many bare single-row updates."""
    swept = once(lambda: cases.sweep(tracker))
    with tracker.snapshot() as session:
        ids = list(session.scalars(select(Case.id)))

    def bare() -> None:
        with tracker.transaction() as session:
            for case_id in ids[:due]:
                session.execute(update(Case.__table__).where(Case.id == case_id).values(note=""))

    yield Result(f"sweep of {due:,} due cases", due / swept, due / once(bare), "cases/s", 0.3, True)


def writes(scale: Scale, folder: Path, log: Callable[[str], None]) -> Iterator[Result]:
    """Advances on SQLite (and PostgreSQL when TEST_DATABASE_URL is set), memory, import."""
    log(f"{scale.advances:,} advances on SQLite")
    yield from advances(tracker_on(f"sqlite:///{folder / 'writes.sqlite3'}"), "SQLite", scale)
    if os.environ.get("TEST_DATABASE_URL"):
        log("advances on PostgreSQL")
        with postgres_schema() as url:
            yield from advances(tracker_on(url), "PostgreSQL", scale, memory=False)
    log(f"import of {scale.imported:,} cases")
    yield from _import(folder, scale)
    log("advances over HTTP (gunicorn, wrk)")
    yield from _http(folder, scale, f"sqlite:///{folder / 'http.sqlite3'}", "SQLite")
    if os.environ.get("TEST_DATABASE_URL"):
        with postgres_schema() as url:
            yield from _http(folder, scale, url, "PostgreSQL")


def _http(folder: Path, scale: Scale, url: str, backend: str) -> Iterator[Result]:
    yield from http_advances(tracker_on(url), url, backend, folder, scale.http_seconds, 3)


BATCH = 20


def _rate(run: Callable[[], None], n: int) -> float:
    return n / once(lambda: [run() for _ in range(n)])


def advances(tracker: Tracker, backend: str, scale: Scale, memory: bool = True) -> Iterator[Result]:
    """Advances on one case growing by a reading each, against bare inserts (and how much the
    process grew over them, after the first 100)."""
    view = cases.open_case(tracker, "FI", "apmbc", SYSTEM_ACTOR, workflow="apmbc/generic")
    cases.advance(tracker, view.reference, "submit_to_parliament", "2025-02-01", SYSTEM_ACTOR)
    readings = iter(range(1, 10**9))

    def advance() -> None:
        evidence = {"chamber": "Parliament", "reading": next(readings)}
        cases.advance(tracker, view.reference, "record_reading", "2025-02-01", SYSTEM_ACTOR,
                      evidence=evidence)  # fmt: skip

    def bare() -> None:
        with tracker.transaction() as session:
            session.add(SignInAttempt(name="bench", address="127.0.0.1", succeeded=True))

    for _ in range(100):
        advance()
    after_100 = rss_mb()
    n = scale.advances if memory else scale.repeat * 20
    # Rounds of each in turn, so that both meet the same load on a shared machine.
    rounds = [(_rate(advance, BATCH), _rate(bare, BATCH)) for _ in range(max(1, n // BATCH))]
    grown = rss_mb() - after_100
    yield Result(
        f"advance through the service layer, {backend} (case of {100 + n:,} events at the end)",
        statistics.median(a for a, _ in rounds), statistics.median(b for _, b in rounds),
        "writes/s", 0.5, True,
    )  # fmt: skip
    if memory:
        yield Result(
            f"memory growth over {n:,} advances after the first 100", grown, 10, "MB", 1, False,
            "(baseline: the 10 MB limit)",
        )  # fmt: skip


def _import(folder: Path, scale: Scale) -> Iterator[Result]:
    """`cases import` of the first `scale.imported` cases of the reads' database (built by
    `reads`: its bulk cases, swept ones and the long case), exported as JSON lines, into an
    empty database, against a bare executemany of the same rows; and the import's peak memory
    at the end against that once it had read a tenth of the file (streamed, it stays flat).
    The import runs in a process of its own, so that its peak memory is its own."""
    source = tracker_on(f"sqlite:///{folder / 'reads.sqlite3'}")
    whole = folder / "cases.jsonl"
    with whole.open("w", encoding="utf-8") as out:
        transfer.export_cases(source, "jsonl", _FirstLines(out, scale.imported))
    large = _imported(whole, folder / "target.sqlite3")
    n = large["cases"]
    bare = tracker_on(f"sqlite:///{folder / 'bare.sqlite3'}")
    yield Result(
        f"import of {n:,} cases", n / large["seconds"], n / _bare_copy(source, bare, n),
        "cases/s", 0.3, True,
    )  # fmt: skip
    yield Result(
        f"import of {n:,} cases: peak memory vs after its first tenth", large["rss_mb"],
        large["rss_mb_at_tenth"], "MB", 1.2, False,
    )  # fmt: skip


class _FirstLines(io.TextIOBase):
    """Passes on the first `n` lines written to it and drops the rest."""

    def __init__(self, out: IO[str], n: int) -> None:
        self.out, self.left = out, n

    def write(self, text: str) -> int:
        for line in text.splitlines(keepends=True):
            if self.left > 0:
                self.out.write(line)
                self.left -= line.endswith("\n")
        return len(text)


def _imported(file: Path, target: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.import_file", str(file), f"sqlite:///{target}"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


def _bare_copy(source: Tracker, bare: Tracker, cases: int) -> float:
    """The seconds of the bare executemany, in one transaction, of the rows of the first
    `cases` exported cases (read a chunk at a time, outside the time)."""
    took = 0.0
    with bare.transaction() as session:
        for table, rows in _rows(source, cases):
            took += once(lambda: session.execute(insert(table), rows))  # noqa: B023
        committed = time.perf_counter()
    return took + time.perf_counter() - committed


def _rows(tracker: Tracker, cases: int, chunk: int = 10_000) -> Iterator[tuple[Any, list[Any]]]:
    """The stored definitions, and the case and event rows of the first `cases` exported cases
    (the real ones, by reference, as exported), `chunk` rows at a time."""
    tables = Base.metadata.tables
    exported = select(Case.id).where(~Case.practice).order_by(Case.reference).limit(cases)
    events = tables["events"]
    with tracker.snapshot() as session:
        for table, query in (
            (tables["workflow_definitions"], tables["workflow_definitions"].select()),
            (tables["cases"], tables["cases"].select().where(Case.id.in_(exported))),
            (events, events.select().where(events.c.case_id.in_(exported)).order_by("id")),
        ):
            result = session.execute(query.execution_options(yield_per=chunk))
            for part in result.partitions():
                yield table, [dict(r._mapping) for r in part]


def run_all(scale: Scale, log: Callable[[str], None]) -> list[Result]:
    """Every measurement; each is logged as it is taken (a long run that is cut keeps them)."""
    results = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for result in chain(reads(scale, folder, log), writes(scale, folder, log)):
            log(result.row())
            results.append(result)
    return results
