"""Advances over HTTP: the API's `POST /api/v1/cases/REF/events` with a token, under gunicorn
with 2 workers on a SQLite file, against a bare Flask route of the same server, both driven by
wrk (Debian's package `wrk`) with the same threads and connections, in alternating rounds."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from app.persistence.models import Case
from app.services.context import Tracker
from app.services.tokens import create_token
from app.services.users import create_user
from tests.benchmarks.data import build_cases
from tests.benchmarks.harness import Result
from tests.conftest import PASSWORD
from tests.stress.server import Gunicorn

WORKERS, THREADS, CONNECTIONS = 2, 2, 4
CASES = 40  # the connections spread over them, so that few advances meet on one case
EVENTS = 200  # each case's history when the run starts

# Each wrk thread walks the cases from its own offset, a reading at a time; a 409 (two
# advances met on one case) is counted by wrk as a non-2xx answer and reported.
SCRIPT = """
local refs = {%(refs)s}
local offset, n, started = 0, 0, 0
function setup(thread) thread:set("offset", started * 7); started = started + 1 end
function request()
  n = n + 1
  local ref = refs[((offset + n) %% #refs) + 1]
  local body = '{"trigger":"record_reading","occurred_on":"2025-02-01",' ..
    '"evidence":{"chamber":"Parliament","reading":' .. n .. '}}'
  return wrk.format("POST", "/api/v1/cases/" .. ref .. "/events",
    {["Authorization"] = "Bearer %(token)s", ["Content-Type"] = "application/json"}, body)
end
"""


def http_advances(
    tracker: Tracker, url: str, backend: str, folder: Path, seconds: int, rounds: int
) -> Iterator[Result]:
    """The ratio of advances per second to bare requests per second, on the database at `url`
    that `tracker` has migrated (skipped, and said so, without wrk)."""
    if shutil.which("wrk") is None:
        print("advance over HTTP: skipped, wrk is not installed (apt-get install wrk)")
        return
    create_user(tracker, "clerk", "clerk", PASSWORD)
    build_cases(tracker, CASES, readings=EVENTS - 2, finish=False)
    refs = _references(tracker)
    script = folder / "advance.lua"
    token = create_token(tracker, "clerk")
    script.write_text(SCRIPT % {"refs": ",".join(json.dumps(r) for r in refs), "token": token})
    server = Gunicorn(url, folder / "gunicorn.log", workers_wanted=WORKERS,
                      app="tests.benchmarks.http_app:app")  # fmt: skip
    server.start()
    try:
        runs = [
            (_wrk(server.base + "/bench/bare", seconds), _wrk(server.base, seconds, script))
            for _ in range(rounds)
        ]
    finally:
        server.stop()
    bare = statistics.median(b[0] for b, _ in runs)
    advance = statistics.median(a[0] for _, a in runs)
    refused = sum(a[1] for _, a in runs)
    yield Result(
        f"advance over HTTP, {backend}, gunicorn {WORKERS} workers, cases of {EVENTS} events",
        advance,
        bare, "req/s", 0.3, True, f"({refused} answered 409: two advances met on one case)",
    )  # fmt: skip


def _references(tracker: Tracker) -> list[str]:
    with tracker.snapshot() as session:
        return list(session.scalars(select(Case.reference)))


def _wrk(address: str, seconds: int, script: Path | None = None) -> tuple[float, int]:
    """wrk's requests per second, and how many answers were not 2xx or 3xx."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    command += ["-s", str(script)] if script else []
    out = subprocess.run([*command, address], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    refused = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(refused.group(1)) if refused else 0


def main() -> None:
    """`python -m tests.benchmarks.over_http [--seconds S] [--rounds N]`: the figure alone, on
    a SQLite file and, with TEST_DATABASE_URL, on a PostgreSQL schema of its own."""
    import argparse
    import os
    import tempfile

    from tests.benchmarks.suite import tracker_on
    from tests.conftest import postgres_schema

    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.over_http")
    parser.add_argument("--seconds", type=int, default=5, help="each wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    asked = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)

        def show(url: str, backend: str) -> None:
            tracker = tracker_on(url)
            for found in http_advances(tracker, url, backend, folder, asked.seconds, asked.rounds):
                print(found.row(), f"(load average {os.getloadavg()[0]:.1f})", flush=True)

        show(f"sqlite:///{folder / 'http.sqlite3'}", "SQLite")
        if os.environ.get("TEST_DATABASE_URL"):
            with postgres_schema() as url:
                show(url, "PostgreSQL")


if __name__ == "__main__":
    main()
