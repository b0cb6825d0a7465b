"""The audit log's pages: newest first, Older and Newer walk the whole log once each way,
at any depth (keyset pagination), with the filters kept."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from app.services.context import Tracker
from tests.benchmarks.data import build_cases
from tests.web.conftest import SignIn, html_of

ROW = re.compile(r'<td data-label="Case" class="case"><a [^>]*>([A-Z0-9-]+)</a> #(\d+)</td>')
LINK = 'href="([^"]*)"[^>]*>{}</a>'


def _page(client: FlaskClient, url: str) -> tuple[list[tuple[str, int]], dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = html_of(response)
    links = {}
    for name in ("Newest", "Newer", "Older", "Oldest"):
        found = re.search(LINK.format(name), html)
        if found:
            links[name] = found.group(1).replace("&amp;", "&")
    return [(ref, int(seq)) for ref, seq in ROW.findall(html)], links


def _walk(client: FlaskClient, url: str, direction: str) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    for _ in range(50):
        rows, links = _page(client, url)
        seen += rows if direction == "Older" else list(reversed(rows))
        if direction not in links:
            return seen
        url = links[direction]
    raise AssertionError("the pager never reached the end")


def test_older_and_newer_walk_every_event_once_each_way(
    tracker: Tracker, signed_in: SignIn
) -> None:
    build_cases(tracker, 26)  # 5 events each: 130, three pages of 50
    client = signed_in("viewer")
    down = _walk(client, "/audit", "Older")
    up = _walk(client, "/audit?oldest=1", "Newer")
    assert len(down) == len(set(down)) == 130
    assert up == list(reversed(down))
    first, links = _page(client, "/audit")
    assert set(links) == {"Older", "Oldest"}, "the newest page offers no newer one"
    last, links = _page(client, "/audit?oldest=1")
    assert set(links) == {"Newest", "Newer"}
    assert first == down[:50] and last == down[-50:], "the oldest page is a full one"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_pager_keeps_the_filter(tracker: Tracker, signed_in: SignIn) -> None:
    build_cases(tracker, 26)
    client = signed_in("viewer")
    down = _walk(client, "/audit?trigger=deposit", "Older")
    assert len(down) == 26 and all(seq == 5 for _, seq in down)
    _, links = _page(client, "/audit?trigger=deposit")
    assert links == {}, "26 deposits fit on one page"
    _, links = _page(client, "/audit?case=AD-APMBC-2024-B1")
    assert links == {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_practice_cases_are_left_out_unless_asked_for_or_named(
    seeded: Tracker, signed_in: SignIn
) -> None:
    client = signed_in("viewer")
    real, _ = _page(client, "/audit")
    assert real and not [r for r, _ in real if r.startswith("PRACTICE-")]
    every, _ = _page(client, "/audit?practice=1")
    assert any(r.startswith("PRACTICE-") for r, _ in every)  # the demo seeds them last
    named, _ = _page(client, "/audit?case=PRACTICE-APMBC-GENERIC")
    assert {r for r, _ in named} == {"PRACTICE-APMBC-GENERIC"}
    download = client.get("/audit/export.csv").get_data(as_text=True)
    assert "PRACTICE-" not in download  # the download is the page's filter


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("fmt", "media_type"), [("csv", "text/csv"), ("json", "application/json")])
def test_an_export_says_its_media_type_and_charset_once(
    seeded: Tracker, signed_in: SignIn, fmt: str, media_type: str
) -> None:
    download = signed_in("viewer").get(f"/audit/export.{fmt}")
    assert download.headers["Content-Type"] == f"{media_type}; charset=utf-8"
