"""Documents over HTTP: the files of a step form or an API body, the larger request limit of
the routes that take them, and the download of a case's document with safe headers."""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, abort, current_app, request, send_file, url_for
from werkzeug.wrappers import Response

from app import tracker_of
from app.domain.documents import (
    ALLOWED,
    FIELD,
    LABEL,
    allowed_types,
    size_in_words,
)
from app.domain.errors import NotFound
from app.services.documents import Upload, find_document
from app.web.api_input import ApiError
from app.web.api_requests import NewDocument
from app.web.auth import requires

bp = Blueprint("documents", __name__)
# The routes whose requests may carry documents (multipart files, or base64 in the API's JSON)
UPLOAD_ENDPOINTS = {
    "cases.advance": 1.0,
    "api.record_event": 4 / 3,
    "groups.record": 1.0,
    "api.record_group_event": 4 / 3,
}
DOWNLOAD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-cache",  # kept, but asked again: the access check holds
}


def register(app: Flask) -> None:
    """Raise the request limit of the upload routes (and the import's) before anything reads
    the body (the CSRF check reads the form first, so this runs before every other hook)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)
    app.add_template_filter(size_in_words, "size_in_words")
    app.add_template_filter(lambda media_type: ALLOWED.get(media_type, media_type), "media_label")
    app.add_template_global(_limits, "document_limits")
    app.add_template_global(download_url, "document_url")


def _limits() -> str:
    """What the Documents input takes, in words."""
    config = current_app.config
    most = config["MAX_DOCUMENTS_PER_STEP"]
    return (
        f"{allowed_types()}; up to {size_in_words(config['MAX_DOCUMENT_BYTES'])} each, at most "
        f"{most} file{'' if most == 1 else 's'}. The type is read from the file's content. "
        "Documents are attached when the step is recorded and cannot be added to it later."
    )


# Other routes that take a large body, with the setting of their limit
LARGE_BODY_ENDPOINTS = {"imports.upload": "IMPORT_MAX_BYTES"}


def _upload_limit() -> None:
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


def uploaded_files() -> list[Upload]:
    """The files of the form's Documents input (a browser sends one empty part when none is
    chosen: left out)."""
    refuse_large_fields(sum(len(key) + len(value) for key, value in request.form.items()))
    found = []
    for storage in request.files.getlist(FIELD):
        content = storage.read()
        if storage.filename or content:
            found.append((storage.filename or "", content))
    return found


def download_url(reference: str, sha256: str) -> str:
    return url_for("documents.download", reference=reference, sha256=sha256)


def content_disposition(name: str) -> str:
    """`attachment` with the name in RFC 6266/5987 form, and an ASCII fallback."""
    fallback = "".join(_ascii(c) for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def document_response(reference: str, sha256: str) -> Response:
    """The document as an attachment; NotFound for a hash no event of the case names."""
    found = find_document(tracker_of(), reference, sha256)
    # Flask adds "; charset=utf-8" to text/plain itself: the sniffing made sure it is UTF-8
    response = send_file(found.path, mimetype=found.ref.media_type, conditional=True, etag=sha256)
    response.headers["Content-Disposition"] = content_disposition(found.ref.name)
    response.headers.update(DOWNLOAD_HEADERS)
    return response


def _ascii(char: str) -> str:
    return char if char.isascii() and char.isprintable() and char not in '"\\' else "_"


@bp.get("/cases/<reference>/documents/<sha256>")
@requires()
def download(reference: str, sha256: str) -> Response:
    """A document of the case, for anyone signed in (every role reads every case)."""
    try:
        return document_response(reference, sha256)
    except NotFound:
        abort(404)


def decoded_documents(documents: Sequence[NewDocument]) -> list[Upload]:
    """Each API document's name and bytes; a 400 naming the one that is not base64 (and a 413
    for a body larger than the usual limit without them)."""
    refuse_large_fields(len(request.get_data()) - sum(len(d.content_base64) for d in documents))
    found = []
    for document in documents:
        try:
            content = b64decode(document.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                400,
                "malformed",
                f"{LABEL}: {document.name}: its content_base64 is not base64 (RFC 4648)",
                FIELD,
            ) from None
        found.append((document.name, content))
    return found


def with_document_urls(answer: dict[str, Any]) -> dict[str, Any]:
    """An API answer (a case, its recorded event, or one event) with the API's download
    address on each document."""
    events = [*answer.get("history", ()), answer.get("recorded_event"), answer]
    for event in events:
        if isinstance(event, dict) and event.get("documents"):
            event["documents"] = [
                {**d, "url": url_for("api.document", reference=event["case"], sha256=d["sha256"])}
                for d in event["documents"]
            ]
    return answer


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
            f"The request is too large. {LABEL}: {_limits()} The other fields together may be "
            f"up to {usual}. Nothing was saved."
        )
    return f"The request is too large: a form or a request body may be up to {usual}."
