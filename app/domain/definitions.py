"""Workflow definitions as frozen dataclasses: stages, transitions, evidence fields, treaties.

The files under workflows/ are read by app.domain.loader, which builds these objects.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from app.domain.clock import DATE_EXAMPLE, ClockRule, parse_date
from app.domain.errors import InvalidInput, NotFound
from app.domain.guards import GUARD_CHECKS

ROLES = ("viewer", "clerk", "admin")
EVIDENCE_TYPES = ("text", "int", "date", "choice", "url")
# A source may carry an address; only these schemes are links a page may show.
URL_SCHEMES = ("http", "https")
# Guards are implemented in app.domain.guards; effects in app.domain.history (APPLY_EFFECT),
# whose names are the ones a file may use.
GUARDS = tuple(GUARD_CHECKS)
# Triggers the service records itself; a definition may not use these names.
RESERVED_TRIGGERS = ("correct", "undo", "open")
# The evidence key under which a notice names a later effective date (Rome Statute Art. 127).
NAMED_DATE_KEY = "effective_on_named"
# The evidence key for the day the treaty entered into force for the State, read where the
# clause bars early notice (Paris Agreement Art. 28(1)).
IN_FORCE_SINCE_KEY = "in_force_since"
# The evidence key under which a step sets the case's next date outside the treaty clock (a
# returned law parked in committee until then: Latvia, Satversme Art. 71); it holds until the
# case's next step.
NEXT_DATE_KEY = "next_date"
# A withdrawal by operation of another treaty's withdrawal (Paris Agreement Art. 28(3): from the
# UNFCCC): the step with effect FOLLOW_EFFECT records, as its evidence, the case of the other
# treaty, the day that withdrawal takes effect, and the article that makes it one.
FOLLOW_EFFECT = "follow_withdrawal"
FOLLOWED_CASE_KEY = "withdrawn_with"
FOLLOWED_DATE_KEY = "effective_on_followed"
FOLLOWED_ARTICLE_KEY = "by_operation_of"


@dataclass(frozen=True)
class EvidenceField:
    """One piece of evidence a transition takes, with its type and bounds."""

    key: str
    type: str
    required: bool = False
    label: str = ""
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """What is allowed, in the words of an error message."""
        if self.type == "int":
            bounds = f" >= {self.minimum}" if self.minimum is not None else ""
            if self.maximum is not None:
                bounds += f" and <= {self.maximum}"
            return f"a whole number{bounds}"
        if self.type == "date":
            return f"a date ({DATE_EXAMPLE})"
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        if self.type == "url":
            return "a web address starting http:// or https:// (e.g. https://www.un.org/)"
        if self.pattern:
            return f"text in the form {self.example}" if self.example else "text in its set form"
        return "text"

    @property
    def example(self) -> str:
        """An example of an accepted value, as the definition's help gives one ("e.g. ...")."""
        return self.help.removeprefix("e.g.").strip() if self.help.startswith("e.g.") else ""

    def parse(self, raw: object) -> Any:
        """Coerce a raw value (text from a form or CLI, or JSON) to this field's type."""
        name = f"evidence.{self.key}"
        wrong = InvalidInput(f"{name}: {raw!r} is not {self.describe()}", field=name)
        if self.type == "int":
            if isinstance(raw, bool):
                raise wrong
            try:
                value: Any = int(raw) if isinstance(raw, int | str) else None
            except ValueError:
                raise wrong from None
            if value is None or (self.minimum is not None and value < self.minimum):
                raise wrong
            if self.maximum is not None and value > self.maximum:
                raise wrong
            return value
        if not isinstance(raw, str | date):
            raise wrong
        text = raw.isoformat() if isinstance(raw, date) else raw.strip()
        if self.type == "date":
            return parse_date(text, name).isoformat()
        if self.type == "choice" and text not in self.choices:
            raise wrong
        if self.type == "url" and not _web_address(text):
            raise wrong
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise wrong
        if not text:
            raise InvalidInput(f"{name}: must not be empty", field=name)
        return text


def _web_address(text: str) -> bool:
    """An absolute http(s) address with a host, and no spaces or control characters."""
    parts = urlsplit(text)
    plain = text.isprintable() and not any(c.isspace() for c in text)
    return parts.scheme.lower() in URL_SCHEMES and bool(parts.netloc) and plain


COMMON_EVIDENCE = (
    EvidenceField("source", "text", label="Source", help="Where this step is documented"),
    EvidenceField(
        "source_url",
        "url",
        label="Source address",
        help="The source's web address, if it has one (http:// or https://)",
    ),
    EvidenceField(
        "confidence",
        "choice",
        label="Confidence",
        help="H: official or two agreeing reports; M: one credible report; L: weak or inferred",
        choices=("H", "M", "L"),
    ),
)


