"""What the JSON API accepts: its error type, the request body (an object, not too deep, no
text a database cannot store, no number too long to read), text fields and pages."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from app.domain.errors import InvalidInput
from app.web.params import in_range, optional_int, page_number

MAX_PER_PAGE = 200
MAX_DEPTH = 32  # the API's bodies are two levels deep (evidence); refuse far more
MAX_DIGITS = 30  # Python refuses to read an int of more than 4,300 digits; no field needs 31


class ApiError(Exception):
    """An HTTP error with the API's JSON body."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


class _TooLong:
    """Stands in for a JSON number of more than MAX_DIGITS digits, so its field can be named."""


_TOO_LONG = _TooLong()


def _parse_int(text: str) -> int | _TooLong:
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else _TOO_LONG


def body() -> dict[str, Any]:
    """The request's JSON object, or ApiError 400 naming what is wrong and where."""
    data: object = None
    if request.is_json:
        try:
            data = json.loads(request.get_data(), parse_int=_parse_int)
        except ValueError:
            data = None
        except RecursionError:  # deeper than the parser can go
            raise ApiError(
                400, "malformed", f"body: nested deeper than {MAX_DEPTH}", "body"
            ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "malformed", "the body must be a JSON object", "body")
    for key, value in data.items():
        if not _clean_text(key):
            _unclean("body")
        _check(value, key)
    return data


def _check(value: object, field: str) -> None:
    """Walk a field's value without recursion (a hostile body may nest a thousand levels)."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ApiError(400, "malformed", f"{field}: nested deeper than {MAX_DEPTH}", field)
        if item is _TOO_LONG:
            raise ApiError(400, "malformed", f"{field}: more than {MAX_DIGITS} digits", field)
        if isinstance(item, str) and not _clean_text(item):
            _unclean(field)
        if isinstance(item, dict):
            for key in item:
                if not _clean_text(key):
                    _unclean(field)
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            pending.extend((v, depth + 1) for v in item)


def _clean_text(text: str) -> bool:
    """JSON may carry what no database stores: NUL, or half of a UTF-16 surrogate pair."""
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def _unclean(field: str) -> None:
    raise ApiError(
        400, "malformed", f"{field}: text must not contain NUL or unpaired surrogates", field
    )


def text(data: dict[str, Any], key: str, required: bool = True) -> str | None:
    """A string field (a required one must not be blank)."""
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(400, "malformed", f"{key}: a string is required", key)
    return value


def number(data: dict[str, Any], key: str) -> int | None:
    """An optional whole-number field, range-checked (a string or a bool is not a number)."""
    value = data.get(key)
    try:
        return None if value is None else in_range(value, key)
    except InvalidInput as exc:
        raise ApiError(400, "malformed", exc.message, key) from None


def page_args() -> tuple[int, int]:
    """`page` and `per_page` from the query string, each in its range."""
    try:
        return (
            page_number(request.args.get("page")),
            optional_int(request.args.get("per_page"), "per_page", 50, high=MAX_PER_PAGE),
        )
    except InvalidInput as exc:
        raise ApiError(400, "malformed", exc.message, exc.field) from None
