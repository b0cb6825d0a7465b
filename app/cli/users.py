"""`flask --app app users ...`: staff accounts and their personal API tokens."""

from __future__ import annotations

import sys

import click

from app import tracker_of
from app.cli.base import WHOLE_NUMBER, TrackerGroup, command, emit, json_option
from app.domain.definitions import ROLES
from app.services import tokens, users

users_group = TrackerGroup("users", help="Staff accounts and their API tokens.")


@users_group.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@json_option
@command()
def users_create(name: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Create a user; prints a generated password unless one is given on stdin."""
    given = sys.stdin.readline().rstrip("\n") if password_stdin else None
    password = users.create_user(tracker_of(), name, role, given)
    shown = None if given else password
    if as_json:
        return emit({"name": name, "role": role, "password": shown})
    click.echo(f"created {role} {name}" + (f" with password {shown}" if shown else ""))


@users_group.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, e.g. the calling system")
@click.option("--calendar", is_flag=True, help="A token that reads only the calendar feed")
@json_option
@command()
def users_token(name: str, label: str, calendar: bool, as_json: bool) -> None:
    """Create a personal API token for NAME; it is printed once and stored only hashed."""
    scope = "feed" if calendar else "api"
    token = tokens.create_token(tracker_of(), name, label, scope)
    if as_json:
        return emit({"name": name, "label": label, "scope": scope, "token": token})
    click.echo(token)
    click.echo(
        "Keep it now: it is shown only once (use it as 'Authorization: Bearer ...').", err=True
    )


@users_group.command("tokens")
@click.argument("name")
@json_option
@command()
def users_tokens(name: str, as_json: bool) -> None:
    """List NAME's API tokens (their first characters, never the tokens)."""
    found = [t.to_json() for t in tokens.list_tokens(tracker_of(), name)]
    if as_json:
        return emit(found)
    for t in found:
        state = "revoked" if t["revoked"] else f"last used {t['last_used_at'] or 'never'}"
        click.echo(f"{t['id']:>4} {t['prefix']}... {t['label'] or '-':<24} {state}")


@users_group.command("revoke-token")
@click.argument("name")
@click.argument("token_id", type=WHOLE_NUMBER)
@command()
def users_revoke_token(name: str, token_id: int) -> None:
    """Revoke NAME's token TOKEN_ID (from `users tokens NAME`); it stops working at once."""
    tokens.revoke_token(tracker_of(), name, token_id)
    click.echo(f"revoked token {token_id} of {name}")
