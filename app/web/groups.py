"""Groups of cases that act together: the list (and a form to make one), a group's page with
its members side by side and their chart, and one step recorded for all of them at once."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app import tracker_of
from app.domain.errors import DomainError
from app.services import groups, timeline
from app.services.groups import GroupView
from app.web.auth import requires
from app.web.cases import form_evidence, posted_evidence
from app.web.documents import uploaded_files
from app.web.params import bounded_int
from app.web.refusals import group_step_refusal
from app.web.status import http_status
from app.web.timeline import render_timeline

bp = Blueprint("groups", __name__)
VERSION_PREFIX = "expected_version."
REFERENCES = re.compile(r"[\s,;]+")


@bp.get("/groups")
@requires()
def index(error: DomainError | None = None, status: int = 200) -> tuple[str, int]:
    """Every group; clerks and admins may make one."""
    return render_template(
        "groups.html",
        groups=groups.list_groups(tracker_of()),
        error=error,
        entered=request.form if error else {},
    ), status


@bp.post("/groups")
@requires("clerk", "admin")
def create() -> Response | tuple[str, int]:
    form = request.form
    try:
        group = groups.create_group(
            tracker_of(), form.get("name", ""), REFERENCES.split(form.get("cases", "")),
            current_user.name, note=form.get("note", ""),
        )  # fmt: skip
    except DomainError as exc:
        return index(exc, http_status(exc))
    flash(f"Group '{group.name}' made, with {len(group.members)} cases.", "success")
    return redirect(url_for("groups.show", slug=group.slug))


def _group_page(
    slug: str, error: DomainError | None = None, status: int = 200, refused: str = ""
) -> tuple[str, int]:
    """The group's page; after a refusal, `refused` names the form ("members" or "step")
    that shows the message and keeps what was typed."""
    tracker = tracker_of()
    try:
        group = groups.get_group(tracker, slug)
    except DomainError as exc:
        abort(http_status(exc, named_in_address=True))
    links = {r: url_for("cases.show", reference=r) for r in group.references}
    rows = timeline.case_rows(tracker, group.references)
    failed = request.form.get("trigger") if error and refused == "step" else None
    step = next((t for t in group.common_steps if t.trigger == failed), None)
    return render_template(
        "group.html",
        group=group,
        chart=render_timeline(rows, tracker.today(), links),
        error=error,
        refused=refused,
        failed=failed,
        shown=group_step_refusal(step, error) if step and error else None,
        entered=request.form if error else {},
        entered_evidence=posted_evidence() if failed else {},
        versions=_versions(group),
        mine=[t for t in group.common_steps if current_user.role in t.roles],
    ), status


def _versions(group: GroupView) -> dict[str, int]:
    return {m["reference"]: m["version"] for m in group.members}


@bp.get("/groups/<slug>")
@requires()
def show(slug: str) -> tuple[str, int]:
    return _group_page(slug)


@bp.post("/groups/<slug>/steps")
@requires("clerk", "admin")
def record(slug: str) -> Response | tuple[str, int]:
    """Record one step for every member; a refusal by one refuses all, and says which."""
    form = request.form
    trigger = form.get("trigger", "")
    try:
        versions = {
            key.removeprefix(VERSION_PREFIX): bounded_int(value, key)
            for key, value in form.items()
            if key.startswith(VERSION_PREFIX)
        }
        group = groups.record_group_step(
            tracker_of(), slug, trigger, form.get("occurred_on", ""), current_user.name,
            form.get("comment", ""), form_evidence(), versions, uploaded_files(),
        )  # fmt: skip
    except DomainError as exc:
        return _refused(slug, exc, "step")
    stages = sorted({m["stage"] for m in group.members})
    flash(
        f"Recorded for all {len(group.members)} cases; they are now at "
        + " / ".join(f"'{s}'" for s in stages)
        + ".",
        "success",
    )
    return redirect(url_for("groups.show", slug=slug))


@bp.post("/groups/<slug>/members")
@requires("clerk", "admin")
def members(slug: str) -> Response | tuple[str, int]:
    """Add cases and take members out, with the reason kept beside the change."""
    form = request.form
    try:
        group = groups.change_members(
            tracker_of(), slug, current_user.name, REFERENCES.split(form.get("add", "")),
            form.getlist("remove"), form.get("reason", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _refused(slug, exc, "members")
    flash(f"Members changed; the group has {len(group.members)} cases.", "success")
    return redirect(url_for("groups.show", slug=slug))


def _refused(slug: str, exc: DomainError, form: str) -> tuple[str, int]:
    status = http_status(exc, named_in_address=exc.field == "group")
    if status == 404:
        abort(404)
    return _group_page(slug, exc, status, refused=form)
