"""Documents on events: stored once by their SHA-256, covered by the event's hash, append-only
in the database, checked by `audit verify`, and carried by a backup."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, Table, delete, text, update
from sqlalchemy.exc import DBAPIError

from app.domain.errors import InvalidInput
from app.persistence.models import EventDocument
from app.services.audit import EventFilter, export_events, verify_audit
from app.services.backup import restore_backup, write_backup
from app.services.cases import advance, open_case
from app.services.context import Tracker
from app.services.document_store import DocumentStore
from app.services.documents import find_document
from app.services.queries import get_case
from app.services.transfer import export_cases, import_cases
from app.services.users import create_user
from tests.integration.conftest import SQLITE_ONLY, total_rows

DOCS = cast(Table, EventDocument.__table__)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nthe instrument of withdrawal\n%%EOF\n"
TEXT = b"Depositary notification C.N.123.2025.TREATIES-XXVI.5\n"
REF = "EE-APMBC-2025"
SUBMIT = ("submit_to_parliament", "2025-01-10")
BEGAN = date(2025, 1, 1)


@pytest.fixture
def store(tracker: Tracker, tmp_path: Path) -> DocumentStore:
    tracker.documents = DocumentStore(tmp_path / "documents", max_bytes=10_000, max_per_step=3)
    return tracker.documents


@pytest.fixture
def documented(tracker: Tracker, store: DocumentStore) -> Tracker:
    """Estonia's case, its first step recorded with a PDF and a text file."""
    open_case(tracker, "EE", "apmbc", "clerk", began_on=BEGAN)
    files = [("instrument.pdf", PDF), ("notification.txt", TEXT)]
    advance(tracker, REF, *SUBMIT, "clerk", evidence={}, documents=files)
    return tracker


@pytest.fixture
def cli_on(app: Any, store: DocumentStore) -> FlaskCliRunner:
    """The CLI on the same database, with the same document folder."""
    app.extensions["tracker"].documents = store
    return cast(FlaskCliRunner, app.test_cli_runner())


def test_a_step_keeps_its_documents_in_its_hashed_content(documented: Tracker) -> None:
    event = get_case(documented, REF).history[-1]
    assert [(d.name, d.media_type, d.size) for d in event.documents] == [
        ("instrument.pdf", "application/pdf", len(PDF)),
        ("notification.txt", "text/plain", len(TEXT)),
    ]
    assert event.documents[0].sha256 == hashlib.sha256(PDF).hexdigest()
    exported = next(r for r in _exported(documented) if r["seq"] == 2)
    assert exported["documents"] == [d.to_json() for d in event.documents]
    assert verify_audit(documented).intact


def test_an_export_puts_each_document_on_its_own_event_filtered_or_not(
    documented: Tracker,
) -> None:
    open_case(documented, "LT", "apmbc", "clerk", began_on=BEGAN)
    advance(documented, "LT-APMBC-2025", *SUBMIT, "clerk", documents=[("lt.pdf", PDF)])
    reading = {"chamber": "Riigikogu", "reading": 1}
    advance(documented, REF, "record_reading", "2025-01-11", "clerk", evidence=reading)
    files = [("r.txt", TEXT)]
    advance(
        documented, REF, "record_reading", "2025-01-12", "clerk", evidence=reading, documents=files
    )
    names = {
        (e["case"], e["seq"]): [d["name"] for d in e["documents"]] for e in _exported(documented)
    }
    assert {key: found for key, found in names.items() if found} == {
        (REF, 2): ["instrument.pdf", "notification.txt"],
        (REF, 4): ["r.txt"],
        ("LT-APMBC-2025", 2): ["lt.pdf"],
    }
    readings = _exported(documented, EventFilter(trigger="record_reading"))
    assert [(e["seq"], [d["name"] for d in e["documents"]]) for e in readings] == [
        (3, []),
        (4, ["r.txt"]),
    ]


