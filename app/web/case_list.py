"""The list of every case, open or closed: search, filters, sort, pages, and a CSV download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context

from app import tracker_of
from app.domain.action_words import kind_label
from app.domain.errors import DomainError
from app.services import case_filter, case_list
from app.services.paging import practice_filter
from app.web.auth import requires
from app.web.pages import filter_choices
from app.web.params import page_number

bp = Blueprint("case_list", __name__)
PER_PAGE = 50
FILTERS = ("q", "kind", "treaty", "country", "stage", "status")


def _chosen() -> dict[str, Any]:
    chosen: dict[str, Any] = {k: request.args.get(k, "").strip() for k in FILTERS}
    chosen["practice"] = request.args.get("practice") == "1"
    return chosen


def _filter(chosen: dict[str, Any]) -> case_filter.CaseFilter:
    def value(key: str) -> str | None:
        return str(chosen[key]) or None

    return case_filter.CaseFilter(
        text=value("q"),
        kind=value("kind"),
        treaty=value("treaty"),
        country=value("country"),
        stage=value("stage"),
        status=value("status"),
        practice=practice_filter(bool(chosen["practice"])),
    )


def _choices() -> dict[str, list[tuple[str, str]]]:
    kinds = sorted({w.kind for w in tracker_of().registry.workflows.values()})
    return {
        "kind": [(k, kind_label(k)) for k in kinds],
        **filter_choices(),
        "status": [("open", "open"), ("closed", "closed (final stage)")],
    }


@bp.get("/cases")
@requires()
def index() -> tuple[str, int]:
    """Every case that matches the search and filters, a page at a time."""
    chosen, sort = _chosen(), request.args.get("sort", "reference")
    found, error = None, None
    try:
        page = page_number(request.args.get("page"))
        found = case_list.search_cases(tracker_of(), _filter(chosen), page, PER_PAGE, sort)
    except DomainError as exc:
        error = exc
    return render_template(
        "case_list.html",
        found=found,
        chosen=chosen,
        sort=sort,
        sorts=case_list.SORTS,
        choices=_choices(),
        error=error,
    ), (400 if error else 200)


@bp.get("/cases.csv")
@requires()
def download() -> Response | tuple[str, int]:
    """The same list, every page of it, as CSV."""
    sort = request.args.get("sort", "reference")
    rows = case_list.cases_csv(tracker_of(), _filter(_chosen()), sort)
    try:
        first = next(rows)  # a bad filter is refused before the download starts
    except DomainError:
        return index()
    return Response(
        stream_with_context(_chain(first, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
    )


def _chain(first: str, rest: Any) -> Any:
    yield first
    yield from rest
