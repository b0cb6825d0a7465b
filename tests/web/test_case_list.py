"""/cases: every case, open or closed, found by a reference or a country's name, filtered,
sorted, a page at a time, and downloadable as CSV; the dashboard's counts lead there."""

from __future__ import annotations

import csv
import html
import io
import re

from app.services.cases import open_case
from app.services.context import Tracker
from tests.web.conftest import SignIn, html_of, references_listed, row_linking, table_rows


def listed(client, query: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(f"/cases{query}")
    assert response.status_code == 200, html_of(response)
    return references_listed(html_of(response))


def test_finished_cases_are_listed_and_found_by_country_name_or_code(
    seeded: Tracker, signed_in: SignIn
) -> None:
    viewer = signed_in("viewer")
    everything = listed(viewer)
    assert "LV-APMBC-2025" in everything and "BI-ROME-STATUTE-2016" in everything
    assert not [r for r in everything if r.startswith("PRACTICE-")]  # hidden unless asked for
    still_open = {"UA-APMBC-2025", "HU-ROME-STATUTE-2025", "US-WHO-2025", "US-UNESCO-2025"}
    still_open |= {"NI-UNESCO-2025", "LV-ISTANBUL-2025", "US-UNFCCC-2026"}
    still_open |= {f"{c}-ROME-STATUTE-2025" for c in ("BF", "ML", "NE")}
    assert listed(viewer, "?status=closed") == [r for r in everything if r not in still_open]
    assert listed(viewer, "?q=latvia") == ["LV-APMBC-2025", "LV-ISTANBUL-2025"]
    assert listed(viewer, "?q=lv") == ["LV-APMBC-2025", "LV-ISTANBUL-2025"]
    rome = ["BF-2025", "BI-2016", "GM-2016", "HU-2025", "ML-2025", "NE-2025", "PH-2018", "ZA-2016"]
    assert listed(viewer, "?q=rome") == [r.replace("-", "-ROME-STATUTE-") for r in rome]
    assert listed(viewer, "?kind=suspension_claim") == ["UA-APMBC-2025"]
    assert listed(viewer, "?treaty=apmbc&status=open") == ["UA-APMBC-2025"]
    assert "PRACTICE-APMBC-GENERIC" in listed(viewer, "?practice=1")
    newest_first = listed(viewer, "?sort=began")
    assert newest_first[-2:] == ["BI-ROME-STATUTE-2016", "ZA-ROME-STATUTE-2016"]
    # a case with no step yet began on the day its opener gave: the US UNFCCC case, on the
    # presidential memorandum of 7 Jan 2026 (no receipt found, no step recorded)
    assert newest_first[0] == "US-UNFCCC-2026"
    row = row_linking(html_of(viewer.get("/cases?q=unfccc")), "US-UNFCCC-2026")
    assert "7 Jan 2026" in row
    # Finland's Government decided on 1 Apr 2025, before the bill of 28 May, its first step:
    # it began before Hungary's procedure (3 Apr), and its row and page say 1 Apr.
    assert newest_first.index("HU-ROME-STATUTE-2025") < newest_first.index("FI-APMBC-2025")
    assert "1 Apr 2025" in row_linking(html_of(viewer.get("/cases?q=finland")), "FI-APMBC-2025")
    page = re.sub(r"<[^>]+>", "", html_of(viewer.get("/cases/FI-APMBC-2025")))
    assert "Procedure began1 Apr 2025 (given when the case was opened)" in page


def test_the_list_is_paged_and_its_csv_holds_every_match(
    seeded: Tracker, signed_in: SignIn
) -> None:
    for _ in range(55):
        open_case(seeded, "EE", "apmbc", "clerk", allow_duplicate=True)
    viewer = signed_in("viewer")
    first = html_of(viewer.get("/cases?q=EE"))
    assert "56 cases" in first and "Page 1 of 2" in first
    assert len(references_listed(first)) == 50
    second = listed(viewer, "?q=EE&page=2")
    assert len(second) == 6
    download = viewer.get("/cases.csv?q=EE")
    assert download.headers["Content-Disposition"] == 'attachment; filename="cases.csv"'
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 56
    assert rows[0]["reference"] == "EE-APMBC-2025" and rows[0]["stage"] == "Withdrawal effective"


def test_unknown_filters_are_refused_naming_what_exists(seeded: Tracker, signed_in: SignIn) -> None:
    viewer = signed_in("viewer")
    for query, words in (
        ("?kind=treaty", ["Kind: 'treaty'", "withdrawal"]),  # each by its label
        ("?status=maybe", ["Status: 'maybe'", "closed, open"]),
        ("?stage=nowhere", ["Stage: 'nowhere'"]),
        ("?sort=colour", ["Sort: 'colour'", "reference"]),
        ("?page=0", ["page"]),
    ):
        response = viewer.get(f"/cases{query}")
        assert response.status_code == 400, query
        for word in words:
            assert word in html.unescape(html_of(response)), (query, word)
    assert viewer.get("/cases.csv?kind=treaty").status_code == 400


def test_the_dashboards_counts_link_to_the_cases_they_count(
    seeded: Tracker, signed_in: SignIn
) -> None:
    viewer = signed_in("viewer")
    board = html_of(viewer.get("/dashboard"))
    link = '/cases?treaty=apmbc&amp;stage=effective">5</a>'
    assert link in board
    assert len(listed(viewer, "?treaty=apmbc&stage=effective")) == 5


def test_each_kind_is_named_in_words(seeded: Tracker, signed_in: SignIn) -> None:
    page = html_of(signed_in("viewer").get("/cases?kind=deratification"))
    assert '<option value="deratification" selected>De-ratification</option>' in " ".join(
        page.split()
    )
    (row,) = [r for r in table_rows(page) if "CTBT" in r]
    assert '<td data-label="Kind">De-ratification</td>' in row
