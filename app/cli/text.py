"""Plain-text rendering of the case and pending JSON for the terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tabulate import tabulate

from app.services.labels import event_words
from app.services.views import CaseView

Echo = Callable[[str], Any]


def _when(event: dict[str, Any]) -> str:
    if event["occurred_until"]:
        return f"{event['occurred_on']}..{event['occurred_until']}"
    return str(event["occurred_on"])


def stage_label(view: CaseView) -> str:
    """The stage the case is at, in words."""
    return view.workflow.stages[view.state.state].label


def step_words(view: CaseView) -> str:
    """The step a write just recorded, in words."""
    return event_words(view.workflow, view.recorded).step if view.recorded else "recorded"


def print_case(case: dict[str, Any], echo: Echo) -> None:
    """A case as a few readable lines: who, where it stands, its dates, next steps, history."""
    title = f"{case['reference']}  {case['country_name']} / {case['treaty_name']}"
    echo(title + (f"  (as of {case['as_of']})" if case["as_of"] else ""))
    echo(f"  workflow   {case['workflow']} v{case['workflow_version']}")
    echo(f"  kind       {case['kind'].replace('_', ' ')}")
    echo(f"  stage      {case['state']}: {case['stage']['label']}")
    dates = case["dates"]
    received = dates["deposited"] or "-"
    if dates["deposited_until"]:
        received = f"between {received} and {dates['deposited_until']} (the day is not known)"
    echo(f"  deposited  {received}")
    effective = dates["effective"] or "-"
    if dates["effective_basis"]:
        effective += f"  ({dates['effective_basis']})"
    echo(f"  effective  {effective}")
    note = f": {case['note']}" if case["note"] else ""
    echo(f"  opened     {case['opened_on']} by {case['opened_by']} (the record){note}")
    if case["procedure_began_on"]:
        began = f"{case['procedure_began_on']} ({case['procedure_began_from']})"
        echo(f"  began      {began} (the procedure)")
    steps = case["available_triggers"]
    echo("  next steps " + ("; ".join(f"{s['label']} ({s['trigger']})" for s in steps) or "none"))
    echo("  history")
    rows = [
        (e["seq"], _when(e), e["labels"]["step"], e["labels"]["to_stage"], e["actor"], e["comment"])
        for e in case["history"]
    ]
    headers = ("#", "Date", "Step", "Stage after", "By", "Comment")
    echo(_indented(table(headers, rows, widths=(None, None, 30, 26, None, 50))))


def _indented(text: str, margin: str = "    ") -> str:
    return "\n".join(margin + line for line in text.splitlines())


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int | None] | None = None,
) -> str:
    """Rows under their headers, in aligned columns (dates and words to the left), the text of
    a column with a width wrapped to it."""
    return tabulate(
        list(rows),
        headers=list(headers),
        tablefmt="simple",
        disable_numparse=True,
        maxcolwidths=list(widths) if widths else None,
    )


def days_from_today(days: int) -> str:
    """ "in 30 days", "today", "182 days overdue"."""
    if days == 0:
        return "today"
    unit = "day" if abs(days) == 1 else "days"
    return f"in {days} {unit}" if days > 0 else f"{-days} {unit} overdue"


def print_pending(items: list[dict[str, Any]], echo: Echo) -> None:
    """One row per open case: reference, stage, next date and the steps it may take."""
    if not items:
        echo("nothing pending")
        return
    rows = []
    for p in items:
        nxt = p["next_date"]
        when = f"{nxt['on']} ({days_from_today(nxt['days_from_today'])})" if nxt else "-"
        what = nxt["what"] if nxt else ""
        steps = ", ".join(s["label"] for s in p["steps"])
        rows.append((p["reference"], p["stage"]["label"], when, what, steps))
    echo(table(("Case", "Stage", "Next date", "What", "Next steps"), rows))


def print_cases(items: list[dict[str, Any]], echo: Echo) -> None:
    """One row per case: reference, country, treaty, stage and its dates."""
    if not items:
        echo("no case matches")
        return
    rows = [
        (c["reference"], c["country_name"], c["treaty_name"], c["stage"], c["began"] or "-",
         c["effective"] or "-", c["next_date"] or "-")
        for c in items
    ]  # fmt: skip
    echo(table(("Case", "Country", "Treaty", "Stage", "Began", "Effective", "Next date"), rows))
