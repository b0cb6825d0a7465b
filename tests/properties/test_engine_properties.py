"""Properties of the domain engine under random steps: dates never go backwards, a refused step
changes nothing, and the state reached step by step equals the replay and the fold of the
accepted steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import event, given
from hypothesis import strategies as st

from app.domain.case import CaseState, Step
from app.domain.clock import DateSpan
from app.domain.engine import Engines
from app.domain.errors import DomainError
from app.domain.history import apply_step, fold, replay
from app.domain.loader import load_registry
from tests.conftest import WORKFLOWS
from tests.properties.strategies import TODAY, day_after, next_step

REGISTRY = load_registry(WORKFLOWS)
ENGINES = Engines()


@given(st.sampled_from(sorted(REGISTRY.workflows)), st.integers(1, 14), st.data())
def test_random_steps_keep_the_engines_invariants(
    name: str, length: int, data: st.DataObject
) -> None:
    workflow = REGISTRY.workflows[name]
    engine = ENGINES.for_workflow(workflow)
    case, accepted = CaseState(workflow.initial), []
    for n in range(1, length + 1):
        random_step = next_step(data, workflow, case.state)
        on = day_after(case.last_on, random_step)
        step = Step(
            seq=n, trigger=random_step.trigger, from_state=case.state, to_state="",
            span=DateSpan.exact(on), actor="clerk", recorded_at=datetime.now(UTC),
            evidence=random_step.evidence,
        )  # fmt: skip
        before = case
        try:
            evidence = workflow.transition(step.trigger).parse_evidence(step.evidence)
            moved = apply_step(engine, case, replace(step, evidence=evidence), TODAY)
        except DomainError:
            assert case == before  # a refusal changes nothing
            continue
        assert case.last_on is None or (moved.last_on is not None and moved.last_on >= case.last_on)
        assert moved.last_on is not None and moved.last_on <= TODAY
        case = moved
        accepted.append(replace(step, evidence=evidence, to_state=moved.state))
    event(f"accepted steps: {min(len(accepted), 5)}+")
    event(f"reached a final stage: {workflow.stages[case.state].final}")
    assert replay(engine, accepted, TODAY) == case
    assert fold(workflow, accepted) == case
