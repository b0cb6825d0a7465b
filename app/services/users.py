"""Staff accounts: create them, find the active actor behind a step, check a role."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.definitions import ROLES
from app.domain.errors import Forbidden, InvalidInput, NotFound
from app.persistence.models import SYSTEM_ACTOR, User
from app.services.context import Tracker

# argon2-cffi's defaults are RFC 9106's low-memory profile, above OWASP's minimums for Argon2id.
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


def check_role_name(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"role: {role!r} is not a role; roles: {', '.join(ROLES)}", field="role")


def create_user(tracker: Tracker, name: str, role: str, password: str | None = None) -> str:
    """Create an account; returns its password (a generated one when none is given)."""
    check_role_name(role)
    name = name.strip()
    if not name or len(name) > 80 or not name.replace(".", "").replace("-", "").isalnum():
        raise InvalidInput(
            f"name: {name!r} is not allowed; use 1-80 letters, digits, '.' or '-'", field="name"
        )
    password = password if password is not None else secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password: needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    with tracker.transaction() as session:
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise InvalidInput(f"name: a user named {name!r} exists already", field="name")
        session.add(User(name=name, role=role, password_hash=_hasher.hash(password)))
    return password


def active_user(session: Session, name: str) -> User:
    """The active account named `name`, or an error naming what is wrong with it."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(
            f"user: no user named {name!r}; create one with "
            "`flask --app app users create NAME --role clerk`",
            field="user",
        )
    if not user.active and user.name != SYSTEM_ACTOR:
        raise Forbidden(f"user: {name!r} is deactivated", field="user")
    return user


def require_role(user: User, allowed: tuple[str, ...], action: str) -> None:
    """Refuse `action` unless the user's role is among `allowed`."""
    if user.role not in allowed:
        raise Forbidden(
            f"user: {user.name!r} is a {user.role}; {action} needs the role {' or '.join(allowed)}",
            field="user",
        )


def system_user(session: Session) -> User:
    return active_user(session, SYSTEM_ACTOR)


def list_users(tracker: Tracker) -> list[dict[str, object]]:
    """Every account except the system actor, by name."""
    with tracker.transaction() as session:
        users = session.scalars(select(User).where(User.name != SYSTEM_ACTOR).order_by(User.name))
        return [{"name": u.name, "role": u.role, "active": u.active} for u in users]


def set_password(tracker: Tracker, name: str, password: str) -> None:
    """Replace a user's password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password: needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    with tracker.transaction() as session:
        user = active_user(session, name)
        user.password_hash = _hasher.hash(password)
