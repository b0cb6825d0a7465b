"""Whole numbers from text or JSON: in range or refused, naming the field and the range."""

from __future__ import annotations

import pytest

from app.domain.errors import InvalidInput
from app.web.params import INT_MAX, bounded_int, in_range, optional_int


@pytest.mark.parametrize("text", ["1", " 42 ", str(INT_MAX)])
def test_digits_in_range_are_numbers(text: str) -> None:
    assert bounded_int(text, "page") == int(text)


@pytest.mark.parametrize(
    "text", ["²", "١٢", "0", "-1", "1.5", "1_000", "", "x", str(INT_MAX + 1), "1" + "0" * 5000]
)
def test_anything_else_is_refused_naming_field_and_range(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        bounded_int(text, "page")
    assert refused.value.field == "page"
    assert refused.value.message == f"page: a whole number from 1 to {INT_MAX}"


@pytest.mark.parametrize("value", [True, 1.0, "1", None, 0, 2**31])
def test_a_json_value_must_be_an_int_in_range(value: object) -> None:
    with pytest.raises(InvalidInput):
        in_range(value, "expected_version")


def test_missing_or_blank_text_is_the_default() -> None:
    assert optional_int(None, "page", 1) == optional_int("  ", "page", 1) == 1
