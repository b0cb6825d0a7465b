"""What the JSON API answers, as typed models: the OpenAPI document's response schemas are
generated from them (app/web/openapi.py), and the tests check every answer against them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Count = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(ge=1)]
Hash = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
Role = Literal["viewer", "clerk", "admin"]


class Answer(BaseModel):
    """A response object: every key listed is always present (null where it says so), and
    no other key is."""

    model_config = ConfigDict(extra="forbid")


class EvidenceField(Answer):
    key: str
    type: Literal["text", "int", "date", "choice", "url"]
    required: bool
    label: str
    allowed: str = Field(description="what is allowed, in words (e.g. 'a whole number >= 0')")


class Step(Answer):
    """A step a case may take"""

    trigger: str
    label: str
    roles: list[Role]
    due_on: date | None = Field(description="for the treaty clock's steps: the day it is due")
    awaited_on: date | None = Field(
        None, description="the date an earlier step set for this one (a law parked in committee)"
    )
    date_note: str = Field(description="what occurred_on means for this step")


class AvailableTrigger(Step):
    """A step the case may take next, with the evidence it takes"""

    evidence: list[EvidenceField]


class Document(Answer):
    """A file attached to an event when it was recorded; the event's hash covers all but url"""

    sha256: Hash = Field(description="the SHA-256 of the file's bytes (its name in the store)")
    name: str = Field(description="the name given, directories and control characters removed")
    media_type: Literal["application/pdf", "image/png", "image/jpeg", "text/plain"]
    size: Count = Field(description="in bytes")
    url: str = Field(description="where a signed-in user downloads it")


class Event(Answer):
    """One recorded event of the append-only, hash-chained log"""

    case: str
    seq: Positive
    trigger: str
    from_state: str
    to_state: str
    occurred_on: date = Field(
        description="the real-world date (the earliest, when only bounds are known)"
    )
    occurred_until: date | None = Field(description="the latest date, when only bounds are known")
    recorded_at: datetime
    actor: str
    comment: str
    evidence: dict[str, Any]
    prev_hash: Hash
    hash: Hash
    documents: list[Document]


class EventLabels(Answer):
    """An event's step and stages in words, as the workflow its case started with names them"""

    step: str
    from_stage: str
    to_stage: str


class CaseEvent(Event):
    """An event of a case's history, with its labels"""

    labels: EventLabels


class CaseStage(Answer):
    label: str
    description: str
    responsible: str
    final: bool


class CaseDates(Answer):
    deposited: date | None
    deposited_until: date | None = Field(
        description="the latest day of a receipt known only within bounds"
    )
    effective: date | None
    effective_basis: str | None
    notice_period_ends: date | None
    armed_conflict_since: date | None
    revoked: date | None = Field(description="the day the notification was revoked, if it was")
    effect_disputed_since: date | None = Field(
        description="the effect waits for a condition since this day"
    )
    condition_met: date | None = Field(
        description="the day the condition on the effect was recorded met"
    )
    membership_ceased: date | None = Field(
        description="membership ended by decision as from this day"
    )


class LinkedCase(Answer):
    """The country's case under a treaty linked to this one (UNFCCC and Paris, Art. 28(3))"""

    reference: str
    treaty: str
    why: str = Field(description="the article that links them")


class CaseNames(Answer):
    """How every answer names a case: its reference, country, treaty and workflow"""

    reference: str
    country: str = Field(description="ISO 3166-1 alpha-2 code (ZZ for a practice case)")
    country_name: str
    treaty: str
    treaty_name: str
    workflow: str


class CaseState(CaseNames):
    """What a case and the answer to a step on it both say"""

    workflow_version: str
    practice: bool
    opened_on: date = Field(description="the day the case record was opened")
    opened_by: str = Field(description="who opened the record")
    procedure_began_on: date | None = Field(
        description="the first step's date, else the one given when opened"
    )
    procedure_began_from: Literal["first step", "given when the case was opened"] | None
    note: str
    kind: str = Field(description="the kind of treaty action, e.g. withdrawal, suspension_claim")
    in_force_since: date | None = Field(
        description="the day the treaty entered into force for the State"
    )
    notice_allowed_from: date | None = Field(
        description="the first day notice is allowed, where a bar applies"
    )
    state: str
    stage: CaseStage
    version: Positive
    as_of: date | None = Field(description="the past date the case was rebuilt for, if asked")
    dates: CaseDates
    linked_cases: list[LinkedCase]
    available_triggers: list[AvailableTrigger]


class Case(CaseState):
    """A case as it stands (or stood on as_of), rebuilt from its events"""

    history: list[CaseEvent]


class RecordedCase(CaseState):
    """The case as it stands after the step (getCase reads its history), with the event
    recorded"""

    recorded_event: CaseEvent


