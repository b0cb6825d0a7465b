"""The two file formats of case histories (JSON lines, and CSV with one row per step): reading
them line by line into checked specs, and writing them.

Reading never holds the whole file: a file of several hundred megabytes streams through. Every
problem is a Refused naming the line, the field and what is allowed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from app.domain.clock import parse_date
from app.domain.errors import DomainError
from app.services.spreadsheet import FORMULA_STARTS, safe_cell

FORMATS = ("jsonl", "csv")
MAX_LINE = 4 * 1024 * 1024  # one case per JSON line; thousands of steps fit in this
CASE_KEYS = (
    "reference", "country", "treaty", "workflow", "kind", "opened_on", "in_force_since",
    "began_on", "note", "steps",
)  # fmt: skip
STEP_KEYS = ("trigger", "occurred_on", "actor", "comment", "evidence", "documents")
CASE_COLUMNS = (
    "reference", "country", "treaty", "workflow", "kind", "opened_on", "in_force_since",
    "began_on", "note",
)  # fmt: skip
STEP_COLUMNS = ("trigger", "occurred_on", "actor", "comment", "documents")
REQUIRED_COLUMNS = ("country", "treaty", "trigger", "occurred_on")
EVIDENCE_PREFIX = "evidence."


class Refused(Exception):
    """A line of the file that cannot be taken, and why."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line, self.field, self.message = line, field, f"line {line}: {message}"


@dataclass(frozen=True)
class StepSpec:
    line: int
    trigger: str
    occurred_on: str
    actor: str | None = None
    comment: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    documents: tuple[tuple[str, str], ...] = ()  # (sha256, name): files in the document store
    at: str = ""  # where in its line, e.g. "steps[2]." in a JSON line; "" for a CSV row


@dataclass(frozen=True)
class CaseSpec:
    line: int
    country: str
    treaty: str
    reference: str | None = None
    workflow: str | None = None
    kind: str | None = None
    opened_on: date | None = None
    in_force_since: date | None = None  # the treaty in force for the State since (Paris 28(1))
    began_on: date | None = None  # when the procedure began, as the opener gave it
    note: str = ""
    steps: tuple[StepSpec, ...] = ()


