"""CI's small run of the benchmarks: the figures that meet their targets fail the build when
they fall below half of them. Every figure, met or missed, is in docs/PERFORMANCE.md, from
`python -m tests.benchmarks`; these are ratios to baselines of the same run, not timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.harness import Result
from tests.benchmarks.suite import SCALES, Scale, advances, pending, site, tracker_on
from tests.conftest import postgres_schema, postgres_url

SMALL = Scale((50, 150, 500), readings=5, repeat=7, advances=200, imported=0)


def _held(results: list[Result]) -> None:
    assert results
    failing = [r.row() for r in results if r.fails_ci()]
    assert not failing, "below half the target:\n" + "\n".join(failing)


def test_the_pending_list_costs_the_same_at_ten_times_the_cases(tmp_path: Path) -> None:
    s = site(f"sqlite:///{tmp_path / 'reads.sqlite3'}", tmp_path)
    _held(list(pending(s, SMALL, lambda _: None)))


def test_an_advance_costs_a_bounded_multiple_of_a_bare_insert_and_leaks_nothing(
    tmp_path: Path,
) -> None:
    _held(list(advances(tracker_on(f"sqlite:///{tmp_path / 'w.sqlite3'}"), "SQLite", SMALL)))


@pytest.mark.postgres
def test_an_advance_on_postgresql_costs_a_bounded_multiple_of_a_bare_insert() -> None:
    postgres_url()
    with postgres_schema() as url:
        _held(list(advances(tracker_on(url), "PostgreSQL", SMALL, memory=False)))


assert SCALES  # the suite's own scales are the command's; this run is smaller still
