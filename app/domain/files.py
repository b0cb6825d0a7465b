"""Parse one workflow file (a treaty, a procedure or a claim) into its parts, checking every
key; errors name the file and the key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.domain.clause_files import check_withdrawal_fits, parse_clock
from app.domain.clock import ClockRule
from app.domain.definitions import (
    COMMON_EVIDENCE,
    EVIDENCE_TYPES,
    GUARDS,
    NEXT_DATE_KEY,
    RESERVED_TRIGGERS,
    ROLES,
    EvidenceField,
    Stage,
    Transition,
    Treaty,
)
from app.domain.errors import DefinitionError
from app.domain.history import APPLY_EFFECT


class FileReader:
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

    def child(self, key: str, data: object) -> FileReader:
        return FileReader(self.file, data, ".".join(p for p in (self.path, key) if p))

    def items(self, key: str) -> Iterator[FileReader]:
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
    kind: str | None = None
    # A claim with a clock of its own (accession: the treaty's entry-into-force rule).
    clock: ClockRule | None = None


def _evidence(r: FileReader, key: str) -> EvidenceField:
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


def _names(r: FileReader, key: str, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    values = tuple(r.get(key, list, []))
    for v in values:
        if v not in known:
            raise r.error(key, f"unknown {what} {v!r}; known: {', '.join(known)}")
    return values


def _transition(r: FileReader) -> Transition:
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
    if any(f.key == NEXT_DATE_KEY and f.type != "date" for f in evidence):
        raise evidence_map.error(
            f"{NEXT_DATE_KEY}.type", "the next date a step sets must be of type date"
        )
    return Transition(
        trigger=trigger,
        sources=(source,) if isinstance(source, str) else tuple(source),
        dest=r.get("dest", str),
        label=r.get("label", str),
        description=r.get("description", str, ""),
        roles=_names(r, "roles", ROLES, "role") or ("clerk", "admin"),
        evidence=evidence + COMMON_EVIDENCE,
        guards=_names(r, "guards", GUARDS, "guard"),
        effects=_names(r, "effects", tuple(APPLY_EFFECT), "effect"),
        date_note=r.get("date_note", str, ""),
    )


def _stage(r: FileReader) -> Stage:
    r.refuse_unknown({"id", "label", "description", "responsible", "final"})
    return Stage(
        id=r.get("id", str),
        label=r.get("label", str),
        description=r.get("description", str, ""),
        responsible=r.get("responsible", str, ""),
        final=r.get("final", bool, False),
    )


def _part(r: FileReader) -> Part:
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
    stages = tuple(_stage(s) for s in r.items("stages"))
    first: dict[str, int] = {}
    for i, stage in enumerate(stages):
        if stage.id in first:
            raise r.error(
                f"stages[{i}].id",
                f"duplicate stage {stage.id!r} (first at stages[{first[stage.id]}])",
            )
        first[stage.id] = i
    return Part(
        file=r.file,
        version=r.get("version", int),
        initial=r.get("initial", str, None),
        stages=stages,
        transitions=tuple(transitions),
    )


def parse_treaty(r: FileReader) -> tuple[Treaty, Part]:
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
            "also_withdraws_from",
        }
    )
    treaty = Treaty(
        code=r.get("code", str),
        name=r.get("name", str),
        short_name=r.get("short_name", str),
        depositary=r.get("depositary", str),
        untc_chapter=r.get("untc_chapter", str, ""),
        clock=parse_clock(r.child("clock", r.get("clock", dict))),
        withdrawal_article=r.get("withdrawal_article", str),
        **_also(r),
    )
    withdrawal = _part(r.child("withdrawal", r.get("withdrawal", dict)))
    check_withdrawal_fits(r, treaty.clock, withdrawal.transitions)
    return treaty, withdrawal


def _also(r: FileReader) -> dict[str, Any]:
    """`also_withdraws_from: {treaties: [CODE], article: TEXT}`, where the treaty has one."""
    if "also_withdraws_from" not in r.data:
        return {}
    also = r.child("also_withdraws_from", r.get("also_withdraws_from", dict))
    also.refuse_unknown({"treaties", "article"})
    codes = also.get("treaties", list)
    if not codes or not all(isinstance(c, str) for c in codes):
        raise also.error("treaties", "expected a list of treaty codes, e.g. [paris]")
    return {"also_withdraws_from": tuple(codes), "also_article": also.get("article", str)}


def parse_procedure(r: FileReader) -> Procedure:
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


CLAIM_KEYS = {"name", "label", "version", "treaties", "procedures", "initial", "stages"}


def parse_claim(r: FileReader) -> Claim:
    r.refuse_unknown(CLAIM_KEYS | {"transitions", "kind", "clock"})
    clock = parse_clock(r.child("clock", r.get("clock", dict))) if "clock" in r.data else None
    part = _part(r)
    if clock is not None:
        check_withdrawal_fits(r, clock, part.transitions)
    return Claim(
        name=r.get("name", str),
        label=r.get("label", str),
        treaties=tuple(r.get("treaties", list, [])),
        procedures=tuple(r.get("procedures", list, [])),
        part=part,
        kind=r.get("kind", str, None),
        clock=clock,
    )
