"""A case's page: its dates and how they were computed, the timeline, the diagram, and the
forms that record a step, correct an event or undo the last step."""

from __future__ import annotations

import re

import pytest

from app.services import queries
from app.services.cases import advance
from app.services.context import Tracker
from tests.web.conftest import (
    LV,
    PRACTICE,
    SignIn,
    element,
    form_posting_to,
    forms_in,
    html_of,
    location,
    snapshot,
    submit,
)

CASE = f"/cases/{PRACTICE}"
STEPS = f"{CASE}/steps"


def stages_drawn(html: str) -> dict[str, set[str]]:
    """The diagram's stages and their classes (current, visited, final)."""
    figure = html.split('<figure class="diagram">', 1)[1].split("</figure>", 1)[0]
    return {
        stage: set(classes.split())
        for classes, stage in re.findall(r'<g class="(stage[^"]*)" data-stage="([^"]+)"', figure)
    }


def current_stage(html: str) -> str:
    current = [s for s, classes in stages_drawn(html).items() if "current" in classes]
    assert len(current) == 1, current
    return current[0]


def field_of(html: str, name: str) -> str:
    """The field block (label, input, help, error) of the input named `name`."""
    at = html.find(f'name="{name}"')
    assert at >= 0, f"no field {name}"
    return html[html.rfind('<div class="field', 0, at) : html.find("</div>", at)]


@pytest.fixture
def in_parliament(practice: Tracker) -> Tracker:
    """The practice case after its first step, recorded by the clerk on 5 Jan 2026."""
    advance(practice, PRACTICE, "submit_to_parliament", "2026-01-05", "clerk", evidence={})
    return practice


def test_a_clerk_records_a_step_and_sees_it_on_the_timeline(
    practice: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    page = html_of(clerk.get(CASE))
    assert current_stage(page) == "drafting"
    form = form_posting_to(page, STEPS, trigger="submit_to_parliament")
    assert form.fields["expected_version"] == "1"
    assert set(form.fields) == {
        "csrf_token",
        "trigger",
        "expected_version",
        "occurred_on",
        "evidence.bill",
        "evidence.source",
        "evidence.source_url",
        "evidence.confidence",
        "comment",
        "documents",
    }
    response = submit(
        clerk,
        form,
        occurred_on="2026-01-05",
        comment="Tabled by the government.",
        evidence__bill="Bill 123/Lm14",
        evidence__source="Saeima register",
        evidence__confidence="H",
    )
    assert response.status_code == 302
    assert location(response) == f"{CASE}#timeline"
    page = html_of(clerk.get(location(response)))
    assert "Recorded: Bill submitted to parliament." in page
    event = element(page, "li", "event-2")
    for shown in (
        "5 Jan 2026",
        "Bill submitted to parliament",
        "Drafting → In parliament",  # the stages' labels, not their ids
        "recorded by clerk",
        "Tabled by the government.",
        "Bill 123/Lm14",
        "Saeima register",
        "confidence H",
    ):
        assert shown in event, shown
    assert "drafting → parliament" not in event
    assert "<dt>Stage</dt><dd><strong>In parliament</strong>" in page
    assert current_stage(page) == "parliament"  # the diagram's highlight moved
    assert queries.get_case(practice, PRACTICE).version == 2


def test_a_missing_required_evidence_is_shown_next_to_its_field_and_nothing_is_saved(
    in_parliament: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get(CASE)), STEPS, trigger="adopt")
    before = snapshot(in_parliament)
    response = submit(
        clerk,
        form,
        occurred_on="2026-03-04",
        comment="Final vote",
        evidence__votes_against="14",
    )  # no votes_for
    assert response.status_code == 422
    step = element(html_of(response), "article", "step-adopt")
    votes_for = field_of(step, "evidence.votes_for")
    assert "has-error" in votes_for
    # Beside the field, without its name; at the top of the page, by its label.
    refused = r'<p class="error"[^>]*>required for &#39;Law adopted \(final vote\)&#39;'
    assert re.search(refused, votes_for)
    assert "Nothing was saved.</strong> Votes for: required for" in html_of(response)
    assert "autofocus" in votes_for
    assert "has-error" not in field_of(step, "evidence.votes_against")
    # What the clerk typed is kept.
    assert 'value="14"' in field_of(step, "evidence.votes_against")
    assert 'value="2026-03-04"' in field_of(step, "occurred_on")
    assert ">Final vote</textarea>" in step
    assert snapshot(in_parliament) == before


