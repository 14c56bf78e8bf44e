"""Benchmark: ``lacompare build --from ../shared/data`` against DuckDB reading the
same files.

In one process, times

* the reference: DuckDB ``CREATE TABLE … AS SELECT * FROM read_csv(file)`` for every
  CSV and ``read_parquet`` for every Parquet file the build loads (DuckDB's own
  readers and storage, no matching or parsing of cells), and
* lacompare: :func:`lacompare.build.build_store` of the whole folder into a fresh
  store file (every CSV, Parquet, XLSX and ODS table, neighbours, derived rates,
  district sums, the boundary policy, the rate-agreement check),

and prints both and the ratio. The reference reads no workbooks (DuckDB has no ODS
reader), so the ratio overstates lacompare's cost on the same work. Run on demand::

    PYTHONPATH=. python3 bench/build.py [--from ../shared/data] [--policy aggregate]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def reference(folder: Path, db: Path) -> tuple[float, int, int]:
    import duckdb

    from lacompare.build._files import read_known_files

    known = read_known_files()
    paths = []
    for rel in sorted({e.path for e in known.loads}):
        path = folder / rel
        if path.suffix == ".csv" and _encoding(path) != "utf-8":
            # DuckDB reads UTF-8 only: the latin-1 files are transcoded before timing.
            copy = db.parent / (path.stem + ".utf8.csv")
            copy.write_text(path.read_bytes().decode("latin-1"), encoding="utf-8")
            path = copy
        paths.append(path)
    con = duckdb.connect(str(db))
    start = time.perf_counter()
    rows = 0
    skipped: list[str] = []
    files = 0
    for i, path in enumerate(paths):
        if not path.exists():
            continue
        if path.suffix == ".csv":
            # all_varchar: the files mix numbers and suppression symbols in a column.
            source = (
                f"read_csv('{path}', all_varchar = true, null_padding = true, "
                "ignore_errors = true)"
            )
        elif path.suffix == ".parquet":
            source = f"read_parquet('{path}')"
        else:
            continue
        try:
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {source}")
        except duckdb.Error as exc:
            # A file DuckDB's sniffer cannot read (ragged rows): left out of the
            # reference, which only makes the reference cheaper.
            skipped.append(f"{path.name}: {str(exc).splitlines()[0]}")
            continue
        rows += con.execute(f"SELECT count(*) FROM t{i}").fetchall()[0][0]
        files += 1
    con.close()
    for line in skipped:
        print(f"reference could not read {line}")
    return time.perf_counter() - start, rows, files


def _encoding(path: Path) -> str:
    try:
        path.read_bytes().decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--from", dest="source", type=Path, default=default)
    parser.add_argument("--policy", default="aggregate")
    args = parser.parse_args()

    from lacompare.build import build_store
    from lacompare.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        ref_s, ref_rows, ref_files = reference(
            args.source, Path(tmp) / "reference.duckdb"
        )
        start = time.perf_counter()
        with open_store(Path(tmp) / "build.duckdb") as store:
            result = build_store(store, args.source, policy=args.policy)
        ours = time.perf_counter() - start
    loaded = result.of_status("loaded")
    print(f"folder: {args.source}")
    print(
        f"reference: DuckDB read_csv/read_parquet of {ref_files} CSV/Parquet "
        f"files into a table each: {ref_s:.1f} s "
        f"({ref_rows:,} rows; workbooks not read)"
    )
    print(
        f"lacompare build --policy {args.policy}: {ours:.1f} s "
        f"({len(loaded)} tables, {result.observations:,} values, "
        f"{len(result.derived)} derived rates, {len(result.aggregated)} district "
        f"sums, {len(result.harmonised)} harmonised measures)"
    )
    print(f"ratio: {ours / ref_s:.1f}x")


if __name__ == "__main__":
    main()
