"""One page of a list, the same for cases, pending steps and the audit log, and the lists'
rule for practice cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with how many items match in all."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def practice_filter(asked: bool) -> bool | None:
    """What a list's `practice` filter is when its reader asked for practice cases or not: both
    kinds (None) when asked, else the real cases only (False). Every list hides them unless
    asked, as the cases list does."""
    return None if asked else False
