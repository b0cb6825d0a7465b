"""Signed checkpoints remember every case's chain head outside the database: an insider who
deletes a case, cuts a case's last event and rewinds its row, or rewrites a chain with
recomputed hashes passes plain `audit verify`, and is named by `audit verify --checkpoint`."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, Table, delete, select, update

from app.domain.audit import compute_hash
from app.domain.history import fold, steps_from_events
from app.domain.projection import projection
from app.persistence.models import Case, CaseGroupMember, Event
from app.services.audit import verify_audit
from app.services.cases import advance
from app.services.checkpoint import canonical, digest, make_checkpoint, verify_checkpoint
from app.services.checkpoint_key import fingerprint, instance_key
from app.services.context import Tracker
from app.services.demo import seed_demo
from app.services.recording import to_record
from tests.integration.test_tamper import _switch_off_append_only, edit_event
from tests.web.conftest import csrf_token, html_of, sign_in

MEMBERS = cast(Table, CaseGroupMember.__table__)
EVENTS = cast(Table, Event.__table__)
CASES = cast(Table, Case.__table__)
LV = "LV-APMBC-2025"  # 7 events (its opening and 6 steps), the last its taking effect
PRACTICE = "PRACTICE-APMBC-GENERIC"  # opened at drafting: its next step is submit_to_parliament


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "checkpoint_key"


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.jsonl"


@pytest.fixture
def cli(app: Flask, key_file: Path, log_file: Path) -> FlaskCliRunner:
    """The commands with the key and the log under tmp_path, never the repository's instance/."""
    app.config.update(CHECKPOINT_KEY_FILE=key_file, CHECKPOINT_LOG_FILE=log_file)
    return app.test_cli_runner()


def checkpoint_file(cli: FlaskCliRunner, folder: Path, name: str = "checkpoint.json") -> Path:
    result = cli.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    path = folder / name
    path.write_text(result.stdout, encoding="utf-8")
    return path


def verify(cli: FlaskCliRunner, path: Path, *more: str) -> Any:
    return cli.invoke(args=["audit", "verify", "--checkpoint", str(path), *more])


# The three insider edits, each done directly in the database with the triggers switched off.


def delete_case(engine: Engine, reference: str) -> None:
    """Remove a case, all its events and its places in groups, as if it had never been opened."""
    case_id = select(CASES.c.id).where(CASES.c.reference == reference).scalar_subquery()
    with engine.begin() as conn:
        _switch_off_append_only(conn, "delete")
        assert conn.execute(delete(EVENTS).where(EVENTS.c.case_id == case_id)).rowcount > 0
        conn.execute(delete(MEMBERS).where(MEMBERS.c.case_id == case_id))
        assert conn.execute(delete(CASES).where(CASES.c.reference == reference)).rowcount == 1


def cut_last_event(tracker: Tracker, engine: Engine, reference: str) -> None:
    """Delete the case's newest event and rewind its row to the event before, projection and
    all, as a careful insider would: the case row then agrees with what is left."""
    with tracker.transaction() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        flow = tracker.case_workflow(session, case.workflow, case.workflow_version)
        rows = session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq))
        records = [to_record(reference, e) for e in rows]
    last, kept = records[-1], records[:-1]
    rewound = projection(flow, fold(flow, steps_from_events(kept)))
    with engine.begin() as conn:
        _switch_off_append_only(conn, "delete")
        conn.execute(delete(EVENTS).where(EVENTS.c.hash == last.hash))
        conn.execute(
            update(CASES)
            .where(CASES.c.reference == reference)
            .values(
                **rewound,
                event_count=len(kept),
                version=case.version - 1,
                last_hash=kept[-1].hash,
            )
        )


def rewrite_chain(tracker: Tracker, engine: Engine, reference: str, seq: int) -> None:
    """Change event `seq`'s comment and recompute every hash from it on, head included."""
    with tracker.transaction() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        rows = session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq))
        records = [to_record(reference, e) for e in rows]
    previous = records[seq - 2].hash
    with engine.begin() as conn:
        _switch_off_append_only(conn, "update")
        for record in records[seq - 1 :]:
            changed = dataclasses.replace(record, prev_hash=previous, hash="")
            if record.seq == seq:
                changed = dataclasses.replace(changed, comment="Nothing happened that day.")
            new_hash = compute_hash(changed)
            conn.execute(
                update(EVENTS)
                .where(EVENTS.c.hash == record.hash)
                .values(comment=changed.comment, prev_hash=previous, hash=new_hash)
            )
            previous = new_hash
        conn.execute(update(CASES).where(CASES.c.reference == reference).values(last_hash=previous))


