"""The OpenAPI description: valid OpenAPI 3.1, one operation for every route under /api/v1 and
no other, browsable at /api/docs, and true of the API (a bounded schemathesis run finds no 500
and no response the document does not describe)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from hypothesis import strategies as st
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from schemathesis import GenerationMode
from sqlalchemy import Engine

from app.services.context import Tracker
from app.services.tokens import create_token
from app.web.openapi import docs_bp, document
from tests.conftest import copy_demo
from tests.web.conftest import LV, PRACTICE, SignIn, html_of

API = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
SPEC_URL = f"{API}/openapi.json"


@pytest.fixture
def api_app(app: Flask) -> Flask:
    """The app with the documentation blueprint (registered here until app.web registers it)."""
    if "openapi" not in app.blueprints:
        app.register_blueprint(docs_bp)
    return app


def documented() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document()["paths"].items()
        for method in item
    }  # fmt: skip


def routed(app: Flask) -> set[tuple[str, str]]:
    """(path, method) of every url_map rule under /api/v1, in OpenAPI's {name} notation."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found |= {(path, m) for m in (rule.methods or set()) - IGNORED_METHODS}
    return found


def test_the_document_is_valid_openapi_3_1() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    validate(doc)
    errors = list(OpenAPIV31SpecValidator(doc).iter_errors())
    assert errors == []


def test_every_route_is_documented_and_every_documented_route_exists(api_app: Flask) -> None:
    in_code, in_doc = routed(api_app), documented()
    assert in_code - in_doc == set(), "routes under /api/v1 missing from the OpenAPI document"
    assert in_doc - in_code == set(), "documented operations that no route serves"
    assert (f"{API}/workflows/{{name}}", "GET") in in_doc


def test_every_operation_documents_its_errors_with_the_error_schema() -> None:
    doc = document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if op.get("security") == []:
                continue  # the public document itself
            assert "401" in op["responses"], (method, path)
            for status, response in op["responses"].items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema["$ref"].rsplit("/", 1)[1] in ("Error", "VersionConflict")
    writes = [op for item in doc["paths"].values() for m, op in item.items() if m == "post"]
    for op in writes:
        assert {"400", "401", "403", "409", "413", "422"} <= set(op["responses"])
    schemas = doc["components"]["schemas"]
    conflict = schemas["VersionConflict"]["properties"]["error"]
    conflict = schemas[conflict["$ref"].rsplit("/", 1)[1]]
    assert {"current_version", "current_state"} <= set(conflict["required"])
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "session"}


def test_the_document_is_served_without_a_token(api_app: Flask) -> None:
    response = api_app.test_client().get(SPEC_URL)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == document()


@pytest.mark.parametrize("who", ["anonymous", "viewer"])
def test_the_docs_page_lists_every_operation_and_schema(
    api_app: Flask, signed_in: SignIn, who: str
) -> None:
    client = api_app.test_client() if who == "anonymous" else signed_in(who)
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = html_of(response)
    doc = document()
    for path, item in doc["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in html, (method, path)
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in html, name
    for parameter in ("as_of", "per_page", "X-CSRFToken", "Idempotency-Key", "reference"):
        assert f"<code>{parameter}</code>" in html
    assert "Authorization: Bearer" in html and "curl" in html
    assert "<script" not in html
    external = re.findall(r'(?:src|href)="(?:https?:)?//[^"]*"', html)
    assert external == [], "the docs page loads nothing from elsewhere"
    assert ("Sign out" in html) == (who != "anonymous")


def test_the_docs_pages_example_works_as_written(api_app: Flask, seeded: Tracker) -> None:
    # A reader copies the two curl commands: the read answers, and the step is recorded.
    client = api_app.test_client()
    example = html_of(client.get("/api/docs")).split('<h2 id="example">', 1)[1]
    example = html.unescape(re.sub(r"<[^>]+>", "", example.split("</pre>", 1)[0]))
    headers = {"Authorization": f"Bearer {create_token(seeded, 'clerk')}"}
    read_url, post_url = re.findall(r"http://localhost(/api/v1/\S+)", example)
    body = json.loads(re.search(r"-d '(\{.*\})'", example).group(1))  # type: ignore[union-attr]
    read = client.get(read_url, headers=headers)
    assert read.status_code == 200
    assert body["expected_version"] == read.get_json()["version"]
    assert body["trigger"] in [t["trigger"] for t in read.get_json()["available_triggers"]]
    recorded = client.post(post_url, json=body, headers=headers)
    assert recorded.status_code == 201, recorded.get_json()


# ------------------------------------------------------------------ property-based run

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]
OPERATIONS = sorted(documented())
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}  # per operation
# Values that exist in the seeded data, mixed into the generated ones so that the run gets past
# "not found" and reaches the code that reads and changes real cases.
REFERENCES = [LV, PRACTICE, "PRACTICE-APMBC-INTERNATIONAL-ONLY", "UA-APMBC-2025"]
WORKFLOWS = ["apmbc/generic", "apmbc/ua/suspension", "rome-statute/international-only"]
QUERIES: dict[str, list[dict[str, str]]] = {
    "listCases": [{"state": "effective"}, {"country": "LV", "treaty": "apmbc"}],
    "pending": [{"treaty": "apmbc", "stage": "notice_period"}, {"as_of": "2025-07-01"}],
    "listEvents": [{"case": LV, "since": "2020-01-01"}, {"trigger": "deposit", "per_page": "3"}],
    "getCase": [{"as_of": "2025-07-01"}],
}
BODIES: dict[str, list[dict[str, Any]]] = {
    "openCase": [
        {"country": "FI", "treaty": "apmbc", "began_on": "2025-01-01"},
        {"country": "LV", "treaty": "rome-statute", "workflow": "rome-statute/generic"},
    ],
    "recordEvent": [
        {"trigger": "submit_to_parliament", "occurred_on": "2025-01-01"},
        {"trigger": "deposit", "occurred_on": "2025-06-27", "evidence": {"reasons": "r"}},
        {"trigger": "deposit", "occurred_on": "2025-06-27..2025-07-01", "expected_version": 1},
        {"trigger": "record_reading", "occurred_on": "2025-02-01", "evidence": {"reading": 1}},
        {"trigger": "revoke", "occurred_on": "2026-11-27", "evidence": {"reason": "r"}},
    ],
}


