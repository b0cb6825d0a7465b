"""Personal API tokens as their owners manage them: the CLI and the settings page."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskCliRunner

from app.services import tokens
from app.services.context import Tracker
from tests.web.conftest import PRACTICE, SignIn, html_of, post

BEARER = re.compile(r"wt_[A-Za-z0-9_-]{40,}")


def _api_status(app: Flask, token: str) -> int:
    response = app.test_client().get(
        f"/api/v1/cases/{PRACTICE}", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def test_cli_token_is_printed_once_works_and_is_revoked(
    app: Flask, cli: FlaskCliRunner, practice: Tracker
) -> None:
    made = cli.invoke(args=["users", "token", "clerk", "--label", "registry"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert BEARER.fullmatch(token)
    assert _api_status(app, token) == 200

    listed = cli.invoke(args=["users", "tokens", "clerk"])
    assert token[:10] in listed.stdout and "registry" in listed.stdout
    assert token not in listed.stdout  # only its first characters are ever shown again

    token_id = tokens.list_tokens(practice, "clerk")[0].id
    revoked = cli.invoke(args=["users", "revoke-token", "clerk", str(token_id)])
    assert revoked.exit_code == 0
    assert _api_status(app, token) == 401


def test_cli_token_bad_input_is_one_error_line(cli: FlaskCliRunner, practice: Tracker) -> None:
    for args, field in (
        (["users", "token", "nobody"], "user:"),
        (["users", "revoke-token", "clerk", "99"], "token:"),
        (["users", "token", "clerk", "--label", "x" * 81], "label:"),
    ):
        result = cli.invoke(args=args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("error: ") and field in result.stderr, result.stderr
    assert tokens.list_tokens(practice, "clerk") == []


def test_settings_page_creates_shows_once_and_revokes_a_token(
    app: Flask, signed_in: SignIn, practice: Tracker
) -> None:
    client = signed_in("viewer")
    created = post(client, "/settings/tokens", {"label": "my calendar"})
    assert created.status_code == 201
    token = BEARER.search(html_of(created))
    assert token is not None
    # the feed's address on a line of its own: copied whole, no sentence's full stop comes along
    assert f"calendar.ics?token={token.group(0)}</code></p>" in html_of(created)
    assert _api_status(app, token.group(0)) == 200

    page = html_of(client.get("/settings"))
    assert "my calendar" in page and token.group(0) not in page

    token_id = tokens.list_tokens(practice, "viewer")[0].id
    revoked = post(client, f"/settings/tokens/{token_id}/revoke")
    assert revoked.status_code == 302
    assert _api_status(app, token.group(0)) == 401


def test_nobody_revokes_another_users_token(signed_in: SignIn, practice: Tracker) -> None:
    tokens.create_token(practice, "admin", "theirs")
    theirs = tokens.list_tokens(practice, "admin")[0].id
    response = post(signed_in("clerk"), f"/settings/tokens/{theirs}/revoke")
    assert response.status_code == 404
    assert tokens.list_tokens(practice, "admin")[0].revoked_at is None


def test_a_calendar_token_reads_the_feed_and_nothing_else(
    app: Flask, signed_in: SignIn, practice: Tracker
) -> None:
    client = signed_in("clerk")
    created = post(client, "/settings/tokens", {"label": "phone", "scope": "feed"})
    assert created.status_code == 201
    found = BEARER.search(html_of(created))
    assert found is not None
    feed = app.test_client().get(f"/calendar.ics?token={found.group(0)}")
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.data
    assert _api_status(app, found.group(0)) == 401  # it cannot act as the clerk
    assert tokens.list_tokens(practice, "clerk")[0].scope == "feed"


def test_an_api_token_also_reads_the_feed(app: Flask, practice: Tracker) -> None:
    token = tokens.create_token(practice, "viewer", "registry")
    assert app.test_client().get(f"/calendar.ics?token={token}").status_code == 200
