"""Every route for every role: who gets the page, who is sent to sign in, who gets a 403.

A hidden button is not protection: each request below is sent straight to the server, as a
crafted request would be. Forbidden requests must change nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.services.cases import advance
from app.services.context import Tracker
from app.services.users import create_user
from tests.web.conftest import LV, PRACTICE, ROLES, SignIn, html_of, location, post, snapshot

WHO = ("anonymous", *ROLES)
SIGN_IN = 302  # anonymous visitors are sent to the sign-in page
NO = 403

#                                      anonymous viewer clerk admin
GET_TABLE: dict[str, tuple[int, int, int, int]] = {
    "/": (SIGN_IN, 200, 200, 200),
    "/dashboard": (SIGN_IN, 200, 200, 200),
    "/cases/new": (SIGN_IN, NO, 200, 200),
    f"/cases/{LV}": (SIGN_IN, 200, 200, 200),
    "/audit": (SIGN_IN, 200, 200, 200),
    "/treaties": (SIGN_IN, 200, 200, 200),
    "/treaties/apmbc": (SIGN_IN, 200, 200, 200),
    "/groups": (SIGN_IN, 200, 200, 200),
    "/groups/baltic-deposit-27-june-2025": (SIGN_IN, 200, 200, 200),
    "/audit/export.csv": (SIGN_IN, 200, 200, 200),
    "/audit/export.json": (SIGN_IN, 200, 200, 200),
    "/users": (SIGN_IN, NO, NO, 200),
    "/import": (SIGN_IN, NO, NO, 200),
    "/login": (200, 302, 302, 302),  # signed in: on to the pending steps
    "/logout": (302, 200, 200, 200),  # the sign-out page; anonymous: the sign-in page
}

READING = {
    "trigger": "record_reading",
    "occurred_on": "2026-02-01",
    "evidence.chamber": "Parliament",
    "evidence.reading": "1",
}
# Requests are sent in the order anonymous, viewer, clerk, admin on one database; the data is
# chosen so that each allowed role's request succeeds after the others' (e.g. a reading can be
# recorded twice, a new case gets a fresh reference).
POST_TABLE: dict[str, tuple[dict[str, str], tuple[int, int, int, int]]] = {
    "/cases/new": (
        {"country": "FI", "treaty": "apmbc", "allow_duplicate": "y"},  # by each role in turn
        (SIGN_IN, NO, 302, 302),
    ),
    f"/cases/{PRACTICE}/steps": (READING, (SIGN_IN, NO, 302, 302)),
    f"/cases/{PRACTICE}/events/2/correction": (
        {"reason": "the bill number was wrong", "comment": "Bill 123/Lm14"},
        (SIGN_IN, NO, NO, 302),
    ),
    f"/cases/{PRACTICE}/undo": ({"reason": "entered twice"}, (SIGN_IN, NO, NO, 302)),
    "/audit/verify": ({}, (SIGN_IN, 200, 200, 200)),
    "/audit/checkpoint": ({}, (SIGN_IN, NO, NO, 200)),
    "/users": ({"name": "newcomer", "role": "viewer"}, (SIGN_IN, NO, NO, 201)),
    "/users/target/role": ({"role": "clerk"}, (SIGN_IN, NO, NO, 302)),
    "/users/target/active": ({"active": "0"}, (SIGN_IN, NO, NO, 302)),
    "/users/target/password": ({}, (SIGN_IN, NO, NO, 200)),
    "/sweep": ({}, (SIGN_IN, NO, NO, 302)),
    "/logout": ({}, (302, 302, 302, 302)),  # anonymous: the sign-in page, no `next`
}


@pytest.fixture
def clients(app: Flask, signed_in: SignIn) -> dict[str, FlaskClient]:
    return {"anonymous": app.test_client(), **{role: signed_in(role) for role in ROLES}}


def check_page(who: str, url: str, response: TestResponse) -> None:
    """What every answer in the table must be: no stack trace; a 403 that says why; an
    anonymous visitor sent to sign in and brought back afterwards."""
    html = html_of(response)
    assert "Traceback" not in html, (who, url)
    if response.status_code == 403:
        assert f"Your role ({who}) does not allow this: it is for " in html, (who, url)
        assert f"Signed in as <strong>{who}</strong>" in html, (who, url)
    if who == "anonymous" and response.status_code == 302 and url not in ("/logout",):
        assert location(response) == "/login?next=" + quote(url, safe=""), (who, url)


def test_get_routes_by_role(seeded: Tracker, clients: dict[str, FlaskClient]) -> None:
    actual = {}
    for url in GET_TABLE:
        row = []
        for who in WHO:
            response = clients[who].get(url)
            check_page(who, url, response)
            row.append(response.status_code)
        actual[url] = tuple(row)
    assert actual == GET_TABLE


def test_signed_in_visitor_of_login_and_anonymous_visitor_of_logout_go_where_they_belong(
    clients: dict[str, FlaskClient],
) -> None:
    assert location(clients["clerk"].get("/login")) == "/"
    assert location(clients["anonymous"].get("/logout")) == "/login"


@pytest.fixture
def post_world(practice: Tracker) -> Tracker:
    """The practice case in parliament (event 1 by the clerk) and a user to manage."""
    advance(practice, PRACTICE, "submit_to_parliament", "2026-01-05", "clerk", evidence={})
    create_user(practice, "target", "viewer")
    return practice


@pytest.mark.parametrize("url", list(POST_TABLE))
def test_post_route_by_role(url: str, post_world: Tracker, clients: dict[str, FlaskClient]) -> None:
    data, expected = POST_TABLE[url]
    actual = []
    for who, status in zip(WHO, expected, strict=True):
        before = snapshot(post_world)
        response = post(clients[who], url, data)
        check_page(who, url, response)
        actual.append(response.status_code)
        if (who == "anonymous" or status == NO) and url != "/logout":
            assert snapshot(post_world) == before, f"a refused POST {url} by {who} changed data"
    assert tuple(actual) == expected


def test_allowed_posts_did_what_they_say(post_world: Tracker, signed_in: SignIn) -> None:
    """The 302s of the table are real successes, not redirects back to a form."""
    admin = signed_in("admin")
    response = post(admin, "/cases/new", {"country": "FI", "treaty": "apmbc"})
    assert location(response) == "/cases/FI-APMBC-2026"
    response = post(admin, f"/cases/{PRACTICE}/steps", READING)
    assert location(response) == f"/cases/{PRACTICE}#timeline"
    assert snapshot(post_world)["cases"][PRACTICE] == ("parliament", 3)  # type: ignore[index]


def test_unknown_address_is_a_readable_404(seeded: Tracker, signed_in: SignIn) -> None:
    viewer = signed_in("viewer")
    for url in ("/cases/XX-NONE-2025", "/cases/LV-APMBC-1999", "/cases/%3Cscript%3E", "/no/such"):
        response = viewer.get(url)
        html = html_of(response)
        assert response.status_code == 404, url
        assert "There is nothing at this address." in html
        assert "Traceback" not in html
        assert "<script>" not in html


def test_posts_about_an_unknown_case_are_404(practice: Tracker, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    for url, data in (
        ("/cases/XX-NONE-2025/steps", READING),
        ("/cases/XX-NONE-2025/events/1/correction", {"reason": "r", "comment": "c"}),
        ("/cases/XX-NONE-2025/undo", {"reason": "r"}),
    ):
        response = post(admin, url, data)
        assert response.status_code == 404, url
        assert "There is nothing at this address." in html_of(response)


def test_posts_about_an_unknown_user_are_404(tracker: Tracker, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    statuses = {
        url: post(admin, url, data).status_code
        for url, data in (
            ("/users/nobody/role", {"role": "clerk"}),
            ("/users/nobody/active", {"active": "0"}),
            ("/users/nobody/password", {}),
        )
    }
    assert statuses == dict.fromkeys(statuses, 404)


def test_wrong_method_is_a_readable_405(anonymous: FlaskClient) -> None:
    response = anonymous.get("/sweep")
    assert response.status_code == 405
    assert "This address does not take that kind of request." in html_of(response)


def test_an_unexpected_error_is_a_500_page_without_the_trace(app: Flask, signed_in: SignIn) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production, not as in TESTING

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals: password_hash=...")

    response = signed_in("viewer").get("/boom")
    html = html_of(response)
    assert response.status_code == 500
    assert "Something went wrong on our side; nothing was saved." in html
    assert "Traceback" not in html
    assert "secret internals" not in html


def test_a_refused_page_names_the_roles_it_is_for(clients: dict[str, FlaskClient]) -> None:
    for who, url, for_whom in (
        ("viewer", "/cases/new", "clerk or admin"),
        ("clerk", "/users", "admin"),
        ("viewer", "/import", "admin"),
    ):
        response = clients[who].get(url)
        assert response.status_code == NO
        assert f"Your role ({who}) does not allow this: it is for {for_whom}." in html_of(response)
