"""Hostile input and careless deployment: formulas in exports, no 5xx from odd input, host
headers, refusals to start unsafely, and sessions that time out."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from app.services.cases import advance
from app.services.context import Tracker
from app.services.spreadsheet import FORMULA_STARTS
from tests.web.conftest import PRACTICE, SignIn

FORMULAS = ('=HYPERLINK("http://x")', "+1+1", "-1+1", "@SUM(A1)")

# ------------------------------------------------------------------- formulas in CSV exports


@pytest.fixture
def formulas(practice: Tracker) -> Tracker:
    """The practice case with one step whose comment and evidence are each a formula."""
    advance(practice, PRACTICE, "submit_to_parliament", "2026-01-05", "clerk", FORMULAS[0])
    for n, formula in enumerate(FORMULAS[1:], start=1):
        advance(
            practice, PRACTICE, "record_reading", f"2026-02-0{n}", "clerk", formula,
            {"chamber": formula, "reading": str(n)},
        )  # fmt: skip
    return practice


def _assert_no_formula_cells(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    comments = {row["comment"] for row in rows if row["case"] == PRACTICE}
    assert {"'" + f for f in FORMULAS} <= comments
    return rows


def test_web_csv_export_makes_formulas_text(formulas: Tracker, signed_in: SignIn) -> None:
    response = signed_in("viewer").get("/audit/export.csv")
    assert response.status_code == 200
    rows = _assert_no_formula_cells(response.get_data(as_text=True))
    evidence = [json.loads(r["evidence"]) for r in rows if r["trigger"] == "record_reading"]
    assert {e["chamber"] for e in evidence} == set(FORMULAS[1:])  # inside JSON: verbatim


def test_cli_csv_export_makes_formulas_text(formulas: Tracker, cli: FlaskCliRunner) -> None:
    result = cli.invoke(args=["audit", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    _assert_no_formula_cells(result.stdout)


def test_json_export_keeps_formulas_verbatim(formulas: Tracker, app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "export", "--format", "json"])
    comments = {e["comment"] for e in json.loads(result.stdout) if e["case"] == PRACTICE}
    assert set(FORMULAS) <= comments
