"""The JSON API v1 as another system uses it: every endpoint for every role and without a token,
every error status with the JSON error body, never a 500 on bad input, and a case taken from
opening to effect over HTTP alone whose history the CLI export and the audit agree with."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse

from app.services import tokens
from app.services.audit import EventFilter, export_events
from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.users import update_user
from app.web.api_models import AuditResult, Case, CaseList, Workflow
from tests.web.conftest import LV, PRACTICE, ROLES, SignIn, csrf_token, snapshot

API = "/api/v1"
WHO = ("anonymous", *ROLES)
Headers = dict[str, str]


@pytest.fixture
def bearer(tracker: Tracker) -> dict[str, Headers]:
    """The Authorization header of a fresh token for each user (none for "anonymous")."""
    headers = {r: {"Authorization": f"Bearer {tokens.create_token(tracker, r)}"} for r in ROLES}
    return {"anonymous": {}, **headers}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def send(
    client: FlaskClient, method: str, url: str, headers: Headers, body: Any = None
) -> TestResponse:
    """A request as another system sends it: JSON bodies, raw text given as bytes."""
    if isinstance(body, bytes):
        return client.open(
            API + url, method=method, headers=headers, data=body, content_type="application/json"
        )
    return client.open(API + url, method=method, headers=headers, json=body)


def error_of(response: TestResponse, status: int, field: str | None = None) -> dict[str, Any]:
    """Check the status and the API's error shape; return the error object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    error: dict[str, Any] = body["error"]
    assert {"code", "message", "field"} <= set(error)
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert error["field"] is None or isinstance(error["field"], str)
    if field is not None:
        assert error["field"] == field, error
    return error


# ------------------------------------------------------------------ every endpoint, every role

READS = (
    "/cases",
    "/cases?state=effective&country=LV&treaty=apmbc&page=1&per_page=5",
    f"/cases/{LV}",
    f"/cases/{LV.lower()}?as_of=2025-07-01",
    "/pending",
    "/pending?as_of=2025-07-01&treaty=apmbc",
    f"/events?case={LV}&since=2020-01-01&until=2026-11-27",
    "/audit/verify",
    "/workflows",
    "/workflows/apmbc/generic",
    "/workflows/apmbc%2Fua%2Fsuspension",
)


