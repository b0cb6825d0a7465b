"""Documents over HTTP: the files of a step form or an API body, and the download of a case's
document with safe headers (the larger request limit of the routes that take them is in
request_limits)."""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, abort, request, send_file, url_for
from werkzeug.wrappers import Response

from app import tracker_of
from app.domain.documents import (
    ALLOWED,
    FIELD,
    LABEL,
    size_in_words,
)
from app.domain.errors import NotFound
from app.services.documents import Upload, find_document
from app.web.api_input import ApiError
from app.web.api_requests import NewDocument
from app.web.auth import requires
from app.web.request_limits import refuse_large_fields

bp = Blueprint("documents", __name__)
DOWNLOAD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-cache",  # kept, but asked again: the access check holds
}


def register(app: Flask) -> None:
    app.add_template_filter(size_in_words, "size_in_words")
    app.add_template_filter(lambda media_type: ALLOWED.get(media_type, media_type), "media_label")
    app.add_template_global(download_url, "document_url")


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
