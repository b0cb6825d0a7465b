"""`flask --app app ...` commands: thin wrappers over the services.

Every error is one line on stderr and a non-zero exit; the services' transactions make sure the
database is unchanged when a command fails.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from werkzeug.serving import run_simple

from app import tracker_of
from app.cli import backup as cli_backup
from app.cli import checkpoint as cli_checkpoint
from app.cli.base import (
    USAGE_EXIT,
    WHOLE_NUMBER,
    OneLineErrors,
    TrackerGroup,
    by_option,
    command,
    day,
    emit,
    evidence_pairs,
    fail,
    json_option,
)
from app.cli.groups import groups_group
from app.cli.text import print_case, print_cases, print_pending, stage_label, step_words
from app.cli.transfer import cases_export, cases_import
from app.cli.users import users_group
from app.domain.loader import load_registry
from app.persistence import migrate
from app.persistence.models import SYSTEM_ACTOR
from app.services import audit, case_filter, case_list, cases, demo, queries
from app.services.paging import practice_filter
from app.services.views import workflow_json

db_group = TrackerGroup("db", help="Database schema (Alembic).")
cases_group = TrackerGroup("cases", help="Withdrawal cases.")
audit_group = TrackerGroup("audit", help="The event log and its hash chains.")
workflows_group = TrackerGroup("workflows", help="Workflow definitions under workflows/.")


@db_group.command("upgrade")
@command(needs_schema=False)
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    migrate.upgrade(current_app.config["MIGRATIONS_DIR"], current_app.config["DATABASE_URL"])
    click.echo("database is at the newest schema")


@cases_group.command("open")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. LV")
@click.option("--treaty", required=True, help="Treaty code, e.g. apmbc")
@click.option("--by", "actor", default=SYSTEM_ACTOR, help="The user opening the case")
@click.option("--workflow", help="A workflow name; default: the country's own or generic")
@click.option(
    "--began-on",
    help="When the procedure began (2025-05-01 or '1 May 2025'), if before today; its year is "
    "in the reference",
)
@click.option("--note", default="", help="What opened the case, with its source")
@click.option(
    "--in-force-since",
    help="The day the treaty entered into force for the State (YYYY-MM-DD), where notice is "
    "allowed only years later (Paris Agreement Art. 28(1), UNFCCC Art. 25(1))",
)
@click.option(
    "--allow-duplicate",
    is_flag=True,
    help="Open it even though a case of the country, treaty and kind is open or took effect",
)
@json_option
@command()
def cases_open(
    country: str,
    treaty: str,
    actor: str,
    workflow: str | None,
    began_on: str | None,
    note: str,
    in_force_since: str | None,
    allow_duplicate: bool,
    as_json: bool,
) -> None:
    """Open a case record (today) at its workflow's first stage; then record the steps already
    taken, at their own dates. A second case of the same country, treaty and kind, while one
    is open or after one took effect, is refused, naming it, unless --allow-duplicate."""
    view = cases.open_case(
        tracker_of(), country, treaty, actor, workflow, day(began_on, "began_on"), note,
        in_force_since=day(in_force_since, "in_force_since"), allow_duplicate=allow_duplicate,
    )  # fmt: skip
    emit(view.to_json()) if as_json else click.echo(f"opened {view.reference}")


@cases_group.command("list")
@click.option("--search", help="A reference, or a country's name or code")
@click.option("--kind", help="Only cases of this kind (withdrawal, suspension_claim, ...)")
@click.option("--treaty", help="Only cases under this treaty")
@click.option("--country", help="Only cases of this country")
@click.option("--stage", "--state", "stage", help="Only cases in this stage")
@click.option("--status", type=click.Choice(case_filter.STATUSES), help="Open or closed cases")
@click.option("--practice", is_flag=True, help="Include the practice cases")
@click.option("--sort", type=click.Choice(sorted(case_list.SORTS)), default="reference")
@json_option
@command()
def cases_list(
    search: str | None,
    kind: str | None,
    treaty: str | None,
    country: str | None,
    stage: str | None,
    status: str | None,
    practice: bool,
    sort: str,
    as_json: bool,
) -> None:
    """List every case, open or closed, that matches."""
    where = case_filter.CaseFilter(
        search, kind, treaty, country, stage, status, practice_filter(practice)
    )
    rows = list(case_list.every_case(tracker_of(), where, sort))
    emit(rows) if as_json else print_cases(rows, click.echo)


@cases_group.command("show")
@click.argument("reference")
@click.option("--as-of", help="Show the case as it stood on this date (YYYY-MM-DD)")
@json_option
@command()
def cases_show(reference: str, as_of: str | None, as_json: bool) -> None:
    """Show a case: stage, dates and how they were computed, next steps, history."""
    view = queries.get_case(tracker_of(), reference, day(as_of, "as_of"))
    emit(view.to_json()) if as_json else print_case(view.to_json(), click.echo)


@cases_group.command("advance")
@click.argument("reference")
@click.argument("trigger")
@click.option("--on", "occurred_on", required=True, help="YYYY-MM-DD, or EARLIEST..LATEST")
@by_option
@click.option("--comment", default="")
@click.option("--evidence", multiple=True, metavar="KEY=VALUE")
@click.option(
    "--expected-version", type=WHOLE_NUMBER, help="Fail if the case moved past this version"
)
@json_option
@command()
def cases_advance(
    reference: str,
    trigger: str,
    occurred_on: str,
    actor: str,
    comment: str,
    evidence: tuple[str, ...],
    expected_version: int | None,
    as_json: bool,
) -> None:
    """Record a step of a case."""
    view = cases.advance(
        tracker_of(),
        reference,
        trigger,
        occurred_on,
        actor,
        comment,
        evidence_pairs(evidence),
        expected_version,
    )
    emit(view.to_json()) if as_json else click.echo(
        f"{view.reference}: {step_words(view)}, now at {stage_label(view)} (version {view.version})"
    )


@cases_group.command("correct")
@click.argument("reference")
@click.argument("seq", type=WHOLE_NUMBER)
@by_option
@click.option("--reason", required=True)
@click.option("--on", "occurred_on", help="The corrected date (or EARLIEST..LATEST)")
@click.option("--evidence", multiple=True, metavar="KEY=VALUE", help="KEY= removes a key")
@click.option("--comment", help="The corrected comment")
@json_option
@command()
def cases_correct(
    reference: str,
    seq: int,
    actor: str,
    reason: str,
    occurred_on: str | None,
    evidence: tuple[str, ...],
    comment: str | None,
    as_json: bool,
) -> None:
    """Admin: correct event SEQ's date, evidence or comment by a new event."""
    amended = {k: (v if v != "" else None) for k, v in evidence_pairs(evidence).items()}
    view = cases.correct(tracker_of(), reference, seq, actor, reason, occurred_on, amended, comment)
    emit(view.to_json()) if as_json else click.echo(f"{view.reference}: event {seq} corrected")


