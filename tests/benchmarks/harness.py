"""Timing, results and the report of the benchmark suite: every figure is a ratio to a baseline
measured in the same run on the same machine (a shared 2-core machine makes absolute times
meaningless), with the target it is held to."""

from __future__ import annotations

import json
import os
import platform
import resource
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from typing import Any


def p50(run: Callable[[], object], repeat: int) -> float:
    """The median seconds of `repeat` runs (after one unmeasured warm-up run)."""
    run()
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def once(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


@dataclass(frozen=True)
class Result:
    """One measurement against its baseline. `higher_is_better`: a rate ratio (measured rate /
    baseline rate, target a minimum); else a time multiple (measured / baseline, target a
    maximum)."""

    name: str
    measured: float  # seconds, or a rate
    baseline: float
    unit: str
    target: float
    higher_is_better: bool
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline if self.baseline else float("nan")

    @property
    def met(self) -> bool:
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def fails_ci(self) -> bool:
        """Below half its target (a rate) or above twice it (a multiple): CI's threshold."""
        if self.higher_is_better:
            return self.ratio < self.target / 2
        return self.ratio > self.target * 2

    def row(self) -> str:
        goal = f">= {self.target:g}" if self.higher_is_better else f"<= {self.target:g}x"
        shown = f"{self.ratio:.3f}" if self.higher_is_better else f"{self.ratio:.2f}x"
        mark = "met" if self.met else "MISSED"
        return (
            f"| {self.name} | {_fmt(self.measured, self.unit)} | {_fmt(self.baseline, self.unit)}"
            f" | {shown} | {goal} | {mark} |{(' ' + self.note) if self.note else ''}"
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "met": self.met}


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.2f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:,.0f} {unit}"


def environment() -> dict[str, Any]:
    """The versions and the CPU the figures were taken with."""
    packages = ("SQLAlchemy", "Flask", "transitions", "psycopg")
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **{name: version(name) for name in packages},
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
    }


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def report(results: list[Result], extra: dict[str, Any]) -> str:
    """The table (Markdown) and, after it, the JSON of the whole run."""
    lines = [
        "| measurement | measured | baseline | ratio | target | |",
        "|---|---|---|---|---|---|",
        *(r.row() for r in results),
    ]
    data = {"environment": environment(), **extra, "results": [r.to_json() for r in results]}
    return "\n".join(lines) + "\n\n" + json.dumps(data, indent=2) + "\n"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux gives it in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """This process's resident memory now, from /proc (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