@pytest.mark.parametrize(
    ("occurred_on", "message"),
    [
        ("2026-02-30", "is not a date; write it as 2025-05-01 (YYYY-MM-DD) or 1 May 2025"),
        ("2026-12-01", "lies after today"),
    ],
)
def test_a_wrong_date_is_shown_next_to_the_date_field(
    in_parliament: Tracker,
    signed_in: SignIn,
    occurred_on: str,
    message: str,
) -> None:
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get(CASE)), STEPS, trigger="adopt")
    before = snapshot(in_parliament)
    response = submit(
        clerk, form, occurred_on=occurred_on, evidence__votes_for="66", evidence__votes_against="14"
    )
    assert response.status_code == 422
    date_field = field_of(element(html_of(response), "article", "step-adopt"), "occurred_on")
    assert message in date_field and "occurred_on" in date_field
    assert snapshot(in_parliament) == before


def test_a_stale_form_is_a_409_that_shows_the_change_and_keeps_the_entries(
    in_parliament: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get(CASE)), STEPS, trigger="adopt")
    assert form.fields["expected_version"] == "2"
    # Meanwhile the admin records a reading: the case moved on to version 3.
    reading = {"chamber": "Senate", "reading": 2}
    advance(in_parliament, PRACTICE, "record_reading", "2026-03-01", "admin", evidence=reading)
    before = snapshot(in_parliament)
    response = submit(
        clerk,
        form,
        occurred_on="2026-03-04",
        comment="Final vote",
        evidence__votes_for="66",
        evidence__votes_against="14",
    )
    assert response.status_code == 409
    page = html_of(response)
    step = element(page, "article", "step-adopt")
    assert "Someone else changed this case meanwhile." in step
    assert 'It is now at "In parliament" (version 3)' in step
    assert "Reading held" in element(page, "li", "event-3")  # what the other user recorded
    assert snapshot(in_parliament) == before
    # The entries are kept, with the current version: sending again records the step.
    again = form_posting_to(page, STEPS, trigger="adopt")
    assert again.fields["expected_version"] == "3"
    assert again.fields["evidence.votes_for"] == "66"
    assert again.fields["evidence.votes_against"] == "14"
    assert again.fields["occurred_on"] == "2026-03-04"
    assert again.fields["comment"] == "Final vote"
    assert submit(clerk, again).status_code == 302
    assert queries.get_case(in_parliament, PRACTICE).state.state == "presidential_signature"


def test_a_stale_form_for_a_step_no_longer_open_says_what_changed(
    practice: Tracker, signed_in: SignIn
) -> None:
    """Two clerks record the same step: the second learns that the case moved on."""
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get(CASE)), STEPS, trigger="submit_to_parliament")
    advance(practice, PRACTICE, "submit_to_parliament", "2026-01-05", "admin")
    response = submit(clerk, form, occurred_on="2026-01-06", comment="Tabled")
    assert response.status_code == 409
    page = html_of(response)
    assert "Someone else changed this case meanwhile" in page
    assert "In parliament" in page
    assert queries.get_case(practice, PRACTICE).version == 2


def test_a_viewer_sees_no_form_that_changes_the_case(
    in_parliament: Tracker, signed_in: SignIn
) -> None:
    page = html_of(signed_in("viewer").get(CASE))
    posting = [f.action for f in forms_in(page) if f.method == "post"]
    assert posting == []
    assert "Reading held" in page  # the next steps are listed...
    assert "Recorded by clerk or admin." in page  # ...with who may record them
    clerk_page = html_of(signed_in("clerk").get(CASE))
    clerk_posts = {f.action for f in forms_in(clerk_page) if f.method == "post"}
    assert clerk_posts == {STEPS}  # corrections and undo are the admin's


