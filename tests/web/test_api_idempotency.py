"""Idempotency-Key on the API's writes: a retry with the same key gets the first answer and
records nothing new, even when the two arrive at once on PostgreSQL; another request under a
used key, or a key that is not one, is refused naming the header and changes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.services import tokens
from app.services.cases import advance
from app.services.context import Tracker
from tests.web.conftest import PRACTICE, ROLES, snapshot

API = "/api/v1"
EVENTS = f"{API}/cases/{PRACTICE}/events"
STEP = {"trigger": "submit_to_parliament", "occurred_on": "2025-01-10"}
# a step a case in parliament may take again and again: a retry of it would be a second event
READING = {"trigger": "record_reading", "occurred_on": "2025-02-01",
           "evidence": {"chamber": "Parliament", "reading": 1}}  # fmt: skip
NEW_CASE = {"country": "FI", "treaty": "apmbc"}


@pytest.fixture
def bearer(tracker: Tracker) -> dict[str, dict[str, str]]:
    return {r: {"Authorization": f"Bearer {tokens.create_token(tracker, r)}"} for r in ROLES}


def post(
    client: FlaskClient, url: str, who: dict[str, str], key: str | None, body: Any
) -> TestResponse:
    headers = {**who, **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(url, headers=headers, json=body)


def events(tracker: Tracker) -> int:
    total: int = snapshot(tracker)["events"]  # type: ignore[assignment]
    return total


@pytest.mark.parametrize(("url", "body"), [(EVENTS, STEP), (f"{API}/cases", NEW_CASE)])
def test_a_retry_with_the_same_key_answers_the_first_answer_and_records_nothing(
    app: Flask, practice: Tracker, bearer: dict[str, dict[str, str]], url: str, body: Any
) -> None:
    client = app.test_client()
    first = post(client, url, bearer["clerk"], "4f0e-retry-1", body)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert "Idempotent-Replayed" not in first.headers
    after_first = snapshot(practice)
    for _ in range(2):
        retry = post(client, url, bearer["clerk"], "4f0e-retry-1", body)
        assert (retry.status_code, retry.get_json()) == (201, first.get_json())
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.headers.get("Location") == first.headers.get("Location")
    assert snapshot(practice) == after_first

    fresh = post(client, url, bearer["clerk"], "4f0e-retry-2", body)
    assert fresh.status_code != 201 or fresh.get_json() != first.get_json(), "a new key is new"


def test_without_a_key_a_retry_is_a_new_request(
    app: Flask, practice: Tracker, bearer: dict[str, dict[str, str]]
) -> None:
    advance(practice, PRACTICE, "submit_to_parliament", "2025-01-10", "clerk")
    client, before = app.test_client(), events(practice)
    for _ in range(2):
        assert post(client, EVENTS, bearer["clerk"], None, READING).status_code == 201
    assert events(practice) == before + 2  # what the key is for
    keyed = [post(client, EVENTS, bearer["clerk"], "reading-3", READING) for _ in range(2)]
    assert [r.status_code for r in keyed] == [201, 201]
    assert events(practice) == before + 3


def test_a_key_belongs_to_its_caller(
    app: Flask, practice: Tracker, bearer: dict[str, dict[str, str]]
) -> None:
    client = app.test_client()
    mine = post(client, f"{API}/cases", bearer["clerk"], "same-key", NEW_CASE)
    again = {**NEW_CASE, "allow_duplicate": True}  # the same country and treaty, on purpose
    theirs = post(client, f"{API}/cases", bearer["admin"], "same-key", again)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["reference"] != theirs.get_json()["reference"]
    assert "Idempotent-Replayed" not in theirs.headers


def test_the_same_key_with_another_request_is_422_naming_the_header(
    app: Flask, practice: Tracker, bearer: dict[str, dict[str, str]]
) -> None:
    client = app.test_client()
    assert post(client, EVENTS, bearer["clerk"], "k-1", STEP).status_code == 201
    before = snapshot(practice)
    other_step = {**STEP, "comment": "the same, said otherwise"}
    for url, body in ((EVENTS, other_step), (f"{API}/cases", NEW_CASE)):
        refused = post(client, url, bearer["clerk"], "k-1", body)
        assert refused.status_code == 422, refused.get_data(as_text=True)
        error = refused.get_json()["error"]
        assert error["field"] == "Idempotency-Key" and "another request" in error["message"]
    assert snapshot(practice) == before


@pytest.mark.parametrize("key", ["", "   ", "k" * 201, "clé", "tab\there"])
def test_a_key_that_is_not_one_is_400_naming_the_header(
    app: Flask, practice: Tracker, bearer: dict[str, dict[str, str]], key: str
) -> None:
    before = snapshot(practice)
    refused = post(app.test_client(), EVENTS, bearer["clerk"], key, STEP)
    assert refused.status_code == 400, refused.get_data(as_text=True)
    error = refused.get_json()["error"]
    assert error["field"] == "Idempotency-Key" and "1 to 200" in error["message"]
    assert snapshot(practice) == before
    longest = post(app.test_client(), EVENTS, bearer["clerk"], "k" * 200, STEP)
    assert longest.status_code == 201


@pytest.mark.parametrize("db_url", ["postgresql", "sqlite"], indirect=True)
def test_two_retries_at_once_record_one_event(
    app: Flask, practice: Tracker, bearer: dict[str, dict[str, str]]
) -> None:
    """Each round sends the same step twice at the same moment from two threads (as a client
    whose connection dropped retries while the first request is still being served)."""
    advance(practice, PRACTICE, "submit_to_parliament", "2025-01-10", "clerk")
    for round_ in range(4):
        before = events(practice)
        key = f"at-once-{round_}"
        answers = at_once(
            2, lambda k=key: post(app.test_client(), EVENTS, bearer["clerk"], k, READING)
        )
        assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
        assert answers[0].get_json() == answers[1].get_json()
        assert events(practice) == before + 1, f"round {round_}"


def at_once(n: int, send: Callable[[], TestResponse]) -> list[TestResponse]:
    """`send` from n threads released at the same moment; their answers."""
    start = threading.Barrier(n)
    answers: list[TestResponse] = []

    def run() -> None:
        start.wait()
        answers.append(send())

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers
