"""The overview pages: pending steps (the home page) and the dashboard."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request

from app import tracker_of
from app.domain.clock import parse_date
from app.domain.countries import country_name
from app.domain.errors import DomainError
from app.services import case_filter, labels, queries, reports
from app.services.paging import practice_filter
from app.web.auth import requires
from app.web.params import page_number

bp = Blueprint("pages", __name__)
DUE_SOON_DAYS = 30
PER_PAGE = 50


def optional_date(name: str) -> date | None:
    """A date from the query string, or None; a bad one raises InvalidInput naming it."""
    value = request.args.get(name, "").strip()
    return parse_date(value, name) if value else None


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The choices of the lists' treaty, country and stage filters, each by its words."""
    registry = tracker_of().registry
    stages = registry.stage_labels
    countries = case_filter.case_countries(tracker_of())
    return {
        "treaty": [(code, t.short_name) for code, t in sorted(registry.treaties.items())],
        "country": sorted(((c, country_name(c)) for c in countries), key=lambda c: c[1]),
        "stage": sorted(stages.items(), key=lambda s: s[1]),
    }


@bp.get("/")
@requires()
def pending() -> tuple[str, int]:
    """Every open case with its next steps; filters, sorting and an as-of date."""
    chosen = {k: request.args.get(k, "").strip() or None for k in ("treaty", "country", "stage")}
    chosen["practice"] = "1" if request.args.get("practice") == "1" else None
    sort = request.args.get("sort", "date")
    error, items, as_of, found = None, [], None, None
    try:
        as_of = optional_date("as_of")
        page = page_number(request.args.get("page"))
        found = queries.pending_page(
            tracker_of(), as_of, chosen["treaty"], chosen["country"], chosen["stage"],
            page=page, per_page=PER_PAGE, sort=sort,
            practice=practice_filter(bool(chosen["practice"])),
        )  # fmt: skip
        reference_day = as_of or tracker_of().today()
        items = [p.to_json(reference_day) for p in found.items]
    except DomainError as exc:
        error = exc
    return render_template(
        "pending.html",
        items=items,
        found=found,
        as_of=as_of,
        chosen=chosen,
        sort=sort,
        choices=filter_choices(),
        error=error,
        due_soon=DUE_SOON_DAYS,
    ), (400 if error else 200)


@bp.get("/dashboard")
@requires()
def dashboard() -> str:
    """Cases by treaty and stage, dates in the next 90 days, recent activity."""
    board = reports.dashboard(tracker_of())
    return render_template(
        "dashboard.html",
        board=board,
        words=labels.words_of_events(tracker_of(), board.recent),
        horizon=reports.UPCOMING_DAYS,
    )
