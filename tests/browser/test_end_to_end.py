"""The staff web UI in headless Chromium, against a live server on a seeded database: a clerk
advances a practice case and finds the event on the timeline, in the diagram and in the audit
CSV; a viewer sees no advance form; the README's "done when" path to a withdrawal taking effect;
the keyboard; no console errors and nothing loaded from outside 127.0.0.1; screenshots."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, LiveServer, Watch
from tests.conftest import PASSWORD

PRACTICE = "PRACTICE-APMBC-GENERIC"
LV = "LV-APMBC-2025"
BILL = "Bill No. 512/Lp14 on withdrawal from the Ottawa Convention"
MAIN_PAGES = (  # (screenshot name, path), as an admin sees them
    ("pending", "/"),
    ("dashboard", "/dashboard"),
    ("case", f"/cases/{LV}"),
    ("audit", "/audit"),
    ("users", "/users"),
)
EVENTS = '#timeline ol.timeline > li[id^="event-"]'  # an event's entry on the timeline
FOCUSED = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), id: e.id, text: (e.innerText || e.value || '').trim(),
          outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth};
}"""


# --- helpers -------------------------------------------------------------------------------


def sign_in(page: Page, server: LiveServer, name: str) -> None:
    """Sign in with the form, as a person would."""
    page.goto(server("/login"))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".whoami")).to_contain_text(f"Signed in as {name}")
    expect(page.locator(".whoami .role")).to_have_text(name)  # each user's name is their role


def show_practice_cases(page: Page, button: str) -> None:
    """Tick the list's "Show practice cases" and apply the filters (they are hidden first)."""
    page.get_by_label("Show practice cases").check()
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_label("Show practice cases")).to_be_checked()


def sign_out(page: Page) -> None:
    page.locator(".whoami").get_by_role("link", name="Sign out").click()
    page.locator("main").get_by_role("button", name="Sign out").click()
    expect(page.locator(".flashes")).to_contain_text("Signed out")


def current_stage(page: Page) -> str:
    """The stage the diagram highlights: its one <g class="stage current" data-stage=...>."""
    current = page.locator("svg.workflow-diagram g.stage.current")
    expect(current).to_have_count(1)
    stage = current.get_attribute("data-stage")
    assert stage
    return stage


def record(page: Page, trigger: str, on: str, comment: str = "", **evidence: str) -> None:
    """Fill in and send the case page's form of `trigger`; expect the success message."""
    step = page.locator(f"#step-{trigger}")
    if step.locator("details").get_attribute("open") is None:  # folded: open it by its title
        step.locator("summary").click()
    step.locator(f"#f-{trigger}-on").fill(on)
    for key, value in evidence.items():
        field = step.locator(f"#f-{trigger}-{key}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    if comment:
        step.locator(f"#f-{trigger}-comment").fill(comment)
    step.get_by_role("button", name=re.compile(r"^Record: ")).click()
    expect(page.locator(".flashes")).to_contain_text("Recorded: ")


def timeline_entry(page: Page, label: str) -> Any:
    entry = page.locator(EVENTS, has_text=label)
    expect(entry).to_have_count(1)
    return entry


def summary(page: Page, term: str) -> Any:
    """The <dd> of the case summary's <dt>term</dt>."""
    dt = page.locator("section.summary dt", has_text=re.compile(f"^{re.escape(term)}$"))
    return dt.locator("xpath=following-sibling::dd[1]")


def focused(page: Page) -> dict[str, str]:
    result: dict[str, str] = page.evaluate(FOCUSED)
    return result


def tab_to(page: Page, element_id: str, limit: int = 15) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page)["id"] == element_id:
            return
    pytest.fail(f"#{element_id} was not reached with {limit} presses of Tab")


def _luminance(css_colour: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css_colour)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two computed CSS colours ("rgb(242, 169, 0)")."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_outlined(page: Page, what: str) -> None:
    seen = focused(page)
    assert seen["outlineStyle"] != "none", f"no visible focus on {what}: {seen}"
    assert seen["outlineWidth"] not in ("0px", ""), f"a zero-width focus outline on {what}: {seen}"


# --- 1. a clerk records a step ---------------------------------------------------------------


