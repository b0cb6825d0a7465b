"""What the web layer keeps once made (app/web/kept.py): within its budget, the least
recently used going first."""

from __future__ import annotations

from app.web.kept import Kept


def test_the_least_recently_used_go_first_when_the_budget_is_spent() -> None:
    kept: Kept[str, str] = Kept(budget=10)
    kept.keep("a", "aaaa")
    kept.keep("b", "bbbb")
    assert kept.get("a") == "aaaa"  # now the most recently used
    kept.keep("c", "cccc")  # 12 characters: "b" goes
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == ("aaaa", None, "cccc")


def test_a_value_kept_again_replaces_the_old_one_in_the_budget() -> None:
    kept: Kept[str, str] = Kept(budget=10)
    kept.keep("a", "aaaaaaaa")
    kept.keep("a", "aa")
    kept.keep("b", "bbbbbbbb")  # 10 characters in all: both stay
    assert (kept.get("a"), kept.get("b")) == ("aa", "bbbbbbbb")


def test_a_value_larger_than_the_budget_is_not_kept_and_drops_nothing() -> None:
    kept: Kept[str, str] = Kept(budget=10)
    kept.keep("a", "aaaa")
    kept.keep("big", "x" * 11)
    assert (kept.get("a"), kept.get("big")) == ("aaaa", None)
