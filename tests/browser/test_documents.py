"""Documents in headless Chromium: a clerk attaches a PDF and a text file to a step, finds
them on the timeline, downloads them under their own names; a refused file keeps the step
unrecorded and says what is allowed."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, LiveServer, Watch
from tests.browser.test_end_to_end import EVENTS, PRACTICE, sign_in

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOTE = "Note verbale n\u00b0 12 of 1 February 2025, received by the depositary.\n".encode()
STEP = "submit_to_parliament"


def open_step(page: Page, server: LiveServer) -> None:
    page.goto(server(f"/cases/{PRACTICE}"))
    step = page.locator(f"#step-{STEP}")
    folded = step.locator("details:not([open]) > summary")
    if folded.count():  # a folded form opens on click
        folded.first.click()
    step.locator(f"#f-{STEP}-on").fill("2025-02-01")


def test_a_clerk_attaches_documents_to_a_step_and_downloads_them(
    page: Page, fresh_server: LiveServer, tmp_path: Path, watch: Watch
) -> None:
    server = fresh_server
    sign_in(page, server, "clerk")
    (tmp_path / "instrument.pdf").write_bytes(PDF)
    (tmp_path / "note verbale.txt").write_bytes(NOTE)

    open_step(page, server)
    step = page.locator(f"#step-{STEP}")
    documents = step.get_by_label("Documents")
    expect(step).to_contain_text("PDF, PNG image, JPEG image or plain text (UTF-8); up to 10 MB")
    documents.set_input_files([tmp_path / "instrument.pdf", tmp_path / "note verbale.txt"])
    step.get_by_role("button", name=re.compile(r"^Record: ")).click()
    expect(page.locator(".flashes")).to_contain_text("Recorded: ")

    entry = page.locator(EVENTS, has_text="Bill submitted to parliament")
    listed = entry.get_by_role("list", name="Documents of event 2")
    expect(listed.get_by_role("listitem")).to_have_count(2)
    expect(listed).to_contain_text(f"instrument.pdf PDF, {len(PDF)} bytes")
    expect(listed).to_contain_text(f"note verbale.txt plain text (UTF-8), {len(NOTE)} bytes")
    page.screenshot(path=SCREENSHOTS / "case-documents-desktop.png", full_page=True)

    for name, content in (("instrument.pdf", PDF), ("note verbale.txt", NOTE)):
        with page.expect_download() as download_info:
            listed.get_by_role("link", name=name).click()
        download = download_info.value
        assert download.suggested_filename == name
        saved = tmp_path / "downloaded" / name
        download.save_as(saved)
        assert saved.read_bytes() == content
    assert watch.console_errors == []


def test_a_file_of_a_refused_type_is_named_and_nothing_is_recorded(
    page: Page, fresh_server: LiveServer, tmp_path: Path
) -> None:
    server = fresh_server
    sign_in(page, server, "clerk")
    fake = tmp_path / "instrument.pdf"
    fake.write_bytes(b"PK\x03\x04" + bytes(range(256)))  # a ZIP named .pdf

    open_step(page, server)
    step = page.locator(f"#step-{STEP}")
    step.get_by_label("Documents").set_input_files(fake)
    step.get_by_role("button", name=re.compile(r"^Record: ")).click()

    expect(page.locator("main")).to_contain_text(
        "Documents: instrument.pdf is not a file of an allowed type"
    )
    expect(page.locator(f"#step-{STEP} .field.has-error")).to_contain_text(
        "allowed: PDF, PNG image, JPEG image or plain text (UTF-8)"
    )
    page.goto(server(f"/cases/{PRACTICE}"))
    expect(page.locator(EVENTS)).to_have_count(0)