@cases_group.command("undo")
@click.argument("reference")
@by_option
@click.option("--reason", required=True)
@json_option
@command()
def cases_undo(reference: str, actor: str, reason: str, as_json: bool) -> None:
    """Admin: return the case to its previous stage by a new event."""
    view = cases.undo_last(tracker_of(), reference, actor, reason)
    emit(view.to_json()) if as_json else click.echo(
        f"{view.reference}: back to {stage_label(view)}"
    )


@click.command(cls=OneLineErrors, name="sweep")
@click.option("--today", help="Sweep as of this (past) date; default today")
@json_option
@command()
def sweep(today: str | None, as_json: bool) -> None:
    """Fire take_effect / suspend_for_armed_conflict on every case whose date has come."""
    results = cases.sweep(tracker_of(), day(today, "today"))
    if as_json:
        return emit(results)
    for r in results:
        click.echo(
            f"{r['case']}: "
            + (f"{r['label']} on {r['on']}" if "trigger" in r else f"skipped: {r['skipped']}")
        )
    click.echo(f"{sum('trigger' in r for r in results)} case(s) advanced")


@click.command(cls=OneLineErrors, name="pending")
@click.option("--as-of", help="The situation on this past date (YYYY-MM-DD)")
@click.option("--practice", is_flag=True, help="Include the practice cases")
@json_option
@command()
def pending(as_of: str | None, practice: bool, as_json: bool) -> None:
    """Every open case with its next steps and next date (practice cases on request)."""
    as_of_day = day(as_of, "as_of")
    reference_day = as_of_day or tracker_of().today()
    found = queries.pending(tracker_of(), as_of_day, practice=practice_filter(practice))
    items = [p.to_json(reference_day) for p in found]
    emit(items) if as_json else print_pending(items, click.echo)


