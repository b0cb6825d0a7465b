"""CSV cells that a spreadsheet would run as formulas are made text (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from app.services.spreadsheet import csv_chunks, safe_cell


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x")', "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]
)
def test_a_formula_becomes_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Bill 7", "", "2026-01-05", "ab12ef", "a=b", 3, None])
def test_other_cells_are_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_the_rows_are_made_safe_cell_by_cell_in_chunks_that_add_up() -> None:
    rows = [{"comment": "=1+1", "seq": n} for n in range(5)] + [{"seq": 5}]
    chunks = list(csv_chunks(("seq", "comment"), rows, rows_per_chunk=2))
    assert len(chunks) == 4  # the header with two rows, two rows, two rows, the rest (none)
    parsed = list(csv.reader(io.StringIO("".join(chunks))))
    assert parsed[0] == ["seq", "comment"]
    assert parsed[1:] == [[str(n), "'=1+1"] for n in range(5)] + [["5", ""]]


def test_only_the_columns_vouched_plain_skip_the_check() -> None:
    rows = [{"hash": "-1", "comment": "-1"}]
    text = "".join(csv_chunks(("hash", "comment"), rows, plain={"hash"}))
    assert text.splitlines()[1] == "-1,'-1"
