"""The API's groups: the same rules as the pages. A clerk's token makes a group and records
one step for all members; a refusal by one member is a 422 naming it, and nothing changes."""

from __future__ import annotations

import base64

from flask import Flask

from app.services import tokens
from app.services.cases import open_case
from app.services.context import Tracker
from app.services.queries import get_case
from tests.web.test_documents import PDF

API = "/api/v1"
BALTIC = "baltic-deposit-27-june-2025"
SAHEL = "sahel-states-announcement-22-september-2025"


def _headers(tracker: Tracker, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.create_token(tracker, name)}"}


def test_groups_are_listed_and_read(seeded: Tracker, app: Flask) -> None:
    client, viewer = app.test_client(), _headers(seeded, "viewer")
    listed = client.get(f"{API}/groups", headers=viewer).get_json()
    assert [g["slug"] for g in listed["items"]] == [BALTIC, SAHEL]
    group = client.get(f"{API}/groups/{BALTIC}", headers=viewer).get_json()
    assert [m["reference"] for m in group["members"]] == [
        "EE-APMBC-2025", "LT-APMBC-2025", "LV-APMBC-2025",
    ]  # fmt: skip
    assert {m["deposited"] for m in group["members"]} == {"2025-06-27"}
    sahel = client.get(f"{API}/groups/{SAHEL}", headers=viewer).get_json()
    assert {m["country_name"] for m in sahel["members"]} == {"Burkina Faso", "Mali", "Niger"}
    assert {m["deposited"] for m in sahel["members"]} == {None}, "announced, never received"
    missing = client.get(f"{API}/groups/nope", headers=viewer)
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "group"
    assert client.get(f"{API}/groups").status_code == 401


def test_a_clerk_records_a_group_deposit_all_or_none(seeded: Tracker, app: Flask) -> None:
    references = [
        open_case(seeded, c, "apmbc", "clerk", workflow="apmbc/international-only").reference
        for c in ("DK", "NO")
    ]
    client, clerk = app.test_client(), _headers(seeded, "clerk")
    viewer = _headers(seeded, "viewer")
    new = {"name": "Nordic deposit", "cases": references}
    assert client.post(f"{API}/groups", json=new, headers=viewer).status_code == 403
    made = client.post(f"{API}/groups", json=new, headers=clerk)
    assert made.status_code == 201 and made.headers["Location"] == f"{API}/groups/nordic-deposit"
    unknown = client.post(f"{API}/groups", json={"name": "X", "cases": ["DK", "XX-1"]},
                          headers=clerk)  # fmt: skip
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "cases"

    url = f"{API}/groups/nordic-deposit/events"
    step = {"trigger": "deposit", "occurred_on": "2026-06-27"}
    refused = client.post(url, json=step, headers=clerk)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["field"] == "evidence.reasons" and "DK-APMBC-2026 (Denmark)" in error["message"]
    stale = {**step, "evidence": {"reasons": "r"}, "expected_versions": {references[1]: 9}}
    assert client.post(url, json=stale, headers=clerk).status_code == 409
    assert [len(get_case(seeded, r).history) for r in references] == [1, 1]

    done = client.post(url, json={**step, "evidence": {"reasons": "r"}}, headers=clerk)
    assert done.status_code == 201
    assert {m["state"] for m in done.get_json()["members"]} == {"notice_period"}
    assert [len(get_case(seeded, r).history) for r in references] == [2, 2]


def test_a_group_event_takes_documents_as_a_case_event_does(seeded: Tracker, app: Flask) -> None:
    references = [
        open_case(seeded, c, "apmbc", "clerk", workflow="apmbc/international-only").reference
        for c in ("DK", "NO")
    ]
    client, clerk = app.test_client(), _headers(seeded, "clerk")
    client.post(f"{API}/groups", json={"name": "Nordic deposit", "cases": references},
                headers=clerk)  # fmt: skip
    url = f"{API}/groups/nordic-deposit/events"
    step = {"trigger": "deposit", "occurred_on": "2026-06-27", "evidence": {"reasons": "r"}}
    zip_file = base64.b64encode(b"PK\x03\x04" + b"\x00\xff" * 20).decode()
    zipped = [{"name": "i.pdf", "content_base64": zip_file}]
    bad = client.post(url, json={**step, "documents": zipped}, headers=clerk)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "documents"
    assert [len(get_case(seeded, r).history or ()) for r in references] == [1, 1]
    pdf = base64.b64encode(PDF).decode()
    done = client.post(url, json={**step, "documents": [{"name": "i.pdf", "content_base64": pdf}]},
                       headers=clerk)  # fmt: skip
    assert done.status_code == 201
    for reference in references:
        case = client.get(f"{API}/cases/{reference}", headers=clerk).get_json()
        assert [d["name"] for d in case["history"][-1]["documents"]] == ["i.pdf"]


def test_a_clerk_changes_a_groups_members(seeded: Tracker, app: Flask) -> None:
    client, clerk = app.test_client(), _headers(seeded, "clerk")
    url = f"{API}/groups/{BALTIC}/members"
    change = {"add": ["PL-APMBC-2025"], "remove": ["EE-APMBC-2025"], "reason": "an example"}
    assert client.post(url, json=change, headers=_headers(seeded, "viewer")).status_code == 403
    unknown = client.post(url, json={"add": ["XX-NOPE"]}, headers=clerk)
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "add"
    assert client.post(f"{API}/groups/nope/members", json=change, headers=clerk).status_code == 404
    bad = client.post(url, json={"add": "PL-APMBC-2025"}, headers=clerk)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "add"  # a list

    done = client.post(url, json=change, headers=clerk)
    assert done.status_code == 200
    group = done.get_json()
    assert [m["reference"] for m in group["members"]] == ["LT-APMBC-2025", "LV-APMBC-2025",
                                                          "PL-APMBC-2025"]  # fmt: skip
    last = group["changes"][-1]
    assert (last["changed_by"], last["added"], last["removed"]) == (
        "clerk", ["PL-APMBC-2025"], ["EE-APMBC-2025"])  # fmt: skip
    assert client.get(f"{API}/groups/{BALTIC}", headers=clerk).get_json() == group
