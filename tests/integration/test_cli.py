"""The `flask --app app ...` commands as a user runs them (issue 2, section 6 and "Bad input").

Every command is run through Flask's own command group (what `flask --app app` builds), on the
test database of the `app` fixture (SQLite and PostgreSQL). What is checked is what a user sees:
the exit code, the output (JSON that parses, with the documented keys), the single `error: ...`
line on stderr naming the field at fault, and, after a failed command, a database that is
exactly as it was (the event log, the case list and every table row).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, inspect, select, text

from app import create_app
from app.persistence.models import User
from app.services.context import Tracker
from app.services.demo import load_demo_cases
from tests.conftest import WORKFLOWS, Today, copy_demo
from tests.integration.conftest import TAKES_EFFECT

TODAY = "2026-11-27"  # the `today` fixture's date
LV = "LV-APMBC-2025"
PRACTICE = "PRACTICE-APMBC-GENERIC"
PRACTICE_INTL = "PRACTICE-APMBC-INTERNATIONAL-ONLY"  # starts at mfa_coordination
REAL_CASES = {spec["expect"]["reference"] for spec in load_demo_cases()}
HISTORY_KEYS = {
    "seq",
    "trigger",
    "from_state",
    "to_state",
    "occurred_on",
    "recorded_at",
    "actor",
    "comment",
    "evidence",
    "hash",
}
CASE_KEYS = {
    "reference",
    "country",
    "treaty",
    "workflow",
    "workflow_version",
    "state",
    "version",
    "dates",
    "available_triggers",
    "history",
}
APMBC_STATES = {
    "drafting",
    "parliament",
    "presidential_signature",
    "mfa_coordination",
    "notice_period",
    "effective",
    "suspended_armed_conflict",
    "revoked",
    "rejected",
}
APMBC_TRIGGERS = {
    "submit_to_parliament",
    "record_reading",
    "adopt",
    "reject",
    "sign",
    "return_to_parliament",
    "deposit",
    "notify_security_council",
    "record_armed_conflict",
    "take_effect",
    "suspend_for_armed_conflict",
    "end_armed_conflict",
    "revoke",
}
DEMO_USER_LINE = re.compile(r"^\s+(viewer|clerk|admin)\s+user '([^']+)'\s+password (\S+)\s*$")


# --- running commands -----------------------------------------------------------------------


class Cli:
    """Runs `flask --app app ARGS` against one app and checks what a user would see."""

    def __init__(self, app: Flask, runner: FlaskCliRunner) -> None:
        self.app = app
        self.runner = runner
        # The group `flask --app app` builds: it is what a user's commands go through.
        self.group = FlaskGroup(
            create_app=lambda: app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
        )

    def run(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(self.group, args=list(args), input=input)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        assert result.stderr == "", (args, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def fails(
        self, *args: str, field: str, mentions: Sequence[str] = (), input: str | None = None
    ) -> str:
        """The command exits 1 with one `error:` line naming `field`; returns that line."""
        result = self.run(*args, input=input)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code == 1, (args, result.exit_code, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1, (args, result.stderr)
        line = lines[0]
        assert line.startswith("error: "), line
        assert f"{field}:" in line, (field, line)
        for text_ in mentions:
            assert text_ in line, (text_, line)
        assert result.stdout == "", (args, result.stdout)
        return line

    def usage_error(self, *args: str, option: str, mentions: Sequence[str] = ()) -> None:
        """Click refused an option it validates itself: exit 2, naming the option."""
        result = self.run(*args)
        assert result.exit_code == 2, (args, result.exit_code, result.stdout, result.stderr)
        assert option in result.stderr, (option, result.stderr)
        for text_ in mentions:
            assert text_ in result.stderr, (text_, result.stderr)
        assert result.stdout == ""


@pytest.fixture
def run(app: Flask, cli: FlaskCliRunner) -> Cli:
    return Cli(app, cli)


@pytest.fixture
def demo_cli(run: Cli, db_engine: Engine, demo_rows: dict[str, list[dict[str, Any]]]) -> Cli:
    """The demo data, as `seed-demo` leaves it (copied from one seeding per test run)."""
    copy_demo(db_engine, demo_rows)
    return run


def show(run: Cli, reference: str, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = run.json("cases", "show", reference, *args)
    return data


def exported(run: Cli) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(run.ok("audit", "export", "--format", "json").stdout)
    return events


def table_rows(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, as text, behind the application's back."""
    dump = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{table}"'))
            dump[table] = sorted(repr(tuple(row)) for row in rows)
    return dump


@contextmanager
def unchanged(run: Cli, engine: Engine) -> Iterator[None]:
    """The block changes nothing: not the event log, not the cases, not a single row."""
    before = (exported(run), run.json("cases", "list"), table_rows(engine))
    yield
    after = (exported(run), run.json("cases", "list"), table_rows(engine))
    assert after[0] == before[0], "the event log changed"
    assert after[1] == before[1], "the case list changed"
    assert after[2] == before[2], "a table row changed"


def password_hash(tracker: Tracker, name: str) -> str:
    with tracker.transaction() as session:
        user = session.scalar(select(User).where(User.name == name))
        assert user is not None, name
        return user.password_hash


def password_works(tracker: Tracker, name: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(password_hash(tracker, name), password)
    except VerifyMismatchError:
        return False


# --- the commands under Flask's test runner -------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["seed-demo"], ["pending", "--json"], ["sweep", "--json"], ["demo", "--no-serve"]],
    ids=["seed-demo", "pending", "sweep", "demo"],
)
def test_top_level_commands_run_under_app_test_cli_runner(
    cli: FlaskCliRunner, args: list[str]
) -> None:
    """`app.test_cli_runner().invoke(args=...)` (the `cli` fixture) runs every command, as
    it runs the grouped ones: the command must not need `flask`'s group to push the context."""
    result = cli.invoke(args=args)
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0, result.stderr


# --- db upgrade -----------------------------------------------------------------------------


@pytest.fixture
def unmigrated(db_url: str, tmp_path: Path) -> Iterator[Cli]:
    """The CLI on an empty database (the app is built inside `flask`, which allows that)."""
    flask_app = create_app({"DATABASE_URL": db_url, "TESTING": True, "CHECK_SCHEMA": False})
    flask_app.config["CHECK_SCHEMA"] = True
    yield Cli(flask_app, flask_app.test_cli_runner())
    flask_app.extensions["db_engine"].dispose()


