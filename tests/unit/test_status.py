"""One rule maps the domain's errors to HTTP statuses, for the pages and the API alike."""

from __future__ import annotations

import pytest

from app.domain.errors import (
    Conflict,
    DefinitionError,
    DomainError,
    Forbidden,
    InvalidInput,
    NotAllowed,
    NotFound,
)
from app.web.status import http_status


@pytest.mark.parametrize(
    ("error", "in_address", "status"),
    [
        (NotFound("case: no case 'XX'", "case"), True, 404),
        (NotFound("trigger: 'fly' is not a step", "trigger"), False, 422),
        (InvalidInput("occurred_on: not a date", "occurred_on"), False, 422),
        (NotAllowed("trigger: not now", "trigger"), False, 422),
        (Forbidden("user: a viewer", "user"), False, 403),
        (Conflict("expected_version: moved", "expected_version"), False, 409),
        (DefinitionError("apmbc.yaml: clock.kind"), False, 500),
    ],
)
def test_each_kind_of_refusal_has_one_status(
    error: DomainError, in_address: bool, status: int
) -> None:
    assert http_status(error, named_in_address=in_address) == status
