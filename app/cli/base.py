"""What every command shares: one-line errors, the schema check, --json, argument parsing."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import check_schema
from app.domain.clock import parse_date
from app.domain.errors import DomainError, InvalidInput
from app.persistence.migrate import SchemaNotCurrent
from app.persistence.models import INT_MAX, SYSTEM_ACTOR

F = TypeVar("F", bound=Callable[..., Any])
# A version, seq or id: range-checked by click, before it reaches SQL.
WHOLE_NUMBER = click.IntRange(1, INT_MAX)
USAGE_EXIT = 2


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, then exit non-zero."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class OneLineErrors(click.Command):
    """Click's usage errors (a missing option, a bad choice) as one line, like every other."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            fail(f"{exc.format_message()} (see --help)", USAGE_EXIT)


class TrackerGroup(AppGroup):
    """A command group whose commands and unknown-subcommand errors speak in one line."""

    command_class = OneLineErrors

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            fail(f"{exc.format_message()} (see --help)", USAGE_EXIT)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            fail(f"{exc.format_message()} (see --help)", USAGE_EXIT)


def command(needs_schema: bool = True) -> Callable[[F], F]:
    """Turn domain errors into one line on stderr; check the schema before touching data."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                if needs_schema:
                    check_schema(current_app)
                return fn(*args, **kwargs)
            except (DomainError, SchemaNotCurrent) as exc:
                fail(str(exc))
            except OperationalError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                fail(f"database: cannot use {_database(current_app)}: {reason}")

        return with_appcontext(run)  # type: ignore[return-value]

    return wrap


def _database(app: Flask) -> str:
    return make_url(app.config["DATABASE_URL"]).render_as_string(hide_password=True)


def _person(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value == SYSTEM_ACTOR:
        raise click.BadParameter(
            f"{SYSTEM_ACTOR!r} is the tracker's own actor (the sweep, seeded history); "
            "give your user name"
        )
    return value


by_option = click.option(
    "--by", "actor", required=True, callback=_person, help="Your user name: who records this"
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def day(value: str | None, field: str) -> date | None:
    return parse_date(value, field) if value else None


def evidence_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    """--evidence KEY=VALUE options as a mapping."""
    evidence = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"evidence: {pair!r} is not KEY=VALUE", field="evidence")
        evidence[key.strip()] = value
    return evidence
