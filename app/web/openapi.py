"""The OpenAPI 3.1 description of the JSON API v1 (served at /api/v1/openapi.json) and its
browsable documentation at /api/docs, rendered on the server from the same document."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from app.web.api import MAX_PER_PAGE

docs_bp = Blueprint("openapi", __name__)

Schema = dict[str, Any]
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
ROLE = {"type": "string", "enum": ["viewer", "clerk", "admin"]}
TEXT: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
DAY: Schema = {"type": "string", "format": "date"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _null(schema: Schema) -> Schema:
    """The schema, or null (OpenAPI 3.1 has no `nullable`; null is a JSON Schema type)."""
    if "type" in schema:
        return {**schema, "type": [schema["type"], "null"]}
    return {"oneOf": [schema, {"type": "null"}]}


def _obj(description: str = "", **properties: Schema) -> Schema:
    """A response object: every key listed is always present, and no other key is."""
    schema: Schema = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    return {"description": description, **schema} if description else schema


def _list_of(item: Schema, **extra: Schema) -> Schema:
    return _obj(items={"type": "array", "items": item}, **extra)


PAGED = {"total": {"type": "integer", "minimum": 0}, "page": {**INT, "minimum": 1}}
EVIDENCE_FIELD = _obj(
    key=TEXT,
    type={"type": "string", "enum": ["text", "int", "date", "choice"]},
    required=BOOL,
    label=TEXT,
    allowed={**TEXT, "description": "what is allowed, in words (e.g. 'a whole number >= 0')"},
)
STEP = {
    "trigger": TEXT,
    "label": TEXT,
    "roles": {"type": "array", "items": ROLE},
    "due_on": {**_null(DAY), "description": "for the treaty clock's steps: the day it is due"},
    "date_note": {**TEXT, "description": "what occurred_on means for this step"},
}
SUMMARY = {
    "reference": TEXT,
    "country": {**TEXT, "description": "ISO 3166-1 alpha-2 code (ZZ for practice cases)"},
    "country_name": TEXT,
    "treaty": TEXT,
    "workflow": TEXT,
    "state": TEXT,
    "practice": BOOL,
    "deposited": _null(DAY),
    "effective": _null(DAY),
    "version": {**INT, "minimum": 1},
}

SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "field"],
                "additionalProperties": False,
                "properties": {
                    "code": {**TEXT, "description": "e.g. malformed, unauthorized, not_found"},
                    "message": TEXT,
                    "field": {**_null(TEXT), "description": "the input at fault, if one is"},
                    "current_version": {**INT, "description": "409 only: the case's version"},
                    "current_state": {**TEXT, "description": "409 only: the case's stage"},
                },
            }
        },
    },
    "EvidenceField": EVIDENCE_FIELD,
    "AvailableTrigger": _obj(
        "A step the case may take next", **STEP, evidence={"type": "array", "items": EVIDENCE_FIELD}
    ),
    "Event": _obj(
        "One recorded event of the append-only, hash-chained log",
        case=TEXT,
        seq={**INT, "minimum": 1},
        trigger=TEXT,
        from_state=TEXT,
        to_state=TEXT,
        occurred_on={**DAY, "description": "the real-world date (the earliest, for a range)"},
        occurred_until={**_null(DAY), "description": "the latest date, when only bounds are known"},
        recorded_at={"type": "string", "format": "date-time"},
        actor=TEXT,
        comment=TEXT,
        evidence={"type": "object", "additionalProperties": True},
        prev_hash=HASH,
        hash=HASH,
    ),
    "Case": _obj(
        "A case as it stands (or stood on as_of), rebuilt from its events",
        **{k: SUMMARY[k] for k in ("reference", "country", "country_name", "treaty")},
        treaty_name=TEXT,
        workflow=TEXT,
        workflow_version=TEXT,
        practice=BOOL,
        opened_on=DAY,
        opened_by=TEXT,
        note=TEXT,
        state=TEXT,
        stage=_obj(label=TEXT, responsible=TEXT, final=BOOL),
        version={**INT, "minimum": 1},
        as_of=_null(DAY),
        dates=_obj(
            deposited=_null(DAY),
            effective=_null(DAY),
            effective_basis=_null(TEXT),
            notice_period_ends=_null(DAY),
            armed_conflict_since=_null(DAY),
        ),
        available_triggers={"type": "array", "items": _ref("AvailableTrigger")},
        history={"type": "array", "items": _ref("Event")},
    ),
    "CaseSummary": _obj("A case as the list shows it", **SUMMARY),
    "PendingItem": _obj(
        "An open case with its next steps and the next date its treaty clock sets",
        **SUMMARY,
        treaty_name=TEXT,
        stage=_obj(label=TEXT, responsible=TEXT),
        next_date=_null(
            _obj(on=DAY, what=TEXT, basis=TEXT, days_from_today=INT)  # negative when overdue
        ),
        steps={"type": "array", "items": _obj(**STEP)},
    ),
    "WorkflowSummary": _obj(name=TEXT, version=TEXT, label=TEXT, treaty=TEXT),
    "Workflow": _obj(
        "A workflow definition: stages, transitions with their evidence, the clock, a diagram",
        name=TEXT,
        version=TEXT,
        label=TEXT,
        treaty=TEXT,
        initial=TEXT,
        clock=_null(
            _obj(
                article=TEXT,
                notice_period=TEXT,
                later_date_allowed=BOOL,
                armed_conflict_deferral=BOOL,
            )
        ),
        stages={
            "type": "array",
            "items": _obj(id=TEXT, label=TEXT, responsible=TEXT, final=BOOL, description=TEXT),
        },
        transitions={
            "type": "array",
            "items": _obj(
                **STEP,
                evidence={"type": "array", "items": EVIDENCE_FIELD},
                sources={"type": "array", "items": TEXT},
                dest=TEXT,
                guards={"type": "array", "items": TEXT},
                effects={"type": "array", "items": TEXT},
            ),
        },
        diagram=_obj(format={"type": "string", "const": "mermaid"}, source=TEXT),
    ),
    "CaseList": _list_of(_ref("CaseSummary"), **PAGED, per_page=INT),
    "EventList": _list_of(_ref("Event"), **PAGED, per_page=INT),
    "PendingList": _list_of(_ref("PendingItem"), as_of=_null(DAY)),
    "WorkflowList": _list_of(_ref("WorkflowSummary")),
    "AuditResult": _obj(
        "The hash chains checked; first_break names the first event that does not match",
        intact=BOOL,
        cases={**INT, "minimum": 0},
        events={**INT, "minimum": 0},
        first_break=_null(_obj(case=TEXT, seq=INT, problem=TEXT)),
    ),
    "NewCase": {
        "type": "object",
        "description": "Opens a case at its workflow's first stage (the country's own procedure "
        "for the treaty where one exists, else the generic one)",
        "required": ["country", "treaty"],
        "properties": {
            "country": {**TEXT, "minLength": 1, "pattern": r"\S", "example": "EE"},
            "treaty": {**TEXT, "minLength": 1, "pattern": r"\S", "example": "apmbc"},
            "workflow": {**_null(TEXT), "example": "apmbc/generic"},
            "opened_on": {
                **_null(TEXT),
                "format": "date",
                "description": "default: today; never after today",
                "example": "2025-01-01",
            },
            "note": _null(TEXT),
        },
    },
    "NewEvent": {
        "type": "object",
        "description": "Records that the case took a step (trigger) on occurred_on",
        "required": ["trigger", "occurred_on"],
        "properties": {
            "trigger": {**TEXT, "minLength": 1, "pattern": r"\S", "example": "deposit"},
            "occurred_on": {
                **TEXT,
                "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})?$",
                "description": "YYYY-MM-DD, or EARLIEST..LATEST when only bounds are known; "
                "never before the case's previous step, never after today",
                "example": "2025-06-27",
            },
            "comment": _null(TEXT),
            "evidence": {
                "type": ["object", "null"],
                "description": "key: value as the trigger's evidence fields describe them",
                "additionalProperties": {"type": ["string", "integer"]},
                "example": {"reasons": "Art. 20(2) explanation", "confidence": "H"},
            },
            "expected_version": {
                **_null(INT),
                "description": "the case version the caller saw; a stale one gets 409",
            },
        },
    },
}

ERRORS = {
    400: "Malformed: the body is not a JSON object, a value has the wrong type, or a page or "
    "date parameter is not valid",
    401: "No token, a bad or revoked token, or not signed in",
    403: "The caller's role may not do this, or a session write lacks X-CSRFToken",
    404: "No such case, workflow or address",
    409: "Someone else changed the case meanwhile",
    413: "The body is larger than 1 MB",
    422: "Understood but refused: unknown value, trigger not allowed now, evidence missing or "
    "ill-typed, date out of order or in the future",
}


def _errors(*codes: int, conflict: Schema | None = None) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code in codes:
        schema = conflict if code == 409 and conflict else _ref("Error")
        responses[str(code)] = {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": schema}},
        }
    return responses


def _ok(name: str, description: str, status: int = 200, **extra: Any) -> dict[str, Any]:
    body = {"description": description, "content": {"application/json": {"schema": _ref(name)}}}
    return {str(status): {**body, **extra}}


def _query(name: str, description: str, schema: Schema | None = None) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or TEXT}  # fmt: skip


def _param(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


PARAMETERS: dict[str, Schema] = {
    "page": _query("page", "page number, from 1", {**INT, "minimum": 1, "default": 1}),
    "per_page": _query(
        "per_page", "items per page", {**INT, "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50}
    ),
    "as_of": _query("as_of", "rebuild the situation on this past date (not after today)", DAY),
    "reference": {
        "name": "reference",
        "in": "path",
        "required": True,
        "description": "the case reference, e.g. LV-APMBC-2025 (case-insensitive)",
        "schema": {**TEXT, "pattern": "^[^/]+$", "example": "LV-APMBC-2025"},
    },
    "workflow_name": {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "the workflow's name, which contains slashes (apmbc/generic, "
        "apmbc/ua/suspension). The route takes the rest of the path, so the slashes may be sent "
        "as they are (/api/v1/workflows/apmbc/generic) or percent-encoded (apmbc%2Fgeneric), "
        "as an OpenAPI client does",
        "schema": {**TEXT, "minLength": 1, "example": "apmbc/generic"},
    },
    "csrf": {
        "name": "X-CSRFToken",
        "in": "header",
        "required": False,
        "description": "only for a signed-in browser session: the session's CSRF token",
        "schema": TEXT,
    },
}
FILTERS = {
    "state": "only cases at this stage",
    "stage": "only cases at this stage",
    "treaty": "treaty code, e.g. apmbc",
    "country": "ISO 3166-1 alpha-2 code, e.g. LV",
}


def _filters(*names: str) -> list[Schema]:
    return [_query(n, FILTERS[n]) for n in names]


def _paths() -> dict[str, Any]:
    case_ref = [_param("reference")]
    return {
        "/api/v1/cases": {
            "get": {
                "operationId": "listCases",
                "summary": "List cases (by reference), filtered and paginated",
                "parameters": [*_filters("state", "country", "treaty"),
                               _param("page"), _param("per_page")],  # fmt: skip
                "responses": {**_ok("CaseList", "A page of cases"), **_errors(400, 401, 422)},
            },
            "post": {
                "operationId": "openCase",
                "summary": "Open a case (clerk, admin)",
                "parameters": [_param("csrf")],
                "requestBody": _body("NewCase"),
                "responses": {
                    **_ok("Case", "The new case", 201, headers=_location()),
                    **_errors(400, 401, 403, 409, 413, 422),
                },
            },
        },
        "/api/v1/cases/{reference}": {
            "get": {
                "operationId": "getCase",
                "summary": "A case with its dates, history and available triggers",
                "parameters": [*case_ref, _param("as_of")],
                "responses": {**_ok("Case", "The case"), **_errors(400, 401, 404)},
            }
        },
        "/api/v1/cases/{reference}/events": {
            "post": {
                "operationId": "recordEvent",
                "summary": "Advance a case: record a step with its date and evidence (the roles "
                "the trigger names)",
                "parameters": [*case_ref, _param("csrf")],
                "requestBody": _body("NewEvent"),
                "responses": {
                    **_ok("Case", "The updated case", 201),
                    **_errors(400, 401, 403, 404, 409, 413, 422, conflict=_conflict()),
                },
            }
        },
        "/api/v1/pending": {
            "get": {
                "operationId": "pending",
                "summary": "The open cases' next steps, soonest date first",
                "parameters": [_param("as_of"), *_filters("treaty", "country", "stage")],
                "responses": {**_ok("PendingList", "The pending steps"), **_errors(400, 401, 422)},
            }
        },
        "/api/v1/events": {
            "get": {
                "operationId": "listEvents",
                "summary": "The audit log, newest recorded first",
                "parameters": [
                    _query("case", "case reference"),
                    _query("actor", "user name of who recorded the event"),
                    _query("trigger", "trigger name"),
                    _query("since", "recorded on or after this day (UTC)", DAY),
                    _query("until", "recorded on or before this day (UTC)", DAY),
                    _param("page"),
                    _param("per_page"),
                ],
                "responses": {**_ok("EventList", "A page of events"), **_errors(400, 401)},
            }
        },
        "/api/v1/audit/verify": {
            "get": {
                "operationId": "verifyAudit",
                "summary": "Check every case's hash chain",
                "responses": {**_ok("AuditResult", "The result"), **_errors(401)},
            }
        },
        "/api/v1/workflows": {
            "get": {
                "operationId": "listWorkflows",
                "summary": "The shipped workflow definitions",
                "responses": {**_ok("WorkflowList", "The workflows"), **_errors(401)},
            }
        },
        "/api/v1/workflows/{name}": {
            "get": {
                "operationId": "getWorkflow",
                "summary": "A workflow definition, with a Mermaid diagram source",
                "parameters": [_param("workflow_name")],
                "responses": {**_ok("Workflow", "The workflow"), **_errors(401, 404)},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document (public)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 description of the API",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _location() -> dict[str, Any]:
    return {"Location": {"description": "the case's address", "required": True, "schema": TEXT}}


def _conflict() -> Schema:
    """The 409 of a stale expected_version: the error says the case's version and stage."""
    error = SCHEMAS["Error"]["properties"]["error"]
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {**error, "required": [*error["required"], "current_version", "current_state"]}
        },
    }


