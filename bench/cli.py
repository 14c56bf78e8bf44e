"""Benchmark: whole ``lacompare`` commands as a user waits for them.

Each command runs as a subprocess (wall clock, imports included) interleaved
with its reference — command, reference, command, reference, … — so that both
meet the same machine load; medians, the spread (min–max) and the ratio of
medians are printed, with each pair's ratio range and the load average
(/proc/loadavg) before and after. Pairs:

* ``lacompare --help`` against ``python -c pass`` (target < 0.3 s);
* ``lacompare compare LA -m M`` against Python importing pandas and duckdb and
  running one query for the same rows on the store (target ≤ 2x);
* ``lacompare info`` against the same reference;
* ``lacompare report la-profile --authority all --jobs 2`` against
  ``write_profiles(jobs=2)`` called from Python (both: every authority, the
  same measures; target < 2 min HTML, < 5 min PDF).

Before timing, lacompare's bytecode is written (``compileall``), as
``pip install .`` writes it: the reference's imports have theirs.

The store: ``--db`` (default: build one from ../shared/data into a temporary
folder with ``lacompare build``, ~40 s). Run on demand::

    python bench/cli.py --db /tmp/national.duckdb
    python bench/cli.py --db /tmp/national.duckdb --skip-batch --repeat 15
    python bench/cli.py --db /tmp/national.duckdb --only batch --pdf
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
PYTHON = sys.executable
LACOMPARE = str(Path(PYTHON).with_name("lacompare"))

#: Five headline measures of the national store (la-profile's -m).
HEADLINE = [
    "rate_per_10000[population_count=Children looked after at 31 March each year]"
    "=Children looked after per 10,000",
    "cin_rate_per_10000",
    "CPP_rate",
    "csc_expenditure_per_child",
    "iod2025_idaci_average_score",
]

REFERENCE_QUERY = """
import duckdb, pandas
con = duckdb.connect({db!r}, read_only=True)
frame = con.execute("SELECT * FROM observations WHERE measure = ? AND la_code = ?",
                    [{measure!r}, 'E08000035']).df()
print(len(frame))
"""

LIBRARY_BATCH = """
from lacompare.report._profile import write_profiles
from lacompare.store import open_store
with open_store({db!r}, read_only=True) as store:
    paths = write_profiles(store, {out!r}, fmt={fmt!r}, jobs=2,
                           measures={measures!r}, with_spend=True)
print(len(paths))
"""


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wall(cmd: list[str]) -> float:
    """Seconds one subprocess takes (output discarded; failure stops the run)."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def pair(
    name: str,
    cmd: list[str],
    ref: list[str],
    repeat: int,
    target: str,
    before: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Run ``cmd`` and ``ref`` interleaved ``repeat`` times (after one warm-up
    each, not counted: the first run reads files into the page cache)."""
    if repeat > 1:
        if before:
            before()
        wall(cmd)
        wall(ref)
    ours, theirs = [], []
    for _ in range(repeat):
        if before:
            before()
        ours.append(wall(cmd))
        if before:
            before()
        theirs.append(wall(ref))
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    ratio = statistics.median(ours) / statistics.median(theirs)
    row = {
        "name": name,
        "ours": ours,
        "ref": theirs,
        "ratios": ratios,
        "target": target,
    }
    print(
        f"{name}: lacompare median {statistics.median(ours):.3f} s "
        f"({min(ours):.3f}–{max(ours):.3f}); reference median "
        f"{statistics.median(theirs):.3f} s ({min(theirs):.3f}–{max(theirs):.3f}); "
        f"ratio of medians {ratio:.2f}x "
        f"(pairs {min(ratios):.2f}–{max(ratios):.2f}x); target {target}; "
        f"load {load()}",
        flush=True,
    )
    return row


def compile_package() -> str:
    """Write lacompare's bytecode, as ``pip install .`` does when it installs a
    package (pandas' and DuckDB's, the reference's imports, were written so).

    An editable install has none until Python writes it on a first import, and a
    machine that sets PYTHONDONTWRITEBYTECODE (this build machine does) never
    writes it: every command then compiled its ~80 modules again (0.08-0.09 s of
    a 0.73 s ``compare``), a cost no installed copy has.
    """
    import compileall
    import os

    compileall.compile_dir(REPO / "lacompare", quiet=1)
    said = os.environ.get("PYTHONDONTWRITEBYTECODE")
    return "lacompare's bytecode written, as an install writes it" + (
        f" (PYTHONDONTWRITEBYTECODE={said} here)" if said else ""
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="store (default: build one)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=9,
        help="interleaved runs per quick command (default 9)",
    )
    ap.add_argument(
        "--batch-repeat",
        type=int,
        default=1,
        help="interleaved runs of the batch of profiles (default 1)",
    )
    ap.add_argument(
        "--only",
        choices=("help", "compare", "info", "batch"),
        action="append",
        help="run only these pairs (repeatable)",
    )
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--pdf", action="store_true", help="batch as PDF too")
    args = ap.parse_args()
    only = set(args.only or ("help", "compare", "info", "batch"))
    if args.skip_batch:
        only.discard("batch")
    work = Path(tempfile.mkdtemp(prefix="lacompare-bench-cli-"))
    try:
        db = args.db
        if db is None:
            db = work / "national.duckdb"
            print(f"building {db} from {SHARED} …", flush=True)
            subprocess.run(
                [LACOMPARE, "build", "--from", str(SHARED), "--db", str(db)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        db = str(db)
        print(f"python {sys.version.split()[0]}; store {db}; load {load()}")
        print(compile_package())
        measure = "cin_rate_per_10000"
        if "help" in only:
            pair(
                "lacompare --help",
                [LACOMPARE, "--help"],
                [PYTHON, "-c", "pass"],
                args.repeat,
                "< 0.3 s",
            )
        ref = [PYTHON, "-c", REFERENCE_QUERY.format(db=db, measure=measure)]
        if "compare" in only:
            pair(
                f"lacompare compare Leeds -m {measure}",
                [LACOMPARE, "compare", "Leeds", "-m", measure, "--db", db],
                ref,
                args.repeat,
                "≤ 2x",
            )
        if "info" in only:
            pair(
                "lacompare info", [LACOMPARE, "info", "--db", db], ref, args.repeat, "—"
            )
        if "batch" in only:
            m_args = [a for m in HEADLINE for a in ("-m", m)]
            for fmt in ("html", "pdf") if args.pdf else ("html",):
                ours, lib = work / f"cli-{fmt}", work / f"lib-{fmt}"

                def clean(ours: Path = ours, lib: Path = lib) -> None:
                    shutil.rmtree(ours, ignore_errors=True)
                    shutil.rmtree(lib, ignore_errors=True)

                pair(
                    f"report la-profile --authority all --jobs 2 ({fmt}, "
                    f"{len(HEADLINE)} measures)",
                    [
                        LACOMPARE,
                        "report",
                        "la-profile",
                        "--authority",
                        "all",
                        "--jobs",
                        "2",
                        "--format",
                        fmt,
                        "--out",
                        str(ours),
                        "--db",
                        db,
                        *m_args,
                    ],
                    [
                        PYTHON,
                        "-c",
                        LIBRARY_BATCH.format(
                            db=db, out=str(lib), fmt=fmt, measures=HEADLINE
                        ),
                    ],
                    args.batch_repeat,
                    "< 120 s" if fmt == "html" else "< 300 s",
                    before=clean,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
