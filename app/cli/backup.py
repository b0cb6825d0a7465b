"""`flask --app app backup FILE` and `restore FILE`: the whole database in one file."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask

from app import tracker_of
from app.cli.base import OneLineErrors, command, emit, fail, json_option
from app.services import backup


@click.command(cls=OneLineErrors, name="backup")
@click.argument("file")
@json_option
@command()
def backup_command(file: str, as_json: bool) -> None:
    """Write everything to FILE (- for stdout) as one consistent snapshot; the server may run."""
    to_stdout = file == "-"
    try:
        # atomic: the file appears complete or not at all; a failed backup leaves no fragment.
        with click.open_file(file, "wb", atomic=not to_stdout) as out:
            summary = backup.write_backup(tracker_of(), out)
    except OSError as exc:
        fail(f"file: cannot write {file}: {exc.strerror or exc}")
    if as_json:
        # With FILE -, stdout is the backup: the summary goes to stderr.
        data = json.dumps(summary.to_json(), indent=2, ensure_ascii=False)
        return click.echo(data, err=to_stdout)
    click.echo(f"backed up {summary}", err=to_stdout)


@click.command(cls=OneLineErrors, name="restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@command()
def restore_command(file: Path, as_json: bool) -> None:
    """Restore FILE into an empty migrated database, after checking it and every hash chain."""
    try:
        summary = backup.restore_backup(tracker_of(), file)
    except OSError as exc:
        fail(f"file: cannot read {file}: {exc.strerror or exc}")
    if as_json:
        return emit(summary.to_json())
    click.echo(f"restored {summary} (backup of {summary.created_at})")


def register(app: Flask) -> None:
    for cmd in (backup_command, restore_command):
        app.cli.add_command(cmd)