@dataclass(frozen=True)
class Stage:
    """A stage of a withdrawal (a state of the machine)."""

    id: str
    label: str
    description: str = ""
    responsible: str = ""
    final: bool = False


@dataclass(frozen=True)
class Transition:
    """A step that moves a case from one of its source stages to its destination."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    label: str
    description: str = ""
    roles: tuple[str, ...] = ("clerk", "admin")
    evidence: tuple[EvidenceField, ...] = ()
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    date_note: str = ""

    def evidence_field(self, key: str) -> EvidenceField | None:
        return self._fields.get(key)

    @cached_property
    def _fields(self) -> dict[str, EvidenceField]:
        return {f.key: f for f in reversed(self.evidence)}  # the first of a key

    def parse_evidence(self, raw: Mapping[str, object]) -> dict[str, Any]:
        """Check evidence against this transition: known keys, required ones present, types."""
        allowed = ", ".join(f.key for f in self.evidence) or "none"
        for key in raw:
            if self.evidence_field(key) is None:
                raise InvalidInput(
                    f"evidence.{key}: '{self.trigger}' takes no such evidence; allowed: {allowed}",
                    field=f"evidence.{key}",
                )
        parsed: dict[str, Any] = {}
        for spec in self.evidence:
            value = raw.get(spec.key)
            if value is None or value == "":
                if spec.required:
                    raise InvalidInput(
                        f"evidence.{spec.key}: required for '{self.trigger}' ({spec.describe()})",
                        field=f"evidence.{spec.key}",
                    )
                continue
            parsed[spec.key] = spec.parse(value)
        return parsed


@dataclass(frozen=True)
class Treaty:
    """A treaty and its withdrawal clause."""

    code: str
    name: str
    short_name: str
    depositary: str
    untc_chapter: str
    clock: ClockRule
    withdrawal_article: str
    # Treaties a withdrawal from this one also withdraws from, and the article that says so
    # (UNFCCC -> Paris Agreement, Paris Art. 28(3)): their cases of one country are linked,
    # and the deposit here records the withdrawal there (its step with FOLLOW_EFFECT).
    also_withdraws_from: tuple[str, ...] = ()
    also_article: str = ""


@dataclass(frozen=True)
class Workflow:
    """A domestic procedure composed with an international part: what a case runs through."""

    name: str
    version: str
    label: str
    treaty: Treaty
    procedure: str
    claim: str | None
    countries: tuple[str, ...]
    initial: str
    stages: Mapping[str, Stage]
    transitions: tuple[Transition, ...]
    clock: ClockRule | None
    # The kind of treaty action a claim file names (deratification, accession); None: the
    # claim's name + "_claim" (suspension_claim).
    claim_kind: str | None = None
    # The files' contents it was composed from: a case keeps this copy (see loader).
    definition: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _by_source: Mapping[str, tuple[Transition, ...]] = field(default_factory=dict, repr=False)
    _by_trigger: Mapping[str, Transition] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Transition]] = {}
        by_trigger: dict[str, Transition] = {}
        for t in self.transitions:
            by_trigger.setdefault(t.trigger, t)  # the first, as the files give them
            for s in t.sources:
                index.setdefault(s, []).append(t)
        object.__setattr__(self, "_by_source", {s: tuple(ts) for s, ts in index.items()})
        object.__setattr__(self, "_by_trigger", by_trigger)

    @property
    def kind(self) -> str:
        """The kind of treaty action the workflow follows: a withdrawal, or a claim."""
        if self.claim is None:
            return "withdrawal"
        return self.claim_kind or f"{self.claim}_claim"

    def available(self, state: str) -> tuple[Transition, ...]:
        """The transitions that may leave `state`, in the order the files give them."""
        return self._by_source.get(state, ())

    def find_transition(self, trigger: str) -> Transition | None:
        """The transition named `trigger`, if the workflow has one."""
        return self._by_trigger.get(trigger)

    def transition(self, trigger: str) -> Transition:
        """The transition named `trigger`, or NotFound naming the workflow's triggers."""
        found = self._by_trigger.get(trigger)
        if found is not None:
            return found
        known = ", ".join(self._by_trigger)
        raise NotFound(
            f"trigger: '{trigger}' is not a step of workflow {self.name}; its steps are: {known}",
            field="trigger",
        )

    def is_final(self, state: str) -> bool:
        return self.stages[state].final

    def digest(self) -> str:
        """SHA-256 of the definition: equal digests, equal workflows."""
        return self._digest

    @cached_property
    def _digest(self) -> str:
        canonical = json.dumps(self.definition, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
