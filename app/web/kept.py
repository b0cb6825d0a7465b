"""What the web layer keeps once made: values by key, the most recently used last, within a
budget of their total length; the least recently used go first. For what is made often, the
same each time, and dearer to make again than to keep (a calendar's body, a timeline's event)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sized
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V", bound=Sized)


class Kept(Generic[K, V]):
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._values: OrderedDict[K, V] = OrderedDict()
        self._size = 0
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        """The value kept for `key`, if it is still kept."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def keep(self, key: K, value: V) -> None:
        """Keep `value` for `key` (none larger than the budget is kept)."""
        if len(value) > self.budget:
            return
        with self._lock:
            old = self._values.pop(key, None)
            self._size += len(value) - (len(old) if old is not None else 0)
            self._values[key] = value
            while self._size > self.budget:
                self._size -= len(self._values.popitem(last=False)[1])
