"""What the JSON API accepts: its error type, the request body (an object, not too deep, no
text a database cannot store, no number too long to read), then the shape of each body and
query string as a typed model (app/web/api_requests.py), whose JSON Schema the OpenAPI
document carries and whose refusals name the field and what is allowed."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

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


Model = TypeVar("Model", bound=BaseModel)


def parsed(model: type[Model], data: dict[str, Any], in_query: bool = False) -> Model:
    """`data` as `model`, or ApiError 400 naming the first field at fault and what it allows."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "body"
        allowed = _allowed(_properties(model).get(field, {}), null=not in_query)
        missing = "required: " if first["type"] == "missing" else ""
        raise ApiError(400, "malformed", f"{field}: {missing}{allowed}", field) from None


def query(model: type[Model]) -> Model:
    """The query string as `model`; a blank value counts as not given."""
    given = {k: v for k, v in request.args.items() if v.strip()}
    return parsed(model, given, in_query=True)


@cache
def _properties(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    properties: dict[str, dict[str, Any]] = model.model_json_schema()["properties"]
    return properties


def _allowed(schema: dict[str, Any], null: bool) -> str:
    """What a field's JSON Schema allows, in words: 'a whole number from 1 to 200, or null'
    (a query string has no null: a parameter is given or not)."""
    options = schema.get("anyOf", [schema])
    words = [_kind(s) for s in options if s.get("type") != "null"]
    return " or ".join(words) + (", or null" if null and len(words) < len(options) else "")


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "integer":
        return f"a whole number from {schema.get('minimum')} to {schema.get('maximum')}"
    if kind == "object":
        return "an object of key: value"
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if kind == "string":
        blank = ", not blank" if schema.get("minLength") else ""
        shape = f" ({schema['format']})" if "format" in schema else ""
        return f"a string{blank}{shape}"
    return "a value"
