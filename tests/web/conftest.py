"""Helpers for the page tests: sign in through the real form, post with the page's CSRF token,
read forms and rows out of the HTML the browser would get."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any, Protocol

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from werkzeug.test import TestResponse

from app.domain.countries import PRACTICE_COUNTRY
from app.persistence.models import SYSTEM_ACTOR, Event
from app.services import users
from app.services.cases import open_case
from app.services.context import Tracker
from tests.conftest import PASSWORD, all_cases, copy_demo

LV = "LV-APMBC-2025"
PRACTICE = "PRACTICE-APMBC-GENERIC"
ROLES = ("viewer", "clerk", "admin")
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
_TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def html_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def token_in(html: str) -> str:
    """The CSRF token of the first form on the page."""
    found = _TOKEN.search(html)
    assert found, "the page has no form with a csrf_token"
    return found.group(1)


def csrf_token(client: FlaskClient, url: str | None = None) -> str:
    """GET a page with a form (the sign-in page, or the sign-out page once signed in) and
    return the token its hidden csrf_token input carries for this client's session."""
    if url is None:
        response = client.get("/logout")
        if response.status_code == 302:  # not signed in
            response = client.get("/login")
    else:
        response = client.get(url)
    return token_in(html_of(response))


def post(
    client: FlaskClient, url: str, data: dict[str, str] | None = None, token: str | None = None
) -> TestResponse:
    """POST a form as the browser would: with the CSRF token of this client's session."""
    return client.post(url, data={"csrf_token": token or csrf_token(client), **(data or {})})


def sign_in(
    client: FlaskClient, name: str, password: str = PASSWORD, next_url: str | None = None
) -> TestResponse:
    """Fill in and submit the sign-in form; returns the response (302 when accepted)."""
    data = {"name": name, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return post(client, "/login", data, token=csrf_token(client, "/login"))


def location(response: TestResponse) -> str:
    return response.headers.get("Location", "")


class SignIn(Protocol):
    def __call__(self, name: str, password: str = PASSWORD) -> FlaskClient: ...


@pytest.fixture
def signed_in(app: Flask) -> SignIn:
    """signed_in(role): a fresh client signed in through POST /login as the user of that name
    (the users viewer, clerk and admin have the roles of their names)."""

    def sign(name: str, password: str = PASSWORD) -> FlaskClient:
        client = app.test_client()
        response = sign_in(client, name, password)
        assert response.status_code == 302, (name, response.status_code, html_of(response))
        return client

    return sign


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def seeded(
    tracker: Tracker, db_engine: Engine, demo_rows: dict[str, list[dict[str, Any]]]
) -> Tracker:
    """The demo data: the real cases (LV-APMBC-2025...) and one practice case per workflow."""
    copy_demo(db_engine, demo_rows)
    return tracker


@pytest.fixture
def practice(tracker: Tracker) -> Tracker:
    """Only the practice case PRACTICE-APMBC-GENERIC, opened as seed_demo opens it (two years
    back, at drafting): for tests that need one case to change, without the cost of the demo."""
    open_case(
        tracker, PRACTICE_COUNTRY, "apmbc", SYSTEM_ACTOR, workflow="apmbc/generic",
        began_on=date(tracker.today().year - 2, 1, 1), practice=True,
    )  # fmt: skip
    return tracker


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input" and "name" in a:
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            self.forms[-1].fields.setdefault(self._select or "", "")
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1].fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.forms[-1].fields[self._textarea or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def forms_in(html: str) -> list[Form]:
    """Every form on the page with its action, method and the values it would submit."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_posting_to(html: str, action: str, **having: str) -> Form:
    """The one POST form with this action (and these field values, e.g. trigger="adopt")."""
    found = [
        f
        for f in forms_in(html)
        if f.method == "post"
        and f.action == action
        and all(f.fields.get(k) == v for k, v in having.items())
    ]
    assert len(found) == 1, f"{len(found)} forms post to {action} with {having}"
    return found[0]


def submit(client: FlaskClient, form: Form, **values: str) -> TestResponse:
    """Submit a form as found on the page, with some fields filled in (keys with dots are
    given as evidence__votes_for=...)."""
    data = {**form.fields, **{k.replace("__", "."): v for k, v in values.items()}}
    return client.post(form.action, data=data)


def element(html: str, tag: str, element_id: str) -> str:
    """The markup of the element with this id, up to its closing tag (not nested in itself)."""
    start = html.find(f'id="{element_id}"')
    assert start >= 0, f"no element with id {element_id}"
    start = html.rfind(f"<{tag}", 0, start)
    end = html.find(f"</{tag}>", start)
    return html[start : end + len(tag) + 3]


def table_rows(html: str) -> list[str]:
    """The body rows of the page's (first) data table."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [r.split("</tr>")[0] for r in re.split(r"<tr\b", body)[1:]]


def row_linking(html: str, reference: str) -> str:
    """The row of the pending list that links to the case `reference`."""
    rows = [r for r in table_rows(html) if f'href="/cases/{reference}"' in r]
    assert len(rows) == 1, f"{reference} is listed {len(rows)} times"
    return rows[0]


def references_listed(html: str) -> list[str]:
    """The case references of the pending list, in the order shown."""
    return [
        m.group(1)
        for r in table_rows(html)
        if (m := re.search(r'<a href="/cases/([^"#]+)">', r)) is not None
    ]


def snapshot(tracker: Tracker) -> dict[str, object]:
    """What a refused request must leave as it was: every case's stage and version, the
    number of events, the users with their roles and status."""
    return {
        "cases": {c["reference"]: (c["state"], c["version"]) for c in all_cases(tracker)},
        "events": event_total(tracker),
        "users": users.list_users(tracker),
    }


def event_total(tracker: Tracker) -> int:
    with tracker.snapshot() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)
