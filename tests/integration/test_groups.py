"""Groups of cases: one step recorded for every member at once, in one transaction, one event
in each member's own chain, all or none; a refusal names the member and the reason."""

from __future__ import annotations

import pytest

from app.domain.errors import Conflict, Forbidden, InvalidInput, NotAllowed, NotFound
from app.services.audit import verify_audit
from app.services.cases import open_case
from app.services.context import Tracker
from app.services.groups import change_members, create_group, get_group, record_group_step
from app.services.queries import get_case

REASONS = {"reasons": "The changed security environment of the region."}


@pytest.fixture
def baltic(tracker: Tracker) -> list[str]:
    """Three cases at MFA coordination, ready for the depositary."""
    return [
        open_case(tracker, c, "apmbc", "clerk", workflow="apmbc/international-only").reference
        for c in ("LV", "LT", "EE")
    ]


def _events(tracker: Tracker, references: list[str]) -> list[int]:
    return [len(get_case(tracker, r).history) for r in references]


def test_a_group_deposit_is_one_event_in_each_members_chain(
    tracker: Tracker, baltic: list[str]
) -> None:
    group = create_group(tracker, "Baltic deposit", baltic, "clerk", note="Joint decision")
    assert group.slug == "baltic-deposit" and group.references == sorted(baltic)
    assert group.common_steps[0].trigger == "deposit"

    after = record_group_step(tracker, "baltic-deposit", "deposit", "2026-06-27", "clerk",
                              evidence=REASONS)  # fmt: skip
    assert [m["stage"] for m in after.members] == ["Notice period"] * 3
    for reference in baltic:
        view = get_case(tracker, reference)
        assert len(view.history) == 2  # the opening, the deposit
        assert view.effective is not None and view.effective.on.isoformat() == "2026-12-27"
        assert "Recorded for the group 'Baltic deposit'" in view.history[-1].comment
    assert verify_audit(tracker).intact


def test_one_member_refusing_refuses_all_naming_it(tracker: Tracker, baltic: list[str]) -> None:
    drafting = open_case(tracker, "FI", "apmbc", "clerk", workflow="apmbc/generic").reference
    create_group(tracker, "Nordic and Baltic", [*baltic, drafting], "clerk")
    common = get_group(tracker, "nordic-and-baltic").common_steps
    assert "deposit" not in [t.trigger for t in common]
    before = _events(tracker, [*baltic, drafting])
    with pytest.raises(NotAllowed) as refused:
        record_group_step(tracker, "nordic-and-baltic", "deposit", "2026-06-27", "clerk",
                          evidence=REASONS)  # fmt: skip
    assert refused.value.message.startswith(f"trigger: {drafting} (Finland) refused it, so nothing")
    assert _events(tracker, [*baltic, drafting]) == before


def test_missing_evidence_and_a_stale_version_refuse_all(
    tracker: Tracker, baltic: list[str]
) -> None:
    create_group(tracker, "Baltic deposit", baltic, "clerk")
    before = _events(tracker, baltic)
    with pytest.raises(InvalidInput) as missing:
        record_group_step(tracker, "baltic-deposit", "deposit", "2026-06-27", "clerk")
    assert missing.value.field == "evidence.reasons"
    assert "EE-APMBC-2026 (Estonia) refused it" in missing.value.message
    versions = {r: get_case(tracker, r).version for r in baltic}
    versions["LV-APMBC-2026"] -= 1
    with pytest.raises(Conflict) as stale:
        record_group_step(tracker, "baltic-deposit", "deposit", "2026-06-27", "clerk",
                          evidence=REASONS, expected_versions=versions)  # fmt: skip
    assert "LV-APMBC-2026 (Latvia)" in stale.value.message
    assert _events(tracker, baltic) == before


def test_bad_groups_are_refused_naming_the_field(tracker: Tracker, baltic: list[str]) -> None:
    with pytest.raises(InvalidInput, match="at least two cases") as one:
        create_group(tracker, "Alone", baltic[:1], "clerk")
    assert one.value.field == "cases"
    with pytest.raises(NotFound, match="XX-NOPE"):
        create_group(tracker, "Ghosts", [baltic[0], "XX-NOPE"], "clerk")
    with pytest.raises(InvalidInput, match="name"):
        create_group(tracker, "  !!  ", baltic, "clerk")
    create_group(tracker, "Baltic deposit", baltic, "clerk")
    with pytest.raises(InvalidInput, match="exists already"):
        create_group(tracker, "Baltic  deposit", baltic, "admin")
    with pytest.raises(Forbidden):
        create_group(tracker, "Viewers' group", baltic, "viewer")
    with pytest.raises(Forbidden):
        record_group_step(tracker, "baltic-deposit", "deposit", "2026-06-27", "viewer",
                          evidence=REASONS)  # fmt: skip
    with pytest.raises(NotFound):
        get_group(tracker, "nope")


def test_members_change_with_who_when_and_why_and_earlier_steps_stay(
    tracker: Tracker, baltic: list[str]
) -> None:
    lv, lt, ee = baltic
    create_group(tracker, "Baltic deposit", [lv, lt], "clerk")
    record_group_step(tracker, "baltic-deposit", "deposit", "2026-06-27", "clerk",
                      evidence=REASONS)  # fmt: skip
    changed = change_members(tracker, "baltic-deposit", "admin", add=[ee.lower()], remove=[lt],
                             reason="Lithuania's instrument went separately")  # fmt: skip
    assert changed.references == sorted([lv, ee])
    making, change = changed.changes
    assert (making.changed_by, making.added, making.removed) == ("clerk", (lt, lv), ())
    assert (change.changed_by, change.added, change.removed) == ("admin", (ee,), (lt,))
    assert change.reason == "Lithuania's instrument went separately"
    assert get_group(tracker, "baltic-deposit").changes == changed.changes
    # the group's deposit stays in the chain of the member taken out
    assert "Recorded for the group 'Baltic deposit'" in get_case(tracker, lt).history[-1].comment
    assert verify_audit(tracker).intact


def test_a_refused_change_of_members_names_the_field_and_changes_nothing(
    tracker: Tracker, baltic: list[str]
) -> None:
    lv, lt, ee = baltic
    create_group(tracker, "Baltic deposit", [lv, lt], "clerk")
    refusals = [
        (InvalidInput, "add", {}, "name a case to add or a member to take out"),
        (InvalidInput, "add", {"add": [lv]}, f"{lv} is a member already"),
        (NotFound, "add", {"add": ["XX-NOPE"]}, "no case 'XX-NOPE'"),
        (InvalidInput, "remove", {"remove": [ee]}, f"{ee} is not a member; the members are {lt}"),
        (InvalidInput, "remove", {"remove": [lv]}, "a group needs at least two cases"),
        (InvalidInput, "remove", {"add": [ee], "remove": [ee]}, "both added and taken out"),
    ]  # fmt: skip
    for error, field, change, words in refusals:
        with pytest.raises(error) as refused:
            change_members(tracker, "baltic-deposit", "clerk", **change)
        assert refused.value.field == field and words in refused.value.message, change
    with pytest.raises(Forbidden):
        change_members(tracker, "baltic-deposit", "viewer", add=[ee])
    with pytest.raises(NotFound):
        change_members(tracker, "nope", "clerk", add=[ee])
    group = get_group(tracker, "baltic-deposit")
    assert group.references == sorted([lv, lt]) and len(group.changes) == 1
