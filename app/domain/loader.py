"""Load workflows/ (YAML) into validated definitions; every error names the file and the key.

Layout: treaties/*.yaml (a treaty, its clock and its withdrawal part), procedures/*.yaml
(domestic procedures) and claims/*.yaml (international parts other than an Art. 20-style
withdrawal, e.g. a suspension claim). A workflow is a procedure followed by an international
part: `apmbc/generic`, `apmbc/pl`, and for a claim `apmbc/ua/suspension`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml

from app.domain.clause_files import require_kind
from app.domain.definitions import (
    FOLLOW_EFFECT,
    FOLLOWED_ARTICLE_KEY,
    FOLLOWED_CASE_KEY,
    FOLLOWED_DATE_KEY,
    Stage,
    Transition,
    Treaty,
    Workflow,
)
from app.domain.errors import DefinitionError, NotFound
from app.domain.files import (
    Claim,
    FileReader,
    Part,
    Procedure,
    parse_claim,
    parse_procedure,
    parse_treaty,
)
from app.domain.validation import validate_graph


def _read_dir(root: Path, sub: str) -> Iterator[FileReader]:
    for path in sorted((root / sub).glob("*.yaml")):
        name = f"{sub}/{path.name}"
        data = _parsed(path.read_text(encoding="utf-8"), name)
        # Cases keep this content as JSON: make YAML-only types (dates) plain text now.
        yield FileReader(name, json.loads(json.dumps(data, default=str)))


def _parsed(text: str, name: str) -> Any:
    """The file's YAML, as yaml.safe_load reads it: by libyaml where PyYAML has it (four times
    faster: every `flask` command and every audit run loads all files), and by PyYAML itself
    for a file libyaml refuses, whose error message shows the faulty line."""
    try:
        return yaml.load(text, Loader=_FAST_SAFE_LOADER)
    except yaml.YAMLError:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DefinitionError(f"{name}: not valid YAML: {exc}") from None


_FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def workflow_from_definition(definition: Mapping[str, Any]) -> Workflow:
    """Compose a workflow from its files' contents: {"treaty": {"file", "data"}, "procedure":
    ..., "claim": ... or None}. Used for the shipped files and for the copy a case keeps."""

    def reader(part: str) -> FileReader:
        return FileReader(definition[part]["file"], definition[part]["data"])

    treaty, withdrawal = parse_treaty(reader("treaty"))
    procedure = parse_procedure(reader("procedure"))
    claim = parse_claim(reader("claim")) if definition.get("claim") else None
    workflow = compose(treaty, claim.part if claim else withdrawal, procedure, claim)
    return replace(workflow, definition=definition)


def compose(
    treaty: Treaty, international: Part, procedure: Procedure, claim: Claim | None = None
) -> Workflow:
    """A procedure followed by an international part, validated as one graph."""
    if international.initial is None:
        raise DefinitionError(f"{international.file}: initial: missing")
    stages = {s.id: s for s in international.stages}
    for s in procedure.part.stages:
        if s.id in stages:
            raise DefinitionError(
                f"{procedure.part.file}: stages: {s.id!r} is already a stage of "
                f"{international.file}; a procedure adds only domestic stages"
            )
    stages = {s.id: s for s in procedure.part.stages} | stages
    international_triggers = {t.trigger for t in international.transitions}
    for t in procedure.part.transitions:
        if t.trigger in international_triggers:
            raise DefinitionError(
                f"{procedure.part.file}: transitions: {t.trigger!r} is already a step of "
                f"{international.file}; a procedure adds only domestic steps"
            )
    open_stages = tuple(s for s, st in stages.items() if not st.final)
    transitions = tuple(
        _expand_any_source(t, open_stages)
        for t in procedure.part.transitions + international.transitions
    )
    name = f"{treaty.code}/{procedure.name}" + (f"/{claim.name}" if claim else "")
    workflow = Workflow(
        name=name,
        version=f"{international.version}.{procedure.part.version}",
        label=f"{claim.label if claim else treaty.short_name}: {procedure.label}",
        treaty=treaty,
        procedure=procedure.name,
        claim=claim.name if claim else None,
        countries=procedure.countries,
        initial=procedure.part.initial or international.initial,
        stages=stages,
        transitions=transitions,
        clock=claim.clock if claim else treaty.clock,
        claim_kind=claim.kind if claim else None,
    )
    validate_graph(workflow, files=f"{procedure.part.file} + {international.file}")
    return workflow


def _expand_any_source(t: Transition, open_stages: tuple[str, ...]) -> Transition:
    if t.sources != ("*",):
        return t
    return Transition(**{**t.__dict__, "sources": open_stages})


@dataclass(frozen=True)
class Registry:
    """Every treaty and every composed workflow shipped under workflows/."""

    treaties: Mapping[str, Treaty]
    workflows: Mapping[str, Workflow]

    def treaty(self, code: str) -> Treaty:
        """The treaty with this code, or NotFound naming the known codes."""
        if code not in self.treaties:
            raise NotFound(
                f"treaty: unknown treaty {code!r}; known: {', '.join(sorted(self.treaties))}",
                field="treaty",
            )
        return self.treaties[code]

    def workflow(self, name: str) -> Workflow:
        """The shipped workflow by name (an existing case uses its own copy instead)."""
        if name not in self.workflows:
            known = ", ".join(sorted(self.workflows))
            raise NotFound(f"workflow: unknown workflow {name!r}; known: {known}", field="workflow")
        return self.workflows[name]

    def stages(self) -> dict[str, Stage]:
        """Every stage id of every workflow, for filters and labels across cases."""
        return self._stages

    @cached_property
    def _stages(self) -> dict[str, Stage]:
        return {s.id: s for w in self.workflows.values() for s in w.stages.values()}

    @cached_property
    def step_labels(self) -> dict[str, str]:
        """Every step's trigger with its most common label across the workflows."""
        flows = self.workflows.values()
        return _most_common((t.trigger, t.label) for flow in flows for t in flow.transitions)

    @cached_property
    def stage_labels(self) -> dict[str, str]:
        """Every stage id with its most common label across the workflows, for filters that
        span treaties ("In parliament", where Latvia's procedure says "In the Saeima")."""
        return _most_common(
            (s.id, s.label) for flow in self.workflows.values() for s in flow.stages.values()
        )

    def stage_label(self, treaty: str, state: str) -> str:
        """The stage's label under one treaty: `effective` is "Denunciation effective" under
        the Istanbul Convention, "Withdrawal effective" under most others."""
        return self._treaty_stage_labels.get((treaty, state)) or self.stage_labels.get(state, state)

    @cached_property
    def _treaty_stage_labels(self) -> dict[tuple[str, str], str]:
        return _most_common(
            ((flow.treaty.code, s.id), s.label)
            for flow in self.workflows.values()
            for s in flow.stages.values()
        )

    def default_workflow(self, country: str, treaty: str) -> Workflow:
        """The country's own procedure for the treaty where one exists, else the generic one."""
        self.treaty(treaty)
        for w in self.workflows.values():
            if w.treaty.code == treaty and w.claim is None and country in w.countries:
                return w
        return self.workflow(f"{treaty}/generic")


