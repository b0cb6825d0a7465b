"""The benchmark suite: `python -m tests.benchmarks [--scale quick|full] [--output FILE]`.

Builds its own data, runs every measurement of docs/PERFORMANCE.md with its baseline in the
same run, and prints a Markdown table and the JSON of the run (versions, CPU, every figure).
Exits 1 when a figure falls below half its target (what CI checks on the quick scale).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.benchmarks.harness import report
from tests.benchmarks.suite import SCALES, run_all


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    results = run_all(SCALES[args.scale], log)
    text = report(results, {"scale": args.scale, "seconds": round(time.perf_counter() - started)})
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    failing = [r.name for r in results if r.fails_ci()]
    if failing:
        print(f"below half the target: {'; '.join(failing)}", file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
