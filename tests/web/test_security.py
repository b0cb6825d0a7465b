"""What protects the staff: CSRF on every form, sign-in redirects that stay on the site,
throttled guessing counted in the database, sessions that really end, cookie flags, security
headers, and user text shown as text."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app import create_app
from app.persistence.models import SignInAttempt
from app.services.cases import advance, correct, open_case
from app.services.context import Tracker
from tests.conftest import PASSWORD
from tests.web.conftest import (
    ESCAPED_SCRIPT,
    LV,
    PRACTICE,
    SCRIPT,
    SignIn,
    csrf_token,
    element,
    html_of,
    location,
    post,
    sign_in,
    snapshot,
)

READING = {
    "trigger": "record_reading",
    "occurred_on": "2026-02-01",
    "evidence.chamber": "Parliament",
    "evidence.reading": "1",
}
# Every POST route, with data that the admin may send successfully when it carries its token.
POSTS = {
    "/cases/new": {"country": "FI", "treaty": "apmbc"},
    f"/cases/{PRACTICE}/steps": READING,
    f"/cases/{PRACTICE}/events/2/correction": {"reason": "typo", "comment": "Bill 7"},
    f"/cases/{PRACTICE}/undo": {"reason": "entered twice"},
    "/audit/verify": {},
    "/audit/checkpoint": {},
    "/users": {"name": "newcomer", "role": "viewer"},
    "/users/viewer/role": {"role": "admin"},
    "/users/viewer/active": {"active": "0"},
    "/users/viewer/password": {},
    "/sweep": {},
    "/groups": {"name": "Practice group", "cases": PRACTICE},
    "/groups/practice-group/steps": READING,
    "/logout": {},
}


# ------------------------------------------------------------------------------------- CSRF


@pytest.fixture
def in_parliament(practice: Tracker) -> Tracker:
    advance(practice, PRACTICE, "submit_to_parliament", "2026-01-05", "clerk")
    return practice


def test_every_post_without_its_csrf_token_is_refused_and_changes_nothing(
    in_parliament: Tracker, signed_in: SignIn
) -> None:
    admin = signed_in("admin")
    before = snapshot(in_parliament)
    accepted = {}
    for url, data in POSTS.items():
        response = admin.post(url, data=data)  # no csrf_token
        if response.status_code != 400 or "CSRF" not in html_of(response):
            accepted[url] = response.status_code
        assert snapshot(in_parliament) == before, f"POST {url} without a token changed data"
    assert accepted == {}
    assert admin.get("/").status_code == 200  # the refused /logout did not sign out


def test_a_token_from_another_session_is_refused(in_parliament: Tracker, signed_in: SignIn) -> None:
    clerk, other = signed_in("clerk"), signed_in("clerk")
    before = snapshot(in_parliament)
    response = post(clerk, f"/cases/{PRACTICE}/steps", READING, token=csrf_token(other))
    assert response.status_code == 400
    assert snapshot(in_parliament) == before
    assert post(clerk, f"/cases/{PRACTICE}/steps", READING).status_code == 302  # its own token


def test_sign_in_without_a_token_is_refused(tracker: Tracker, anonymous: FlaskClient) -> None:
    anonymous.get("/login")
    response = anonymous.post("/login", data={"name": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert location(anonymous.get("/")).startswith("/login")
    assert attempts(tracker) == 0


# -------------------------------------------------------------------------------- next


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_next_never_leaves_the_site(app: Flask, tracker: Tracker, target: str) -> None:
    client = app.test_client()
    assert location(sign_in(client, "clerk", next_url=target)) == "/"
    # Signed in already, the sign-in page sends on to `next`: within the site only.
    assert location(client.get("/login", query_string={"next": target})) == "/"


def test_next_within_the_site_is_followed(app: Flask, seeded: Tracker) -> None:
    client = app.test_client()
    sent = client.get(f"/cases/{LV}")
    assert location(sent) == f"/login?next=%2Fcases%2F{LV}"
    login_page = html_of(client.get(location(sent)))
    assert f'name="next" type="hidden" value="/cases/{LV}"' in login_page
    assert location(sign_in(client, "viewer", next_url=f"/cases/{LV}")) == f"/cases/{LV}"
    assert client.get(f"/cases/{LV}").status_code == 200
    query = "/?as_of=2025-07-01&treaty=apmbc"
    assert location(client.get("/login", query_string={"next": query})) == query


# ------------------------------------------------------------------------------ sessions


def test_the_session_is_cleared_at_sign_in(app: Flask, tracker: Tracker) -> None:
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before sign-in"
    assert sign_in(client, "clerk").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def copy_of_session(app: Flask, client: FlaskClient) -> FlaskClient:
    """A fresh client carrying the session cookie captured from `client` (a stolen cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_sign_out_ends_the_session_on_the_server(
    app: Flask, tracker: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    captured = copy_of_session(app, clerk)
    assert captured.get("/").status_code == 200  # the cookie works while signed in
    response = post(clerk, "/logout")
    assert location(response) == "/login"
    assert location(clerk.get("/")).startswith("/login")
    assert location(captured.get("/")).startswith("/login")  # refused by the server
    assert captured.post("/cases/new").status_code in (302, 400)


def test_sign_out_ends_every_session_of_the_account(
    app: Flask, tracker: Tracker, signed_in: SignIn
) -> None:
    # Every sign-in now makes a fresh session token (one per user), which ends the earlier
    # sessions by itself: the second session here is a copy of the first one's cookie.
    laptop = signed_in("clerk")
    phone = copy_of_session(app, laptop)
    post(laptop, "/logout")
    assert location(phone.get("/")).startswith("/login")
    assert signed_in("clerk").get("/").status_code == 200  # signing in again works


def test_deactivating_a_user_ends_their_sessions(
    app: Flask, tracker: Tracker, signed_in: SignIn
) -> None:
    clerk, admin = signed_in("clerk"), signed_in("admin")
    captured = copy_of_session(app, clerk)
    assert post(admin, "/users/clerk/active", {"active": "0"}).status_code == 302
    assert location(clerk.get("/")).startswith("/login")
    assert location(captured.get("/")).startswith("/login")
    assert sign_in(app.test_client(), "clerk").status_code == 401
    assert post(admin, "/users/clerk/active", {"active": "1"}).status_code == 302
    assert signed_in("clerk").get("/").status_code == 200


def test_resetting_a_password_ends_the_users_sessions(
    app: Flask, tracker: Tracker, signed_in: SignIn
) -> None:
    clerk, admin = signed_in("clerk"), signed_in("admin")
    page = html_of(post(admin, "/users/clerk/password"))
    found = re.search(
        r"New password for <strong>clerk</strong>, shown only now: <code>([^<]+)<", page
    )
    assert found, page
    assert location(clerk.get("/")).startswith("/login")
    assert sign_in(app.test_client(), "clerk", PASSWORD).status_code == 401
    assert signed_in("clerk", found.group(1)).get("/").status_code == 200


def test_a_user_changing_role_keeps_no_rights_of_the_old_one(
    tracker: Tracker, signed_in: SignIn
) -> None:
    """The role is read from the database on every request, not from the session."""
    clerk, admin = signed_in("clerk"), signed_in("admin")
    assert clerk.get("/cases/new").status_code == 200
    assert post(admin, "/users/clerk/role", {"role": "viewer"}).status_code == 302
    assert clerk.get("/cases/new").status_code == 403


# ----------------------------------------------------------------------------- throttling


def attempts(tracker: Tracker, **where: object) -> int:
    with tracker.transaction() as session:
        query = select(func.count()).select_from(SignInAttempt)
        for column, value in where.items():
            query = query.where(getattr(SignInAttempt, column) == value)
        return session.scalar(query) or 0


def refused(response: TestResponse, why: str) -> bool:
    return response.status_code == 401 and why in html_of(response)


def test_an_account_is_locked_after_five_failed_sign_ins_in_every_server_process(
    app: Flask, tracker: Tracker, migrated_url: str
) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    for n in range(5):
        response = post(client, "/login", {"name": "clerk", "password": f"guess {n}"}, token)
        assert refused(response, "unknown name or wrong password"), n
    assert attempts(tracker, name="clerk", succeeded=False) == 5  # counted in the database
    locked = "too many failed sign-ins for this account from your address"
    right = {"name": "clerk", "password": PASSWORD}
    assert refused(post(client, "/login", right, token), locked)
    assert location(client.get("/")).startswith("/login")
    # Another server process on the same database refuses too.
    other = create_app({"DATABASE_URL": migrated_url, "TESTING": True})
    try:
        second = other.test_client()
        assert refused(sign_in(second, "clerk"), locked)
    finally:
        other.extensions["db_engine"].dispose()
    # Other accounts from the same address are not locked by it, nor the account elsewhere.
    assert sign_in(app.test_client(), "viewer").status_code == 302
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert sign_in(elsewhere, "clerk").status_code == 302


def test_an_address_is_locked_after_twenty_failed_sign_ins_across_accounts(
    app: Flask, tracker: Tracker
) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    names = ["viewer", "clerk", "admin", "nobody", "ghost"]
    for n in range(20):  # four per account: no account reaches its own limit
        response = post(client, "/login", {"name": names[n % 5], "password": "guess"}, token)
        assert refused(response, "unknown name or wrong password"), n
    assert attempts(tracker, address="127.0.0.1", succeeded=False) == 20
    response = post(client, "/login", {"name": "viewer", "password": PASSWORD}, token)
    assert refused(response, "too many failed sign-ins from your address")
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert sign_in(elsewhere, "viewer").status_code == 302


# ------------------------------------------------------------------------ cookies, headers


def set_cookie_header(response: TestResponse, name: str = "session") -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax(app: Flask, tracker: Tracker) -> None:
    client = app.test_client()
    for response in (client.get("/login"), sign_in(client, "clerk")):
        attributes = [a.strip().lower() for a in set_cookie_header(response).split(";")[1:]]
        assert "httponly" in attributes
        assert "samesite=lax" in attributes
        assert "secure" not in attributes  # plain HTTP unless configured for HTTPS


def test_the_session_cookie_is_secure_when_configured_for_https(
    migrated_url: str, tracker: Tracker
) -> None:
    app = create_app({"DATABASE_URL": migrated_url, "TESTING": True, "SESSION_COOKIE_SECURE": True})
    try:
        response = app.test_client().get("/login", base_url="https://localhost")
        attributes = [a.strip().lower() for a in set_cookie_header(response).split(";")[1:]]
        assert "secure" in attributes
    finally:
        app.extensions["db_engine"].dispose()


def csp(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = (d.split() for d in policy.split(";") if d.strip())
    return {d[0].lower(): d[1:] for d in directives}


def check_headers(what: str, response: TestResponse) -> None:
    policy = csp(response)
    assert policy.get("frame-ancestors") == ["'none'"], what
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None, what
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ), what


def test_security_headers_on_every_response(
    app: Flask, practice: Tracker, signed_in: SignIn
) -> None:
    anonymous, viewer, admin = app.test_client(), signed_in("viewer"), signed_in("admin")
    responses = {
        "sign-in page": anonymous.get("/login"),
        "redirect to sign in": anonymous.get("/"),
        "missing CSRF token": anonymous.post("/login", data={}),
        "failed sign-in": sign_in(anonymous, "viewer", "wrong password"),
        "signed in": sign_in(app.test_client(), "viewer"),
        "page": viewer.get("/"),
        "case page": viewer.get(f"/cases/{PRACTICE}"),
        "forbidden": viewer.get("/users"),
        "not found": viewer.get("/cases/XX-NONE-2025"),
        "wrong method": viewer.get("/sweep"),
        "stylesheet": viewer.get("/static/tracker.css"),
        "CSV download": read(viewer.get("/audit/export.csv")),
        "JSON download": read(viewer.get("/audit/export.json")),
        "created": post(admin, "/users", {"name": "newcomer", "role": "viewer"}),
        "after a post": post(admin, "/sweep"),
    }
    for what, response in responses.items():
        check_headers(f"{what} ({response.status_code})", response)


def read(response: TestResponse) -> TestResponse:
    """Consume and close a (possibly streamed) response before the next request."""
    response.get_data()
    response.close()
    return response


def test_pages_need_nothing_the_policy_forbids(seeded: Tracker, signed_in: SignIn) -> None:
    """No inline script, event handler or style: the CSP would block them in the browser."""
    admin = signed_in("admin")
    for url in ("/", "/dashboard", f"/cases/{LV}", f"/cases/{PRACTICE}", "/audit", "/users"):
        html = html_of(admin.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"(src|href)=\"(https?:)?//", html), url  # nothing from a CDN


def test_a_request_over_a_megabyte_is_refused(app: Flask, tracker: Tracker) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "name": "x" * (2 * 1024 * 1024), "password": "p"}
    )
    assert response.status_code == 413
    assert "The request is too large: a form or a request body may be up to 1 MB." in html_of(
        response
    )


