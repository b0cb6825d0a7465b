"""Plain words on the pages: forms that keep what was typed and say what was refused where it
was typed, corrections filled with the event's values, labels instead of ids (audit log,
dashboard), opening a case without a silent default or a silent second case, and sources
with their web address."""

from __future__ import annotations

import csv
import io

from app.services import queries
from app.services.cases import advance, correct, undo_last
from app.services.context import Tracker
from tests.web.conftest import (
    LV,
    PRACTICE,
    SignIn,
    element,
    form_posting_to,
    html_of,
    location,
    snapshot,
    submit,
)
from tests.web.test_case_page import field_of

CASE = f"/cases/{PRACTICE}"
STEPS = f"{CASE}/steps"
CORRECTION = f"{CASE}/events/2/correction"


def _submitted(tracker: Tracker) -> Tracker:
    advance(
        tracker, PRACTICE, "submit_to_parliament", "2026-01-05", "clerk",
        evidence={"bill": "Bill 7", "source": "Official journal", "confidence": "M"},
    )  # fmt: skip
    return tracker


def test_a_correction_form_holds_the_event_as_it_stands(practice: Tracker, signed_in: SignIn):
    _submitted(practice)
    page = html_of(signed_in("admin").get(CASE))
    form = form_posting_to(page, CORRECTION)
    assert form.fields["occurred_on"] == "5 Jan 2026"
    assert form.fields["evidence.bill"] == "Bill 7"
    assert form.fields["evidence.confidence"] == "M"  # a choice stays a choice
    assert '<select id="c2-confidence" name="evidence.confidence"' in page
    assert "Correct event 2: Bill submitted to parliament, 5 Jan 2026" in page
    assert "the others keep their values" in page


def test_only_the_fields_that_differ_are_corrected(practice: Tracker, signed_in: SignIn):
    _submitted(practice)
    admin = signed_in("admin")
    form = form_posting_to(html_of(admin.get(CASE)), CORRECTION)
    response = submit(admin, form, evidence__bill="Bill 8", reason="The bill's number")
    assert location(response) == f"{CASE}#event-2"
    correction = queries.get_case(practice, PRACTICE).history[-1]
    assert correction.evidence["changes"] == {"evidence": {"bill": "Bill 8"}}
    assert "Bill submitted to parliament" in html_of(admin.get(CASE))  # the flash names it


def test_a_correction_that_changes_nothing_is_refused_in_the_forms_words(
    practice: Tracker, signed_in: SignIn
):
    _submitted(practice)
    admin = signed_in("admin")
    form = form_posting_to(html_of(admin.get(CASE)), CORRECTION)
    before = snapshot(practice)
    refused = submit(admin, form, reason="nothing")
    assert refused.status_code == 422
    assert "Correction: every field still holds the event&#39;s value" in html_of(refused)
    assert snapshot(practice) == before


def test_a_refused_correction_keeps_its_input_says_why_at_the_top_and_beside_the_field(
    practice: Tracker, signed_in: SignIn
):
    _submitted(practice)
    admin = signed_in("admin")
    form = form_posting_to(html_of(admin.get(CASE)), CORRECTION)
    before = snapshot(practice)
    refused = submit(
        admin, form, occurred_on="1 Dec 2026", evidence__bill="Bill 9", reason="Wrong day"
    )
    assert refused.status_code == 422
    assert snapshot(practice) == before
    page = html_of(refused)
    top = element(page, "div", "refused")
    assert "Nothing was saved." in top
    assert "Corrected date: 1 Dec 2026 lies after today (27 Nov 2026)" in top
    assert 'href="#c2-on"' in top
    assert page.index('id="refused"') < page.index('id="summary-h"')  # at the top
    details = element(page, "details", "c2-on")  # the correction's form is open
    assert details.startswith('<details class="admin" open>')
    date_field = field_of(details, "occurred_on")
    assert 'value="1 Dec 2026"' in date_field and "autofocus" in date_field
    assert "1 Dec 2026 lies after today" in date_field  # beside the field, no field id
    assert "occurred_on" not in date_field.replace('name="occurred_on"', "")
    assert 'value="Bill 9"' in field_of(details, "evidence.bill")  # what was typed is kept
    assert 'value="Wrong day"' in field_of(details, "reason")


