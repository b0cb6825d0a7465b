"""Documents through the pages and the API: a clerk attaches files to a step, anyone signed in
downloads them with safe headers, and a bad file is refused naming the limit or the types."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.services import queries
from app.services.context import Tracker
from app.web.api_models import Case, RecordedCase
from tests.web.conftest import (
    PRACTICE,
    SignIn,
    form_posting_to,
    html_of,
    location,
    snapshot,
)

CASE = f"/cases/{PRACTICE}"
STEPS = f"{CASE}/steps"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TEXT = "Note verbale n\u00b0 12, re\u00e7ue le 5 janvier.\n".encode()
STEP = {
    "occurred_on": "2026-01-05",
    "evidence.bill": "Bill 123/Lm14",
    "evidence.source": "Saeima register",
    "evidence.confidence": "H",
}


def stored_files(app: Flask) -> list[Path]:
    root = Path(app.config["DOCUMENTS_PATH"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def post_step(client: FlaskClient, *files: tuple[bytes, str]) -> TestResponse:
    """The first step's form on the case page, submitted with these files."""
    form = form_posting_to(html_of(client.get(CASE)), STEPS, trigger="submit_to_parliament")
    data: dict[str, Any] = {**form.fields, **STEP}
    data["documents"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(STEPS, data=data, content_type="multipart/form-data")


def documents_of_event(page: str, seq: int = 2) -> str:
    """The list of documents of a timeline event (empty when it has none)."""
    start = page.find(f'aria-label="Documents of event {seq}"')
    return "" if start < 0 else page[start : page.find("</ul>", start)]


def document_links(page: str) -> list[tuple[str, str]]:
    """The (address, text) of each document link of the timeline's event 2."""
    listed = documents_of_event(page)
    return re.findall(r'<a href="([^"]+/documents/[0-9a-f]{64})" download>([^<]+)</a>', listed)


def test_a_clerk_attaches_documents_and_anyone_signed_in_downloads_them(
    app: Flask, practice: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    response = post_step(clerk, (PDF, "instrument.pdf"), (TEXT, "note-verbale.txt"))
    assert response.status_code == 302, html_of(response)
    page = html_of(clerk.get(location(response)))
    links = document_links(page)
    assert [name for _, name in links] == ["instrument.pdf", "note-verbale.txt"]
    event = documents_of_event(page)
    assert f"PDF, {len(PDF)} bytes" in event and "plain text (UTF-8)" in event
    assert len(stored_files(app)) == 2

    viewer = signed_in("viewer")
    pdf = viewer.get(links[0][0])
    assert pdf.status_code == 200 and pdf.data == PDF
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        "attachment; filename=\"instrument.pdf\"; filename*=UTF-8''instrument.pdf"
    )
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert pdf.headers["Content-Security-Policy"].startswith("default-src 'none'; sandbox")
    text = viewer.get(links[1][0])
    assert text.data == TEXT and text.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_a_file_too_large_is_refused_with_the_limit_and_nothing_is_stored(
    app: Flask, practice: Tracker, signed_in: SignIn
) -> None:
    app.extensions["tracker"].documents = app.extensions["tracker"].documents.__class__(
        Path(app.config["DOCUMENTS_PATH"]), max_bytes=1000
    )
    before = snapshot(practice)
    clerk = signed_in("clerk")
    response = post_step(clerk, (PDF + b"x" * 1000, "law.pdf"))
    assert response.status_code == 422
    page = html_of(response)
    assert "Documents: law.pdf is 1" in page and "the limit is 1 KB per file" in page
    assert "has-error" in page.split('name="documents"')[0].rsplit('<div class="field', 1)[1]
    assert snapshot(practice) == before and stored_files(app) == []


def test_a_step_whose_files_exceed_the_request_limit_is_413_with_the_limits(
    app: Flask, practice: Tracker, signed_in: SignIn
) -> None:
    app.config.update(MAX_DOCUMENTS_PER_STEP=1, MAX_DOCUMENT_BYTES=1000)  # the body: 1 MB + 1 KB
    before = snapshot(practice)
    response = post_step(signed_in("clerk"), *[(PDF + b"x" * 900_000, f"{n}.pdf") for n in "ab"])
    assert response.status_code == 413
    page = html_of(response)
    assert "up to 1 KB each, at most 1 file." in page  # the documents' limits, in words
    assert "The other fields together may be up to 1 MB" in page
    assert snapshot(practice) == before and stored_files(app) == []


def test_a_file_of_a_refused_type_is_refused_naming_the_allowed_types(
    app: Flask, practice: Tracker, signed_in: SignIn
) -> None:
    before = snapshot(practice)
    clerk = signed_in("clerk")
    # a ZIP (a .docx) named .pdf: the content decides, not the name
    response = post_step(clerk, (b"PK\x03\x04" + b"\x00\xff" * 20, "instrument.pdf"))
    assert response.status_code == 422
    page = html_of(response)
    assert "Documents: instrument.pdf is not a file of an allowed type" in page
    assert "PDF, PNG image, JPEG image or plain text (UTF-8)" in page
    assert snapshot(practice) == before and stored_files(app) == []


def test_a_refused_step_records_no_event_and_keeps_no_file(
    app: Flask, practice: Tracker, signed_in: SignIn
) -> None:
    before = snapshot(practice)
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get(CASE)), STEPS, trigger="submit_to_parliament")
    data: dict[str, Any] = {**form.fields, **STEP, "occurred_on": "2099-01-01"}
    data["documents"] = [(io.BytesIO(PDF), "law.pdf")]
    response = clerk.post(STEPS, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert snapshot(practice) == before and stored_files(app) == []


def test_a_name_full_of_path_tricks_is_kept_as_a_plain_name(
    app: Flask, practice: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    response = post_step(clerk, (PNG, "../../etc/..\\\x07passwd.png"))
    assert response.status_code == 302
    links = document_links(html_of(clerk.get(CASE)))
    assert [name for _, name in links] == ["passwd.png"]
    sha = hashlib.sha256(PNG).hexdigest()
    assert stored_files(app) == [Path(app.config["DOCUMENTS_PATH"]) / sha[:2] / sha]
    download = clerk.get(links[0][0])
    assert download.headers["Content-Type"] == "image/png"
    assert "filename*=UTF-8''passwd.png" in download.headers["Content-Disposition"]


def test_a_download_needs_a_signed_in_user_and_a_document_of_that_case(
    app: Flask, practice: Tracker, signed_in: SignIn, anonymous: FlaskClient
) -> None:
    clerk = signed_in("clerk")
    post_step(clerk, (PDF, "instrument.pdf"))
    address = document_links(html_of(clerk.get(CASE)))[0][0]
    assert anonymous.get(address).status_code == 302  # to the sign-in page
    assert "/login" in location(anonymous.get(address))
    sha = address.rsplit("/", 1)[1]
    assert clerk.get(f"/cases/LV-APMBC-2025/documents/{sha}").status_code == 404
    assert clerk.get(f"{CASE}/documents/{'0' * 64}").status_code == 404
    assert clerk.get(f"{CASE}/documents/..%2F..%2Fsecret_key").status_code == 404


def test_a_document_name_that_is_not_ascii_downloads_under_its_own_name(
    practice: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    post_step(clerk, (TEXT, "Décision «finale».txt"))
    address, name = document_links(html_of(clerk.get(CASE)))[0]
    assert name == "Décision «finale».txt"
    disposition = clerk.get(address).headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="D_cision _finale_.txt"; '
        "filename*=UTF-8''D%C3%A9cision%20%C2%ABfinale%C2%BB.txt"
    )


# ------------------------------------------------------------------ the API

API_EVENTS = f"/api/v1/cases/{PRACTICE}/events"


@pytest.fixture
def token(practice: Tracker) -> dict[str, str]:
    from app.services import tokens

    return {"Authorization": f"Bearer {tokens.create_token(practice, 'clerk')}"}


def api_step(client: FlaskClient, headers: dict[str, str], **more: Any) -> TestResponse:
    body = {
        "trigger": "submit_to_parliament",
        "occurred_on": "2026-01-05",
        "evidence": {"bill": "Bill 123/Lm14", "source": "Saeima register", "confidence": "H"},
        **more,
    }
    return client.post(API_EVENTS, json=body, headers=headers)


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_the_api_records_documents_lists_them_and_serves_them(
    app: Flask, practice: Tracker, token: dict[str, str]
) -> None:
    client = app.test_client()
    documents = [{"name": "C:\\scans\\instrument.pdf", "content_base64": b64(PDF)}]
    response = api_step(client, token, documents=documents)
    assert response.status_code == 201, response.get_json()
    recorded = RecordedCase.model_validate(response.get_json())
    listed = recorded.recorded_event.documents
    sha = hashlib.sha256(PDF).hexdigest()
    assert [(d.name, d.media_type, d.size, d.sha256) for d in listed] == [
        ("instrument.pdf", "application/pdf", len(PDF), sha)
    ]
    assert listed[0].url == f"/api/v1/cases/{PRACTICE}/documents/{sha}"

    case = Case.model_validate(client.get(f"/api/v1/cases/{PRACTICE}", headers=token).get_json())
    assert [d.url for e in case.history for d in e.documents] == [listed[0].url]
    download = client.get(listed[0].url, headers=token)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(listed[0].url).status_code == 401
    missing = client.get(f"/api/v1/cases/{PRACTICE}/documents/{'a' * 64}", headers=token)
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "document"


def test_the_json_step_without_documents_works_as_before(
    practice: Tracker, app: Flask, token: dict[str, str]
) -> None:
    response = api_step(app.test_client(), token)
    assert response.status_code == 201
    assert response.get_json()["recorded_event"]["documents"] == []


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"name": "x.pdf", "content_base64": "%%% not base64"}, "not base64"),
        ({"name": "x.pdf", "content_base64": b64(b"\x00\x01binary")}, "allowed: PDF, PNG image"),
        ({"name": "..", "content_base64": b64(PDF)}, "no usable name"),
    ],
)
def test_the_api_refuses_a_bad_document_naming_the_field_and_records_nothing(
    app: Flask, practice: Tracker, token: dict[str, str], document: dict[str, str], says: str
) -> None:
    before = snapshot(practice)
    response = api_step(app.test_client(), token, documents=[document])
    assert response.status_code in (400, 422)
    error = response.get_json()["error"]
    assert error["field"] == "documents" and says in error["message"]
    assert snapshot(practice) == before and stored_files(app) == []


def test_the_api_refuses_a_document_over_the_limit_with_the_limit(
    app: Flask, practice: Tracker, token: dict[str, str]
) -> None:
    big = PDF + b"0" * app.config["MAX_DOCUMENT_BYTES"]
    response = api_step(
        app.test_client(), token, documents=[{"name": "big.pdf", "content_base64": b64(big)}]
    )
    assert response.status_code == 422
    assert "the limit is 10 MB per file" in response.get_json()["error"]["message"]
    assert stored_files(app) == []
    assert queries.get_case(practice, PRACTICE).state.state == "drafting"
