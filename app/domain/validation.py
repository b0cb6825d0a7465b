"""Graph checks on a composed workflow: known states, reachability, no dead ends."""

from __future__ import annotations

from app.domain.definitions import Workflow
from app.domain.errors import DefinitionError

CLOCK_EFFECTS = {"start_clock", "end_armed_conflict"}
CLOCK_GUARDS = {"effective_date_reached"}


def validate_graph(workflow: Workflow, files: str) -> None:
    """Raise DefinitionError, naming the files and the key, for the first problem found."""

    def fail(problem: str) -> DefinitionError:
        return DefinitionError(f"{files}: workflow {workflow.name}: {problem}")

    states = ", ".join(workflow.stages)
    if workflow.initial not in workflow.stages:
        raise fail(f"initial: unknown state {workflow.initial!r}; states are: {states}")
    for t in workflow.transitions:
        for state in (*t.sources, t.dest):
            if state not in workflow.stages:
                raise fail(
                    f"transition {t.trigger!r}: unknown state {state!r}; states are: {states}"
                )
        for source in t.sources:
            if workflow.stages[source].final:
                raise fail(f"transition {t.trigger!r}: leaves the final stage {source!r}")
        if workflow.clock is None and (
            CLOCK_EFFECTS & set(t.effects) or CLOCK_GUARDS & set(t.guards)
        ):
            raise fail(f"transition {t.trigger!r}: uses the treaty clock, but this part has none")
    for stage in workflow.stages.values():
        if not stage.final and not workflow.available(stage.id):
            raise fail(f"stage {stage.id!r}: no transition leaves it and it is not final")
    unreachable = set(workflow.stages) - _reachable(workflow)
    if unreachable:
        raise fail(
            f"unreachable stage(s) from {workflow.initial!r}: {', '.join(sorted(unreachable))}"
        )


def _reachable(workflow: Workflow) -> set[str]:
    seen, todo = {workflow.initial}, [workflow.initial]
    while todo:
        for t in workflow.available(todo.pop()):
            if t.dest not in seen:
                seen.add(t.dest)
                todo.append(t.dest)
    return seen
