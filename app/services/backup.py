"""Backup and restore: the whole database as one JSON-lines file, streamed both ways, framed by
a header and a SHA-256 trailer; a restore checks the file and every case's hash chain first."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.domain.audit import utc_iso
from app.domain.errors import DomainError
from app.persistence.models import SYSTEM_ACTOR, Base
from app.persistence.reproject import reproject_cases
from app.services.backup_file import (
    FORMAT,
    FORMAT_VERSION,
    TABLES,
    BackupRefused,
    Chains,
    Frame,
    Parser,
    content_lines,
    encode_row,
    json_line,
)
from app.services.context import Tracker
from app.services.recording import now

__all__ = ["BackupRefused", "BackupSummary", "restore_backup", "verify_backup", "write_backup"]

BATCH = 1000
# Events by case and sequence, so that a restore checks each case's chain as it streams past.
ORDER_BY = {"events": ("case_id", "seq"), "event_documents": ("event_id", "position")}


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds: rows per table, when it was taken, the file's SHA-256."""

    counts: Mapping[str, int]
    created_at: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        """The summary as the CLI's --json prints it."""
        return {"counts": dict(self.counts), "created_at": self.created_at, "sha256": self.sha256}

    def __str__(self) -> str:
        c = self.counts
        return (
            f"{c['cases']} cases, {c['events']} events, {c['users']} users, "
            f"{c['api_tokens']} API tokens, {c['workflow_definitions']} workflow definitions"
        )


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _app_version() -> str:
    try:
        return version("withdrawal-tracker")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without install
        return "unknown"


def write_backup(tracker: Tracker, out: IO[bytes]) -> BackupSummary:
    """Stream every kept table to `out` from one read-only snapshot, framed by a header line
    (format, versions, time, row counts) and a trailer line with the SHA-256 of the rest."""
    digest = hashlib.sha256()

    def put(record: Mapping[str, Any]) -> None:
        line = json_line(record)
        digest.update(line)
        out.write(line)

    with tracker.snapshot() as session:
        counts = {
            name: session.scalar(select(func.count()).select_from(_table(name))) or 0
            for name in TABLES
        }
        created_at = utc_iso(now())
        put(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": _app_version(),
                "created_at": created_at,
                "counts": counts,
            }
        )
        for name in TABLES:
            for row in _stream(session, name):
                put({"table": name, "row": encode_row(_table(name), row)})
    out.write(json_line({"sha256": digest.hexdigest()}))
    return BackupSummary(counts, created_at, digest.hexdigest())


def _stream(session: Session, name: str) -> Iterator[Mapping[Any, Any]]:
    table = _table(name)
    order = [table.c[column] for column in ORDER_BY.get(name, ("id",))]
    query = select(table).order_by(*order).execution_options(yield_per=BATCH)
    for row in session.execute(query):
        yield row._mapping


def _refused(exc: DomainError) -> BackupRefused:
    return BackupRefused(f"restore refused, nothing written: {exc.message}", field=exc.field)


def verify_backup(path: Path) -> BackupSummary:
    """Check a backup file without writing: its trailer digest (a cut or edited file), its
    header and counts, then every case's hash chain including its recorded head."""
    frame, problem = Frame(), None
    with path.open("rb") as file:
        lines = content_lines(file, frame)
        try:
            parser = Parser(lines)
            chains = Chains()
            for name, row in parser.rows():
                chains.add(name, row)
            chains.finish()
        except DomainError as exc:
            problem = exc
            for _ in lines:  # hash to the end: a damaged file is the better explanation
                pass
    try:
        digest = frame.check()
        if problem is not None:
            raise problem
    except DomainError as exc:
        raise _refused(exc) from None
    return BackupSummary(parser.header["counts"], parser.header["created_at"], digest)


def restore_backup(tracker: Tracker, path: Path) -> BackupSummary:
    """Restore a backup into an empty migrated database: the file is verified first, then every
    row is written with its id in one transaction, which rolls back on any failure."""
    with tracker.transaction() as session:
        _refuse_unless_empty(session)
    summary = verify_backup(path)
    with tracker.transaction() as session:
        _refuse_unless_empty(session)
        # The migrations create a `system` user; the backup's own (same name) takes its place.
        session.execute(delete(_table("users")).where(_table("users").c.name == SYSTEM_ACTOR))
        frame = Frame()
        with path.open("rb") as file:
            _write(session, Parser(content_lines(file, frame)))
        try:
            if frame.check() != summary.sha256:
                raise DomainError("file: changed while it was being restored")
        except DomainError as exc:
            raise _refused(exc) from None
        # A backup of an older version holds its projections as that version made them.
        reproject_cases(session.connection())
        _reset_sequences(session)
    return summary


def _refuse_unless_empty(session: Session) -> None:
    users = _table("users")
    found = {
        "cases": session.scalar(select(func.count()).select_from(_table("cases"))),
        "events": session.scalar(select(func.count()).select_from(_table("events"))),
        "users besides system": session.scalar(
            select(func.count()).where(users.c.name != SYSTEM_ACTOR)
        ),
        "workflow definitions": session.scalar(
            select(func.count()).select_from(_table("workflow_definitions"))
        ),
    }
    present = ", ".join(f"{n} {what}" for what, n in found.items() if n)
    if present:
        raise BackupRefused(
            f"database: not empty ({present}); restore only into a new database "
            "migrated with `flask --app app db upgrade`",
            field="database",
        )


def _write(session: Session, parser: Parser) -> None:
    batch: list[dict[str, Any]] = []
    current = ""
    try:
        for name, row in parser.rows():
            if batch and (name != current or len(batch) >= BATCH):
                session.execute(insert(_table(current)), batch)
                batch = []
            current = name
            batch.append(row)
        if batch:
            session.execute(insert(_table(current)), batch)
    except DomainError as exc:
        raise _refused(exc) from None
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise BackupRefused(
            f"restore refused, nothing written: database: refused a row ({reason})",
            field="database",
        ) from None


def _reset_sequences(session: Session) -> None:
    # Rows came with their ids; PostgreSQL's sequences must move past them for new rows.
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in TABLES:
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}")
        )