class Listed(CaseNames):
    """What every list shows of a case, from its projection"""

    kind: str = Field(description="the kind of treaty action, e.g. withdrawal, suspension_claim")
    state: str
    final: bool = Field(description="whether the case has reached a final stage")
    practice: bool
    began: date | None = Field(
        description="when the procedure began: its first step, else the day given when the case "
        "was opened"
    )
    deposited: date | None = Field(
        description="the depositary's receipt (its earliest day when known only within bounds)"
    )
    deposited_until: date | None = Field(
        description="the latest day of a receipt known only within bounds, else null"
    )
    effective: date | None
    version: Positive


class CaseSummary(Listed):
    """A case as the list of cases shows it"""

    stage: str = Field(description="the stage's label in the case's workflow")
    next_date: date | None = Field(description="the next date the treaty clock sets, if any")


class PendingStage(Answer):
    label: str
    responsible: str


class NextDate(Answer):
    on: date
    what: str
    basis: str
    days_from_today: int


class PendingItem(Listed):
    """An open case with its next steps and the next date its treaty clock sets"""

    stage: PendingStage
    next_date: NextDate | None
    steps: list[Step]


class WorkflowSummary(Answer):
    name: str
    version: str
    label: str
    treaty: str


class Clock(Answer):
    article: str
    kind: str
    rule: str
    notice_period: str
    later_date_allowed: bool
    armed_conflict_deferral: bool
    earliest_notice_after_years: int | None


class WorkflowStage(Answer):
    id: str
    label: str
    responsible: str
    final: bool
    description: str


class Transition(AvailableTrigger):
    sources: list[str]
    dest: str
    guards: list[str]
    effects: list[str]


class Diagram(Answer):
    format: Literal["mermaid"]
    source: str


class Workflow(Answer):
    """A workflow definition: stages, transitions with their evidence, the clock, a diagram"""

    name: str
    version: str
    label: str
    treaty: str
    initial: str
    clock: Clock | None
    stages: list[WorkflowStage]
    transitions: list[Transition]
    diagram: Diagram


NEXT = "the address of the next page (also in the Link header), or null on the last page"


class Paged(Answer):
    total: Count
    page: Positive
    per_page: Positive
    next: str | None = Field(description=NEXT)


class CaseList(Paged):
    items: list[CaseSummary]


class EventList(Answer):
    """A page of the log, newest first; `next` reads on to older events (keyset pages: the
    same cost anywhere in a log of any length, hence no page numbers and no total)"""

    items: list[CaseEvent]
    per_page: Positive
    next: str | None = Field(description=NEXT)


class PendingList(Paged):
    items: list[PendingItem]
    as_of: date | None


class WorkflowList(Paged):
    items: list[WorkflowSummary]


class Break(Answer):
    case: str = Field(description="the case's reference; empty for a break of the case counts")
    seq: int = Field(description="the event's number in its case; 0 for the case counts")
    problem: str


class AuditResult(Answer):
    """The hash chains checked; first_break names the first event that does not match"""

    intact: bool
    cases: Count
    events: Count
    first_break: Break | None


class ErrorDetail(Answer):
    code: str = Field(description="e.g. malformed, unauthorized, forbidden, not_found, conflict")
    message: str = Field(description="what was wrong and what is allowed, for a person to read")
    field: str | None = Field(description="the input at fault, when there is one")
    current_version: int | None = Field(None, description="409 on a case: its version now")
    current_state: str | None = Field(None, description="409 on a case: its stage now")
    existing_case: str | None = Field(
        None,
        description="409 on opening a case: that country's case of the kind, open or in effect",
    )


class Error(Answer):
    error: ErrorDetail


class ConflictDetail(ErrorDetail):
    current_version: int = Field(description="the case's version now")
    current_state: str = Field(description="the case's stage now")


class VersionConflict(Answer):
    """A stale expected_version: the error says the case's version and stage"""

    error: ConflictDetail


class CommonStep(Answer):
    trigger: str
    label: str


class MembershipChange(Answer):
    """Who changed a group's members, when, and why; the group's making is the first"""

    changed_by: str
    changed_at: datetime
    added: list[str] = Field(description="references of the cases that came in")
    removed: list[str] = Field(description="references of the cases taken out")
    reason: str


class Group(Answer):
    """Cases that act together; a step recorded for the group is one event in each member"""

    slug: str = Field(description="the group's address, from its name")
    name: str
    note: str
    created_by: str
    members: list[CaseSummary]
    common_steps: list[CommonStep]
    changes: list[MembershipChange] = Field(description="oldest first")


class GroupList(Answer):
    items: list[Group]


RESPONSES: tuple[type[BaseModel], ...] = (
    Group,
    GroupList,
    Case,
    RecordedCase,
    CaseList,
    PendingList,
    EventList,
    Workflow,
    WorkflowList,
    AuditResult,
    Error,
    VersionConflict,
)