def test_clerk_records_a_step_and_finds_it_on_the_timeline_in_the_diagram_and_in_the_csv(
    page: Page, fresh_server: LiveServer, tmp_path: Path
) -> None:
    server = fresh_server
    sign_in(page, server, "clerk")
    expect(page).to_have_url(server("/"))
    expect(page.locator("h1")).to_have_text("Pending steps")

    show_practice_cases(page, "Show")
    page.get_by_role("link", name=PRACTICE, exact=True).click()
    expect(page).to_have_url(server(f"/cases/{PRACTICE}"))
    expect(page.locator("h1")).to_have_text(PRACTICE)
    assert current_stage(page) == "drafting"
    expect(page.locator(EVENTS)).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("No step recorded yet.")

    record(
        page,
        "submit_to_parliament",
        "2025-02-01",
        comment="Submitted by the Cabinet of Ministers.",
        bill=BILL,
    )

    expect(page).to_have_url(re.compile(rf"/cases/{PRACTICE}#timeline$"))
    expect(page.locator(".flashes")).to_contain_text(
        "Recorded: Bill submitted to parliament. The case is now at 'In parliament'."
    )
    entry = timeline_entry(page, "Bill submitted to parliament")
    expect(entry.locator(".when")).to_have_text("1 Feb 2025")
    expect(entry).to_contain_text("Drafting → In parliament")
    expect(entry).to_contain_text("recorded by clerk")
    expect(entry).to_contain_text(BILL)
    expect(entry).to_contain_text("Submitted by the Cabinet of Ministers.")
    expect(summary(page, "Stage")).to_contain_text("In parliament")

    # The highlight moved: "parliament" is current; "drafting" is on the path taken.
    assert current_stage(page) == "parliament"
    diagram = page.locator("svg.workflow-diagram")
    expect(diagram.locator('g.stage[data-stage="drafting"]')).to_have_class(
        re.compile(r"\bvisited\b")
    )
    expect(diagram.locator("g.edge.taken")).to_have_count(1)
    expect(diagram.locator("desc")).to_contain_text("Current stage: In parliament.")
    # The next step's form is the one now offered.
    expect(page.locator("#step-submit_to_parliament")).to_have_count(0)
    expect(page.locator("#step-adopt form")).to_have_count(1)

    page.locator("header.site").get_by_role("link", name="Audit log").click()
    expect(page.locator("h1")).to_have_text("Audit log")
    show_practice_cases(page, "Filter")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "withdrawal-events.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    mine = [r for r in rows if r["case"] == PRACTICE and r["trigger"] == "submit_to_parliament"]
    assert len(mine) == 1, f"{PRACTICE} submit_to_parliament in the CSV: {mine}"
    event = mine[0]
    assert (event["from_state"], event["to_state"]) == ("drafting", "parliament")
    assert (event["occurred_on"], event["actor"]) == ("2025-02-01", "clerk")
    assert json.loads(event["evidence"]) == {"bill": BILL}
    assert event["comment"] == "Submitted by the Cabinet of Ministers."
    assert re.fullmatch(r"[0-9a-f]{64}", event["hash"]), event["hash"]


# --- 2. a viewer reads ----------------------------------------------------------------------


@pytest.mark.parametrize("reference", [PRACTICE, LV])
def test_viewer_sees_the_timeline_but_no_advance_form(
    page: Page, server: LiveServer, reference: str
) -> None:
    # A shared link to the case: the sign-in page first, then back to the case.
    page.goto(server(f"/cases/{reference}"))
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator(".flashes")).to_contain_text("Please sign in to see this page.")
    page.get_by_label("Name").fill("viewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server(f"/cases/{reference}"))
    expect(page.locator(".whoami")).to_contain_text("Signed in as viewer")

    expect(page.locator("h1")).to_have_text(reference)
    expect(page.locator('form[action$="/steps"]')).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Record: "))).to_have_count(0)
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("details.admin")).to_have_count(0)  # no correction or undo either
    if reference == PRACTICE:  # steps are listed, with who may record them
        expect(page.locator("#step-submit_to_parliament")).to_contain_text(
            "Recorded by clerk or admin."
        )
    else:  # Latvia's full history, with its sources
        entries = page.locator(EVENTS)
        assert entries.count() >= 4, entries.all_inner_texts()
        expect(page.locator("#timeline dd.source").first).to_be_visible()
        expect(summary(page, "Takes effect")).to_contain_text("27 Dec 2025")
    # Nor on the pending page: step names, but no buttons to them.
    page.goto(server("/"))
    expect(page.locator("table.cards a.button")).to_have_count(0)
    expect(page.get_by_role("button", name="Run the sweep")).to_have_count(0)


# --- 3. the README's "done when" path ------------------------------------------------------


