"""The cases page in Chromium: a finished case found from the dashboard's count, by search and
by the open-or-closed filter, and the list downloaded as CSV."""

from __future__ import annotations

import csv

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, LiveServer
from tests.browser.test_end_to_end import sign_in

LV = "LV-APMBC-2025"


def test_a_finished_case_is_found_from_the_dashboard_by_search_and_by_filter(
    page: Page, server: LiveServer
) -> None:
    sign_in(page, server, "viewer")
    page.goto(server("/dashboard"))
    counts = page.locator("tr", has_text="APMBC (Ottawa Convention)").filter(
        has_text="Withdrawal effective"
    )
    counts.get_by_role("link", name="5").click()  # the five 2025 withdrawals, all effective
    expect(page.locator("main h1")).to_have_text("Cases")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.filter(has_text=LV)).to_contain_text("closed")

    page.goto(server("/cases"))
    page.get_by_role("searchbox", name="Search").fill("Latvia")
    page.get_by_label("Open or closed").select_option(label="closed (final stage)")
    page.get_by_role("button", name="Show").click()
    expect(rows.first).to_contain_text(LV)
    for row in rows.all():
        expect(row).to_contain_text("Latvia")
        expect(row).to_contain_text("closed")
    page.screenshot(path=SCREENSHOTS / "cases-closed-latvia-1280.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    path = download.value.path()
    with open(path, newline="", encoding="utf-8") as file:
        listed = list(csv.DictReader(file))
    assert LV in {row["reference"] for row in listed}
    assert all(row["country_name"] == "Latvia" for row in listed)

    page.get_by_role("link", name=LV).click()
    expect(page.locator("main h1")).to_have_text(LV)
