"""The case counts the database keeps (`case_counts`): moved by its triggers with every write
of a case row, whatever writes it, read by the lists' totals, the dashboard and the treaty
pages, back-filled by their migration and checked by `audit verify`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, insert, text

from app.persistence.migrate import downgrade, upgrade
from app.persistence.models import COUNTED_BY, Case
from app.services import reports
from app.services.audit import verify_audit
from app.services.case_filter import CaseFilter
from app.services.case_list import search_cases
from app.services.cases import sweep, undo_last
from app.services.context import Tracker
from app.services.demo import seed_demo
from app.services.queries import pending_page
from app.services.treaties import case_counts
from tests.conftest import MIGRATIONS, Today
from tests.integration.conftest import open_walked

KEY = ", ".join(COUNTED_BY)
Counts = dict[tuple[object, ...], int]


def kept(engine: Engine) -> Counts:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {KEY}, cases FROM case_counts WHERE cases <> 0"))
        return {tuple(r[:-1]): r[-1] for r in rows}


def counted(engine: Engine) -> Counts:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {KEY}, count(*) FROM cases GROUP BY {KEY}"))
        return {tuple(r[:-1]): r[-1] for r in rows}


def finnish(engine: Engine) -> Counts:
    return {k: n for k, n in kept(engine).items() if k[2] == "FI" and k[0] == "apmbc"}


def test_the_counts_follow_an_advance_the_sweeps_batch_and_an_undo(
    tracker: Tracker, db_engine: Engine, today: Today
) -> None:
    seed_demo(tracker)  # Finland's real case took effect on 2026-01-10
    assert kept(db_engine) == counted(db_engine)
    effective = ("apmbc", "withdrawal", "FI", "effective", True, False)
    assert finnish(db_engine) == {effective: 1}

    reference = open_walked(tracker)  # a second Finnish case, deposited 2025-07-10
    noticed = ("apmbc", "withdrawal", "FI", "notice_period", False, False)
    assert finnish(db_engine) == {effective: 1, noticed: 1}

    today.day = date(2026, 1, 10)
    assert [s["case"] for s in sweep(tracker)] == [reference]
    assert finnish(db_engine) == {effective: 2}

    undo_last(tracker, reference, "admin", "recorded on the wrong case")
    assert finnish(db_engine) == {effective: 1, noticed: 1}
    assert kept(db_engine) == counted(db_engine)
    assert verify_audit(tracker).intact


def test_the_lists_dashboard_and_treaty_pages_count_from_the_kept_counts(
    tracker: Tracker, db_engine: Engine
) -> None:
    seed_demo(tracker)
    open_walked(tracker)
    rows = counted(db_engine)
    real_open = sum(n for k, n in rows.items() if not k[4] and not k[5])
    assert pending_page(tracker, practice=False).total == real_open
    in_notice = sum(n for k, n in rows.items() if k[3] == "notice_period" and not k[5])
    found = search_cases(tracker, CaseFilter(stage="notice_period"))
    assert found.total == in_notice == len(found.items)
    apmbc = case_counts(tracker)["apmbc"]
    assert (apmbc.total, apmbc.open) == (
        sum(n for k, n in rows.items() if k[0] == "apmbc" and not k[5]),
        sum(n for k, n in rows.items() if k[0] == "apmbc" and not k[4] and not k[5]),
    )
    # a count changed behind the application's back is what every one of them shows
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE case_counts SET cases = cases + 5 WHERE state = 'notice_period'"))
    assert search_cases(tracker, CaseFilter(stage="notice_period")).total > in_notice
    board = {(c.treaty, c.state): c.cases for c in reports.dashboard(tracker).counts}
    assert board[("apmbc", "notice_period")] > in_notice


def test_audit_verify_names_a_count_changed_behind_the_applications_back(
    tracker: Tracker, db_engine: Engine
) -> None:
    seed_demo(tracker)
    with db_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE case_counts SET cases = cases - 1 WHERE country = 'FI' "
                "AND state = 'effective' AND practice = :no"
            ),
            {"no": False},
        )

    result = verify_audit(tracker)

    assert result.first_break is not None
    assert str(result.first_break) == (
        "the case counts hold 0 cases of treaty 'apmbc', kind 'withdrawal', country 'FI', "
        "state 'effective', final True, practice False; the case rows 1 (the counts were "
        "changed behind the application's back)"
    )


def test_rows_written_by_plain_sql_are_counted_too(tracker: Tracker, db_engine: Engine) -> None:
    """A bulk load or a later migration's SQL writes the case rows without the application."""
    seed_demo(tracker)
    with db_engine.begin() as conn:
        opener = conn.execute(text("SELECT id FROM users WHERE name = 'clerk'")).scalar_one()
        row = {
            "country": "XK", "treaty": "apmbc", "workflow": "apmbc/generic",
            "workflow_version": "2.1", "practice": False, "opened_on": date(2026, 1, 1),
            "note": "", "opened_by_id": opener, "state": "drafting", "kind": "withdrawal",
            "final": False, "event_count": 0, "clock_state": {}, "version": 1,
        }  # fmt: skip
        rows = [{**row, "reference": f"XK-APMBC-2026-{i}"} for i in range(3)]
        conn.execute(insert(Case.__table__), rows)
        conn.execute(text("UPDATE cases SET state = 'parliament' WHERE reference LIKE 'XK-%1'"))
    xk = {k[3]: n for k, n in kept(db_engine).items() if k[2] == "XK"}
    assert xk == {"drafting": 2, "parliament": 1}


def test_the_migration_fills_the_counts_from_the_case_rows(
    tracker: Tracker, db_engine: Engine, migrated_url: str
) -> None:
    seed_demo(tracker)
    before = counted(db_engine)
    downgrade(MIGRATIONS, migrated_url, "0011")
    upgrade(MIGRATIONS, migrated_url)
    assert kept(db_engine) == before
    assert verify_audit(tracker).intact


@pytest.mark.parametrize("shown", [2, 1000])
def test_the_dashboard_counts_the_upcoming_dates_up_to_its_limit(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch, shown: int
) -> None:
    seed_demo(tracker)
    monkeypatch.setattr(reports, "UPCOMING_SHOWN", 1)
    monkeypatch.setattr(reports, "UPCOMING_COUNTED", shown)
    board = reports.dashboard(tracker)
    due = pending_page(
        tracker, due_by=board.today + timedelta(days=reports.UPCOMING_DAYS),
        practice=False,
    )  # fmt: skip
    assert due.total > 2, "the demo has more than two dates in the next 90 days"
    assert board.upcoming_total == min(due.total, shown)
    assert board.upcoming_counted_all == (due.total < shown)
