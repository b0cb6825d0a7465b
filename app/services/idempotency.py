"""Idempotency keys of API writes: a write's answer is kept under its caller's key in the
write's own transaction, so a retry gets the first answer and nothing is recorded twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.errors import Conflict, InvalidInput
from app.persistence.models import IdempotencyKey, User
from app.services.context import Tracker

FIELD = "Idempotency-Key"


@dataclass(frozen=True)
class Idempotency:
    """A write's key as its caller sent it, with a digest of the request it came with."""

    actor: str
    key: str
    fingerprint: str


def kept_answer(tracker: Tracker, sent: Idempotency) -> dict[str, Any] | None:
    """The answer kept under the caller's key, or None; InvalidInput if the key came with
    another request."""
    with tracker.snapshot() as session:
        query = select(IdempotencyKey).join(User, IdempotencyKey.user_id == User.id)
        row = session.scalar(query.where(User.name == sent.actor, IdempotencyKey.key == sent.key))
        if row is None:
            return None
        if row.fingerprint != sent.fingerprint:
            raise InvalidInput(
                f"{FIELD}: already used for another request (another address or body); "
                "send a new key with each new request",
                field=FIELD,
            )
        return dict(row.answer)


def keep_answer(session: Session, sent: Idempotency, answer: dict[str, Any]) -> None:
    """Keep `answer` under the key, in the write's transaction; if a request with the same key
    kept one first (a concurrent retry), Conflict, and the write is rolled back."""
    session.flush()  # the write itself first: below, only the key can fail
    user_id = session.scalar(select(User.id).where(User.name == sent.actor))
    session.add(
        IdempotencyKey(user_id=user_id, key=sent.key, fingerprint=sent.fingerprint, answer=answer)
    )
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            f"{FIELD}: a request with this key was recorded meanwhile", field=FIELD
        ) from None
