"""The OpenAPI 3.1 description of the JSON API v1 (served at /api/v1/openapi.json) and its
browsable documentation at /api/docs, rendered on the server from the same document."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from app.services.case_list import SORTS as CASE_SORTS
from app.services.case_list import STATUSES
from app.services.queries import SORTS as PENDING_SORTS
from app.web.api_input import MAX_PER_PAGE
from app.web.links import public_base
from app.web.params import INT_MAX, MAX_PAGE

docs_bp = Blueprint("openapi", __name__)
bp = docs_bp  # as the other web modules name theirs

Schema = dict[str, Any]
TEXT: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
DAY: Schema = {"type": "string", "format": "date"}
COUNT: Schema = {"type": "integer", "minimum": 0}
HASH: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
ROLE: Schema = {"type": "string", "enum": ["viewer", "clerk", "admin"]}
FILLED: Schema = {"type": "string", "minLength": 1, "pattern": r"\S"}  # not blank


def _ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _null(schema: Schema, doc: str = "") -> Schema:
    """The schema, or null (OpenAPI 3.1 has no `nullable`: null is a JSON Schema type)."""
    nullable = (
        {**schema, "type": [schema["type"], "null"]}
        if "type" in schema
        else {"oneOf": [schema, {"type": "null"}]}
    )
    return {**nullable, "description": doc} if doc else nullable


def _arr(item: Schema) -> Schema:
    return {"type": "array", "items": item}


def _obj(doc: str = "", /, **properties: Schema) -> Schema:
    """A response object: every key listed is always present, and no other key is."""
    schema = {"type": "object", "required": list(properties), "properties": properties}
    return {**({"description": doc} if doc else {}), **schema, "additionalProperties": False}


def _input(doc: str, required: list[str], **properties: Schema) -> Schema:
    """A request body: the keys named are required; other keys are ignored."""
    return {"type": "object", "description": doc, "required": required, "properties": properties}


def _doc(schema: Schema, doc: str, **extra: Any) -> Schema:
    return {**schema, "description": doc, **extra}


STEP = {
    "trigger": TEXT,
    "label": TEXT,
    "roles": _arr(ROLE),
    "due_on": _null(DAY, "for the treaty clock's steps: the day the step is due"),
    "date_note": _doc(TEXT, "what occurred_on means for this step"),
}
SUMMARY = {
    "reference": TEXT,
    "country": _doc(TEXT, "ISO 3166-1 alpha-2 code (ZZ for a practice case)"),
    "country_name": TEXT,
    "treaty": TEXT,
    "workflow": TEXT,
    "kind": _doc(TEXT, "the kind of treaty action, e.g. withdrawal, suspension_claim"),
    "state": TEXT,
    "final": _doc(BOOL, "whether the case has reached a final stage"),
    "practice": BOOL,
    "began": _null(DAY, "when the procedure began (its first step)"),
    "deposited": _null(DAY),
    "effective": _null(DAY),
    "next_date": _null(DAY, "the next date the treaty clock sets, if a step awaits one"),
    "version": {**INT, "minimum": 1},
}
PAGED = {"total": COUNT, "page": {**INT, "minimum": 1}, "per_page": {**INT, "minimum": 1}}
ERROR: Schema = {
    "type": "object",
    "required": ["code", "message", "field"],
    "additionalProperties": False,
    "properties": {
        "code": _doc(TEXT, "e.g. malformed, unauthorized, forbidden, not_found, conflict"),
        "message": _doc(TEXT, "what was wrong and what is allowed, for a person to read"),
        "field": _null(TEXT, "the input at fault, when there is one"),
        "current_version": _doc(INT, "409 on a case: the case's version now"),
        "current_state": _doc(TEXT, "409 on a case: the case's stage now"),
    },
}
DATE_RANGE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})?$"

SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": ERROR},
        "additionalProperties": False,
    },
    "VersionConflict": {
        "description": "A stale expected_version: the error says the case's version and stage",
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {**ERROR, "required": [*ERROR["required"], "current_version", "current_state"]}
        },
    },
    "EvidenceField": _obj(
        key=TEXT,
        type={"type": "string", "enum": ["text", "int", "date", "choice"]},
        required=BOOL,
        label=TEXT,
        allowed=_doc(TEXT, "what is allowed, in words (e.g. 'a whole number >= 0')"),
    ),
    "AvailableTrigger": _obj(
        "A step the case may take next", **STEP, evidence=_arr(_ref("EvidenceField"))
    ),
    "Event": _obj(
        "One recorded event of the append-only, hash-chained log",
        case=TEXT,
        seq={**INT, "minimum": 1},
        trigger=TEXT,
        from_state=TEXT,
        to_state=TEXT,
        occurred_on=_doc(DAY, "the real-world date (the earliest, when only bounds are known)"),
        occurred_until=_null(DAY, "the latest date, when only bounds are known"),
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
        opened_on=_doc(DAY, "the day the case record was opened"),
        opened_by=_doc(TEXT, "who opened the record"),
        procedure_began_on=_null(DAY, "the first step's date, else the one given when opened"),
        procedure_began_from=_null(
            {**TEXT, "enum": ["first step", "given when the case was opened"]}
        ),
        note=TEXT,
        state=TEXT,
        stage=_obj(label=TEXT, responsible=TEXT, final=BOOL),
        version={**INT, "minimum": 1},
        as_of=_null(DAY, "the past date the case was rebuilt for, if one was asked"),
        dates=_obj(
            deposited=_null(DAY),
            effective=_null(DAY),
            effective_basis=_null(TEXT),
            notice_period_ends=_null(DAY),
            armed_conflict_since=_null(DAY),
            revoked=_null(DAY, "the day the notification was revoked, if it was"),
        ),
        available_triggers=_arr(_ref("AvailableTrigger")),
        history=_arr(_ref("Event")),
    ),
    "CaseSummary": _obj(
        "A case as the list shows it",
        **SUMMARY,
        treaty_name=TEXT,
        stage=_doc(TEXT, "the stage's label in the case's workflow"),
    ),
    "PendingItem": _obj(
        "An open case with its next steps and the next date its treaty clock sets",
        **{k: v for k, v in SUMMARY.items() if k != "next_date"},
        treaty_name=TEXT,
        stage=_obj(label=TEXT, responsible=TEXT),
        next_date=_null(_obj(on=DAY, what=TEXT, basis=TEXT, days_from_today=INT)),
        steps=_arr(_obj(**STEP)),
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
                kind=TEXT,
                rule=TEXT,
                notice_period=TEXT,
                later_date_allowed=BOOL,
                armed_conflict_deferral=BOOL,
                earliest_notice_after_years=_null(INT),
            )
        ),
        stages=_arr(_obj(id=TEXT, label=TEXT, responsible=TEXT, final=BOOL, description=TEXT)),
        transitions=_arr(
            _obj(
                **STEP,
                evidence=_arr(_ref("EvidenceField")),
                sources=_arr(TEXT),
                dest=TEXT,
                guards=_arr(TEXT),
                effects=_arr(TEXT),
            )
        ),
        diagram=_obj(format={"type": "string", "const": "mermaid"}, source=TEXT),
    ),
    "CaseList": _obj(
        items=_arr(_ref("CaseSummary")),
        **PAGED,
        next=_null(TEXT, "the address of the next page, if there is one"),
    ),
    "EventList": _obj(items=_arr(_ref("Event")), **PAGED),
    "PendingList": _obj(
        items=_arr(_ref("PendingItem")),
        as_of=_null(DAY),
        **PAGED,
        next=_null(TEXT, "the address of the next page, if there is one"),
    ),
    "WorkflowList": _obj(items=_arr(_ref("WorkflowSummary"))),
    "AuditResult": _obj(
        "The hash chains checked; first_break names the first event that does not match",
        intact=BOOL,
        cases=COUNT,
        events=COUNT,
        first_break=_null(_obj(case=TEXT, seq=INT, problem=TEXT)),
    ),
    "Group": _obj(
        "Cases that act together; a step recorded for the group is one event in each member",
        slug=_doc(TEXT, "the group's address, from its name"),
        name=TEXT,
        note=TEXT,
        created_by=TEXT,
        members=_arr(_ref("CaseSummary")),
        common_steps=_arr(_obj(trigger=TEXT, label=TEXT)),
    ),
    "GroupList": _obj(items=_arr(_ref("Group"))),
    "NewGroup": _input(
        "Groups two or more cases under a name",
        ["name", "cases"],
        name=_doc(FILLED, "the group's name", example="Nordic deposit"),
        cases=_doc(
            _arr(TEXT),
            "the members' references (at least two)",
            example=["LV-APMBC-2025", "LT-APMBC-2025"],
        ),
        note=_null(TEXT),
    ),
    "NewGroupEvent": _input(
        "Records one step for every member in one transaction: all of them, or none",
        ["trigger", "occurred_on"],
        trigger=_doc(FILLED, "one of the group's common_steps", example="deposit"),
        occurred_on=_doc(
            {**TEXT, "pattern": DATE_RANGE}, "YYYY-MM-DD, or EARLIEST..LATEST", example="2025-06-27"
        ),
        comment=_null(TEXT),
        evidence=_doc(
            {"type": ["object", "null"], "additionalProperties": {"type": ["string", "integer"]}},
            "key: value, the same for every member",
        ),
        expected_versions=_doc(
            {
                "type": ["object", "null"],
                "additionalProperties": {**INT, "minimum": 1, "maximum": INT_MAX},
            },
            "reference: version as the caller saw it; a stale one is a 409 for all",
        ),
    ),
    "NewCase": _input(
        "Opens a case at its workflow's first stage (by default the country's own procedure "
        "for the treaty where one exists, else the generic one)",
        ["country", "treaty"],
        country=_doc(FILLED, "ISO 3166-1 alpha-2 code", example="EE"),
        treaty=_doc(FILLED, "treaty code", example="apmbc"),
        workflow=_null(TEXT, "a workflow of the treaty (and of the country)"),
        began_on={
            **_null(DAY, "when the procedure began, if before today; its year is in the reference"),
            "example": "2025-01-01",
        },
        note=_null(TEXT),
    ),
    "NewEvent": _input(
        "Records that the case took a step (trigger) on occurred_on, with its evidence",
        ["trigger", "occurred_on"],
        trigger=_doc(FILLED, "one of the case's available_triggers", example="deposit"),
        occurred_on=_doc(
            {**TEXT, "pattern": DATE_RANGE},
            "YYYY-MM-DD, or EARLIEST..LATEST when only bounds are known; never before the "
            "case's previous step, never after today",
            example="2025-06-27",
        ),
        comment=_null(TEXT),
        evidence=_doc(
            {"type": ["object", "null"], "additionalProperties": {"type": ["string", "integer"]}},
            "key: value, as the trigger's evidence fields describe them",
            example={"reasons": "the explanation Art. 20(2) requires", "confidence": "H"},
        ),
        expected_version=_null(
            {**INT, "minimum": 1, "maximum": INT_MAX},
            "the case's version as the caller saw it; if stale, 409",
        ),
    ),
}

SCHEMAS["RecordedCase"] = _obj(
    "The case as it stands after the step (getCase reads its history), with the event recorded",
    **{k: v for k, v in SCHEMAS["Case"]["properties"].items() if k != "history"},
    recorded_event=_ref("Event"),
)

ERRORS = {
    400: "Malformed: the body is not a JSON object, a value has the wrong type, or a page or "
    "date parameter is not valid",
    401: "No token, a bad or revoked token, or not signed in",
    403: "The caller's role may not do this, or a session write lacks X-CSRFToken",
    404: "No such case, workflow or address",
    409: "Someone else changed the case meanwhile",
    413: "The body is larger than 1 MB",
    422: "Understood but refused: an unknown value, a trigger not allowed now, evidence missing "
    "or ill-typed, a date out of order or in the future",
}


def _param(name: str, where: str, doc: str, schema: Schema = TEXT) -> Schema:
    return {"name": name, "in": where, "required": where == "path", "description": doc,
            "schema": schema}  # fmt: skip


PARAMETERS: dict[str, Schema] = {
    "page": _param(
        "page",
        "query",
        "page number, from 1",
        {**INT, "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    ),
    "per_page": _param(
        "per_page",
        "query",
        "items per page",
        {**INT, "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
    ),
    "as_of": _param("as_of", "query", "rebuild the situation on this past date", DAY),
    "reference": _param(
        "reference",
        "path",
        "the case reference, e.g. LV-APMBC-2025 (case-insensitive)",
        {**TEXT, "pattern": "^[^/]+$", "example": "LV-APMBC-2025"},
    ),
    "name": _param(
        "name",
        "path",
        "the workflow's name, which contains slashes (apmbc/generic, apmbc/ua/suspension). The "
        "route takes the rest of the path: send the slashes as they are "
        "(/api/v1/workflows/apmbc/generic) or percent-encoded as OpenAPI clients do "
        "(/api/v1/workflows/apmbc%2Fgeneric); both work",
        {**TEXT, "minLength": 1, "example": "apmbc/generic"},
    ),
    "slug": _param(
        "slug",
        "path",
        "the group's address, e.g. baltic-deposit-27-june-2025",
        {**TEXT, "pattern": "^[^/]+$", "example": "baltic-deposit-27-june-2025"},
    ),
    "csrf": _param("X-CSRFToken", "header", "only for a browser session: its CSRF token"),
}
QUERY = {
    "state": ("stage id: only cases at this stage", TEXT),
    "stage": ("stage id: only cases at this stage", TEXT),
    "treaty": ("treaty code, e.g. apmbc", TEXT),
    "country": ("ISO 3166-1 alpha-2 code, e.g. LV", TEXT),
    "case": ("case reference", TEXT),
    "actor": ("the user who recorded the event", TEXT),
    "trigger": ("trigger name", TEXT),
    "since": ("recorded on or after this day (UTC)", DAY),
    "until": ("recorded on or before this day (UTC)", DAY),
    "sort": (
        "pending: date (soonest first) or reference; cases: " + ", ".join(CASE_SORTS),
        {**TEXT, "enum": list(dict.fromkeys([*PENDING_SORTS, *CASE_SORTS]))},
    ),
    "q": ("a reference, or a country's name or code, e.g. Latvia", TEXT),
    "kind": ("the kind of treaty action, e.g. withdrawal", TEXT),
    "status": ("open or closed (a final stage)", {**TEXT, "enum": list(STATUSES)}),
    "practice": ("true: practice cases too", {**TEXT, "enum": ["true", "false", "1", "0"]}),
}


CHALLENGE = {"description": 'Bearer realm="api"', "required": True, "schema": TEXT}


def _op(op_id: str, summary: str, params: str, ok: tuple[int, str, str], *errors: int,
        body: str | None = None, location: bool = False) -> Schema:  # fmt: skip
    """An operation: its parameters by name, its success (status, schema, what) and errors."""
    status, schema, what = ok
    success: Schema = {"description": what, "content": _json(_ref(schema))}
    if location:
        success["headers"] = {"Location": {"description": "the case's address", "required": True,
                                           "schema": TEXT}}  # fmt: skip
    responses = {str(status): success}
    for code in errors:
        error = "VersionConflict" if code == 409 and body == "NewEvent" else "Error"
        responses[str(code)] = {"description": ERRORS[code], "content": _json(_ref(error))}
        if code == 401:
            responses["401"]["headers"] = {"WWW-Authenticate": CHALLENGE}
    operation: Schema = {
        "operationId": op_id,
        "summary": summary,
        "parameters": [
            _ref(n, "parameters") if n in PARAMETERS else _param(n, "query", *QUERY[n])
            for n in params.split()
        ],
        "responses": responses,
    }
    if body:
        operation["requestBody"] = {"required": True, "content": _json(_ref(body))}
    return operation


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/cases": {
            "get": _op("listCases", "Cases by reference, filtered and paginated",
                       "q kind treaty country stage state status practice sort page per_page",
                       (200, "CaseList", "A page of cases"),
                       400, 401, 422),
            "post": _op("openCase", "Open a case (clerk, admin); Location gives its address",
                        "csrf", (201, "Case", "The new case"), 400, 401, 403, 409, 413, 422,
                        body="NewCase", location=True),
        },
        "/api/v1/cases/{reference}": {
            "get": _op("getCase", "A case with its dates, history and available triggers",
                       "reference as_of", (200, "Case", "The case"), 400, 401, 404),
        },
        "/api/v1/cases/{reference}/events": {
            "post": _op("recordEvent", "Advance a case: record a step with its date and evidence "
                        "(the trigger's roles); expected_version guards against a lost update",
                        "reference csrf", (201, "RecordedCase", "The case after the step"),
                        400, 401, 403, 404, 409, 413, 422, body="NewEvent"),
        },
        "/api/v1/groups": {
            "get": _op("listGroups", "Groups of cases, with their members", "",
                       (200, "GroupList", "The groups"), 401),
            "post": _op("createGroup", "Group two or more cases (clerk, admin)", "csrf",
                        (201, "Group", "The new group"), 400, 401, 403, 409, 413, 422,
                        body="NewGroup", location=True),
        },
        "/api/v1/groups/{slug}": {
            "get": _op("getGroup", "A group with its members as they stand", "slug",
                       (200, "Group", "The group"), 401, 404),
        },
        "/api/v1/groups/{slug}/events": {
            "post": _op("recordGroupEvent", "Record one step for every member: one event in "
                        "each member's chain, all or none; a refusal names the member",
                        "slug csrf", (201, "Group", "The group after the step"),
                        400, 401, 403, 404, 409, 413, 422, body="NewGroupEvent"),
        },
        "/api/v1/pending": {
            "get": _op("pending", "The open cases' next steps, soonest date first",
                       "as_of treaty country stage sort page per_page",
                       (200, "PendingList", "A page of the pending steps"),
                       400, 401, 422),
        },
        "/api/v1/events": {
            "get": _op("listEvents", "The audit log, newest recorded first",
                       "case actor trigger since until page per_page",
                       (200, "EventList", "A page of events"), 400, 401),
        },
        "/api/v1/audit/verify": {
            "get": _op("verifyAudit", "Check every case's hash chain", "",
                       (200, "AuditResult", "The result"), 401),
        },
        "/api/v1/workflows": {
            "get": _op("listWorkflows", "The shipped workflow definitions", "",
                       (200, "WorkflowList", "The workflows"), 401),
        },
        "/api/v1/workflows/{name}": {
            "get": _op("getWorkflow", "A workflow definition, with a Mermaid diagram source",
                       "name", (200, "Workflow", "The workflow"), 401, 404),
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
current_state), 413 body over 1 MB, 422 refused by the workflow or the treaty clock."""
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
            "components": {"schemas": SCHEMAS, "parameters": PARAMETERS,
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
                        (code, r["description"], _label(r["content"]["application/json"]["schema"]))
                        for code, r in op["responses"].items()
                    ],
                }
            )
    return found


def _label(schema: Schema) -> str:
    """A schema in a few words: 'Case', 'string (date) or null', 'array of Event'."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    if "oneOf" in schema:
        return " or ".join(_label(s) for s in schema["oneOf"])
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
