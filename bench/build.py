"""Benchmark: ``lacompare build --from ../shared/data`` against DuckDB reading the
same files (issue 19, item 3: at most 6x).

In one process, times

* the reference: every file the build loads, read into a DuckDB table of its own
  (one file store, like the build's): ``CREATE TABLE … AS SELECT * FROM
  read_csv(file, all_varchar = true)`` for a CSV, ``read_parquet`` for Parquet, and
  for a workbook sheet (DuckDB has no ODS reader; its Excel reader is an extension)
  python-calamine's read of the sheet, the reader lacompare uses, inserted as text
  from a pandas frame — no matching, parsing or checking of cells;
* lacompare: :func:`lacompare.build.build_store` of the whole folder into a fresh
  store file (every CSV, Parquet, XLSX and ODS table, neighbours, derived rates,
  district sums, the boundary policy, the rate-agreement check).

The reference runs before and after the build (``--repeat`` rounds, interleaved);
the ratio is the build's median over the reference's median, for wall-clock time
and for CPU time (this process's threads plus its children: workbooks are opened
in a child process). On a machine other work shares, CPU time is the steadier
figure; the build prints its own seconds per stage too. Run on demand::

    PYTHONPATH=. python3 bench/build.py [--from ../shared/data] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path


def _cpu() -> float:
    """CPU seconds of this process (every thread) and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _load_list(folder: Path, work: Path) -> list[tuple[Path, str | None]]:
    """The (file, sheet) pairs the build loads; latin-1 CSVs copied as UTF-8
    (DuckDB reads UTF-8 only), before any timing."""
    from lacompare.build._files import read_known_files

    known = read_known_files()
    out = []
    for entry in sorted(known.loads, key=lambda e: (e.path, e.sheet or "")):
        path = folder / entry.path
        if not path.exists():
            continue
        if path.suffix.lower() == ".csv" and _encoding(path) != "utf-8":
            copy = work / (path.stem + ".utf8.csv")
            if not copy.exists():
                copy.write_text(path.read_bytes().decode("latin-1"), encoding="utf-8")
            path = copy
        out.append((path, entry.sheet))
    return out


def _encoding(path: Path) -> str:
    try:
        path.read_bytes().decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


def _sheet_table(path: Path, sheet: str | None):  # noqa: ANN202 - a DataFrame
    import pandas as pd
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(sheet or book.sheet_names[0]).to_python()
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame(
        {
            f"c{i}": [str(r[i]) if i < len(r) and r[i] != "" else None for r in rows]
            for i in range(width)
        },
        dtype=object,
    )


def reference(loads: list[tuple[Path, str | None]], db: Path) -> tuple[float, float]:
    """DuckDB (and calamine for workbooks) reading every load into a table:
    (wall seconds, CPU seconds)."""
    import duckdb

    if db.exists():
        db.unlink()
    start, cpu = time.perf_counter(), _cpu()
    con = duckdb.connect(str(db))
    for i, (path, sheet) in enumerate(loads):
        suffix = path.suffix.lower()
        if suffix == ".csv":
            # all_varchar: the files mix numbers and suppression symbols in a column.
            source = (
                f"read_csv('{path}', all_varchar = true, null_padding = true, "
                "ignore_errors = true)"
            )
        elif suffix == ".parquet":
            source = f"read_parquet('{path}')"
        else:
            frame = _sheet_table(path, sheet)  # noqa: F841 - read by DuckDB below
            source = "frame"
        try:
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {source}")
        except duckdb.Error:
            # A file DuckDB's sniffer cannot read (ragged rows): left out of the
            # reference, which only makes the reference cheaper.
            continue
    con.close()
    return time.perf_counter() - start, _cpu() - cpu


def lacompare_build(folder: Path, db: Path, policy: str) -> tuple[float, float, object]:
    """``build_store`` of ``folder`` into a fresh store: (wall, CPU, result)."""
    from lacompare.build import build_store
    from lacompare.store import open_store

    for stale in (db, db.with_suffix(db.suffix + ".wal")):
        if stale.exists():
            stale.unlink()
    start, cpu = time.perf_counter(), _cpu()
    with open_store(db) as store:
        result = build_store(store, folder, policy=policy)
    return time.perf_counter() - start, _cpu() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--from", dest="source", type=Path, default=default)
    parser.add_argument("--policy", default="aggregate")
    parser.add_argument("--repeat", type=int, default=1, help="builds (default 1)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        loads = _load_list(args.source, work)
        refs: list[tuple[float, float]] = [reference(loads, work / "ref.duckdb")]
        builds = []
        for _ in range(args.repeat):
            builds.append(lacompare_build(args.source, work / "b.duckdb", args.policy))
            refs.append(reference(loads, work / "ref.duckdb"))
    result = builds[-1][2]
    ref_wall = statistics.median(r[0] for r in refs)
    ref_cpu = statistics.median(r[1] for r in refs)
    wall = statistics.median(b[0] for b in builds)
    cpu = statistics.median(b[1] for b in builds)
    n_book = sum(1 for p, _ in loads if p.suffix.lower() not in (".csv", ".parquet"))
    print(f"folder: {args.source}; load averages {os.getloadavg()}")
    print(
        f"reference: {len(loads)} loads ({n_book} workbook sheets via calamine) "
        f"read into DuckDB tables, {len(refs)} runs: wall "
        + ", ".join(f"{r[0]:.1f}" for r in refs)
        + " s; CPU "
        + ", ".join(f"{r[1]:.1f}" for r in refs)
        + " s"
    )
    print(
        f"lacompare build --policy {args.policy}, {len(builds)} runs: wall "
        + ", ".join(f"{b[0]:.1f}" for b in builds)
        + " s; CPU "
        + ", ".join(f"{b[1]:.1f}" for b in builds)
        + f" s ({len(result.of_status('loaded'))} tables, "
        f"{result.observations:,} values)"
    )
    print(
        f"ratio (target <= 6x): wall {wall / ref_wall:.1f}x, CPU {cpu / ref_cpu:.1f}x"
    )
    if hasattr(result, "timing_lines"):
        for line in result.timing_lines(slowest=8):
            print(line)


if __name__ == "__main__":
    main()
