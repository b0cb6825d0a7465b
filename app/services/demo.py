"""Demo data: the real cases from demo_cases.yaml, one practice case per workflow, demo users."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from app.domain.countries import PRACTICE_COUNTRY
from app.persistence.models import SYSTEM_ACTOR, Case
from app.services.cases import advance, open_case, practice_reference
from app.services.context import Tracker
from app.services.groups import create_group, list_groups, slug_of
from app.services.users import create_user, list_users, set_password

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
    the new cases."""
    existing, added = _existing(tracker), []
    for spec in load_demo_cases():
        if spec["expect"]["reference"] in existing:
            continue
        view = open_case(
            tracker,
            spec["country"],
            spec["treaty"],
            SYSTEM_ACTOR,
            workflow=spec["workflow"],
            began_on=spec["began_on"],
            note=spec.get("note", ""),
        )
        for step in spec["steps"]:
            advance(
                tracker,
                view.reference,
                step["trigger"],
                str(step["on"]),
                SYSTEM_ACTOR,
                comment=step.get("comment", ""),
                evidence=step.get("evidence", {}),
            )
        added.append(view.reference)
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