def _exported(tracker: Tracker, where: EventFilter | None = None) -> list[dict[str, Any]]:
    import json

    exported = "".join(export_events(tracker, "json", where))
    return cast(list[dict[str, Any]], json.loads(exported))


def test_an_identical_file_is_stored_once_and_served_for_each_case(
    documented: Tracker, store: DocumentStore
) -> None:
    open_case(documented, "LT", "apmbc", "clerk", began_on=BEGAN)
    advance(documented, "LT-APMBC-2025", *SUBMIT, "clerk", documents=[("same.pdf", PDF)])
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert len(files) == 2  # the PDF once, the text file
    sha = hashlib.sha256(PDF).hexdigest()
    assert find_document(documented, "LT-APMBC-2025", sha).ref.name == "same.pdf"
    assert find_document(documented, REF, sha).ref.name == "instrument.pdf"


def test_a_refused_step_records_nothing_and_a_refused_file_stores_nothing(
    tracker: Tracker, store: DocumentStore
) -> None:
    open_case(tracker, "EE", "apmbc", "clerk", began_on=BEGAN)
    with pytest.raises(InvalidInput, match="the limit is 10 KB per file"):
        advance(tracker, REF, *SUBMIT, "clerk", documents=[("big.pdf", PDF + b"0" * 10_000)])
    with pytest.raises(InvalidInput, match="at most 3 may be attached"):
        advance(tracker, REF, *SUBMIT, "clerk", documents=[(f"{n}.txt", TEXT) for n in "abcd"])
    with pytest.raises(Exception, match="lies after today"):
        advance(
            tracker, REF, "submit_to_parliament", "2099-01-01", "clerk", documents=[("a.pdf", PDF)]
        )
    assert get_case(tracker, REF).state.state == "drafting"
    assert total_rows(_engine(tracker), "event_documents") == 0
    assert not store.root.exists() or not any(p.is_file() for p in store.root.rglob("*"))


def _engine(tracker: Tracker) -> Engine:
    bind = tracker.sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def test_verify_names_a_missing_and_an_altered_document_file(
    documented: Tracker, store: DocumentStore, cli_on: FlaskCliRunner
) -> None:
    pdf = store.path_of(hashlib.sha256(PDF).hexdigest())
    pdf.chmod(0o644)
    pdf.write_bytes(PDF.replace(b"withdrawal", b"accession"))
    found = verify_audit(documented).first_break
    assert found is not None and (found.case_reference, found.seq) == (REF, 2)
    assert "document 'instrument.pdf'" in found.problem and "file altered" in found.problem
    result = cli_on.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{REF} event 2: document 'instrument.pdf': file altered" in result.stderr

    pdf.unlink()
    result = cli_on.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{REF} event 2: document 'instrument.pdf': file missing" in result.stderr


def _switch_off_append_only(conn: Any, action: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS event_documents_no_{action}")
    else:
        conn.exec_driver_sql(
            "ALTER TABLE event_documents DISABLE TRIGGER event_documents_append_only"
        )


EDITS: list[tuple[str, Callable[[Any], Any]]] = [
    (
        "update",
        lambda conn: conn.execute(update(DOCS).where(DOCS.c.position == 2).values(name="x.txt")),
    ),
    ("delete", lambda conn: conn.execute(delete(DOCS).where(DOCS.c.position == 2))),
]


@pytest.mark.parametrize(("action", "edit"), EDITS, ids=[a for a, _ in EDITS])
def test_an_edited_document_list_breaks_the_chain(
    documented: Tracker, action: str, edit: Callable[[Any], Any]
) -> None:
    with _engine(documented).begin() as conn:
        _switch_off_append_only(conn, action)
        edit(conn)
    found = verify_audit(documented).first_break
    assert found is not None and (found.case_reference, found.seq) == (REF, 2)
    assert "content does not match its hash" in found.problem


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE event_documents SET name = 'forged.pdf'",
        f"UPDATE event_documents SET sha256 = '{'0' * 64}'",
        "DELETE FROM event_documents",
    ],
)
def test_the_database_refuses_to_change_or_remove_a_document_row(
    documented: Tracker, statement: str
) -> None:
    """On SQLite and, with TEST_DATABASE_URL, PostgreSQL (as for events)."""
    with pytest.raises(DBAPIError, match="append-only"), _engine(documented).begin() as conn:
        conn.execute(text(statement))
    assert total_rows(_engine(documented), "event_documents") == 2


