"""Case histories in and out: import a file of cases (each through the same engine, guards,
clock and evidence checks as a step recorded by hand), and export cases in the same formats.

Each imported case is one transaction: all its steps, or nothing of it. A case already present
with the same steps is skipped, so importing a file twice doubles nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.case import CaseState, Step
from app.domain.clock import DateSpan, parse_span
from app.domain.definitions import Workflow
from app.domain.errors import DomainError, InvalidInput
from app.domain.history import OPEN, steps_from_events
from app.persistence.models import Case, Event, User
from app.services.cases import (
    WRITERS,
    NewStep,
    Opening,
    Writing,
    open_in,
    opening_for,
    record_step,
)
from app.services.context import Tracker
from app.services.documents import stored_documents
from app.services.recording import case_workflow, event_records, to_record
from app.services.transfer_files import FORMATS, CaseReader, CaseSpec, Refused, write_cases
from app.services.users import active_user, require_role

__all__ = ["FORMATS", "ImportReport", "export_cases", "import_cases"]

Signature = tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...]


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    cases: list[str] = field(default_factory=list)
    steps: int = 0
    skipped: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "cases": len(self.cases),
            "steps": self.steps,
            "skipped": len(self.skipped),
            "refused": len(self.refused),
            "imported": self.cases,
            "skipped_cases": self.skipped,
            "refusals": [
                {"line": r.line, "field": r.field, "message": r.message} for r in self.refused
            ],
        }


def import_cases(
    tracker: Tracker,
    stream: IO[bytes],
    fmt: str,
    actor: str,
    dry_run: bool = False,
    on_progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Import every case of the file, each all or nothing (a savepoint of its own), committed
    IMPORT_BATCH cases at a time; `actor` records the import (and every step that names no
    actor of its own). A dry run checks each case in a savepoint of one transaction that keeps
    nothing, so it reports what a real run would do. Should the import stop (a lost race, the
    database gone), the cases of the batches committed before stay, and a second run of the
    same file skips them."""
    with tracker.transaction() as session:  # a wrong importer refuses the whole file at once
        require_role(active_user(session, actor), WRITERS, "importing cases")
    report, reader, done = ImportReport(dry_run), CaseReader(stream, fmt), 0
    seen: dict[bytes, str] = {}  # digests of the cases imported so far: memory stays small
    with _Batches(tracker, dry_run) as batches:
        for spec in reader:
            if isinstance(spec, Refused):
                report.refused.append(spec)
            else:
                with suppress(_Undo), batches.case() as session:
                    _import_one(tracker, session, spec, actor, report, seen)
            if on_progress is not None:
                on_progress(reader.consumed - done)
                done = reader.consumed
    return report


IMPORT_BATCH = 200  # cases a transaction: one commit (one fsync on SQLite) for each 200


class _Undo(Exception):
    """Raised out of a refused case's savepoint, so that nothing of it stays."""


class _Batches:
    """The import's transactions: each case in a savepoint, IMPORT_BATCH of them committed
    together; a dry run's all in one transaction that keeps nothing."""

    def __init__(self, tracker: Tracker, dry_run: bool) -> None:
        self.tracker, self.dry_run = tracker, dry_run
        self.stack = ExitStack()
        self.session: Session | None = None
        self.cases = 0

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.__exit__(*exc)  # type: ignore[arg-type]

    @contextmanager
    def case(self) -> Iterator[Session]:
        if self.session is None:
            self.session = self.stack.enter_context(
                self.tracker.transaction(commit=not self.dry_run)
            )
        with self.session.begin_nested():
            yield self.session
        self.cases += 1
        if not self.dry_run and self.cases % IMPORT_BATCH == 0:
            self.stack.close()  # commits the batch; the next case begins the next one
            self.session = None


def _import_one(
    tracker: Tracker,
    session: Session,
    spec: CaseSpec,
    actor: str,
    report: ImportReport,
    seen: dict[bytes, str],
) -> None:
    """Write one case, or note why it is skipped or refused (raising, so nothing of it stays)."""
    try:
        opening = _opening(tracker, spec)
        signature = _signature(opening.flow, spec)
        identity = (opening.reference, opening.country, opening.flow.name, signature)
        digest = hashlib.sha256(repr(identity).encode())
        same = seen.get(digest.digest()) or _present(session, opening, signature)
        if same is not None:
            report.skipped.append(same)
            return
        writing = _write(tracker, session, spec, opening, active_user(session, actor))
    except Refused as refused:
        report.refused.append(refused)
        raise _Undo from None
    except DomainError as exc:  # the case itself: country, treaty, workflow, reference
        report.refused.append(Refused(spec.line, exc.field or "case", exc.message))
        raise _Undo from None
    seen[digest.digest()] = writing.row.reference
    report.cases.append(writing.row.reference)
    report.steps += len(spec.steps)


def _opening(tracker: Tracker, spec: CaseSpec) -> Opening:
    opening = opening_for(tracker, spec.country, spec.treaty, spec.workflow)
    if spec.kind is not None and spec.kind != opening.flow.kind:
        raise InvalidInput(
            f"kind: {spec.kind!r} does not fit workflow {opening.flow.name}, which follows a "
            f"{opening.flow.kind}",
            field="kind",
        )
    return replace(
        opening,
        reference=spec.reference,
        opened_on=spec.opened_on,
        note=spec.note,
        in_force_since=spec.in_force_since,
    )


