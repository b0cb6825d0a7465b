"""A gunicorn server with 4 workers on a prepared database, and a small HTTP client for the
stress tests (stdlib only: the client's own failures must not hide the server's)."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import REPO

WORKERS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gunicorn:
    """`gunicorn -w 4 'app:create_app()'` (or `app` with `workers`) on `database_url`, stopped
    by stop()."""

    database_url: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    workers_wanted: int = WORKERS
    app: str = "app:create_app()"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": secrets.token_hex(32)}
        env.pop("TRACKER_ENV", None)
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers_wanted),
                   "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout",
                   "5", self.app]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stderr=log, stdout=log)
        deadline = time.time() + 60
        while len(self.workers()) < self.workers_wanted or not self._answers():
            assert self.process.poll() is None, self.log.read_text()
            assert time.time() < deadline, "gunicorn did not start: " + self.log.read_text()
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            return call(self.base + "/login", timeout=2).status == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill_a_worker(self) -> int:
        """SIGKILL one worker (mid-request under load); gunicorn's master starts another."""
        pid = self.workers()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # quick shutdown: the load is over
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Answer:
    status: int
    body: Any


def call(
    url: str,
    data: dict[str, Any] | None = None,
    token: str | None = None,
    timeout: float = 30,
) -> Answer:
    """GET (or POST `data` as JSON) and return the status and the decoded JSON (or text). An
    answer cut off (a worker killed while it wrote it) raises ConnectionError, as a connection
    reset does: every caller counts both as a lost call."""
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, body, headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, _decoded(response.read()))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, _decoded(exc.read()))
    except http.client.HTTPException as exc:  # IncompleteRead: the body stopped short
        raise ConnectionError(f"{url}: the answer was cut off ({exc!r})") from exc


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
