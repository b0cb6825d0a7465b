"""The timeline chart: an inline SVG, one row per case, its stages as spans along a time axis,
the depositary's receipt and the effective date as marks, a line for today.

Pure geometry (no request, no database), server-side and CSP-safe like the workflow diagram:
classes for the stylesheet, presentation attributes for a legible default without it. A date
known only within bounds is drawn as the range it may lie in (hatched), never as one day; an
effective date not recorded is drawn hollow and dashed: a computed date, not a fact; red once
it has passed with nothing recorded (the step that says what happened is overdue).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape

from app.domain.clock import DateSpan
from app.services.timeline import CaseRow, StageSpan
from app.web.format import day, span

WIDTH, LABEL_W, RIGHT = 1100, 200, 70
AXIS_H, ROW_H, BAR_Y, BAR_H = 46, 54, 22, 20
CHAR = 6.2  # average width of an 11 px glyph, to see whether a label fits its span
MIN_DAYS = 60

# A computed effective date come with no step recorded: did it take effect, or what stopped it?
PASSED = "computed: the day has passed and nothing is recorded yet"


def _n(v: float) -> str:
    return f"{round(v, 1):g}"


def _first_of_month(d: date) -> date:
    return d.replace(day=1)


@dataclass(frozen=True)
class Axis:
    """Maps dates to x along the plot, from the first of a month to the first of a later one."""

    start: date
    end: date

    @classmethod
    def around(cls, days: Sequence[date]) -> Axis:
        lo, hi = min(days), max(days)
        lo = min(lo, hi - timedelta(days=MIN_DAYS))  # a short case: the past, up to today
        return cls(_first_of_month(lo), _first_of_month(hi) + relativedelta(months=1))

    def x(self, d: date) -> float:
        total = (self.end - self.start).days
        return LABEL_W + (d - self.start).days / total * (WIDTH - LABEL_W - RIGHT)

    def ticks(self) -> Iterator[tuple[date, str]]:
        """Month, quarter or year ticks, as many as fit, each with its label."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        step = next(s for s in (1, 3, 6, 12, 24, 60) if months / s <= 14)
        tick, year = self.start, 0
        if step >= 12 and tick.month != 1:
            tick = date(tick.year + 1, 1, 1)
        while tick <= self.end:
            if step >= 12:
                yield tick, str(tick.year)
            else:  # the year on the first tick of each year
                yield tick, f"{tick:%b %Y}" if tick.year != year else f"{tick:%b}"
            tick, year = tick + relativedelta(months=step), tick.year


def _dates(rows: Sequence[CaseRow], today: date) -> list[date]:
    days = [today]
    for row in rows:
        for s in row.spans:
            days += [s.start.earliest, *([s.end.latest] if s.end else [])]
        days += [d for d in (row.deposited_on, row.effective_on) if d is not None]
    return days


def _text(x: float, y: float, cls: str, text: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" font-size="{size}" '
        f'text-anchor="{anchor}">{escape(text)}</text>'
    )


def _rect(cls: str, x0: float, x1: float, y: float, h: float, title: str, extra: str = "") -> str:
    return (
        f'<rect class="{cls}" x="{_n(x0)}" y="{_n(y)}" width="{_n(max(x1 - x0, 1.5))}" '
        f'height="{_n(h)}"{extra}><title>{escape(title)}</title></rect>'
    )