def _write(
    tracker: Tracker, session: Session, spec: CaseSpec, opening: Opening, importer: User
) -> Writing:
    """Open the case and record its steps in order, each checked as `cases advance` checks it."""
    first = _span(spec, 0).earliest if spec.steps else spec.began_on
    row = open_in(tracker, session, importer, replace(opening, began_on=first))
    writing = Writing(row, opening.flow, CaseState(opening.flow.initial))
    users = {importer.name: importer}
    for i, step in enumerate(spec.steps):
        try:
            name = step.actor or importer.name
            users[name] = users.get(name) or active_user(session, name)
            documents = stored_documents(tracker, step.documents)
            new = NewStep(step.trigger, _span(spec, i), step.comment, step.evidence, documents)
            record_step(tracker, session, writing, users[name], new)
        except DomainError as exc:
            where = f"{step.at[:-1]} ({step.trigger}): " if step.at else ""
            raise Refused(step.line, step.at + (exc.field or "step"), where + exc.message) from None
    return writing


def _span(spec: CaseSpec, i: int) -> DateSpan:
    step = spec.steps[i]
    try:
        return parse_span(step.occurred_on)
    except DomainError as exc:
        where = f"{step.at[:-1]}: " if step.at else ""
        raise Refused(step.line, step.at + "occurred_on", where + exc.message) from None


def _signature(flow: Workflow, spec: CaseSpec) -> Signature:
    """The note and the steps as they would be stored: what tells a case already present."""
    try:
        steps = [
            _step_key(s.trigger, str(parse_span(s.occurred_on)), s.comment, evidence)
            for s in spec.steps
            for evidence in (flow.transition(s.trigger).parse_evidence(s.evidence),)
        ]
        return (_note_key(spec.note), *steps)
    except DomainError:
        return ((spec.reference or "", str(spec.line), "unparsed", ()),)  # matches nothing


def _note_key(note: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    return "note", note.strip(), "", ()


def _step_key(
    trigger: str, span: str, comment: str, evidence: dict[str, Any]
) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    return trigger, span, comment.strip(), tuple(sorted((k, str(v)) for k, v in evidence.items()))


def _present(session: Session, opening: Opening, signature: Signature) -> str | None:
    """The reference of a stored case of the same country, treaty and workflow (or the same
    reference) with exactly these steps, if there is one."""
    query = select(Case).where(Case.country == opening.country, Case.workflow == opening.flow.name)
    if opening.reference is not None:
        query = select(Case).where(Case.reference == opening.reference.strip().upper())
    for row in session.scalars(query):
        steps = steps_from_events(event_records(session, row))
        stored = [_step_key(s.trigger, str(s.span), s.comment, dict(s.evidence)) for s in steps]
        if (_note_key(row.note), *stored) == signature:
            return row.reference
    return None


def export_cases(tracker: Tracker, fmt: str, out: IO[str]) -> int:
    """Write every case but the practice ones, with its steps as they now stand (corrections
    applied, undone steps left out), in the import's format; returns the number written."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format: {fmt!r} is not one of {', '.join(FORMATS)}", field="format")
    with tracker.transaction() as session:
        flows = {
            (name, version): tracker.case_workflow(session, name, version)
            for name, version in session.execute(
                select(Case.workflow, Case.workflow_version).where(~Case.practice).distinct()
            )
        }
        keys = [f.key for w in flows.values() for t in w.transitions for f in t.evidence]
        return write_cases(_exported(tracker, session), fmt, out, list(dict.fromkeys(keys)))


def _exported(tracker: Tracker, session: Session, batch: int = 200) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        rows = list(
            session.scalars(
                select(Case).where(~Case.practice, Case.id > last).order_by(Case.id).limit(batch)
            )
        )
        if not rows:
            return
        events: dict[int, list[Event]] = {row.id: [] for row in rows}
        for e in session.scalars(
            select(Event).where(Event.case_id.in_(events)).order_by(Event.case_id, Event.seq)
        ):
            events[e.case_id].append(e)
        for row in rows:
            records = [to_record(row.reference, e) for e in events[row.id]]
            documents = {r.seq: [d.to_json() for d in r.documents] for r in records if r.documents}
            flow = case_workflow(tracker, session, row)
            case = _case_json(row, flow, steps_from_events(records), documents)
            opening = next((r for r in records if r.trigger == OPEN), None)
            given = opening.evidence.get("began_on") if opening else None
            yield {**case, "began_on": given} if given and not case["steps"] else case
        last = rows[-1].id


def _case_json(
    row: Case, flow: Workflow, steps: list[Step], documents: dict[int, list[dict[str, Any]]]
) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "country": row.country,
        "treaty": row.treaty,
        "workflow": row.workflow,
        "kind": flow.kind,
        "opened_on": row.opened_on.isoformat(),
        "in_force_since": row.in_force_since.isoformat() if row.in_force_since else None,
        "note": row.note,
        "steps": [
            {
                "trigger": s.trigger,
                "occurred_on": str(s.span),
                "actor": s.actor,
                "comment": s.comment,
                "evidence": dict(s.evidence),
                **({"documents": documents[s.seq]} if s.seq in documents else {}),
            }
            for s in steps
        ],
    }
