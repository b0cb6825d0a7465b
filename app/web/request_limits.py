"""The size limits of a request: the usual one (MAX_CONTENT_LENGTH), the larger one of the
routes that take documents or an import file, raised before anything reads the body, and the
413's message naming the limit of the route it was sent to."""

from __future__ import annotations

from flask import Flask, abort, current_app, request

from app.domain.documents import LABEL, allowed_types, size_in_words

# The routes whose requests may carry documents (multipart files, or base64 in the API's JSON)
UPLOAD_ENDPOINTS = {
    "cases.advance": 1.0,
    "api.record_event": 4 / 3,
    "groups.record": 1.0,
    "api.record_group_event": 4 / 3,
}

# Other routes that take a large body, with the setting of their limit
LARGE_BODY_ENDPOINTS = {"imports.upload": "IMPORT_MAX_BYTES"}


def register(app: Flask) -> None:
    """Raise the request limit of the upload routes (and the import's) before anything reads
    the body (the CSRF check reads the form first, so this runs before every other hook)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _raise_limit)
    app.add_template_global(document_limits, "document_limits")


def document_limits() -> str:
    """What the Documents input takes, in words."""
    config = current_app.config
    most = config["MAX_DOCUMENTS_PER_STEP"]
    return (
        f"{allowed_types()}; up to {size_in_words(config['MAX_DOCUMENT_BYTES'])} each, at most "
        f"{most} file{'' if most == 1 else 's'}. The type is read from the file's content. "
        "Documents are attached when the step is recorded and cannot be added to it later."
    )


def _raise_limit() -> None:
    if request.method != "POST":
        return
    config = current_app.config
    large = LARGE_BODY_ENDPOINTS.get(request.endpoint or "")
    if large is not None:
        request.max_content_length = config[large]
        return
    overhead = UPLOAD_ENDPOINTS.get(request.endpoint or "")
    if overhead is None:
        return
    files = config["MAX_DOCUMENTS_PER_STEP"] * config["MAX_DOCUMENT_BYTES"] * overhead
    request.max_content_length = config["MAX_CONTENT_LENGTH"] + int(files)


def refuse_large_fields(size: int) -> None:
    """413 when the request without its documents is larger than the usual limit: only the
    documents may use the upload routes' larger one."""
    if size > current_app.config["MAX_CONTENT_LENGTH"]:
        abort(413)


def too_large() -> str:
    """Why the request was refused as too large (a 413), with the limit of the route it was
    sent to: nothing of it was read, and nothing saved."""
    config = current_app.config
    endpoint = request.endpoint or ""
    usual = size_in_words(config["MAX_CONTENT_LENGTH"])
    if endpoint in LARGE_BODY_ENDPOINTS:
        limit = size_in_words(config[LARGE_BODY_ENDPOINTS[endpoint]])
        return f"The file is too large: an import file may be up to {limit}. Nothing was saved."
    if endpoint in UPLOAD_ENDPOINTS:
        return (
            f"The request is too large. {LABEL}: {document_limits()} The other fields together "
            f"may be up to {usual}. Nothing was saved."
        )
    return f"The request is too large: a form or a request body may be up to {usual}."