def test_the_case_page_shows_dates_and_how_the_effective_date_was_computed(
    seeded: Tracker, signed_in: SignIn
) -> None:
    page = html_of(signed_in("viewer").get(f"/cases/{LV.lower()}"))  # any case of letters
    assert f"<h1>{LV}</h1>" in page
    assert "Latvia" in page
    assert "<dd><strong>27 Dec 2025</strong>" in page
    assert "27 Jun 2025 + 6 months, APMBC Art. 20(3)" in page  # as the pages write dates
    assert "<dt>Instrument received by the depositary</dt><dd>27 Jun 2025</dd>" in page
    # The procedure began in March 2025; the record was opened (seeded) on the day of the demo.
    assert "<dt>Procedure began</dt><dd>25 Mar 2025" in page
    assert '<dt id="event-1">Record opened</dt><dd>27 Nov 2026 by system' in page
    adopt = element(page, "li", "event-4")
    assert "16 Apr 2025" in adopt
    assert "<dt>Votes for</dt><dd>66</dd><dt>Votes against</dt><dd>14</dd>" in adopt
    # The proclamation's day is not settled in the sources: its bounds, not a made-up day.
    assert "between 23 Apr 2025 and 24 Apr 2025" in element(page, "li", "event-5")
    assert len(re.findall(r'<li id="event-\d+"', page)) == 6  # the steps; the opening is above
    assert "LETA; babel.ua" in adopt  # sources shown


def test_an_effective_date_passed_with_nothing_recorded_says_so(
    seeded: Tracker, signed_in: SignIn
) -> None:
    # Hungary's withdrawal was due to take effect on 2 Jun 2026; its outcome is not in the
    # sources, so nothing is recorded: the page must not read as if the day were still ahead.
    viewer = signed_in("viewer")
    hungary = html_of(viewer.get("/cases/HU-ROME-STATUTE-2025"))
    assert "178 days ago: nothing recorded yet</span>" in hungary
    assert 'class="mark effective computed passed"' in hungary
    assert "was due to take effect (computed; nothing recorded yet) 2 Jun 2026" in hungary
    # Still ahead: the plain computed mark, and how long to go.
    unesco = html_of(viewer.get("/cases/US-UNESCO-2025"))
    assert "in 34 days</span>" in unesco and "nothing recorded yet" not in unesco
    assert 'class="mark effective computed"' in unesco
    # Recorded: a fact, no tag.
    latvia = html_of(viewer.get(f"/cases/{LV}"))
    assert 'class="mark effective"' in latvia and "nothing recorded yet" not in latvia
    # Closed by another step than taking effect (membership ceased by decision): not overdue.
    russia = html_of(viewer.get("/cases/RU-COE-STATUTE-2022"))
    assert 'class="mark effective computed passed"' not in russia
    assert "nothing recorded yet" not in russia.split('id="tl-desc"', 1)[0]  # the summary
    assert "(computed; nothing recorded yet)" not in russia  # the chart's words


def test_the_case_as_it_stood_on_a_past_date(seeded: Tracker, signed_in: SignIn) -> None:
    clerk = signed_in("clerk")
    page = html_of(clerk.get(f"/cases/{LV}?as_of=2025-04-20"))
    assert "As the case stood on 20 Apr 2025" in page
    assert "<strong>Awaiting proclamation by the President</strong>" in page
    assert current_stage(page) == "presidential_signature"
    assert 'id="event-4"' in page and 'id="event-5"' not in page
    assert "Not yet: the clock starts when the depositary receives the instrument" in page
    assert not [f for f in forms_in(page) if f.method == "post"]  # the past is not edited
    later = html_of(clerk.get(f"/cases/{LV}?as_of=2025-07-01"))
    assert "<strong>Notice period</strong>" in later
    assert "<dd><strong>27 Dec 2025</strong>" in later
    future = clerk.get(f"/cases/{LV}?as_of=2027-01-01")
    assert future.status_code == 400
    assert "lies after today" in html_of(future)
    assert "<strong>Withdrawal effective</strong>" in html_of(future)  # as it stands


def test_an_admin_corrects_an_event_and_the_correction_shows_beside_it(
    in_parliament: Tracker, signed_in: SignIn
) -> None:
    admin = signed_in("admin")
    page = html_of(admin.get(CASE))
    form = form_posting_to(page, f"{CASE}/events/2/correction")
    before = snapshot(in_parliament)
    refused = submit(admin, form, occurred_on="2026-01-06")  # no reason
    assert refused.status_code == 422
    assert "Reason: say why the record is corrected" in html_of(refused)
    assert snapshot(in_parliament) == before
    response = submit(admin, form, occurred_on="2026-01-06", reason="Tabled a day later.")
    assert location(response) == f"{CASE}#event-2"
    event = element(html_of(admin.get(CASE)), "li", "event-2")
    assert '<p class="when">6 Jan 2026</p>' in event
    assert "<strong>Corrected</strong> by admin" in event
    assert "Tabled a day later." in event
    assert "date → 6 Jan 2026" in event
    assert "As first recorded: 5 Jan 2026" in event