@SQLITE_ONLY
def test_a_backup_carries_the_documents_references_and_restores_them_verified(
    documented: Tracker, store: DocumentStore, tmp_path: Path, fresh_tracker: Callable[[], Tracker]
) -> None:
    path = tmp_path / "tracker.backup"
    with path.open("wb") as out:
        summary = write_backup(documented, out)
    assert summary.counts["event_documents"] == 2
    target = fresh_tracker()
    target.documents = store  # the files are copied separately; here, the same folder
    restore_backup(target, path)
    assert (
        get_case(target, REF).history[-1].documents
        == get_case(documented, REF).history[-1].documents
    )
    assert verify_audit(target).intact


@SQLITE_ONLY
def test_a_backup_whose_document_rows_were_edited_is_refused(
    documented: Tracker, tmp_path: Path, fresh_tracker: Callable[[], Tracker]
) -> None:
    path = tmp_path / "tracker.backup"
    with path.open("wb") as out:
        write_backup(documented, out)
    lines = path.read_text(encoding="utf-8").splitlines()
    edited = [line.replace("notification.txt", "forged.txt") for line in lines]
    # re-frame the file with a correct digest: only the chain can tell
    body = "".join(line + "\n" for line in edited[:-1])
    import json

    trailer = json.dumps({"sha256": hashlib.sha256(body.encode()).hexdigest()})
    path.write_text(body + trailer + "\n", encoding="utf-8")
    from app.services.backup import BackupRefused

    with pytest.raises(BackupRefused, match=f"chain: {REF} event 2: content does not match"):
        restore_backup(fresh_tracker(), path)


@pytest.fixture
def fresh_tracker(registry: Any, today: Any, tmp_path: Path) -> Iterator[Callable[[], Tracker]]:
    from app.persistence.database import make_engine, make_session_factory
    from app.persistence.migrate import upgrade
    from tests.conftest import MIGRATIONS

    engines: list[Engine] = []

    def make() -> Tracker:
        url = f"sqlite:///{tmp_path / f'restored-{len(engines)}.sqlite3'}"
        upgrade(MIGRATIONS, url)
        engines.append(make_engine(url))
        return Tracker(make_session_factory(engines[-1]), lambda: registry, today=today)

    yield make
    for engine in engines:
        engine.dispose()


def _export(tracker: Tracker, fmt: str) -> bytes:
    out = io.StringIO()
    export_cases(tracker, fmt, out)
    return out.getvalue().encode()


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_exported_case_carries_its_documents_and_imports_them_from_the_folder(
    documented: Tracker,
    store: DocumentStore,
    tmp_path: Path,
    fresh_tracker: Callable[[], Tracker],
    fmt: str,
) -> None:
    exported = _export(documented, fmt)
    elsewhere = fresh_tracker()
    create_user(elsewhere, "clerk", "clerk", "correct horse battery")
    elsewhere.documents = DocumentStore(tmp_path / "elsewhere")
    report = import_cases(elsewhere, io.BytesIO(exported), fmt, "clerk")
    assert report.cases == [] and len(report.refused) == 1
    assert "instrument.pdf" in report.refused[0].message
    assert "copy the document files" in report.refused[0].message

    shutil.copytree(store.root, elsewhere.documents.root, dirs_exist_ok=True)
    report = import_cases(elsewhere, io.BytesIO(exported), fmt, "clerk")
    assert report.cases == [REF], report.to_json()
    imported = get_case(elsewhere, REF).history[-1].documents
    assert imported == get_case(documented, REF).history[-1].documents
    assert verify_audit(elsewhere).intact
