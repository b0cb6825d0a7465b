"""Helpers for the integration tests: a case walked to a given stage, raw counts from the
database (independent of the services), and markers that pin a test to one backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pytest
from sqlalchemy import Engine, text

from app.services.cases import advance, open_case
from app.services.context import Tracker

# Override the shared `db_url` fixture's parameters for tests that only make sense on one
# backend (the PostgreSQL one still skips without TEST_DATABASE_URL, and fails in CI).
POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


Steps = Sequence[tuple[str, str, Mapping[str, object]]]

# Finland's 2025 path through the generic APMBC workflow, up to the depositary's receipt.
FI_BEGAN = date(2025, 4, 1)
FI_TO_DEPOSIT: Steps = (
    ("submit_to_parliament", "2025-05-28", {"bill": "HE 72/2025"}),
    ("record_reading", "2025-06-10", {"chamber": "Eduskunta", "reading": "1"}),
    ("adopt", "2025-06-19", {"votes_for": "157", "votes_against": "18", "abstained": "0"}),
    ("sign", "2025-07-04", {"signed_by": "President Stubb"}),
    ("deposit", "2025-07-10", {"reasons": "Changed security environment"}),
)


def walk(tracker: Tracker, reference: str, steps: Steps, actor: str = "clerk") -> None:
    """Advance `reference` through `steps` as `actor`."""
    for trigger, on, evidence in steps:
        advance(tracker, reference, trigger, on, actor, evidence=evidence)


def open_walked(
    tracker: Tracker,
    steps: Steps = FI_TO_DEPOSIT,
    country: str = "FI",
    began_on: date = FI_BEGAN,
) -> str:
    """Open a generic APMBC case and walk it through `steps`; returns its reference."""
    opened = open_case(tracker, country, "apmbc", "clerk", began_on=began_on, allow_duplicate=True)
    reference = opened.reference
    walk(tracker, reference, steps)
    return reference


def event_count(engine: Engine, reference: str) -> int:
    """Events stored for a case, counted in SQL behind the services' back."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM events JOIN cases ON cases.id = events.case_id "
                    "WHERE cases.reference = :ref"
                ),
                {"ref": reference},
            ).scalar_one()
        )


def event_seqs(engine: Engine, reference: str) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT events.seq FROM events JOIN cases ON cases.id = events.case_id "
                    "WHERE cases.reference = :ref ORDER BY events.seq"
                ),
                {"ref": reference},
            ).scalars()
        )


def case_version(engine: Engine, reference: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT version FROM cases WHERE reference = :ref"), {"ref": reference}
            ).scalar_one()
        )


def total_rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


TAKES_EFFECT = "Withdrawal takes effect"  # the label of take_effect (APMBC, Rome Statute, ...)