def test_an_admin_undoes_the_last_step(in_parliament: Tracker, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    form = form_posting_to(html_of(admin.get(CASE)), f"{CASE}/undo")
    before = snapshot(in_parliament)
    assert submit(admin, form).status_code == 422  # a reason is required
    assert snapshot(in_parliament) == before
    response = submit(admin, form, reason="Recorded on the wrong case.")
    assert location(response) == f"{CASE}#timeline"
    page = html_of(admin.get(CASE))
    event = element(page, "li", "event-2")
    assert 'class="undone"' in event
    assert "<strong>Undone</strong> by admin" in event
    assert "Recorded on the wrong case." in event
    assert "<dt>Stage</dt><dd><strong>Drafting</strong>" in page
    assert current_stage(page) == "drafting"


def test_the_diagram_is_inline_and_marks_the_current_stage_and_the_path(
    in_parliament: Tracker, signed_in: SignIn
) -> None:
    page = html_of(signed_in("viewer").get(CASE))
    figure = page.split('<figure class="diagram">', 1)[1].split("</figure>", 1)[0]
    assert figure.lstrip().startswith("<svg")
    assert "<script" not in figure
    assert not re.search(r'(href|src)="(?!#)', figure)  # nothing loaded from elsewhere
    drawn = stages_drawn(page)
    assert {"drafting", "parliament", "effective"} <= set(drawn)
    assert current_stage(page) == "parliament"
    assert "visited" in drawn["drafting"] and "current" not in drawn["drafting"]
    assert "final" in drawn["effective"]
    assert re.search(r'<g class="edge taken">', figure)  # the step taken
    assert "Current stage: In parliament." in figure  # for screen readers


def test_a_case_opened_today_on_the_form_takes_its_2025_history(
    tracker: Tracker, signed_in: SignIn
) -> None:
    """Opened through the form without a date, Hungary's Rome Statute case takes the steps of
    2025 on its page; the page says when the record was opened and when the procedure began."""
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get("/cases/new")), "/cases/new")
    assert "began_on" in form.fields and "opened_on" not in form.fields
    response = submit(clerk, form, country="HU", treaty="rome-statute")
    assert location(response) == "/cases/HU-ROME-STATUTE-2026"
    page = html_of(clerk.get(location(response)))
    assert '<dt id="event-1">Record opened</dt><dd>27 Nov 2026 by clerk' in page
    assert "<dt>Procedure began</dt><dd>— " in page
    steps = "/cases/HU-ROME-STATUTE-2026/steps"
    submitted = form_posting_to(page, steps, trigger="submit_to_parliament")
    response = submit(clerk, submitted, occurred_on="2025-04-03", evidence__source="mandiner.hu")
    assert response.status_code == 302, html_of(response)
    page = html_of(clerk.get("/cases/HU-ROME-STATUTE-2026"))
    adopted = form_posting_to(page, steps, trigger="adopt")
    response = submit(
        clerk, adopted, occurred_on="2025-05-20", evidence__votes_for="134",
        evidence__votes_against="37", evidence__abstained="7",
    )  # fmt: skip
    assert response.status_code == 302, html_of(response)
    page = html_of(clerk.get("/cases/HU-ROME-STATUTE-2026"))
    assert current_stage(page) == "presidential_signature"
    assert '<dt>Procedure began</dt><dd>3 Apr 2025 <span class="help">(first step)' in page
    assert '<dt id="event-1">Record opened</dt><dd>27 Nov 2026 by clerk' in page
    assert "20 May 2025" in element(page, "li", "event-3")
    audit = html_of(signed_in("viewer").get("/audit?case=HU-ROME-STATUTE-2026"))
    rows = audit.split("<tbody>", 1)[1].split("<tr>")
    [opening] = [row for row in rows if "Case record opened" in row]
    assert "HU-ROME-STATUTE-2026</a> #1" in opening and '"By">clerk<' in opening
