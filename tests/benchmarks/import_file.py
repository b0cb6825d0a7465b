"""One `cases import` of a JSON lines file in a process of its own, so that its peak memory is
its own: `python -m tests.benchmarks.import_file FILE URL`.

Prints JSON: the cases imported, the seconds the import took, and the peak resident memory in
MB once the first tenth of the file was read and at the end (streamed, the two are alike).
"""

from __future__ import annotations

import json
import os
import sys
import time

from app.persistence.models import SYSTEM_ACTOR
from app.services import transfer
from tests.benchmarks.harness import peak_rss_mb
from tests.benchmarks.suite import tracker_on


class _Tenth:
    """The peak memory when the import has read a tenth of the file's bytes."""

    def __init__(self, size: int) -> None:
        self.left, self.peak_mb = size // 10, 0.0

    def __call__(self, read: int) -> None:
        self.left -= read
        if self.left <= 0 and not self.peak_mb:
            self.peak_mb = peak_rss_mb()


if __name__ == "__main__":
    tracker = tracker_on(sys.argv[2])
    tenth = _Tenth(os.path.getsize(sys.argv[1]))
    with open(sys.argv[1], "rb") as file:
        start = time.perf_counter()
        report = transfer.import_cases(tracker, file, "jsonl", SYSTEM_ACTOR, on_progress=tenth)
        seconds = time.perf_counter() - start
    assert not report.refused, report.refused[:3]
    print(
        json.dumps(
            {"cases": len(report.cases), "seconds": seconds, "rss_mb": peak_rss_mb(),
             "rss_mb_at_tenth": tenth.peak_mb}
        )
    )  # fmt: skip
