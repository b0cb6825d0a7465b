"""One `cases import` of a JSON lines file in a process of its own, so that its peak memory is
its own: `python -m tests.benchmarks.import_file FILE URL`.

Prints JSON: the cases imported, the seconds the import took and the peak resident memory in MB.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from app.persistence.models import SYSTEM_ACTOR
from app.services import transfer
from tests.benchmarks.suite import tracker_on

if __name__ == "__main__":
    tracker = tracker_on(sys.argv[2])
    with open(sys.argv[1], "rb") as file:
        start = time.perf_counter()
        report = transfer.import_cases(tracker, file, "jsonl", SYSTEM_ACTOR)
        seconds = time.perf_counter() - start
    assert not report.refused, report.refused[:3]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({"cases": len(report.cases), "seconds": seconds, "rss_mb": peak}))
