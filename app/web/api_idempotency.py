"""The Idempotency-Key of the API's writes: a retry with the same key by the same caller gets
the first answer again (with Idempotent-Replayed: true) and records nothing new, across
server processes (the answer is kept in the database, in the write's own transaction)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from flask import request

from app.domain.errors import DomainError
from app.services.context import Tracker
from app.services.idempotency import FIELD, Idempotency, kept_answer
from app.services.views import CaseView
from app.web.api_input import ApiError

MAX_KEY = 200
_KEY = re.compile(rf"[ -~]{{1,{MAX_KEY}}}")  # printable ASCII
REPLAYED = {"Idempotent-Replayed": "true"}


def sent_key() -> str | None:
    """The request's Idempotency-Key, if it sent one; ApiError 400 if it is not one."""
    key = request.headers.get(FIELD)
    if key is not None and not (_KEY.fullmatch(key) and key.strip()):
        raise ApiError(
            400,
            "malformed",
            f"{FIELD}: 1 to {MAX_KEY} printable ASCII characters, not blank (e.g. a UUID)",
            FIELD,
        )
    return key


def once(
    tracker: Tracker,
    actor: str,
    data: dict[str, Any],
    write: Callable[[Idempotency | None], CaseView],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The answer of `write` (and no header), or, for a key already answered, that answer
    again (and the header saying so)."""
    key = sent_key()
    if key is None:
        return write(None).to_json(), {}
    sent = Idempotency(actor, key, _fingerprint(data))
    kept = kept_answer(tracker, sent)
    if kept is not None:
        return kept, REPLAYED
    try:
        return write(sent).to_json(), {}
    except DomainError:
        kept = kept_answer(tracker, sent)  # a retry sent meanwhile was recorded: its answer
        if kept is None:
            raise
        return kept, REPLAYED


def _fingerprint(data: dict[str, Any]) -> str:
    """What makes two requests the same: method, address and the body's JSON (keys sorted)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()
