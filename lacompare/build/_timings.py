"""Where a build's time went: seconds per stage of the loads, summed over files,
the steps after loading, and the slowest files (``lacompare build --timings``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lacompare.build import BuildResult


@contextmanager
def timed(steps: dict[str, float], name: str) -> Iterator[None]:
    """Add the seconds the block takes to ``steps[name]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        steps[name] = steps.get(name, 0.0) + time.perf_counter() - start


@contextmanager
def deferred_checkpoints(con: Any, steps: dict[str, float]) -> Iterator[None]:
    """Let the write-ahead log grow for the block, then checkpoint once.

    Each load commits (a failed load still changes nothing, and every committed
    load is in the log, so nothing is less durable); by default DuckDB would also
    rewrite the store file whenever the log passed 16 MB, several times a build,
    each time rewriting tables that later loads change again.
    """
    (threshold,) = con.execute(
        "SELECT current_setting('checkpoint_threshold')"
    ).fetchall()[0]
    con.execute("SET checkpoint_threshold = '16GB'")
    try:
        yield
    finally:
        con.execute(f"SET checkpoint_threshold = '{threshold}'")
        with timed(steps, "checkpoint"):
            con.execute("CHECKPOINT")


def stage_totals(result: BuildResult) -> dict[str, float]:
    """Seconds per load stage (in the order a load runs them:
    :data:`lacompare.store._ingest.STAGES`), summed over every file the build loaded."""
    totals: dict[str, float] = {}
    for f in result.files:
        for stage, seconds in f.timings.items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    return totals


def timing_lines(result: BuildResult, slowest: int = 10) -> list[str]:
    """Plain text: seconds per load stage summed over files, per step after
    loading, and the ``slowest`` files with their largest stages.

    Examples
    --------
    >>> from lacompare.build import BuildResult, FileOutcome
    >>> r = BuildResult(seconds=3.0, steps={"derived rates": 1.0})
    >>> r.files.append(FileOutcome("a.csv", None, "loaded", seconds=2.0,
    ...                            timings={"reading": 1.5, "writing": 0.5}))
    >>> print("\\n".join(timing_lines(r)))  # doctest: +NORMALIZE_WHITESPACE
    time: 3.0 s in all; loads 2.0 s (1 files), steps after loading 1.0 s
    loads, per stage (summed over files):
      reading      1.50 s  75%
      writing      0.50 s  25%
    steps after loading:
      derived rates  1.00 s
    slowest files (seconds, file, its largest stages):
       2.00  a.csv (reading 1.50, writing 0.50)
    """
    timed_files = [f for f in result.files if f.seconds]
    loads = sum(f.seconds for f in timed_files)
    steps = sum(result.steps.values())
    lines = [
        f"time: {result.seconds:.1f} s in all; loads {loads:.1f} s "
        f"({len(timed_files)} files), steps after loading {steps:.1f} s"
    ]
    totals = {k: v for k, v in stage_totals(result).items() if v > 0}
    if totals:
        lines.append("loads, per stage (summed over files):")
        ahead = sum(1 for f in timed_files if f.prepared)
        if ahead:
            own = result.store_prepared
            by = (
                f"{ahead - own} by a worker process, {own} by the store itself "
                f"(in {result.store_preparing:.2f} s) rather than wait for it"
                if own
                else "by a worker process"
            )
            lines.append(
                f"  ({ahead} of {len(timed_files)} loads read, matched and parsed "
                f"ahead while the store wrote the ones before: {by}; the store "
                f"waited {result.worker_wait:.2f} s for the worker, so the stages "
                "add up to more than the loads' time)"
            )
        width = max(len(k) for k in totals)
        whole = sum(totals.values()) or 1.0
        lines.extend(
            f"  {k:<{width}}  {v:5.2f} s  {v / whole:3.0%}" for k, v in totals.items()
        )
    if result.steps:
        lines.append("steps after loading:")
        width = max(len(k) for k in result.steps)
        lines.extend(f"  {k:<{width}}  {v:5.2f} s" for k, v in result.steps.items())
    ranked = sorted(timed_files, key=lambda f: -f.seconds)[:slowest]
    if ranked:
        lines.append("slowest files (seconds, file, its largest stages):")
        for f in ranked:
            top = sorted(f.timings.items(), key=lambda kv: -kv[1])[:3]
            parts = ("ahead; " if f.prepared else "") + ", ".join(
                f"{k} {v:.2f}" for k, v in top
            )
            lines.append(
                f"  {f.seconds:5.2f}  {f.id}" + (f" ({parts})" if parts else "")
            )
    return lines
