"""The HTTP status of a domain error: one rule for the pages and the API.

What the address names and does not exist is a 404; anything else unknown (a trigger, a
treaty, a user named in the body) is a 422, as are refused values and steps; a role is a 403,
a lost race a 409, a database that takes no writes a 503, a broken workflow file a 500.
"""

from __future__ import annotations

from app.domain.errors import DomainError

STATUS = {"forbidden": 403, "conflict": 409, "unavailable": 503, "definition_error": 500}


def http_status(exc: DomainError, named_in_address: bool = False) -> int:
    """The status a page or the API answers `exc` with; `named_in_address`: the thing not
    found is the one the request's address names (a case, a user, a token)."""
    if exc.code == "not_found":
        return 404 if named_in_address else 422
    return STATUS.get(exc.code, 422)
