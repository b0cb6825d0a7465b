"""Import and export of case histories: the demo's cases exported and imported into an empty
database come back with the same stages and dates; every bad line is named and refused alone;
importing twice doubles nothing; a dry run writes nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, event

from app.domain.errors import NotAllowed
from app.domain.loader import Registry
from app.persistence.database import make_engine, make_session_factory
from app.persistence.migrate import upgrade
from app.services import transfer
from app.services.audit import export_events, verify_audit
from app.services.cases import advance
from app.services.context import Tracker
from app.services.demo import seed_demo
from app.services.queries import get_case
from app.services.transfer import export_cases, import_cases
from app.services.users import create_user
from tests.conftest import MIGRATIONS, PASSWORD, Today, all_cases
from tests.integration.conftest import POSTGRES_ONLY, total_rows


@pytest.fixture
def empty(tmp_path: Path, registry: Registry, today: Today) -> Iterator[Tracker]:
    """A second, empty migrated database (SQLite) with a clerk: where the exports go."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    upgrade(MIGRATIONS, url)
    engine = make_engine(url)
    target = Tracker(make_session_factory(engine), lambda: registry, today=today)
    create_user(target, "clerk", "clerk", PASSWORD)
    yield target
    engine.dispose()


def exported(tracker: Tracker, fmt: str) -> bytes:
    out = io.StringIO()
    export_cases(tracker, fmt, out)
    return out.getvalue().encode("utf-8")


def imported(tracker: Tracker, data: bytes | str, fmt: str = "jsonl", **options: Any) -> Any:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return import_cases(tracker, io.BytesIO(raw), fmt, "clerk", **options)


def what_a_user_sees(tracker: Tracker) -> dict[str, Any]:
    """Every real case's stage, dates and live steps (not who entered the record, nor when)."""
    seen = {}
    for summary in all_cases(tracker):
        if summary["practice"]:
            continue
        case = get_case(tracker, summary["reference"])
        data = case.to_json()
        seen[case.reference] = {
            **data["dates"],
            "in_force_since": data["in_force_since"],
            "notice_allowed_from": data["notice_allowed_from"],
            "state": case.state.state,
            "workflow": case.case.workflow,
            "began": case.procedure_began(),
            "steps": [(s.trigger, str(s.span), s.comment, dict(s.evidence)) for s in case.steps],
        }
    return seen


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_demo_exported_and_imported_into_an_empty_database_is_the_same(
    tracker: Tracker, empty: Tracker, fmt: str
) -> None:
    seed_demo(tracker)
    report = imported(empty, exported(tracker, fmt), fmt)

    assert report.refused == []
    assert sorted(report.cases) == sorted(what_a_user_sees(tracker))
    assert what_a_user_sees(empty) == what_a_user_sees(tracker)
    assert get_case(empty, "LV-APMBC-2025").to_json()["dates"]["effective"] == "2025-12-27"
    paris = get_case(empty, "US-PARIS-2025").to_json()  # in force for the US since 2021-02-19
    assert (paris["in_force_since"], paris["notice_allowed_from"]) == ("2021-02-19", "2024-02-19")
    assert verify_audit(empty).intact
    # The import is in the audit log: who opened each record.
    assert get_case(empty, "PL-APMBC-2025").history[0].actor == "clerk"


def test_importing_the_same_file_twice_doubles_nothing(
    tracker: Tracker, empty: Tracker, db_engine: Engine
) -> None:
    seed_demo(tracker)
    data = exported(tracker, "jsonl")
    first = imported(empty, data)
    events = sum(len(get_case(empty, ref).history) for ref in first.cases)

    again = imported(empty, data)

    assert (len(again.cases), again.steps, again.refused) == (0, 0, [])
    assert sorted(again.skipped) == sorted(first.cases)
    assert sum(len(get_case(empty, ref).history) for ref in first.cases) == events
    assert len(all_cases(empty)) == len(first.cases)


def test_an_import_that_stops_keeps_its_committed_batches_and_a_second_run_finishes_it(
    tracker: Tracker, empty: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "IMPORT_BATCH", 3)  # cases a commit
    seed_demo(tracker)
    data = exported(tracker, "jsonl")
    read = 0

    def database_gone(_: int) -> None:
        nonlocal read
        read += 1
        if read == 5:
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        imported(empty, data, on_progress=database_gone)
    kept = [c["reference"] for c in all_cases(empty)]
    assert len(kept) == 3  # the first batch, committed; the 4th and 5th cases rolled back

    finished = imported(empty, data)
    assert sorted(finished.skipped) == sorted(kept)
    assert what_a_user_sees(empty) == what_a_user_sees(tracker)
    assert verify_audit(empty).intact


