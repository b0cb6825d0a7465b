"""The admin's import page: upload a file of cases, as `flask --app app cases import` takes."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app import tracker_of
from app.domain.errors import DomainError
from app.services import transfer
from app.web.auth import requires
from app.web.forms import ImportForm

bp = Blueprint("imports", __name__)


@bp.route("/import", methods=["GET", "POST"])
@requires("admin")
def upload() -> tuple[str, int]:
    """Check (dry run) or import an uploaded file; the report lists every refused line."""
    # its larger request limit is set before the CSRF check reads the form (web/documents.py)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("import.html", form=form), 422 if form.is_submitted() else 200
    upload = form.file.data
    fmt = form.format.data or ("csv" if upload.filename.lower().endswith(".csv") else "jsonl")
    try:
        report = transfer.import_cases(
            tracker_of(), upload.stream, fmt, current_user.name, dry_run=form.dry_run.data
        )
    except DomainError as exc:
        form.file.errors = [*form.file.errors, exc.message]
        return render_template("import.html", form=form), 422
    status = 422 if report.refused else 200
    return render_template("import.html", form=ImportForm(), report=report, fmt=fmt), status
