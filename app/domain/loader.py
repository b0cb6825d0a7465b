"""Load workflows/ (YAML) into validated definitions; every error names the file and the key.

Layout: treaties/*.yaml (a treaty, its clock and its withdrawal part), procedures/*.yaml
(domestic procedures) and claims/*.yaml (international parts other than an Art. 20-style
withdrawal, e.g. a suspension claim). A workflow is a procedure followed by an international
part: `apmbc/generic`, `apmbc/pl`, and for a claim `apmbc/ua/suspension`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from app.domain.clock import ClockRule, NoticePeriod
from app.domain.definitions import (
    COMMON_EVIDENCE,
    EFFECTS,
    EVIDENCE_TYPES,
    GUARDS,
    RESERVED_TRIGGERS,
    ROLES,
    EvidenceField,
    Stage,
    Transition,
    Treaty,
    Workflow,
)
from app.domain.errors import DefinitionError, NotFound
from app.domain.validation import validate_graph


class _Reader:
    """Typed access to one file's mapping, with errors that name file and key."""

    def __init__(self, file: str, data: object, path: str = "") -> None:
        self.file, self.path = file, path
        if not isinstance(data, dict):
            raise self.error("", f"expected a mapping, got {type(data).__name__}")
        self.data: dict[str, Any] = data

    def error(self, key: str, problem: str) -> DefinitionError:
        where = ".".join(p for p in (self.path, key) if p) or "(top)"
        return DefinitionError(f"{self.file}: {where}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.error(key, "missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.error(key, f"expected {names}, got {value!r}")
        return value

    def child(self, key: str, data: object) -> _Reader:
        return _Reader(self.file, data, ".".join(p for p in (self.path, key) if p))

    def items(self, key: str) -> Iterator[_Reader]:
        for i, item in enumerate(self.get(key, list, [])):
            yield self.child(f"{key}[{i}]", item)

    def refuse_unknown(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(str(key), f"unknown key; allowed: {', '.join(sorted(allowed))}")


@dataclass(frozen=True)
class Part:
    """Stages and transitions from one file, before composition."""

    file: str
    version: int
    initial: str | None
    stages: tuple[Stage, ...]
    transitions: tuple[Transition, ...]


@dataclass(frozen=True)
class Procedure:
    name: str
    label: str
    countries: tuple[str, ...]
    treaties: tuple[str, ...]
    part: Part


@dataclass(frozen=True)
class Claim:
    name: str
    label: str
    treaties: tuple[str, ...]
    procedures: tuple[str, ...]
    part: Part


def _evidence(r: _Reader, key: str) -> EvidenceField:
    r.refuse_unknown({"type", "required", "label", "help", "min", "max", "pattern", "choices"})
    kind = r.get("type", str)
    if kind not in EVIDENCE_TYPES:
        raise r.error("type", f"unknown evidence type {kind!r}; known: {', '.join(EVIDENCE_TYPES)}")
    choices = tuple(str(c) for c in r.get("choices", list, []))
    if kind == "choice" and not choices:
        raise r.error("choices", "a choice field needs a list of choices")
    return EvidenceField(
        key=key,
        type=kind,
        required=r.get("required", bool, False),
        label=r.get("label", str, key.replace("_", " ").capitalize()),
        help=r.get("help", str, ""),
        minimum=r.get("min", int, None),
        maximum=r.get("max", int, None),
        pattern=r.get("pattern", str, None),
        choices=choices,
    )


def _names(r: _Reader, key: str, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    values = tuple(r.get(key, list, []))
    for v in values:
        if v not in known:
            raise r.error(key, f"unknown {what} {v!r}; known: {', '.join(known)}")
    return values


def _transition(r: _Reader) -> Transition:
    r.refuse_unknown(
        {
            "trigger",
            "source",
            "dest",
            "label",
            "description",
            "roles",
            "evidence",
            "guards",
            "effects",
            "date_note",
        }
    )
    trigger = r.get("trigger", str)
    if trigger in RESERVED_TRIGGERS or not trigger.isidentifier():
        raise r.error("trigger", f"{trigger!r} is reserved or not an identifier")
    source = r.get("source", (str, list))
    evidence_map = r.child("evidence", r.get("evidence", dict, {}))
    evidence = tuple(_evidence(evidence_map.child(k, v), k) for k, v in evidence_map.data.items())
    return Transition(
        trigger=trigger,
        sources=(source,) if isinstance(source, str) else tuple(source),
        dest=r.get("dest", str),
        label=r.get("label", str),
        description=r.get("description", str, ""),
        roles=_names(r, "roles", ROLES, "role") or ("clerk", "admin"),
        evidence=evidence + COMMON_EVIDENCE,
        guards=_names(r, "guards", GUARDS, "guard"),
        effects=_names(r, "effects", EFFECTS, "effect"),
        date_note=r.get("date_note", str, ""),
    )


def _stage(r: _Reader) -> Stage:
    r.refuse_unknown({"id", "label", "description", "responsible", "final"})
    return Stage(
        id=r.get("id", str),
        label=r.get("label", str),
        description=r.get("description", str, ""),
        responsible=r.get("responsible", str, ""),
        final=r.get("final", bool, False),
    )


def _part(r: _Reader) -> Part:
    transitions = [_transition(t) for t in r.items("transitions")]
    seen: dict[str, int] = {}
    for i, t in enumerate(transitions):
        if t.trigger in seen:
            raise r.error(
                f"transitions[{i}].trigger",
                f"duplicate trigger {t.trigger!r} (first at transitions[{seen[t.trigger]}]); "
                "list several sources in one transition instead",
            )
        seen[t.trigger] = i
    return Part(
        file=r.file,
        version=r.get("version", int),
        initial=r.get("initial", str, None),
        stages=tuple(_stage(s) for s in r.items("stages")),
        transitions=tuple(transitions),
    )


def _clock(r: _Reader) -> ClockRule:
    r.refuse_unknown({"article", "notice_period", "later_date_allowed", "armed_conflict_deferral"})
    period = r.child("notice_period", r.get("notice_period", dict))
    period.refuse_unknown({"months", "days"})
    notice = NoticePeriod(period.get("months", int, 0), period.get("days", int, 0))
    if notice.months <= 0 and notice.days <= 0:
        raise period.error("", "a notice period needs months or days > 0")
    return ClockRule(
        article=r.get("article", str),
        notice_period=notice,
        later_date_allowed=r.get("later_date_allowed", bool, False),
        armed_conflict_deferral=r.get("armed_conflict_deferral", bool, False),
    )


def _treaty(r: _Reader) -> tuple[Treaty, Part]:
    r.refuse_unknown(
        {
            "code",
            "name",
            "short_name",
            "depositary",
            "untc_chapter",
            "withdrawal_article",
            "clock",
            "withdrawal",
        }
    )
    treaty = Treaty(
        code=r.get("code", str),
        name=r.get("name", str),
        short_name=r.get("short_name", str),
        depositary=r.get("depositary", str),
        untc_chapter=r.get("untc_chapter", str, ""),
        clock=_clock(r.child("clock", r.get("clock", dict))),
        withdrawal_article=r.get("withdrawal_article", str),
    )
    return treaty, _part(r.child("withdrawal", r.get("withdrawal", dict)))


def _procedure(r: _Reader) -> Procedure:
    r.refuse_unknown(
        {"name", "label", "version", "countries", "treaties", "initial", "stages", "transitions"}
    )
    return Procedure(
        name=r.get("name", str),
        label=r.get("label", str),
        countries=tuple(r.get("countries", list, [])),
        treaties=tuple(r.get("treaties", list, [])),
        part=_part(r),
    )


def _claim(r: _Reader) -> Claim:
    r.refuse_unknown(
        {"name", "label", "version", "treaties", "procedures", "initial", "stages", "transitions"}
    )
    return Claim(
        name=r.get("name", str),
        label=r.get("label", str),
        treaties=tuple(r.get("treaties", list, [])),
        procedures=tuple(r.get("procedures", list, [])),
        part=_part(r),
    )


def _read_dir(root: Path, sub: str) -> Iterator[_Reader]:
    for path in sorted((root / sub).glob("*.yaml")):
        name = f"{sub}/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise DefinitionError(f"{name}: not valid YAML: {exc}") from None
        # Cases keep this content as JSON: make YAML-only types (dates) plain text now.
        yield _Reader(name, json.loads(json.dumps(data, default=str)))


def workflow_from_definition(definition: Mapping[str, Any]) -> Workflow:
    """Compose a workflow from its files' contents: {"treaty": {"file", "data"}, "procedure":
    ..., "claim": ... or None}. Used for the shipped files and for the copy a case keeps."""

    def reader(part: str) -> _Reader:
        return _Reader(definition[part]["file"], definition[part]["data"])

    treaty, withdrawal = _treaty(reader("treaty"))
    procedure = _procedure(reader("procedure"))
    claim = _claim(reader("claim")) if definition.get("claim") else None
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
        clock=None if claim else treaty.clock,
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

    def default_workflow(self, country: str, treaty: str) -> Workflow:
        """The country's own procedure for the treaty where one exists, else the generic one."""
        self.treaty(treaty)
        for w in self.workflows.values():
            if w.treaty.code == treaty and w.claim is None and country in w.countries:
                return w
        return self.workflow(f"{treaty}/generic")


def load_registry(root: Path) -> Registry:
    """Read and validate every file under `root`; the first invalid one raises DefinitionError."""
    files = {sub: list(_read_dir(root, sub)) for sub in ("treaties", "procedures", "claims")}
    if not files["treaties"]:
        raise DefinitionError(f"{root}: no treaties/*.yaml found")
    treaties = {_treaty(r)[0].code: r for r in files["treaties"]}
    procedures = {}
    for reader in files["procedures"]:
        procedure = _procedure(reader)
        procedures[procedure.name] = (procedure, reader)
    workflows: dict[str, Workflow] = {}

    def add(treaty: _Reader, procedure: _Reader, claim: _Reader | None = None) -> None:
        w = workflow_from_definition(
            {"treaty": _raw(treaty), "procedure": _raw(procedure), "claim": _raw(claim)}
        )
        workflows[w.name] = w

    for code, treaty in treaties.items():
        for procedure, reader in procedures.values():
            if not procedure.treaties or code in procedure.treaties:
                add(treaty, reader)
        for claim_reader in files["claims"]:
            claim = _claim(claim_reader)
            if claim.treaties and code not in claim.treaties:
                continue
            for name in claim.procedures:
                if name not in procedures:
                    raise claim_reader.error("procedures", f"unknown procedure {name!r}")
                add(treaty, procedures[name][1], claim_reader)
    return Registry({code: _treaty(r)[0] for code, r in treaties.items()}, workflows)


def _raw(reader: _Reader | None) -> dict[str, Any] | None:
    return None if reader is None else {"file": reader.file, "data": reader.data}
