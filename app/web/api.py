"""JSON API v1: the same services as the pages, for other systems. Errors are always
{"error": {"code", "message", "field"}}; a bearer token (or, for reads, a session) identifies
the caller, whose role the services check."""

from __future__ import annotations

from datetime import date
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
from app.domain.errors import Conflict, DomainError, DuplicateCase, InvalidInput
from app.services import audit, case_filter, case_list, cases, labels, queries, tokens
from app.services.auth import SessionUser
from app.services.paging import Page, practice_filter
from app.services.views import load_case, workflow_json
from app.web.api_idempotency import once
from app.web.api_input import ApiError, body, parsed, query
from app.web.api_requests import (
    CaseQuery,
    CaseReadQuery,
    EventQuery,
    NewCase,
    NewEvent,
    PageQuery,
    PendingQuery,
)
from app.web.documents import decoded_documents, with_document_urls
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


def _day(value: str | None, name: str) -> date | None:
    return parse_date(value, name) if value else None


def _listing(
    endpoint: str, found: Page[Any], items: list[Any], **extra: Any
) -> ResponseReturnValue:
    """A page of a list, with the address of the next page in `next` and the Link header."""
    following = _next_page(endpoint, page=found.page + 1) if found.page < found.pages else None
    paged = {"total": found.total, "page": found.page, "per_page": found.per_page}
    return _with_next({"items": items, **extra, **paged}, following)


def _next_page(endpoint: str, **changed: Any) -> str:
    """This request's address with `changed` parameters."""
    return url_for(endpoint, **{**request.args.to_dict(), **changed})


def _with_next(answer: dict[str, Any], following: str | None) -> ResponseReturnValue:
    headers = {"Link": f'<{following}>; rel="next"'} if following else {}
    return {**answer, "next": following}, 200, headers


def _practice_asked(flag: str | None) -> bool:
    """The lists leave practice cases out unless `practice=true` (or 1) asks for them."""
    return flag in ("1", "true")


@bp.get("/cases")
def list_cases() -> ResponseReturnValue:
    asked = query(CaseQuery)
    where = case_filter.CaseFilter(
        text=asked.q,
        kind=asked.kind,
        treaty=asked.treaty,
        country=asked.country,
        stage=asked.stage or asked.state,
        stage_param="stage" if asked.stage else "state",
        status=asked.status,
        practice=practice_filter(_practice_asked(asked.practice)),
    )
    found = case_list.search_cases(tracker_of(), where, asked.page, asked.per_page, asked.sort)
    return _listing("api.list_cases", found, found.items)


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
    new = parsed(NewCase, data)
    answer, replayed = once(
        tracker_of(),
        caller().name,
        data,
        lambda idempotency: cases.open_case(
            tracker_of(),
            new.country,
            new.treaty,
            caller().name,
            workflow=new.workflow,
            began_on=_day(new.began_on, "began_on"),
            note=new.note or "",
            in_force_since=_day(new.in_force_since, "in_force_since"),
            idempotency=idempotency,
            allow_duplicate=new.allow_duplicate,
        ),
    )
    location = url_for("api.get_case", reference=answer["reference"])
    return answer, 201, {"Location": location, **replayed}


@bp.get("/cases/<reference>")
def get_case(reference: str) -> ResponseReturnValue:
    as_of = _day(query(CaseReadQuery).as_of, "as_of")
    return with_document_urls(queries.get_case(tracker_of(), reference, as_of).to_json())


@bp.post("/cases/<reference>/events")
def record_event(reference: str) -> ResponseReturnValue:
    data = body()
    new = parsed(NewEvent, data)
    uploads = decoded_documents(new.documents or [])
    answer, replayed = once(
        tracker_of(),
        caller().name,
        data,
        lambda idempotency: cases.advance(
            tracker_of(),
            reference,
            new.trigger,
            new.occurred_on,
            caller().name,
            new.comment or "",
            new.evidence or {},
            new.expected_version,
            idempotency,
            documents=uploads,
        ),
    )
    return with_document_urls(answer), 201, replayed


@bp.get("/pending")
def pending() -> ResponseReturnValue:
    asked = query(PendingQuery)
    as_of = _day(asked.as_of, "as_of")
    found = queries.pending_page(
        tracker_of(),
        as_of,
        asked.treaty,
        asked.country,
        asked.stage,
        page=asked.page,
        per_page=asked.per_page,
        sort=asked.sort,
        practice=practice_filter(_practice_asked(asked.practice)),
    )
    today = as_of or tracker_of().today()
    items = [p.to_json(today) for p in found.items]
    return _listing("api.pending", found, items, as_of=as_of and as_of.isoformat())


@bp.get("/events")
def events() -> ResponseReturnValue:
    asked = query(EventQuery)
    where = audit.EventFilter(
        case=asked.case,
        actor=asked.actor,
        trigger=asked.trigger,
        since=_day(asked.since, "since"),
        until=_day(asked.until, "until"),
        practice=practice_filter(bool(asked.case) or _practice_asked(asked.practice)),
    )
    found = audit.browse_events(
        tracker_of(), where, older_than=asked.older_than, per_page=asked.per_page
    )
    following = _next_page("api.events", older_than=found.older) if found.older else None
    words = labels.words_of_events(tracker_of(), found.items)
    items = [
        with_document_urls(labels.labelled(e, words[(e.case_reference, e.seq)]))
        for e in found.items
    ]
    return _with_next({"items": items, "per_page": asked.per_page}, following)


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
    asked = query(PageQuery)
    every = [
        {"name": w.name, "version": w.version, "label": w.label, "treaty": w.treaty.code}
        for w in tracker_of().registry.workflows.values()
    ]
    start = (asked.page - 1) * asked.per_page
    found = Page(every[start : start + asked.per_page], len(every), asked.page, asked.per_page)
    return _listing("api.workflows", found, found.items)


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
        try:
            extra = _current(request.view_args["reference"])
        except DomainError as unreadable:  # the database went away meanwhile: say that instead
            return domain_error(unreadable)
    if isinstance(exc, DuplicateCase):
        extra = {"existing_case": exc.existing}
    if isinstance(exc, InvalidInput) and exc.field in ("as_of", "since", "until"):
        status = 400
    return jsonify(error_body(exc.code, exc.message, exc.field, **extra)), status


def _current(reference: str) -> dict[str, Any]:
    with tracker_of().snapshot() as session:
        row = load_case(session, reference)
        return {"current_version": row.version, "current_state": row.state}


@bp.errorhandler(ApiError)
def api_error(exc: ApiError) -> ResponseReturnValue:
    challenge = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status == 401 else {}
    return jsonify(error_body(exc.code, exc.message, exc.field)), exc.status, challenge


def http_error_json(exc: HTTPException) -> ResponseReturnValue:
    """Any HTTP error under /api/ (unknown route, wrong method, too large) as the API's JSON."""
    code = (exc.name or "error").lower().replace(" ", "_")
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]  # Allow
    return jsonify(error_body(code, exc.description or code)), exc.code or 500, headers