# -------------------------------------------------------------------------------- escaping


def test_user_text_shows_as_text_on_every_page(seeded: Tracker, signed_in: SignIn) -> None:
    advance(
        seeded,
        PRACTICE,
        "submit_to_parliament",
        "2026-01-05",
        "clerk",
        comment=SCRIPT,
        evidence={"bill": '<img src=x onerror="alert(2)">'},
    )
    correct(seeded, PRACTICE, 2, "admin", f"reason {SCRIPT}", comment=f"fixed {SCRIPT}")
    opened = open_case(seeded, "FI", "apmbc", "clerk", note=f"Note {SCRIPT}", allow_duplicate=True)
    viewer = signed_in("viewer")
    assert f"Note {ESCAPED_SCRIPT}" in html_of(viewer.get(f"/cases/{opened.reference}"))
    case_page = html_of(viewer.get(f"/cases/{PRACTICE}"))
    assert ESCAPED_SCRIPT in element(case_page, "li", "event-2")
    assert "&lt;img src=x onerror=" in case_page
    assert f"reason {ESCAPED_SCRIPT}" in case_page
    audit_page = html_of(viewer.get("/audit?practice=1"))
    assert ESCAPED_SCRIPT in audit_page
    dashboard = html_of(viewer.get("/dashboard"))
    for html in (case_page, audit_page, dashboard, html_of(viewer.get("/"))):
        assert SCRIPT not in html
        assert "<img" not in html


def test_user_text_in_the_address_shows_as_text(practice: Tracker, signed_in: SignIn) -> None:
    viewer = signed_in("viewer")
    for url in (
        f"/?as_of={SCRIPT}",
        f"/?treaty={SCRIPT}",
        f"/cases/{PRACTICE}?as_of={SCRIPT}",
        '/audit?case="><script>alert(1)</script>',
        f"/audit?since={SCRIPT}",
    ):
        response = viewer.get(url)
        html = html_of(response)
        assert SCRIPT not in html, url
        assert response.status_code in (200, 400), url
