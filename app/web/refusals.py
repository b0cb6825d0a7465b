"""A refused form on the case page, as a person reads it: which form, which of its fields, the
message with the field's label (at the top of the page) and without it (beside the field),
and the element to link to and focus. Also what a correction form changes: its fields come
filled with the event's values, so only the ones that differ are corrections."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.case import Step
from app.domain.clock import DateSpan, parse_span
from app.domain.definitions import Transition, Workflow
from app.domain.errors import DomainError
from app.web.format import dates_in, day, said, without_field

STEP_DATE_LABEL = "Date it happened"
CORRECTED_DATE_LABEL = "Corrected date"


@dataclass(frozen=True)
class Refusal:
    """What the page says about a refused form."""

    form: str  # a trigger, "correct-SEQ" or "undo"
    field: str | None  # the form's field at fault ("occurred_on", "evidence.source"), if one
    text: str  # for the top of the page: "Date it happened: ..."
    beside: str  # for beside the field: the message without the field's name
    target: str | None  # the id of the element to link to and focus


def field_ids(prefix: str, transition: Transition | None, admin: bool) -> dict[str, str]:
    """The element id of each field of a form whose ids start with `prefix`."""
    ids = {"occurred_on": f"{prefix}-on", "comment": f"{prefix}-comment"}
    if transition is not None:
        ids |= {f"evidence.{e.key}": f"{prefix}-{e.key}" for e in transition.evidence}
    # the correction's own reason: an evidence field may be called "reason" too
    return ids | ({"reason": f"{prefix}-correction-reason"} if admin else {})


def field_labels(transition: Transition | None, correcting: bool) -> dict[str, str]:
    """The label of each field of a step's or a correction's form."""
    labels = {
        "occurred_on": CORRECTED_DATE_LABEL if correcting else STEP_DATE_LABEL,
        "comment": "Corrected comment" if correcting else "Comment",
        "reason": "Reason",
        "changes": "Correction",
    }
    if transition is not None:
        labels |= {f"evidence.{e.key}": e.label for e in transition.evidence}
    return labels


def refusal(flow: Workflow, form: str, exc: DomainError, steps: Sequence[Step]) -> Refusal:
    """How the case page shows `exc`, the refusal of `form`."""
    if form == "undo":
        labels, ids = {"reason": "Reason"}, {"reason": "undo-reason"}
    else:
        correcting = form.startswith("correct-")
        trigger = _corrected_trigger(form, steps) if correcting else form
        transition = flow.find_transition(trigger)
        prefix = f"c{form.removeprefix('correct-')}" if correcting else f"f-{form}"
        labels = field_labels(transition, correcting)
        ids = field_ids(prefix, transition, correcting)
    where, message = _in_event(flow, form, in_words(flow, exc.message))
    return _refusal(form, exc.field, message, labels, ids, where)


def group_step_refusal(transition: Transition, exc: DomainError) -> Refusal:
    """How a group's page shows the refusal of its form for `transition` (recorded for every
    member; the message names the member that refused it)."""
    labels, ids = (
        field_labels(transition, False),
        field_ids(f"f-{transition.trigger}", transition, False),
    )
    message = named_in_words({transition.trigger: transition.label}, exc.message)
    return _refusal(transition.trigger, exc.field, message, labels, ids)


def _refusal(form: str, field: str | None, message: str, labels: Mapping[str, str],
             ids: Mapping[str, str], where: str = "") -> Refusal:  # fmt: skip
    """`message`, the refusal of `field`, as the top of the page and the field say it."""
    label = STEP_DATE_LABEL if where and field == "occurred_on" else labels.get(field or "")
    text = where + said(message, field, label)
    beside = where + dates_in(without_field(message, field))
    known = field if field in ids else None
    return Refusal(form, known, text, beside, ids[known] if known else next(iter(ids.values())))


QUOTED_ID = re.compile(r"'([a-z][a-z0-9_]*)'")


def in_words(flow: Workflow, message: str) -> str:
    """A message with each quoted step or stage id of `flow` ('adopt', 'parliament') as its
    label ('Saeima adopts the law (final reading)')."""
    labels = {t.trigger: t.label for t in flow.transitions}
    labels |= {id: stage.label for id, stage in flow.stages.items()}
    return named_in_words(labels, message)


def named_in_words(labels: Mapping[str, str], message: str) -> str:
    """A message with each quoted id that `labels` knows as its label."""

    def label(match: re.Match[str]) -> str:
        word = match.group(1)
        return f"'{labels[word]}'" if word in labels else match.group(0)

    return QUOTED_ID.sub(label, message)


# A correction's replay names the event it stopped at: "event 5 (sign): occurred_on: ...".
EVENT_PREFIX = re.compile(r"event (\d+) \(([\w-]+)\): ")


def _in_event(flow: Workflow, form: str, message: str) -> tuple[str, str]:
    """The event a message is about, in words ("" for the event being corrected itself), and
    the message without it."""
    match = EVENT_PREFIX.match(message)
    if match is None:
        return "", message
    seq, trigger = match.groups()
    rest = message[match.end() :]
    if form == f"correct-{seq}":
        return "", rest
    transition = flow.find_transition(trigger)
    label = transition.label if transition else trigger
    return f"Event {seq} ({label}) would no longer fit: ", rest


def _corrected_trigger(form: str, steps: Sequence[Step]) -> str:
    seq = form.removeprefix("correct-")
    return next((s.trigger for s in steps if str(s.seq) == seq), "")


def date_text(span: DateSpan | None) -> str:
    """A date as a form shows it to be edited: "27 Jun 2025", or "23 Apr 2025..24 Apr 2025"."""
    if span is None:
        return ""
    return day(span.earliest) if span.is_exact else f"{day(span.earliest)}..{day(span.latest)}"


@dataclass(frozen=True)
class Changes:
    """What a filled-in correction form changes: None where a field keeps its value."""

    occurred_on: str | None
    evidence: dict[str, Any] | None
    comment: str | None


def changes(step: Step, form: Mapping[str, str], evidence: Mapping[str, str]) -> Changes:
    """The fields of a correction form that differ from `step` as it stands; a field emptied
    drops that evidence (None), an unchanged one keeps it."""
    return Changes(
        _changed_date(step.span, form.get("occurred_on", "")),
        _changed_evidence(step.evidence, evidence) or None,
        _changed_text(step.comment, form.get("comment")),
    )


def _changed_date(current: DateSpan, given: str) -> str | None:
    given = given.strip()
    if not given:
        return None
    try:
        return None if parse_span(given) == current else given
    except DomainError:
        return given  # the service refuses it, naming the field


def _changed_evidence(current: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for key, value in given.items():
        value, now = value.strip(), current.get(key)
        if value == ("" if now is None else str(now)):
            continue
        changed[key] = value or None
    return changed


def _changed_text(current: str, given: str | None) -> str | None:
    if given is None or given.strip() == current.strip():
        return None
    return given
