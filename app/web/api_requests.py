"""What the JSON API takes, as typed models: the request bodies (strict: a string is not a
number) and the query strings of the lists. The OpenAPI document's request schemas and query
parameters are generated from them; app.web.api_input validates each request with them.

The models check shapes; what a value means (a known treaty, a date in order, a trigger the
case may take) is the services' to check, and they answer 422 naming the field. A date's
format is one of those: it is documented here and checked there."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from app.services.case_filter import STATUSES
from app.services.case_list import SORTS as CASE_SORTS
from app.services.queries import SORTS as PENDING_SORTS
from app.web.params import INT_MAX, MAX_PAGE

MAX_PER_PAGE = 200
DATE_RANGE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})?$"

Filled = Annotated[str, Field(min_length=1, pattern=r"\S")]  # not blank
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


def _checked_by_service(schema: dict[str, Any]) -> Any:
    """A string documented as `schema` (an enum, a pattern) whose value the service checks."""
    return WithJsonSchema({"type": "string", **schema})


def _digits(value: object) -> object:
    """A number in a query string is ASCII digits only: not '²', '1.0', '1_0' or '0x1'."""
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 20):
            raise ValueError("not a whole number")
        return int(text)
    return value


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class Body(BaseModel):
    """A request body: the keys named are required; other keys are ignored."""

    model_config = ConfigDict(strict=True)


class NewCase(Body):
    """Opens a case at its workflow's first stage (by default the country's own procedure
    for the treaty where one exists, else the generic one)"""

    country: Filled = Field(description="ISO 3166-1 alpha-2 code", examples=["EE"])
    treaty: Filled = Field(description="treaty code", examples=["apmbc"])
    workflow: str | None = Field(None, description="a workflow of the treaty (and of the country)")
    began_on: Day | None = Field(
        None,
        description="when the procedure began, if before today; its year is in the reference",
        examples=["2025-01-01"],
    )
    note: str | None = None
    in_force_since: Day | None = Field(
        None,
        description="the day the treaty entered into force for the State, where notice is "
        "allowed only years later (Paris Agreement Art. 28(1), UNFCCC Art. 25(1))",
        examples=["2016-11-04"],
    )
    allow_duplicate: bool = Field(
        False,
        description="open it even though an open case of the country, treaty and kind exists "
        "(without it, that is a 409 naming the case in existing_case)",
    )


class NewDocument(Body):
    """A file attached to the step when it is recorded (never later): PDF, PNG, JPEG or UTF-8
    plain text, its type read from its content"""

    name: Filled = Field(
        description="the file's name, shown and offered on download (directories are dropped)",
        examples=["instrument.pdf"],
    )
    content_base64: str = Field(
        description="the file's bytes, base64-encoded (RFC 4648); at most MAX_DOCUMENT_BYTES "
        "(10 MB by default) once decoded",
        json_schema_extra={"contentEncoding": "base64"},
        examples=["JVBERi0xLjQK"],
    )


class NewEvent(Body):
    """Records that the case took a step (trigger) on occurred_on, with its evidence (and
    documents)"""

    trigger: Filled = Field(
        description="one of the case's available_triggers", examples=["deposit"]
    )
    occurred_on: Annotated[Filled, _checked_by_service({"minLength": 1, "pattern": DATE_RANGE})] = (
        Field(
            description="YYYY-MM-DD, or EARLIEST..LATEST when only bounds are known; never before "
            "the case's previous step, never after today",
            examples=["2025-06-27"],
        )
    )
    comment: str | None = None
    evidence: dict[str, Any] | None = Field(
        None,
        description="key: value, as the trigger's evidence fields describe them (a value the "
        "field does not take is a 422 naming evidence.KEY)",
        examples=[{"reasons": "the explanation Art. 20(2) requires", "confidence": "H"}],
    )
    expected_version: Annotated[int, Field(ge=1, le=INT_MAX)] | None = Field(
        None, description="the case's version as the caller saw it; if stale, 409"
    )
    documents: list[NewDocument] | None = Field(
        None, description="files attached to the event; its hash covers their SHA-256"
    )


class Query(BaseModel):
    """A query string: numbers are read from their digits; unknown parameters are ignored."""


class PageQuery(Query):
    page: Annotated[int, Field(ge=1, le=MAX_PAGE), BeforeValidator(_digits)] = Field(
        1, description="page number, from 1"
    )
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE), BeforeValidator(_digits)] = Field(
        50, description="items per page"
    )


STAGE = "stage id: only cases at this stage"
TREATY = "treaty code, e.g. apmbc"
COUNTRY = "ISO 3166-1 alpha-2 code, e.g. LV"


# Practice cases are left out of every list unless asked for, as on the pages
Practice = Annotated[Literal["true", "false", "1", "0"], BeforeValidator(_lower)]
PRACTICE = "true: practice cases too (any case of the letters)"


class CaseQuery(PageQuery):
    q: str | None = Field(None, description="a reference, or a country's name or code, e.g. Latvia")
    kind: str | None = Field(None, description="the kind of treaty action, e.g. withdrawal")
    treaty: str | None = Field(None, description=TREATY)
    country: str | None = Field(None, description=COUNTRY)
    stage: str | None = Field(None, description=STAGE)
    state: str | None = Field(None, description=STAGE + " (the same as stage)")
    status: Annotated[str, _checked_by_service({"enum": list(STATUSES)})] | None = Field(
        None, description="open or closed (a final stage)"
    )
    practice: Practice | None = Field(None, description=PRACTICE)
    sort: Annotated[str, _checked_by_service({"enum": list(CASE_SORTS)})] = "reference"


class PendingQuery(PageQuery):
    as_of: Day | None = Field(None, description="rebuild the situation on this past date")
    treaty: str | None = Field(None, description=TREATY)
    country: str | None = Field(None, description=COUNTRY)
    stage: str | None = Field(None, description=STAGE)
    sort: Annotated[str, _checked_by_service({"enum": list(PENDING_SORTS)})] = Field(
        "date", description="date (soonest first) or reference"
    )
    practice: Practice | None = Field(None, description=PRACTICE)


# where a page of the log ends, as app/services/audit.py writes it: a UTC moment and an id
LOG_POSITION = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z~[0-9]{1,18}$"


class EventQuery(Query):
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE), BeforeValidator(_digits)] = Field(
        50, description="events per page"
    )
    older_than: Annotated[str, Field(pattern=LOG_POSITION)] | None = Field(
        None,
        description="a position in the log, as the previous page's `next` gives it: the page "
        "of the events recorded before it",
    )
    case: str | None = Field(None, description="case reference")
    actor: str | None = Field(None, description="the user who recorded the event")
    trigger: str | None = Field(None, description="trigger name")
    since: Day | None = Field(None, description="recorded on or after this day (UTC)")
    until: Day | None = Field(None, description="recorded on or before this day (UTC)")
    practice: Practice | None = Field(
        None, description=PRACTICE + "; a practice case named in `case` is always shown"
    )


class CaseReadQuery(Query):
    as_of: Day | None = Field(None, description="rebuild the case as it stood on this past date")


class NewGroup(Body):
    """Groups two or more cases under a name"""

    name: Filled = Field(description="the group's name", examples=["Nordic deposit"])
    cases: list[str] = Field(
        description="the members' references (at least two)",
        examples=[["LV-APMBC-2025", "LT-APMBC-2025"]],
    )
    note: str | None = None


class MemberChange(Body):
    """Adds cases to a group and takes members out; the group keeps at least two"""

    add: list[str] | None = Field(None, description="references of cases to add",
                                  examples=[["FI-APMBC-2025"]])  # fmt: skip
    remove: list[str] | None = Field(None, description="references of members to take out")
    reason: str | None = Field(None, description="why, kept with the change")


class NewGroupEvent(Body):
    """Records one step for every member in one transaction: all of them, or none"""

    trigger: Filled = Field(description="one of the group's common_steps", examples=["deposit"])
    occurred_on: Annotated[Filled, _checked_by_service({"minLength": 1, "pattern": DATE_RANGE})] = (
        Field(description="YYYY-MM-DD, or EARLIEST..LATEST", examples=["2025-06-27"])
    )
    comment: str | None = None
    evidence: dict[str, Any] | None = Field(
        None, description="key: value, the same for every member"
    )
    expected_versions: dict[str, Annotated[int, Field(ge=1, le=INT_MAX)]] | None = Field(
        None, description="reference: version as the caller saw it; a stale one is a 409 for all"
    )
    documents: list[NewDocument] | None = Field(
        None,
        description="files attached to every member's event (stored once); each event's hash "
        "covers their SHA-256",
    )


REQUESTS: tuple[type[BaseModel], ...] = (
    NewCase, NewDocument, NewEvent, NewGroup, MemberChange, NewGroupEvent,
)  # fmt: skip
