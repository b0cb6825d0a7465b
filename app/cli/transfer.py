"""`cases import` and `cases export`: case histories from and to JSON lines or CSV files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app import tracker_of
from app.cli.base import OneLineErrors, by_option, command, emit, fail, json_option
from app.services import transfer


def _format_of(path: str, fmt: str | None) -> str:
    """The format asked for, else the file's extension (.csv), else JSON lines."""
    return fmt or ("csv" if path.lower().endswith(".csv") else "jsonl")


@click.command("import", cls=OneLineErrors)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@by_option
@click.option("--format", "fmt", type=click.Choice(transfer.FORMATS), help="Default: by extension")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@json_option
@command()
def cases_import(file: Path, actor: str, fmt: str | None, dry_run: bool, as_json: bool) -> None:
    """Import cases with their steps; each case is written whole or not at all."""
    with (
        file.open("rb") as stream,
        click.progressbar(
            length=file.stat().st_size,
            label="importing",
            file=sys.stderr,
            hidden=not sys.stderr.isatty(),  # a bar on a terminal, nothing in a log or a pipe
        ) as bar,
    ):
        report = transfer.import_cases(
            tracker_of(), stream, _format_of(file.name, fmt), actor, dry_run, bar.update
        )
    for refusal in report.refused:
        click.echo(f"refused: {refusal.message}", err=True)
    if as_json:
        emit(report.to_json())
    else:
        verb = "would import" if dry_run else "imported"
        click.echo(
            f"{verb} {len(report.cases)} cases ({report.steps} steps); skipped "
            f"{len(report.skipped)} already present; refused {len(report.refused)}"
        )
    if report.refused:
        sys.exit(1)


@click.command("export", cls=OneLineErrors)
@click.option("--format", "fmt", type=click.Choice(transfer.FORMATS), default="jsonl")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout")
@command()
def cases_export(fmt: str, output: Path | None) -> None:
    """Write every case (practice cases aside) with its steps, in the import's format."""
    if output is None:
        transfer.export_cases(tracker_of(), fmt, sys.stdout)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as out:
            written = transfer.export_cases(tracker_of(), fmt, out)
    except OSError as exc:
        fail(f"output: {exc.strerror}: {output}")
    click.echo(f"exported {written} cases to {output}", err=True)