@pytest.mark.parametrize("who", WHO)
def test_every_read_for_every_role(
    client: FlaskClient, seeded: Tracker, bearer: dict[str, Headers], who: str
) -> None:
    for url in READS:
        response = send(client, "GET", url, bearer[who])
        if who == "anonymous":
            error_of(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert response.status_code == 200, (url, response.get_data(as_text=True))
            assert response.mimetype == "application/json"


def test_reads_say_what_the_issue_promises(
    client: FlaskClient, seeded: Tracker, bearer: dict[str, Headers]
) -> None:
    viewer = bearer["viewer"]
    listed = send(client, "GET", "/cases?country=LV&per_page=1", viewer).get_json()
    assert listed["total"] >= 1 and listed["page"] == 1 and listed["per_page"] == 1
    assert [c["reference"] for c in listed["items"]] == [LV]

    case = send(client, "GET", f"/cases/{LV}", viewer).get_json()
    assert case["state"] == "effective"
    assert case["dates"]["deposited"] == "2025-06-27" and case["dates"]["effective"] == "2025-12-27"
    assert [e["seq"] for e in case["history"]] == list(range(1, len(case["history"]) + 1))

    back_then = send(client, "GET", f"/cases/{LV}?as_of=2025-07-01", viewer).get_json()
    assert back_then["state"] == "notice_period" and back_then["as_of"] == "2025-07-01"
    assert back_then["history"][-1]["trigger"] == "deposit"
    take_effect = [t for t in back_then["available_triggers"] if t["trigger"] == "take_effect"]
    assert take_effect[0]["due_on"] == "2025-12-27"

    practice = send(client, "GET", f"/cases/{PRACTICE}", viewer).get_json()
    submit = {t["trigger"]: t for t in practice["available_triggers"]}["submit_to_parliament"]
    assert {"key": "bill", "type": "text", "required": False} in [
        {k: f[k] for k in ("key", "type", "required")} for f in submit["evidence"]
    ]

    flow = send(client, "GET", "/workflows/apmbc/generic", viewer).get_json()
    assert flow["name"] == "apmbc/generic" and flow["diagram"]["format"] == "mermaid"
    assert "stateDiagram" in flow["diagram"]["source"]
    verify = send(client, "GET", "/audit/verify", viewer).get_json()
    assert verify["intact"] is True and verify["first_break"] is None
    for model, answer in (
        (CaseList, listed),
        (Case, case),
        (Workflow, flow),
        (AuditResult, verify),
    ):
        model.model_validate(answer)  # the answers are what the document's models say


LISTS = ("/cases", "/pending", "/events", "/workflows")


@pytest.mark.parametrize("url", [u for u in LISTS if u != "/events"])
def test_every_list_pages_by_per_page_and_links_the_next_page(
    client: FlaskClient, seeded: Tracker, bearer: dict[str, Headers], url: str
) -> None:
    seen: list[Any] = []
    address: str | None = f"{API}{url}?per_page=5"
    pages = 0
    while address is not None:
        response = client.get(address, headers=bearer["viewer"])
        listed = response.get_json()
        assert (listed["per_page"], listed["page"]) == (5, pages + 1)
        assert 1 <= len(listed["items"]) <= 5
        seen += listed["items"]
        pages, address = pages + 1, listed["next"]
        if address is None:
            assert "Link" not in response.headers
        else:
            assert response.headers["Link"] == f'<{address}>; rel="next"'
            assert "per_page=5" in address and f"page={pages + 1}" in address
    assert pages > 1 and len(seen) == listed["total"]
    assert len({json.dumps(item, sort_keys=True) for item in seen}) == len(seen)


def test_the_log_pages_by_position_newest_first_to_its_oldest_event(
    client: FlaskClient, seeded: Tracker, bearer: dict[str, Headers]
) -> None:
    seen: list[Any] = []
    address: str | None = f"{API}/events?per_page=20&actor=system&practice=true"
    while address is not None:
        response = client.get(address, headers=bearer["viewer"])
        listed = response.get_json()
        assert listed["per_page"] == 20 and 1 <= len(listed["items"]) <= 20
        assert "total" not in listed and "page" not in listed  # keyset pages: no count
        seen += listed["items"]
        address = listed["next"]
        if address is not None:
            assert response.headers["Link"] == f'<{address}>; rel="next"'
            assert "actor=system" in address and "older_than=" in address
            assert "practice=true" in address  # the filter is kept
    exported = json.loads("".join(export_events(seeded, "json", EventFilter(actor="system"))))
    assert len(seen) > 40  # three pages and more
    assert sorted(e["hash"] for e in seen) == sorted(e["hash"] for e in exported)  # once each
    moments = [e["recorded_at"] for e in seen]
    assert moments == sorted(moments, reverse=True)


@pytest.mark.parametrize("value", ["0", "201", "-1", "1.5", "²", "x"])
@pytest.mark.parametrize("url", LISTS)
def test_every_list_refuses_a_per_page_outside_1_to_200(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers], url: str, value: str
) -> None:
    response = send(client, "GET", f"{url}?per_page={value}", bearer["viewer"])
    error = error_of(response, 400, "per_page")
    assert error["message"] == "per_page: a whole number from 1 to 200"


#                              anonymous viewer clerk admin
WRITE_STATUS = dict(zip(WHO, (401, 403, 201, 201), strict=True))


@pytest.mark.parametrize("who", WHO)
def test_every_write_for_every_role(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers], who: str
) -> None:
    before = snapshot(practice)
    opened = send(client, "POST", "/cases", bearer[who], {"country": "FI", "treaty": "apmbc"})
    step = {"trigger": "submit_to_parliament", "occurred_on": "2025-01-10", "expected_version": 1}
    advanced = send(client, "POST", f"/cases/{PRACTICE}/events", bearer[who], step)
    expected = WRITE_STATUS[who]
    if expected != 201:
        error_of(opened, expected)
        error_of(advanced, expected)
        assert snapshot(practice) == before, "a refused write changed nothing"
        return
    assert opened.status_code == 201, opened.get_data(as_text=True)
    assert opened.headers["Location"].endswith(f"{API}/cases/FI-APMBC-2026")
    assert opened.get_json()["opened_by"] == who
    assert send(client, "GET", "/cases/FI-APMBC-2026", bearer[who]).status_code == 200
    assert advanced.status_code == 201, advanced.get_data(as_text=True)
    body = advanced.get_json()
    assert (body["state"], body["version"]) == ("parliament", 2)
    assert body["recorded_event"]["actor"] == who


# Tables of refused requests: each is sent in turn on one database and every mismatch is
# reported at once, naming the request (a refused request changes nothing, so the order does
# not matter).
Request = tuple[str, str, Any, str | None]  # method, url under /api/v1, body, the field at fault