def _strategies(operation: Any, mode: GenerationMode) -> Iterator[Any]:
    """Generated cases, and generated cases with real references, names, filters, bodies."""
    yield operation.as_strategy(generation_mode=mode)
    if mode is not GenerationMode.POSITIVE:
        return
    op_id = operation.definition.raw["operationId"]
    if "{reference}" in operation.path:
        for reference in REFERENCES:
            yield operation.as_strategy(path_parameters={"reference": reference})
            for body in BODIES.get(op_id, []):
                yield operation.as_strategy(path_parameters={"reference": reference}, body=body)
    elif "{name}" in operation.path:
        yield from (operation.as_strategy(path_parameters={"name": n}) for n in WORKFLOWS)
    else:
        yield from (operation.as_strategy(body=body) for body in BODIES.get(op_id, []))
    path = {"reference": LV} if "{reference}" in operation.path else None
    for query in QUERIES.get(op_id, []):
        yield operation.as_strategy(query=query, path_parameters=path)


def _run(operation: Any, mode: GenerationMode, call: Callable[[Any, bool], None]) -> None:
    # One case in five goes without the token (with whatever credentials were generated).
    @hypothesis.given(
        case=st.one_of(*_strategies(operation, mode)),
        with_token=st.sampled_from([True, True, True, True, False]),
    )
    @hypothesis.settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    def run(case: Any, with_token: bool) -> None:
        call(case, with_token)

    run()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # one backend is enough here
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_the_api_keeps_to_its_document(
    api_app: Flask,
    tracker: Tracker,
    db_engine: Engine,
    demo_rows: dict[str, list[dict[str, Any]]],
    path: str,
    method: str,
) -> None:
    copy_demo(db_engine, demo_rows)  # the run's one seeding, copied: seeding per operation is slow
    headers = {"Authorization": f"Bearer {create_token(tracker, 'admin')}"}
    schema = schemathesis.openapi.from_wsgi(SPEC_URL, api_app)
    operation = schema[path][method]

    def call(case: Any, with_token: bool) -> None:
        case.call_and_validate(headers=headers if with_token else None, checks=CHECKS)

    for mode in EXAMPLES:
        try:
            _run(operation, mode, call)
        except hypothesis.errors.Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to get wrong (no parameters)


def test_the_run_reaches_real_data(
    api_app: Flask,
    tracker: Tracker,
    db_engine: Engine,
    demo_rows: dict[str, list[dict[str, Any]]],
) -> None:
    """The examples mixed into the run exist: the run is not 404s all the way down."""
    copy_demo(db_engine, demo_rows)
    client = api_app.test_client()
    headers = {"Authorization": f"Bearer {create_token(tracker, 'viewer')}"}
    for reference in REFERENCES:
        assert client.get(f"{API}/cases/{reference}", headers=headers).status_code == 200
    for name in WORKFLOWS:
        assert client.get(f"{API}/workflows/{name}", headers=headers).status_code == 200
    for op_id, queries in QUERIES.items():
        path = next(p for p, item in document()["paths"].items()
                    for op in item.values() if op["operationId"] == op_id)  # fmt: skip
        for query in queries:
            url = path.replace("{reference}", LV)
            assert client.get(url, query_string=query, headers=headers).status_code == 200
