"""A case: its page (dates, timeline, diagram, the forms of its next steps), opening one,
recording a step, and an admin's corrections."""

from __future__ import annotations

from typing import Any

import pycountry
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app import tracker_of
from app.domain.audit import EventRecord
from app.domain.clock import parse_date
from app.domain.errors import DomainError, NotFound
from app.services import cases, queries
from app.services.timeline import case_row
from app.services.views import CaseView
from app.web.auth import requires
from app.web.diagram import render_diagram
from app.web.documents import uploaded_files
from app.web.forms import ActionForm, OpenCaseForm
from app.web.pages import optional_date
from app.web.params import ROUTE_ID, bounded_int
from app.web.status import http_status
from app.web.timeline import render_timeline

bp = Blueprint("cases", __name__)
EVIDENCE_PREFIX = "evidence."


def _case_page(
    reference: str,
    status: int = 200,
    failed: str | None = None,
    error: DomainError | None = None,
) -> tuple[str, int]:
    """The case page; after a refused step, `failed` names its form, `error` says why."""
    as_of_error = None
    try:
        view = queries.get_case(tracker_of(), reference, optional_date("as_of"))
    except NotFound:
        abort(404)
    except DomainError as exc:  # a malformed or future as_of: show the case as it stands
        as_of_error, status = exc, 400
        view = queries.get_case(tracker_of(), reference)
    return render_template(
        "case.html",
        view=view,
        case=view.to_json(),
        timeline=view.timeline(),
        diagram=render_diagram(view.workflow, view.state.state, view.taken()),
        chart=render_timeline([case_row(view)], view.as_of or tracker_of().today()),
        failed=failed,
        error=error,
        newer=_newer_events(view) if error is not None and error.code == "conflict" else [],
        as_of_error=as_of_error,
        entered=request.form if failed else {},
        action=ActionForm(),
    ), status


def _newer_events(view: CaseView) -> list[EventRecord]:
    """The events recorded since the version the user's form was made from (each event moves
    the case's version by one, from 1 at opening)."""
    seen = _version()
    return [r for r in view.history or () if seen is not None and r.seq >= seen]


@bp.get("/cases/<reference>")
@requires()
def show(reference: str) -> tuple[str, int]:
    return _case_page(reference)


def form_evidence() -> dict[str, str]:
    """The evidence fields of a posted step form, the empty ones left out."""
    return {
        key.removeprefix(EVIDENCE_PREFIX): value
        for key, value in request.form.items()
        if key.startswith(EVIDENCE_PREFIX) and value.strip()
    }


def _version() -> int | None:
    """The version the form was made from; ² or 5,000 digits are refused, naming the field."""
    raw = request.form.get("expected_version", "")
    return bounded_int(raw, "expected_version") if raw.strip() else None


@bp.post("/cases/<reference>/steps")
@requires("clerk", "admin")
def advance(reference: str) -> Response | tuple[str, int]:
    """Record a step from the case page's form; a refusal re-renders it with the error."""
    trigger = request.form.get("trigger", "")
    try:
        view = cases.advance(
            tracker_of(),
            reference,
            trigger,
            request.form.get("occurred_on", ""),
            current_user.name,
            request.form.get("comment", ""),
            form_evidence(),
            _version(),
            documents=uploaded_files(),
        )
    except DomainError as exc:
        return _refused(reference, exc, trigger)
    label = view.workflow.transition(trigger).label
    stage = view.workflow.stages[view.state.state].label
    flash(f"Recorded: {label}. The case is now at '{stage}'.", "success")
    return redirect(url_for("cases.show", reference=view.reference, _anchor="timeline"))


@bp.post(f"/cases/<reference>/events/<{ROUTE_ID}:seq>/correction")
@requires("admin")
def correct(reference: str, seq: int) -> Response | tuple[str, int]:
    """Admin: correct an event's date, comment or evidence, with a reason."""
    form = request.form
    try:
        cases.correct(
            tracker_of(),
            reference,
            seq,
            current_user.name,
            form.get("reason", ""),
            form.get("occurred_on") or None,
            form_evidence() or None,
            form.get("comment") or None,
        )
    except DomainError as exc:
        return _refused(reference, exc, f"correct-{seq}")
    flash(
        f"Event {seq} corrected; the dates were recomputed from the corrected history.", "success"
    )
    return redirect(url_for("cases.show", reference=reference, _anchor=f"event-{seq}"))


@bp.post("/cases/<reference>/undo")
@requires("admin")
def undo(reference: str) -> Response | tuple[str, int]:
    """Admin: void the last step by a new event, with a reason."""
    try:
        view = cases.undo_last(
            tracker_of(), reference, current_user.name, request.form.get("reason", "")
        )
    except DomainError as exc:
        return _refused(reference, exc, "undo")
    stage = view.workflow.stages[view.state.state].label
    flash(f"Last step undone; the case is back at '{stage}'.", "success")
    return redirect(url_for("cases.show", reference=reference, _anchor="timeline"))


def _refused(reference: str, exc: DomainError, failed: str) -> tuple[str, int]:
    """The case page again, the refusal beside the form that failed; an unknown case is a
    plain 404."""
    status = http_status(exc, named_in_address=exc.field == "case")
    if status == 404:
        abort(404)
    return _case_page(reference, status, failed, exc)


def _open_form() -> OpenCaseForm:
    form = OpenCaseForm()
    countries = sorted(pycountry.countries, key=lambda c: c.name)
    form.country.choices = [SelectChoice("", "Choose a country")] + [
        SelectChoice(c.alpha_2, c.name) for c in countries
    ]
    registry = tracker_of().registry
    form.treaty.choices = [
        SelectChoice(code, t.short_name) for code, t in sorted(registry.treaties.items())
    ]
    return form


@bp.route("/cases/new", methods=["GET", "POST"])
@requires("clerk", "admin")
def new() -> Response | tuple[str, int]:
    """Open a case: a country from the ISO 3166 list, a treaty from the shipped definitions."""
    form = _open_form()
    if not form.validate_on_submit():
        return render_template("new_case.html", form=form), 422 if form.is_submitted() else 200
    try:
        began_on = parse_date(form.began_on.data, "began_on") if form.began_on.data else None
        in_force = form.in_force_since.data
        view = cases.open_case(
            tracker_of(), form.country.data, form.treaty.data, current_user.name,
            began_on=began_on, note=form.note.data or "",
            in_force_since=parse_date(in_force, "in_force_since") if in_force else None,
        )  # fmt: skip
    except DomainError as exc:
        _field_error(form, exc)
        return render_template("new_case.html", form=form), 422
    flash(f"Opened {view.reference} ({view.workflow.label}).", "success")
    return redirect(url_for("cases.show", reference=view.reference))


def _field_error(form: Any, exc: DomainError) -> None:
    field = getattr(form, exc.field or "", None)
    if field is None:
        flash(exc.message, "error")
    else:
        field.errors = [*field.errors, exc.message]
