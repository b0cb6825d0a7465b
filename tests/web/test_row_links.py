"""A row's link, built from the page's one URL template, is the link url_for would build:
the same quoting of odd references and anchors, under the site's prefix."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from app.web.row_links import RowLink

ODD = ["LV-APMBC-2025", "a b", "ä/ö", "50%#?&x=1", "'quoted'", "<b>", "ROWVALUE"]
ANCHORS = [None, "event-3", "a b#c"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("base_url", ["http://localhost/", "http://localhost/tracker/"])
def test_a_row_link_is_the_link_url_for_builds(app: Flask, base_url: str) -> None:
    with app.test_request_context("/audit", base_url=base_url):
        link = RowLink("cases.show", "reference")
        for reference in ODD:
            for anchor in ANCHORS:
                built = url_for("cases.show", reference=reference, _anchor=anchor)
                assert link(reference, anchor) == built
        assert link("LV-APMBC-2025").startswith(base_url.removeprefix("http://localhost"))
