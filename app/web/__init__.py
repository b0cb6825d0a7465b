"""Web layer: read-only pages until the staff UI lands (pending steps and case pages)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template, request
from werkzeug.wrappers import Response

from app import check_schema, tracker_of
from app.domain.clock import parse_date
from app.domain.errors import DomainError, NotFound
from app.persistence.migrate import SchemaNotCurrent
from app.services import queries

pages = Blueprint("pages", __name__)


@pages.get("/")
def pending() -> str:
    as_of_text = request.args.get("as_of")
    try:
        as_of = parse_date(as_of_text, "as_of") if as_of_text else None
    except DomainError as exc:
        abort(400, exc.message)
    today = as_of or tracker_of().today()
    items = [p.to_json(today) for p in queries.pending(tracker_of(), as_of)]
    return render_template("pending.html", items=items, as_of=as_of, today=today)


@pages.get("/cases/<reference>")
def case(reference: str) -> str:
    try:
        view = queries.get_case(tracker_of(), reference)
    except NotFound:
        abort(404)
    return render_template("case.html", case=view.to_json())


def register(app: Flask) -> None:
    app.register_blueprint(pages)

    @app.before_request
    def refuse_old_schema() -> Response | tuple[str, int] | None:
        if app.config.get("_SCHEMA_OK"):
            return None
        try:
            check_schema(app)
        except SchemaNotCurrent as exc:
            return f"The tracker cannot start: {exc}\n", 503
        app.config["_SCHEMA_OK"] = True
        return None
