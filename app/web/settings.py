"""The signed-in user's own settings: personal API tokens (created, listed, revoked)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app import tracker_of
from app.domain.errors import DomainError
from app.services import tokens
from app.web.auth import requires
from app.web.forms import ActionForm
from app.web.params import ROUTE_ID
from app.web.status import http_status

bp = Blueprint("settings", __name__)


def _page(status: int = 200, created: str | None = None) -> tuple[str, int]:
    return render_template(
        "settings.html",
        tokens=tokens.list_tokens(tracker_of(), current_user.name),
        created=created,
        action=ActionForm(),
    ), status


@bp.get("/settings")
@requires()
def index() -> tuple[str, int]:
    return _page()


@bp.post("/settings/tokens")
@requires()
def create_token() -> tuple[str, int]:
    """A new personal token (or a calendar-only one), shown on this response only."""
    scope = "feed" if request.form.get("scope") == "feed" else "api"
    try:
        token = tokens.create_token(
            tracker_of(), current_user.name, request.form.get("label", ""), scope
        )
    except DomainError as exc:
        flash(exc.message, "error")
        return _page(422)
    return _page(201, created=token)


@bp.post(f"/settings/tokens/<{ROUTE_ID}:token_id>/revoke")
@requires()
def revoke_token(token_id: int) -> Response | tuple[str, int]:
    try:
        tokens.revoke_token(tracker_of(), current_user.name, token_id)
    except DomainError as exc:
        flash(exc.message, "error")
        return _page(http_status(exc, named_in_address=True))
    flash(f"Token {token_id} revoked: it no longer works.", "success")
    return redirect(url_for("settings.index"))
