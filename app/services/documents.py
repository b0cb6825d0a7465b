"""Documents attached to events: checking uploads, storing their files, finding one to
download, reading the documents of events read as plain rows, and checking the stored files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.audit import ChainBreak, EventRecord
from app.domain.documents import (
    FIELD,
    LABEL,
    SHA256,
    CheckedFile,
    DocumentRef,
    check_documents,
)
from app.domain.errors import InvalidInput, NotFound
from app.persistence.models import Case, Event, EventDocument
from app.services.context import Tracker
from app.services.document_store import DocumentStore
from app.services.recording import document_ref

Upload = tuple[str, bytes]  # a file as it was sent: its name and its bytes


def store_of(tracker: Tracker) -> DocumentStore:
    """The tracker's document store; a tracker without one takes no documents."""
    if tracker.documents is None:
        raise InvalidInput(f"{LABEL}: this tracker has no document folder configured", FIELD)
    return tracker.documents


def check_uploads(tracker: Tracker, uploads: Sequence[Upload]) -> list[CheckedFile]:
    """Each upload's reference (name cleaned, type from its bytes), or InvalidInput naming the
    file and the limit or the allowed types; nothing is stored."""
    if not uploads:
        return []
    store = store_of(tracker)
    return check_documents(list(uploads), store.max_bytes, store.max_per_step)


def store_files(tracker: Tracker, files: Sequence[CheckedFile]) -> None:
    """Put each file on disk (atomically; once, whatever the number of events naming it)."""
    for file in files:
        store_of(tracker).put(file.ref.sha256, file.content)


def stored_documents(
    tracker: Tracker, wanted: Sequence[tuple[str, str]]
) -> tuple[DocumentRef, ...]:
    """The references of files already in the store (an import's, copied there with the
    export), each checked as an upload is; InvalidInput naming one missing or altered."""
    if not wanted:
        return ()
    store = store_of(tracker)
    uploads = []
    for sha256, name in wanted:
        problem = store.problem(sha256) if SHA256.fullmatch(sha256) else "not a SHA-256"
        if problem is not None:
            raise InvalidInput(
                f"{LABEL}: {name} ({sha256}): {problem}; copy the document files into the "
                "document folder (DOCUMENTS_PATH) before importing",
                FIELD,
            )
        uploads.append((name, store.path_of(sha256).read_bytes()))
    return tuple(c.ref for c in check_uploads(tracker, uploads))


@dataclass(frozen=True)
class Download:
    """A document to serve: its reference and where its file lies."""

    ref: DocumentRef
    path: Path


def find_document(tracker: Tracker, reference: str, sha256: str) -> Download:
    """The document `sha256` as an event of case `reference` attached it; NotFound for a hash
    no event of that case names, or whose file is no longer intact."""
    unknown = NotFound(f"document: case {reference} has no document {sha256}", "document")
    if not SHA256.fullmatch(sha256):
        raise unknown
    with tracker.snapshot() as session:
        row = session.scalar(
            select(EventDocument)
            .join(Event, EventDocument.event_id == Event.id)
            .join(Case, Event.case_id == Case.id)
            .where(Case.reference == reference.strip().upper(), EventDocument.sha256 == sha256)
            .order_by(EventDocument.id)
            .limit(1)
        )
        if row is None:
            raise unknown
        ref = document_ref(row)
    store = store_of(tracker)
    problem = store.problem(sha256)
    if problem is not None:
        raise NotFound(f"document: {ref.name}: {problem}; `audit verify` reports it", "document")
    return Download(ref, store.path_of(sha256))


def with_documents(
    session: Session, records: Iterable[tuple[EventRecord, int]], batch: int = 500
) -> Iterator[EventRecord]:
    """Records read as plain rows (with their event ids), with their documents: one query
    for each batch of events, in the order given."""
    pending = iter(records)
    while chunk := list(islice(pending, batch)):
        attached: dict[int, list[DocumentRef]] = defaultdict(list)
        query = (
            select(EventDocument)
            .where(EventDocument.event_id.in_([event_id for _, event_id in chunk]))
            .order_by(EventDocument.event_id, EventDocument.position)
        )
        for row in session.scalars(query):
            attached[row.event_id].append(document_ref(row))
        for record, event_id in chunk:
            found = attached.get(event_id)
            yield replace(record, documents=tuple(found)) if found else record


def with_documents_in_order(
    records: Iterable[EventRecord], documents: Iterable[Sequence[Any]]
) -> Iterator[EventRecord]:
    """Records with their documents, given the documents' rows (case reference, seq, sha256,
    name, media type, size) in the records' own order: a stream of any length reads its
    documents in one statement beside it. A document whose event is not among the records
    cannot be, when both come from one snapshot through the same filter."""
    pending = iter(documents)
    head = next(pending, None)
    for record in records:
        found: list[DocumentRef] = []
        while head is not None and head[1] == record.seq and head[0] == record.case_reference:
            _, _, sha256, name, media_type, size = head
            found.append(DocumentRef(sha256, name, media_type, size))
            head = next(pending, None)
        yield replace(record, documents=tuple(found)) if found else record


def file_break(store: DocumentStore | None, chain: Iterable[EventRecord]) -> ChainBreak | None:
    """The first document of a case's events whose file is missing or altered, if any."""
    if store is None:
        return None
    for record in chain:
        for doc in record.documents:
            problem = store.problem(doc.sha256)
            if problem is not None:
                return ChainBreak(
                    record.case_reference, record.seq, f"document {doc.name!r}: {problem}"
                )
    return None