def test_a_corrected_then_undone_step_shows_what_was_undone(practice: Tracker, signed_in: SignIn):
    _submitted(practice)
    correct(practice, PRACTICE, 2, "admin", "a day later", occurred_on="2026-01-06")
    undo_last(practice, PRACTICE, "admin", "wrong case")
    event = element(html_of(signed_in("viewer").get(CASE)), "li", "event-2")
    assert 'class="undone"' in event
    assert '<p class="when">6 Jan 2026</p>' in event  # the corrected date, as it was undone
    assert "As first recorded: 5 Jan 2026" in event


def test_next_steps_are_folded_but_the_first(practice: Tracker, signed_in: SignIn):
    page = html_of(signed_in("clerk").get(CASE))
    first = element(page, "article", "step-submit_to_parliament")
    assert "<details open>" in first
    revoke = element(page, "article", "step-revoke")
    assert "<details>" in revoke and "<details open>" not in revoke


def test_an_overdue_step_is_marked_on_the_case_page(practice: Tracker, signed_in: SignIn):
    for trigger, on, evidence in (
        ("submit_to_parliament", "2025-01-10", {}),
        ("adopt", "2025-02-10", {"votes_for": "90", "votes_against": "3"}),
        ("sign", "2025-02-20", {}),
        ("deposit", "2025-03-01", {"reasons": "Security"}),
    ):
        advance(practice, PRACTICE, trigger, on, "clerk", evidence=evidence)
    step = element(html_of(signed_in("clerk").get(CASE)), "article", "step-take_effect")
    assert "overdue" in step.split(">", 1)[0]
    assert "due on <strong>1 Sep 2025</strong>" in step
    assert '<span class="tag warn">452 days overdue</span>' in step


def test_a_source_carries_its_web_address_as_a_link(practice: Tracker, signed_in: SignIn):
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get(CASE)), STEPS, trigger="submit_to_parliament")
    refused = submit(
        clerk, form, occurred_on="5 Jan 2026", evidence__source="UN",
        evidence__source_url="javascript:alert(1)",
    )  # fmt: skip
    assert refused.status_code == 422
    page = html_of(refused)
    assert "Source address: &#39;javascript:alert(1)&#39; is not a web address" in page
    submit(
        clerk, form, occurred_on="5 Jan 2026", evidence__source="UN Treaty Collection",
        evidence__source_url="https://treaties.un.org/",
    )  # fmt: skip
    event = element(html_of(clerk.get(CASE)), "li", "event-2")
    assert (
        '<a href="https://treaties.un.org/" rel="noopener noreferrer">UN Treaty Collection</a>'
        in event
    )


def test_the_audit_log_shows_steps_by_label_and_filters_by_label(
    seeded: Tracker, signed_in: SignIn
):
    viewer = signed_in("viewer")
    page = html_of(viewer.get(f"/audit?case={LV}"))
    assert "Saeima adopts the law (final reading)" in page
    assert "In the Saeima → Awaiting proclamation by the President" in page
    assert ">adopt<" not in page and "presidential_signature →" not in page
    # The filter chooses by label; the address keeps the id.
    assert '<option value="deposit"' in page and '<select id="trigger" name="trigger"' in page
    filtered = html_of(viewer.get(f"/audit?case={LV}&trigger=deposit"))
    assert '<option value="deposit" selected>' in filtered
    assert "Depositary receives the instrument" in filtered
    assert "Saeima adopts the law" not in filtered


def test_the_audit_csv_has_labels_beside_the_ids(seeded: Tracker, signed_in: SignIn):
    response = signed_in("viewer").get(f"/audit/export.csv?case={LV}&trigger=adopt")
    (row,) = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (row["trigger"], row["step"]) == ("adopt", "Saeima adopts the law (final reading)")
    assert (row["from_state"], row["from_stage"]) == ("parliament", "In the Saeima")
    assert row["to_stage"] == "Awaiting proclamation by the President"


