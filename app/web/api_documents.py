"""The API's download of a case's document: the same rules as the page's, a token's caller."""

from __future__ import annotations

from werkzeug.wrappers import Response

from app.domain.errors import NotFound
from app.web.api import bp, caller
from app.web.api_input import ApiError
from app.web.documents import document_response


@bp.get("/cases/<reference>/documents/<sha256>")
def document(reference: str, sha256: str) -> Response:
    """A document of the case as an attachment; a 404 (JSON) for a hash no event names."""
    caller()  # every role reads every case; a caller is needed all the same
    try:
        return document_response(reference, sha256)
    except NotFound as exc:
        raise ApiError(404, exc.code, exc.message, exc.field) from None
