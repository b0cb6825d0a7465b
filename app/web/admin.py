"""Admin pages: users (create, role, deactivate, reset password) and the sweep."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app import tracker_of
from app.domain.errors import DomainError
from app.services import cases, users
from app.web.auth import requires
from app.web.format import dates_in, day
from app.web.forms import ActionForm, NewUserForm, RoleForm
from app.web.status import http_status

bp = Blueprint("admin", __name__)


def _users_page(status: int = 200, **shown: object) -> tuple[str, int]:
    return render_template(
        "users.html",
        users=users.list_users(tracker_of()),
        form=shown.pop("form", None) or NewUserForm(),
        role_form=RoleForm(),
        action=ActionForm(),
        **shown,
    ), status


@bp.get("/users")
@requires("admin")
def index() -> tuple[str, int]:
    return _users_page()


@bp.post("/users")
@requires("admin")
def create() -> tuple[str, int]:
    """Create a user; the generated password is shown once, on this response only."""
    form = NewUserForm()
    if not form.validate_on_submit():
        return _users_page(422, form=form)
    try:
        password = users.create_user(tracker_of(), form.name.data, form.role.data)
    except DomainError as exc:
        form.name.errors = [*form.name.errors, exc.message]
        return _users_page(422, form=form)
    return _users_page(201, created=(form.name.data.strip(), password))


def _change(name: str, **change: object) -> Response | tuple[str, int]:
    try:
        users.update_user(tracker_of(), current_user.name, name, **change)  # type: ignore[arg-type]
    except DomainError as exc:
        flash(exc.message, "error")
        return _users_page(http_status(exc, named_in_address=exc.field == "user"))
    flash(f"{name}: saved.", "success")
    return redirect(url_for("admin.index"))


@bp.post("/users/<name>/role")
@requires("admin")
def role(name: str) -> Response | tuple[str, int]:
    form = RoleForm()
    if not form.validate_on_submit():
        flash("role: choose viewer, clerk or admin", "error")
        return _users_page(422)
    return _change(name, role=form.role.data)


@bp.post("/users/<name>/active")
@requires("admin")
def active(name: str) -> Response | tuple[str, int]:
    """Deactivate (ending every session) or reactivate a user."""
    return _change(name, active=request.form.get("active") == "1")


@bp.post("/users/<name>/password")
@requires("admin")
def password(name: str) -> tuple[str, int]:
    """Reset a password: a new one is generated, shown once; the user's sessions end and their
    API tokens are revoked."""
    try:
        new_password, revoked = users.reset_password(tracker_of(), current_user.name, name)
    except DomainError as exc:
        flash(exc.message, "error")
        return _users_page(http_status(exc, named_in_address=exc.field == "user"))
    return _users_page(reset=(name, new_password, revoked))


@bp.post("/sweep")
@requires("admin")
def sweep() -> Response:
    """Fire the clock's steps on every case whose date has come."""
    results = cases.sweep(tracker_of())
    done = [r for r in results if "trigger" in r]
    for r in done:
        flash(f"{r['case']}: {r['label']} on {day(r['on'])}.", "success")
    for r in results:
        if "skipped" in r:
            flash(f"{r['case']}: skipped: {dates_in(r['skipped'])}", "error")
    if not results:
        flash("Sweep: no case had a date due.", "info")
    return redirect(url_for("pages.pending"))
