"""The timeline chart in Chromium on the case, treaty and group pages (at 1366 px, and as
printed), and a clerk's group deposit: one form, every member deposited, the chart redrawn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from app import tracker_of
from app.services.cases import open_case
from tests.browser.conftest import SCREENSHOTS, LiveServer, Watch
from tests.browser.test_end_to_end import sign_in

WIDE = {"width": 1366, "height": 900}
BALTIC = "/groups/baltic-deposit-27-june-2025"
CHART_PAGES = (  # (screenshot name, path, the chart's rows)
    ("case-chart", "/cases/LV-APMBC-2025", 1),
    ("treaty", "/treaties/apmbc", 6),
    ("group", BALTIC, 3),
)
ROWS = "svg.timeline-chart g.row"


def _wide_page(new_context: Callable[..., tuple[Any, Watch]]) -> tuple[Page, Watch]:
    context, watch = new_context(WIDE)
    return context.new_page(), watch


def test_the_chart_on_the_case_treaty_and_group_pages_readable_and_printable(
    new_context: Callable[..., tuple[Any, Watch]], server: LiveServer
) -> None:
    page, watch = _wide_page(new_context)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, server, "viewer")
    for name, path, rows in CHART_PAGES:
        page.goto(server(path))
        chart = page.locator("svg.timeline-chart")
        expect(chart).to_be_visible()
        expect(page.locator(ROWS)).to_have_count(rows)
        box = chart.bounding_box()
        assert box is not None and box["width"] >= 1000, (path, box)  # full width at 1366 px
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDE["width"], path
        page.screenshot(path=SCREENSHOTS / f"{name}-1366.png", full_page=True)
        page.emulate_media(media="print")  # printed: no navigation or forms, the chart kept
        expect(page.locator("header.site nav")).to_be_hidden()
        expect(chart).to_be_visible()
        page.emulate_media(media="screen")
    for name, path in (("treaties", "/treaties"), ("groups", "/groups")):
        page.goto(server(path))
        expect(page.locator("main h1")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"{name}-1366.png", full_page=True)
    assert not watch.console_errors, watch.console_errors


def test_the_treaty_chart_links_each_case_and_marks_the_deposits(
    page: Page, server: LiveServer
) -> None:
    sign_in(page, server, "viewer")
    page.goto(server("/cases"))
    page.get_by_role("link", name="Rome Statute").first.click()  # a treaty name leads to it
    expect(page.locator("main h1")).to_have_text("Rome Statute")
    page.get_by_role("link", name="Treaties", exact=True).click()
    page.get_by_role("link", name="APMBC (Ottawa Convention)").click()
    expect(page.locator("svg.timeline-chart g.mark.deposit")).to_have_count(5)  # not Ukraine
    expect(page.locator("svg.timeline-chart g.mark.effective")).to_have_count(5)
    page.locator('svg.timeline-chart g.row[data-case="PL-APMBC-2025"] a').click()
    expect(page.locator("main h1")).to_have_text("PL-APMBC-2025")


def test_a_clerk_records_a_group_deposit_for_every_member(
    new_context: Callable[..., tuple[Any, Watch]], fresh_server: LiveServer
) -> None:
    tracker = tracker_of(fresh_server.app)
    references = [
        open_case(tracker, c, "apmbc", "clerk", workflow="apmbc/international-only").reference
        for c in ("DK", "NO", "IS")
    ]
    page, watch = _wide_page(new_context)
    sign_in(page, fresh_server, "clerk")
    page.get_by_role("link", name="Groups", exact=True).click()
    page.get_by_label("Name").fill("Nordic deposit")
    page.get_by_label("Cases").fill(", ".join(references))
    page.get_by_role("button", name="Make the group").click()
    expect(page.locator(".flashes")).to_contain_text("Group 'Nordic deposit' made, with 3 cases")
    expect(page.locator(ROWS)).to_have_count(3)
    step = page.locator("#step-deposit")
    step.get_by_label("Date it happened").fill("2026-06-27")
    step.get_by_label("Explanation of reasons").fill("The changed security environment.")
    step.get_by_role("button", name="Record for all 3: Depositary receives the instrument").click()
    expect(page.locator(".flashes")).to_contain_text("Recorded for all 3 cases")
    expect(page.locator(".members")).to_contain_text("Notice period")
    expect(page.locator("svg.timeline-chart g.mark.deposit")).to_have_count(3)
    expect(page.locator("svg.timeline-chart g.mark.effective.computed")).to_have_count(3)
    page.screenshot(path=SCREENSHOTS / "group-deposit-1366.png", full_page=True)
    page.locator(".members").get_by_role("link", name="Denmark").click()
    expect(page.locator("#timeline")).to_contain_text("Recorded for the group 'Nordic deposit'")
    assert not watch.console_errors, watch.console_errors
