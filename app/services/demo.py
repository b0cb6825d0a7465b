"""Demo data: the real cases from demo_cases.yaml, one practice case per workflow, demo users."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from app.domain.case import CaseState
from app.domain.clock import parse_span
from app.domain.countries import PRACTICE_COUNTRY
from app.persistence.models import SYSTEM_ACTOR, Case
from app.services.cases import (
    NewStep,
    Writing,
    open_case,
    open_in,
    open_linked,
    opening_for,
    practice_reference,
    record_cascading,
)
from app.services.context import Tracker
from app.services.groups import create_group, list_groups, slug_of
from app.services.users import active_user, create_user, list_users, set_password

DEMO_CASES = Path(__file__).with_name("demo_cases.yaml")
DEMO_USERS = (("viewer", "viewer"), ("clerk", "clerk"), ("admin", "admin"))


def load_demo_cases(path: Path = DEMO_CASES, part: str = "cases") -> list[dict[str, Any]]:
    """The seed cases (or `part="groups"`: the groups) as written in the YAML file (tests
    compare them with computed dates)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items: list[dict[str, Any]] = data.get(part, [])
    return items


def _existing(tracker: Tracker) -> set[str]:
    with tracker.transaction() as session:
        return set(session.scalars(select(Case.reference)))


def seed_demo(tracker: Tracker) -> list[str]:
    """Add whatever demo case (and group) is missing; running it twice adds nothing. Returns
    the new cases. Each case is opened and walked through its steps in one transaction,
    checked step by step as any advance is, without rebuilding its view after every step."""
    existing, added = _existing(tracker), []
    for spec in load_demo_cases():
        if spec["expect"]["reference"] not in existing:
            added.append(_seed_case(tracker, spec))
    for name, flow in sorted(tracker.registry.workflows.items()):
        if practice_reference(flow) in existing:
            continue
        open_case(
            tracker,
            PRACTICE_COUNTRY,
            flow.treaty.code,
            SYSTEM_ACTOR,
            workflow=name,
            practice=True,
            note=f"Practice case for the workflow {name}: advance it freely to learn the steps.",
        )
        added.append(practice_reference(flow))
    _seed_groups(tracker, existing | set(added))
    return added


def _seed_groups(tracker: Tracker, cases: set[str]) -> list[str]:
    """The demo groups whose members all exist and that do not exist yet; their names."""
    present = {g.slug for g in list_groups(tracker)}
    added = []
    for spec in load_demo_cases(part="groups"):
        if slug_of(spec["name"]) in present or not set(spec["members"]) <= cases:
            continue
        create_group(tracker, spec["name"], spec["members"], SYSTEM_ACTOR, note=spec["note"])
        added.append(spec["name"])
    return added


def _seed_case(tracker: Tracker, spec: dict[str, Any]) -> str:
    opening = opening_for(tracker, spec["country"], spec["treaty"], spec["workflow"])
    opening = replace(
        opening,
        began_on=spec["began_on"],
        note=spec.get("note", ""),
        in_force_since=spec.get("in_force_since"),
    )
    with tracker.transaction() as session:
        user = active_user(session, SYSTEM_ACTOR)
        row = open_in(tracker, session, user, opening)
        open_linked(tracker, session, user, row)
        case = Writing(row, opening.flow, CaseState(opening.flow.initial))
        for step in spec["steps"]:
            new = NewStep(
                step["trigger"],
                parse_span(str(step["on"])),
                step.get("comment", ""),
                step.get("evidence", {}),
            )
            record_cascading(tracker, session, case, user, new)
            session.flush()  # one row version per event, as advancing one step at a time gives
        return row.reference


def demo_users(tracker: Tracker) -> list[tuple[str, str, str]]:
    """Create (or reset) one demo user per role; returns (name, role, password) to print."""
    out, existing = [], {u["name"] for u in list_users(tracker)}
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        if name in existing:
            set_password(tracker, name, password)
        else:
            create_user(tracker, name, role, password)
        out.append((name, role, password))
    return out