DESCRIPTION = """Read and advance treaty-withdrawal cases from other systems. JSON in and out.

Authenticate with a personal token: `Authorization: Bearer <token>` (create one with
`flask --app app users token NAME` or on your settings page; it carries your role). A signed-in
browser session also works; a session write must send its CSRF token in `X-CSRFToken`.

Every error is `{"error": {"code", "message", "field"}}`: 400 malformed, 401 no or bad token,
403 role, 404 unknown case, workflow or address, 409 version conflict (with current_version and
current_state), 413 body over 1 MB, 422 refused by the workflow or the treaty clock."""


@cache
def _document() -> str:
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "Withdrawal tracker API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "a personal token"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "a signed-in browser session (writes need X-CSRFToken)",
                },
            },
        },
    }
    return json.dumps(doc)


def document() -> dict[str, Any]:
    """The OpenAPI 3.1.0 description of every route under /api/v1 (a fresh copy each call)."""
    doc: dict[str, Any] = json.loads(_document())
    return doc


@docs_bp.get("/api/v1/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(document())


@docs_bp.get("/api/docs")
def api_docs() -> ResponseReturnValue:
    doc = document()
    return render_template(
        "api_docs.html",
        doc=doc,
        operations=_operations(doc),
        schemas=[(name, _rows(schema), _pretty(schema)) for name, schema in SCHEMAS.items()],
        base_url=request.host_url.rstrip("/"),
    )


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation with its parameters resolved and its bodies named, for the template."""
    parameters = doc["components"]["parameters"]
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = [
                parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            responses = [
                (status, r["description"], _type_label(r["content"]["application/json"]["schema"]))
                for status, r in op["responses"].items()
            ]
            found.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "id": op["operationId"],
                    "summary": op["summary"],
                    "public": op.get("security") == [],
                    "parameters": [(p, _type_label(p["schema"])) for p in params],
                    "body": _type_label(body["schema"]) if body else None,
                    "responses": responses,
                }
            )
    return found


def _type_label(schema: Schema) -> str:
    """A schema in a few words: 'Case', 'string (date) or null', 'array of Event'."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    if "oneOf" in schema:
        return " or ".join(_type_label(s) for s in schema["oneOf"])
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            words.append("array of " + _type_label(schema.get("items", {})))
        elif kind == "string" and "format" in schema:
            words.append(f"string ({schema['format']})")
        else:
            words.append(str(kind))
    if "enum" in schema:
        words.append("one of " + ", ".join(map(str, schema["enum"])))
    return " or ".join(words)


def _rows(schema: Schema) -> list[tuple[str, str, bool, str]]:
    """The properties of an object schema: name, type, required, description."""
    required = set(schema.get("required", []))
    return [
        (name, _type_label(prop), name in required, str(prop.get("description", "")))
        for name, prop in schema.get("properties", {}).items()
    ]


def _pretty(schema: Schema) -> str:
    return json.dumps(schema, indent=2)