def mismatches(
    client: FlaskClient, headers: Headers, requests: list[Request], status: int, code: str = ""
) -> list[str]:
    """The requests that did not get `status` with the API's error body naming the field."""
    found = []
    for method, url, body, field in requests:
        response = send(client, method, url, headers, body)
        try:
            error = error_of(response, status, field)
            assert not code or error["code"] == code, error
        except AssertionError as exc:
            found.append(f"{method} {url} {str(body)[:80]}: {str(exc)[:300]}")
    return found


def none(problems: list[str]) -> None:
    """Fail listing every problem, one a line."""
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


# ------------------------------------------------------------------ 400

STEP = {"trigger": "submit_to_parliament", "occurred_on": "2025-01-10"}
EVENTS = f"/cases/{PRACTICE}/events"
BAD_REQUESTS: list[Request] = [
    ("POST", "/cases", b'{"country": "EE", "treaty":', "body"),
    ("POST", "/cases", b"", "body"),
    ("POST", "/cases", b"\xff\xfe not utf-8", "body"),
    ("POST", "/cases", ["EE", "apmbc"], "body"),
    ("POST", "/cases", "EE apmbc", "body"),
    ("POST", "/cases", {"country": "EE"}, "treaty"),
    ("POST", "/cases", {"country": 233, "treaty": "apmbc"}, "country"),
    ("POST", "/cases", {"country": "EE", "treaty": "  "}, "treaty"),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "began_on": 20250101}, "began_on"),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "note": ["a"]}, "note"),
    ("POST", EVENTS, b"trigger=submit_to_parliament", "body"),
    ("POST", EVENTS, {"occurred_on": "2025-01-10"}, "trigger"),
    ("POST", EVENTS, {"trigger": "submit_to_parliament"}, "occurred_on"),
    ("POST", EVENTS, {**STEP, "occurred_on": 20250110}, "occurred_on"),
    ("POST", EVENTS, {**STEP, "comment": 7}, "comment"),
    ("POST", EVENTS, {**STEP, "evidence": ["bill", "1"]}, "evidence"),
    ("POST", EVENTS, {**STEP, "evidence": "bill=1"}, "evidence"),
    ("POST", EVENTS, {**STEP, "expected_version": "1"}, "expected_version"),
    ("POST", EVENTS, {**STEP, "expected_version": True}, "expected_version"),
    ("POST", EVENTS, {**STEP, "expected_version": 1.5}, "expected_version"),
    ("GET", "/cases?page=0", None, "page"),
    ("GET", "/cases?page=two", None, "page"),
    ("GET", "/cases?per_page=201", None, "per_page"),
    ("GET", "/cases?per_page=-1", None, "per_page"),
    ("GET", "/events?per_page=0", None, "per_page"),
    ("GET", "/events?older_than=yesterday", None, "older_than"),
    ("GET", f"/cases/{PRACTICE}?as_of=yesterday", None, "as_of"),
    ("GET", f"/cases/{PRACTICE}?as_of=2026-02-30", None, "as_of"),
    ("GET", f"/cases/{PRACTICE}?as_of=2026-11-28", None, "as_of"),  # after today
    ("GET", "/pending?as_of=27.11.2026", None, "as_of"),
    ("GET", "/pending?as_of=2027-01-01", None, "as_of"),
    ("GET", "/events?since=last-week", None, "since"),
    ("GET", "/events?until=2026-13-01", None, "until"),
    ("GET", "/events?since=2026-02-01&until=2026-01-01", None, "until"),
]


