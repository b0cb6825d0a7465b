"""The timeline chart's geometry: spans along the axis, ranges drawn as ranges, a computed
effective date drawn as such, today's line, the ticks; no database, no Flask."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from app.domain.clock import DateSpan
from app.services.timeline import CaseRow, StageSpan
from app.web.timeline import Axis, render_timeline

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2025, 9, 1)


def _row(effective_recorded: bool = False, **changes: object) -> CaseRow:
    values: dict[str, object] = {
        "reference": "LV-APMBC-2025",
        "title": "Latvia",
        "kind": "withdrawal",
        "spans": (
            StageSpan(
                "drafting",
                "Drafting",
                "domestic",
                DateSpan.exact(date(2025, 3, 25)),
                DateSpan(date(2025, 4, 23), date(2025, 4, 24)),
            ),
            StageSpan(
                "mfa_coordination",
                "MFA coordination",
                "international",
                DateSpan(date(2025, 4, 23), date(2025, 4, 24)),
                DateSpan.exact(date(2025, 6, 27)),
            ),
            StageSpan(
                "notice_period",
                "Notice period",
                "international",
                DateSpan.exact(date(2025, 6, 27)),
                None,
            ),
        ),
        "deposited_on": date(2025, 6, 27),
        "effective_on": date(2025, 12, 27),
        "effective_basis": "27 Jun 2025 + 6 months, APMBC Art. 20(3)",
        "effective_recorded": effective_recorded,
        "final_label": None,
    }
    values.update(changes)
    return CaseRow(**values)  # type: ignore[arg-type]


def _svg(*rows: CaseRow, links: dict[str, str] | None = None) -> ET.Element:
    return ET.fromstring(str(render_timeline(rows, TODAY, links)))


def _by_class(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in svg.iter() if cls in (e.get("class") or "").split()]


def _title(e: ET.Element) -> str:
    title = e.find(f"{SVG}title")
    assert title is not None and title.text
    return title.text


def test_a_date_known_within_bounds_is_drawn_as_the_range_it_lies_in() -> None:
    svg, axis = _svg(_row()), Axis.around([date(2025, 3, 25), date(2025, 12, 27), TODAY])
    (approx,) = _by_class(svg, "approx")  # one boundary, shared by the two stages it divides
    x0, width = float(approx.get("x", 0)), float(approx.get("width", 0))
    assert abs(x0 - axis.x(date(2025, 4, 23))) < 0.1
    assert abs(x0 + width - axis.x(date(2025, 4, 25))) < 0.1  # to the end of the 24th
    assert (
        _title(approx)
        == "From 'Drafting' to 'MFA coordination' between 23 Apr 2025 and 24 Apr 2025"
    )


def test_a_computed_effective_date_is_hollow_and_dashed_a_recorded_one_solid() -> None:
    computed = _svg(_row())
    (mark,) = _by_class(computed, "effective")
    assert "computed" in mark.get("class", "")
    circle = mark.find(f"{SVG}circle")
    assert circle is not None and circle.get("fill") == "#fff" and circle.get("stroke-dasharray")
    assert _title(mark).startswith("Takes effect on 27 Dec 2025, computed")
    (projection,) = _by_class(computed, "projected")  # from today to the computed date
    assert "(projection)" in _title(projection)

    recorded = _svg(_row(effective_recorded=True))
    (mark,) = _by_class(recorded, "effective")
    assert "computed" not in mark.get("class", "") and _title(mark).startswith("Took effect")
    assert not _by_class(recorded, "projected")


def test_today_the_deposit_and_the_ongoing_stage_are_where_their_dates_are() -> None:
    svg = _svg(_row())
    axis = Axis.around([date(2025, 3, 25), date(2025, 12, 27), TODAY])
    (today,) = _by_class(svg, "today")
    line = today.find(f"{SVG}line")
    assert line is not None and abs(float(line.get("x1", 0)) - axis.x(TODAY)) < 0.1
    assert "Today, 1 Sep 2025" in ET.tostring(today, encoding="unicode")
    (deposit,) = _by_class(svg, "deposit")
    assert _title(deposit) == "Instrument received by the depositary on 27 Jun 2025"
    ongoing = _by_class(svg, "ongoing")[0]
    end = float(ongoing.get("x", 0)) + float(ongoing.get("width", 0))
    assert abs(end - axis.x(TODAY)) < 0.1  # a stage still under way runs up to today
    assert _title(ongoing) == "Notice period: from 27 Jun 2025, still there"


def test_ticks_are_months_for_a_year_and_years_for_a_decade() -> None:
    year = [label for _, label in Axis(date(2025, 1, 1), date(2026, 1, 1)).ticks()]
    assert year[:3] == ["Jan 2025", "Feb", "Mar"] and year[-1] == "Jan 2026"
    decade = [label for _, label in Axis(date(2016, 10, 1), date(2026, 12, 1)).ticks()]
    assert decade[0] == "2017" and "2026" in decade and len(decade) <= 14


def test_rows_link_to_their_case_and_text_is_escaped() -> None:
    svg = _svg(
        _row(), _row(reference="XX-1", title="<b>Land</b>"), links={"LV-APMBC-2025": "/cases/LV"}
    )
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert links == ["/cases/LV"]
    titles = [t.text for t in _by_class(svg, "row-title")]
    assert titles == ["Latvia", "<b>Land</b>"]  # parsed back from escaped text
    rows = [g.get("data-case") for g in _by_class(svg, "row")]
    assert rows == ["LV-APMBC-2025", "XX-1"]
