"""One transitions.Machine per workflow, built once, with one holder bound to it; a case's stage
is set on the holder only while firing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from transitions import EventData, Machine, MachineError
from transitions.extensions import GraphMachine

from app.domain.definitions import Workflow
from app.domain.errors import NotAllowed
from app.domain.guards import GUARD_CHECKS, Refusal


class _Holder:
    """The small object the machine moves: a state and the guards' refusals."""

    state: str
    trigger: Callable[..., bool]  # bound by transitions in add_model

    def __init__(self) -> None:
        self.refusals: list[Refusal] = []


def _condition(name: str) -> Callable[[EventData], bool]:
    check = GUARD_CHECKS[name]

    def condition(event: EventData) -> bool:
        refusal = check(event.kwargs["case"], event.kwargs["step"], event.kwargs["clock"])
        if refusal is not None:
            holder = event.model
            assert isinstance(holder, _Holder)
            holder.refusals.append(refusal)
        return refusal is None

    return condition


class Engine:
    """The machine of one workflow. Firing is serialised by a lock; it takes microseconds."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self._lock = threading.Lock()
        self._machine = Machine(
            model=None,
            states=list(workflow.stages),
            initial=None,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": list(t.sources),
                    "dest": t.dest,
                    "conditions": [_condition(g) for g in t.guards],
                }
                for t in workflow.transitions
            ],
            auto_transitions=False,
            send_event=True,
        )
        # One holder, bound once: binding a model adds a method per trigger and state, which
        # cost more than the firing itself; the lock keeps it to one case at a time.
        self._holder = _Holder()
        self._machine.add_model(self._holder, initial=workflow.initial)
        self._triggers = {s: tuple(self._machine.get_triggers(s)) for s in workflow.stages}

    def check_trigger(self, state: str, trigger: str) -> None:
        """Raise NotAllowed, listing what is allowed, when `trigger` cannot leave `state`."""
        if trigger not in self._triggers.get(state, ()):
            raise NotAllowed(self._not_here(state, trigger), field="trigger")

    def fire(self, state: str, trigger: str, **context: Any) -> str:
        """The stage `trigger` leads to from `state`, or NotAllowed saying why not."""
        holder = self._holder
        with self._lock:
            holder.refusals = []
            self._machine.set_state(state, model=holder)
            try:
                accepted = holder.trigger(trigger, clock=self.workflow.clock, **context)
            except MachineError:
                raise NotAllowed(self._not_here(state, trigger), field="trigger") from None
            refusals, dest = holder.refusals, holder.state
        if not accepted:
            raise NotAllowed(refusals[0].message, field=refusals[0].field)
        return dest

    def _not_here(self, state: str, trigger: str) -> str:
        allowed = ", ".join(self._triggers.get(state, ())) or "none (final stage)"
        label = self.workflow.stages[state].label
        return (
            f"trigger: '{trigger}' is not allowed in stage '{state}' ({label}); allowed: {allowed}"
        )


def diagram_source(workflow: Workflow) -> str:
    """The workflow as Mermaid state-diagram source, as transitions draws it."""

    class _Start:
        pass

    machine = GraphMachine(
        model=_Start(),
        states=list(workflow.stages),
        transitions=[
            {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
            for t in workflow.transitions
        ],
        initial=workflow.initial,
        auto_transitions=False,
        graph_engine="mermaid",
        title=workflow.label,
    )
    return str(machine.get_graph().draw(None))


class Engines:
    """Engines built once per workflow name and version."""

    def __init__(self) -> None:
        self._engines: dict[tuple[str, str], Engine] = {}
        self._lock = threading.Lock()

    def for_workflow(self, workflow: Workflow) -> Engine:
        key = (workflow.name, workflow.version)
        with self._lock:
            if key not in self._engines:
                self._engines[key] = Engine(workflow)
            return self._engines[key]
