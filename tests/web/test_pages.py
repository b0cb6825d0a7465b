"""The overview pages as signed-in staff see them: the pending steps (now and on a past date,
filtered and sorted, with what each role may do), the dashboard, and the users page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.domain.loader import Registry
from app.services.cases import advance, open_case, practice_reference
from app.services.context import Tracker
from app.services.users import list_users
from tests.conftest import all_cases
from tests.web.conftest import (
    LV,
    PRACTICE,
    SignIn,
    form_posting_to,
    forms_in,
    html_of,
    location,
    post,
    references_listed,
    row_linking,
    submit,
)

# Cases in their notice period on 27 Nov 2026, by when they take effect (deposit + 6 months).
OVERDUE = "FR-APMBC-2026"  # 1 Nov 2026: 26 days ago, the sweep has not run
DUE_SOON = "DE-APMBC-2026"  # 10 Dec 2026: in 13 days
LATER = "AT-APMBC-2026"  # 1 Feb 2027: in 66 days
FAR = "SE-APMBC-2026"  # 20 May 2027: beyond the dashboard's 90 days


@pytest.fixture
def clocks(practice: Tracker) -> Tracker:
    """Four cases whose instruments the depositary received on different days (recorded in
    this order), and the practice case."""
    for country, deposited in (("FR", "05-01"), ("DE", "06-10"), ("AT", "08-01"), ("SE", "11-20")):
        view = open_case(
            practice,
            country,
            "apmbc",
            "clerk",
            workflow="apmbc/international-only",
            began_on=date(2026, 3, 1),
        )
        advance(
            practice,
            view.reference,
            "deposit",
            f"2026-{deposited}",
            "clerk",
            evidence={"reasons": "Security situation"},
        )
    return practice


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/html"
    return html_of(response)


# ----------------------------------------------------------------------------- pending steps


def test_pending_page_lists_the_open_cases_with_their_next_steps(
    seeded: Tracker, signed_in: SignIn
) -> None:
    clerk = signed_in("clerk")
    real = page(clerk, "/")
    assert "Ukraine" in row_linking(real, "UA-APMBC-2025")
    assert "PRACTICE-" not in real  # practice cases only when asked for
    html = page(clerk, "/?practice=1")
    assert '<input id="practice" name="practice" type="checkbox" value="1" checked>' in html
    assert 'Signed in as <strong>clerk</strong> <span class="role">clerk</span>' in html
    row = row_linking(html, PRACTICE)
    assert "Drafting" in row and "Government" in row  # stage and who is responsible
    assert "Bill submitted to parliament" in row  # the label of its next step
    intl = row_linking(html, "PRACTICE-APMBC-INTERNATIONAL-ONLY")
    assert "Depositary receives the instrument" in intl
    assert "Ukraine" in row_linking(html, "UA-APMBC-2025")
    # Cases that took effect are not pending any more.
    assert f'href="/cases/{LV}"' not in html
    assert 'href="/cases/BI-ROME-STATUTE-2016"' not in html


def test_pending_page_filters_by_treaty_country_and_stage(
    app: Flask, seeded: Tracker, signed_in: SignIn, registry: Registry
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 in the table, not an error
    viewer = signed_in("viewer")
    # every practice case whose workflow starts at the foreign ministry, by reference
    at_mfa = sorted(
        practice_reference(w)
        for w in registry.workflows.values()
        if w.initial == "mfa_coordination"
    )
    expected = {
        "/?treaty=rome-statute": (
            200,
            # Hungary's clock runs; the AES states' announcements start none (no next date)
            [f"{c}-ROME-STATUTE-2025" for c in ("HU", "BF", "ML", "NE")],
        ),
        "/?treaty=rome-statute&practice=1": (
            200,
            [f"{c}-ROME-STATUTE-2025" for c in ("HU", "BF", "ML", "NE")]
            + ["PRACTICE-ROME-STATUTE-GENERIC", "PRACTICE-ROME-STATUTE-INTERNATIONAL-ONLY"],
        ),
        "/?country=UA": (200, ["UA-APMBC-2025"]),
        "/?country=DE": (200, []),  # no case of Germany
        # the US UNFCCC case (no receipt found: no date), then the practice cases
        "/?stage=mfa_coordination&practice=1": (200, ["US-UNFCCC-2026", *at_mfa]),
        "/?treaty=apmbc&stage=mfa_coordination": (200, []),
        "/?treaty=apmbc&stage=mfa_coordination&practice=1": (
            200,
            ["PRACTICE-APMBC-INTERNATIONAL-ONLY"],
        ),
        "/?treaty=nato": (400, []),
    }
    shown = {}
    for url in expected:
        response = viewer.get(url)
        html = html_of(response)
        shown[url] = (response.status_code, references_listed(html) if "<tbody>" in html else [])
    assert shown == expected
    html = page(viewer, "/?country=UA")
    assert '<option value="UA" selected>' in html  # the filter stays chosen
    assert "Nothing pending for these filters." in page(viewer, "/?country=DE")
    assert "nato" in html_of(viewer.get("/?treaty=nato"))


def test_pending_page_sorts_by_next_date_or_reference(clocks: Tracker, signed_in: SignIn) -> None:
    viewer = signed_in("viewer")
    by_date = references_listed(page(viewer, "/?practice=1"))
    assert by_date == [OVERDUE, DUE_SOON, LATER, FAR, PRACTICE]  # no date yet: last
    by_reference = references_listed(page(viewer, "/?sort=reference&practice=1"))
    assert by_reference == sorted(by_date)


def test_pending_page_as_of_a_past_date(seeded: Tracker, signed_in: SignIn) -> None:
    html = page(signed_in("clerk"), "/?as_of=2025-07-01")
    assert "as of 1 Jul 2025" in html
    assert 'value="1 Jul 2025"' in html  # as the pages write dates
    row = row_linking(html, LV)
    assert "takes effect 27 dec 2025" in row.lower()
    assert "in 179 days" in row  # counted from the as-of date
    assert "27 Jun 2025 + 6 months, APMBC Art. 20(3)" in row
    assert "Notice period" in row
    assert 'class="button"' not in html  # nothing is recorded on the past
    # Burundi left the Rome Statute in 2017: not pending in 2025.
    assert 'href="/cases/BI-ROME-STATUTE-2016"' not in html


def test_pending_page_of_an_empty_database(tracker: Tracker, signed_in: SignIn) -> None:
    viewer = signed_in("viewer")
    html = page(viewer, "/")
    assert "Nothing pending." in html
    assert 'href="/cases/' not in html


def test_pending_page_with_a_bad_as_of_is_400(tracker: Tracker, signed_in: SignIn) -> None:
    viewer = signed_in("viewer")
    for value in ("2025-13-01", "2025-02-30", "yesterday", "01.07.2025"):
        response = viewer.get("/", query_string={"as_of": value})
        assert response.status_code == 400, value
        assert "YYYY-MM-DD" in html_of(response), value
    future = viewer.get("/?as_of=2026-11-28")
    assert future.status_code == 400
    assert "lies after today" in html_of(future)


def test_a_step_linked_from_the_pending_list_opens_on_the_case_page(
    seeded: Tracker, signed_in: SignIn
) -> None:
    # Hungary's next steps: take effect (the first, open anyway) and revoke (closed unless asked).
    clerk = signed_in("clerk")
    pending_page = page(clerk, "/")
    target = "/cases/HU-ROME-STATUTE-2025?step=revoke#step-revoke"
    assert f'href="{target}"' in pending_page
    case_page = page(clerk, target.split("#")[0])
    revoke = case_page.split('id="step-revoke"', 1)[1].split("</article>", 1)[0]
    assert "<details open>" in revoke
    plain = page(clerk, "/cases/HU-ROME-STATUTE-2025")
    assert "<details open>" not in plain.split('id="step-revoke"', 1)[1].split("</article>", 1)[0]


def test_step_buttons_only_for_roles_that_may_record_the_step(
    practice: Tracker, signed_in: SignIn
) -> None:
    target = f"/cases/{PRACTICE}?step=submit_to_parliament#step-submit_to_parliament"
    link = f'<a class="button" href="{target}">'
    for role in ("clerk", "admin"):
        assert link in row_linking(page(signed_in(role), "/?practice=1"), PRACTICE), role
    viewer_page = page(signed_in("viewer"), "/?practice=1")
    row = row_linking(viewer_page, PRACTICE)
    assert "<span>Bill submitted to parliament</span>" in row  # the label, not a link
    assert 'class="button"' not in viewer_page
    sweep_forms = {
        role: [f for f in forms_in(page(signed_in(role), "/")) if f.action == "/sweep"]
        for role in ("viewer", "clerk", "admin")
    }
    assert {role: len(found) for role, found in sweep_forms.items()} == {
        "viewer": 0,
        "clerk": 0,
        "admin": 1,
    }


def test_overdue_and_due_soon_dates_are_marked(clocks: Tracker, signed_in: SignIn) -> None:
    html = page(signed_in("clerk"), "/")
    overdue = row_linking(html, OVERDUE)
    assert overdue.startswith(' class="overdue"')
    assert "Takes effect 1 Nov 2026</strong>, 26 days ago" in overdue
    assert '<span class="tag warn">overdue</span>' in overdue
    soon = row_linking(html, DUE_SOON)
    assert soon.startswith(' class="due-soon"')
    assert "Takes effect 10 Dec 2026</strong>, in 13 days" in soon
    assert '<span class="tag soon">due soon</span>' in soon
    later = row_linking(html, LATER)
    assert later.startswith(' class=""')
    assert "in 66 days" in later and "tag" not in later.split("Next date", 1)[1].split("</td>")[0]


def test_the_admin_runs_the_sweep_from_the_pending_page(clocks: Tracker, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    form = form_posting_to(page(admin, "/"), "/sweep")
    response = submit(admin, form)
    assert location(response) == "/"
    html = page(admin, "/")
    assert f"{OVERDUE}: Withdrawal takes effect on 1 Nov 2026." in html
    assert OVERDUE not in references_listed(html)
    assert DUE_SOON in references_listed(html)


# --------------------------------------------------------------------------------- dashboard


def test_dashboard_shows_counts_upcoming_dates_and_recent_activity(
    clocks: Tracker, signed_in: SignIn
) -> None:
    advance(clocks, PRACTICE, "submit_to_parliament", "2026-11-26", "admin")
    html = page(signed_in("viewer"), "/dashboard")
    counts = html.split('id="by-stage"', 1)[1].split("</section>", 1)[0]
    assert re.search(
        r'<td><a href="/treaties/apmbc">APMBC \(Ottawa Convention\)</a></td><td>Notice period</td>'
        r'<td class="num"><a href="/cases\?treaty=apmbc&amp;stage=notice_period">4</a></td>',
        counts,
    )
    assert "In parliament" not in counts  # practice cases are not counted
    upcoming = html.split('id="upcoming"', 1)[1].split("</section>", 1)[0]
    assert "<strong>10 Dec 2026</strong> (in 13 days)" in upcoming
    assert "<strong>1 Feb 2027</strong> (in 66 days)" in upcoming
    assert f'href="/cases/{DUE_SOON}"' in upcoming
    assert FAR not in upcoming  # 20 May 2027 is beyond 90 days
    recent = html.split('id="recent"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", recent, re.S)
    # newest first, practice cases left out (PRACTICE's step was the newest)
    assert f"{FAR}</a>: Depositary receives the instrument by clerk" in items[0]
    assert PRACTICE not in recent
    assert "UTC" in items[0]


def test_the_dashboard_of_the_demo_cases(seeded: Tracker, signed_in: SignIn) -> None:
    # The Istanbul Convention is denounced (Art. 80): Türkiye's case reads "Denunciation
    # effective" on its page, so the dashboard's count of it does too.
    html = page(signed_in("viewer"), "/dashboard")
    counts = html.split('id="by-stage"', 1)[1].split("</section>", 1)[0]
    istanbul = re.findall(r"Istanbul Convention</a></td><td>([^<]*)</td>", counts)
    assert "Denunciation effective" in istanbul and "Withdrawal effective" not in istanbul
    assert re.search(r"APMBC \(Ottawa Convention\)</a></td><td>Withdrawal effective</td>", counts)
    # A date passed with nothing recorded is the most urgent: listed first, and said to be so.
    upcoming = html.split('id="upcoming"', 1)[1].split("</section>", 1)[0]
    assert upcoming.startswith(">Dates overdue or in the next 90 days</h2>")
    first = re.findall(r"<li>(.*?)</li>", upcoming, re.S)[0]
    assert "2 Jun 2026" in first and "overdue" in first and "HU-ROME-STATUTE-2025" in first
    # Each recent event links to its place on its case's page (an opening: "Record opened").
    recent = html.split('id="recent"', 1)[1].split("</section>", 1)[0]
    links = re.findall(r'href="(/cases/[^"#]+)#(event-\d+)"', recent)
    assert links and any(anchor == "event-1" for _, anchor in links)
    viewer = signed_in("viewer")
    for path, anchor in links:
        assert f'id="{anchor}"' in page(viewer, path), (path, anchor)


# ------------------------------------------------------------------------------------- users


def test_admin_creates_a_user_and_sees_the_password_once(
    tracker: Tracker, signed_in: SignIn
) -> None:
    admin = signed_in("admin")
    html = page(admin, "/users")
    for name in ("viewer", "clerk", "admin"):
        assert f'action="/users/{name}/role"' in html
    response = submit(admin, form_posting_to(html, "/users"), name="ilze", role="clerk")
    assert response.status_code == 201
    found = re.search(
        r"Created <strong>ilze</strong>\. Their password, shown only now: <code>([^<]+)</code>",
        html_of(response),
    )
    assert found
    password = found.group(1)
    assert password not in page(admin, "/users")  # shown once only
    assert {"name": "ilze", "role": "clerk", "active": True} in list_users(tracker)
    assert signed_in("ilze", password).get("/cases/new").status_code == 200
    again = post(admin, "/users", {"name": "ilze", "role": "viewer"})
    assert again.status_code == 422
    assert "exists already" in html_of(again)


def test_admin_changes_a_role(tracker: Tracker, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    form = form_posting_to(page(admin, "/users"), "/users/viewer/role")
    assert form.fields["role"] == "viewer"
    response = submit(admin, form, role="clerk")
    assert location(response) == "/users"
    assert "viewer: saved." in page(admin, "/users")
    assert {"name": "viewer", "role": "clerk", "active": True} in list_users(tracker)


def test_the_last_admin_cannot_be_demoted_or_deactivated(
    tracker: Tracker, signed_in: SignIn
) -> None:
    admin = signed_in("admin")
    for url, data in (("/users/admin/role", {"role": "viewer"}), ("/users/admin/active", {})):
        response = post(admin, url, data)
        assert response.status_code == 403, url
        assert "is the last active admin; make another admin first" in html_of(response)
        assert {"name": "admin", "role": "admin", "active": True} in list_users(tracker)
    # With a second admin, the first may step down.
    assert post(admin, "/users/viewer/role", {"role": "admin"}).status_code == 302
    assert post(admin, "/users/admin/role", {"role": "clerk"}).status_code == 302
    assert admin.get("/users").status_code == 403


def test_no_page_gives_two_elements_one_id(seeded: Tracker, signed_in: SignIn) -> None:
    # A repeated id sends a label's click (and a screen reader) to the wrong field: the
    # correction's reason once shared its id with an evidence field called "reason".
    admin = signed_in("admin")
    cases = [f"/cases/{c['reference']}" for c in all_cases(seeded)]
    pages = ["/", "/dashboard", "/cases", "/cases/new", "/audit", "/treaties", "/groups"]
    for path in [*pages, "/users", "/import", "/settings", *cases]:
        ids = re.findall(r'\sid="([^"]+)"', page(admin, path))
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        assert not repeated, (path, repeated)
