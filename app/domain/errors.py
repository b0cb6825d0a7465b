"""Errors a clerk can read: each says what was wrong and what is allowed."""

from __future__ import annotations

import copy
from datetime import date


class DomainError(Exception):
    """Base of every error the tracker reports to a user; `field` names the input at fault."""

    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def within(self, context: str) -> DomainError:
        """The same refusal said of a larger whole (a group, a cascade): `context` goes after
        the field's name, which stays first ("evidence.reasons: LV-... refused it: ...")."""
        named = f"{self.field}: "
        if not (self.field and self.message.startswith(named)):
            named = ""
        said = copy.copy(self)
        said.message = f"{named}{context}: {self.message.removeprefix(named)}"
        said.args = (said.message,)
        return said


class InvalidInput(DomainError):
    """A value is missing, ill-typed or out of range."""

    code = "invalid_input"


class NotFound(DomainError):
    """An unknown case, user, treaty, workflow or trigger."""

    code = "not_found"


class NotAllowed(DomainError):
    """The workflow or the treaty does not allow this step now."""

    code = "not_allowed"


class Forbidden(DomainError):
    """The user's role may not do this."""

    code = "forbidden"


class Conflict(DomainError):
    """Someone else changed the case meanwhile."""

    code = "conflict"


class DuplicateCase(Conflict):
    """A case of the same country, treaty and kind is open, or took effect (`took_effect_on`):
    a second one is opened only when the opener confirms it; `existing` is its reference."""

    def __init__(self, message: str, existing: str, took_effect_on: date | None = None) -> None:
        super().__init__(message, field="allow_duplicate")
        self.existing, self.took_effect_on = existing, took_effect_on


class Unavailable(DomainError):
    """The database takes no writes now (read-only, full, or this role may not write)."""

    code = "unavailable"


class DefinitionError(DomainError):
    """A workflow file is invalid; the message names the file and the key."""

    code = "definition_error"
