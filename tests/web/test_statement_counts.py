"""Every list page runs the same number of SQL statements for 10 cases as for 1,000, and at
most six: no statement per row, however long the list (the read model's promise)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event

from app.services.context import Tracker
from app.services.tokens import create_token
from tests.benchmarks.data import build_cases
from tests.web.conftest import SignIn

PAGES = (
    "/",
    "/?sort=reference&page=2",
    "/cases",
    "/cases?status=closed&sort=reference",
    "/cases.csv",
    "/dashboard",
    "/audit",
    "/treaties",
    "/treaties/apmbc",
    "/groups",
)
TOKEN = ("/api/v1/pending?per_page=50", "/api/v1/cases?per_page=50", "/api/v1/events?per_page=50")
MOST = 6
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")  # not a query


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.startswith(CONTROL):
            statements.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(app: Flask, signed_in: SignIn, token: str) -> dict[str, list[str]]:
    viewer = signed_in("viewer")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    found = {}
    for url in (*PAGES, f"/calendar.ics?token={token}", *TOKEN):
        client, extra = (api, headers) if url in TOKEN else (viewer, {})
        client.get(url, headers=extra)  # warm: the workflow definitions are read once
        with counted(app) as statements:
            response = client.get(url, headers=extra)
            response.get_data()  # a streamed body runs its statements now
        assert response.status_code == 200, (url, response.status_code)
        found[url] = [" ".join(x.split())[:120] for x in statements]
    return found


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_list_pages_cost_the_same_statements_at_10_and_1000_cases(
    app: Flask, tracker: Tracker, signed_in: SignIn
) -> None:
    token = create_token(tracker, "viewer")
    build_cases(tracker, 10)
    few = _statements(app, signed_in, token)
    build_cases(tracker, 990)
    many = _statements(app, signed_in, token)
    for url, statements in many.items():
        assert len(statements) == len(few[url]), (url, "a statement per row", statements)
        assert len(statements) <= MOST, (url, statements)