def test_an_untouched_database_verifies_also_after_new_steps(
    tracker: Tracker, cli: FlaskCliRunner, tmp_path: Path
) -> None:
    seed_demo(tracker)
    path = checkpoint_file(cli, tmp_path)
    result = verify(cli, path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("intact: ")
    assert "checkpoint #1" in result.stdout

    advance(
        tracker, PRACTICE, "submit_to_parliament", "2026-05-28", "clerk", evidence={"bill": "1"}
    )
    result = verify(cli, path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


EDITS: dict[str, tuple[Callable[[Tracker, Engine], None], str]] = {
    "a whole case deleted": (lambda t, e: delete_case(e, LV), f"{LV}: deleted"),
    "the last event deleted and the row rewound": (
        lambda t, e: cut_last_event(t, e, LV),
        f"{LV}: event 7 missing (the checkpoint saw 7 events, the database has 6)",
    ),
    "the chain rewritten with recomputed hashes": (
        lambda t, e: rewrite_chain(t, e, LV, 3),
        f"{LV}: event 7 differs from the checkpoint (chain rewritten)",
    ),
}


@pytest.mark.parametrize("edit", EDITS)
def test_an_insider_edit_passes_audit_verify_but_not_the_checkpoint(
    edit: str, tracker: Tracker, db_engine: Engine, cli: FlaskCliRunner, tmp_path: Path
) -> None:
    seed_demo(tracker)
    path = checkpoint_file(cli, tmp_path)
    change, finding = EDITS[edit]

    change(tracker, db_engine)

    assert verify_audit(tracker).intact, "the edit is not one plain audit verify can see"
    plain = cli.invoke(args=["audit", "verify"])
    assert plain.exit_code == 0 and plain.stdout.startswith("intact"), plain.stderr
    result = verify(cli, path)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        finding,
        f"error: 1 case(s) not as checkpoint #1 of {created_at(path)} saw them",
    ]


def created_at(path: Path) -> str:
    return str(json.loads(path.read_text())["statement"]["created_at"])


def test_every_altered_case_is_named_by_the_service(
    tracker: Tracker, db_engine: Engine, key_file: Path, log_file: Path
) -> None:
    seed_demo(tracker)
    key = instance_key(key_file)
    document = make_checkpoint(tracker, key, log_file)
    delete_case(db_engine, "BI-ROME-STATUTE-2016")
    cut_last_event(tracker, db_engine, "EE-APMBC-2025")
    rewrite_chain(tracker, db_engine, LV, 2)

    report = verify_checkpoint(tracker, document, key.public_key())
    assert sorted(report.findings) == [
        "BI-ROME-STATUTE-2016: deleted",
        "EE-APMBC-2025: event 7 missing (the checkpoint saw 7 events, the database has 6)",
        f"{LV}: event 7 differs from the checkpoint (chain rewritten)",
    ]
    covered = document["statement"]["cases"]
    assert (report.covered_cases, report.cases) == (covered, covered - 1)  # one case deleted


def test_an_edited_checkpoint_is_refused(
    tracker: Tracker, cli: FlaskCliRunner, tmp_path: Path
) -> None:
    seed_demo(tracker)
    path = checkpoint_file(cli, tmp_path)
    document = json.loads(path.read_text())
    document["statement"]["heads"][LV]["last_hash"] = "0" * 64
    path.write_text(json.dumps(document))

    result = verify(cli, path)
    assert result.exit_code == 1
    assert result.stderr == (
        "error: checkpoint: the signature does not match: the file was edited after it was signed\n"
    )


def test_a_checkpoint_signed_by_another_key_is_refused(
    tracker: Tracker, cli: FlaskCliRunner, key_file: Path, tmp_path: Path
) -> None:
    seed_demo(tracker)
    instance_key(key_file)  # this instance's key exists
    forged = make_checkpoint(tracker, Ed25519PrivateKey.generate(), tmp_path / "other.jsonl")
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))

    result = verify(cli, path)
    assert result.exit_code == 1
    assert "checkpoint: signed by another key" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_each_checkpoint_names_the_digest_of_the_one_before(
    tracker: Tracker, cli: FlaskCliRunner, log_file: Path, tmp_path: Path
) -> None:
    seed_demo(tracker)
    first = json.loads(checkpoint_file(cli, tmp_path, "1.json").read_text())
    second = json.loads(checkpoint_file(cli, tmp_path, "2.json").read_text())

    assert first["statement"]["previous"] is None
    assert (first["statement"]["number"], second["statement"]["number"]) == (1, 2)
    expected = hashlib.sha256(canonical(first["statement"])).hexdigest()
    assert second["statement"]["previous"] == expected == digest(first)
    log = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert log == [first, second]


