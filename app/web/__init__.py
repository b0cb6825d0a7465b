"""Web layer: server-rendered pages for staff. Views parse, call a service, render or redirect."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError
from werkzeug.wrappers import Response

from app import check_schema
from app.domain.errors import Unavailable
from app.persistence.migrate import SchemaNotCurrent
from app.web import (
    admin,
    api,
    api_documents,  # noqa: F401 (imported, its route joins the API's blueprint)
    api_groups,  # noqa: F401 (imported, its routes join the API's blueprint)
    audit,
    auth,
    calendar,
    case_list,
    cases,
    documents,
    format,
    fragments,
    groups,
    imports,
    openapi,
    pages,
    request_limits,
    row_links,
    settings,
    treaties,
)

csrf = CSRFProtect()

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
ERROR_MESSAGES = {
    400: "The request was not understood.",
    401: "Please sign in.",
    403: "Your role does not allow this.",
    404: "There is nothing at this address.",
    405: "This address does not take that kind of request.",
    409: "Someone else changed this meanwhile; reload and try again.",
    500: "Something went wrong on our side; nothing was saved.",
}


def register(app: Flask) -> None:
    csrf.init_app(app)
    request_limits.register(app)  # its hook raises the upload routes' limit before CSRF reads
    documents.register(app)
    csrf.exempt(api.bp)  # token callers have no CSRF token; session writes are checked in api
    auth.login_manager.init_app(app)
    blueprints = (
        auth,
        pages,
        case_list,
        cases,
        documents,
        groups,
        audit,
        admin,
        imports,
        settings,
        treaties,
        api,
        openapi,
        calendar,
    )
    for blueprint in (module.bp for module in blueprints):
        app.register_blueprint(blueprint)
    format.register(app)
    row_links.register(app)
    fragments.register(app)
    app.context_processor(_layout_context)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.register_error_handler(SchemaNotCurrent, _schema_error)
    app.register_error_handler(Unavailable, _no_writes)

    @app.before_request
    def refuse_nul() -> None:
        # No database stores NUL in text (PostgreSQL refuses it): refuse it at the door.
        values = [*request.args.values(), *request.form.values()]
        values += [str(v) for v in (request.view_args or {}).values()]
        if any("\x00" in v for v in values):
            abort(400)

    @app.before_request
    def refuse_old_schema() -> None:
        if not app.config.get("_SCHEMA_OK"):
            check_schema(app)
            app.config["_SCHEMA_OK"] = True


def _layout_context() -> dict[str, Any]:
    return {"me": current_user if current_user.is_authenticated else None}


def _security_headers(response: Response) -> Response:
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    return response


def _http_error(exc: HTTPException) -> Any:
    if isinstance(exc, RequestEntityTooLarge):
        exc.description = request_limits.too_large()
    if request.path.startswith("/api/"):
        return api.http_error_json(exc)
    code = exc.code or 500
    ours = isinstance(exc, RequestEntityTooLarge | auth.RoleRequired)  # a description we wrote
    message = exc.description if ours else ERROR_MESSAGES.get(code, exc.description or "")
    return render_template("error.html", code=code, message=message), code


def _untrusted_host(exc: SecurityError) -> Any:
    # No URL can be built for a refused host, so no template: one plain line, not echoing it.
    message = "host: the tracker does not answer to this address (see TRUSTED_HOSTS)"
    if request.path.startswith("/api/"):
        return jsonify(api.error_body("bad_request", message, "host")), 400
    return Response(message + "\n", 400, content_type="text/plain; charset=utf-8")


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    current_app.logger.warning(
        "CSRF check refused %s %s: %s", request.method, request.path, exc.description
    )
    message = "The form had expired or came from elsewhere (CSRF check). Reload and try again."
    return render_template("error.html", code=400, message=message), 400


def _no_writes(exc: Unavailable) -> Any:
    """A write the database refused (read-only, full), or a database out of reach: a 503."""
    retry = {"Retry-After": "60"}
    if request.path.startswith("/api/"):
        return jsonify(api.error_body(exc.code, exc.message, exc.field or "database")), 503, retry
    message = exc.message.removeprefix("database: ")
    message = message[:1].upper() + message[1:]
    return render_template("error.html", code=503, message=message), 503, retry


def _schema_error(exc: SchemaNotCurrent) -> tuple[str, int]:
    return render_template("error.html", code=503, message=f"The tracker cannot start: {exc}"), 503