def test_a_dry_run_reports_what_a_real_run_does_and_writes_nothing(
    tracker: Tracker, db_engine: Engine
) -> None:
    lines = [GOOD_HU, GOOD_HU.replace("2025-04-03", "2025-04-04"), BAD_ORDER]
    data = "\n".join(lines) + "\n"

    dry = imported(tracker, data, dry_run=True)

    assert (total_rows(db_engine, "cases"), total_rows(db_engine, "events")) == (0, 0)
    real = imported(tracker, data)
    assert dry.to_json() | {"dry_run": False} == real.to_json()
    assert real.cases == ["HU-ROME-STATUTE-2025", "HU-ROME-STATUTE-2025-2"]
    assert [r.line for r in real.refused] == [3]


GOOD_HU = json.dumps(
    {
        "country": "HU",
        "treaty": "rome-statute",
        "note": "Government Decision 1090/2025 (IV.3.)",
        "steps": [
            {"trigger": "submit_to_parliament", "occurred_on": "2025-04-03"},
            {
                "trigger": "adopt",
                "occurred_on": "2025-05-20",
                "evidence": {"votes_for": 134, "votes_against": 37, "abstained": 7},
            },
            {"trigger": "sign", "occurred_on": "2025-05-20..2025-06-02"},
            {"trigger": "deposit", "occurred_on": "2025-06-02", "comment": "UN SG receipt"},
        ],
    }
)
BAD_ORDER = json.dumps(
    {
        "country": "HU",
        "treaty": "rome-statute",
        "steps": [
            {"trigger": "submit_to_parliament", "occurred_on": "2025-04-03"},
            {
                "trigger": "adopt",
                "occurred_on": "2025-03-20",
                "evidence": {"votes_for": 1, "votes_against": 0},
            },
        ],
    }
)


def test_an_imported_case_runs_the_same_clock_as_a_case_advanced_by_hand(
    tracker: Tracker,
) -> None:
    report = imported(tracker, GOOD_HU + "\n")
    case = get_case(tracker, report.cases[0]).to_json()
    assert case["state"] == "notice_period"
    assert case["dates"]["effective"] == "2026-06-02"  # Rome Statute Art. 127(1)
    assert case["procedure_began_on"] == "2025-04-03"
    assert case["history"][0]["trigger"] == "open"


