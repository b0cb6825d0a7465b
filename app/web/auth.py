"""Sign-in and sign-out, the session user, and the role check every view goes through."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from app import tracker_of
from app.services import auth
from app.web.forms import SignInForm, SignOutForm

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"
bp = Blueprint("auth", __name__)


class StaffUser(UserMixin):  # type: ignore[misc]
    """The signed-in user as Flask-Login sees it; its id carries the session token."""

    def __init__(self, user: auth.SessionUser) -> None:
        self.user = user
        self.name = user.name
        self.role = user.role

    def get_id(self) -> str:
        return self.user.session_id

    def may(self, *roles: str) -> bool:
        return self.role in roles


@login_manager.user_loader  # type: ignore[untyped-decorator]
def load_user(session_id: str) -> StaffUser | None:
    user = auth.session_user(tracker_of(), session_id)
    return StaffUser(user) if user else None


SIGNED_IN_AT, LAST_SEEN = "signed_in_at", "last_seen"


def _clock() -> float:
    return time.time()


@bp.before_app_request
def end_stale_session() -> None:
    """Sign out a session idle for SESSION_IDLE_MINUTES or older than SESSION_MAX_HOURS (and
    one from before these were recorded); otherwise note this request as its last activity.
    A static file is not activity, and its answer leaves the session cookie alone: it was
    requested with the cookie of the page before, and a late answer setting that cookie again
    would drop what the next page added to it (its CSRF token: a 400 on that page's form)."""
    if request.endpoint == "static":
        return
    if "_user_id" not in session:
        return
    config, moment = current_app.config, _clock()
    signed_in_at, last_seen = session.get(SIGNED_IN_AT), session.get(LAST_SEEN)
    if not isinstance(signed_in_at, (int, float)) or not isinstance(last_seen, (int, float)):
        why = "Your session has ended."
    elif moment - last_seen > config["SESSION_IDLE_MINUTES"] * 60:
        why = (
            f"You were signed out after {config['SESSION_IDLE_MINUTES']} minutes without activity."
        )
    elif moment - signed_in_at > config["SESSION_MAX_HOURS"] * 3600:
        why = f"You were signed out {config['SESSION_MAX_HOURS']} hours after signing in."
    else:
        session[LAST_SEEN] = moment
        return
    logout_user()
    session.clear()
    flash(why + " Please sign in again.", "info")


class RoleRequired(Forbidden):
    """A signed-in user's role is not one this page is for: the page says which it is for."""

    def __init__(self, roles: tuple[str, ...], role: str) -> None:
        super().__init__(f"Your role ({role}) does not allow this: it is for {' or '.join(roles)}.")


def requires(*roles: str) -> Callable[[F], F]:
    """Let only these roles through (403 otherwise); anonymous visitors go to the sign-in page."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                raise RoleRequired(roles, current_user.role)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return wrap


def safe_next(target: str | None) -> str:
    """A `next` address only within this site: a path, never another host or scheme, and
    nothing a browser or a header would read otherwise (control characters, backslashes)."""
    home = url_for("pages.pending")
    if not target or not target.isprintable() or "\\" in target:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return home
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    form = SignInForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        try:
            user = auth.sign_in(tracker_of(), form.name.data, form.password.data, address)
        except auth.SignInRefused as exc:
            form.name.errors.append(exc.message.removeprefix("name: "))
            return render_template("login.html", form=form), 401
        session.clear()  # no session fixation: the signed-in session starts empty
        login_user(StaffUser(user))
        session[SIGNED_IN_AT] = session[LAST_SEEN] = _clock()
        _new_csrf_token()
        flash(f"Signed in as {user.name} ({user.role}).", "success")
        return redirect(safe_next(form.next.data))
    form.next.data = form.next.data or request.args.get("next", "")
    return render_template("login.html", form=form)


def _new_csrf_token() -> None:
    """Give the new session its CSRF token now, so that every copy of its cookie carries the
    same one (Flask-WTF keeps the request's token in `g`: the cleared session's, dropped)."""
    g.pop("csrf_token", None)
    generate_csrf()


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> str | Response:
    form = SignOutForm()
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if request.method == "POST" and form.validate_on_submit():
        auth.end_sessions(tracker_of(), current_user.user.id)
        logout_user()
        session.clear()
        flash("Signed out. Every session of this account has ended.", "success")
        return redirect(url_for("auth.login"))
    return render_template("logout.html", form=form)
