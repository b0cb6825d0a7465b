"""Hostile input and careless deployment: formulas in exports, no 5xx from odd input, host
headers, refusals to start unsafely, and sessions that time out."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app import create_app
from app.services import users
from app.services.cases import advance
from app.services.context import Tracker
from app.services.spreadsheet import FORMULA_STARTS
from app.services.tokens import create_token, list_tokens
from app.services.users import set_password
from config import UnsafeConfig
from tests.conftest import REPO
from tests.web.conftest import (
    PRACTICE,
    ROLES,
    SignIn,
    html_of,
    location,
    post,
    sign_in,
    token_in,
)

Headers = dict[str, str]


@pytest.fixture
def bearer(tracker: Tracker) -> dict[str, Headers]:
    """The Authorization header of a fresh API token for each user."""
    return {r: {"Authorization": f"Bearer {create_token(tracker, r)}"} for r in ROLES}


FORMULAS = ('=HYPERLINK("http://x")', "+1+1", "-1+1", "@SUM(A1)")

# ------------------------------------------------------------------- formulas in CSV exports


@pytest.fixture
def formulas(practice: Tracker) -> Tracker:
    """The practice case with one step whose comment and evidence are each a formula."""
    advance(practice, PRACTICE, "submit_to_parliament", "2026-01-05", "clerk", FORMULAS[0])
    for n, formula in enumerate(FORMULAS[1:], start=1):
        advance(
            practice, PRACTICE, "record_reading", f"2026-02-0{n}", "clerk", formula,
            {"chamber": formula, "reading": str(n)},
        )  # fmt: skip
    return practice


def _assert_no_formula_cells(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    comments = {row["comment"] for row in rows if row["case"] == PRACTICE}
    assert {"'" + f for f in FORMULAS} <= comments
    return rows


def test_web_csv_export_makes_formulas_text(formulas: Tracker, signed_in: SignIn) -> None:
    response = signed_in("viewer").get("/audit/export.csv?practice=1")
    assert response.status_code == 200
    rows = _assert_no_formula_cells(response.get_data(as_text=True))
    evidence = [json.loads(r["evidence"]) for r in rows if r["trigger"] == "record_reading"]
    assert {e["chamber"] for e in evidence} == set(FORMULAS[1:])  # inside JSON: verbatim


def test_cli_csv_export_makes_formulas_text(formulas: Tracker, cli: FlaskCliRunner) -> None:
    result = cli.invoke(args=["audit", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    _assert_no_formula_cells(result.stdout)


def test_json_export_keeps_formulas_verbatim(formulas: Tracker, app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "export", "--format", "json"])
    comments = {e["comment"] for e in json.loads(result.stdout) if e["case"] == PRACTICE}
    assert set(FORMULAS) <= comments


# ------------------------------------------------------------------ no 5xx from hostile input


def _nested(depth: int) -> bytes:
    return b'{"trigger": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


@pytest.mark.parametrize("depth", [400, 700, 980])
@pytest.mark.parametrize("url", ["/api/v1/cases", f"/api/v1/cases/{PRACTICE}/events"])
def test_deeply_nested_json_is_a_400_in_the_api_shape(
    practice: Tracker, bearer: dict[str, Headers], app: Flask, url: str, depth: int
) -> None:
    response = app.test_client().post(
        url, data=_nested(depth), headers={**bearer["admin"], "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    # the field when the parser could read it all; "body" when it is deeper than it recurses
    assert error["field"] in ("trigger", "body") and "nested deeper than" in error["message"]
    assert set(error) >= {"code", "message", "field"}


BAD_PAGES = ["²", "99999999999999999999", "0", "-1", "1.5", "x"]


BAD_POSITIONS = ["²", "99999999999999999999", "2026-01-01T00:00:00.000000Z~x", "~1", "x~1"]


@pytest.mark.parametrize("value", BAD_POSITIONS)
@pytest.mark.parametrize("name", ["older_than", "newer_than"])
def test_a_bad_audit_page_position_is_a_400_naming_it(
    practice: Tracker, signed_in: SignIn, name: str, value: str
) -> None:
    response = signed_in("viewer").get("/audit", query_string={name: value})
    assert response.status_code == 400
    label = f"Page position ({name.replace('_', ' ')})"  # the page names it by its label
    assert f"{label}: {value!r} is not a position in the log" in unescape(html_of(response))


@pytest.mark.parametrize("value", BAD_PAGES)
@pytest.mark.parametrize("name", ["page", "per_page"])
@pytest.mark.parametrize("url", ["/api/v1/cases", "/api/v1/pending"])
def test_a_bad_api_page_is_a_400_naming_the_field_and_range(
    practice: Tracker, bearer: dict[str, Headers], app: Flask, url: str, name: str,
    value: str,
) -> None:  # fmt: skip
    response = app.test_client().get(url, query_string={name: value}, headers=bearer["viewer"])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == name
    assert error["message"].startswith(f"{name}: a whole number from 1 to ")


HUGE = "1" + "0" * 4999


@pytest.mark.parametrize("version", ["²", HUGE, str(2**31), "-1", "1x"])
def test_a_bad_expected_version_in_the_step_form_is_refused_naming_it(
    practice: Tracker, signed_in: SignIn, version: str
) -> None:
    clerk = signed_in("clerk")
    data = {"trigger": "submit_to_parliament", "occurred_on": "2026-01-05"}
    response = post(clerk, f"/cases/{PRACTICE}/steps", {**data, "expected_version": version})
    assert 400 <= response.status_code < 500
    page = unescape(html_of(response))
    assert "The case's version the form was made from: a whole number from 1 to 2147483647" in page
    assert "Recorded:" not in html_of(response)


@pytest.mark.parametrize(
    "raw", [b"2147483648", b"-1", b"1" + b"0" * 4999, b"1e400", b'"\\u00b2"', b"true"]
)
def test_a_bad_expected_version_in_the_api_is_a_400_naming_it(
    practice: Tracker, bearer: dict[str, Headers], app: Flask, raw: bytes
) -> None:
    body = b'{"trigger": "submit_to_parliament", "occurred_on": "2026-01-05", '
    response = app.test_client().post(
        f"/api/v1/cases/{PRACTICE}/events",
        data=body + b'"expected_version": ' + raw + b"}",
        headers={**bearer["clerk"], "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "expected_version"


@pytest.mark.parametrize(
    "target",
    [
        "/a\nb",
        "/a\rb",
        "/a\tb",
        "/a\x7fb",
        "/\\evil.example",
        "/\\\\evil.example",
        "//evil.example",
        "///evil.example",
        "/%0a/evil",
        "https://evil.example",
        " //evil.example",
        "\x01//evil.example",
        "/a\u2028b",
        "/a\u0085b",
    ],
)  # fmt: skip  (NUL is refused at the door with a 400, test_security)
def test_sign_in_next_never_fails_nor_leaves_the_site(app: Flask, target: str) -> None:
    client = app.test_client()
    response = sign_in(client, "viewer", next_url=target)
    assert response.status_code == 302
    goes_to = location(response)
    parts = urlsplit(goes_to)
    assert not parts.netloc or parts.netloc == "localhost"
    assert goes_to.startswith("/") and not goes_to.startswith("//")
    assert not any(ord(c) < 0x20 or c in "\\\x7f" for c in goes_to)
    assert client.get(goes_to).status_code in (200, 404)  # followed, it stays here


@pytest.mark.parametrize(
    "url", ["/cases/{ref}/events/99999999999999999999/correction",
            "/settings/tokens/99999999999999999999/revoke"],
)  # fmt: skip
def test_huge_ids_in_addresses_are_not_a_500(
    practice: Tracker, signed_in: SignIn, url: str
) -> None:
    admin = signed_in("admin")
    response = post(admin, url.format(ref=PRACTICE), {"reason": "typo", "comment": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "args",
    [["cases", "correct", PRACTICE, "99999999999999999999", "--by", "admin", "--reason", "x"],
     ["cases", "advance", PRACTICE, "submit_to_parliament", "--on", "2026-01-05", "--by",
      "clerk", "--expected-version", str(2**31)],
     ["users", "revoke-token", "clerk", "99999999999999999999"]],
)  # fmt: skip
def test_cli_numbers_out_of_range_are_usage_errors(
    practice: Tracker, cli: FlaskCliRunner, args: list[str]
) -> None:
    result = cli.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert "is not in the range 1<=x<=2147483647" in result.stderr


# ------------------------------------------------------------------------------ Host header

EVIL = "http://evil.example"


@pytest.mark.parametrize("url", ["/login", "/api/docs", "/calendar.ics?token=x", "/api/v1/cases"])
def test_a_request_for_an_untrusted_host_is_a_400(app: Flask, url: str) -> None:
    response = app.test_client().get(url, base_url=EVIL)
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)


@pytest.mark.parametrize("base", ["http://localhost", "http://127.0.0.1:5000"])
def test_the_demo_hosts_are_trusted_by_default(app: Flask, base: str) -> None:
    assert app.test_client().get("/login", base_url=base).status_code == 200


@pytest.fixture
def public_app(app: Flask) -> Flask:
    """The app as deployed: reached at https://tracker.example.org, also under another name."""
    app.config.update(
        PUBLIC_URL="https://tracker.example.org", TRUSTED_HOSTS=["localhost", "alias"]
    )
    return app


