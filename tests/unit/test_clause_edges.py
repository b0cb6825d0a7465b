"""The edges issue 9 names for every clause kind that the other clock tests do not already
cover: periods in days over a year end and a leap day, a named date counted in days over a
leap February, the UNFCCC bar on the day before and the day itself, a fiscal year's last day
of its first nine months, and a withdrawal that follows another treaty's (Paris Art. 28(3)).
Dates only: the basis sentences are worded elsewhere."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.case import CaseState
from app.domain.clock import (
    DateSpan,
    check_eligibility,
    check_named_date,
    effective_date,
    first_notice_day,
    one_date_for_span,
)
from app.domain.errors import InvalidInput, NotAllowed

D = date.fromisoformat


@pytest.fixture
def clock_of(registry):
    return lambda code: registry.treaty(code).clock


@pytest.mark.parametrize(
    ("code", "received", "effective"),
    [
        ("att", "2023-12-03", "2024-03-02"),  # 90 days over a year end and 29 February 2024
        ("cwc", "2025-12-03", "2026-03-03"),  # the same days in a common year
        ("paris", "2025-12-31", "2026-12-31"),  # 12 months from a year's last day
        ("unfccc", "2024-02-29", "2025-02-28"),  # 12 months from a leap day: clipped
        ("ilo", "2024-02-29", "2026-02-28"),  # 24 months from a leap day
        ("ilo", "2026-02-28", "2028-02-28"),  # 24 months to a leap year: the 28th stays
        ("npt", "2025-11-30", "2026-02-28"),  # 3 months to a February: clipped
        ("echr", "2022-03-16", "2022-09-16"),  # Russia: membership ceased, six months (sec. 10)
    ],
)
def test_period_after_receipt_at_year_ends_month_ends_and_leap_days(
    clock_of, code, received, effective
):
    assert effective_date(clock_of(code), D(received)).on == D(effective)


@pytest.mark.parametrize(
    ("notice", "earliest"),
    [
        ("2023-10-01", "2024-02-28"),  # 150 days over a year end, into a leap February
        ("2023-10-03", "2024-03-01"),  # two days later: 29 February counts
        ("2025-08-05", "2026-01-02"),  # over a year end in a common year
    ],
)
def test_cfe_named_date_counts_150_calendar_days(clock_of, notice, earliest):
    rule = clock_of("cfe")
    check_named_date(rule, D(notice), D(earliest))  # exactly 150 days: allowed
    with pytest.raises(InvalidInput) as refused:
        check_named_date(rule, D(notice), D(earliest) - timedelta(days=1))
    assert earliest in refused.value.message


def test_unfccc_bar_refuses_the_day_before_and_allows_the_day(clock_of):
    # UNFCCC Art. 25(1): notice only three years after entry into force for the Party
    rule = clock_of("unfccc")
    assert first_notice_day(rule, D("2021-02-19")) == D("2024-02-19")
    with pytest.raises(NotAllowed) as refused:
        check_eligibility(rule, D("2024-02-18"), D("2021-02-19"))
    assert "2024-02-19" in refused.value.message
    check_eligibility(rule, D("2024-02-19"), D("2021-02-19"))


def test_a_bar_counted_from_a_leap_day_refuses_the_day_before_and_allows_the_day(clock_of):
    rule = clock_of("paris")
    with pytest.raises(NotAllowed):
        check_eligibility(rule, D("2019-02-27"), D("2016-02-29"))
    check_eligibility(rule, D("2019-02-28"), D("2016-02-29"))


@pytest.mark.parametrize(
    ("notice", "effective"),
    [
        ("2024-09-30", "2024-12-31"),  # the last day of the first nine months, in a leap year
        ("2024-10-01", "2025-12-31"),  # the day after
        ("2026-09-30", "2026-12-31"),
        ("2026-10-01", "2027-12-31"),
    ],
)
def test_coe_statute_the_last_day_of_the_first_nine_months(clock_of, notice, effective):
    assert effective_date(clock_of("coe-statute"), D(notice)).on == D(effective)


@pytest.mark.parametrize(
    ("span", "effective"),
    [
        (("2026-01-01", "2026-01-15"), "2026-05-01"),  # Istanbul Art. 80: one month, one date
        (("2021-03-20", "2021-03-31"), "2021-07-01"),  # Turkey (sec. 9, derived)
        (("2025-12-01", "2025-12-31"), "2026-12-31"),  # UNESCO: one year of notice, one date
    ],
)
def test_a_bounded_receipt_gives_its_one_date(clock_of, span, effective):
    code = "unesco" if span[0].startswith("2025-12") else "istanbul"
    result = one_date_for_span(clock_of(code), DateSpan(D(span[0]), D(span[1])))
    assert result is not None and result.on == D(effective)


def test_a_bounded_receipt_across_a_month_end_gives_no_date(clock_of):
    # 31 Jan + 3 months = 30 Apr -> 1 May; 1 Feb + 3 months = 1 May -> 1 June: two dates
    assert (
        one_date_for_span(clock_of("istanbul"), DateSpan(D("2026-01-31"), D("2026-02-01"))) is None
    )


@pytest.mark.parametrize(
    ("own_receipt", "followed", "effective"),
    [
        (None, "2027-03-02", "2027-03-02"),  # only the UNFCCC's withdrawal: its date
        ("2026-01-05", "2027-03-02", "2027-01-05"),  # its own notice ends earlier: that one
        ("2026-06-01", "2027-03-02", "2027-03-02"),  # the UNFCCC's ends earlier: that one
    ],
)
def test_a_withdrawal_by_operation_of_another_takes_the_earlier_date(
    clock_of, own_receipt, followed, effective
):
    rule = clock_of("paris")
    state = CaseState(
        "notice_period",
        deposited_on=D(own_receipt) if own_receipt else None,
        follows_on=D(followed),
        follows_basis="UNFCCC case",
    )
    assert state.period_end(rule).on == D(effective)
    assert state.effective(rule).on == D(effective)
    assert (
        CaseState("notice_period", follows_on=D(followed), revoked_on=D("2026-07-01")).effective(
            rule
        )
        is None
    )  # revoked before it took effect
