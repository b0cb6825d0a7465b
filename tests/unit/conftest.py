"""Local helpers for the unit tests: steps built by hand, the shipped treaty clocks, engines."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.domain.case import Step
from app.domain.clock import ClockRule, DateSpan
from app.domain.engine import Engines
from app.domain.loader import Registry

# A fixed "today" well after every date the tests use; the domain never reads the system clock.
TODAY = date(2026, 11, 27)
RECORDED_AT = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)

MakeStep = Callable[..., Step]


@pytest.fixture
def make_step() -> MakeStep:
    """Build a Step: `make_step(seq, trigger, on, evidence=None, until=None)`."""

    def build(
        seq: int,
        trigger: str,
        on: date,
        evidence: Mapping[str, Any] | None = None,
        until: date | None = None,
    ) -> Step:
        return Step(
            seq=seq,
            trigger=trigger,
            from_state="",
            to_state="",
            span=DateSpan(on, until or on),
            actor="clerk",
            recorded_at=RECORDED_AT,
            evidence=dict(evidence or {}),
        )

    return build


@pytest.fixture
def engines() -> Engines:
    return Engines()


@pytest.fixture
def apmbc_clock(registry: Registry) -> ClockRule:
    return registry.treaty("apmbc").clock


@pytest.fixture
def rome_clock(registry: Registry) -> ClockRule:
    return registry.treaty("rome-statute").clock
