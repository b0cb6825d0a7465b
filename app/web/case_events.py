"""The events of a case page's timeline, each made once and kept: an event never changes,
so what it reads as (its step, dates, evidence, documents, the corrections of it and the undo
that voided it, in its case's workflow's words) is the same for every reader until a
correction or an undo of it is recorded, which makes another one. A case page of 200 events
spent most of its time making them again (docs/PERFORMANCE.md)."""

from __future__ import annotations

from flask import Flask, current_app, request
from markupsafe import Markup

from app.domain.definitions import Workflow
from app.services.views import TimelineEntry
from app.web.kept import Kept

BUDGET = 16 * 2**20  # characters: some 10,000 events


def timeline_event(reference: str, workflow: Workflow, entry: TimelineEntry) -> Markup:
    """`entry` of case `reference` as the timeline shows it (an admin's form aside)."""
    kept: Kept[tuple[object, ...], Markup] = current_app.extensions["case_events"]
    undone = entry.undone_by.hash if entry.undone_by else None
    key = (
        request.script_root, reference, workflow.name, workflow.digest(), entry.record.hash,
        entry.record.documents, tuple(c.hash for c in entry.corrections), undone,
    )  # fmt: skip
    made = kept.get(key)
    if made is None:
        template = current_app.jinja_env.get_template("case_event.html")
        made = Markup(template.render(reference=reference, workflow=workflow, entry=entry))
        kept.keep(key, made)
    return made


def register(app: Flask) -> None:
    app.extensions["case_events"] = Kept(BUDGET)
    app.add_template_global(timeline_event, "timeline_event")
