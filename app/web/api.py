"""JSON API v1: the same services as the pages, for other systems. Errors are always
{"error": {"code", "message", "field"}}; a bearer token (or, for reads, a session) identifies
the caller, whose role the services check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from app import tracker_of
from app.domain.clock import parse_date
from app.domain.engine import diagram_source
from app.domain.errors import Conflict, DomainError, InvalidInput
from app.services import audit, case_list, cases, queries, tokens
from app.services.auth import SessionUser
from app.services.views import load_case, workflow_json
from app.web.api_input import ApiError, body, number, page_args, text
from app.web.status import http_status

bp = Blueprint("api", __name__, url_prefix="/api/v1")
READS = ("GET", "HEAD", "OPTIONS")


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


def _caller() -> SessionUser:
    """The token's owner, or the signed-in user (whose writes must carry the CSRF token)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "Authorization: use 'Bearer <token>'")
        user = tokens.token_user(tracker_of(), token.strip())
        if user is None:
            raise ApiError(401, "unauthorized", "token: unknown, revoked, or its owner is inactive")
        return user
    if current_user.is_authenticated:
        if request.method not in READS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except (ValidationError, CSRFError):
                raise ApiError(
                    403, "csrf", "a write with a browser session needs the X-CSRFToken header"
                ) from None
        session_user: SessionUser = current_user.user
        return session_user
    raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <token>'")


@bp.before_request
def authenticate() -> None:
    request.environ["tracker.caller"] = _caller()


def caller() -> SessionUser:
    user: SessionUser = request.environ["tracker.caller"]
    return user


def _day(name: str) -> Any:
    value = request.args.get(name)
    return parse_date(value, name) if value else None


@bp.get("/cases")
def list_cases() -> ResponseReturnValue:
    page, per_page = page_args()
    args = request.args
    where = case_list.CaseFilter(
        text=args.get("q"),
        kind=args.get("kind"),
        treaty=args.get("treaty"),
        country=args.get("country"),
        stage=args.get("stage") or args.get("state"),
        stage_param="stage" if args.get("stage") else "state",
        status=args.get("status"),
        practice=args.get("practice", "").lower() in ("1", "true"),
    )
    found = case_list.search_cases(
        tracker_of(), where, page, per_page, args.get("sort", "reference")
    )
    following = None
    if page < found.pages:
        query: dict[str, Any] = {**args.to_dict(), "page": page + 1}
        following = url_for("api.list_cases", **query)
    return {
        "items": found.items,
        "total": found.total,
        "page": found.page,
        "per_page": found.per_page,
        "next": following,
    }


@bp.post("/cases")
def open_case() -> ResponseReturnValue:
    data = body()
    if "opened_on" in data:
        raise ApiError(
            400,
            "malformed",
            "opened_on: a case record is opened on the day it is entered; give began_on for the "
            "day the procedure began",
            "opened_on",
        )
    began_on = text(data, "began_on", required=False)
    view = cases.open_case(
        tracker_of(),
        text(data, "country") or "",
        text(data, "treaty") or "",
        caller().name,
        workflow=text(data, "workflow", required=False),
        began_on=parse_date(began_on, "began_on") if began_on else None,
        note=text(data, "note", required=False) or "",
    )
    location = url_for("api.get_case", reference=view.reference)
    return view.to_json(), 201, {"Location": location}


@bp.get("/cases/<reference>")
def get_case(reference: str) -> ResponseReturnValue:
    return queries.get_case(tracker_of(), reference, _day("as_of")).to_json()


@bp.post("/cases/<reference>/events")
def record_event(reference: str) -> ResponseReturnValue:
    data = body()
    evidence = data.get("evidence") or {}
    version = number(data, "expected_version")
    if not isinstance(evidence, dict):
        raise ApiError(400, "malformed", "evidence: an object of key: value", "evidence")
    view = cases.advance(
        tracker_of(),
        reference,
        text(data, "trigger") or "",
        text(data, "occurred_on") or "",
        caller().name,
        text(data, "comment", required=False) or "",
        evidence,
        version,
    )
    return view.to_json(), 201


@bp.get("/pending")
def pending() -> ResponseReturnValue:
    as_of = _day("as_of")
    page, per_page = page_args()
    found = queries.pending_page(
        tracker_of(),
        as_of,
        request.args.get("treaty"),
        request.args.get("country"),
        request.args.get("stage"),
        page=page,
        per_page=per_page,
        sort=request.args.get("sort", "date"),
    )
    today = as_of or tracker_of().today()
    following = None
    if page < found.pages:
        query: dict[str, Any] = {**request.args.to_dict(), "page": page + 1}
        following = url_for("api.pending", **query)
    return {
        "items": [p.to_json(today) for p in found.items],
        "as_of": as_of and as_of.isoformat(),
        "total": found.total,
        "page": found.page,
        "per_page": found.per_page,
        "next": following,
    }


@bp.get("/events")
def events() -> ResponseReturnValue:
    page, per_page = page_args()
    where = audit.EventFilter(
        case=request.args.get("case"),
        actor=request.args.get("actor"),
        trigger=request.args.get("trigger"),
        since=_day("since"),
        until=_day("until"),
    )
    found = audit.search_events(tracker_of(), where, page, per_page)
    return {
        "items": [e.to_json() for e in found.items],
        "total": found.total,
        "page": found.page,
        "per_page": found.per_page,
    }


@bp.get("/audit/verify")
def verify() -> ResponseReturnValue:
    result = audit.verify_audit(tracker_of())
    broken = result.first_break
    return {
        "intact": result.intact,
        "cases": result.cases,
        "events": result.events,
        "first_break": None
        if broken is None
        else {
            "case": broken.case_reference,
            "seq": broken.seq,
            "problem": broken.problem,
        },
    }


@bp.get("/workflows")
def workflows() -> ResponseReturnValue:
    registry = tracker_of().registry
    return {
        "items": [
            {"name": w.name, "version": w.version, "label": w.label, "treaty": w.treaty.code}
            for w in registry.workflows.values()
        ]
    }


@bp.get("/workflows/<path:name>")
def workflow(name: str) -> ResponseReturnValue:
    flow = tracker_of().registry.workflow(name)
    return {**workflow_json(flow), "diagram": {"format": "mermaid", "source": diagram_source(flow)}}


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> ResponseReturnValue:
    in_address = exc.field in ("case", "group") or (
        exc.field == "workflow" and request.method in READS
    )
    status = http_status(exc, in_address)
    extra: dict[str, Any] = {}
    if isinstance(exc, Conflict) and request.view_args and "reference" in request.view_args:
        extra = _current(request.view_args["reference"])
    if isinstance(exc, InvalidInput) and exc.field in ("as_of", "since", "until"):
        status = 400
    return jsonify(error_body(exc.code, exc.message, exc.field, **extra)), status


def _current(reference: str) -> dict[str, Any]:
    with tracker_of().transaction() as session:
        row = load_case(session, reference)
        return {"current_version": row.version, "current_state": row.state}


@bp.errorhandler(ApiError)
def api_error(exc: ApiError) -> ResponseReturnValue:
    challenge = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status == 401 else {}
    return jsonify(error_body(exc.code, exc.message, exc.field)), exc.status, challenge


def http_error_json(exc: HTTPException) -> ResponseReturnValue:
    """Any HTTP error under /api/ (unknown route, wrong method, too large) as the API's JSON."""
    code = (exc.name or "error").lower().replace(" ", "_")
    return jsonify(error_body(code, exc.description or code)), exc.code or 500
