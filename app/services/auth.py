"""Signing in and out: password checks, throttling counted in the database, session tokens."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.persistence.database import serialize_on
from app.persistence.models import SYSTEM_ACTOR, SignInAttempt, User
from app.services import users
from app.services.context import Tracker
from app.services.recording import now

THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # per account and address in the window, since its last sign-in from there
ADDRESS_FAILURES = 20  # per address in the window, across accounts (the higher limit)


class SignInRefused(DomainError):
    """Wrong name or password (never says which), or too many failures."""

    code = "sign_in_refused"


@dataclass(frozen=True)
class SessionUser:
    """Who a session belongs to: what the web layer keeps in its login manager."""

    id: int
    name: str
    role: str
    token: str

    @property
    def session_id(self) -> str:
        """The value stored in the session cookie: user and token together."""
        return f"{self.id}:{self.token}"


def sign_in(tracker: Tracker, name: str, password: str, address: str) -> SessionUser:
    """Check the password; refuse while the account is throttled from this address or the
    address itself is. Every checked attempt is stored as a failure before its check, so that
    parallel guesses cannot slip past the count; a right password then marks it succeeded."""
    name = name.strip()
    attempt_id = _admit_attempt(tracker, name, address)
    stored = _stored_hash(tracker, name)
    if not _password_matches(stored, password):
        raise SignInRefused("name: unknown name or wrong password", field="name")
    return _start_session(tracker, name, password, stored, attempt_id)


def _admit_attempt(tracker: Tracker, name: str, address: str) -> int:
    """Count the failures and store this attempt as one, in a transaction that no other attempt
    from the same address interleaves (PostgreSQL too): of N parallel guesses exactly the
    allowed number reach a password check."""
    moment = now()
    with tracker.transaction() as session:
        serialize_on(session, f"sign-in from {address}")
        _refuse_if_throttled(session, name, address, moment)
        attempt = SignInAttempt(name=name, address=address, attempted_at=moment, succeeded=False)
        session.add(attempt)
        session.flush()
        return attempt.id


def _stored_hash(tracker: Tracker, name: str) -> str | None:
    """The password hash of an active account that may sign in, else None."""
    with tracker.snapshot() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None or not user.active or user.name == SYSTEM_ACTOR:
            return None
        return user.password_hash


def _start_session(
    tracker: Tracker, name: str, password: str, checked: str | None, attempt_id: int
) -> SessionUser:
    with tracker.transaction() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None or not user.active or user.password_hash != checked:
            raise SignInRefused("name: unknown name or wrong password", field="name")
        if users.hasher().check_needs_rehash(checked or ""):
            user.password_hash = users.hasher().hash(password)
        # A fresh token at every sign-in: one token per user, so signing in anew ends the
        # user's other sessions (a cookie stolen before it is worth nothing after it).
        user.session_token = secrets.token_hex(32)
        attempt = session.get(SignInAttempt, attempt_id)
        if attempt is not None:
            attempt.succeeded = True
        return SessionUser(user.id, user.name, user.role, user.session_token)


def _password_matches(stored: str | None, password: str) -> bool:
    """Check the password; with no account to check against, a dummy hash is checked, so that
    a refusal costs the same whether or not the name exists."""
    dummy = _dummy_hash(users.hasher())  # made at the first sign-in, whoever signs in
    try:
        matches = users.hasher().verify(stored or dummy, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(matches) and stored is not None


@functools.lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password, made once per hasher (at its cost parameters)."""
    return hasher.hash(secrets.token_urlsafe(16))


def _failures(session: Session, since: datetime, **where: str) -> int:
    query = select(func.count()).select_from(SignInAttempt)
    query = query.where(SignInAttempt.attempted_at >= since, SignInAttempt.succeeded.is_(False))
    for column, value in where.items():
        query = query.where(getattr(SignInAttempt, column) == value)
    return session.scalar(query) or 0


def _refuse_if_throttled(session: Session, name: str, address: str, moment: datetime) -> None:
    """Per account and address (since its last sign-in from there), and per address across
    accounts: a guesser elsewhere slows only itself and never locks the real user out."""
    since = moment - THROTTLE_WINDOW
    last_success = session.scalar(
        select(func.max(SignInAttempt.attempted_at)).where(
            SignInAttempt.name == name,
            SignInAttempt.address == address,
            SignInAttempt.succeeded.is_(True),
        )
    )
    account_since = max(since, last_success) if last_success else since
    minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
    if _failures(session, account_since, name=name, address=address) >= ACCOUNT_FAILURES:
        raise SignInRefused(
            f"name: too many failed sign-ins for this account from your address; try again in "
            f"{minutes} minutes or ask an administrator to reset the password",
            field="name",
        )
    if _failures(session, since, address=address) >= ADDRESS_FAILURES:
        raise SignInRefused(
            f"name: too many failed sign-ins from your address; try again in {minutes} minutes",
            field="name",
        )


def session_user(tracker: Tracker, session_id: str) -> SessionUser | None:
    """The active user a session cookie belongs to, or None once its token has changed."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    with tracker.snapshot() as session:  # every page asks: a read, not the write lock
        user = session.execute(_SESSION_USER, {"id": int(user_id)}).one_or_none()
    if user is None or not user.active or user.session_token is None:
        return None
    if not secrets.compare_digest(user.session_token, token):
        return None
    return SessionUser(user.id, user.name, user.role, user.session_token)


# Every page reads its user: the columns it needs, by a statement built once (an ORM User,
# with its identity map, cost more than the query).
_SESSION_USER = select(User.id, User.name, User.role, User.active, User.session_token).where(
    User.id == bindparam("id")
)


def end_sessions(tracker: Tracker, user_id: int) -> None:
    """End every session of the user (sign-out ends them on the server side too)."""
    with tracker.transaction() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.session_token = None
