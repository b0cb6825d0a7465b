"""What every use case needs: the session factory, the workflow registry, engines and today."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property

from sqlalchemy import Connection, select
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from app.domain.definitions import Workflow
from app.domain.engine import Engine, Engines
from app.domain.errors import Conflict, DefinitionError, NotFound, Unavailable
from app.domain.loader import Registry, workflow_from_definition
from app.persistence.database import (
    refuses_writes,
    single_read_options,
    snapshot_options,
    unreachable,
    violated_constraint,
)
from app.persistence.models import Base, WorkflowDefinition
from app.services.document_store import DocumentStore


def _stored_definition(session: Session, name: str, version: str) -> WorkflowDefinition | None:
    return session.scalar(
        select(WorkflowDefinition).where(
            WorkflowDefinition.name == name, WorkflowDefinition.version == version
        )
    )


NO_WRITES = (
    "database: it takes no writes now (read-only, full, or not allowed for the tracker's role); "
    "nothing was recorded; reading still works; try again later"
)


UNREACHABLE = (
    "database: it cannot be reached now (restarting or down); try again in a minute, and "
    "reload a case before sending a step again (one cut off in its commit may be recorded)"
)


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass
class Tracker:
    """The service layer's dependencies; `today` is injected so tests and sweeps can set it.

    The workflow registry is read on first use, so that a broken file under workflows/ is
    reported by the command that needs it (or `workflows check`) instead of at import time.
    """

    sessions: sessionmaker[Session]
    load_registry: Callable[[], Registry]
    today: Callable[[], date] = utc_today
    engines: Engines = field(default_factory=Engines)
    documents: DocumentStore | None = None  # where attached files lie (none: not configured)

    _case_workflows: dict[tuple[str, str], Workflow] = field(default_factory=dict, repr=False)

    @cached_property
    def registry(self) -> Registry:
        return self.load_registry()

    def case_workflow(self, session: Session, name: str, version: str) -> Workflow:
        """The workflow a case started with, from the copy kept in the database."""
        key = (name, version)
        if key not in self._case_workflows:
            row = _stored_definition(session, name, version)
            if row is None:
                raise NotFound(f"workflow: no stored definition of {name} version {version}")
            self._case_workflows[key] = workflow_from_definition(row.definition)
        return self._case_workflows[key]

    def keep_definition(self, session: Session, workflow: Workflow) -> None:
        """Store the definition a new case starts with; refuse files changed under the same
        version, which would otherwise change what existing cases mean."""
        row = _stored_definition(session, workflow.name, workflow.version)
        if row is None:
            session.add(
                WorkflowDefinition(
                    name=workflow.name,
                    version=workflow.version,
                    digest=workflow.digest(),
                    definition=dict(workflow.definition),
                )
            )
        elif row.digest != workflow.digest():
            changed = [
                part["file"]
                for key, part in workflow.definition.items()
                if part and part != row.definition.get(key)
            ]
            raise DefinitionError(
                f"{', '.join(changed)}: changed since cases started with {workflow.name} "
                f"version {workflow.version}; raise `version:` in the file you changed"
            )

    def engine(self, workflow: Workflow) -> Engine:
        return self.engines.for_workflow(workflow)

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Session]:
        """One unit of work: commit on success (unless `commit` is False: a dry run checks
        everything and keeps nothing), roll back on any error.

        A lost race on a case (its version moved, or its next event number was taken) becomes
        Conflict, so the caller can reload and try again; a database that takes no writes
        (read-only, full) or cannot be reached becomes Unavailable.
        """
        with self.sessions() as session:
            try:
                with session.begin() as work:
                    yield session
                    if not commit:
                        work.rollback()
            except StaleDataError:
                raise Conflict(
                    "case: someone else changed this case meanwhile; reload and try again",
                    field="expected_version",
                ) from None
            except IntegrityError as exc:
                lost = _lost_race(exc)
                if lost is None:
                    raise
                raise Conflict(f"{lost}; reload and try again", field="expected_version") from None
            except DBAPIError as exc:
                _raise_unavailable(exc, NO_WRITES if refuses_writes(exc) else None)
                raise

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only transaction that sees one consistent state of the database however long
        it reads, without SQLite's write lock: the server keeps recording meanwhile."""
        with self.sessions() as session:
            try:
                with session.begin():
                    engine = session.get_bind()
                    assert isinstance(engine, SqlEngine)
                    session.connection(execution_options=snapshot_options(engine))
                    yield session
            except DBAPIError as exc:
                _raise_unavailable(exc)
                raise

    @contextmanager
    def single_read(self) -> Iterator[Connection]:
        """A connection for a read of one statement, which by itself sees one state of the
        database: no session, and no BEGIN or COMMIT around it (a bearer token's look-up, on
        every API call)."""
        engine = self.sessions.kw["bind"]
        try:
            with engine.connect() as connection:
                yield connection.execution_options(**single_read_options(engine))
        except DBAPIError as exc:
            _raise_unavailable(exc)
            raise


def _raise_unavailable(exc: DBAPIError, why: str | None = None) -> None:
    """Unavailable (a 503, not a 500) when the database refuses writes (`why`) or cannot be
    reached now."""
    if why is None and unreachable(exc):
        why = UNREACHABLE
    if why is not None:
        raise Unavailable(why, field="database") from exc


# The unique constraints that a concurrent writer can win, by name, and what the loser is told.
_RACES = {
    "uq_events_case_id_seq": "case: someone else recorded a step on this case meanwhile",
    "uq_cases_reference": "case: another case took this reference meanwhile",
    "uq_users_name": "name: a user with this name was created meanwhile",
    # the first cases of a new workflow version store its definition: two at once race
    "uq_workflow_definitions_name_version": (
        "workflow: another writer stored this workflow's definition meanwhile"
    ),
}


def _lost_race(exc: IntegrityError) -> str | None:
    return _RACES.get(violated_constraint(exc, Base.metadata) or "")
