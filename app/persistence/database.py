"""Engine and session factory. SQLite gets WAL, a busy timeout, foreign keys, IMMEDIATE writes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, UniqueConstraint, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Execution options: this connection's transaction only reads (see snapshot_options), or it
# runs each statement on its own, without BEGIN (see single_read_options).
SNAPSHOT = "tracker_snapshot"
SINGLE_READ = "tracker_single_read"


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling is turned off so that every transaction begins
    # IMMEDIATE: a writer waits for the lock (busy_timeout) instead of failing later with
    # "database is locked" when it upgrades a read lock.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    # A snapshot (a long read, such as a backup) begins DEFERRED: in WAL mode it then sees the
    # database as of its first read without taking the write lock, so writers carry on.
    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(SINGLE_READ, False):
            return  # pysqlite then runs each statement in a transaction of its own
        deferred = options.get(SNAPSHOT, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created when missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if (
        parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _configure_sqlite(engine)
    return engine


def snapshot_options(engine: Engine) -> dict[str, Any]:
    """Execution options for a read-only transaction that sees one state of the database
    throughout (PostgreSQL's default READ COMMITTED would see each statement's own)."""
    if engine.dialect.name == "sqlite":
        return {SNAPSHOT: True}
    return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}


def single_read_options(engine: Engine) -> dict[str, Any]:
    """Execution options for a read of one statement, which by itself sees one state of the
    database: no BEGIN and COMMIT around it."""
    if engine.dialect.name == "sqlite":
        return {SINGLE_READ: True}
    return {"isolation_level": "AUTOCOMMIT"}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def serialize_on(session: Session, key: str) -> None:
    """Make transactions that share `key` run one after another until they end: an advisory
    transaction lock on PostgreSQL; on SQLite every writing transaction begins IMMEDIATE and so
    already runs alone."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"),
        {"key": int.from_bytes(digest[:8], "big", signed=True)},
    )


# Why a database refuses a write although it reads: PostgreSQL's SQLSTATEs (read-only
# transaction or standby, no privilege, disk full or out of resources) and SQLite's codes.
_NO_WRITE_SQLSTATES = ("25006", "42501", "53")
_NO_WRITE_SQLITE = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_PERM")


def unreachable(exc: DBAPIError) -> bool:
    """Whether `exc` says the database server cannot be reached now (down, restarting, the
    connection cut): PostgreSQL's SQLSTATE classes 08 and 57P, or no SQLSTATE at all."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate:
        return sqlstate.startswith(("08", "57P"))
    return isinstance(exc, OperationalError) and hasattr(exc.orig, "sqlstate")


def refuses_writes(exc: DBAPIError) -> bool:
    """Whether `exc` says the database takes no writes now (while reads may go on)."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    sqlite_name = getattr(exc.orig, "sqlite_errorname", None) or ""
    return sqlstate.startswith(_NO_WRITE_SQLSTATES) or sqlite_name.startswith(_NO_WRITE_SQLITE)


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


def violated_constraint(exc: IntegrityError, metadata: MetaData) -> str | None:
    """The name of the unique constraint `exc` broke, if it was one: PostgreSQL names it;
    SQLite names the columns ("UNIQUE constraint failed: events.case_id, events.seq"), which
    are looked up in `metadata`."""
    named = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if named:
        return str(named)
    found = _SQLITE_UNIQUE.search(str(exc.orig))
    if found is None:
        return None
    columns = [c.strip().split(".") for c in found.group(1).split(",")]
    table = metadata.tables.get(columns[0][0])
    wanted = {column for _, column in columns}
    for constraint in table.constraints if table is not None else ():
        if isinstance(constraint, UniqueConstraint) and set(constraint.columns.keys()) == wanted:
            return str(constraint.name)
    return None
