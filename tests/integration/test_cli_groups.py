"""`flask --app app groups ...`: make a group, list it, record one step for all members; a
refusal by one member is one line naming it, and nothing is recorded."""

from __future__ import annotations

from tests.integration import test_cli
from tests.integration.test_cli import Cli, show

run, demo_cli = test_cli.run, test_cli.demo_cli  # the CLI tests' fixtures


def _ready(cli: Cli) -> list[str]:
    references = []
    for country in ("DK", "NO"):
        opened = cli.json("cases", "open", "--country", country, "--treaty", "apmbc",
                          "--workflow", "apmbc/international-only", "--by", "clerk")  # fmt: skip
        references.append(opened["reference"])
    return references


def test_groups_create_list_and_advance_all_members(demo_cli: Cli) -> None:
    references = _ready(demo_cli)
    made = demo_cli.json("groups", "create", "Nordic deposit", "--case", references[0],
                       "--case", references[1], "--by", "clerk", "--note", "joint")  # fmt: skip
    assert made["slug"] == "nordic-deposit"
    listing = demo_cli.ok("groups", "list").stdout
    assert "Baltic deposit, 27 June 2025" in listing and "Nordic deposit" in listing
    assert "LV-APMBC-2025" in listing and "Latvia" in listing

    denmark = ["DK-APMBC-2026 (Denmark)"]
    demo_cli.fails("groups", "advance", "nordic-deposit", "deposit", "--on", "2026-06-27",
                 "--by", "clerk", field="evidence.reasons", mentions=denmark)  # fmt: skip
    assert [len(show(demo_cli, r)["history"]) for r in references] == [1, 1]
    done = demo_cli.json("groups", "advance", "nordic-deposit", "deposit", "--on", "2026-06-27",
                       "--by", "clerk", "--evidence", "reasons=Security")  # fmt: skip
    assert {m["state"] for m in done["members"]} == {"notice_period"}
    assert [show(demo_cli, r)["dates"]["effective"] for r in references] == ["2026-12-27"] * 2
    demo_cli.fails("groups", "create", "Alone", "--case", references[0], "--by", "clerk",
                 field="cases")  # fmt: skip


def test_groups_members_adds_and_takes_out_with_a_reason(demo_cli: Cli) -> None:
    dk, no = _ready(demo_cli)
    demo_cli.ok("groups", "create", "Nordic", "--case", dk, "--case", no, "--by", "clerk")
    out = demo_cli.ok("groups", "members", "nordic", "--add", "LV-APMBC-2025", "--remove", no,
                      "--reason", "Norway waits", "--by", "clerk").stdout  # fmt: skip
    assert out.splitlines()[1].split() == ["Reference", "Country", "Stage"]
    assert "LV-APMBC-2025" in out and no not in out
    listed = demo_cli.json("groups", "list")
    nordic = next(g for g in listed if g["slug"] == "nordic")
    assert nordic["changes"][-1]["reason"] == "Norway waits"
    demo_cli.fails("groups", "members", "nordic", "--remove", dk, "--by", "clerk",
                   field="remove", mentions=["at least two cases"])  # fmt: skip
