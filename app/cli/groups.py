"""`flask --app app groups ...`: groups of cases, and one step recorded for all members."""

from __future__ import annotations

import click

from app import tracker_of
from app.cli.base import TrackerGroup, by_option, command, emit, evidence_pairs, json_option
from app.cli.text import table
from app.services import groups
from app.services.groups import GroupView

groups_group = TrackerGroup("groups", help="Groups of cases that act together.")


def _print(group: GroupView) -> None:
    click.echo(f"{group.name}  ({group.slug})" + (f": {group.note}" if group.note else ""))
    rows = ((m["reference"], m["country_name"], m["stage"]) for m in group.members)
    click.echo(table(("Reference", "Country", "Stage"), rows) + "\n")


@groups_group.command("create")
@click.argument("name")
@click.option("--case", "references", multiple=True, required=True, help="A member's reference")
@by_option
@click.option("--note", default="", help="Why they act together, with its source")
@json_option
@command()
def groups_create(
    name: str, references: tuple[str, ...], actor: str, note: str, as_json: bool
) -> None:
    """Group two or more cases under NAME (repeat --case)."""
    group = groups.create_group(tracker_of(), name, references, actor, note)
    emit(group.to_json()) if as_json else click.echo(f"created group {group.slug}")


@groups_group.command("list")
@json_option
@command()
def groups_list(as_json: bool) -> None:
    """List the groups and their members."""
    found = groups.list_groups(tracker_of())
    if as_json:
        return emit([g.to_json() for g in found])
    for group in found:
        _print(group)


@groups_group.command("advance")
@click.argument("slug")
@click.argument("trigger")
@click.option("--on", "occurred_on", required=True, help="YYYY-MM-DD, or EARLIEST..LATEST")
@by_option
@click.option("--comment", default="")
@click.option("--evidence", multiple=True, metavar="KEY=VALUE")
@json_option
@command()
def groups_advance(
    slug: str,
    trigger: str,
    occurred_on: str,
    actor: str,
    comment: str,
    evidence: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record one step for every member of the group SLUG: all of them, or none."""
    group = groups.record_group_step(
        tracker_of(), slug, trigger, occurred_on, actor, comment, evidence_pairs(evidence)
    )
    emit(group.to_json()) if as_json else _print(group)


@groups_group.command("members")
@click.argument("slug")
@click.option("--add", "adding", multiple=True, metavar="REFERENCE", help="A case to add")
@click.option("--remove", "removing", multiple=True, metavar="REFERENCE",
              help="A member to take out")  # fmt: skip
@click.option("--reason", default="", help="Why, kept with the change")
@by_option
@json_option
@command()
def groups_members(
    slug: str,
    adding: tuple[str, ...],
    removing: tuple[str, ...],
    reason: str,
    actor: str,
    as_json: bool,
) -> None:
    """Add cases to the group SLUG and take members out (repeat --add, --remove)."""
    group = groups.change_members(tracker_of(), slug, actor, adding, removing, reason)
    emit(group.to_json()) if as_json else _print(group)
