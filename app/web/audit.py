"""The audit log: every event, filtered and paginated; streamed downloads; chain verification."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context

from app import tracker_of
from app.domain.errors import DomainError
from app.services import audit, checkpoint, labels
from app.services.checkpoint_key import existing_key, instance_key
from app.services.paging import practice_filter
from app.web.auth import requires
from app.web.pages import optional_date

bp = Blueprint("audit", __name__)
PER_PAGE = 50
FILTERS = ("case", "actor", "trigger", "since", "until", "practice")


def _filter() -> audit.EventFilter:
    """The page's filters; practice cases are left out unless asked for or named."""
    case = request.args.get("case", "").strip() or None
    return audit.EventFilter(
        case=case,
        actor=request.args.get("actor", "").strip() or None,
        trigger=request.args.get("trigger", "").strip() or None,
        since=optional_date("since"),
        until=optional_date("until"),
        practice=practice_filter(bool(case) or request.args.get("practice") == "1"),
    )


def _log_page(
    verified: audit.AuditResult | None = None,
    checked: checkpoint.CheckpointReport | DomainError | None = None,
) -> tuple[str, int]:
    chosen = {k: request.args.get(k, "") for k in FILTERS}
    try:
        page = audit.browse_events(
            tracker_of(),
            _filter(),
            newer_than=request.args.get("newer_than") or None,
            older_than=request.args.get("older_than") or None,
            oldest=request.args.get("oldest") == "1",
            per_page=PER_PAGE,
        )
        error = None
    except DomainError as exc:
        page, error = audit.EventSlice([], None, None), exc
    refused = isinstance(checked, DomainError)
    return render_template(
        "audit.html",
        page=page,
        words=labels.words_of_events(tracker_of(), page.items),
        steps=labels.step_choices(tracker_of().registry),
        chosen=chosen,
        error=error,
        verified=verified,
        checked=checked,
        refused=refused,
    ), (400 if error or refused else 200)


@bp.get("/audit")
@requires()
def log() -> tuple[str, int]:
    return _log_page()


@bp.post("/audit/verify")
@requires()
def verify() -> tuple[str, int]:
    """Check every case's hash chain and show the result above the log; with an uploaded
    checkpoint, also that everything it saw is still there (as `audit verify --checkpoint`)."""
    upload = request.files.get("checkpoint")
    if upload is None or not upload.filename:
        return _log_page(audit.verify_audit(tracker_of()))
    try:
        key = existing_key(Path(current_app.config["CHECKPOINT_KEY_FILE"])).public_key()
        document = checkpoint.parse_checkpoint(upload.read())
        return _log_page(checked=checkpoint.verify_checkpoint(tracker_of(), document, key))
    except DomainError as exc:
        return _log_page(checked=exc)


@bp.get("/audit/export.<fmt>")
@requires()
def export(fmt: str) -> Response | tuple[str, int]:
    """The matching events as a download, streamed so a large log does not fill memory."""
    try:
        chunks = audit.export_events(tracker_of(), fmt, _filter())
    except DomainError as exc:
        return render_template("error.html", code=400, message=exc.message), 400
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    return Response(
        stream_with_context(chunks),
        content_type=f"{mimetype}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="withdrawal-events.{fmt}"'},
    )


@bp.post("/audit/checkpoint")
@requires("admin")
def make_checkpoint() -> Response | tuple[str, int]:
    """A new signed checkpoint of every chain head, as a file to publish; like the command,
    it is appended to the checkpoint log (a POST, with the form's CSRF token)."""
    config = current_app.config
    try:
        document = checkpoint.make_checkpoint(
            tracker_of(),
            instance_key(Path(config["CHECKPOINT_KEY_FILE"])),
            Path(config["CHECKPOINT_LOG_FILE"]),
        )
    except DomainError as exc:
        return render_template("error.html", code=409, message=exc.message), 409
    number = document["statement"]["number"]
    return Response(
        json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="checkpoint-{number}.json"'},
    )
