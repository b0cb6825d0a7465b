"""The case page's workflow diagram: an inline SVG "subway map" of stages and transitions.

Server-side and CSP-safe (no script, no <style>, no style=""): the site stylesheet styles the
classes; presentation attributes only give a legible default where the stylesheet is missing.
"""

from __future__ import annotations

import textwrap
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.domain.definitions import Transition, Workflow
from app.web.kept import Kept

Step = tuple[str, str, str]
BOX_X, BOX_W, LINE_X, PAD, MIN_W = 12, 250, 32, 12, 640
BOX_R = BOX_X + BOX_W
LANE_X0, CORNER, NOTE_DX = BOX_R + 22, 8, 34
CHAR = 0.56  # average glyph width as a share of the font size, for wrapping
ARC_TEXT = 130  # width of an arc's label column
ANY_NOTE = "from any open stage"
Ports = dict[tuple[int, object], float]


@dataclass
class _Row:
    lines: list[tuple[str, int, str]]  # (class, font size, text)
    top: float = 0.0
    height: float = 0.0


@dataclass(frozen=True)
class _Arc:  # a transition drawn on the right: a back edge or a jump over rows
    t: Transition
    src: int
    dst: int
    lane: int = 0

    @property
    def span(self) -> range:
        return range(min(self.src, self.dst), max(self.src, self.dst) + 1)

    @property
    def label_gap(self) -> int:  # the gap, below this row, in the middle of the span
        return (self.span[0] + self.span[-1] - 1) // 2

    @property
    def lines(self) -> list[str]:
        return _wrap(self.t.label, ARC_TEXT, 11)


def _n(v: float) -> str:
    return f"{round(v, 1):g}"


def _wrap(text: str, px: float, size: int) -> list[str]:
    return textwrap.wrap(text, max(8, int(px / (size * CHAR)))) or [""]


def _text(x: float, y: float, cls: str, size: int, text: str) -> str:
    bold = ' font-weight="bold"' * (cls == "stage-label")
    at = f'x="{_n(x)}" y="{_n(y)}" font-size="{size}"{bold}'
    return f'<text class="{cls}" {at}>{escape(text)}</text>'


def _is_any(workflow: Workflow, t: Transition) -> bool:
    """True for a step from every open stage (a "*" source), drawn once, not per source."""
    open_ = {s for s, st in workflow.stages.items() if not st.final}
    return len(t.sources) > 1 and set(t.sources) == open_


def _order(workflow: Workflow) -> list[str]:
    """Open stages by BFS distance from the initial one, then final stages nearest-source first."""
    ids = list(workflow.stages)
    dist = {workflow.initial: 0}
    queue = deque([workflow.initial])
    while queue:
        s = queue.popleft()
        for t in workflow.available(s):
            if not _is_any(workflow, t) and t.dest not in dist:
                dist[t.dest] = dist[s] + 1
                queue.append(t.dest)
    opened = sorted((s for s in ids if not workflow.is_final(s)), key=lambda s: dist.get(s, 1e9))
    row = {s: i for i, s in enumerate(opened)}

    def last_source(s: str) -> int:
        into = [t for t in workflow.transitions if t.dest == s and not _is_any(workflow, t)]
        return max((row.get(src, -1) for t in into for src in t.sources), default=-1)

    # A final stage goes right under the lowest stage that leads to it: the shortest arcs.
    return opened + sorted((s for s in ids if workflow.is_final(s)), key=lambda s: -last_source(s))


def _assign_lanes(arcs: list[_Arc]) -> list[_Arc]:
    """Shorter arcs on inner lanes; arcs sharing a lane never share a row."""
    placed: list[_Arc] = []
    for a in sorted(arcs, key=lambda a: (len(a.span), a.span[0], a.src)):
        used = {p.lane for p in placed if set(a.span) & set(p.span)}
        placed.append(_Arc(a.t, a.src, a.dst, min(set(range(len(placed) + 1)) - used)))
    return placed