@pytest.mark.parametrize(
    "args",
    [
        ["cases", "list"],
        ["cases", "show", LV],
        ["cases", "open", "--country", "LV", "--treaty", "apmbc", "--by", "clerk"],
        ["seed-demo"],
        ["pending"],
        ["sweep"],
        ["audit", "verify"],
        ["audit", "export", "--format", "json"],
        ["users", "create", "dana", "--role", "clerk"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_commands_on_an_unmigrated_database_name_db_upgrade(
    unmigrated: Cli, args: list[str]
) -> None:
    unmigrated.fails(*args, field="is not migrated", mentions=["db upgrade"])
    # ... and they did not create the schema behind the user's back either.
    unmigrated.fails("cases", "list", field="is not migrated", mentions=["db upgrade"])


def test_db_upgrade_migrates_an_empty_database_and_is_idempotent(unmigrated: Cli) -> None:
    assert "newest schema" in unmigrated.ok("db", "upgrade").stdout
    assert unmigrated.json("cases", "list") == []
    assert exported(unmigrated) == []
    assert "newest schema" in unmigrated.ok("db", "upgrade").stdout
    assert unmigrated.json("cases", "list") == []


def test_workflow_commands_need_no_schema(unmigrated: Cli) -> None:
    names = {w["name"] for w in unmigrated.json("workflows", "list")}
    assert "apmbc/generic" in names
    assert unmigrated.ok("workflows", "check").stdout.startswith("ok:")


def test_db_upgrade_on_an_unreachable_database_is_one_error_line() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=3"
    flask_app = create_app({"DATABASE_URL": url, "TESTING": True, "CHECK_SCHEMA": False})
    try:
        result = Cli(flask_app, flask_app.test_cli_runner()).run("db", "upgrade")
    finally:
        flask_app.extensions["db_engine"].dispose()
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


# --- seed-demo ------------------------------------------------------------------------------


def test_seed_demo_adds_the_real_cases_and_one_practice_case_per_workflow(run: Cli) -> None:
    workflows = {w["name"] for w in run.json("workflows", "list")}
    out = run.ok("seed-demo").stdout
    expected = len(REAL_CASES) + len(workflows)
    assert out.startswith(f"{expected} case(s) added"), out
    assert LV in out and PRACTICE in out

    rows = run.json("cases", "list", "--practice")
    references = {r["reference"] for r in rows}
    assert len(rows) == expected
    assert {r["reference"] for r in run.json("cases", "list")} == references - {
        r["reference"] for r in rows if r["practice"]
    }, "practice cases are listed only when asked for"
    assert references >= REAL_CASES
    practice = [r for r in rows if r["practice"]]
    assert {r["workflow"] for r in practice} == workflows
    assert all(r["reference"].startswith("PRACTICE-") for r in practice)
    assert not any(r["practice"] for r in rows if r["reference"] in REAL_CASES)


def test_seed_demo_twice_adds_nothing(demo_cli: Cli, db_engine: Engine) -> None:
    with unchanged(demo_cli, db_engine):
        out = demo_cli.ok("seed-demo").stdout
    assert out.startswith("0 case(s) added"), out


def test_seed_demo_json(run: Cli) -> None:
    added = run.json("seed-demo")["added"]
    assert set(added) == {r["reference"] for r in run.json("cases", "list", "--practice")}
    assert run.json("seed-demo") == {"added": []}


# --- users create ---------------------------------------------------------------------------


def test_users_create_prints_a_generated_password_that_works(run: Cli, tracker: Tracker) -> None:
    out = run.ok("users", "create", "dana", "--role", "clerk").stdout
    match = re.fullmatch(r"created clerk dana with password (\S+)\n", out)
    assert match, out
    assert len(match.group(1)) >= 12
    assert password_works(tracker, "dana", match.group(1))
    # The new clerk may open a case at once.
    opened = run.json("cases", "open", "--country", "FI", "--treaty", "apmbc", "--by", "dana")
    assert opened["opened_by"] == "dana"


def test_users_create_reads_the_password_from_stdin(run: Cli, tracker: Tracker) -> None:
    out = run.ok(
        "users", "create", "erin", "--role", "viewer", "--password-stdin", input="a long secret\n"
    ).stdout
    assert out == "created viewer erin\n"
    assert password_works(tracker, "erin", "a long secret")
    assert not password_works(tracker, "erin", "a long secret\n")
    run.fails("cases", "open", "--country", "FI", "--treaty", "apmbc", "--by", "erin", field="user")


def test_users_create_json(run: Cli, tracker: Tracker) -> None:
    data = run.json("users", "create", "fay", "--role", "admin")
    assert data["name"] == "fay" and data["role"] == "admin"
    assert password_works(tracker, "fay", data["password"])


def test_users_create_with_a_bad_role_is_a_usage_error(run: Cli, db_engine: Engine) -> None:
    with unchanged(run, db_engine):
        run.usage_error(
            "users",
            "create",
            "dana",
            "--role",
            "boss",
            option="--role",
            mentions=["boss", "viewer", "clerk", "admin"],
        )


@pytest.mark.parametrize(
    ("args", "stdin", "field", "mentions"),
    [
        (["dana", "--role", "clerk", "--password-stdin"], "short\n", "password", ["12"]),
        (["dana", "--role", "clerk", "--password-stdin"], "\n", "password", ["12"]),
        (["clerk", "--role", "admin"], None, "name", ["'clerk'", "exists"]),
        (["two words", "--role", "clerk"], None, "name", ["'two words'"]),
    ],
    ids=["short-password", "empty-password", "duplicate-name", "bad-name"],
)
def test_users_create_bad_input(
    run: Cli,
    db_engine: Engine,
    tracker: Tracker,
    args: list[str],
    stdin: str | None,
    field: str,
    mentions: list[str],
) -> None:
    clerk_hash = password_hash(tracker, "clerk")
    with unchanged(run, db_engine):
        run.fails("users", "create", *args, field=field, mentions=mentions, input=stdin)
    assert password_hash(tracker, "clerk") == clerk_hash


# --- cases open -----------------------------------------------------------------------------


def test_cases_open_json(run: Cli) -> None:
    data = run.json(
        "cases",
        "open",
        "--country",
        "lv",
        "--treaty",
        "apmbc",
        "--by",
        "clerk",
        "--began-on",
        "2025-03-25",
        "--note",
        "Cabinet decision (source: LETA)",
    )
    assert data.keys() >= CASE_KEYS
    assert data["reference"] == "LV-APMBC-2025"
    assert data["country"] == "LV" and data["treaty"] == "apmbc"
    lv_flow = run.json("workflows", "show", "apmbc/lv")
    assert data["workflow"] == "apmbc/lv"  # the country's own procedure by default
    assert data["workflow_version"] == lv_flow["version"]
    assert data["state"] == lv_flow["initial"]
    assert data["opened_on"] == TODAY  # the record: opened today, by clerk
    assert data["opened_by"] == "clerk"
    assert data["procedure_began_on"] == "2025-03-25"
    assert data["note"] == "Cabinet decision (source: LETA)"
    assert [(h["seq"], h["trigger"], h["actor"]) for h in data["history"]] == [(1, "open", "clerk")]
    assert data["dates"]["deposited"] is None and data["dates"]["effective"] is None
    assert data["available_triggers"], "a new case has a first step to take"
    assert show(run, "LV-APMBC-2025")["state"] == data["state"]

    # The same country and treaty again, while the first is open: refused, naming it, unless
    # the second is asked for; then a distinct reference, in plain text.
    again = ("cases", "open", "--country", "LV", "--treaty", "apmbc", "--by", "clerk")
    run.fails(
        *again, "--began-on", "1 Jan 2025", field="allow_duplicate",
        mentions=["LV-APMBC-2025 is already an open withdrawal case", "--allow-duplicate"],
    )  # fmt: skip
    assert [c["reference"] for c in run.json("cases", "list")] == ["LV-APMBC-2025"]
    out = run.ok(*again, "--began-on", "2 Jan 2025", "--allow-duplicate")
    assert out.stdout == "opened LV-APMBC-2025-2\n"


def test_a_case_opened_today_takes_the_history_that_happened_before(run: Cli) -> None:
    """A monitoring organisation enters Hungary's 2025 Rome Statute withdrawal in 2026: the
    record is opened today, and each step goes in at its own date (treaty-actions.md, 2)."""
    opened = run.json(
        "cases", "open", "--country", "HU", "--treaty", "rome-statute", "--by", "clerk"
    )
    reference = opened["reference"]
    assert reference == "HU-ROME-STATUTE-2026"  # no date given: the year the record was opened
    assert (opened["opened_on"], opened["procedure_began_on"]) == (TODAY, None)
    history = (
        ("submit_to_parliament", "2025-04-03", []),
        ("adopt", "2025-05-20", ["votes_for=134", "votes_against=37", "abstained=7"]),
        ("sign", "2025-05-20..2025-06-02", []),
        ("deposit", "2025-06-02", []),
    )
    for trigger, on, evidence in history:
        run.ok(
            *("cases", "advance", reference, trigger, "--on", on, "--by", "clerk"),
            *(arg for pair in (("--evidence", e) for e in evidence) for arg in pair),
        )
    case = show(run, reference)
    assert case["state"] == "notice_period"
    assert case["dates"]["deposited"] == "2025-06-02"
    assert case["dates"]["effective"] == "2026-06-02"  # Art. 127(1): one year after receipt
    began = (case["procedure_began_on"], case["procedure_began_from"])
    assert began == ("2025-04-03", "first step")
    assert case["opened_on"] == TODAY and case["opened_by"] == "clerk"
    out = run.ok("cases", "show", reference).stdout
    assert f"opened     {TODAY} by clerk (the record)" in out
    assert "began      2025-04-03 (first step) (the procedure)" in out
    # Dates still never go backwards along the steps themselves.
    run.fails(
        *("cases", "advance", reference, "revoke", "--on", "2025-06-01", "--by", "clerk"),
        *("--evidence", "reason=a test of the date order"),
        field="occurred_on",
        mentions=["2025-06-02", "previous step"],
    )


def test_cases_open_with_a_named_workflow_defaults_to_today(run: Cli) -> None:
    data = run.json(
        "cases",
        "open",
        "--country",
        "FI",
        "--treaty",
        "rome-statute",
        "--workflow",
        "rome-statute/generic",
        "--by",
        "admin",
    )
    assert data["workflow"] == "rome-statute/generic"
    assert data["treaty"] == "rome-statute"
    assert data["opened_on"] == TODAY
    assert data["reference"] == "FI-ROME-STATUTE-2026"


OPEN = ("cases", "open", "--country", "LV", "--treaty", "apmbc", "--by", "clerk")


@pytest.mark.parametrize(
    ("args", "field", "mentions"),
    [
        (["--country", "XQ", "--treaty", "apmbc", "--by", "clerk"], "country", ["'XQ'", "LV"]),
        (["--country", "LVA", "--treaty", "apmbc", "--by", "clerk"], "country", ["'LVA'"]),
        (
            ["--country", "LV", "--treaty", "nato", "--by", "clerk"],
            "treaty",
            ["'nato'", "apmbc", "rome-statute", "vclt-56"],
        ),
        (["--country", "LV", "--treaty", "apmbc", "--by", "nobody"], "user", ["'nobody'"]),
        (["--country", "LV", "--treaty", "apmbc", "--by", "viewer"], "user", ["clerk"]),
        ([*OPEN[2:], "--began-on", "2026-11-28"], "began_on", ["2026-11-28", TODAY]),
        ([*OPEN[2:], "--began-on", "01.11.2026"], "began_on", ["YYYY-MM-DD"]),
        (
            [*OPEN[2:], "--workflow", "apmbc/pl"],
            "workflow",
            ["apmbc/pl", "of Poland, not of Latvia"],
        ),
        ([*OPEN[2:], "--workflow", "apmbc/xx"], "workflow", ["apmbc/generic"]),
        (
            [*OPEN[2:], "--workflow", "rome-statute/generic"],
            "workflow",
            ["rome-statute/generic", "under the Rome Statute, not the APMBC"],
        ),
    ],
    ids=[
        "unknown-country",
        "alpha-3-country",
        "unknown-treaty",
        "unknown-user",
        "viewer",
        "after-today",
        "bad-date",
        "other-countrys-workflow",
        "unknown-workflow",
        "other-treatys-workflow",
    ],
)
def test_cases_open_bad_input(
    run: Cli, db_engine: Engine, args: list[str], field: str, mentions: list[str]
) -> None:
    with unchanged(run, db_engine):
        run.fails("cases", "open", *args, field=field, mentions=mentions)


def test_cases_open_without_a_country_is_a_usage_error(run: Cli, db_engine: Engine) -> None:
    with unchanged(run, db_engine):
        run.usage_error("cases", "open", "--treaty", "apmbc", "--by", "clerk", option="--country")


# --- cases list -----------------------------------------------------------------------------


def test_cases_list_json_and_filters(demo_cli: Cli) -> None:
    rows = demo_cli.json("cases", "list")
    for r in rows:
        assert {"reference", "country", "treaty", "workflow", "state", "effective"} <= r.keys()
    lv = next(r for r in rows if r["reference"] == LV)
    assert (lv["state"], lv["effective"]) == ("effective", "2025-12-27")

    effective = demo_cli.json("cases", "list", "--state", "effective")
    assert {r["reference"] for r in effective} == {
        r["reference"] for r in rows if r["state"] == "effective"
    }
    assert LV in {r["reference"] for r in effective}
    assert PRACTICE not in {r["reference"] for r in effective}

    latvian = demo_cli.json("cases", "list", "--country", "lv")
    assert latvian and {r["country"] for r in latvian} == {"LV"}
    assert LV in {r["reference"] for r in latvian}

    rome = demo_cli.json("cases", "list", "--treaty", "rome-statute")
    assert {"BI-ROME-STATUTE-2016", "PH-ROME-STATUTE-2018"} <= {r["reference"] for r in rome}
    assert {r["treaty"] for r in rome} == {"rome-statute"}

    header, rule, *lines = demo_cli.ok("cases", "list").stdout.splitlines()
    assert header.split()[:3] == ["Case", "Country", "Treaty"] and set(rule) == {"-", " "}
    assert len(lines) == len(rows)
    latvia = next(line for line in lines if line.startswith(LV))
    assert "Latvia" in latvia and "2025-12-27" in latvia
    assert latvia.index("2025-12-27") == header.index("Effective"), "columns line up"

    closed = demo_cli.json("cases", "list", "--status", "closed", "--search", "latvia")
    assert [r["reference"] for r in closed] == [LV]


@pytest.mark.parametrize(
    ("args", "field", "mentions"),
    [
        (["--stage", "flying"], "stage", ["'flying'", "drafting", "effective"]),
        (["--kind", "divorce"], "kind", ["'divorce'", "withdrawal"]),
        (["--country", "XQ"], "country", ["'XQ'"]),
        (["--treaty", "nato"], "treaty", ["'nato'", "apmbc"]),
    ],
    ids=["unknown-stage", "unknown-kind", "unknown-country", "unknown-treaty"],
)
def test_cases_list_bad_filter(
    demo_cli: Cli, db_engine: Engine, args: list[str], field: str, mentions: list[str]
) -> None:
    """An unknown filter value is an error naming it, not an empty list."""
    with unchanged(demo_cli, db_engine):
        demo_cli.fails("cases", "list", *args, field=field, mentions=mentions)


# --- cases show -----------------------------------------------------------------------------


def test_cases_show_latvia(demo_cli: Cli) -> None:
    case = show(demo_cli, LV)
    assert case.keys() >= CASE_KEYS
    assert (case["reference"], case["country"], case["treaty"]) == (LV, "LV", "apmbc")
    assert case["state"] == "effective"
    dates = case["dates"]
    assert dates["deposited"] == "2025-06-27"
    assert dates["effective"] == "2025-12-27"
    assert dates["effective_basis"] == "2025-06-27 + 6 months, APMBC Art. 20(3)"
    assert case["available_triggers"] == []  # a final stage

    history = case["history"]
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    assert case["version"] >= len(history)
    for e in history:
        assert e.keys() >= HISTORY_KEYS, e
        assert re.fullmatch(r"[0-9a-f]{64}", e["hash"]), e["hash"]
        date.fromisoformat(e["occurred_on"])
        assert e["recorded_at"]
    assert len({e["hash"] for e in history}) == len(history)
    # The record was opened (demo_cli) today; the procedure's steps lie in 2025, in order.
    opening, *steps = history
    assert (opening["trigger"], opening["occurred_on"]) == ("open", TODAY)
    assert opening["actor"] == "system"
    assert case["procedure_began_on"] == steps[0]["occurred_on"] == "2025-03-25"
    for before, after in itertools.pairwise(history):
        assert after["from_state"] == before["to_state"]
    for before, after in itertools.pairwise(steps):
        assert after["occurred_on"] >= before["occurred_on"]
    by_trigger = {e["trigger"]: e for e in history}
    adopt = by_trigger["adopt"]
    assert (adopt["occurred_on"], adopt["to_state"]) == ("2025-04-16", "presidential_signature")
    votes = {k: adopt["evidence"][k] for k in ("votes_for", "votes_against", "abstained")}
    assert votes == {"votes_for": 66, "votes_against": 14, "abstained": 2}
    sign = by_trigger["sign"]
    assert (sign["occurred_on"], sign["occurred_until"]) == ("2025-04-23", "2025-04-24")
    deposit = by_trigger["deposit"]
    assert (deposit["occurred_on"], deposit["to_state"]) == ("2025-06-27", "notice_period")
    assert history[-1]["to_state"] == "effective"
    assert history[-1]["trigger"] == "take_effect"


def test_cases_show_text_and_case_insensitive_reference(demo_cli: Cli) -> None:
    out = demo_cli.ok("cases", "show", LV.lower()).stdout
    assert out.startswith(LV)
    assert "2025-12-27  (2025-06-27 + 6 months, APMBC Art. 20(3))" in out
    history = out[out.index("  history") :]
    assert history.split("\n")[1].split() == [
        "#",
        "Date",
        "Step",
        "Stage",
        "after",
        "By",
        "Comment",
    ]
    assert "Saeima adopts the law (final" in history  # steps and stages in words, wrapped
    assert "Depositary receives the" in history and "Withdrawal effective" in history
    assert "take_effect" not in history and "notice_period" not in history


def test_cases_show_as_of_rebuilds_the_past(demo_cli: Cli) -> None:
    full = show(demo_cli, LV)
    then = show(demo_cli, LV, "--as-of", "2025-05-01")
    assert then["as_of"] == "2025-05-01"
    assert then["state"] == "mfa_coordination"
    assert then["dates"]["deposited"] is None
    assert then["dates"]["effective"] is None
    assert [e["trigger"] for e in then["history"]] == [
        "submit_to_parliament",
        "record_reading",
        "adopt",
        "sign",
    ]
    # The record was opened after 2025-05-01: its opening is not part of that day's view.
    assert full["history"][0]["trigger"] == "open"
    assert then["history"] == full["history"][1 : len(then["history"]) + 1]
    assert "deposit" in {t["trigger"] for t in then["available_triggers"]}

    during = show(demo_cli, LV, "--as-of", "2025-07-01")
    assert during["state"] == "notice_period"
    assert during["dates"]["deposited"] == "2025-06-27"
    assert during["dates"]["effective"] == "2025-12-27"


@pytest.mark.parametrize(
    ("args", "field", "mentions"),
    [
        (["XX-NONE-2025"], "case", ["'XX-NONE-2025'", "cases list"]),
        ([LV, "--as-of", "2025-02-30"], "as_of", ["YYYY-MM-DD"]),
        ([LV, "--as-of", "yesterday"], "as_of", ["'yesterday'"]),
    ],
    ids=["unknown-case", "impossible-date", "not-a-date"],
)
def test_cases_show_bad_input(
    demo_cli: Cli, db_engine: Engine, args: list[str], field: str, mentions: list[str]
) -> None:
    with unchanged(demo_cli, db_engine):
        demo_cli.fails("cases", "show", *args, field=field, mentions=mentions)


# --- cases advance --------------------------------------------------------------------------


def test_cases_advance_json(demo_cli: Cli) -> None:
    before = show(demo_cli, PRACTICE)
    assert before["state"] == "drafting"
    after = demo_cli.json(
        "cases",
        "advance",
        PRACTICE,
        "submit_to_parliament",
        "--on",
        "2026-01-05",
        "--by",
        "clerk",
        "--comment",
        "Government bill tabled",
        "--evidence",
        "bill=Bill 12/2026",
    )
    assert after["state"] == "parliament"
    assert after["version"] == before["version"] + 1
    assert "history" not in after, "a write answers with the case's projection, not its history"
    event = after["recorded_event"]
    assert event["seq"] == len(before["history"]) + 1
    assert event["trigger"] == "submit_to_parliament"
    assert (event["from_state"], event["to_state"]) == ("drafting", "parliament")
    assert (event["occurred_on"], event["actor"]) == ("2026-01-05", "clerk")
    assert event["comment"] == "Government bill tabled"
    assert event["evidence"] == {"bill": "Bill 12/2026"}
    shown = show(demo_cli, PRACTICE)
    assert shown["history"][-1] == event
    assert {k: v for k, v in shown.items() if k != "history"} == {
        k: v for k, v in after.items() if k != "recorded_event"
    }

    adopted = demo_cli.json(
        "cases",
        "advance",
        PRACTICE,
        "adopt",
        "--on",
        "2026-02-10",
        "--by",
        "admin",
        "--evidence",
        "votes_for=60",
        "--evidence",
        "votes_against=30",
        "--evidence",
        "abstained=0",
    )
    assert adopted["state"] == "presidential_signature"
    assert adopted["recorded_event"]["evidence"] == {
        "votes_for": 60,
        "votes_against": 30,
        "abstained": 0,
    }
    assert "sign" in {t["trigger"] for t in adopted["available_triggers"]}


def test_cases_advance_text_and_an_approximate_date(demo_cli: Cli) -> None:
    out = demo_cli.ok(
        "cases",
        "advance",
        PRACTICE,
        "submit_to_parliament",
        "--on",
        "2026-01-05..2026-01-09",
        "--by",
        "clerk",
    ).stdout
    assert out.startswith(f"{PRACTICE}: Bill submitted to parliament, now at In parliament"), out
    event = show(demo_cli, PRACTICE)["history"][-1]
    assert (event["occurred_on"], event["occurred_until"]) == ("2026-01-05", "2026-01-09")


@pytest.fixture
def in_parliament(demo_cli: Cli) -> Cli:
    """PRACTICE-APMBC-GENERIC in parliament since 2026-01-05."""
    demo_cli.ok(
        "cases", "advance", PRACTICE, "submit_to_parliament", "--on", "2026-01-05", "--by", "clerk"
    )
    return demo_cli


VOTES = ("--evidence", "votes_for=60", "--evidence", "votes_against=30")


@pytest.mark.parametrize(
    ("args", "field", "mentions"),
    [
        (["XX-NONE-2025", "adopt", "--on", "2026-02-10", "--by", "clerk", *VOTES], "case", []),
        (
            [PRACTICE, "fly", "--on", "2026-02-10", "--by", "clerk"],
            "trigger",
            ["'fly'", "adopt"],
        ),
        (
            [PRACTICE, "sign", "--on", "2026-02-10", "--by", "clerk"],
            "trigger",
            ["'sign'", "parliament", "adopt"],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-02-10", "--by", "clerk"],
            "evidence.votes_for",
            ["required", "whole number"],
        ),
        (
            [
                PRACTICE,
                "adopt",
                "--on",
                "2026-02-10",
                "--by",
                "clerk",
                "--evidence",
                "votes_for=60",
            ],
            "evidence.votes_against",
            ["required"],
        ),
        (
            [
                *(PRACTICE, "adopt", "--on", "2026-02-10", "--by", "clerk"),
                *("--evidence", "votes_for=many", "--evidence", "votes_against=30"),
            ],
            "evidence.votes_for",
            ["'many'", "whole number"],
        ),
        (
            [
                *(PRACTICE, "adopt", "--on", "2026-02-10", "--by", "clerk"),
                *("--evidence", "votes_for=-1", "--evidence", "votes_against=30"),
            ],
            "evidence.votes_for",
            ["'-1'", ">= 0"],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-02-10", "--by", "clerk", "--evidence", "votes_for"],
            "evidence",
            ["'votes_for'", "KEY=VALUE"],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-02-10", "--by", "clerk", *VOTES, "--evidence", "x=1"],
            "evidence.x",
            ["votes_for", "votes_against"],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-01-04", "--by", "clerk", *VOTES],
            "occurred_on",
            ["2026-01-04", "2026-01-05"],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-11-28", "--by", "clerk", *VOTES],
            "occurred_on",
            ["2026-11-28", TODAY],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-01-10..2026-11-28", "--by", "clerk", *VOTES],
            "occurred_on",
            [TODAY],
        ),
        (
            [PRACTICE, "adopt", "--on", "10/02/2026", "--by", "clerk", *VOTES],
            "occurred_on",
            ["'10/02/2026'", "YYYY-MM-DD"],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-02-10..2026-02-01", "--by", "clerk", *VOTES],
            "occurred_on",
            ["EARLIEST..LATEST"],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-02-10", "--by", "nobody", *VOTES],
            "user",
            ["'nobody'", "users create"],
        ),
        (
            [PRACTICE, "adopt", "--on", "2026-02-10", "--by", "viewer", *VOTES],
            "user",
            ["'viewer'", "clerk"],
        ),
    ],
    ids=[
        "unknown-case",
        "unknown-trigger",
        "trigger-not-allowed-now",
        "missing-evidence",
        "missing-second-evidence",
        "ill-typed-evidence",
        "negative-votes",
        "malformed-evidence",
        "unknown-evidence-key",
        "date-before-previous-step",
        "date-after-today",
        "range-ending-after-today",
        "bad-date-format",
        "reversed-range",
        "unknown-user",
        "viewer",
    ],
)
def test_cases_advance_bad_input(
    in_parliament: Cli, db_engine: Engine, args: list[str], field: str, mentions: list[str]
) -> None:
    with unchanged(in_parliament, db_engine):
        in_parliament.fails("cases", "advance", *args, field=field, mentions=mentions)


def test_cases_advance_with_a_stale_expected_version(in_parliament: Cli, db_engine: Engine) -> None:
    current = show(in_parliament, PRACTICE)["version"]
    with unchanged(in_parliament, db_engine):
        in_parliament.fails(
            *("cases", "advance", PRACTICE, "adopt", "--on", "2026-02-10", "--by", "clerk"),
            *(*VOTES, "--expected-version", str(current - 1)),
            field="expected_version",
            mentions=[str(current), str(current - 1)],
        )
    moved = in_parliament.json(
        *("cases", "advance", PRACTICE, "adopt", "--on", "2026-02-10", "--by", "clerk"),
        *(*VOTES, "--expected-version", str(current)),
    )
    assert moved["version"] == current + 1


def test_cases_advance_a_trigger_of_a_later_stage_names_the_stage(
    demo_cli: Cli, db_engine: Engine
) -> None:
    """`adopt` on a case still in drafting: the error is that adopt is not allowed in this
    stage (and which steps are), not that its votes are missing."""
    with unchanged(demo_cli, db_engine):
        demo_cli.fails(
            *("cases", "advance", PRACTICE, "adopt", "--on", "2026-02-10", "--by", "clerk"),
            field="trigger",
            mentions=["'adopt'", "drafting", "submit_to_parliament"],
        )


def test_cases_advance_without_on_is_a_usage_error(demo_cli: Cli, db_engine: Engine) -> None:
    with unchanged(demo_cli, db_engine):
        demo_cli.usage_error(
            "cases", "advance", PRACTICE, "submit_to_parliament", "--by", "clerk", option="--on"
        )


# --- cases correct / undo -------------------------------------------------------------------


def test_cases_correct_evidence_adds_one_event(demo_cli: Cli) -> None:
    before = show(demo_cli, LV)
    after = demo_cli.json(
        *("cases", "correct", LV, "4", "--by", "admin"),
        *("--reason", "Saeima record: 67 for", "--evidence", "votes_for=67"),
    )
    assert len(after["history"]) == len(before["history"]) + 1
    assert after["history"][: len(before["history"])] == before["history"], "nothing rewritten"
    event = after["history"][-1]
    assert (event["actor"], event["occurred_on"]) == ("admin", TODAY)
    assert event["trigger"] not in APMBC_TRIGGERS
    assert event["evidence"]["corrects"] == 4
    assert event["evidence"]["reason"] == "Saeima record: 67 for"
    assert event["evidence"]["changes"]["evidence"] == {"votes_for": 67}
    assert after["version"] == before["version"] + 1
    assert after["state"] == "effective"
    assert after["dates"] == before["dates"]


def test_cases_correct_a_date_recomputes_the_effective_date(demo_cli: Cli) -> None:
    deposited = demo_cli.json(
        *("cases", "advance", PRACTICE_INTL, "deposit", "--on", "2026-06-01", "--by", "clerk"),
        *("--evidence", "reasons=Art. 20(2) explanation"),
    )
    assert deposited["dates"]["effective"] == "2026-12-01"
    out = demo_cli.ok(
        *("cases", "correct", PRACTICE_INTL, "2", "--by", "admin"),
        *("--reason", "receipt date per the C.N.", "--on", "2026-05-31"),
    ).stdout
    assert out == f"{PRACTICE_INTL}: event 2 corrected\n"
    case = show(demo_cli, PRACTICE_INTL)
    assert case["dates"]["deposited"] == "2026-05-31"
    assert case["dates"]["effective"] == "2026-11-30"
    assert case["dates"]["effective_basis"].startswith("2026-05-31 + 6 months")
    assert len(case["history"]) == 3  # the opening, the deposit and the correction
    assert case["history"][1] == deposited["recorded_event"], "the deposit is not rewritten"


FIX_ADOPT = ("cases", "correct", LV, "4")  # event 4: the Saeima adopts the law


@pytest.mark.parametrize(
    ("args", "field", "mentions"),
    [
        ([*FIX_ADOPT, "--by", "clerk", "--reason", "r", "--comment", "c"], "user", ["admin"]),
        ([*FIX_ADOPT, "--by", "viewer", "--reason", "r", "--comment", "c"], "user", ["admin"]),
        ([*FIX_ADOPT, "--by", "nobody", "--reason", "r", "--comment", "c"], "user", []),
        (
            [
                "cases",
                "correct",
                "XX-NONE-2025",
                "3",
                "--by",
                "admin",
                "--reason",
                "r",
                "--comment",
                "c",
            ],
            "case",
            [],
        ),
        (
            ["cases", "correct", LV, "99", "--by", "admin", "--reason", "r", "--comment", "c"],
            "seq",
            [],
        ),
        ([*FIX_ADOPT, "--by", "admin", "--reason", "r"], "changes", []),
        ([*FIX_ADOPT, "--by", "admin", "--reason", " ", "--comment", "c"], "reason", []),
        (
            [*FIX_ADOPT, "--by", "admin", "--reason", "r", "--evidence", "votes_for=lots"],
            "evidence.votes_for",
            ["'lots'"],
        ),
        (
            [*FIX_ADOPT, "--by", "admin", "--reason", "r", "--evidence", "votes_for"],
            "evidence",
            ["KEY=VALUE"],
        ),
        ([*FIX_ADOPT, "--by", "admin", "--reason", "r", "--on", "16.04.2025"], "occurred_on", []),
        (
            [*FIX_ADOPT, "--by", "admin", "--reason", "r", "--on", "2025-03-01"],
            "occurred_on",
            ["2025-03-01"],
        ),
        (
            ["cases", "correct", LV, "6", "--by", "admin", "--reason", "r", "--on", "2026-11-28"],
            "occurred_on",
            [TODAY],
        ),
    ],
    ids=[
        "clerk",
        "viewer",
        "unknown-user",
        "unknown-case",
        "unknown-seq",
        "no-change",
        "blank-reason",
        "ill-typed-evidence",
        "malformed-evidence",
        "bad-date-format",
        "date-before-previous-step",
        "date-after-today",
    ],
)
def test_cases_correct_bad_input(
    demo_cli: Cli, db_engine: Engine, args: list[str], field: str, mentions: list[str]
) -> None:
    with unchanged(demo_cli, db_engine):
        demo_cli.fails(*args, field=field, mentions=mentions)


def test_cases_correct_that_breaks_a_later_step_is_refused(
    demo_cli: Cli, db_engine: Engine
) -> None:
    """Moving Latvia's deposit a day later would move the effective date past the recorded
    take_effect: refused, naming the event that no longer fits."""
    with unchanged(demo_cli, db_engine):
        demo_cli.fails(
            *("cases", "correct", LV, "6", "--by", "admin", "--reason", "r"),
            *("--on", "2025-06-28"),
            field="occurred_on",
            mentions=["take_effect", "2025-12-28"],
        )


def test_cases_correct_without_a_reason_is_a_usage_error(demo_cli: Cli, db_engine: Engine) -> None:
    with unchanged(demo_cli, db_engine):
        demo_cli.usage_error(
            "cases", "correct", LV, "4", "--by", "admin", "--comment", "c", option="--reason"
        )


def test_cases_undo_adds_one_event_and_returns_to_the_previous_stage(demo_cli: Cli) -> None:
    deposited = demo_cli.json(
        *("cases", "advance", PRACTICE_INTL, "deposit", "--on", "2026-06-01", "--by", "clerk"),
        *("--evidence", "reasons=Art. 20(2) explanation"),
    )
    assert deposited["state"] == "notice_period"
    undone = demo_cli.json(
        "cases", "undo", PRACTICE_INTL, "--by", "admin", "--reason", "recorded on the wrong case"
    )
    assert undone["state"] == "mfa_coordination"
    assert undone["dates"]["deposited"] is None and undone["dates"]["effective"] is None
    assert len(undone["history"]) == 3  # the opening, the deposit and the undo
    assert undone["history"][1] == deposited["recorded_event"], "nothing removed or rewritten"
    event = undone["history"][2]
    assert (event["actor"], event["occurred_on"]) == ("admin", TODAY)
    assert event["trigger"] not in APMBC_TRIGGERS
    assert event["evidence"]["reason"] == "recorded on the wrong case"
    assert (event["from_state"], event["to_state"]) == ("notice_period", "mfa_coordination")
    assert undone["version"] == deposited["version"] + 1
    assert "deposit" in {t["trigger"] for t in undone["available_triggers"]}
    assert show(demo_cli, PRACTICE_INTL) == undone

    out = demo_cli.ok(
        *("cases", "advance", PRACTICE_INTL, "deposit", "--on", "2026-06-02", "--by", "clerk"),
        *("--evidence", "reasons=Art. 20(2) explanation"),
    ).stdout
    assert out.startswith(
        f"{PRACTICE_INTL}: Depositary receives the instrument, now at Notice period"
    )
    out = demo_cli.ok("cases", "undo", PRACTICE_INTL, "--by", "admin", "--reason", "again").stdout
    assert out == f"{PRACTICE_INTL}: back to MFA coordination\n"
    assert len(show(demo_cli, PRACTICE_INTL)["history"]) == 5


@pytest.mark.parametrize(
    ("args", "field", "mentions"),
    [
        ([LV, "--by", "clerk", "--reason", "r"], "user", ["'clerk'", "admin"]),
        ([LV, "--by", "viewer", "--reason", "r"], "user", ["admin"]),
        ([LV, "--by", "nobody", "--reason", "r"], "user", ["'nobody'"]),
        (["XX-NONE-2025", "--by", "admin", "--reason", "r"], "case", []),
        ([PRACTICE, "--by", "admin", "--reason", "r"], "case", [PRACTICE]),
        ([LV, "--by", "admin", "--reason", ""], "reason", []),
    ],
    ids=["clerk", "viewer", "unknown-user", "unknown-case", "no-step", "blank-reason"],
)
def test_cases_undo_bad_input(
    demo_cli: Cli, db_engine: Engine, args: list[str], field: str, mentions: list[str]
) -> None:
    with unchanged(demo_cli, db_engine):
        demo_cli.fails("cases", "undo", *args, field=field, mentions=mentions)


@pytest.mark.parametrize(
    "args",
    [
        ["advance", PRACTICE, "submit_to_parliament", "--on", TODAY],
        ["correct", LV, "1", "--reason", "no", "--comment", "x"],
        ["undo", LV, "--reason", "no"],
    ],
)
def test_nobody_records_as_the_system_actor(
    demo_cli: Cli, db_engine: Engine, args: list[str]
) -> None:
    with unchanged(demo_cli, db_engine):
        demo_cli.usage_error("cases", *args, "--by", "system", option="--by", mentions=["system"])


# --- sweep ----------------------------------------------------------------------------------


def test_sweep_fires_take_effect_once_the_date_has_come(demo_cli: Cli) -> None:
    demo_cli.ok(
        *("cases", "advance", PRACTICE_INTL, "deposit", "--on", "2026-01-10", "--by", "clerk"),
        *("--evidence", "reasons=Art. 20(2) explanation"),
    )
    early = demo_cli.json("sweep", "--today", "2026-07-09")
    assert PRACTICE_INTL not in {r["case"] for r in early}
    assert show(demo_cli, PRACTICE_INTL)["state"] == "notice_period"

    fired = demo_cli.json("sweep")
    assert {
        "case": PRACTICE_INTL,
        "trigger": "take_effect",
        "label": TAKES_EFFECT,
        "on": "2026-07-10",
    } in fired
    case = show(demo_cli, PRACTICE_INTL)
    assert case["state"] == "effective"
    assert case["dates"]["effective"] == "2026-07-10"
    last = case["history"][-1]
    assert (last["trigger"], last["occurred_on"]) == ("take_effect", "2026-07-10")
    assert last["actor"] not in {"viewer", "clerk", "admin"}

    again = demo_cli.ok("sweep").stdout
    assert PRACTICE_INTL not in again
    assert again.rstrip().endswith("0 case(s) advanced")
    assert len(show(demo_cli, PRACTICE_INTL)["history"]) == len(case["history"])


@pytest.mark.parametrize(
    ("args", "field", "mentions"),
    [
        (["--today", "2026-11-28"], "today", ["2026-11-28", TODAY]),
        (["--today", "tomorrow"], "today", ["'tomorrow'", "YYYY-MM-DD"]),
    ],
    ids=["future", "not-a-date"],
)
def test_sweep_bad_input(
    demo_cli: Cli, db_engine: Engine, args: list[str], field: str, mentions: list[str]
) -> None:
    demo_cli.ok(
        *("cases", "advance", PRACTICE_INTL, "deposit", "--on", "2026-01-10", "--by", "clerk"),
        *("--evidence", "reasons=Art. 20(2) explanation"),
    )
    with unchanged(demo_cli, db_engine):
        demo_cli.fails("sweep", *args, field=field, mentions=mentions)


def test_sweep_refuses_a_day_after_the_injected_today(demo_cli: Cli, today: Today) -> None:
    today.day = date(2026, 3, 1)
    demo_cli.fails("sweep", "--today", "2026-03-02", field="today", mentions=["2026-03-01"])


# --- pending --------------------------------------------------------------------------------


def test_pending_json_lists_the_open_cases_with_their_triggers(demo_cli: Cli) -> None:
    assert not [p for p in demo_cli.json("pending") if p["reference"].startswith("PRACTICE-")]
    items = demo_cli.json("pending", "--practice")
    by_ref = {p["reference"]: p for p in items}
    practice = {
        r["reference"] for r in demo_cli.json("cases", "list", "--practice") if r["practice"]
    }
    assert practice <= by_ref.keys()
    for p in items:
        assert {"reference", "state", "steps", "next_date"} <= p.keys()
        assert p["steps"], f"{p['reference']} is open, so it has a next step"
        for step in p["steps"]:
            assert step["trigger"] and step["roles"]
    generic = by_ref[PRACTICE]
    assert generic["state"] == "drafting"
    assert [s["trigger"] for s in generic["steps"]] == ["submit_to_parliament", "revoke"]
    assert next(s["trigger"] for s in by_ref[PRACTICE_INTL]["steps"]) == "deposit"
    assert LV not in by_ref, "an effective case is not pending"

    out = demo_cli.ok("pending", "--practice").stdout
    assert out.splitlines()[0].split()[:2] == ["Case", "Stage"]
    practice = next(line for line in out.splitlines() if line.startswith(PRACTICE + " "))
    assert "Drafting" in practice and "Bill submitted to parliament" in practice, "labels, not ids"


def test_pending_as_of_a_past_date(demo_cli: Cli) -> None:
    items = demo_cli.json("pending", "--as-of", "2025-07-01")
    lv = next(p for p in items if p["reference"] == LV)
    assert lv["state"] == "notice_period"
    assert lv["next_date"]["on"] == "2025-12-27"
    assert lv["next_date"]["what"] == "takes effect"
    assert lv["next_date"]["days_from_today"] == (date(2025, 12, 27) - date(2025, 7, 1)).days
    assert "2025-06-27 + 6 months" in lv["next_date"]["basis"]
    assert "take_effect" in {s["trigger"] for s in lv["steps"]}
    assert "BI-ROME-STATUTE-2016" not in {p["reference"] for p in items}  # effective in 2017


@pytest.mark.parametrize("value", ["2025-13-01", "soon"])
def test_pending_bad_as_of(demo_cli: Cli, db_engine: Engine, value: str) -> None:
    with unchanged(demo_cli, db_engine):
        demo_cli.fails("pending", "--as-of", value, field="as_of", mentions=[f"'{value}'"])


# --- audit verify / export ------------------------------------------------------------------


def test_audit_verify_intact(demo_cli: Cli) -> None:
    events = exported(demo_cli)
    cases = {e["case"] for e in events}
    out = demo_cli.ok("audit", "verify").stdout
    assert out == f"intact: {len(events)} events in {len(cases)} cases\n"
    data = demo_cli.json("audit", "verify")
    assert data["intact"] is True
    assert (data["events"], data["cases"]) == (len(events), len(cases))


def _edit_event_behind_the_apps_back(engine: Engine, reference: str, seq: int) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
        else:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.execute(
            text(
                "UPDATE events SET comment = 'edited' WHERE seq = :seq AND case_id = "
                "(SELECT id FROM cases WHERE reference = :ref)"
            ),
            {"seq": seq, "ref": reference},
        )


def test_audit_verify_names_the_first_edited_event(demo_cli: Cli, db_engine: Engine) -> None:
    _edit_event_behind_the_apps_back(db_engine, LV, 3)
    assert show(demo_cli, LV)["history"][2]["comment"] == "edited"
    demo_cli.fails("audit", "verify", field="event 3", mentions=[LV, "broken"])


def test_audit_export_json(demo_cli: Cli) -> None:
    events = exported(demo_cli)
    references = [r["reference"] for r in demo_cli.json("cases", "list", "--practice")]
    histories = {ref: show(demo_cli, ref)["history"] for ref in references}
    assert len(events) == sum(len(h) for h in histories.values())
    for e in events:
        assert {"case", *HISTORY_KEYS} <= e.keys()
    lv = [e for e in events if e["case"] == LV]
    assert [(e["seq"], e["hash"]) for e in lv] == [(e["seq"], e["hash"]) for e in histories[LV]]


def test_audit_export_csv_has_a_header_and_one_row_per_event(demo_cli: Cli) -> None:
    events = exported(demo_cli)
    out = demo_cli.ok("audit", "export", "--format", "csv").stdout
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames is not None
    assert {"case", *HISTORY_KEYS} <= set(reader.fieldnames)
    rows = list(reader)
    assert len(rows) == len(events)
    assert [(r["case"], int(r["seq"]), r["hash"]) for r in rows] == [
        (e["case"], e["seq"], e["hash"]) for e in events
    ]
    adopt = next(r for r in rows if r["case"] == LV and r["trigger"] == "adopt")
    assert json.loads(adopt["evidence"])["votes_for"] == 66


def test_audit_export_of_an_empty_log(run: Cli) -> None:
    assert exported(run) == []
    out = run.ok("audit", "export", "--format", "csv").stdout
    assert len(out.splitlines()) == 1 and out.startswith("case,")


def test_audit_export_unknown_format_is_a_usage_error(demo_cli: Cli, db_engine: Engine) -> None:
    with unchanged(demo_cli, db_engine):
        demo_cli.usage_error(
            "audit", "export", "--format", "xml", option="--format", mentions=["csv", "json"]
        )


# --- workflows ------------------------------------------------------------------------------


def test_workflows_check_and_list(run: Cli) -> None:
    rows = run.json("workflows", "list")
    names = {r["name"] for r in rows}
    assert {"apmbc/generic", "rome-statute/generic", "vclt-56/generic"} <= names
    for r in rows:
        assert r["version"] and r["label"]
    out = run.ok("workflows", "check").stdout
    assert out == f"ok: 18 treaties, {len(rows)} workflows\n"
    assert "apmbc/generic" in run.ok("workflows", "list").stdout


def test_workflows_show_the_generic_apmbc_withdrawal(run: Cli) -> None:
    flow = run.json("workflows", "show", "apmbc/generic")
    assert flow["name"] == "apmbc/generic" and flow["treaty"] == "apmbc"
    assert {s["id"] for s in flow["stages"]} == APMBC_STATES
    transitions = {t["trigger"]: t for t in flow["transitions"]}
    assert set(transitions) == APMBC_TRIGGERS
    adopt = transitions["adopt"]
    assert (adopt["sources"], adopt["dest"]) == (["parliament"], "presidential_signature")
    evidence = {f["key"]: f for f in adopt["evidence"]}
    assert evidence["votes_for"]["required"] and evidence["votes_for"]["type"] == "int"
    assert evidence["votes_against"]["required"]
    assert not evidence["abstained"]["required"]
    deposit = {f["key"]: f for f in transitions["deposit"]["evidence"]}
    assert deposit["reasons"]["required"]
    assert flow["clock"]["notice_period"] == "6 months"
    out = run.ok("workflows", "show", "apmbc/generic").stdout
    assert "adopt" in out and "presidential_signature" in out


def test_workflows_show_unknown(run: Cli) -> None:
    run.fails("workflows", "show", "apmbc/nowhere", field="workflow", mentions=["'apmbc/nowhere'"])


@pytest.mark.parametrize(
    "args", [["check"], ["list"], ["show", "apmbc/generic"]], ids=["check", "list", "show"]
)
def test_workflows_broken_file_is_named(run: Cli, tmp_path: Path, args: list[str]) -> None:
    broken = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, broken)
    generic = broken / "procedures" / "generic.yaml"
    source = generic.read_text(encoding="utf-8")
    assert "dest: presidential_signature" in source
    generic.write_text(
        source.replace("dest: presidential_signature", "dest: nowhere_stage", 1), encoding="utf-8"
    )
    run.app.config["WORKFLOWS_DIR"] = broken
    result = run.run("workflows", *args)
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "generic.yaml" in lines[0] and "nowhere_stage" in lines[0], lines[0]


# --- demo -----------------------------------------------------------------------------------


def _demo_users(out: str) -> dict[str, tuple[str, str]]:
    found = {}
    for line in out.splitlines():
        if match := DEMO_USER_LINE.match(line):
            role, name, password = match.groups()
            assert role not in found, f"two {role} users printed"
            found[role] = (name, password)
    return found


def test_demo_no_serve_seeds_and_prints_one_user_per_role(
    run: Cli, tracker: Tracker, db_engine: Engine
) -> None:
    first = run.ok("demo", "--no-serve").stdout
    assert "serving" not in first
    users = _demo_users(first)
    assert set(users) == {"viewer", "clerk", "admin"}, first
    for role, (name, password) in users.items():
        assert password_works(tracker, name, password), role
        with tracker.transaction() as session:
            account = session.scalar(select(User).where(User.name == name))
            assert account is not None and account.role == role
    references = {r["reference"] for r in run.json("cases", "list", "--practice")}
    assert references >= REAL_CASES and PRACTICE in references
    assert show(run, LV)["dates"]["effective"] == "2025-12-27"

    events = exported(run)
    second = run.ok("demo", "--no-serve").stdout
    assert {r["reference"] for r in run.json("cases", "list", "--practice")} == references
    assert len(run.json("cases", "list", "--practice")) == len(references)
    assert exported(run) == events, "a second demo run records nothing new"
    again = _demo_users(second)
    assert set(again) == {"viewer", "clerk", "admin"}
    for role, (name, password) in again.items():
        assert password_works(tracker, name, password), role
    # The demo prints working passwords; the first run's are replaced, not kept.
    assert not password_works(tracker, users["admin"][0], users["admin"][1])


def test_demo_on_an_empty_database_migrates_it(unmigrated: Cli) -> None:
    out = unmigrated.ok("demo", "--no-serve").stdout
    assert set(_demo_users(out)) == {"viewer", "clerk", "admin"}
    assert LV in {r["reference"] for r in unmigrated.json("cases", "list")}


def test_demo_with_a_bad_port_is_a_usage_error(run: Cli, db_engine: Engine) -> None:
    with unchanged(run, db_engine):
        run.usage_error("demo", "--no-serve", "--port", "http", option="--port")