def test_calendar_links_use_the_public_url_not_the_host_header(
    public_app: Flask, seeded: Tracker
) -> None:
    token = create_token(seeded, "viewer", scope="feed")
    response = public_app.test_client().get(
        "/calendar.ics", query_string={"token": token}, base_url="http://alias"
    )
    feed = response.get_data(as_text=True).replace("\r\n ", "")
    assert response.status_code == 200
    assert "URL:https://tracker.example.org/cases/LV-APMBC-2025" in feed
    assert "alias" not in feed


def test_api_docs_use_the_public_url_not_the_host_header(
    public_app: Flask, signed_in: SignIn
) -> None:
    page = public_app.test_client().get("/api/docs", base_url="http://alias")
    assert "https://tracker.example.org/api/v1/cases/" in html_of(page)
    assert "alias" not in html_of(page)


# ---------------------------------------------------------------------- deployment refusals

GOOD_KEY = "k" * 32


def _production(url: str, **settings: object) -> dict[str, object]:
    return {"DATABASE_URL": url, "TRACKER_ENV": "production", "DEBUG": False, **settings}


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "k" * 31}, "SECRET_KEY has 31 bytes: it needs at least 32"),
        ({"SECRET_KEY": "é" * 15}, "SECRET_KEY has 30 bytes"),
        ({"SECRET_KEY": GOOD_KEY, "DEBUG": True}, "DEBUG is on"),
    ],
)
def test_production_refuses_to_start_unsafely(
    migrated_url: str, settings: dict[str, object], named: str
) -> None:
    with pytest.raises(UnsafeConfig, match=named):
        create_app(_production(migrated_url, **settings))


