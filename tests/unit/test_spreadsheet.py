"""CSV cells that a spreadsheet would run as formulas are made text (OWASP CSV injection)."""

from __future__ import annotations

import pytest

from app.services.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x")', "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]
)
def test_a_formula_becomes_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Bill 7", "", "2026-01-05", "ab12ef", "a=b", 3, None])
def test_other_cells_are_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_a_row_is_made_safe_cell_by_cell() -> None:
    assert safe_row({"comment": "=1+1", "seq": 2}) == {"comment": "'=1+1", "seq": 2}
