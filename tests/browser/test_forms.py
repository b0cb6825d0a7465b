"""Forms in Chromium at 1366 px: a refused correction keeps what the admin typed, says why at
the top and beside the field, and puts the focus there; dates are typed as text that no
browser turns into mm/dd/yyyy; opening a second case of a country and treaty asks first."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, LiveServer, Watch
from tests.browser.test_end_to_end import PRACTICE, record, sign_in

WIDE = {"width": 1366, "height": 900}


def test_a_refused_correction_keeps_its_input_and_focus_beside_the_message(
    new_context: Callable[..., tuple[Any, Watch]], fresh_server: LiveServer
) -> None:
    context, _ = new_context(WIDE, locale="en-US")  # where a date picker reads mm/dd/yyyy
    page = context.new_page()
    sign_in(page, fresh_server, "admin")
    page.goto(fresh_server(f"/cases/{PRACTICE}"))
    date_field = page.locator("#f-submit_to_parliament-on")
    assert date_field.get_attribute("type") == "text"  # typed, never a mm/dd/yyyy picker
    expect(page.locator("#f-submit_to_parliament-on-format")).to_contain_text("1 May 2025")
    record(page, "submit_to_parliament", "1 May 2025", bill="Bill 12")
    entry = page.locator("#event-2")
    expect(entry).to_contain_text("1 May 2025")

    entry.get_by_text(re.compile(r"^Correct event 2: Bill submitted to parliament")).click()
    expect(page.locator("#c2-on")).to_have_value("1 May 2025")  # the value, not a placeholder
    expect(page.locator("#c2-bill")).to_have_value("Bill 12")
    expect(page.locator("#c2-confidence")).to_have_js_property("tagName", "SELECT")
    page.locator("#c2-on").fill("1 Dec 2026")  # after the tests' today, 27 Nov 2026
    page.locator("#c2-bill").fill("Bill 13")
    page.locator("#c2-correction-reason").fill("The bill was tabled later")
    with page.expect_response(re.compile(r"/correction$")) as answer:
        page.get_by_role("button", name="Record the correction of event 2").click()
    assert answer.value.status == 422

    top = page.locator("#refused")
    expect(top).to_contain_text("Nothing was saved.")
    expect(top).to_contain_text("Corrected date: 1 Dec 2026 lies after today (27 Nov 2026)")
    assert "occurred_on" not in top.inner_text()
    corrected = page.locator("#c2-on")
    expect(corrected).to_be_focused()
    expect(corrected).to_be_in_viewport()
    expect(corrected).to_have_value("1 Dec 2026")  # what was typed is kept
    expect(page.locator("#c2-bill")).to_have_value("Bill 13")
    expect(page.locator("#c2-correction-reason")).to_have_value("The bill was tabled later")
    expect(page.locator("#c2-on-error")).to_have_text(
        "1 Dec 2026 lies after today (27 Nov 2026); record only what has happened"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "refused-correction-1366.png")
    top.get_by_role("link").click()  # the top message leads to the field
    expect(page).to_have_url(re.compile(r"#c2-on$"))
    page.screenshot(path=SCREENSHOTS / "case-refused-correction-1366.png", full_page=True)


def test_a_second_open_case_is_named_and_confirmed_first(
    new_context: Callable[..., tuple[Any, Watch]], fresh_server: LiveServer
) -> None:
    context, _ = new_context(WIDE)
    page = context.new_page()
    sign_in(page, fresh_server, "clerk")
    page.goto(fresh_server("/cases/new"))
    expect(page.locator("#treaty")).to_have_value("")  # no treaty chosen for the clerk
    page.locator("#country").select_option("US")
    page.locator("#treaty").select_option("who")
    page.get_by_role("button", name="Open the case").click()
    warning = page.locator("#duplicate")
    expect(warning).to_contain_text("US-WHO-2025 is already an open case")
    expect(page.locator("#allow_duplicate")).to_be_focused()
    page.screenshot(path=SCREENSHOTS / "open-case-duplicate-1366.png", full_page=True)
    page.locator("#allow_duplicate").check()
    page.get_by_role("button", name="Open a second case").click()
    expect(page.locator(".flashes")).to_contain_text("Opened US-WHO-2026")