def test_malformed_requests_are_400(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    before = snapshot(practice)
    none(mismatches(client, bearer["admin"], BAD_REQUESTS, 400))
    assert snapshot(practice) == before


# ------------------------------------------------------------------ 401

BAD_AUTHORIZATIONS = [
    "Basic YWRtaW46Y29ycmVjdCBob3JzZSBiYXR0ZXJ5",
    "Bearer",
    "Bearer ",
    "Bearer wt_thisisnotatokenthatwaseverissuedbythetracker00000",
    "Bearer not-even-the-tokens-prefix",
    "Token wt_abc",
]


@pytest.mark.parametrize("session", [False, True], ids=["no session", "admin's session"])
def test_a_bad_authorization_is_401_even_with_a_session(
    app: Flask, practice: Tracker, signed_in: SignIn, session: bool
) -> None:
    client = signed_in("admin") if session else app.test_client()
    before = snapshot(practice)
    requests: list[Request] = [("GET", "/cases", None, None), ("POST", EVENTS, STEP, None)]
    problems = []
    for authorization in BAD_AUTHORIZATIONS:
        headers = {"Authorization": authorization}
        found = mismatches(client, headers, requests, 401, "unauthorized")
        problems += [f"Authorization: {authorization!r}: {p}" for p in found]
    none(problems)
    assert snapshot(practice) == before


def test_a_revoked_token_or_a_deactivated_owner_is_401(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    token = tokens.create_token(practice, "clerk", label="integration")
    headers = {"Authorization": f"Bearer {token}"}
    assert send(client, "GET", "/cases", headers).status_code == 200
    tokens.revoke_token(practice, "clerk", tokens.list_tokens(practice, "clerk")[0].id)
    error = error_of(send(client, "GET", "/cases", headers), 401)
    assert "revoked" in error["message"]
    error_of(send(client, "POST", EVENTS, headers, STEP), 401)

    assert send(client, "GET", "/cases", bearer["viewer"]).status_code == 200
    update_user(practice, "admin", "viewer", active=False)
    error_of(send(client, "GET", "/cases", bearer["viewer"]), 401)


# ------------------------------------------------------------------ 403 and the session


def test_a_viewer_may_not_write(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    before = snapshot(practice)
    writes: list[Request] = [
        ("POST", "/cases", {"country": "FI", "treaty": "apmbc"}, None),
        ("POST", EVENTS, STEP, None),
        ("POST", EVENTS, {**STEP, "expected_version": 1}, None),
    ]
    none(mismatches(client, bearer["viewer"], writes, 403, "forbidden"))
    assert snapshot(practice) == before


def test_a_session_reads_without_a_token(signed_in: SignIn, practice: Tracker) -> None:
    client = signed_in("viewer")
    for url in ("/cases", f"/cases/{PRACTICE}", "/pending", "/events", "/workflows"):
        assert send(client, "GET", url, {}).status_code == 200, url


def test_a_session_write_needs_the_csrf_token(signed_in: SignIn, practice: Tracker) -> None:
    client = signed_in("clerk")
    before = snapshot(practice)
    writes: list[Request] = [
        ("POST", EVENTS, STEP, None),
        ("POST", "/cases", {"country": "FI", "treaty": "apmbc"}, None),
    ]
    problems = []
    for headers in ({}, {"X-CSRFToken": "forged"}, {"X-CSRFToken": ""}):
        problems += [f"{headers}: {p}" for p in mismatches(client, headers, writes, 403, "csrf")]
    none(problems)
    assert snapshot(practice) == before

    headers = {"X-CSRFToken": csrf_token(client)}
    response = send(client, "POST", EVENTS, headers, STEP)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["recorded_event"]["actor"] == "clerk"


def test_a_session_viewer_with_the_csrf_token_is_still_only_a_viewer(
    signed_in: SignIn, practice: Tracker
) -> None:
    client = signed_in("viewer")
    headers = {"X-CSRFToken": csrf_token(client)}
    error = error_of(send(client, "POST", EVENTS, headers, STEP), 403)
    assert error["code"] == "forbidden"


# ------------------------------------------------------------------ 404

UNKNOWN: list[Request] = [
    ("GET", "/cases/NO-SUCH-CASE", None, "case"),
    ("GET", "/cases/NO-SUCH-CASE?as_of=2025-01-01", None, "case"),
    ("POST", "/cases/NO-SUCH-CASE/events", STEP, "case"),
    ("POST", "/cases/NO-SUCH-CASE/events", {**STEP, "expected_version": 1}, "case"),
    ("GET", "/workflows/apmbc/no-such-procedure", None, "workflow"),
    ("GET", "/workflows/nato", None, "workflow"),
    ("GET", "/no-such-thing", None, None),
    ("GET", f"/cases/{PRACTICE}/history", None, None),
    ("POST", "/audit", {}, None),
    ("GET", "/cases/", None, None),
]


def test_unknown_cases_workflows_and_addresses_are_404_and_a_wrong_method_405(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    none(mismatches(client, bearer["clerk"], UNKNOWN, 404, "not_found"))
    wrong_methods: list[Request] = [("PUT", "/cases", {}, None), ("DELETE", EVENTS, None, None)]
    none(mismatches(client, bearer["clerk"], wrong_methods, 405, "method_not_allowed"))
    for method, url, allowed in (("PUT", "/cases", "GET, HEAD, OPTIONS, POST"),
                                 ("DELETE", EVENTS, "OPTIONS, POST")):  # fmt: skip
        response = send(client, method, url, bearer["clerk"])
        assert sorted(response.headers["Allow"].split(", ")) == allowed.split(", ")
    assert send(client, "GET", f"/cases/{PRACTICE.lower()}", bearer["clerk"]).status_code == 200


# ------------------------------------------------------------------ 409


def test_a_stale_expected_version_is_409_with_the_current_version_and_state(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    stale = send(client, "POST", EVENTS, bearer["clerk"], {**STEP, "expected_version": 7})
    error = error_of(stale, 409, "expected_version")
    assert error["code"] == "conflict"
    assert (error["current_version"], error["current_state"]) == (1, "drafting")

    first = send(client, "POST", EVENTS, bearer["clerk"], {**STEP, "expected_version": 1})
    assert first.status_code == 201
    before = snapshot(practice)
    reading = {
        "trigger": "record_reading",
        "occurred_on": "2025-02-01",
        "evidence": {"chamber": "Parliament", "reading": 1},
        "expected_version": 1,  # what the admin saw before the clerk's step
    }
    error = error_of(send(client, "POST", EVENTS, bearer["admin"], reading), 409)
    assert (error["current_version"], error["current_state"]) == (2, "parliament")
    assert snapshot(practice) == before
    retried = send(client, "POST", EVENTS, bearer["admin"], {**reading, "expected_version": 2})
    assert retried.status_code == 201


# ------------------------------------------------------------------ 413


def test_a_body_over_one_megabyte_is_413_and_one_under_is_read(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    before = snapshot(practice)
    huge = {**STEP, "country": "FI", "treaty": "apmbc", "comment": "x" * 1024 * 1024}
    for url in ("/cases", EVENTS):
        response = send(client, "POST", url, bearer["admin"], json.dumps(huge).encode())
        error = error_of(response, 413)
        assert error["code"] == "request_entity_too_large"
        assert "may be up to 1 MB" in error["message"]  # the limit, in words
    assert snapshot(practice) == before

    below = {**STEP, "comment": "x" * (1000 * 1000)}
    assert send(client, "POST", EVENTS, bearer["admin"], below).status_code == 201


# ------------------------------------------------------------------ 422

READING = {"trigger": "record_reading", "occurred_on": "2025-02-01"}
SEJM = {"chamber": "Sejm", "reading": 1}
REFUSED_STEPS: list[tuple[dict[str, Any], str, str]] = [
    ({"trigger": "deposit", "occurred_on": "2025-02-01"}, "not_allowed", "trigger"),
    ({"trigger": "submit_to_parliament", "occurred_on": "2025-02-01"}, "not_allowed", "trigger"),
    ({"trigger": "no_such_step", "occurred_on": "2025-02-01"}, "not_found", "trigger"),
    ({**READING, "evidence": {"reading": 1}}, "invalid_input", "evidence.chamber"),
    ({**READING, "evidence": {"chamber": "Sejm"}}, "invalid_input", "evidence.reading"),
    ({**READING, "evidence": {**SEJM, "reading": "first"}}, "invalid_input", "evidence.reading"),
    ({**READING, "evidence": {**SEJM, "reading": 0}}, "invalid_input", "evidence.reading"),
    ({**READING, "evidence": {**SEJM, "reading": True}}, "invalid_input", "evidence.reading"),
    ({**READING, "evidence": {**SEJM, "reading": 1.5}}, "invalid_input", "evidence.reading"),
    ({**READING, "evidence": {**SEJM, "chamber": ["Sejm"]}}, "invalid_input", "evidence.chamber"),
    ({**READING, "evidence": {**SEJM, "confidence": "sure"}}, "invalid_input",
     "evidence.confidence"),
    ({**READING, "evidence": {**SEJM, "mood": "tense"}}, "invalid_input", "evidence.mood"),
    # dates: before the bill was submitted (2025-01-10), tomorrow, a range reaching tomorrow
    ({**READING, "occurred_on": "2025-01-09", "evidence": SEJM}, "not_allowed", "occurred_on"),
    ({**READING, "occurred_on": "2026-11-28", "evidence": SEJM}, "not_allowed", "occurred_on"),
    ({**READING, "occurred_on": "2026-11-01..2026-11-28", "evidence": SEJM}, "not_allowed",
     "occurred_on"),
    ({**READING, "occurred_on": "02/01/2025", "evidence": SEJM}, "invalid_input",
     "occurred_on"),  # a day and month that could be read both ways
    ({**READING, "occurred_on": "2025-03-01..2025-02-01", "evidence": SEJM}, "invalid_input",
     "occurred_on"),
]  # fmt: skip


def test_a_step_the_workflow_refuses_is_422(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    advance(practice, PRACTICE, "submit_to_parliament", "2025-01-10", "clerk")
    before = snapshot(practice)
    problems = []
    for step, code, field in REFUSED_STEPS:
        problems += mismatches(client, bearer["clerk"], [("POST", EVENTS, step, field)], 422, code)
    none(problems)
    assert snapshot(practice) == before


REFUSED_OPENINGS: list[Request] = [
    ("POST", "/cases", {"country": "XX", "treaty": "apmbc"}, "country"),
    ("POST", "/cases", {"country": "Estonia", "treaty": "apmbc"}, "country"),
    ("POST", "/cases", {"country": "EE", "treaty": "nato"}, "treaty"),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "workflow": "apmbc/lv"}, "workflow"),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "workflow": "rome-statute/generic"},
     "workflow"),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "workflow": "apmbc/nowhere"},
     "workflow"),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "began_on": "2026-11-28"},
     "began_on"),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "began_on": "soon"}, "began_on"),
]  # fmt: skip
UNKNOWN_FILTERS: list[Request] = [
    ("GET", "/cases?state=nowhere", None, "state"),
    ("GET", "/cases?country=XX", None, "country"),
    ("GET", "/cases?treaty=nato", None, "treaty"),
    ("GET", "/pending?stage=nowhere", None, "stage"),
    ("GET", "/pending?country=XX", None, "country"),
    ("GET", "/pending?treaty=nato", None, "treaty"),
]


