"""Groups of cases that act together: creating one, reading one, and recording one step for
all its members at once (one transaction, one event in each member's own chain, all or none)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from app.domain.audit import utc_iso
from app.domain.clock import DateSpan, parse_span
from app.domain.countries import country_name
from app.domain.definitions import Transition
from app.domain.errors import DomainError, InvalidInput, NotFound
from app.persistence.models import Case, CaseGroup, CaseGroupChange, CaseGroupMember
from app.services.case_list import listed
from app.services.cases import WRITERS, NewStep, Writing, record_cascading
from app.services.context import Tracker
from app.services.documents import Upload, check_uploads, store_files
from app.services.recording import case_workflow, check_version, projected_state
from app.services.users import active_user, require_role
from app.services.views import load_case, projected_view

NAME_MAX = 120
SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class GroupView:
    """A group with its members as lists show them (their projections), by reference."""

    slug: str
    name: str
    note: str
    created_by: str
    members: tuple[dict[str, Any], ...]
    common_steps: tuple[Transition, ...]  # the steps every member may take next
    changes: tuple[MembershipChange, ...]  # oldest first; the making is the first

    @property
    def references(self) -> list[str]:
        return [m["reference"] for m in self.members]

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "note": self.note,
            "created_by": self.created_by,
            "members": list(self.members),
            "common_steps": [{"trigger": t.trigger, "label": t.label} for t in self.common_steps],
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class MembershipChange:
    """Who changed the members, when, which cases came in and which left, and why."""

    changed_by: str
    changed_at: datetime
    added: tuple[str, ...]
    removed: tuple[str, ...]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "changed_by": self.changed_by,
            "changed_at": utc_iso(self.changed_at),
            "added": list(self.added),
            "removed": list(self.removed),
            "reason": self.reason,
        }


def slug_of(name: str) -> str:
    """The group's address from its name: "Baltic deposit, 27 June 2025" -> baltic-deposit-..."""
    return SLUG.sub("-", name.lower()).strip("-")[:64].strip("-")


def create_group(
    tracker: Tracker, name: str, references: Sequence[str], actor: str, note: str = ""
) -> GroupView:
    """Group at least two cases under a name (clerk or admin); the making is its first change."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX or not slug_of(name):
        raise InvalidInput(
            f"name: give the group a name of letters or digits, at most {NAME_MAX} characters "
            "(e.g. Baltic deposit, 27 June 2025)",
            field="name",
        )
    wanted = _references(references)
    if len(wanted) < 2:
        raise InvalidInput(f"cases: {TWO_AT_LEAST}", field="cases")
    with tracker.transaction() as session:
        user = require_role(active_user(session, actor), WRITERS, "creating a group")
        taken = session.scalar(
            select(CaseGroup.id).where((CaseGroup.name == name) | (CaseGroup.slug == slug_of(name)))
        )
        if taken is not None:
            raise InvalidInput(f"name: a group named {name!r} exists already", field="name")
        group = CaseGroup(slug=slug_of(name), name=name, note=note.strip(), created_by=user)
        group.members = [CaseGroupMember(case=_member(session, r, "cases")) for r in wanted]
        group.changes = [CaseGroupChange(changed_by=user, added=sorted(wanted), removed=[])]
        session.add(group)
        session.flush()
        return _view(tracker, session, group)


def change_members(
    tracker: Tracker,
    slug: str,
    actor: str,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    reason: str = "",
) -> GroupView:
    """Add cases to a group and take others out (clerk or admin), recorded with who, when and
    why; the group keeps at least two members. A step recorded for the group before stays in
    each member's own chain, a member taken out included."""
    adding, removing = _references(add), _references(remove)
    if not adding and not removing:
        raise InvalidInput("add: name a case to add or a member to take out", field="add")
    both = sorted(set(adding) & set(removing))
    if both:
        raise InvalidInput(f"remove: {', '.join(both)} cannot be both added and taken out",
                           field="remove")  # fmt: skip
    with tracker.transaction() as session:
        user = require_role(active_user(session, actor), WRITERS, "changing a group's members")
        group = _load(session, slug)
        members = {m.case.reference: m for m in group.members}
        _check_change(members, adding, removing)
        for reference in removing:
            group.members.remove(members[reference])
        group.members.extend(CaseGroupMember(case=_member(session, r, "add")) for r in adding)
        group.changes.append(
            CaseGroupChange(
                changed_by=user,
                added=sorted(adding),
                removed=sorted(removing),
                reason=reason.strip(),
            )
        )
        session.flush()
        return _view(tracker, session, group)


