"""Pieces of pages made once and kept: an event never changes, so what it reads as is the same
for every reader until something recorded after it (a correction, an undo) makes another one.
A case page of 200 events spent most of its time making its timeline again, the log a good
part of its time making its rows (docs/PERFORMANCE.md). Each key holds everything its piece
shows; an admin's forms (with their CSRF tokens) are never part of one. An event is known by
its stored hash: one changed behind the application's back under its old hash reads as it was
made until the process restarts, and `audit verify` names it either way."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from markupsafe import Markup

from app.domain.audit import EventRecord
from app.domain.definitions import Workflow
from app.services.labels import EventWords
from app.services.views import TimelineEntry
from app.web.kept import Kept

BUDGET = 16 * 2**20  # characters: some 10,000 events


def timeline_event(reference: str, workflow: Workflow, entry: TimelineEntry) -> Markup:
    """`entry` of case `reference` as its page's timeline shows it (an admin's form aside):
    its step, dates, evidence, documents, the corrections of it and the undo that voided it."""
    undone = entry.undone_by.hash if entry.undone_by else None
    key = (
        reference, workflow.name, workflow.digest(), entry.record.hash, entry.record.documents,
        tuple(c.hash for c in entry.corrections), undone,
    )  # fmt: skip
    return _kept("case_event.html", key, reference=reference, workflow=workflow, entry=entry)


def log_row(record: EventRecord, words: EventWords) -> Markup:
    """The audit log's row of `record`, its step and stages in `words`."""
    return _kept("audit_row.html", (record.hash, words), e=record, w=words)


def _kept(template: str, key: tuple[object, ...], **context: Any) -> Markup:
    kept: Kept[tuple[object, ...], Markup] = current_app.extensions["fragments"]
    key = (template, request.script_root, *key)  # links start with the script's root
    made = kept.get(key)
    if made is None:
        made = Markup(current_app.jinja_env.get_template(template).render(**context))
        kept.keep(key, made)
    return made


def register(app: Flask) -> None:
    app.extensions["fragments"] = Kept(BUDGET)
    app.add_template_global(timeline_event, "timeline_event")
    app.add_template_global(log_row, "log_row")