def test_an_opening_the_tracker_refuses_is_422(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    before = snapshot(practice)
    none(mismatches(client, bearer["clerk"], REFUSED_OPENINGS, 422))
    assert snapshot(practice) == before


def test_an_unknown_filter_value_is_422_naming_the_parameter(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    none(mismatches(client, bearer["viewer"], UNKNOWN_FILTERS, 422))


# ------------------------------------------------------------------ never a 500

# Each hostile step goes to a fresh case (CASE is replaced by its reference), so that one that
# is accepted does not turn the next into a plain "not allowed now".
CASE = "/cases/CASE/events"
HOSTILE: list[tuple[str, str, Any]] = [
    ("GET", "/events?older_than=9999-12-31T23:59:59.999999Z~99999999999999999999", None),
    ("GET", "/cases?page=100000000000000000000", None),
    ("GET", "/events?until=9999-12-31", None),  # the day after it is past date.max
    ("GET", "/events?since=9999-12-31", None),
    ("GET", "/events?since=0001-01-01", None),
    ("GET", f"/cases/{PRACTICE}?as_of=0001-01-01", None),
    ("GET", "/pending?as_of=0001-01-01", None),
    ("GET", "/events?actor=a%00b", None),  # NUL: PostgreSQL text cannot hold it
    ("GET", "/events?case=%00", None),
    ("GET", "/events?trigger=%00", None),
    ("GET", "/cases/A%00B", None),
    ("GET", "/cases/%FF%FE", None),
    ("GET", "/workflows/%00", None),
    ("GET", "/cases?country=%00&treaty=%00&state=%00", None),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "note": "a\x00b"}),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "note": "\ud800"}),  # lone surrogate
    ("POST", "/cases", {"country": "E\x00", "treaty": "apmbc\x00"}),
    ("POST", "/cases", {"country": "EE", "treaty": "apmbc", "began_on": "0001-01-01"}),
    ("POST", "/cases", {"country": "EE", "treaty": "x" * 100_000}),
    ("POST", CASE, {**STEP, "comment": "a\x00b"}),
    ("POST", CASE, {**STEP, "comment": "\udfff"}),
    ("POST", CASE, {**STEP, "evidence": {"bill": "\ud800"}}),
    ("POST", CASE, {**STEP, "evidence": {"bill": "a\x00b"}}),
    ("POST", CASE, {**STEP, "evidence": {"bill": {"no": "nesting"}}}),
    ("POST", CASE, {**STEP, "expected_version": 10**30}),
    ("POST", CASE, {**STEP, "occurred_on": "0001-01-01..9999-12-31"}),
    ("POST", CASE, {"trigger": "\x00", "occurred_on": "\x00"}),
    ("POST", CASE, b'{"trigger": "submit_to_parliament", "occurred_on": "2025-01-10", '
     b'"evidence": {"bill": 1' + b"0" * 5000 + b"}}"),
    ("POST", CASE, b"[" * 100_000 + b"]" * 100_000),  # nested deeper than the parser recurses
]  # fmt: skip


