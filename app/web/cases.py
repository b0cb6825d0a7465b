"""A case: its page (dates, timeline, diagram, the forms of its next steps), opening one,
recording a step, and an admin's corrections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pycountry
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app import tracker_of
from app.domain.action_words import action_words
from app.domain.audit import EventRecord
from app.domain.case import Step
from app.domain.clock import parse_date
from app.domain.definitions import Workflow
from app.domain.errors import DomainError, DuplicateCase, InvalidInput, NotFound
from app.services import cases, queries
from app.services.timeline import case_row
from app.services.views import CaseView
from app.web.auth import requires
from app.web.diagram import render_diagram
from app.web.documents import uploaded_files
from app.web.format import dates_in, said, without_field
from app.web.forms import ActionForm, OpenCaseForm
from app.web.pages import optional_date
from app.web.params import ROUTE_ID, bounded_int
from app.web.refusals import Changes, changes, date_text, refusal
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
    today = tracker_of().today()
    return render_template(
        "case.html",
        view=view,
        case=view.summary_json(),
        timeline=view.timeline(),
        diagram=render_diagram(view.workflow, view.state.state, view.taken()),
        chart=render_timeline([case_row(view)], view.as_of or today),
        failed=failed,
        error=error,
        shown=refusal(view.workflow, failed, error, view.steps) if failed and error else None,
        newer=_newer_events(view) if error is not None and error.code == "conflict" else [],
        as_of_error=as_of_error,
        entered=request.form if failed else {},
        entered_evidence=posted_evidence() if failed else {},
        reference_day=view.as_of or today,
        words=action_words(view.workflow.kind),
        date_text=date_text,
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


def posted_evidence() -> dict[str, str]:
    """The evidence fields of a posted form, as typed."""
    return {
        key.removeprefix(EVIDENCE_PREFIX): value
        for key, value in request.form.items()
        if key.startswith(EVIDENCE_PREFIX)
    }


def form_evidence() -> dict[str, str]:
    """The evidence fields of a posted step form, the empty ones left out."""
    return {key: value for key, value in posted_evidence().items() if value.strip()}


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
    """Admin: correct an event's date, comment or evidence, with a reason. The form comes
    filled with the event's values: the fields that differ are the correction."""
    try:
        asked = _correction(reference, seq)
        view = cases.correct(
            tracker_of(),
            reference,
            seq,
            current_user.name,
            request.form.get("reason", ""),
            asked.occurred_on,
            asked.evidence,
            asked.comment,
        )
    except DomainError as exc:
        return _refused(reference, exc, f"correct-{seq}")
    label = _step_label(view.workflow, view.steps, seq)
    flash(
        f"Event {seq} ({label}) corrected; the dates were recomputed from the corrected history.",
        "success",
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


def _correction(reference: str, seq: int) -> Changes:
    """What the posted correction form changes in event `seq` as it stands; nothing changed
    is refused here, in the form's words."""
    step = next((s for s in queries.get_case(tracker_of(), reference).steps if s.seq == seq), None)
    if step is None:  # undone or not a step: the service says which
        return Changes(request.form.get("occurred_on") or None, form_evidence() or None, None)
    asked = changes(step, request.form, posted_evidence())
    if asked == Changes(None, None, None):
        raise InvalidInput(
            "changes: every field still holds the event's value; change the ones that are "
            "wrong (the others keep their values)",
            field="changes",
        )
    return asked


def _step_label(flow: Workflow, steps: Sequence[Step], seq: int) -> str:
    trigger = next((s.trigger for s in steps if s.seq == seq), None)
    return flow.transition(trigger).label if trigger else f"event {seq}"


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
    treaties = sorted(registry.treaties.values(), key=lambda t: t.short_name.lower())
    form.treaty.choices = [SelectChoice("", "Choose a treaty")] + [
        SelectChoice(t.code, t.short_name) for t in treaties
    ]
    form.workflow.choices = [
        SelectChoice("", "The country's own procedure, else the parliamentary one"),
        *(
            SelectChoice(w.name, _procedure_label(w), optgroup=w.treaty.short_name)
            for t in treaties
            for w in sorted(registry.workflows.values(), key=lambda w: w.name)
            if w.treaty.code == t.code
        ),
    ]
    return form


def _procedure_label(flow: Workflow) -> str:
    """A procedure as the open-case form lists it under its treaty: without the treaty's name."""
    prefix = f"{flow.treaty.short_name}: "
    return flow.label.removeprefix(prefix)


@bp.route("/cases/new", methods=["GET", "POST"])
@requires("clerk", "admin")
def new() -> Response | tuple[str, int]:
    """Open a case: a country from the ISO 3166 list, a treaty from the shipped definitions,
    the procedure where several fit; a second case of the same country, treaty and kind (one
    open, or one that took effect) only when the opener confirms it."""
    form = _open_form()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("new_case.html", form=form, duplicate=None), status
    try:
        began_on = parse_date(form.began_on.data, "began_on") if form.began_on.data else None
        in_force = form.in_force_since.data
        view = cases.open_case(
            tracker_of(), form.country.data, form.treaty.data, current_user.name,
            workflow=form.workflow.data or None,
            began_on=began_on, note=form.note.data or "",
            in_force_since=parse_date(in_force, "in_force_since") if in_force else None,
            allow_duplicate=form.allow_duplicate.data,
        )  # fmt: skip
    except DomainError as exc:
        _field_error(form, exc)
        duplicate = exc if isinstance(exc, DuplicateCase) else None
        return render_template("new_case.html", form=form, duplicate=duplicate), 422
    flash(f"Opened {view.reference} ({view.workflow.label}).", "success")
    return redirect(url_for("cases.show", reference=view.reference))


def _field_error(form: Any, exc: DomainError) -> None:
    """The refusal beside its field (without the field's name), or at the top."""
    field = getattr(form, exc.field or "", None)
    if field is None:
        flash(said(exc.message, exc.field), "error")
    else:
        field.errors = [*field.errors, dates_in(without_field(exc.message, exc.field))]
