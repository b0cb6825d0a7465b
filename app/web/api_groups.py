"""JSON API v1 for groups of cases: list, read, make one, change its members, and record one
step for all its members (all or none), on the API's blueprint, with its authentication and
error rules."""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue

from app import tracker_of
from app.services import groups
from app.web.api import bp, caller
from app.web.api_input import body, parsed
from app.web.api_requests import MemberChange, NewGroup, NewGroupEvent
from app.web.documents import decoded_documents


@bp.get("/groups")
def list_groups() -> ResponseReturnValue:
    return {"items": [g.to_json() for g in groups.list_groups(tracker_of())]}


@bp.post("/groups")
def create_group() -> ResponseReturnValue:
    new = parsed(NewGroup, body())
    group = groups.create_group(tracker_of(), new.name, new.cases, caller().name, new.note or "")
    return group.to_json(), 201, {"Location": url_for("api.get_group", slug=group.slug)}


@bp.get("/groups/<slug>")
def get_group(slug: str) -> ResponseReturnValue:
    return groups.get_group(tracker_of(), slug).to_json()


@bp.post("/groups/<slug>/members")
def change_group_members(slug: str) -> ResponseReturnValue:
    change = parsed(MemberChange, body())
    return groups.change_members(
        tracker_of(), slug, caller().name, change.add or [], change.remove or [],
        change.reason or "",
    ).to_json()  # fmt: skip


@bp.post("/groups/<slug>/events")
def record_group_event(slug: str) -> ResponseReturnValue:
    new = parsed(NewGroupEvent, body())
    uploads = decoded_documents(new.documents or [])
    group = groups.record_group_step(
        tracker_of(), slug, new.trigger, new.occurred_on, caller().name, new.comment or "",
        new.evidence or {}, new.expected_versions or {}, uploads,
    )  # fmt: skip
    return group.to_json(), 201
