"""Links that repeat on every row of a page (a case, an event), built once per page from the
route's own URL: `url_for` matched the rule and built the URL again for each row, a third of
the audit page's template time."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, url_for

_VALUE = "ROWVALUE"  # letters only: url_for writes it as it is, once, where the value goes
_PATH_SAFE = "!$&'()*+,/:;=@"  # as werkzeug's converters quote a path segment
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"  # as url_for quotes an anchor


class RowLink:
    """`url_for(endpoint, **{name: value}, **fixed)` for one value after another, and an
    optional `#anchor`; for a route with one rule whose `name` is a plain string segment."""

    def __init__(self, endpoint: str, name: str, **fixed: Any) -> None:
        values: dict[str, Any] = {**fixed, name: _VALUE}
        self.before, self.after = url_for(endpoint, **values).split(_VALUE)

    def __call__(self, value: str, anchor: str | None = None) -> str:
        url = self.before + quote(value, safe=_PATH_SAFE) + self.after
        return url if anchor is None else f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}"


def register(app: Flask) -> None:
    app.add_template_global(RowLink, "row_link")