def test_dates_in_notes_and_comments_read_as_the_pages_write_dates(
    seeded: Tracker, signed_in: SignIn
):
    viewer = signed_in("viewer")
    page = html_of(viewer.get(f"/cases/{LV}"))
    opened = page.split('<dt id="event-1">Record opened</dt>', 1)[1].split("</dd>", 1)[0]
    assert "Cabinet decision 25 Mar 2025: MFA to draft the bill" in opened  # 2025-03-25 stored
    assert "2025-03-25" not in opened
    log = html_of(viewer.get("/audit", query_string={"case": LV}))
    assert "Cabinet decision 25 Mar 2025" in log and "Cabinet decision 2025-03-25" not in log


def test_the_dashboard_names_recent_steps_by_label(seeded: Tracker, signed_in: SignIn):
    recent = html_of(signed_in("viewer").get("/dashboard")).split('id="recent"', 1)[1]
    assert " by system" in recent
    assert ": take_effect by" not in recent and ": deposit by" not in recent


def test_opening_a_case_needs_a_treaty_chosen(seeded: Tracker, signed_in: SignIn):
    clerk = signed_in("clerk")
    page = html_of(clerk.get("/cases/new"))
    form = form_posting_to(page, "/cases/new")
    assert form.fields["treaty"] == ""  # no silent default
    assert '<select id="treaty" name="treaty" required><option value="">Choose a treaty' in page
    refused = submit(clerk, form, country="EE")
    assert refused.status_code == 422
    assert "choose a treaty" in html_of(refused)


def test_opening_a_case_may_choose_its_procedure(seeded: Tracker, signed_in: SignIn):
    clerk = signed_in("clerk")
    page = html_of(clerk.get("/cases/new"))
    assert '<optgroup label="APMBC (Ottawa Convention)">' in page
    form = form_posting_to(page, "/cases/new")
    response = submit(
        clerk, form, country="HR", treaty="apmbc", workflow="apmbc/international-only"
    )
    reference = location(response).removeprefix("/cases/")
    assert queries.get_case(seeded, reference).workflow.name == "apmbc/international-only"
    wrong = submit(clerk, form, country="EE", treaty="apmbc", workflow="apmbc/lv")
    assert wrong.status_code == 422
    assert "is the procedure of Latvia, not of Estonia" in html_of(wrong)


def test_a_second_open_case_of_a_country_and_treaty_is_named_and_must_be_confirmed(
    seeded: Tracker, signed_in: SignIn
):
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get("/cases/new")), "/cases/new")
    before = snapshot(seeded)
    refused = submit(clerk, form, country="US", treaty="who")
    assert refused.status_code == 422
    assert snapshot(seeded) == before
    page = html_of(refused)
    assert '<a href="/cases/US-WHO-2025">US-WHO-2025</a> is already an open case' in page
    again = form_posting_to(page, "/cases/new")
    assert again.fields["country"] == "US" and "allow_duplicate" not in again.fields
    opened = submit(clerk, again, allow_duplicate="y")
    assert location(opened).startswith("/cases/US-WHO-20")
    assert location(opened) != "/cases/US-WHO-2025"


def test_a_case_of_a_withdrawal_that_took_effect_is_named_before_another_is_opened(
    seeded: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    form = form_posting_to(html_of(clerk.get("/cases/new")), "/cases/new")
    before = snapshot(seeded)
    refused = submit(clerk, form, country="LV", treaty="apmbc", began_on="2025-03-25")
    assert refused.status_code == 422
    assert snapshot(seeded) == before
    said = " ".join(html_of(refused).split())
    assert (
        '<a href="/cases/LV-APMBC-2025">LV-APMBC-2025</a>, a case of this country under this '
        "treaty, of the same kind, took effect on 27 Dec 2025" in said
    )
    # The Gambia revoked its 2016 notice (VCLT Art. 68): a new attempt needs no confirmation.
    gambia = submit(clerk, form, country="GM", treaty="rome-statute")
    assert location(gambia).startswith("/cases/GM-ROME-STATUTE-")