class CaseReader:
    """The cases of a file, one by one, each a CaseSpec or the Refused that stops it;
    `consumed` counts the bytes read so far (for a progress bar)."""

    def __init__(self, stream: IO[bytes], fmt: str) -> None:
        if fmt not in FORMATS:
            raise Refused(0, "format", f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
        self.stream, self.fmt, self.consumed = stream, fmt, 0
        self.bad_lines: dict[int, str] = {}  # JSON lines that could not be read

    def __iter__(self) -> Iterator[CaseSpec | Refused]:
        return self._json_cases() if self.fmt == "jsonl" else self._csv_cases()

    def _lines(self) -> Iterator[tuple[int, str]]:
        """Decoded lines with their numbers. A line that is not UTF-8 or too long is noted in
        `bad_lines` and passed on empty (JSON lines: that case is refused); in a CSV file, where
        the case a line belongs to cannot be told, it ends the reading (CsvStopped)."""
        number = 0
        while raw := self.stream.readline(MAX_LINE + 1):
            number += 1
            self.consumed += len(raw)
            problem = None
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                problem = f"longer than {MAX_LINE // (1024 * 1024)} MiB"
                self._skip_rest_of_line()
            else:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problem = f"not UTF-8 text (byte {exc.start + 1} of the line)"
            if problem is None:
                yield number, text
            elif self.fmt == "csv":
                raise CsvStopped(number, problem)
            else:
                self.bad_lines[number] = problem
                yield number, "\n"

    def _skip_rest_of_line(self) -> None:
        while rest := self.stream.readline(MAX_LINE):
            self.consumed += len(rest)
            if rest.endswith(b"\n"):
                return

    def _json_cases(self) -> Iterator[CaseSpec | Refused]:
        for number, text in self._lines():
            if number in self.bad_lines:
                yield Refused(number, "file", self.bad_lines[number])
            elif text.strip():
                try:
                    yield _case_from_json(number, json.loads(text))
                except json.JSONDecodeError as exc:
                    yield Refused(number, "file", f"not JSON ({exc.msg}, column {exc.colno})")
                except RecursionError:
                    yield Refused(number, "file", "JSON nested too deep")
                except Refused as refused:
                    yield refused

    def _csv_cases(self) -> Iterator[CaseSpec | Refused]:
        rows = csv.DictReader(text for _, text in self._lines())
        try:
            _check_columns(rows.fieldnames)
            group: list[tuple[int, dict[str, str]]] = []
            start = 2
            for row in rows:
                number, start = start, rows.line_num + 1
                if group and _case_key(row) != _case_key(group[0][1]):
                    yield _csv_case(group)
                    group = []
                group.append((number, row))
        except CsvStopped as stop:
            yield Refused(
                stop.line,
                "file",
                f"{stop.problem}; the case it belongs to and every line after it were not read",
            )
            return
        except Refused as refused:
            yield refused
            return
        if group:
            yield _csv_case(group)


class CsvStopped(Exception):
    """A CSV line that cannot be read: reading stops there."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


def _csv_case(group: list[tuple[int, dict[str, str]]]) -> CaseSpec | Refused:
    first_line, first = group[0]
    try:
        steps = tuple(_step_from_row(n, row) for n, row in group if _cell(row, "trigger"))
        return _case(first_line, {k: _cell(first, k) or None for k in CASE_COLUMNS}, steps)
    except Refused as refused:
        return refused


def _case_key(row: dict[str, str]) -> tuple[str, ...]:
    """Rows of one case share its reference, or (without one) every case column."""
    if _cell(row, "reference"):
        return (_cell(row, "reference").upper(),)
    return tuple(_cell(row, k) for k in CASE_COLUMNS)


def _cell(row: dict[str, str], key: str) -> str:
    """A cell's text, without the quote an export puts before what looks like a formula."""
    value = (row.get(key) or "").strip()
    if value[:1] == "'" and value[1:2] in FORMULA_STARTS and value[1:2]:
        return value[1:]
    return value


def _check_columns(names: Iterable[str] | None) -> None:
    names = list(names or [])
    if not names:
        raise Refused(1, "header", "header: the file is empty; the first line names the columns")
    known = (*CASE_COLUMNS, *STEP_COLUMNS)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [n for n in names if n not in known and not n.startswith(EVIDENCE_PREFIX)]
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        raise Refused(
            1,
            "header",
            f"header: {problem}; columns: {', '.join(known)} and evidence.KEY (one per "
            "evidence field); required: " + ", ".join(REQUIRED_COLUMNS),
        )


def _step_from_row(number: int, row: dict[str, str]) -> StepSpec:
    evidence = {
        k.removeprefix(EVIDENCE_PREFIX): _cell(row, k)
        for k in row
        if k and k.startswith(EVIDENCE_PREFIX) and _cell(row, k)
    }
    raw = {k: _cell(row, k) or None for k in STEP_COLUMNS}
    return _step(number, {**raw, "evidence": evidence}, "")


def _case_from_json(number: int, data: Any) -> CaseSpec:
    if not isinstance(data, dict):
        raise Refused(number, "file", 'a case is one JSON object, {"country": ..., "steps": [...]}')
    _no_unknown_keys(number, data, CASE_KEYS, "")
    steps = data.get("steps") or []
    if not isinstance(steps, list):
        raise Refused(number, "steps", "steps: a list of steps, [{trigger, occurred_on, ...}]")
    specs = []
    for i, raw in enumerate(steps):
        if not isinstance(raw, dict):
            raise Refused(number, f"steps[{i}]", f"steps[{i}]: a step is a JSON object")
        _no_unknown_keys(number, raw, STEP_KEYS, f"steps[{i}].")
        specs.append(_step(number, raw, f"steps[{i}]."))
    return _case(number, data, tuple(specs))


def _no_unknown_keys(number: int, data: dict[str, Any], known: tuple[str, ...], at: str) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise Refused(
            number, at + unknown[0], f"{at}{unknown[0]}: unknown key; keys: {', '.join(known)}"
        )


def _case(number: int, data: dict[str, Any], steps: tuple[StepSpec, ...]) -> CaseSpec:
    text = _texts(number, data, "", required=("country", "treaty"))
    opened_on, in_force_since, began_on = (
        _day(number, text, k) for k in ("opened_on", "in_force_since", "began_on")
    )
    return CaseSpec(
        line=number,
        country=text["country"],
        treaty=text["treaty"],
        reference=text.get("reference"),
        workflow=text.get("workflow"),
        kind=text.get("kind"),
        opened_on=opened_on,
        in_force_since=in_force_since,
        began_on=began_on,
        note=text.get("note", ""),
        steps=steps,
    )


def _day(number: int, text: dict[str, str], key: str) -> date | None:
    """The case's date under `key`, if the line gives one, or Refused naming the key."""
    try:
        return parse_date(text[key], key) if text.get(key) else None
    except DomainError as exc:
        raise Refused(number, key, exc.message) from None


def _step(number: int, data: dict[str, Any], at: str) -> StepSpec:
    text = _texts(number, data, at, required=("trigger", "occurred_on"))
    evidence = data.get("evidence") or {}
    if not isinstance(evidence, dict) or not all(
        isinstance(v, str | int | float | bool) for v in evidence.values()
    ):
        raise Refused(number, f"{at}evidence", f"{at}evidence: an object of key: value")
    return StepSpec(
        line=number,
        trigger=text["trigger"],
        occurred_on=text["occurred_on"],
        actor=text.get("actor"),
        comment=text.get("comment", ""),
        evidence=dict(evidence),
        documents=_documents(number, data.get("documents"), at),
        at=at,
    )


def _documents(number: int, value: Any, at: str) -> tuple[tuple[str, str], ...]:
    """A step's documents, [{"sha256", "name", ...}] (in CSV, that list as JSON text): the
    files themselves are found in the document store by their SHA-256."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    shape = '[{"sha256": ..., "name": ...}] (the files copied into DOCUMENTS_PATH)'
    if value in (None, ""):
        return ()
    if not isinstance(value, list) or not all(
        isinstance(d, dict) and isinstance(d.get("sha256"), str) and isinstance(d.get("name"), str)
        for d in value
    ):
        raise Refused(number, f"{at}documents", f"{at}documents: a list {shape}")
    return tuple((d["sha256"], d["name"]) for d in value)


def _texts(number: int, data: dict[str, Any], at: str, required: tuple[str, ...]) -> dict[str, str]:
    """The string values of `data`, stripped; a missing required one or a non-string refused."""
    out: dict[str, str] = {}
    for key, value in data.items():
        if key in ("steps", "evidence", "documents") or value is None:
            continue
        if not isinstance(value, str):
            raise Refused(number, at + key, f"{at}{key}: a string, got {json.dumps(value)}")
        if value.strip():
            out[key] = value.strip()
    for key in required:
        if key not in out:
            raise Refused(number, at + key, f"{at}{key}: required")
    return out


def write_cases(cases: Iterable[dict[str, Any]], fmt: str, out: IO[str], keys: list[str]) -> int:
    """Write case dicts in the JSONL or CSV shape (`keys`: the evidence columns); returns the
    number written."""
    if fmt == "jsonl":
        return _count(cases, lambda c: out.write(json.dumps(c, ensure_ascii=False) + "\n"))
    columns = [*CASE_COLUMNS, *STEP_COLUMNS, *(EVIDENCE_PREFIX + k for k in keys)]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)

    def rows(case: dict[str, Any]) -> None:
        head = [case.get(k) or "" for k in CASE_COLUMNS]
        for step in case["steps"] or [{}]:
            evidence = step.get("evidence", {})
            cells = [*head, *(_step_cell(step, k) for k in STEP_COLUMNS)]
            cells += [evidence.get(k, "") for k in keys]
            writer.writerow([safe_cell(c) for c in cells])

    return _count(cases, rows)


def _step_cell(step: dict[str, Any], key: str) -> Any:
    value = step.get(key) or ""
    return json.dumps(value, ensure_ascii=False) if key == "documents" and value else value


def _count(items: Iterable[dict[str, Any]], write: Callable[[dict[str, Any]], object]) -> int:
    n = 0
    for item in items:
        write(item)
        n += 1
    return n