# (name, file content, format, line, field, words of the message)
BAD_FILES: list[tuple[str, bytes, str, int, str, list[str]]] = [
    ("not UTF-8", GOOD_HU.encode() + b"\n\xff\xfe{}\n", "jsonl", 2, "file", ["UTF-8"]),
    ("not JSON", b'{"country": "HU",\n', "jsonl", 1, "file", ["not JSON"]),
    ("not an object", b"[1, 2]\n", "jsonl", 1, "file", ["JSON object"]),
    ("unknown key", b'{"country": "HU", "treaty": "apmbc", "colour": 1}\n', "jsonl", 1,
     "colour", ["unknown key", "steps"]),
    ("unknown country", b'{"country": "XX", "treaty": "apmbc"}\n', "jsonl", 1, "country",
     ["'XX'", "ISO 3166-1"]),
    ("unknown treaty", b'{"country": "HU", "treaty": "nato"}\n', "jsonl", 1, "treaty",
     ["'nato'", "apmbc"]),
    ("unknown workflow", b'{"country": "HU", "treaty": "apmbc", "workflow": "apmbc/hu"}\n',
     "jsonl", 1, "workflow", ["apmbc/generic"]),
    ("wrong kind", b'{"country": "HU", "treaty": "apmbc", "kind": "accession"}\n', "jsonl", 1,
     "kind", ["withdrawal"]),
    ("unknown trigger", BAD_ORDER.replace('"adopt"', '"fly"').encode() + b"\n", "jsonl", 1,
     "steps[1].trigger", ["steps[1] (fly)", "submit_to_parliament"]),
    ("date out of order", BAD_ORDER.encode() + b"\n", "jsonl", 1, "steps[1].occurred_on",
     ["2025-03-20", "2025-04-03", "never go backwards"]),
    ("refused step", BAD_ORDER.replace('"adopt"', '"deposit"').encode() + b"\n", "jsonl", 1,
     "steps[1].trigger", ["'deposit'"]),
    ("bad evidence", GOOD_HU.replace("134", '"many"').encode() + b"\n", "jsonl", 1,
     "steps[1].evidence.votes_for", ["'many'"]),
    ("bad date", GOOD_HU.replace("2025-05-20", "20.05.2025", 1).encode() + b"\n", "jsonl", 1,
     "steps[1].occurred_on", ["YYYY-MM-DD"]),
    ("missing columns", b"country,treaty,trigger\nHU,apmbc,adopt\n", "csv", 1, "header",
     ["missing occurred_on"]),
    ("unknown column", b"country,treaty,trigger,occurred_on,colour\n", "csv", 1, "header",
     ["unknown colour"]),
    ("csv step refused", b"country,treaty,trigger,occurred_on\nHU,apmbc,submit_to_parliament,"
     b"2025-04-03\nHU,apmbc,sign,2025-05-01\n", "csv", 3, "trigger", ["'sign'"]),
    ("csv not UTF-8", b"country,treaty,trigger,occurred_on\nHU,apmbc,\xff,2025-04-03\n", "csv", 2,
     "file", ["UTF-8", "not read"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "fmt", "line", "field", "words"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_a_bad_line_is_named_and_nothing_of_its_case_is_written(
    tracker: Tracker,
    db_engine: Engine,
    content: bytes,
    fmt: str,
    line: int,
    field: str,
    words: list[str],
) -> None:
    report = imported(tracker, content, fmt)

    refused = [r for r in report.refused if r.line == line]
    assert len(refused) == 1, report.refused
    assert refused[0].field == field
    assert refused[0].message.startswith(f"line {line}: ")
    for word in words:
        assert word in refused[0].message
    good = len(report.cases)
    assert total_rows(db_engine, "cases") == good  # only the good cases of the file
    assert good == (1 if content.startswith(GOOD_HU.encode()) and line > 1 else 0)


def test_a_given_reference_is_kept_and_refused_when_another_case_holds_it(
    tracker: Tracker,
) -> None:
    with_reference = json.loads(GOOD_HU) | {"reference": "hu-icc-1"}
    assert imported(tracker, json.dumps(with_reference)).cases == ["HU-ICC-1"]
    other = with_reference | {"note": "another", "steps": []}
    report = imported(tracker, json.dumps(other))
    assert [r.message for r in report.refused] == [
        "line 1: reference: HU-ICC-1 is held by another case"
    ]
    many = "\n".join(
        json.dumps({"country": "EE", "treaty": "apmbc", "note": str(n)}) for n in (1, 2)
    )
    assert imported(tracker, many).cases == ["EE-APMBC-2026", "EE-APMBC-2026-2"]


def test_spreadsheet_formulas_are_neutralised_on_export_and_restored_on_import(
    tracker: Tracker, empty: Tracker
) -> None:
    hostile = json.loads(GOOD_HU)
    hostile["note"] = '=HYPERLINK("http://evil.example")'
    hostile["steps"][0]["comment"] = "+1+1"
    imported(tracker, json.dumps(hostile))
    csv_text = exported(tracker, "csv").decode()
    assert ",'=HYPERLINK" in csv_text.replace('"', "") and ",'+1+1," in csv_text
    report = imported(empty, csv_text, "csv")
    assert report.refused == []
    case = get_case(empty, report.cases[0])
    assert case.case.note == hostile["note"] and case.steps[0].comment == "+1+1"


def test_the_cli_imports_reports_and_exits_non_zero_on_a_refusal(
    app: Flask, cli: FlaskCliRunner, tracker: Tracker, tmp_path: Path
) -> None:
    file = tmp_path / "cases.jsonl"
    file.write_text(GOOD_HU + "\n" + BAD_ORDER + "\n", encoding="utf-8")
    dry = cli.invoke(args=["cases", "import", str(file), "--by", "clerk", "--dry-run"])
    assert dry.exit_code == 1
    assert "would import 1 cases (4 steps); skipped 0 already present; refused 1" in dry.stdout
    assert "refused: line 2: steps[1] (adopt): occurred_on:" in dry.stderr
    assert all_cases(tracker) == []
    real = cli.invoke(args=["cases", "import", str(file), "--by", "clerk", "--json"])
    assert real.exit_code == 1
    summary = json.loads(real.stdout)
    assert (summary["cases"], summary["steps"], summary["refused"]) == (1, 4, 1)
    assert summary["refusals"][0]["field"] == "steps[1].occurred_on"
    out = cli.invoke(args=["cases", "export", "--format", "jsonl"])
    assert out.exit_code == 0
    assert [json.loads(line)["reference"] for line in out.stdout.splitlines()] == [
        "HU-ROME-STATUTE-2025"
    ]
    viewer = cli.invoke(args=["cases", "import", str(file), "--by", "viewer"])
    assert (
        viewer.exit_code == 1 and "importing cases needs the role clerk or admin" in viewer.stderr
    )


def test_cases_of_two_countries_with_the_same_steps_are_both_imported(tracker: Tracker) -> None:
    lithuania = json.loads(GOOD_HU) | {"country": "LT"}
    report = imported(tracker, GOOD_HU + "\n" + json.dumps(lithuania) + "\n")
    assert (report.cases, report.skipped) == (["HU-ROME-STATUTE-2025", "LT-ROME-STATUTE-2025"], [])


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_imported_case_keeps_in_force_since_and_the_bar_still_applies(
    tracker: Tracker, fmt: str
) -> None:
    # Paris Art. 28(1): in force for the US on 2016-11-04, notice allowed from 2019-11-04
    # (facts/treaty-actions.md, section 5). The case is imported before its deposit.
    line = {
        "reference": "US-PARIS-IMPORTED",
        "country": "US",
        "treaty": "paris",
        "workflow": "paris/international-only",
        "in_force_since": "2016-11-04",
        "steps": [],
    }
    data = (
        json.dumps(line) + "\n"
        if fmt == "jsonl"
        else "reference,country,treaty,workflow,in_force_since,trigger,occurred_on\n"
        "US-PARIS-IMPORTED,US,paris,paris/international-only,2016-11-04,,\n"
    )
    assert imported(tracker, data, fmt).refused == []
    case = get_case(tracker, "US-PARIS-IMPORTED").to_json()
    assert (case["in_force_since"], case["notice_allowed_from"]) == ("2016-11-04", "2019-11-04")

    with pytest.raises(NotAllowed) as refused:  # the day before the bar: no evidence needed
        advance(tracker, "US-PARIS-IMPORTED", "deposit", "2019-11-03", "clerk")
    assert "the first allowed day is 2019-11-04" in refused.value.message
    dates = advance(tracker, "US-PARIS-IMPORTED", "deposit", "2019-11-04", "clerk").to_json()
    assert dates["dates"]["effective"] == "2020-11-04"  # facts section 5: effective 2020-11-04


def test_an_imported_deposit_before_the_bar_is_refused_naming_the_first_allowed_day(
    tracker: Tracker,
) -> None:
    line = {
        "country": "US",
        "treaty": "paris",
        "workflow": "paris/international-only",
        "in_force_since": "2016-11-04",
        "steps": [{"trigger": "deposit", "occurred_on": "2019-11-03"}],
    }
    report = imported(tracker, json.dumps(line) + "\n")
    assert report.cases == []
    assert "the first allowed day is 2019-11-04" in json.dumps(report.to_json())


def test_a_bad_in_force_since_is_refused_naming_the_field(tracker: Tracker) -> None:
    line = {"country": "US", "treaty": "paris", "in_force_since": "04/11/2016", "steps": []}
    report = imported(tracker, json.dumps(line) + "\n")
    assert report.cases == []
    assert "in_force_since" in json.dumps(report.to_json())


def test_a_case_given_twice_in_one_batch_is_imported_once_and_then_skipped(
    tracker: Tracker,
) -> None:
    # The second line spells the reference in lower case: it is the same case, already in
    # (in the same batch, not yet committed), so it is skipped, not refused as a taken reference.
    upper = json.dumps(json.loads(GOOD_HU) | {"reference": "HU-ICC-1"})
    lower = json.dumps(json.loads(GOOD_HU) | {"reference": "hu-icc-1"})
    report = imported(tracker, upper + "\n" + lower + "\n")
    assert (report.cases, report.skipped, report.refused) == (["HU-ICC-1"], ["HU-ICC-1"], [])
    assert len(get_case(tracker, "HU-ICC-1").history) == 5


@POSTGRES_ONLY
def test_the_exports_read_postgresql_through_a_server_side_cursor(
    tracker: Tracker, db_engine: Engine
) -> None:
    # A client-side cursor would hold every row of a million-event log in memory at once.
    seed_demo(tracker)
    cursors: dict[str, str] = {}

    def seen(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        cursors[statement] = type(cursor).__name__

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        export_cases(tracker, "jsonl", io.StringIO())
        cases_export = dict(cursors)
        cursors.clear()
        "".join(export_events(tracker, "csv"))
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    for reads in (cases_export, cursors):
        log = [kind for statement, kind in reads.items() if "FROM events" in statement]
        assert log and set(log) == {"ServerCursor"}, reads
