"""Random steps for the property tests: any trigger of a workflow (allowed now or not), a date
around the case's last one (backwards too, and past today), and evidence of the right shape,
empty, or wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from app.domain.definitions import EvidenceField, Workflow

# Bounded run time: the whole property suite stays well under a minute in CI.
settings.register_profile("tracker", max_examples=60, deadline=None, derandomize=False)
settings.load_profile("tracker")

START = date(2024, 1, 1)
TODAY = date(2026, 11, 27)


@dataclass(frozen=True)
class RandomStep:
    trigger: str
    offset_days: int  # from the case's last date (or START): negative goes backwards
    evidence: dict[str, Any]


def _value(spec: EvidenceField) -> st.SearchStrategy[Any]:
    if spec.type == "int":
        low = spec.minimum if spec.minimum is not None else 0
        good: st.SearchStrategy[Any] = st.integers(low, spec.maximum or low + 400).map(str)
    elif spec.type == "date":
        good = st.dates(START, TODAY).map(date.isoformat)
    elif spec.type == "choice" and spec.choices:
        good = st.sampled_from(spec.choices)
    elif spec.pattern:
        good = st.from_regex(spec.pattern, fullmatch=True)
    else:
        good = st.text(min_size=1, max_size=12).filter(str.strip)
    wrong = st.one_of(st.just(""), st.just("-1"), st.just("not a value"))
    return st.integers(0, 24).flatmap(lambda n: wrong if n == 0 else good)  # 1 in 25 wrong


def evidence_for(workflow: Workflow, trigger: str) -> st.SearchStrategy[dict[str, Any]]:
    specs = workflow.transition(trigger).evidence
    return st.fixed_dictionaries({s.key: _value(s) for s in specs})


def next_step(data: st.DataObject, workflow: Workflow, state: str) -> RandomStep:
    """A random next step for a case at `state`: mostly one its stage offers, sometimes any
    trigger of the workflow; dates mostly forward, sometimes backwards."""
    offered = sorted({t.trigger for t in workflow.available(state) if t.trigger != "revoke"})
    every = sorted({t.trigger for t in workflow.transitions})
    choices = st.sampled_from(every)
    if offered:
        choices = st.one_of(st.sampled_from(offered), st.sampled_from(offered), choices)
    trigger = data.draw(choices)
    offset = data.draw(st.one_of(st.integers(0, 120), st.integers(0, 120), st.integers(-30, -1)))
    return RandomStep(trigger, offset, data.draw(evidence_for(workflow, trigger)))


def day_after(last: date | None, step: RandomStep) -> date:
    return (last or START) + timedelta(days=step.offset_days)
