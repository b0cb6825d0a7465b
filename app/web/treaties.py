"""The treaties: an index, and a page per treaty with its withdrawal clause in plain words, its
cases (a page at a time) and their timeline chart side by side."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for

from app import tracker_of
from app.domain.definitions import Treaty
from app.domain.errors import DomainError, NotFound
from app.domain.loader import Registry
from app.services import case_filter, case_list, timeline, treaties
from app.web.auth import requires
from app.web.params import page_number
from app.web.timeline import render_timeline

bp = Blueprint("treaties", __name__)
PER_PAGE = 20


def clause_words(treaty: Treaty, registry: Registry) -> list[str]:
    """The withdrawal clause as sentences a person reads: when it takes effect, and its rules
    (a condition on the effect, a bar on early notice, a withdrawal that carries another)."""
    clock, clause = treaty.clock, treaty.clock.clause
    when = str(clause)
    if clause.kind == "period_after_receipt":
        when += " after the depositary receives the notice of withdrawal"
    else:
        when = ("at " if when.startswith("the end") else "on ") + when
    words = [f"A withdrawal takes effect {when} ({clock.article})."]
    if clock.later_date_allowed and not clock.named_date_required:
        words.append("The notice may name a later date; the withdrawal then takes effect on it.")
    if clock.armed_conflict_deferral:
        words.append(
            "If the withdrawing State is engaged in an armed conflict when that time is up, the "
            "withdrawal does not take effect before the armed conflict ends."
        )
    if clock.earliest_notice_after_years:
        words.append(
            f"Notice may be given only {clock.earliest_notice_after_years} years after the "
            "treaty entered into force for the State."
        )
    if clock.effect_condition:
        on = "the day the period ended" if clock.effect_when_met == "period_end" else "that day"
        words.append(
            f"It takes effect only if {clock.effect_condition}. If that is not met when the "
            f"period ends, the effect is disputed until it is recorded met, and the withdrawal "
            f"then takes effect on {on}."
        )
    words.extend(f"{article}." for article in _carried_withdrawals(treaty, registry))
    words.append(f"The notice goes to: {treaty.depositary}.")
    return words


def _carried_withdrawals(treaty: Treaty, registry: Registry) -> list[str]:
    """The articles by which a withdrawal from this treaty is one from another, or a withdrawal
    from another is one from this (the UNFCCC and the Paris Agreement, Art. 28(3))."""
    return [
        t.also_article
        for t in registry.treaties.values()
        if t.also_withdraws_from and (t is treaty or treaty.code in t.also_withdraws_from)
    ]


@bp.get("/treaties")
@requires()
def index() -> str:
    """Every treaty the definitions know, with its clause and how many cases it has."""
    registry = tracker_of().registry
    listed = sorted(registry.treaties.values(), key=lambda t: t.short_name)
    return render_template(
        "treaties.html",
        treaties=listed,
        counts=treaties.case_counts(tracker_of()),
        words={t.code: clause_words(t, registry) for t in listed},
        empty=treaties.CaseCounts(),
    )


@bp.get("/treaties/<code>")
@requires()
def show(code: str) -> tuple[str, int]:
    """A treaty: its clause, its cases and their chart."""
    tracker = tracker_of()
    try:
        treaty = tracker.registry.treaty(code)
    except NotFound:
        abort(404)
    found, error, chart = None, None, None
    try:
        where = case_filter.CaseFilter(treaty=treaty.code)
        page = page_number(request.args.get("page"))
        found = case_list.search_cases(tracker, where, page, PER_PAGE, "reference")
        references = [c["reference"] for c in found.items]
        rows = timeline.case_rows(tracker, references)
        links = {r: url_for("cases.show", reference=r) for r in references}
        chart = render_timeline(rows, tracker.today(), links) if rows else None
    except DomainError as exc:
        error = exc
    return render_template(
        "treaty.html", treaty=treaty, words=clause_words(treaty, tracker.registry), found=found,
        chart=chart, error=error,
    ), (400 if error else 200)  # fmt: skip
