"""Plain words: the one date parser of every input, and how the pages read the domain's
sentences (dates as on the pages, fields by their labels)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.clock import parse_date, parse_span
from app.domain.definitions import EvidenceField
from app.domain.errors import InvalidInput
from app.web.format import dates_in, overdue, said


@pytest.mark.parametrize(
    "text",
    ["2025-05-01", "1 May 2025", "01 may 2025", " 1 May 2025 ", "1 May, 2025"],
)
def test_a_date_is_read_as_iso_or_as_day_month_name_year(text: str) -> None:
    assert parse_date(text, "began_on") == date(2025, 5, 1)


def test_a_month_may_be_written_out_or_shortened() -> None:
    assert parse_date("27 December 2025", "x") == parse_date("27 Dec 2025", "x")
    assert parse_date("1 Sept 2025", "x") == date(2025, 9, 1)


@pytest.mark.parametrize("text", ["05/01/2025", "1.5.2025", "31 Feb 2025", "1 Mayo 2025", ""])
def test_what_could_be_misread_or_is_no_day_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_date(text, "began_on")
    assert refused.value.field == "began_on"
    assert "write it as 2025-05-01 (YYYY-MM-DD) or 1 May 2025" in refused.value.message


def test_a_range_may_be_written_in_either_form() -> None:
    assert str(parse_span("23 Apr 2025..24 Apr 2025")) == "2025-04-23..2025-04-24"


def test_a_date_evidence_field_reads_the_same_forms_and_stores_iso() -> None:
    field = EvidenceField("in_force_since", "date")
    assert field.parse("4 Nov 2016") == "2016-11-04"
    with pytest.raises(InvalidInput, match=r"evidence\.in_force_since: '11/04/2016' is not a date"):
        field.parse("11/04/2016")


def test_a_field_of_a_set_form_gives_its_example_not_its_pattern() -> None:
    field = EvidenceField(
        "depositary_reference",
        "text",
        help="e.g. C.N.180.2026.TREATIES-XXVI.5",
        pattern=r"C\.N\.[0-9]+\.[0-9]{4}\.TREATIES-[IVXLC]+\.[0-9]+",
    )
    with pytest.raises(InvalidInput) as refused:
        field.parse("CN 180")
    assert "in the form C.N.180.2026.TREATIES-XXVI.5" in refused.value.message
    assert "\\" not in refused.value.message and "[0-9]" not in refused.value.message


@pytest.mark.parametrize(
    "address",
    ["javascript:alert(1)", "ftp://example.org/x", "www.un.org", "https://", "http://a b"],
)
def test_a_source_address_is_http_or_https_only(address: str) -> None:
    field = EvidenceField("source_url", "url", label="Source address")
    with pytest.raises(InvalidInput) as refused:
        field.parse(address)
    assert refused.value.field == "evidence.source_url"
    assert "http:// or https://" in refused.value.message


def test_a_source_address_keeps_a_web_address() -> None:
    field = EvidenceField("source_url", "url")
    assert field.parse(" https://treaties.un.org/doc/x.pdf ") == "https://treaties.un.org/doc/x.pdf"


def test_the_pages_read_a_basis_with_their_own_dates() -> None:
    assert (
        dates_in("2025-06-27 + 6 months, APMBC Art. 20(3)")
        == "27 Jun 2025 + 6 months, APMBC Art. 20(3)"
    )
    assert dates_in("receipt known only within 2021-03-01..2021-03-31") == (
        "receipt known only within 1 Mar 2021..31 Mar 2021"
    )
    # Not a date, or part of a reference: left as it is; the ISO format's own example too.
    assert dates_in("2025-02-30; C.N.2025-01-01x") == "2025-02-30; C.N.2025-01-01x"
    assert dates_in("write 2025-05-01 (YYYY-MM-DD)") == "write 2025-05-01 (YYYY-MM-DD)"


def test_an_error_names_its_field_by_the_label() -> None:
    message = "occurred_on: 2026-12-01 lies after today (2026-11-27); record only what has happened"
    assert said(message, "occurred_on") == (
        "Date it happened: 1 Dec 2026 lies after today (27 Nov 2026); record only what has happened"
    )
    assert said("evidence.votes_for: required", "evidence.votes_for", "Votes for") == (
        "Votes for: required"
    )
    assert said("evidence.bill_no: required", "evidence.bill_no") == "Bill no: required"


@pytest.mark.parametrize(
    ("days", "text"),
    [(-182, "182 days overdue"), (-1, "1 day overdue"), (0, "due today"), (1, "due tomorrow"),
     (5, "due in 5 days")],
)  # fmt: skip
def test_how_far_a_due_date_is(days: int, text: str) -> None:
    assert overdue(days) == text
