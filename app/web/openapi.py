"""The OpenAPI 3.1 description of the JSON API v1 (served at /api/v1/openapi.json) and its
browsable documentation at /api/docs, rendered on the server from the same document."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from app.web.api_models import RESPONSES
from app.web.api_requests import (
    REQUESTS,
    CaseQuery,
    CaseReadQuery,
    EventQuery,
    PageQuery,
    PendingQuery,
)
from app.web.links import public_base

docs_bp = Blueprint("openapi", __name__)
bp = docs_bp  # as the other web modules name theirs

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"


class _Generator(GenerateJsonSchema):
    """Pydantic's JSON Schema, without a title for every property (the key says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _schemas() -> dict[str, Schema]:
    """Every request and response model's JSON Schema, referring to each other as components."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation") for m in (*REQUESTS, *RESPONSES)
    ]
    _, top = models_json_schema(models, ref_template=REF, schema_generator=_Generator)
    schemas: dict[str, Schema] = top["$defs"]
    return schemas


def _query(model: type[BaseModel]) -> list[Schema]:
    """A query model's fields as OpenAPI query parameters (a missing one is null to the model,
    absent to the client)."""
    schema = model.model_json_schema(ref_template=REF, schema_generator=_Generator)
    found = []
    for name, prop in schema["properties"].items():
        description = prop.pop("description", "")
        if prop.get("default", "") is None:
            del prop["default"]
        options = [o for o in prop.pop("anyOf", [prop]) if o.get("type") != "null"]
        found.append({"name": name, "in": "query", "required": False,
                      "description": description, "schema": {**options[0], **prop}})  # fmt: skip
    return found


def _ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


TEXT: Schema = {"type": "string"}
ERRORS = {
    400: "Malformed: the body is not a JSON object, a value has the wrong type, a page, date "
    "or header is not valid",
    401: "No token, a bad or revoked token, or not signed in",
    403: "The caller's role may not do this, or a session write lacks X-CSRFToken",
    404: "No such case, workflow or address",
    409: "Someone else changed the case meanwhile",
    413: "The body is larger than 1 MB",
    422: "Understood but refused: an unknown value, a trigger not allowed now, evidence missing "
    "or ill-typed, a date out of order or in the future, an Idempotency-Key already used for "
    "another request",
}
PARAMETERS: dict[str, Schema] = {
    "reference": {
        "name": "reference", "in": "path", "required": True,
        "description": "the case reference, e.g. LV-APMBC-2025 (case-insensitive)",
        "schema": {**TEXT, "pattern": "^[^/]+$", "example": "LV-APMBC-2025"},
    },
    "name": {
        "name": "name", "in": "path", "required": True,
        "description": "the workflow's name, which contains slashes (apmbc/generic, "
        "apmbc/ua/suspension). The route takes the rest of the path: send the slashes as they "
        "are (/api/v1/workflows/apmbc/generic) or percent-encoded as OpenAPI clients do "
        "(/api/v1/workflows/apmbc%2Fgeneric); both work",
        "schema": {**TEXT, "minLength": 1, "example": "apmbc/generic"},
    },
    "sha256": {
        "name": "sha256", "in": "path", "required": True,
        "description": "the document's SHA-256, as the event's documents list it",
        "schema": {**TEXT, "pattern": "^[0-9a-f]{64}$"},
    },
    "slug": {
        "name": "slug", "in": "path", "required": True,
        "description": "the group's address, e.g. baltic-deposit-27-june-2025",
        "schema": {**TEXT, "pattern": "^[^/]+$", "example": "baltic-deposit-27-june-2025"},
    },
    "csrf": {"name": "X-CSRFToken", "in": "header", "required": False,
             "description": "only for a browser session: its CSRF token", "schema": TEXT},
    "idempotency": {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "description": "any text of 1 to 200 printable ASCII characters, new for each write "
        "(e.g. a UUID): a retry with the same key by the same caller answers what the first "
        "request answered, and records nothing new; the same key with another body is a 422",
        "schema": {**TEXT, "minLength": 1, "maxLength": 200, "pattern": "^[ -~]+$"},
    },
}  # fmt: skip
HEADERS: dict[str, Schema] = {
    "Location": {"description": "the new case's or group's address", "required": True,
                 "schema": TEXT},
    "Link": {"description": '<the next page>; rel="next", when there is a next page',
             "required": False, "schema": TEXT},
    "Idempotent-Replayed": {"description": "true: the answer of an earlier request with the "
                            "same Idempotency-Key; nothing new was recorded", "required": False,
                            "schema": {"type": "string", "enum": ["true"]}},
    "WWW-Authenticate": {"description": 'Bearer realm="api"', "required": True, "schema": TEXT},
}  # fmt: skip


def _op(op_id: str, summary: str, ok: tuple[int, str, str], *errors: int, params: str = "",
        query: type[BaseModel] | None = None, body: str | None = None,
        headers: str = "") -> Schema:  # fmt: skip
    """An operation: its parameters (path and header ones by name, the query model's), its
    success (status, schema, what), the headers of the success, and its errors."""
    status, schema, what = ok
    success: Schema = {"description": what, "content": _json(_ref(schema))}
    if headers:
        success["headers"] = {name: HEADERS[name] for name in headers.split()}
    responses = {str(status): success}
    for code in errors:
        error = "VersionConflict" if code == 409 and body == "NewEvent" else "Error"
        responses[str(code)] = {"description": ERRORS[code], "content": _json(_ref(error))}
        if code == 401:
            responses["401"]["headers"] = {"WWW-Authenticate": HEADERS["WWW-Authenticate"]}
    parameters = [_ref(n, "parameters") for n in params.split()]
    operation: Schema = {
        "operationId": op_id,
        "summary": summary,
        "parameters": parameters + (_query(query) if query else []),
        "responses": responses,
    }
    if body:
        operation["requestBody"] = {"required": True, "content": _json(_ref(body))}
    return operation


def _download() -> Schema:
    """The download of a document: its bytes (as an attachment), not JSON."""
    operation = _op("getDocument", "A document an event of the case carries, as an attachment "
                    "(Content-Disposition), its type read from its content when it was recorded",
                    (200, "Error", "The file"), 401, 404, params="reference sha256")  # fmt: skip
    binary = {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}
    types = ("application/pdf", "image/png", "image/jpeg", "text/plain")
    operation["responses"]["200"]["content"] = {media_type: binary for media_type in types}
    return operation


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


WRITE_ERRORS = (400, 401, 403, 409, 413, 422)


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/cases": {
            "get": _op("listCases", "Cases by reference, filtered and paginated",
                       (200, "CaseList", "A page of cases"), 400, 401, 422,
                       query=CaseQuery, headers="Link"),
            "post": _op("openCase", "Open a case (clerk, admin); Location gives its address",
                        (201, "Case", "The new case"), *WRITE_ERRORS, params="csrf idempotency",
                        body="NewCase", headers="Location Idempotent-Replayed"),
        },
        "/api/v1/cases/{reference}": {
            "get": _op("getCase", "A case with its dates, history and available triggers",
                       (200, "Case", "The case"), 400, 401, 404, params="reference",
                       query=CaseReadQuery),
        },
        "/api/v1/cases/{reference}/events": {
            "post": _op("recordEvent", "Advance a case: record a step with its date and evidence "
                        "(the trigger's roles); expected_version guards against a lost update",
                        (201, "RecordedCase", "The case after the step"), *WRITE_ERRORS, 404,
                        params="reference csrf idempotency", body="NewEvent",
                        headers="Idempotent-Replayed"),
        },
        "/api/v1/cases/{reference}/documents/{sha256}": {"get": _download()},
        "/api/v1/groups": {
            "get": _op("listGroups", "Groups of cases, with their members",
                       (200, "GroupList", "The groups"), 401),
            "post": _op("createGroup", "Group two or more cases (clerk, admin)",
                        (201, "Group", "The new group"), *WRITE_ERRORS, params="csrf",
                        body="NewGroup", headers="Location"),
        },
        "/api/v1/groups/{slug}": {
            "get": _op("getGroup", "A group with its members as they stand",
                       (200, "Group", "The group"), 401, 404, params="slug"),
        },
        "/api/v1/groups/{slug}/members": {
            "post": _op("changeGroupMembers", "Add cases to a group and take members out "
                        "(clerk, admin), kept with who, when and why; two members at least",
                        (200, "Group", "The group after the change"), *WRITE_ERRORS, 404,
                        params="slug csrf", body="MemberChange"),
        },
        "/api/v1/groups/{slug}/events": {
            "post": _op("recordGroupEvent", "Record one step for every member: one event in "
                        "each member's chain, all or none; a refusal names the member",
                        (201, "Group", "The group after the step"), *WRITE_ERRORS, 404,
                        params="slug csrf", body="NewGroupEvent"),
        },
        "/api/v1/pending": {
            "get": _op("pending", "The open cases' next steps, soonest date first",
                       (200, "PendingList", "A page of the pending steps"), 400, 401, 422,
                       query=PendingQuery, headers="Link"),
        },
        "/api/v1/events": {
            "get": _op("listEvents", "The audit log, newest recorded first",
                       (200, "EventList", "A page of events"), 400, 401, 422,
                       query=EventQuery, headers="Link"),
        },
        "/api/v1/audit/verify": {
            "get": _op("verifyAudit", "Check every case's hash chain",
                       (200, "AuditResult", "The result"), 401),
        },
        "/api/v1/workflows": {
            "get": _op("listWorkflows", "The shipped workflow definitions",
                       (200, "WorkflowList", "A page of the workflows"), 400, 401,
                       query=PageQuery, headers="Link"),
        },
        "/api/v1/workflows/{name}": {
            "get": _op("getWorkflow", "A workflow definition, with a Mermaid diagram source",
                       (200, "Workflow", "The workflow"), 401, 404, params="name"),
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document (public: no token needed)",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI 3.1 description of the API",
                                      "content": _json({"type": "object"})}},
            },
        },
    }  # fmt: skip


DESCRIPTION = """Read and advance treaty-withdrawal cases from other systems. JSON in and out.

Authenticate with a personal token: `Authorization: Bearer <token>` (create one with
`flask --app app users token NAME` or on your settings page; it carries your role). A signed-in
browser session also works; a session write must send its CSRF token in `X-CSRFToken`.

Every error is `{"error": {"code", "message", "field"}}`: 400 malformed, 401 no or bad token,
403 role, 404 unknown case, workflow or address, 409 version conflict (with current_version and
current_state), 413 body over 1 MB, 422 refused by the workflow or the treaty clock.

Lists take `page` and `per_page` (1 to 200, 50 by default); `next` in the body and the `Link`
header (`rel="next"`) give the address of the next page, until the last.

Writes take an `Idempotency-Key` header: a retry with the same key answers what the first
request answered (with `Idempotent-Replayed: true`) and records nothing new."""
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "a personal API token"},
    "session": {"type": "apiKey", "in": "cookie", "name": "session",
                "description": "a signed-in browser session (a write needs X-CSRFToken)"},
}  # fmt: skip


@cache
def _document() -> str:
    return json.dumps(
        {
            "openapi": "3.1.0",
            "info": {"title": "Withdrawal tracker API", "version": "1", "description": DESCRIPTION},
            "servers": [{"url": "/"}],
            "security": [{"bearer": []}, {"session": []}],
            "paths": _paths(),
            "components": {"schemas": _schemas(), "parameters": PARAMETERS,
                           "securitySchemes": SECURITY_SCHEMES},
        }
    )  # fmt: skip


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
    schemas = doc["components"]["schemas"]
    return render_template(
        "api_docs.html",
        doc=doc,
        operations=_operations(doc),
        schemas=[(name, _rows(s), json.dumps(s, indent=2)) for name, s in schemas.items()],
        base_url=public_base(),
    )


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation with its parameters resolved and its bodies named, for the template."""
    parameters = doc["components"]["parameters"]
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = [parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                      for p in op.get("parameters", [])]  # fmt: skip
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            found.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "id": op["operationId"],
                    "summary": op["summary"],
                    "public": op.get("security") == [],
                    "parameters": [(p, _label(p["schema"])) for p in params],
                    "body": _label(body["schema"]) if body else None,
                    "responses": [
                        (code, r["description"], _label(_first_schema(r["content"])))
                        for code, r in op["responses"].items()
                    ],
                }
            )
    return found


def _first_schema(content: Schema) -> Schema:
    """The schema of a response's JSON, or of its first media type (a download's)."""
    found: Schema = content.get("application/json") or next(iter(content.values()))
    return found["schema"]  # type: ignore[no-any-return]


def _label(schema: Schema) -> str:
    """A schema in a few words: 'Case', 'string (date) or null', 'array of Event'."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    for either in ("anyOf", "oneOf"):
        if either in schema:
            return " or ".join(_label(s) for s in schema[either])
    kinds = schema.get("type", "any")
    words = []
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind == "array":
            words.append("array of " + _label(schema.get("items", {})))
        elif kind == "string" and "format" in schema:
            words.append(f"string ({schema['format']})")
        else:
            words.append(str(kind))
    if "enum" in schema:
        words.append("one of " + ", ".join(map(str, schema["enum"])))
    return " or ".join(words)


def _rows(schema: Schema) -> list[tuple[str, str, bool, str]]:
    """The properties of an object schema: key, type, required, description."""
    required = set(schema.get("required", []))
    return [
        (key, _label(prop), key in required, str(prop.get("description", "")))
        for key, prop in schema.get("properties", {}).items()
    ]
