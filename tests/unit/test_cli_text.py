"""The CLI's words for a date's distance from today, and its tables."""

from __future__ import annotations

import pytest

from app.cli.text import days_from_today, table


@pytest.mark.parametrize(
    ("days", "words"),
    [(0, "today"), (1, "in 1 day"), (30, "in 30 days"), (-1, "1 day overdue"),
     (-182, "182 days overdue")],
)  # fmt: skip
def test_days_from_today_never_says_in_minus(days: int, words: str) -> None:
    assert days_from_today(days) == words


def test_a_table_has_its_headers_and_aligned_columns() -> None:
    shown = table(("Case", "Next"), [("LV-APMBC-2025", "-"), ("EE", "x")])
    header, _rule, *rows = shown.split("\n")
    assert header.split() == ["Case", "Next"]
    assert rows[0].rindex("-") == rows[1].index("x") == header.index("Next")
