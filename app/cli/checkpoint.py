"""`flask --app app audit checkpoint`, `audit public-key` and `audit verify --checkpoint FILE`:
signed checkpoints of the chain heads, kept and published outside the database."""

from __future__ import annotations

import json
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from flask.cli import AppGroup

from app import tracker_of
from app.cli.base import OneLineErrors, command, emit, fail
from app.services import checkpoint
from app.services.checkpoint_key import existing_key, instance_key, public_pem, read_public_key


def _key_file() -> Path:
    return Path(current_app.config["CHECKPOINT_KEY_FILE"])


@click.command(cls=OneLineErrors, name="checkpoint")
@command()
def checkpoint_command() -> None:
    """Print a signed checkpoint of every case's chain head (publish it where the database's
    admin cannot write); it is also appended to the local checkpoint log."""
    document = checkpoint.make_checkpoint(
        tracker_of(), instance_key(_key_file()), Path(current_app.config["CHECKPOINT_LOG_FILE"])
    )
    click.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))


@click.command(cls=OneLineErrors, name="public-key")
@command(needs_schema=False)
def public_key_command() -> None:
    """Print the public key that verifies this instance's checkpoints (PEM), for publishing."""
    click.echo(public_pem(instance_key(_key_file()).public_key()), nl=False)


def verify_against(file: Path, public_key: Path | None, as_json: bool) -> None:
    """`audit verify --checkpoint FILE`: exit 1 with one line per case not as FILE saw it."""
    key = _verifying_key(public_key)
    try:
        document = checkpoint.parse_checkpoint(file.read_bytes())
    except OSError as exc:
        fail(f"checkpoint: cannot read {file}: {exc.strerror or exc}")
    report = checkpoint.verify_checkpoint(tracker_of(), document, key)
    seen = f"checkpoint #{report.number} of {report.created_at}"
    if as_json:
        emit(
            {
                "intact": report.intact,
                "checkpoint": report.number,
                "created_at": report.created_at,
                "cases": report.cases,
                "events": report.events,
                "findings": report.findings,
            }
        )
    if not report.intact:
        for finding in report.findings:
            click.echo(finding, err=True)
        fail(f"{len(report.findings)} case(s) not as {seen} saw them")
    if not as_json:
        click.echo(
            f"intact: {report.events} events in {report.cases} cases; everything {seen} saw "
            f"({report.covered_events} events in {report.covered_cases} cases) is unchanged"
        )


def _verifying_key(public_key: Path | None) -> Ed25519PublicKey:
    if public_key is not None:
        return read_public_key(public_key)
    return existing_key(_key_file()).public_key()


def register(group: AppGroup) -> None:
    for cmd in (checkpoint_command, public_key_command):
        group.add_command(cmd)