def test_the_checkpoint_covers_every_case_with_its_head(
    tracker: Tracker, cli: FlaskCliRunner, tmp_path: Path
) -> None:
    seed_demo(tracker)
    statement = json.loads(checkpoint_file(cli, tmp_path).read_text())["statement"]
    audit = verify_audit(tracker)
    assert (statement["cases"], statement["events"]) == (audit.cases, audit.events)
    assert statement["heads"][LV]["events"] == 7
    with tracker.transaction() as session:
        head = session.scalar(select(Case.last_hash).where(Case.reference == LV))
    assert statement["heads"][LV]["last_hash"] == head


def test_a_broken_chain_is_not_signed(
    tracker: Tracker, db_engine: Engine, cli: FlaskCliRunner, log_file: Path
) -> None:
    seed_demo(tracker)
    edit_event(db_engine, LV, 3, comment="edited")
    result = cli.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: audit: {LV}: chain broken at event 3")
    assert not log_file.exists() or log_file.read_text() == ""


def test_the_key_is_kept_private_and_its_public_half_printed(
    tracker: Tracker, cli: FlaskCliRunner, key_file: Path, tmp_path: Path
) -> None:
    result = cli.invoke(args=["audit", "public-key"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert key_file.stat().st_mode & 0o777 == 0o600
    published = tmp_path / "published.pem"
    published.write_text(result.stdout)

    path = checkpoint_file(cli, tmp_path)
    key = fingerprint(instance_key(key_file).public_key())
    assert json.loads(path.read_text())["statement"]["key"] == key
    assert verify(cli, path, "--public-key", str(published)).exit_code == 0

    key_file.chmod(0o644)
    result = cli.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: checkpoint key: {key_file} may be read by others (mode 0644); "
        f"run chmod 600 {key_file}\n"
    )


def test_verify_errors_are_one_line(tracker: Tracker, cli: FlaskCliRunner, tmp_path: Path) -> None:
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello")
    missing = verify(cli, tmp_path / "missing.json")
    assert missing.exit_code == 2
    assert len(missing.stderr.splitlines()) == 1
    no_key = verify(cli, not_json)
    assert no_key.exit_code == 1
    assert no_key.stderr.startswith("error: checkpoint key: there is no key at ")
    cli.invoke(args=["audit", "public-key"])  # creates the key
    garbled = verify(cli, not_json)
    assert garbled.exit_code == 1
    assert garbled.stderr.startswith("error: checkpoint: not JSON")
    assert len(garbled.stderr.splitlines()) == 1
    alone = cli.invoke(args=["audit", "verify", "--public-key", str(not_json)])
    assert alone.exit_code == 2
    assert "--checkpoint" in alone.stderr


@pytest.mark.parametrize("role", ["viewer", "clerk"])
def test_only_an_admin_may_download_a_checkpoint(
    role: str, app: Flask, cli: FlaskCliRunner, tracker: Tracker
) -> None:
    client = app.test_client()
    assert sign_in(client, role).status_code == 302
    assert "Download a signed checkpoint" not in html_of(client.get("/audit"))
    response = client.post("/audit/checkpoint", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 403


def test_an_admin_downloads_a_checkpoint_that_verifies(
    app: Flask, cli: FlaskCliRunner, tracker: Tracker, tmp_path: Path
) -> None:
    seed_demo(tracker)
    client = app.test_client()
    assert sign_in(client, "admin").status_code == 302
    assert "Download a signed checkpoint" in html_of(client.get("/audit"))
    assert client.post("/audit/checkpoint").status_code == 400  # no CSRF token

    response = client.post("/audit/checkpoint", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="checkpoint-1.json"'
    path = tmp_path / "downloaded.json"
    path.write_bytes(response.data)
    result = verify(cli, path)
    assert result.exit_code == 0, result.stderr


def upload(client: Any, data: bytes) -> Any:
    form = {"csrf_token": csrf_token(client, "/audit"), "checkpoint": (io.BytesIO(data), "c.json")}
    return client.post("/audit/verify", data=form, content_type="multipart/form-data")


def test_the_audit_page_verifies_against_an_uploaded_checkpoint(
    app: Flask, cli: FlaskCliRunner, tracker: Tracker, db_engine: Engine, tmp_path: Path
) -> None:
    seed_demo(tracker)
    data = checkpoint_file(cli, tmp_path).read_bytes()
    client = app.test_client()
    assert sign_in(client, "viewer").status_code == 302
    response = upload(client, data)
    assert response.status_code == 200
    assert "is unchanged" in html_of(response)

    delete_case(db_engine, LV)
    response = upload(client, data)
    assert response.status_code == 200
    assert f"<li>{LV}: deleted</li>" in html_of(response)

    edited = json.loads(data)
    edited["statement"]["events"] += 1
    response = upload(client, json.dumps(edited).encode())
    assert response.status_code == 400
    assert "Checkpoint refused: checkpoint: the signature does not match" in html_of(response)