def test_clerk_takes_a_practice_case_through_every_stage_and_the_admin_sweep_makes_it_effective(
    new_context: Callable[..., tuple[Any, Watch]], fresh_server: LiveServer
) -> None:
    server = fresh_server
    context, watch = new_context()
    page = context.new_page()
    sign_in(page, server, "clerk")
    show_practice_cases(page, "Show")
    page.get_by_role("link", name=PRACTICE, exact=True).click()

    steps: list[tuple[str, str, dict[str, str], str, str]] = [
        # (trigger, date, evidence, stage afterwards, its label)
        ("submit_to_parliament", "2025-02-01", {"bill": BILL}, "parliament", "In parliament"),
        (
            "adopt",
            "2025-03-01",
            {"votes_for": "66", "votes_against": "14", "abstained": "2"},
            "presidential_signature",
            "Awaiting the head of state's signature",
        ),
        ("sign", "2025-03-10", {"signed_by": "The President"}, "mfa_coordination", "MFA"),
        (
            "deposit",
            "2025-04-01",
            {
                "reasons": "The security situation in the region has fundamentally changed.",
                "depositary_reference": "C.N.180.2025.TREATIES-XXVI.5",
            },
            "notice_period",
            "Notice period",
        ),
    ]
    for trigger, on, evidence, stage, label in steps:
        record(page, trigger, on, comment=f"Practice: {trigger}.", **evidence)
        assert current_stage(page) == stage, trigger
        expect(summary(page, "Stage")).to_contain_text(label)

    expect(summary(page, "Instrument received by the depositary")).to_have_text("1 Apr 2025")
    # Before the sweep the date is known but the step is the admin's (take_effect is the clock's).
    expect(page.locator(EVENTS)).to_have_count(4)
    sign_out(page)

    sign_in(page, server, "admin")
    page.get_by_role("button", name="Run the sweep").click()
    expect(page.locator(".flashes")).to_contain_text(
        f"{PRACTICE}: Withdrawal takes effect on 1 Oct 2025"
    )

    page.goto(server(f"/cases/{PRACTICE}"))
    expect(summary(page, "Stage")).to_contain_text("Withdrawal effective")
    effective = summary(page, "Takes effect")
    expect(effective.locator("strong")).to_have_text("1 Oct 2025")
    expect(effective.locator(".help")).to_have_text("1 Apr 2025 + 6 months, APMBC Art. 20(3)")
    assert current_stage(page) == "effective"
    expect(page.locator("section[aria-labelledby=next-h]")).to_contain_text(
        "None: this case has reached a final stage."
    )
    taken = timeline_entry(page, "Withdrawal takes effect")
    expect(taken.locator(".when")).to_have_text("1 Oct 2025")
    expect(taken).to_contain_text("Notice period → Withdrawal effective")
    # Every stage of the path is marked in the diagram.
    diagram = page.locator("svg.workflow-diagram")
    for stage in ("drafting", "parliament", "presidential_signature", "mfa_coordination"):
        expect(diagram.locator(f'g.stage[data-stage="{stage}"]')).to_have_class(
            re.compile(r"\bvisited\b")
        )
    # No longer pending.
    page.goto(server("/?practice=1"))
    expect(page.get_by_role("link", name=PRACTICE, exact=True)).to_have_count(0)
    assert not watch.console_errors, watch.console_errors


# --- 4. the keyboard ------------------------------------------------------------------------


def test_sign_in_with_the_keyboard_only_and_focus_is_visible(
    page: Page, server: LiveServer
) -> None:
    page.goto(server("/login"))
    page.keyboard.press("Tab")
    first = focused(page)
    assert (first["tag"], first["text"]) == ("a", "Skip to content"), first
    assert_outlined(page, "the skip link")
    assert page.locator("a.skip").bounding_box()["x"] >= 0  # it shows itself when focused

    tab_to(page, "name")
    page.keyboard.type("clerk")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password", focused(page)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    button = focused(page)
    assert (button["tag"], button["text"]) == ("button", "Sign in"), button
    assert_outlined(page, "the Sign in button")
    page.keyboard.press("Enter")

    expect(page.locator(".whoami")).to_contain_text("Signed in as clerk")
    expect(page).to_have_url(server("/"))
    # On a signed-in page: the skip link, then the brand, then the main navigation's links.
    page.keyboard.press("Tab")
    tab_to_text = [focused(page)["text"]]
    for _ in range(3):
        page.keyboard.press("Tab")
        tab_to_text.append(focused(page)["text"])
        assert_outlined(page, f"link {tab_to_text[-1]!r}")
    assert tab_to_text == ["Skip to content", "Withdrawal tracker", "Pending", "Dashboard"]
    page.keyboard.press("Enter")
    expect(page).to_have_url(server("/dashboard"))