def test_production_starts_with_a_long_enough_key(migrated_url: str) -> None:
    app = create_app(_production(migrated_url, SECRET_KEY=GOOD_KEY))
    assert app.config["SECRET_KEY"] == GOOD_KEY
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("settings", [{"TESTING": True}, {"TRACKER_ENV": "development"}])
def test_development_keeps_a_generated_key(migrated_url: str, settings: dict[str, object]) -> None:
    app = create_app({**_production(migrated_url, SECRET_KEY="", DEBUG=True), **settings})
    assert len(app.config["SECRET_KEY"]) >= 32
    app.extensions["db_engine"].dispose()


def _bare_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a new user's shell: no SECRET_KEY, no TRACKER_ENV, no debug."""
    unset = ("SECRET_KEY", "TRACKER_ENV", "FLASK_DEBUG", "TESTING")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'bare.sqlite3'}"}


def test_the_flask_commands_work_without_any_setting(tmp_path: Path) -> None:
    env = _bare_env(tmp_path)
    for command in (["db", "upgrade"], ["seed-demo"], ["demo", "--no-serve"]):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *command],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stderr)


def test_a_wsgi_server_without_secret_key_refuses_naming_it(tmp_path: Path) -> None:
    env = _bare_env(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=REPO, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    wsgi = "from app import create_app; create_app()"  # what gunicorn 'app:create_app()' runs
    done = subprocess.run(
        [sys.executable, "-c", wsgi], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "UnsafeConfig: SECRET_KEY is not set" in done.stderr


# ---------------------------------------------------------------------------------- sessions

HOUR = 3600.0


def _age(client: FlaskClient, signed_in_ago: float, seen_ago: float) -> None:
    """Move the session's sign-in and last activity back in time, as the server stored them."""
    with client.session_transaction() as session:
        now = time.time()
        session["signed_in_at"], session["last_seen"] = now - signed_in_ago, now - seen_ago


def test_a_session_idle_past_the_limit_is_signed_out(tracker: Tracker, signed_in: SignIn) -> None:
    clerk = signed_in("clerk")
    _age(clerk, signed_in_ago=HOUR, seen_ago=29 * 60)
    assert clerk.get("/").status_code == 200  # 29 minutes idle: still signed in
    _age(clerk, signed_in_ago=HOUR, seen_ago=31 * 60)
    response = clerk.get("/")
    assert location(response).startswith("/login")
    assert "signed out after 30 minutes without activity" in html_of(clerk.get("/login"))


def test_activity_keeps_a_session_until_its_absolute_limit(
    tracker: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    _age(clerk, signed_in_ago=11.9 * HOUR, seen_ago=60)
    assert clerk.get("/").status_code == 200
    _age(clerk, signed_in_ago=12.1 * HOUR, seen_ago=60)
    assert location(clerk.get("/")).startswith("/login")
    assert "signed out 12 hours after signing in" in html_of(clerk.get("/login"))


def test_the_limits_are_configurable(app: Flask, tracker: Tracker, signed_in: SignIn) -> None:
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    clerk = signed_in("clerk")
    _age(clerk, signed_in_ago=60, seen_ago=6 * 60)
    assert location(clerk.get("/")).startswith("/login")
    admin = signed_in("admin")
    _age(admin, signed_in_ago=1.1 * HOUR, seen_ago=60)
    assert location(admin.get("/")).startswith("/login")


def test_a_session_without_its_times_is_signed_out(tracker: Tracker, signed_in: SignIn) -> None:
    clerk = signed_in("clerk")
    with clerk.session_transaction() as session:
        del session["signed_in_at"]  # a cookie from before the times were kept
    assert location(clerk.get("/")).startswith("/login")


def test_an_idle_session_cannot_use_the_api(tracker: Tracker, signed_in: SignIn) -> None:
    viewer = signed_in("viewer")
    assert viewer.get("/api/v1/cases").status_code == 200
    _age(viewer, signed_in_ago=HOUR, seen_ago=HOUR)
    assert viewer.get("/api/v1/cases").status_code == 401


def test_every_sign_in_gets_a_fresh_server_side_token(
    app: Flask, tracker: Tracker, signed_in: SignIn
) -> None:
    first = signed_in("clerk")
    with first.session_transaction() as session:
        first_id = session["_user_id"]
    second = signed_in("clerk")
    with second.session_transaction() as session:
        assert session["_user_id"] != first_id
    # one token per user: signing in elsewhere ends the earlier session
    assert location(first.get("/")).startswith("/login")
    assert second.get("/").status_code == 200


def _live_tokens(tracker: Tracker, name: str) -> int:
    return sum(1 for t in list_tokens(tracker, name) if t.revoked_at is None)


def test_an_admins_password_reset_revokes_the_users_api_tokens(
    app: Flask, tracker: Tracker, signed_in: SignIn
) -> None:
    token = create_token(tracker, "clerk")
    create_token(tracker, "clerk", scope="feed")
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 200
    page = html_of(post(signed_in("admin"), "/users/clerk/password"))
    assert "Their sessions have ended and their 2 API tokens were revoked." in page
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 401
    assert _live_tokens(tracker, "clerk") == 0


def test_a_reset_says_when_there_was_no_token(tracker: Tracker, signed_in: SignIn) -> None:
    page = html_of(post(signed_in("admin"), "/users/viewer/password"))
    assert "they had no API token to revoke" in page


def test_a_password_change_revokes_the_api_tokens(tracker: Tracker) -> None:
    create_token(tracker, "viewer")
    assert set_password(tracker, "viewer", "another long password") == 1
    assert _live_tokens(tracker, "viewer") == 0


def test_the_demo_says_its_password_reset_revokes_tokens(cli: FlaskCliRunner) -> None:
    result = cli.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "that revokes their API tokens" in result.output


@pytest.mark.parametrize("name", ["nobody", "system"])
def test_a_sign_in_with_an_unknown_name_still_verifies_a_password_hash(
    app: Flask, tracker: Tracker, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    verified: list[str | bytes] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(users, "_hasher", CountingHasher(time_cost=1, memory_cost=8, parallelism=1))
    assert sign_in(app.test_client(), name, "some guess of a password").status_code == 401
    assert len(verified) == 1 and str(verified[0]).startswith("$argon2id$")
    assert sign_in(app.test_client(), "viewer", "some guess of a password").status_code == 401
    assert len(verified) == 2


def test_a_late_static_file_keeps_the_next_pages_csrf_token(
    app: Flask, practice: Tracker, signed_in: SignIn
) -> None:
    """Answers to requests made with the previous page's cookie can arrive after the next
    page (a browser's stylesheet, another tab): the next page's form still posts."""
    clerk = signed_in("clerk")
    before = clerk.get_cookie("session")
    assert before is not None
    page = clerk.get(f"/cases/{PRACTICE}")
    earlier = app.test_client()
    earlier.set_cookie("session", before.value)
    stylesheet = earlier.get("/static/tracker.css")
    assert stylesheet.status_code == 200 and "Set-Cookie" not in stylesheet.headers
    other_tab = earlier.get("/")  # activity: its answer sets the earlier session again
    cookie = other_tab.headers["Set-Cookie"].split(";")[0].removeprefix("session=")
    clerk.set_cookie("session", cookie)  # as a browser takes the answer that came last
    step = {"trigger": "submit_to_parliament", "occurred_on": "2025-02-01", "expected_version": "1"}
    token = token_in(html_of(page))
    done = clerk.post(f"/cases/{PRACTICE}/steps", data={**step, "csrf_token": token})
    assert done.status_code == 302, html_of(done)
