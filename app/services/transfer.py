"""Case histories in and out: import a file of cases (each through the same engine, guards,
clock and evidence checks as a step recorded by hand), and export cases in the same formats.

Each imported case is written all or nothing, IMPORT_BATCH cases a transaction. A case already
present with the same steps is skipped, so importing a file twice doubles nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import groupby
from operator import attrgetter
from typing import IO, Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, select
from sqlalchemy.orm import Session

from app.domain.audit import EventRecord
from app.domain.case import CaseState, Step
from app.domain.clock import DateSpan, parse_span
from app.domain.definitions import Workflow
from app.domain.errors import DomainError, InvalidInput
from app.domain.history import given_began_on, steps_from_events
from app.persistence.models import Case, User
from app.services.cases import (
    WRITERS,
    NewStep,
    Opening,
    Writing,
    check_step,
    new_case,
    opening_for,
    reference_held,
)
from app.services.context import Tracker
from app.services.documents import stored_documents
from app.services.event_log import streamed_records
from app.services.recording import (
    Draft,
    event_records,
    insert_draft,
    insert_events,
)
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
    """Import every case of the file, each all or nothing, committed IMPORT_BATCH cases at a
    time; `actor` records the import (and every step that names no actor of its own). A dry
    run checks each case in one transaction that keeps nothing, so it reports what a real run
    would do. Should the import stop (a lost race, the database gone), the cases of the
    batches committed before stay, and a second run of the same file skips them."""
    with tracker.transaction() as session:  # a wrong importer refuses the whole file at once
        require_role(active_user(session, actor), WRITERS, "importing cases")
    report, reader, done = ImportReport(dry_run), CaseReader(stream, fmt), 0
    with _Batches(tracker, dry_run) as batches:
        for spec in reader:
            if isinstance(spec, Refused):
                report.refused.append(spec)
            else:
                _import_one(batches.batch(), spec, actor, report)
            if on_progress is not None:
                on_progress(reader.consumed - done)
                done = reader.consumed
    return report


IMPORT_BATCH = 200  # cases a transaction: one commit (one fsync on SQLite) for each 200


class _Batch:
    """One transaction of the import. Each case is checked whole before anything of it is
    written (a refused case writes nothing, so it needs no savepoint of its own); its row is
    then written at once (the next case's reference sees it), and the batch's events together
    before the commit."""

    def __init__(self, tracker: Tracker, session: Session) -> None:
        self.tracker, self.session = tracker, session
        self.cases = 0
        self.events: list[tuple[int, EventRecord, int]] = []
        self._users: dict[str, User] = {}
        self._kept: set[tuple[str, str]] = set()

    def user(self, name: str) -> User:
        if name not in self._users:
            self._users[name] = active_user(self.session, name)
        return self._users[name]

    def keep_definition(self, flow: Workflow) -> None:
        if (flow.name, flow.version) not in self._kept:
            self.tracker.keep_definition(self.session, flow)
            self._kept.add((flow.name, flow.version))

    def write(self, draft: Draft) -> None:
        self.events.extend(insert_draft(self.session, draft))

    def write_events(self) -> None:
        if self.events:
            insert_events(self.session, self.events)
            self.events = []


class _Batches:
    """The import's transactions, one _Batch each: IMPORT_BATCH cases committed together; a
    dry run's all in one transaction that keeps nothing."""

    def __init__(self, tracker: Tracker, dry_run: bool) -> None:
        self.tracker, self.dry_run = tracker, dry_run
        self.stack = ExitStack()
        self.current: _Batch | None = None

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None and self.current is not None:
            self.current.write_events()
        self.stack.__exit__(*exc)  # type: ignore[arg-type]

    def batch(self) -> _Batch:
        """The batch the next case goes in: a new one after every IMPORT_BATCH cases."""
        if self.current is not None and self.current.cases == IMPORT_BATCH and not self.dry_run:
            self.current.write_events()
            self.stack.close()  # commits the batch
            self.current = None
        if self.current is None:
            session = self.stack.enter_context(self.tracker.transaction(commit=not self.dry_run))
            self.current = _Batch(self.tracker, session)
        self.current.cases += 1
        return self.current


def _import_one(batch: _Batch, spec: CaseSpec, actor: str, report: ImportReport) -> None:
    """Write one case, or note why it is skipped or refused (nothing of it written)."""
    try:
        opening = _opening(batch.tracker, spec)
        same = _present(batch, opening, spec)
        if same is not None:
            report.skipped.append(same)
            return
        draft = _draft(batch, spec, opening, batch.user(actor))
    except Refused as refused:
        report.refused.append(refused)
        return
    except DomainError as exc:  # the case itself: country, treaty, workflow, reference
        report.refused.append(Refused(spec.line, exc.field or "case", exc.message))
        return
    batch.write(draft)
    report.cases.append(draft.row.reference)
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


def _draft(batch: _Batch, spec: CaseSpec, opening: Opening, importer: User) -> Draft:
    """The case opened and its steps taken in order, each checked as `cases advance` checks
    it, in memory: a refused step raises before anything of the case is written."""
    began = spec.began_on or (_span(spec, 0).earliest if spec.steps else None)
    row, opened = new_case(batch.tracker, batch.session, importer, replace(opening, began_on=began))
    batch.keep_definition(opening.flow)
    initial = CaseState(opening.flow.initial)
    draft, case = Draft(row, opening.flow, initial), Writing(row, opening.flow, initial)
    draft.record(opened, case.state, importer)
    for i, step in enumerate(spec.steps):
        try:
            user = batch.user(step.actor or importer.name)
            documents = stored_documents(batch.tracker, step.documents)
            new = NewStep(step.trigger, _span(spec, i), step.comment, step.evidence, documents)
            checked, case.state = check_step(batch.tracker, case, user, new)
            draft.record(checked, case.state, user, documents)
        except DomainError as exc:
            where = f"{step.at[:-1]} ({step.trigger}): " if step.at else ""
            raise Refused(step.line, step.at + (exc.field or "step"), where + exc.message) from None
    return draft


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


def _present(batch: _Batch, opening: Opening, spec: CaseSpec) -> str | None:
    """The reference of a stored case (of this batch too) of the same country, treaty and
    workflow (or the same reference) with exactly the spec's steps, if there is one."""
    same: ColumnElement[bool]
    if opening.reference is not None:
        reference = opening.reference.strip().upper()
        if not reference_held(batch.session, reference):
            return None  # the usual answer, from the index alone
        same = Case.reference == reference
    else:
        kind = {"country": opening.country, "workflow": opening.flow.name}
        if batch.session.connection().scalar(_OF_KIND, kind) is None:
            return None
        same = and_(Case.country == opening.country, Case.workflow == opening.flow.name)
    batch.write_events()  # a case of this batch may be among them: read it whole
    signature = _signature(opening.flow, spec)
    rows = list(batch.session.scalars(select(Case).where(same)))
    for row in rows:
        steps = steps_from_events(event_records(batch.session, row))
        stored = [_step_key(s.trigger, str(s.span), s.comment, dict(s.evidence)) for s in steps]
        if (_note_key(row.note), *stored) == signature:
            return row.reference
    return None


# Built once: asked of every imported case without a reference of its own.
_OF_KIND = (
    select(Case.id)
    .where(Case.country == bindparam("country"), Case.workflow == bindparam("workflow"))
    .limit(1)
)


def export_cases(tracker: Tracker, fmt: str, out: IO[str]) -> int:
    """Write every case but the practice ones, by reference, with its steps as they now stand
    (corrections applied, undone steps left out), in the import's format; returns the number
    written. It reads one snapshot, so the server keeps recording while it runs."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format: {fmt!r} is not one of {', '.join(FORMATS)}", field="format")
    with tracker.snapshot() as session:
        flows = {
            (name, version): tracker.case_workflow(session, name, version)
            for name, version in session.execute(
                select(Case.workflow, Case.workflow_version).where(~Case.practice).distinct()
            )
        }
        keys = [f.key for w in flows.values() for t in w.transitions for f in t.evidence]
        return write_cases(_exported(session, flows), fmt, out, list(dict.fromkeys(keys)))


def _real(query: Select[Any]) -> Select[Any]:
    """The query narrowed to real cases (not the practice ones)."""
    return query.where(~Case.practice)


_EXPORTED_CASES = (
    select(
        Case.reference, Case.country, Case.treaty, Case.workflow, Case.workflow_version,
        Case.opened_on, Case.in_force_since, Case.note,
    )
    .where(~Case.practice)
    .order_by(Case.reference)
    .execution_options(yield_per=500)
)  # fmt: skip


def _exported(session: Session, flows: dict[tuple[str, str], Workflow]) -> Iterator[dict[str, Any]]:
    """The cases as plain rows beside their events streamed in the same order (two statements
    for any number of cases: loading ORM objects took most of the export's time)."""
    cases = session.connection().execute(_EXPORTED_CASES)
    histories = groupby(streamed_records(session, _real), key=attrgetter("case_reference"))
    for row, (reference, history) in zip(cases, histories, strict=True):
        assert reference == row.reference  # every case has its opening event
        records = list(history)
        documents = {r.seq: [d.to_json() for d in r.documents] for r in records if r.documents}
        flow = flows[row.workflow, row.workflow_version]
        case = _case_json(row, flow, steps_from_events(records), documents)
        given = given_began_on(records)
        yield {**case, "began_on": given.isoformat()} if given else case


_ExportedCase = Row[str, str, str, str, str, date, date | None, str]  # as _EXPORTED_CASES reads it


def _case_json(
    row: _ExportedCase,
    flow: Workflow,
    steps: list[Step],
    documents: dict[int, list[dict[str, Any]]],
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