def test_focus_outline_contrasts_with_the_page(page: Page, server: LiveServer) -> None:
    """The focus ring is visible against the white page around it: at least 3:1 (WCAG 2.1
    SC 1.4.11, non-text contrast), as the header's blue already gets."""
    page.goto(server("/login"))
    tab_to(page, "name")
    seen = page.evaluate(
        """() => {
          const s = getComputedStyle(document.activeElement);
          return {outline: s.outlineColor,
                  around: getComputedStyle(document.querySelector('main')).backgroundColor};
        }"""
    )
    ratio = contrast(seen["outline"], seen["around"])
    assert ratio >= 3, (
        f"the focus outline {seen['outline']} on the page's {seen['around']} has a contrast of "
        f"{ratio:.2f}:1, below 3:1 (tracker.css --focus)"
    )


# --- the case changed meanwhile -------------------------------------------------------------


def test_a_step_recorded_meanwhile_in_another_tab_is_explained_and_nothing_is_saved(
    new_context: Callable[..., tuple[Any, Watch]], fresh_server: LiveServer
) -> None:
    server = fresh_server
    context, _ = new_context()
    first = context.new_page()
    sign_in(first, server, "clerk")
    second = context.new_page()
    for page in (first, second):
        page.goto(server(f"/cases/{PRACTICE}"))
    record(first, "submit_to_parliament", "2025-02-01", bill=BILL)

    step = second.locator("#step-submit_to_parliament")
    step.locator("#f-submit_to_parliament-on").fill("2025-02-02")
    step.locator("#f-submit_to_parliament-bill").fill("Another bill")
    with second.expect_response(re.compile(r"/steps$")) as response_info:
        step.get_by_role("button", name=re.compile(r"^Record: ")).click()
    assert response_info.value.status == 409
    expect(second.locator("#refused")).to_contain_text("someone else changed this case")
    alert = second.locator('section[aria-labelledby="next-h"]').get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed this case meanwhile.")
    expect(alert).to_contain_text("In parliament")
    second.goto(server(f"/cases/{PRACTICE}"))
    expect(second.locator(EVENTS)).to_have_count(1)  # only the first tab's step was saved
    expect(timeline_entry(second, "Bill submitted to parliament")).to_contain_text(BILL)


# --- 5. clean pages, nothing from outside, screenshots ---------------------------------------


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_main_pages_have_no_console_errors_load_nothing_from_outside_and_are_captured(
    new_context: Callable[..., tuple[Any, Watch]], server: LiveServer, size: str
) -> None:
    viewport = DESKTOP if size == "desktop" else PHONE
    phone = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    context, watch = new_context(viewport, **phone)
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    visited = []
    response = page.goto(server("/login"))
    assert response is not None and response.status == 200
    page.screenshot(path=SCREENSHOTS / f"sign-in-{size}.png", full_page=True)
    sign_in(page, server, "admin")
    for name, path in MAIN_PAGES:
        response = page.goto(server(path))
        assert response is not None and response.status == 200, (path, response)
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        expect(page.locator("main h1")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"{name}-{size}.png", full_page=True)
        visited.append(path)

    # The pages' own resources came from the server (the stylesheet applied, no broken image).
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    assert not watch.console_errors, f"console errors on {visited}: {watch.console_errors}"
    assert not watch.foreign, f"requests left 127.0.0.1: {watch.foreign}"
    for name, _ in (("sign-in", ""), *MAIN_PAGES):
        assert (SCREENSHOTS / f"{name}-{size}.png").stat().st_size > 5_000, name


def test_a_request_to_another_host_is_refused_and_noticed(
    page: Page, server: LiveServer, watch: Watch
) -> None:
    """The guard itself catches (and refuses) a request elsewhere, so that an empty list in the
    other tests means something. (A subresource elsewhere is already stopped by the CSP, before
    any request: a navigation is what reaches the guard.)"""
    sign_in(page, server, "viewer")
    with pytest.raises(Exception, match="ERR_BLOCKED_BY_CLIENT"):
        page.goto("http://example.org/elsewhere")
    assert watch.foreign == ["http://example.org/elsewhere"]
    watch.foreign.clear()  # expected here: the fixture's final check must not fail this test