_Key = TypeVar("_Key")


def _most_common(labels: Iterable[tuple[_Key, str]]) -> dict[_Key, str]:
    """Each key with the label most often given to it (the first given, on a tie)."""
    wordings: dict[_Key, Counter[str]] = {}
    for key, label in labels:
        wordings.setdefault(key, Counter())[label] += 1
    return {key: count.most_common(1)[0][0] for key, count in wordings.items()}


SUBFOLDERS = ("treaties", "procedures", "claims")
_loaded: dict[tuple[str, str], Registry] = {}


def load_registry(root: Path) -> Registry:
    """Read and validate every file under `root`; the first invalid one raises DefinitionError.
    The same files (by content) give the same registry, validated once per process: every app
    made in one process (tests make hundreds) shares it."""
    digest = hashlib.sha256()
    for sub in SUBFOLDERS:
        for path in sorted((root / sub).glob("*.yaml")):
            digest.update(f"{sub}/{path.name}\0".encode() + path.read_bytes() + b"\0")
    key = (str(root.resolve()), digest.hexdigest())
    if key not in _loaded:
        _loaded[key] = _validated(root)
    return _loaded[key]


def _validated(root: Path) -> Registry:
    files = {sub: list(_read_dir(root, sub)) for sub in SUBFOLDERS}
    if not files["treaties"]:
        raise DefinitionError(f"{root}: no treaties/*.yaml found")
    for reader in files["treaties"]:
        require_kind(reader)
    treaties = {parse_treaty(r)[0].code: r for r in files["treaties"]}
    for r in treaties.values():
        for other in parse_treaty(r)[0].also_withdraws_from:
            if other not in treaties:
                known = ", ".join(sorted(treaties))
                raise r.error(
                    "also_withdraws_from.treaties", f"unknown treaty {other!r}; known: {known}"
                )
            _check_follows(r, other, parse_treaty(treaties[other])[1])
    procedures = {}
    for reader in files["procedures"]:
        procedure = parse_procedure(reader)
        procedures[procedure.name] = (procedure, reader)
    workflows: dict[str, Workflow] = {}

    def add(treaty: FileReader, procedure: FileReader, claim: FileReader | None = None) -> None:
        w = workflow_from_definition(
            {"treaty": _raw(treaty), "procedure": _raw(procedure), "claim": _raw(claim)}
        )
        workflows[w.name] = w

    for code, treaty in treaties.items():
        for procedure, reader in procedures.values():
            if not procedure.treaties or code in procedure.treaties:
                add(treaty, reader)
        for claim_reader in files["claims"]:
            claim = parse_claim(claim_reader)
            if claim.treaties and code not in claim.treaties:
                continue
            for name in claim.procedures:
                if name not in procedures:
                    raise claim_reader.error("procedures", f"unknown procedure {name!r}")
                add(treaty, procedures[name][1], claim_reader)
    return Registry({code: parse_treaty(r)[0] for code, r in treaties.items()}, workflows)


def _check_follows(r: FileReader, other: str, withdrawal: Part) -> None:
    """A treaty a withdrawal also withdraws from must have the step that records it: effect
    follow_withdrawal with the evidence naming the case, its date and the article."""
    steps = [t for t in withdrawal.transitions if FOLLOW_EFFECT in t.effects]
    needed = {FOLLOWED_CASE_KEY: "text", FOLLOWED_DATE_KEY: "date", FOLLOWED_ARTICLE_KEY: "text"}
    for t in steps:
        fields = {f.key: (f.type, f.required) for f in t.evidence}
        if all(fields.get(k) == (v, True) for k, v in needed.items()):
            return
    wanted = ", ".join(f"{k} ({v}, required)" for k, v in needed.items())
    raise r.error(
        "also_withdraws_from.treaties",
        f"treaty {other!r} has no step with effect {FOLLOW_EFFECT} and the evidence {wanted}: "
        f"add one to treaties/{other}.yaml (see paris.yaml, withdraw_with_convention)",
    )


def _raw(reader: FileReader | None) -> dict[str, Any] | None:
    return None if reader is None else {"file": reader.file, "data": reader.data}