class _Diagram:
    """Lays out one workflow and writes its SVG."""

    def __init__(self, workflow: Workflow, current: str | None, taken: Sequence[Step]) -> None:
        self.w, self.current, self.path, self.taken = workflow, current, list(taken), set(taken)
        self.order = _order(workflow)
        self.index = {s: i for i, s in enumerate(self.order)}
        self.anys = [t for t in workflow.transitions if _is_any(workflow, t)]
        self.straight: dict[int, list[Transition]] = {}
        self.loops: dict[int, list[Transition]] = {}
        arcs: list[_Arc] = []
        for t in workflow.transitions:
            for src in () if t in self.anys else t.sources:
                i, j = self.index[src], self.index[t.dest]
                if i == j:
                    self.loops.setdefault(i, []).append(t)
                elif j == i + 1:
                    self.straight.setdefault(i, []).append(t)
                else:
                    arcs.append(_Arc(t, i, j))
        self.arcs = _assign_lanes(arcs)
        self.lane_x = [float(LANE_X0)]
        for lane in range(max((a.lane for a in self.arcs), default=-1) + 1):
            chars = max(len(ln) for a in self.arcs if a.lane == lane for ln in a.lines)
            self.lane_x.append(self.lane_x[-1] + 24 + chars * 11 * CHAR)
        self.rows = [self._row(i, s) for i, s in enumerate(self.order)]
        y = float(PAD)
        for i, row in enumerate(self.rows):
            row.top, y = y, y + row.height + self._gap(i)
        self.height = y - self._gap(len(self.rows) - 1) + PAD

    def _on_path(self, t: Transition, src: int | None = None) -> bool:
        sources = t.sources if src is None else (self.order[src],)
        return any((s, t.trigger, t.dest) in self.taken for s in sources)

    def _row(self, i: int, stage_id: str) -> _Row:
        stage = self.w.stages[stage_id]
        lines = [("stage-label", 13, ln) for ln in _wrap(stage.label, BOX_W - 20, 13)]
        if stage.responsible:
            lines += [("stage-body", 11, ln) for ln in _wrap(stage.responsible, BOX_W - 20, 11)]
        for t in self.loops.get(i, []):
            cls = "loop" + " taken" * self._on_path(t, i)
            lines += [(cls, 11, ln) for ln in _wrap("also: " + t.label, BOX_W - 20, 11)]
        return _Row(lines, height=14 + sum(size + 4 for _, size, _ in lines))

    def _gap(self, i: int) -> int:
        """The height of the gap below row i: it holds a straight edge's and arcs' labels."""
        arcs = [len(a.lines) for a in self.arcs if a.label_gap == i]
        lines = max([len(self._straight_label(i)) if i in self.straight else 0, *arcs])
        return max(28, 14 * lines + 14)

    def _straight_label(self, i: int) -> list[str]:
        return _wrap(" / ".join(t.label for t in self.straight[i]), BOX_R - LINE_X - 12, 11)

    def _ports(self) -> Ports:
        """Where arcs and notes meet a box's right side: arcs from above on top, then notes,
        then arcs from below; outer lanes nearer the middle, so that no stub crosses a lane."""
        ends: dict[int, list[tuple[tuple[int, int], object]]] = {}
        for n, a in enumerate(self.arcs):
            for here, other in ((a.src, a.dst), (a.dst, a.src)):
                key = (0, a.lane) if other < here else (2, -a.lane)
                ends.setdefault(here, []).append((key, n))
        for k, t in enumerate(self.anys):
            ends.setdefault(self.index[t.dest], []).append(((1, k), t.trigger))
        ports: Ports = {}
        for i, items in ends.items():
            row = self.rows[i]
            for k, (_, ref) in enumerate(sorted(items, key=lambda e: e[0])):
                ports[(i, ref)] = row.top + row.height * (k + 1) / (len(items) + 1)
        return ports

    def _edge(self, cls: str, d: str, label: list[str], lx: float, ly: float) -> str:
        taken = "taken" in cls.split()
        dash = ' stroke-dasharray="4 3"' * ("note" in cls.split())
        texts = "".join(_text(lx, ly + 14 * k, "edge-label", 11, ln) for k, ln in enumerate(label))
        return (
            f'<g class="{cls}"><path d="{d}" fill="none" stroke="#555" '
            f'stroke-width="{2.5 if taken else 1.2}"{dash} '
            f'marker-end="url(#wfd-arrow{"-taken" * taken})"/>{texts}</g>'
        )

    def _stages(self) -> list[str]:
        out = []
        for stage_id, row in zip(self.order, self.rows, strict=True):
            stage, current = self.w.stages[stage_id], stage_id == self.current
            cls = "stage" + " final" * stage.final + " current" * current
            cls += " visited" * any(stage_id in (a, b) for a, _, b in self.path)
            rect = (
                f'<rect x="{BOX_X}" y="{_n(row.top)}" width="{BOX_W}" height="{_n(row.height)}" '
                f'rx="{14 if stage.final else 4}" fill="#fff" stroke="#666" '
                f'stroke-width="{3 if current else 1}"/>'
            )
            y, texts = row.top + 8, ""
            for tcls, size, line in row.lines:
                y += size + 4
                texts += _text(BOX_X + 10, y - 3, tcls, size, line)
            out.append(f'<g class="{cls}" data-stage="{escape(stage_id)}">{rect}{texts}</g>')
        return out

    def _edges(self, ports: Ports) -> list[str]:
        out = []
        for i, ts in self.straight.items():
            top, bottom = self.rows[i].top + self.rows[i].height, self.rows[i + 1].top
            label, d = self._straight_label(i), f"M{LINE_X} {_n(top)}V{_n(bottom - 1)}"
            cls = "edge" + " taken" * any(self._on_path(t, i) for t in ts)
            out.append(
                self._edge(cls, d, label, LINE_X + 10, (top + bottom) / 2 - 7 * len(label) + 11)
            )
        for n, a in enumerate(self.arcs):
            ys, yd, lx = ports[(a.src, n)], ports[(a.dst, n)], self.lane_x[a.lane]
            r = min(CORNER, abs(yd - ys) / 2) * (1 if yd > ys else -1)
            d = (
                f"M{BOX_R} {_n(ys)}H{_n(lx - abs(r))}Q{_n(lx)} {_n(ys)} {_n(lx)} {_n(ys + r)}"
                f"V{_n(yd - r)}Q{_n(lx)} {_n(yd)} {_n(lx - abs(r))} {_n(yd)}H{BOX_R + 1}"
            )
            above = self.rows[a.label_gap]
            mid = (above.top + above.height + self.rows[a.label_gap + 1].top) / 2
            cls = "edge" + " taken" * self._on_path(a.t, a.src)
            out.append(self._edge(cls, d, a.lines, lx + 6, mid - 7 * len(a.lines) + 11))
        for t in self.anys:  # one short arrow, instead of one from each open stage
            y = ports[(self.index[t.dest], t.trigger)]
            d = f"M{BOX_R + NOTE_DX - 6} {_n(y)}H{BOX_R + 1}"
            cls = "edge note" + " taken" * self._on_path(t)
            out.append(self._edge(cls, d, [t.label, ANY_NOTE], BOX_R + NOTE_DX, y - 3))
        return out

    def _describe(self) -> str:
        """The diagram in words, for screen readers: where the case is and how it got there."""
        stages = {s: st.label for s, st in self.w.stages.items()}
        steps = {t.trigger: t.label for t in reversed(self.w.transitions)}
        path = "; ".join(
            f"{steps.get(t, t)} (from {stages.get(a, a)} to {stages.get(b, b)})"
            for a, t, b in self.path
        )
        now = self.current and f"Current stage: {stages.get(self.current, self.current)}."
        return f"{now or 'No current stage.'} " + (
            f"Path taken: {path}." if path else "No steps recorded yet."
        )

    def svg(self) -> str:
        """The whole <svg> element."""
        notes = [BOX_R + NOTE_DX + 11 * CHAR * max(len(t.label), len(ANY_NOTE)) for t in self.anys]
        # A floor on the width keeps the text the same size in small and large workflows.
        width = max([self.lane_x[-1] if self.arcs else BOX_R, *notes, MIN_W - PAD]) + PAD
        markers = "".join(
            f'<marker id="wfd-{m}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
            f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            f'<path class="arrowhead{c}" d="M0 0L10 5L0 10z" fill="#555"/></marker>'
            for m, c in (("arrow", ""), ("arrow-taken", " taken"))
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" width="100%" '
            f'viewBox="0 0 {_n(width)} {_n(self.height)}" role="img" '
            f'aria-labelledby="wfd-title wfd-desc" font-family="sans-serif">'
            f'<title id="wfd-title">{escape(self.w.label)}: stages and transitions</title>'
            f'<desc id="wfd-desc">{escape(self._describe())}</desc><defs>{markers}</defs>'
            + "".join(self._edges(self._ports()) + self._stages())
            + "</svg>"
        )


_DRAWN: Kept[tuple[object, ...], Markup] = Kept(4 * 2**20)  # the same few per workflow


def render_diagram(workflow: Workflow, current: str | None, taken: Sequence[Step]) -> Markup:
    """An inline SVG of the workflow, marking the current stage and the path the case took:
    laid out once for each workflow, stage and path, then kept."""
    key = (workflow.name, workflow.digest(), current, tuple(taken))
    drawn = _DRAWN.get(key)
    if drawn is None:
        drawn = Markup(_Diagram(workflow, current, taken).svg())
        _DRAWN.keep(key, drawn)
    return drawn
