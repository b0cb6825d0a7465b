"""JSON API v1 for groups of cases: list, read, make one, and record one step for all its
members (all or none), on the API's blueprint, with its authentication and error rules."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue

from app import tracker_of
from app.domain.errors import InvalidInput
from app.services import groups
from app.web.api import bp, caller
from app.web.api_input import ApiError, body, text
from app.web.params import in_range


def _strings(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, "malformed", f"{key}: a list of strings is required", key)
    return value


def _versions(data: dict[str, Any]) -> dict[str, int]:
    """expected_versions: {reference: version}, each a whole number in range."""
    value = data.get("expected_versions") or {}
    if not isinstance(value, dict):
        raise ApiError(400, "malformed", "expected_versions: an object of reference: version",
                       "expected_versions")  # fmt: skip
    try:
        return {str(k): in_range(v, f"expected_versions.{k}") for k, v in value.items()}
    except InvalidInput as exc:
        raise ApiError(400, "malformed", exc.message, exc.field) from None


@bp.get("/groups")
def list_groups() -> ResponseReturnValue:
    return {"items": [g.to_json() for g in groups.list_groups(tracker_of())]}


@bp.post("/groups")
def create_group() -> ResponseReturnValue:
    data = body()
    group = groups.create_group(
        tracker_of(), text(data, "name") or "", _strings(data, "cases"), caller().name,
        text(data, "note", required=False) or "",
    )  # fmt: skip
    return group.to_json(), 201, {"Location": url_for("api.get_group", slug=group.slug)}


@bp.get("/groups/<slug>")
def get_group(slug: str) -> ResponseReturnValue:
    return groups.get_group(tracker_of(), slug).to_json()


@bp.post("/groups/<slug>/events")
def record_group_event(slug: str) -> ResponseReturnValue:
    data = body()
    evidence = data.get("evidence") or {}
    if not isinstance(evidence, dict):
        raise ApiError(400, "malformed", "evidence: an object of key: value", "evidence")
    group = groups.record_group_step(
        tracker_of(), slug, text(data, "trigger") or "", text(data, "occurred_on") or "",
        caller().name, text(data, "comment", required=False) or "", evidence, _versions(data),
    )  # fmt: skip
    return group.to_json(), 201
