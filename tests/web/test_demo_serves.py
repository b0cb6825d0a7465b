"""`flask --app app demo` as a new user runs it: it prepares the database and really serves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_command_serves_the_seeded_cases(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "demo", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = _get(f"http://127.0.0.1:{port}/cases/LV-APMBC-2025", deadline=time.time() + 60)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "2025-06-27 + 6 months, APMBC Art. 20(3)" in page
    for role in ("viewer", "clerk", "admin"):
        assert f"{role:<7} user '{role}'" in output


def _get(url: str, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode("utf-8"))
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)