class _Chart:
    def __init__(self, rows: Sequence[CaseRow], today: date, links: Mapping[str, str]) -> None:
        self.rows, self.today, self.links = rows, today, links
        self.axis = Axis.around(_dates(rows, today))
        self.height = AXIS_H + ROW_H * max(len(rows), 1) + 6

    def _axis(self) -> list[str]:
        out = []
        for tick, label in self.axis.ticks():
            x = self.axis.x(tick)
            out.append(
                f'<line class="tick" x1="{_n(x)}" x2="{_n(x)}" y1="{AXIS_H - 6}" '
                f'y2="{_n(self.height)}" stroke="#dde1e6"/>'
            )
            out.append(_text(x + 3, AXIS_H - 10, "tick-label", label))
        return out

    def _today(self) -> str:
        x = self.axis.x(self.today)
        anchor = "end" if x > WIDTH - RIGHT - 40 else "middle"
        return (
            f'<g class="today"><line x1="{_n(x)}" x2="{_n(x)}" y1="14" y2="{_n(self.height)}" '
            f'stroke="#b3261e" stroke-width="2" stroke-dasharray="5 3"/>'
            + _text(x, 11, "today-label", f"Today, {day(self.today)}", anchor)
            + "</g>"
        )

    def _span(self, s: StageSpan, k: int, top: float) -> list[str]:
        """The part of a stage that is certain (solid), and its projection while it lasts."""
        end = s.end.earliest if s.end else self.today
        x0, x1 = self.axis.x(s.start.latest), self.axis.x(end)
        if x1 < x0 or (x1 == x0 and s.end is not None):
            return []  # only the ranges at its ends are known: they are drawn as such
        until = f"until {span(s.end.earliest, s.end.latest)}" if s.end else "still there"
        title = f"{s.label}: from {span(s.start.earliest, s.start.latest)}, {until}"
        cls = f"span {s.phase} alt{k % 2}" + " ongoing" * (s.end is None)
        fill = "#8fb3de" if s.phase == "domestic" else "#e9b64f"
        out = [_rect(cls, x0, x1, top + BAR_Y, BAR_H, title, f' fill="{fill}"')]
        if x1 - x0 >= len(s.label) * CHAR + 20:
            out.append(_text(x0 + 12, top + BAR_Y + 14, "span-label", s.label))
        return out

    def _ranges(self, row: CaseRow, top: float) -> list[str]:
        """Each step dated only within bounds: the range its day lies in, hatched."""
        spans = row.spans
        bounds = {spans[0].start: f"Began at '{spans[0].label}'"} if spans else {}
        for before, after in zip(spans, (*spans[1:], None), strict=True):
            if before.end is not None:
                into = after.label if after else row.final_label or "the next stage"
                bounds.setdefault(before.end, f"From '{before.label}' to '{into}'")
        return [self._range(b, what, top) for b, what in bounds.items() if not b.is_exact]

    def _range(self, b: DateSpan, what: str, top: float) -> str:
        x0, x1 = self.axis.x(b.earliest), self.axis.x(b.latest + timedelta(days=1))
        title = f"{what} between {day(b.earliest)} and {day(b.latest)}"
        hatch = ' fill="url(#tl-hatch)" stroke="#555"'
        return _rect("approx", x0, x1, top + BAR_Y - 3, BAR_H + 6, title, hatch)

    def _marks(self, row: CaseRow, top: float) -> list[str]:
        out, mid = [], top + BAR_Y + BAR_H / 2
        if row.deposited_on is not None:
            x = self.axis.x(row.deposited_on)
            title = f"Instrument received by the depositary on {day(row.deposited_on)}"
            out.append(
                f'<g class="mark deposit"><path d="M{_n(x)} {_n(mid - 9)}l7 9l-7 9l-7 -9z" '
                f'fill="#1c2430" stroke="#fff"/><title>{escape(title)}</title></g>'
                + _text(x - 9, top + BAR_Y - 6, "mark-label", day(row.deposited_on), "end")
            )
        if row.effective_on is not None:
            out.append(self._effective(row, row.effective_on, top, mid))
        elif row.final_label:
            end = row.spans[-1].end if row.spans else None
            if end is not None:
                x = self.axis.x(end.latest)
                title = f"{row.final_label}: {span(end.earliest, end.latest)}"
                out.append(
                    f'<g class="mark end"><rect x="{_n(x - 2)}" y="{_n(mid - 11)}" width="4" '
                    f'height="22" fill="#4f5b6b"/><title>{escape(title)}</title></g>'
                    + _text(x + 7, top + BAR_Y - 6, "mark-label", row.final_label)
                )
        return out

    def _effective(self, row: CaseRow, on: date, top: float, mid: float) -> str:
        x, out = self.axis.x(on), ""
        if row.effective_recorded:
            cls, title = "mark effective", f"Took effect on {day(on)}"
            circle = 'fill="#1d6b3a" stroke="#fff"'
        elif self._overdue(row, on):
            cls, title = "mark effective computed passed", f"Takes effect on {day(on)}, {PASSED}"
            circle = 'fill="#fff" stroke="#b3261e" stroke-dasharray="3 2"'
        else:
            cls, title = "mark effective computed", f"Takes effect on {day(on)}, computed"
            circle = 'fill="#fff" stroke="#1d6b3a" stroke-dasharray="3 2"'
            start = self.axis.x(min(self.today, on))
            if start < x:  # the time still to run, drawn as what it is: a projection
                out += _rect(
                    "projected", start, x, top + BAR_Y, BAR_H, f"{title} (projection)",
                    ' fill="none" stroke="#7a4b00" stroke-dasharray="5 3"',
                )  # fmt: skip
        basis = f" ({row.effective_basis})" if row.effective_basis else ""
        return (
            out + f'<g class="{cls}"><circle cx="{_n(x)}" cy="{_n(mid)}" r="8" '
            f'stroke-width="2.5" {circle}/><title>{escape(title + basis)}</title></g>'
            + _text(x + 11, top + BAR_Y - 6, "mark-label", day(on))
        )

    def _row(self, i: int, row: CaseRow) -> str:
        top = AXIS_H + i * ROW_H
        name = _text(8, top + BAR_Y + 8, "row-title", row.title, size=13)
        ref = _text(8, top + BAR_Y + 22, "row-ref", row.reference, size=10)
        href = self.links.get(row.reference)
        label = f'<a href="{escape(href)}">{name}{ref}</a>' if href else name + ref
        parts = [label]
        for k, s in enumerate(row.spans):
            parts += self._span(s, k, top)
        parts += self._ranges(row, top) + self._marks(row, top)
        band = f'<line x1="0" x2="{WIDTH}" y1="{top + ROW_H}" y2="{top + ROW_H}" stroke="#eef0f3"/>'
        return f'<g class="row" data-case="{escape(row.reference)}">{band}{"".join(parts)}</g>'

    def _took(self, row: CaseRow, on: date) -> str:
        if row.effective_recorded:
            return "took effect"
        return (
            "was due to take effect (computed; nothing recorded yet)"
            if self._overdue(row, on)
            else "takes effect (computed)"
        )

    def _overdue(self, row: CaseRow, on: date) -> bool:
        """A computed effective date that has passed while the case is still open (the case
        page's rule): nothing recorded says whether it took effect. A closed case recorded
        its end, whatever its last step was (a membership ceased by decision)."""
        return on < self.today and row.final_label is None

    def describe(self) -> str:
        """The chart in words, for screen readers."""
        said = []
        for row in self.rows:
            bits = [f"{row.title}: " + ", ".join(s.label for s in row.spans) or row.title]
            if row.deposited_on:
                bits.append(f"received by the depositary {day(row.deposited_on)}")
            if row.effective_on:
                bits.append(f"{self._took(row, row.effective_on)} {day(row.effective_on)}")
            said.append("; ".join(bits))
        return ". ".join(said) + f". Today is {day(self.today)}."

    def svg(self) -> str:
        hatch = (
            '<pattern id="tl-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#4f5b6b" stroke-width="2.5"/></pattern>'
        )
        rows = [self._row(i, r) for i, r in enumerate(self.rows)]
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-chart" width="100%" '
            f'viewBox="0 0 {WIDTH} {_n(self.height)}" role="img" '
            f'aria-labelledby="tl-title tl-desc" font-family="sans-serif">'
            f'<title id="tl-title">Timeline of {len(self.rows)} case(s)</title>'
            f'<desc id="tl-desc">{escape(self.describe())}</desc><defs>{hatch}</defs>'
            + "".join(self._axis() + rows + [self._today()])
            + "</svg>"
        )


def render_timeline(
    rows: Sequence[CaseRow], today: date, links: Mapping[str, str] | None = None
) -> Markup:
    """An inline SVG of the cases' stages along time; `links` maps a reference to its page."""
    return Markup(_Chart(rows, today, links or {}).svg())
