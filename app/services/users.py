"""Staff accounts: create them, find the active actor behind a step, check a role."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.domain.definitions import ROLES
from app.domain.errors import Forbidden, InvalidInput, NotFound
from app.persistence.models import SYSTEM_ACTOR, ApiToken, User
from app.services.context import Tracker
from app.services.recording import now

# argon2-cffi's defaults (Argon2id, 64 MiB, 3 iterations, 4 lanes) are RFC 9106's low-memory
# profile, above OWASP's minimums (19 MiB, 2 iterations, 1 lane).
_hasher = PasswordHasher()


def hasher() -> PasswordHasher:
    """The password hasher (tests swap in a cheaper one)."""
    return _hasher


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
        session.add(User(name=name, role=role, password_hash=hasher().hash(password)))
    return password


# Built once: every write reads its actor, and building the statement cost what running it did.
_USER_BY_NAME = select(User).where(User.name == bindparam("name"))


def active_user(session: Session, name: str) -> User:
    """The active account named `name`, or an error naming what is wrong with it."""
    return checked_user(session.scalar(_USER_BY_NAME, {"name": name}), name)


def checked_user(user: User | None, name: str) -> User:
    """`user`, the account read by the name `name`, unless there is none or it is deactivated."""
    if user is None:
        raise NotFound(
            f"user: no user named {name!r}; create one with "
            "`flask --app app users create NAME --role clerk`",
            field="user",
        )
    if not user.active and user.name != SYSTEM_ACTOR:
        raise Forbidden(f"user: {name!r} is deactivated", field="user")
    return user


def require_role(user: User, allowed: tuple[str, ...], action: str) -> User:
    """The user, unless their role is not among `allowed` (then `action` is refused)."""
    if user.role not in allowed:
        raise Forbidden(
            f"user: {user.name!r} is a {user.role}; {action} needs the role {' or '.join(allowed)}",
            field="user",
        )
    return user


def system_user(session: Session) -> User:
    return active_user(session, SYSTEM_ACTOR)


def list_users(tracker: Tracker) -> list[dict[str, object]]:
    """Every account except the system actor, by name."""
    with tracker.snapshot() as session:
        users = session.scalars(select(User).where(User.name != SYSTEM_ACTOR).order_by(User.name))
        return [{"name": u.name, "role": u.role, "active": u.active} for u in users]


def set_password(tracker: Tracker, name: str, password: str) -> int:
    """Replace a user's password, ending their sessions and revoking their API tokens;
    returns how many tokens were revoked."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password: needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    with tracker.transaction() as session:
        return _new_password(session, active_user(session, name), password)


def _new_password(session: Session, user: User, password: str) -> int:
    # Whoever knew the old password may have made a token with it: a new password ends
    # every session and revokes every API token of the account.
    user.password_hash = hasher().hash(password)
    user.session_token = None
    live = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in live:
        token.revoked_at = now()
    return len(live)


def _managed(session: Session, actor: str, name: str) -> User:
    require_role(active_user(session, actor), ("admin",), "managing users")
    user = session.scalar(select(User).where(User.name == name))
    if user is None or user.name == SYSTEM_ACTOR:
        raise NotFound(f"user: no user named {name!r}", field="user")
    return user


def update_user(
    tracker: Tracker, actor: str, name: str, role: str | None = None, active: bool | None = None
) -> None:
    """Admin: change a user's role or (de)activate them; deactivating ends their sessions.
    The last active admin can be neither demoted nor deactivated."""
    if role is not None:
        check_role_name(role)
    with tracker.transaction() as session:
        user = _managed(session, actor, name)
        loses_admin = (
            user.role == "admin"
            and user.active
            and ((role is not None and role != "admin") or active is False)
        )
        if loses_admin and _active_admins(session) <= 1:
            raise Forbidden(
                f"user: {name!r} is the last active admin; make another admin first",
                field="user",
            )
        if active is False and user.name == actor:
            raise Forbidden("user: you cannot deactivate yourself", field="user")
        if role is not None:
            user.role = role
        if active is not None:
            user.active = active
            if not active:
                user.session_token = None


def reset_password(tracker: Tracker, actor: str, name: str) -> tuple[str, int]:
    """Admin: give a user a new generated password (returned once); ends their sessions and
    revokes their API tokens. Returns the password and how many tokens were revoked."""
    password = secrets.token_urlsafe(12)
    with tracker.transaction() as session:
        revoked = _new_password(session, _managed(session, actor, name), password)
    return password, revoked


def _active_admins(session: Session) -> int:
    query = select(func.count()).select_from(User)
    query = query.where(User.role == "admin", User.active.is_(True), User.name != SYSTEM_ACTOR)
    return session.scalar(query) or 0
