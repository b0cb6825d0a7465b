"""SQLAlchemy 2.x typed models. The schema itself lives in migrations/; a test keeps them equal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SYSTEM_ACTOR = "system"
INT_MAX = 2**31 - 1  # the largest INTEGER the schema stores (PostgreSQL); check inputs first


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('viewer', 'clerk', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session cookie; a new token ends every session the user has (sign-out,
    # a password change, deactivation). NULL: no session is valid.
    session_token: Mapped[str | None] = mapped_column(String(64))


# What a calendar's poll reads of each case in its window (services/calendar.py). On SQLite the
# window's indexes carry these columns too (migration 0012), so a poll reads no case row; on
# PostgreSQL they do not: an index holding `version` would turn each advance's update of the
# row from a HOT update into one that writes every index of the table.
POLLED = ("id", "version", "practice")
POLLED_ON_SQLITE = ("ix_cases_due_by_date", "ix_cases_deposited_on", "ix_cases_effective_on")


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    treaty: Mapped[str] = mapped_column(String(32), index=True)
    workflow: Mapped[str] = mapped_column(String(100))
    workflow_version: Mapped[str] = mapped_column(String(20))
    practice: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    # The day the opener gave for the procedure's start (the opening event's `began_on`): the
    # case's "began" until a step dates it. `audit verify` checks it against the opening.
    given_began_on: Mapped[date | None] = mapped_column(Date)
    # The day the treaty entered into force for the State, where its clause bars early notice
    # (Paris Agreement Art. 28(1)); given when the case is opened, read by the deposit.
    in_force_since: Mapped[date | None] = mapped_column(Date)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The projection of the events (app/domain/projection.py), rewritten in the same
    # transaction as each event: lists, pending steps, calendars and the sweep read it, and a
    # new step is checked against it, without replaying the case; `audit verify` checks it.
    state: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="withdrawal")
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    began_on: Mapped[date | None] = mapped_column(Date)
    deposited_on: Mapped[date | None] = mapped_column(Date)
    period_ends_on: Mapped[date | None] = mapped_column(Date)
    effective_on: Mapped[date | None] = mapped_column(Date)
    effective_basis: Mapped[str | None] = mapped_column(Text)
    next_on: Mapped[date | None] = mapped_column(Date)
    next_what: Mapped[str | None] = mapped_column(Text)
    next_trigger: Mapped[str | None] = mapped_column(String(64))
    clock_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The hash of the case's newest event: `audit verify` compares it with the chain, so a
    # deleted last event shows too.
    last_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set with every event, so that the row (and its version) changes even when a step keeps
    # the stage: the optimistic lock then covers every advance.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    opened_by: Mapped[User] = relationship(lazy="joined")
    events: Mapped[list[Event]] = relationship(
        back_populates="case", order_by="Event.seq", lazy="raise"
    )

    __table_args__ = (
        # the cases due by a date in the pending list's order, counted from the index alone;
        # with the next two, the calendar's window (on SQLite with POLLED: see above)
        Index("ix_cases_due_by_date", "final", "next_on", "reference", "practice"),
        Index("ix_cases_deposited_on", "deposited_on"),
        Index("ix_cases_effective_on", "effective_on"),
        # the pending list's order, read from the index (queries.pending_page: _BY_DATE)
        Index(
            "ix_cases_pending_by_date",
            "final",
            text("(next_on IS NULL)"),
            "next_on",
            "reference",
        ),
        # the few practice cases' ids, by which the log leaves them out (audit.EventFilter)
        Index("ix_cases_practice", "practice"),
    )
    __mapper_args__ = {"version_id_col": version}


COUNTED_BY = ("treaty", "kind", "country", "state", "final", "practice")


class CaseCount(Base):
    """How many cases share a treaty, kind, country, stage, openness and practice flag
    (`COUNTED_BY`): the lists' totals, the dashboard's and the treaty pages' counts, the
    filters' countries, read without a scan of 100,000 case rows. The database keeps them, by
    triggers on `cases` (migration 0012), with every insert of a case and every change of
    those columns, whatever writes it; a group keeps its row when its count falls to 0.
    `audit verify` checks them against the case rows."""

    __tablename__ = "case_counts"

    treaty: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    final: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    practice: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)


class Event(Base):
    """Append-only: the database refuses UPDATE and DELETE (triggers in the migration)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_events_case_id_seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint(
            "occurred_until IS NULL OR occurred_until > occurred_on", name="date_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(64), index=True)
    from_state: Mapped[str] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    occurred_on: Mapped[date] = mapped_column(Date)
    occurred_until: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User] = relationship(lazy="joined")
    documents: Mapped[list[EventDocument]] = relationship(
        order_by="EventDocument.position", lazy="selectin"
    )


class EventDocument(Base):
    """A file attached to an event when it was recorded; append-only like events (triggers
    in the migration). The file itself lies in the document store, named by its sha256."""

    __tablename__ = "event_documents"
    __table_args__ = (
        UniqueConstraint("event_id", "position", name="uq_event_documents_event_id_position"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)


class WorkflowDefinition(Base):
    """The definition a case started with, kept as the files said then; never changed."""

    __tablename__ = "workflow_definitions"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_workflow_definitions_name_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInAttempt(Base):
    """One sign-in attempt; failures counted per account and per address slow attackers down
    across every server process."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)


class ApiToken(Base):
    """A personal API token: only its SHA-256 is stored; it carries its owner's role."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    # "api": the whole API with the owner's role (and the feed); "feed": the calendar feed only.
    scope: Mapped[str] = mapped_column(String(8), default="api")
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class IdempotencyKey(Base):
    """The answer to an API write, kept under the caller's Idempotency-Key in the write's own
    transaction: a retry gets it again, and nothing is recorded twice."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the request (method, address, body): the same key on another request is refused
    fingerprint: Mapped[str] = mapped_column(String(64))
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseGroup(Base):
    """Cases that act together (a joint deposit, a joint announcement): a name, a note, its
    members. Each member keeps its own chain; a step recorded for the group is one event in
    each member's chain."""

    __tablename__ = "case_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User] = relationship(lazy="joined")
    members: Mapped[list[CaseGroupMember]] = relationship(
        back_populates="group", lazy="raise", cascade="all, delete-orphan"
    )
    changes: Mapped[list[CaseGroupChange]] = relationship(
        lazy="raise", order_by="CaseGroupChange.id", cascade="all"
    )


class CaseGroupMember(Base):
    __tablename__ = "case_group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "case_id", name="uq_case_group_members_group_id_case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("case_groups.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)

    group: Mapped[CaseGroup] = relationship(back_populates="members")
    case: Mapped[Case] = relationship(lazy="joined")


class CaseGroupChange(Base):
    """One change of a group's members, append-only: who made it, when, which cases came in
    and which left, and why. The group's making is its first change (every member added)."""

    __tablename__ = "case_group_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("case_groups.id"), index=True)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added: Mapped[list[str]] = mapped_column(JSON, default=list)  # references
    removed: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")

    changed_by: Mapped[User] = relationship(lazy="joined")