@click.command(cls=OneLineErrors, name="seed-demo")
@json_option
@command()
def seed_demo(as_json: bool) -> None:
    """Add the real 2016-2025 cases and one practice case per workflow (idempotent)."""
    added = demo.seed_demo(tracker_of())
    if as_json:
        return emit({"added": added})
    click.echo(f"{len(added)} case(s) added" + (": " + ", ".join(added) if added else ""))


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also prove that everything this signed checkpoint saw is still there, unchanged",
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The published key to check the checkpoint's signature with (default: this instance's)",
)
@json_option
@command()
def audit_verify(checkpoint: Path | None, public_key: Path | None, as_json: bool) -> None:
    """Check every case's hash chain; exit 1 naming the first broken event (with --checkpoint,
    every case that is not as the checkpoint saw it)."""
    if checkpoint is not None:
        return cli_checkpoint.verify_against(checkpoint, public_key, as_json)
    if public_key is not None:
        fail("--public-key checks a checkpoint: give --checkpoint FILE too", USAGE_EXIT)
    result = audit.verify_audit(tracker_of())
    broken = result.first_break
    if as_json:
        emit(
            {
                "intact": broken is None,
                "cases": result.cases,
                "events": result.events,
                "first_break": None if broken is None else str(broken),
            }
        )
    if broken is not None:
        fail(f"audit chain broken at {broken}")
    if not as_json:
        click.echo(f"intact: {result.events} events in {result.cases} cases")


@audit_group.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice(audit.EXPORT_FORMATS))
@command()
def audit_export(fmt: str) -> None:
    """Stream the whole event log to stdout."""
    for chunk in audit.export_events(tracker_of(), fmt):
        sys.stdout.write(chunk)


@click.command(cls=OneLineErrors, name="demo")
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the demo database and stop.")
@command(needs_schema=False)
def demo_command(port: int, no_serve: bool) -> None:
    """Migrate, seed the demo data, create one user per role (printing the passwords), serve."""
    config = current_app.config
    migrate.upgrade(config["MIGRATIONS_DIR"], config["DATABASE_URL"])
    demo.seed_demo(tracker_of())
    click.echo(f"database: {config['DATABASE_URL']}")
    click.echo(
        "demo users (passwords are new each time `demo` runs; that revokes their API tokens):"
    )
    for name, role, password in demo.demo_users(tracker_of()):
        click.echo(f"  {role:<7} user {name!r:<9} password {password}")
    if not no_serve:
        click.echo(f"serving on http://127.0.0.1:{port}/  (Ctrl+C stops)")
        # Flask's app.run() refuses to start inside the `flask` command; serve directly.
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # the real app
        run_simple("127.0.0.1", port, app, threaded=True)


def _registry() -> Any:
    return load_registry(current_app.config["WORKFLOWS_DIR"])


@workflows_group.command("check")
@command(needs_schema=False)
def workflows_check() -> None:
    """Load and validate every file under workflows/."""
    registry = _registry()
    click.echo(f"ok: {len(registry.treaties)} treaties, {len(registry.workflows)} workflows")


@workflows_group.command("list")
@json_option
@command(needs_schema=False)
def workflows_list(as_json: bool) -> None:
    """List the composed workflows."""
    rows = [
        {"name": w.name, "version": w.version, "label": w.label}
        for w in _registry().workflows.values()
    ]
    if as_json:
        return emit(rows)
    for r in rows:
        click.echo(f"{r['name']:<34} v{r['version']:<6} {r['label']}")


@workflows_group.command("show")
@click.argument("name")
@json_option
@command(needs_schema=False)
def workflows_show(name: str, as_json: bool) -> None:
    """Show a workflow's stages and steps."""
    data = workflow_json(_registry().workflow(name))
    if as_json:
        return emit(data)
    click.echo(f"{data['name']} v{data['version']}: {data['label']}")
    for t in data["transitions"]:
        click.echo(f"  {t['trigger']:<28} {', '.join(t['sources'])} -> {t['dest']}")


def register(app: Flask) -> None:
    for cmd in (cases_import, cases_export):
        cases_group.add_command(cmd)
    for group in (db_group, users_group, cases_group, groups_group, audit_group, workflows_group):
        app.cli.add_command(group)
    for cmd in (sweep, pending, seed_demo, demo_command):
        app.cli.add_command(cmd)
    cli_backup.register(app)
    cli_checkpoint.register(audit_group)