def test_bad_input_is_never_a_500(
    app: Flask, client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    problems = []
    for method, url, body in HOSTILE:
        if url == CASE:
            fresh = open_case(
                practice, "EE", "apmbc", "clerk", began_on=date(2024, 1, 1), allow_duplicate=True
            )
            url = url.replace("CASE", fresh.reference)
        request = f"{method} {url[:60]} {str(body)[:60]}"
        try:  # under TESTING the crash behind a 500 reaches the test: name it
            response = send(client, method, url, bearer["admin"], body)
        except Exception as exc:
            problems.append(
                f"{request}: 500, {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
            )
            continue
        try:
            assert response.status_code < 500, response.get_data(as_text=True)[:200]
            assert response.mimetype == "application/json"
            if response.status_code >= 400:
                error_of(response, response.status_code)
        except AssertionError as exc:
            problems.append(f"{request}: {str(exc)[:200]}")
    none(problems)


def test_a_treaty_code_with_spaces_gives_a_clean_reference(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    body = {"country": " ee ", "treaty": " APMBC ", "began_on": "2025-01-01"}
    response = send(client, "POST", "/cases", bearer["clerk"], body)
    assert response.status_code == 201
    case = response.get_json()
    assert (case["country"], case["treaty"]) == ("EE", "apmbc")
    assert case["reference"] == "EE-APMBC-2025"


# ------------------------------------------------------------------ a round trip over HTTP

ROUND_TRIP: list[tuple[str, str, dict[str, Any]]] = [
    ("submit_to_parliament", "2025-01-15", {"bill": "Bill 512 (XV)", "confidence": "H"}),
    ("record_reading", "2025-02-12..2025-02-14", {"chamber": "Riigikogu", "reading": 1}),
    ("adopt", "2025-03-19", {"votes_for": 79, "votes_against": 0, "abstained": 2}),
    ("sign", "2025-03-27", {"signed_by": "President Karis"}),
    ("deposit", "2025-06-27", {"reasons": "Art. 20(2): the reasons, in full", "source": "UN"}),
    ("notify_security_council", "2025-07-01", {}),
    ("take_effect", "2025-12-27", {"source": "C.N. notification"}),
]


def test_a_case_from_opening_to_effect_over_http_matches_the_cli_and_the_audit(
    client: FlaskClient, tracker: Tracker, cli: FlaskCliRunner, bearer: dict[str, Headers]
) -> None:
    clerk = bearer["clerk"]
    # Opened today (2026-11-27) without a date; the 2025 history is recorded afterwards.
    opened = send(client, "POST", "/cases", clerk, {"country": "EE", "treaty": "apmbc"})
    assert opened.status_code == 201, opened.get_data(as_text=True)
    case = opened.get_json()
    reference, location = case["reference"], opened.headers["Location"]
    assert (reference, case["workflow"]) == ("EE-APMBC-2026", "apmbc/generic")
    assert case["state"] == "drafting"
    assert (case["opened_on"], case["opened_by"]) == ("2026-11-27", "clerk")
    recorded = []
    for trigger, on, evidence in ROUND_TRIP:
        offered = {t["trigger"]: t for t in case["available_triggers"]}
        assert trigger in offered, (trigger, case["state"])
        required = {f["key"] for f in offered[trigger]["evidence"] if f["required"]}
        assert required <= set(evidence)
        step = {
            "trigger": trigger,
            "occurred_on": on,
            "evidence": evidence,
            "comment": f"{trigger} by the registry",
            "expected_version": case["version"],
        }
        response = send(client, "POST", f"/cases/{reference}/events", clerk, step)
        assert response.status_code == 201, (trigger, response.get_data(as_text=True))
        assert response.get_json()["version"] == case["version"] + 1
        case = response.get_json()
        recorded.append(case.pop("recorded_event"))

    read = client.get(location, headers=bearer["viewer"]).get_json()
    assert {k: v for k, v in read.items() if k != "history"} == case
    assert read["history"][1:] == recorded, "each answer carried the event as it is kept"
    assert read["state"] == "effective" and read["available_triggers"] == []
    assert read["dates"]["deposited"] == "2025-06-27"
    assert read["dates"]["effective"] == "2025-12-27"  # deposit + 6 months, APMBC Art. 20(3)
    assert read["procedure_began_on"] == "2025-01-15"
    assert read["procedure_began_from"] == "first step"
    history = read["history"]
    assert [(e["trigger"], e["occurred_on"], e["occurred_until"]) for e in history] == [
        ("open", "2026-11-27", None),
        *((t, *on.split("..")) if ".." in on else (t, on, None) for t, on, _ in ROUND_TRIP),
    ]
    assert all(e["actor"] == "clerk" for e in history)
    assert history[-1]["labels"] == {  # the words beside the ids, as the workflow names them
        "step": "Withdrawal takes effect",
        "from_stage": "Notice period",
        "to_stage": "Withdrawal effective",
    }
    assert history[2]["evidence"] == {"chamber": "Riigikogu", "reading": 1}

    logged = send(client, "GET", f"/events?case={reference}&per_page=200", clerk).get_json()
    assert logged["next"] is None and len(logged["items"]) == 1 + len(ROUND_TRIP)
    assert list(reversed(logged["items"])) == history  # the log is newest first

    exported = cli.invoke(args=["audit", "export", "--format", "json"])
    assert exported.exit_code == 0, exported.output
    assert [e for e in json.loads(exported.stdout) if e["case"] == reference] == history

    verified = cli.invoke(args=["audit", "verify", "--json"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["intact"] is True
    api_verify = send(client, "GET", "/audit/verify", clerk).get_json()
    assert api_verify["intact"] is True and api_verify["first_break"] is None
    assert api_verify["events"] == 1 + len(ROUND_TRIP)

    on_deposit_day = send(client, "GET", f"/cases/{reference}?as_of=2025-06-27", clerk).get_json()
    assert on_deposit_day["state"] == "notice_period"
    assert on_deposit_day["history"] == history[1:6]  # the record was opened later
    assert date.fromisoformat(on_deposit_day["dates"]["notice_period_ends"]) == date(2025, 12, 27)


def test_a_conflict_answered_while_the_database_goes_away_is_a_503_not_a_500(
    practice: Tracker, client: FlaskClient, bearer: dict[str, Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A 409 reads the case's current version to say it; if the database is gone by then
    (seen once in the restart stress test), the answer says so instead of failing."""
    from app.domain.errors import Unavailable
    from app.web import api

    def gone(reference: str) -> dict[str, Any]:
        raise Unavailable("database: it cannot be reached now", field="database")

    monkeypatch.setattr(api, "_current", gone)
    stale = {"trigger": "submit_to_parliament", "occurred_on": "2026-01-05", "expected_version": 9}
    response = send(client, "POST", EVENTS, bearer["clerk"], stale)
    assert response.status_code == 503
    assert response.get_json()["error"]["field"] == "database"


def test_a_second_open_case_is_a_409_naming_the_first_unless_asked_for(
    client: FlaskClient, practice: Tracker, bearer: dict[str, Headers]
) -> None:
    opening = {"country": "EE", "treaty": "apmbc", "began_on": "14 Jan 2025"}
    first = send(client, "POST", "/cases", bearer["clerk"], opening)
    assert first.status_code == 201, first.get_json()
    before = snapshot(practice)
    again = send(client, "POST", "/cases", bearer["clerk"], opening)
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert (error["code"], error["field"]) == ("conflict", "allow_duplicate")
    assert error["existing_case"] == "EE-APMBC-2025"
    assert "EE-APMBC-2025 is already an open withdrawal case of Estonia" in error["message"]
    assert snapshot(practice) == before
    loose = send(client, "POST", "/cases", bearer["clerk"], {**opening, "allow_duplicate": "yes"})
    assert loose.status_code == 400  # only an explicit true says so
    second = send(client, "POST", "/cases", bearer["clerk"], {**opening, "allow_duplicate": True})
    assert second.status_code == 201
    assert second.get_json()["reference"] == "EE-APMBC-2025-2"


def test_the_lists_leave_practice_cases_out_unless_asked_as_the_pages_do(
    client: FlaskClient, seeded: Tracker, bearer: dict[str, Headers]
) -> None:
    def references(url: str) -> set[str]:
        listed = client.get(f"{API}/{url}", headers=bearer["viewer"]).get_json()["items"]
        return {item.get("reference") or item["case"] for item in listed}

    for url in ("pending?per_page=200", "events?per_page=200", "cases?per_page=200"):
        real = references(url)
        assert real and not [r for r in real if r.startswith("PRACTICE-")], url
        asked = references(f"{url}&practice=true")
        assert any(r.startswith("PRACTICE-") for r in asked), url
    assert references("events?case=PRACTICE-APMBC-GENERIC") == {"PRACTICE-APMBC-GENERIC"}
