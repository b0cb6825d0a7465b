"""Personal API tokens: created once (shown once), stored as SHA-256, listed, revoked."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.domain.errors import InvalidInput, NotFound, Unavailable
from app.persistence.models import SYSTEM_ACTOR, ApiToken, User
from app.services.auth import SessionUser
from app.services.context import Tracker
from app.services.recording import now
from app.services.users import active_user

TOKEN_PREFIX = "wt_"
SCOPES = ("api", "feed")
# A token's last use is recorded to this precision, so that a read writes nothing most times.
LAST_USED_PRECISION = timedelta(minutes=5)
logger = logging.getLogger(
    __name__
)  # an API token also reads the feed; a feed token reads nothing else


def _digest(token: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 cannot be reversed or guessed, and it lets
    # a token be found by its hash (a salted password hash could not be looked up).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(tracker: Tracker, owner: str, label: str = "", scope: str = "api") -> str:
    """A new token for `owner` (scope "api", or "feed" for the calendar only); the only time it
    is ever shown."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope: {scope!r}; use {' or '.join(SCOPES)}", field="scope")
    label = label.strip()
    if len(label) > 80:
        raise InvalidInput("label: at most 80 characters", field="label")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with tracker.transaction() as session:
        user = active_user(session, owner)
        if user.name == SYSTEM_ACTOR:
            raise InvalidInput("user: the system actor has no tokens", field="user")
        session.add(
            ApiToken(
                user=user, label=label, scope=scope, prefix=token[:10], token_hash=_digest(token)
            )
        )
    return token


@dataclass(frozen=True)
class TokenInfo:
    id: int
    label: str
    scope: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "scope": self.scope,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked": self.revoked_at is not None,
        }


def list_tokens(tracker: Tracker, owner: str) -> list[TokenInfo]:
    """The owner's tokens, newest first (never the tokens themselves)."""
    with tracker.snapshot() as session:
        user = active_user(session, owner)
        rows = session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
        return [
            TokenInfo(t.id, t.label, t.scope, t.prefix, t.created_at, t.last_used_at, t.revoked_at)
            for t in rows
        ]


def revoke_token(tracker: Tracker, owner: str, token_id: int) -> None:
    """Revoke one of the owner's tokens; it stops working at once."""
    with tracker.transaction() as session:
        user = active_user(session, owner)
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != user.id:
            raise NotFound(f"token: {owner} has no token {token_id}", field="token")
        token.revoked_at = token.revoked_at or now()


# A token's lookup, built once, reading the few columns it needs (not two ORM rows): every API
# call makes it, and the statement's building and the rows cost a third of an advance's call.
_BY_DIGEST = (
    select(
        ApiToken.id, ApiToken.scope, ApiToken.revoked_at, ApiToken.last_used_at,
        User.id.label("user_id"), User.name, User.role, User.active,
    )
    .join(User, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"))
)  # fmt: skip


def token_user(tracker: Tracker, token: str, scope: str = "api") -> SessionUser | None:
    """The active owner of a valid, unrevoked token good for `scope`, or None. A read: the
    token's last use is written at most once per LAST_USED_PRECISION, and a database that
    refuses that write (read-only, full, busy) does not refuse the call."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = _token_row(tracker, _digest(token))
    if row is None or row.revoked_at is not None or row.scope not in (scope, "api"):
        return None
    if not row.active:
        return None
    moment = now()
    if row.last_used_at is None or moment - row.last_used_at >= LAST_USED_PRECISION:
        _note_use(tracker, row.id, moment)
    return SessionUser(row.user_id, row.name, row.role, "")


# id, scope, revoked_at, last_used_at, user_id, name, role, active
_TokenRow = Row[int, str, datetime | None, datetime | None, int, str, str, bool]


def _token_row(tracker: Tracker, digest: str) -> _TokenRow | None:
    with tracker.single_read() as connection:
        return connection.execute(_BY_DIGEST, {"digest": digest}).one_or_none()


def _note_use(tracker: Tracker, token_id: int, moment: datetime) -> None:
    stale = moment - LAST_USED_PRECISION
    try:
        with tracker.transaction() as session:
            session.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id)
                .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= stale))
                .values(last_used_at=moment)
            )
    except (Unavailable, SQLAlchemyError) as exc:
        logger.warning("token %s: last use not recorded: %s", token_id, exc)
