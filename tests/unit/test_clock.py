"""The treaty clock: effective dates from the depositary's receipt, named dates, armed conflict,
date parsing and the order of dates along a case."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.clock import (
    ClockRule,
    DateSpan,
    EndOfFinancialYear,
    NoticePeriod,
    PeriodAfterReceipt,
    check_chronology,
    check_eligibility,
    check_named_date,
    effective_date,
    first_notice_day,
    parse_span,
    period_end,
)
from app.domain.errors import InvalidInput, NotAllowed

D = date.fromisoformat


# --- APMBC Art. 20(3): six months after the depositary receives the instrument -------------------


@pytest.mark.parametrize(
    ("received", "effective"),
    [
        # LV, LT, EE: received 27 Jun 2025, effective 27 Dec 2025 (22nd Meeting of States Parties)
        ("2025-06-27", "2025-12-27"),
        # PL: received 20 Aug 2025, effective 20 Feb 2026
        ("2025-08-20", "2026-02-20"),
        # FI: received 10 Jul 2025, effective 10 Jan 2026
        ("2025-07-10", "2026-01-10"),
    ],
)
def test_apmbc_takes_effect_six_months_after_receipt(apmbc_clock, received, effective):
    result = effective_date(apmbc_clock, D(received))
    assert result.on == D(effective)


def test_apmbc_basis_sentence_says_how_the_date_was_computed(apmbc_clock):
    result = effective_date(apmbc_clock, D("2025-06-27"))
    assert result.basis == "2025-06-27 + 6 months, APMBC Art. 20(3)"


@pytest.mark.parametrize(
    ("received", "effective"),
    [
        ("2025-08-31", "2026-02-28"),  # no 31 February: clipped to the month's end
        ("2027-08-31", "2028-02-29"),  # 2028 is a leap year
        ("2025-03-31", "2025-09-30"),  # September has 30 days
    ],
)
def test_month_end_is_clipped_and_the_basis_says_so(apmbc_clock, received, effective):
    result = period_end(apmbc_clock, D(received))
    assert result.on == D(effective)
    assert f"{received} + 6 months" in result.basis
    assert effective in result.basis
    assert "clipped" in result.basis
    assert "APMBC Art. 20(3)" in result.basis


def test_basis_does_not_claim_clipping_when_the_day_exists(apmbc_clock):
    assert "clipped" not in period_end(apmbc_clock, D("2025-08-28")).basis


def test_notice_period_in_days_counts_calendar_days():
    # Arms Trade Treaty Art. 24 style: 90 days after receipt.
    rule = ClockRule("ATT Art. 24", PeriodAfterReceipt(NoticePeriod(days=90)))
    result = period_end(rule, D("2025-01-01"))
    assert result.on == D("2025-04-01")
    assert result.basis.startswith("2025-01-01 + 90 days")


def test_notice_period_in_days_does_not_claim_a_clipped_month_end():
    # 1 March + 90 days is 30 May by counting days; no month end was clipped, and the sentence
    # the case shows must not say one was.
    rule = ClockRule("ATT Art. 24", PeriodAfterReceipt(NoticePeriod(days=90)))
    result = period_end(rule, D("2025-03-01"))
    assert result.on == D("2025-05-30")
    assert "clipped" not in result.basis


# --- Rome Statute Art. 127: one year, or a later date named in the notice ------------------------


@pytest.mark.parametrize(
    ("received", "effective"),
    [
        ("2016-10-27", "2017-10-27"),  # Burundi
        ("2018-03-17", "2019-03-17"),  # the Philippines
        ("2024-02-29", "2025-02-28"),  # a year after 29 Feb: clipped
    ],
)
def test_rome_statute_takes_effect_one_year_after_receipt(rome_clock, received, effective):
    result = effective_date(rome_clock, D(received))
    assert result.on == D(effective)
    assert "12 months" in result.basis
    assert "Rome Statute Art. 127(1)" in result.basis


def test_rome_statute_later_date_named_in_the_notice_is_the_effective_date(rome_clock):
    check_named_date(rome_clock, D("2016-10-27"), D("2018-01-01"))  # accepted: no error

    result = effective_date(rome_clock, D("2016-10-27"), named_on=D("2018-01-01"))

    assert result.on == D("2018-01-01")
    assert "named in the notice" in result.basis
    assert "Rome Statute Art. 127(1)" in result.basis


@pytest.mark.parametrize("named", ["2017-10-27", "2017-06-01"])
def test_named_date_not_later_than_the_year_is_refused(rome_clock, named):
    with pytest.raises(InvalidInput) as exc:
        check_named_date(rome_clock, D("2016-10-27"), D(named))
    assert exc.value.field == "evidence.effective_on_named"
    assert "2017-10-27" in exc.value.message  # the end of the period it must be later than
    assert named in exc.value.message


def test_named_date_refused_when_the_clause_allows_none(apmbc_clock):
    with pytest.raises(InvalidInput) as exc:
        check_named_date(apmbc_clock, D("2025-06-27"), D("2026-06-27"))
    assert exc.value.field == "evidence.effective_on_named"
    assert "APMBC Art. 20(3)" in exc.value.message
    assert "2025-12-27" in exc.value.message


# --- APMBC Art. 20(3): armed conflict at the end of the period defers the effect ----------------


def test_armed_conflict_defers_effect_until_the_conflict_ends(apmbc_clock):
    result = effective_date(apmbc_clock, D("2025-06-27"), conflict_ended_on=D("2026-03-15"))
    assert result.on == D("2026-03-15")
    assert "armed conflict" in result.basis
    assert "2026-03-15" in result.basis
    # the basis keeps how the period end was computed
    assert "2025-06-27 + 6 months" in result.basis


# --- parse_span: exact dates and dates known only within bounds ----------------------------------


def test_parse_span_exact_date():
    span = parse_span("2025-06-27")
    assert span == DateSpan.exact(D("2025-06-27"))
    assert span.is_exact
    assert str(span) == "2025-06-27"


def test_parse_span_range_for_a_date_known_within_bounds():
    # Latvia: President proclaimed the law "on 23 or 24 April 2025".
    span = parse_span(" 2025-04-23..2025-04-24 ")
    assert (span.earliest, span.latest) == (D("2025-04-23"), D("2025-04-24"))
    assert not span.is_exact
    assert str(span) == "2025-04-23..2025-04-24"


@pytest.mark.parametrize("text", ["27.06.2025", "2025-02-30", "", "June 27", "2025-04-23.."])
def test_parse_span_refuses_what_is_not_a_date_naming_field_and_format(text):
    with pytest.raises(InvalidInput) as exc:
        parse_span(text)
    assert exc.value.field == "occurred_on"
    assert exc.value.message.startswith("occurred_on:")
    assert "YYYY-MM-DD" in exc.value.message


def test_parse_span_names_the_field_it_is_given():
    with pytest.raises(InvalidInput) as exc:
        parse_span("tomorrow", field="as_of")
    assert exc.value.field == "as_of"
    assert "as_of" in exc.value.message


def test_parse_span_refuses_a_range_that_ends_before_it_starts():
    with pytest.raises(InvalidInput) as exc:
        parse_span("2025-04-24..2025-04-23")
    assert exc.value.field == "occurred_on"
    assert "EARLIEST..LATEST" in exc.value.message


# --- check_chronology: never backwards, never after today ----------------------------------------


TODAY = D("2025-12-01")


def test_chronology_refuses_a_date_before_the_previous_step():
    with pytest.raises(NotAllowed) as exc:
        check_chronology(D("2025-06-27"), DateSpan.exact(D("2025-06-26")), TODAY)
    assert exc.value.field == "occurred_on"
    assert "2025-06-27" in exc.value.message
    assert "backwards" in exc.value.message


def test_chronology_refuses_a_date_after_today():
    with pytest.raises(NotAllowed) as exc:
        check_chronology(D("2025-06-27"), DateSpan.exact(D("2025-12-02")), TODAY)
    assert exc.value.field == "occurred_on"
    assert "2025-12-01" in exc.value.message  # today, as given


@pytest.mark.parametrize(
    ("previous", "span"),
    [
        ("2025-06-27", DateSpan.exact(D("2025-06-27"))),  # same day as the previous step
        (None, DateSpan.exact(D("2025-03-18"))),  # the first step
        ("2025-06-27", DateSpan.exact(TODAY)),  # today itself
        ("2025-04-16", DateSpan(D("2025-04-23"), D("2025-04-24"))),  # a range after the previous
        ("2025-04-23", DateSpan(D("2025-04-23"), D("2025-04-24"))),  # a range from that day
    ],
)
def test_chronology_allows(previous, span):
    check_chronology(D(previous) if previous else None, span, TODAY)


def test_chronology_refuses_a_range_that_may_lie_after_today():
    with pytest.raises(NotAllowed) as exc:
        check_chronology(None, DateSpan(D("2025-11-30"), D("2025-12-02")), TODAY)
    assert "2025-11-30..2025-12-02" in exc.value.message


def test_chronology_refuses_a_range_that_may_lie_before_the_previous_step():
    with pytest.raises(NotAllowed) as exc:
        check_chronology(D("2025-04-24"), DateSpan(D("2025-04-23"), D("2025-04-25")), TODAY)
    assert "2025-04-23..2025-04-25" in exc.value.message
    assert "2025-04-24" in exc.value.message


# --- clause kinds, from the treaty files (facts/treaty-actions.md, section 1) --------------------


@pytest.fixture
def clock_of(registry):
    return lambda code: registry.treaty(code).clock


# UNESCO Constitution Art. II(6): 31 December of the year after the year of the notice


@pytest.mark.parametrize(
    ("notice", "effective"),
    [
        ("2025-07-22", "2026-12-31"),  # the US notice (facts sec. 7: effective 2026-12-31)
        ("2025-01-01", "2026-12-31"),  # the first day of a year
        ("2025-12-31", "2026-12-31"),  # its last day: the same year-end, not one more
        ("2026-01-01", "2027-12-31"),  # a day later, a year later
        ("2024-02-29", "2025-12-31"),  # a leap day changes nothing
    ],
)
def test_unesco_ends_on_31_december_of_the_following_year(clock_of, notice, effective):
    result = effective_date(clock_of("unesco"), D(notice))
    assert result.on == D(effective)
    assert notice in result.basis
    assert effective in result.basis
    assert "UNESCO Constitution Art. II(6)" in result.basis


def test_unesco_allows_no_named_date(clock_of):
    with pytest.raises(InvalidInput) as exc:
        check_named_date(clock_of("unesco"), D("2025-07-22"), D("2027-06-30"))
    assert exc.value.field == "evidence.effective_on_named"
    assert "2026-12-31" in exc.value.message


# Istanbul Convention Art. 80: first day of the month following the expiration of three months
# after receipt


@pytest.mark.parametrize(
    ("received", "expires", "effective"),
    [
        # Turkey: ceased to be bound 2021-07-01; its receipt date is "not found" in the facts,
        # any receipt in March 2021 gives 1 July (derived): the first and last of March too.
        ("2021-03-22", "2021-06-22", "2021-07-01"),
        ("2021-03-01", "2021-06-01", "2021-07-01"),
        ("2021-03-31", "2021-06-30", "2021-07-01"),
        ("2021-01-31", "2021-04-30", "2021-05-01"),  # no 31 April: clipped
        ("2025-11-30", "2026-02-28", "2026-03-01"),  # no 30 February
        ("2023-11-30", "2024-02-29", "2024-03-01"),  # leap year
        ("2024-02-29", "2024-05-29", "2024-06-01"),  # from a leap day
        ("2025-10-15", "2026-01-15", "2026-02-01"),  # over a year end
    ],
)
def test_istanbul_first_day_of_the_month_after_three_months(clock_of, received, expires, effective):
    result = effective_date(clock_of("istanbul"), D(received))
    assert result.on == D(effective)
    # both steps: the period's expiry, then the first day of the following month
    assert f"{received} + 3 months" in result.basis
    assert expires in result.basis
    assert f"first day of the following month: {effective}" in result.basis
    assert "Istanbul Convention Art. 80" in result.basis


def test_istanbul_says_when_the_months_end_was_clipped(clock_of):
    assert "clipped" in effective_date(clock_of("istanbul"), D("2021-01-31")).basis
    assert "clipped" not in effective_date(clock_of("istanbul"), D("2021-03-22")).basis


# Statute of the Council of Europe Art. 7: end of the current financial year if notified in
# its first nine months, else of the next (the year's start is a parameter of the file)


@pytest.mark.parametrize(
    ("notice", "effective", "which"),
    [
        ("2025-01-01", "2025-12-31", "end of that financial year"),
        ("2025-09-30", "2025-12-31", "end of that financial year"),  # last day of month nine
        ("2025-10-01", "2026-12-31", "end of the next financial year"),  # first day after
        ("2025-12-31", "2026-12-31", "end of the next financial year"),
        ("2024-02-29", "2024-12-31", "end of that financial year"),
    ],
)
def test_coe_statute_end_of_the_financial_year(clock_of, notice, effective, which):
    result = effective_date(clock_of("coe-statute"), D(notice))
    assert result.on == D(effective)
    assert which in result.basis
    assert "first 9 months" in result.basis
    assert "Statute of the Council of Europe Art. 7" in result.basis


@pytest.mark.parametrize(
    ("notice", "effective"),
    [
        ("2025-12-31", "2026-03-31"),  # first nine months of the year from 2025-04-01
        ("2026-01-01", "2027-03-31"),  # just after them
        ("2026-03-31", "2027-03-31"),  # last day of that financial year
        ("2026-04-01", "2027-03-31"),  # first day of the next one
    ],
)
def test_financial_year_starting_in_april(notice, effective):
    rule = ClockRule("Art. 7", EndOfFinancialYear(starts_month=4, starts_day=1, first_months=9))
    assert effective_date(rule, D(notice)).on == D(effective)


# CFE Treaty Art. XIX: the State names the date, at least 150 days after the notice


def test_cfe_russia_named_date(clock_of):
    # facts sec. 10: notices 2023-06-09; 9 June + 150 days = 6 November; effect 7 November
    rule = clock_of("cfe")
    check_named_date(rule, D("2023-06-09"), D("2023-11-07"))
    result = effective_date(rule, D("2023-06-09"), named_on=D("2023-11-07"))
    assert result.on == D("2023-11-07")
    assert "named in the notice" in result.basis
    assert "2023-11-06" in result.basis  # the earliest it could have named
    assert "CFE Treaty Art. XIX" in result.basis


def test_cfe_named_date_exactly_150_days_after_is_allowed(clock_of):
    check_named_date(clock_of("cfe"), D("2023-06-09"), D("2023-11-06"))


def test_cfe_named_date_one_day_too_early_is_refused_with_the_earliest(clock_of):
    with pytest.raises(InvalidInput) as exc:
        check_named_date(clock_of("cfe"), D("2023-06-09"), D("2023-11-05"))
    assert exc.value.field == "evidence.effective_on_named"
    assert "the earliest allowed is 2023-11-06" in exc.value.message
    assert "2023-11-05" in exc.value.message


def test_cfe_without_a_named_date_has_no_effective_date(clock_of):
    with pytest.raises(InvalidInput) as exc:
        effective_date(clock_of("cfe"), D("2023-06-09"))
    assert exc.value.field == "evidence.effective_on_named"


# Paris Agreement Art. 28: one year after receipt, or later; notice only three years after
# entry into force for the Party


def test_paris_us_second_withdrawal(clock_of):
    # facts sec. 5: received 2025-01-27, effective 2026-01-27
    result = effective_date(clock_of("paris"), D("2025-01-27"))
    assert result.on == D("2026-01-27")
    assert result.basis == "2025-01-27 + 12 months, Paris Agreement Art. 28"


def test_paris_bar_allows_notice_on_the_first_day(clock_of):
    # facts sec. 5: in force for the US 2016-11-04, earliest notice 2019-11-04 (received then)
    rule = clock_of("paris")
    assert first_notice_day(rule, D("2016-11-04")) == D("2019-11-04")
    check_eligibility(rule, D("2019-11-04"), D("2016-11-04"))


def test_paris_bar_refuses_the_day_before_naming_the_first_allowed_day(clock_of):
    with pytest.raises(NotAllowed) as exc:
        check_eligibility(clock_of("paris"), D("2019-11-03"), D("2016-11-04"))
    assert exc.value.field == "occurred_on"
    assert "the first allowed day is 2019-11-04" in exc.value.message
    assert "Paris Agreement Art. 28" in exc.value.message


def test_bar_from_a_leap_day_uses_the_month_end_rule(clock_of):
    # no 29 February 2019: calendar arithmetic clips to 28 February, as for every period
    assert first_notice_day(clock_of("paris"), D("2016-02-29")) == D("2019-02-28")


def test_no_bar_no_check(apmbc_clock):
    assert first_notice_day(apmbc_clock, D("2025-01-01")) is None
    check_eligibility(apmbc_clock, D("2025-01-02"), None)


def test_bar_without_the_date_of_entry_into_force_is_refused(clock_of):
    with pytest.raises(InvalidInput) as exc:
        check_eligibility(clock_of("paris"), D("2025-01-27"), None)
    assert exc.value.field == "evidence.in_force_since"


# Armed-conflict deferral: the treaty file's flag decides


def test_conflict_end_is_ignored_where_the_clause_has_no_deferral(rome_clock):
    result = effective_date(rome_clock, D("2016-10-27"), conflict_ended_on=D("2018-03-01"))
    assert result.on == D("2017-10-27")


def test_rule_reads_as_text_for_the_case_page(apmbc_clock, clock_of):
    assert str(apmbc_clock) == "APMBC Art. 20(3): 6 months"
    assert "3 years" in str(clock_of("paris"))
    assert "later date" in str(clock_of("paris"))
    assert "31 December" in str(clock_of("unesco"))