def _check_change(members: Mapping[str, CaseGroupMember], adding: list[str],
                  removing: list[str]) -> None:  # fmt: skip
    """The references to add are not members yet, those to take out are, and two stay."""
    already = [r for r in adding if r in members]
    if already:
        raise InvalidInput(f"add: {', '.join(already)} is a member already", field="add")
    strangers = [r for r in removing if r not in members]
    if strangers:
        raise InvalidInput(
            f"remove: {', '.join(strangers)} is not a member; the members are "
            + ", ".join(sorted(members)),
            field="remove",
        )
    if len(members) + len(adding) - len(removing) < 2:
        raise InvalidInput(f"remove: {TWO_AT_LEAST}", field="remove")


TWO_AT_LEAST = "a group needs at least two cases (e.g. LV-APMBC-2025, LT-APMBC-2025)"


def _references(given: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(r.strip().upper() for r in given if r.strip()))


def _member(session: Session, reference: str, field: str) -> Case:
    try:
        return load_case(session, reference)
    except NotFound:
        raise NotFound(
            f"{field}: no case {reference!r}; the list of cases shows the references", field=field
        ) from None


def list_groups(tracker: Tracker) -> list[GroupView]:
    """Every group, by name."""
    with tracker.snapshot() as session:
        groups = session.scalars(_groups().order_by(CaseGroup.name))
        return [_view(tracker, session, g) for g in groups]


def get_group(tracker: Tracker, slug: str) -> GroupView:
    """The group at this address, its members as they stand."""
    with tracker.snapshot() as session:
        return _view(tracker, session, _load(session, slug))


def record_group_step(
    tracker: Tracker,
    slug: str,
    trigger: str,
    occurred_on: str | DateSpan,
    actor: str,
    comment: str = "",
    evidence: Mapping[str, object] | None = None,
    expected_versions: Mapping[str, int] | None = None,
    documents: Sequence[Upload] = (),
) -> GroupView:
    """Record one step for every member in one transaction: an event in each member's chain,
    through the same checks as a single case's step. One member refused: none is recorded,
    and the refusal names that member and the reason. The documents are checked first and
    stored once (by SHA-256); every member's event names them, as a single case's step does."""
    span = occurred_on if isinstance(occurred_on, DateSpan) else parse_span(occurred_on)
    files = check_uploads(tracker, documents)
    with tracker.transaction() as session:
        group = _load(session, slug)
        user = active_user(session, actor)
        note = f"Recorded for the group '{group.name}', for all its members at once."
        refs = tuple(f.ref for f in files)
        new = NewStep(trigger, span, f"{comment.strip()}\n{note}".strip(), evidence, refs)
        for member in sorted(group.members, key=lambda m: m.case.reference):
            row = member.case
            try:
                check_version(row, (expected_versions or {}).get(row.reference))
                writing = Writing(row, case_workflow(tracker, session, row), projected_state(row))
                record_cascading(tracker, session, writing, user, new)
            except DomainError as exc:
                raise exc.within(
                    f"{row.reference} ({country_name(row.country)}) refused it, so nothing was "
                    "recorded for any member"
                ) from exc
        store_files(tracker, files)
        session.flush()
        return _view(tracker, session, group)


def _groups() -> Select[CaseGroup]:
    return select(CaseGroup).options(
        selectinload(CaseGroup.members), selectinload(CaseGroup.changes)
    )


def _load(session: Session, slug: str) -> CaseGroup:
    group = session.scalar(_groups().where(CaseGroup.slug == slug))
    if group is None:
        raise NotFound(f"group: no group {slug!r}", field="group")
    return group


def _view(tracker: Tracker, session: Session, group: CaseGroup) -> GroupView:
    rows: list[Case] = sorted((m.case for m in group.members), key=lambda c: c.reference)
    views = [projected_view(tracker, session, row) for row in rows]
    common: list[Transition] = []
    if views:
        others = [{a.transition.trigger for a in v.available} for v in views[1:]]
        common = [
            a.transition
            for a in views[0].available
            if all(a.transition.trigger in triggers for triggers in others)
        ]
    return GroupView(
        slug=group.slug,
        name=group.name,
        note=group.note,
        created_by=group.created_by.name,
        members=tuple(listed(tracker, session, row) for row in rows),
        common_steps=tuple(common),
        changes=tuple(_change(c) for c in group.changes),
    )


def _change(change: CaseGroupChange) -> MembershipChange:
    return MembershipChange(
        changed_by=change.changed_by.name,
        changed_at=change.changed_at,
        added=tuple(change.added),
        removed=tuple(change.removed),
        reason=change.reason,
    )
