"""`flask --app app demo` as a new user runs it: it prepares the database, prints one login per
role, and really serves: the printed clerk password signs in and Latvia's case shows."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.conftest import REPO

USER_LINE = re.compile(r"^\s+(viewer|clerk|admin)\s+user '([^']+)'\s+password (\S+)\s*$", re.M)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_logins(server: subprocess.Popen[str], deadline: float) -> dict[str, str]:
    assert server.stdout is not None
    output = ""
    while time.time() < deadline and "serving on" not in output:
        output += server.stdout.readline()
    return {role: password for role, _name, password in USER_LINE.findall(output)}


def test_demo_serves_and_the_printed_clerk_password_signs_in(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
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
        logins = _wait_for_logins(server, time.time() + 60)
        assert set(logins) == {"viewer", "clerk", "admin"}
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        sign_in = _get(browser, f"{base}/login", deadline=time.time() + 30)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', sign_in)
        assert token is not None
        form = {"csrf_token": token.group(1), "name": "clerk", "password": logins["clerk"]}
        browser.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=10)
        page = _get(browser, f"{base}/cases/LV-APMBC-2025", deadline=time.time() + 10)
    finally:
        server.terminate()
        server.communicate(timeout=10)
    assert "Signed in as <strong>clerk</strong>" in page
    assert "2025-06-27 + 6 months, APMBC Art. 20(3)" in page


def _get(browser: urllib.request.OpenerDirector, url: str, deadline: float) -> str:
    while True:
        try:
            with browser.open(url, timeout=5) as response:
                return str(response.read().decode("utf-8"))
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)
