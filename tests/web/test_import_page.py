"""The admin's import page: a dry run that writes nothing, then the import, every refused line
listed; other roles are refused."""

from __future__ import annotations

import io
import json

from app.services.context import Tracker
from tests.conftest import all_cases
from tests.web.conftest import SignIn, csrf_token, html_of

CASE = {
    "country": "HU",
    "treaty": "rome-statute",
    "steps": [
        {"trigger": "submit_to_parliament", "occurred_on": "2025-04-03"},
        {"trigger": "deposit", "occurred_on": "2025-06-02"},  # not yet: the law is not adopted
    ],
}
GOOD = json.dumps({**CASE, "steps": CASE["steps"][:1]})
BAD = json.dumps(CASE)


def upload(client, content: str, dry_run: bool, name: str = "cases.jsonl"):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": csrf_token(client, "/import"),
        "file": (io.BytesIO(content.encode()), name),
        "format": "",
    }
    if dry_run:
        data["dry_run"] = "y"
    return client.post("/import", data=data, content_type="multipart/form-data")


def test_an_admin_checks_then_imports_a_file_and_sees_each_refused_line(
    tracker: Tracker, signed_in: SignIn
) -> None:
    admin = signed_in("admin")
    page = html_of(admin.get("/import"))
    assert 'enctype="multipart/form-data"' in page and 'name="dry_run"' in page

    dry = upload(admin, GOOD + "\n" + BAD + "\n", dry_run=True)
    assert dry.status_code == 422
    shown = html_of(dry)
    assert "Dry run: nothing was written." in shown
    assert "Would import 1 case (1 steps) · skipped 0 already present · refused 1" in shown
    assert "line 2: steps[1] (deposit): trigger: &#39;deposit&#39;" in shown
    assert all_cases(tracker) == []

    real = upload(admin, GOOD + "\n", dry_run=False)
    assert real.status_code == 200
    assert 'href="/cases/HU-ROME-STATUTE-2025"' in html_of(real)
    assert [c["reference"] for c in all_cases(tracker)] == ["HU-ROME-STATUTE-2025"]
    again = html_of(upload(admin, GOOD + "\n", dry_run=False))
    assert "skipped 1 already present" in again


def test_only_an_admin_may_import_and_an_upload_without_a_file_is_refused(
    tracker: Tracker, signed_in: SignIn
) -> None:
    for role in ("viewer", "clerk"):
        client = signed_in(role)
        assert client.get("/import").status_code == 403
    admin = signed_in("admin")
    empty = admin.post(
        "/import", data={"csrf_token": csrf_token(admin, "/import")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert empty.status_code == 422
    assert "file: choose a .jsonl or .csv file" in html_of(empty)
    assert all_cases(tracker) == []


def test_a_file_over_the_form_limit_but_within_the_import_limit_is_read(
    tracker: Tracker, signed_in: SignIn
) -> None:
    # 1.5 MB of lines: over the 1 MB that forms may send, under IMPORT_MAX_BYTES (the CSRF
    # check reads the form before the view, so the limit must be raised before it)
    lines = [GOOD] + [json.dumps({**CASE, "country": "XX"})] * 9000
    body = "\n".join(lines) + "\n"
    assert len(body.encode()) > 1.4 * 1024 * 1024
    response = upload(signed_in("admin"), body, dry_run=True)
    assert response.status_code == 422  # read and reported, not 413
    assert "Would import 1 case (1 steps)" in html_of(response)
