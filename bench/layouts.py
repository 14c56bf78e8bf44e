"""Benchmark: what the store's layout costs to write and to read.

``bench/ingest.py`` found a 6-indicator EES file loaded at ~3x DuckDB's own read
of it when every value was written as a row, and that the write was the gap. This
script measures the trade-off behind the fix, on the same value rows, in one
process:

* ``cells``: one row per value with its authority, measure, period, breakdown and
  source column as text (``observation_cells``, how the store keeps small loads);
* ``split``: a row table (authority, period, breakdown per source row), a column
  table (measure and heading per source column) and a value table (source row,
  column number, value, missing reason, label, raw), joined by an
  ``observations`` view;
* ``int_keys``: one row per value with integer keys for authority, measure,
  period, breakdown and source column, each behind a small lookup table, joined
  by a view;
* ``rows``: what ``ingest`` now keeps a large table as (the store's own DDL): one
  row per file row with its values, missing reasons, labels and raw texts in
  lists, a column table, and the ``observations`` view that opens them.

For each: the seconds to write the value rows (``CREATE TABLE … AS``, then
``CHECKPOINT``, into a fresh file), the file's size, and the median time of the
reads the web app and ``compare`` make (one authority's values, one measure for
every authority, a count by authority), with each as a ratio to ``cells``.
Every layout is checked to give back the same rows (count and checksums).
Run on demand::

    python bench/layouts.py --rows 6396624 --indicators 6
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

MEASURES = ("number", "rate_per_10000", "percent", "spend", "started", "ceased")

# What each layout writes, from the temporary table ``cells`` (one row per value).
LAYOUTS = {
    "cells": [
        """
        CREATE TABLE observations AS
        SELECT la_code, measure, period, breakdown, value, missing_reason, label, raw,
               1 AS source_id, source_row, source_column FROM cells"""
    ],
    "split": [
        """
        CREATE TABLE value_rows AS
        SELECT 1 AS source_id, source_row, la_code, period,
               breakdown FROM cells WHERE col = 0""",
        """
        CREATE TABLE value_columns AS
        SELECT DISTINCT 1 AS source_id, col, measure, source_column FROM cells""",
        """
        CREATE TABLE cell_values AS
        SELECT 1 AS source_id, source_row, col, value, missing_reason, label, raw
        FROM cells""",
        """
        CREATE VIEW observations AS
        SELECT r.la_code, c.measure, r.period, r.breakdown, v.value, v.missing_reason,
               v.label, v.raw, v.source_id, v.source_row, c.source_column
        FROM cell_values v
        JOIN value_rows r ON r.source_id = v.source_id AND r.source_row = v.source_row
        JOIN value_columns c ON c.source_id = v.source_id AND c.col = v.col""",
    ],
    "int_keys": [
        *(
            f"""CREATE TABLE key_{k} AS SELECT row_number() OVER (ORDER BY {k}) AS id,
              {k} FROM (SELECT DISTINCT {k} FROM cells)"""
            for k in ("la_code", "measure", "period", "breakdown", "source_column")
        ),
        """
        CREATE TABLE observation_keys AS
        SELECT l.id AS la_id, m.id AS measure_id, p.id AS period_id,
               b.id AS breakdown_id, s.id AS column_id, c.value, c.missing_reason,
               c.label, c.raw, 1 AS source_id, c.source_row
        FROM cells c JOIN key_la_code l USING (la_code)
        JOIN key_measure m USING (measure) JOIN key_period p USING (period)
        JOIN key_breakdown b USING (breakdown)
        JOIN key_source_column s USING (source_column)""",
        """
        CREATE VIEW observations AS
        SELECT l.la_code, m.measure, p.period, b.breakdown, o.value, o.missing_reason,
               o.label, o.raw, o.source_id, o.source_row, s.source_column
        FROM observation_keys o JOIN key_la_code l ON l.id = o.la_id
        JOIN key_measure m ON m.id = o.measure_id
        JOIN key_period p ON p.id = o.period_id
        JOIN key_breakdown b ON b.id = o.breakdown_id
        JOIN key_source_column s ON s.id = o.column_id""",
    ],
}


def rows_layout() -> list[str]:
    """The store's own tables and view for large loads, filled from ``file_rows``."""
    from lacompare.store._schema import DDL

    ddl = [d for d in DDL if "observation_" in d and "CREATE" in d]
    return [
        *ddl,
        """
        INSERT INTO observation_rows
        SELECT 1, source_row, la_code, period, breakdown, cell_values,
               missing_reasons, labels, raws FROM file_rows""",
        """
        INSERT INTO observation_columns
        SELECT DISTINCT 1, col + 1, measure, NULL, source_column FROM cells""",
    ]


LAYOUTS["rows"] = rows_layout()

READS = {
    "one authority's values": "SELECT measure, period, breakdown, value FROM "
    "observations WHERE la_code = 'E08000035'",
    "one measure, every authority": "SELECT la_code, value FROM observations WHERE "
    "measure = 'rate_per_10000' AND period = '2020' "
    "AND breakdown = 'characteristic=Characteristic "
    "1; sex=Total'",
    "count by authority": "SELECT la_code, count(value) FROM observations GROUP BY 1",
}

# Values have one decimal: summed as integers, the order of summing cannot matter.
CHECKSUM = (
    "SELECT count(*), sum(round(value * 10)::HUGEINT), count(missing_reason), "
    "count(raw), sum(hash(la_code, measure, period, breakdown, source_row, "
    "source_column)) FROM observations"
)


def make_cells(con: object, rows: int, indicators: int) -> None:
    """The value rows of an EES file of ``rows`` rows × ``indicators`` indicators,
    as ``ingest`` writes them: one per value, with the same kinds of text."""
    from lacompare.geography import read_authorities

    las = read_authorities()
    las = las[las["valid_to"] == ""][["la_code"]]
    con.register("las_frame", las)
    con.execute(
        "CREATE TEMP TABLE las AS SELECT row_number() OVER () - 1 AS i, "
        "la_code FROM las_frame"
    )
    n_las = len(las)
    measures = ", ".join(f"'{m}'" for m in MEASURES[:indicators])
    # Row r of the file: authority r % n_las, year (r // n_las) % 16, then filters.
    con.execute(f"""
        CREATE TEMP TABLE cells AS
        SELECT l.la_code, (2010 + (r // {n_las}) % 16)::VARCHAR AS period,
               'characteristic=Characteristic ' || (r // ({n_las} * 16 * 3))::VARCHAR
               || '; sex=' || ['Total', 'Male', 'Female'][1 + (r // ({n_las} * 16)) % 3]
               AS breakdown,
               c.col, c.measure, c.measure AS source_column, r + 2 AS source_row,
               CASE WHEN hash(r, c.col) % 50 = 0 THEN NULL
                    ELSE (hash(r, c.col) % 90000) / 10.0 END AS value,
               CASE WHEN hash(r, c.col) % 50 = 0 THEN 'suppressed' END
                   AS missing_reason,
               NULL::VARCHAR AS label,
               CASE WHEN c.measure = 'spend' THEN format('{{:,}}',
                   (hash(r, c.col) % 90000) // 10) END AS raw
        FROM range({rows}) t(r)
        JOIN las l ON l.i = r % {n_las},
        (SELECT unnest(range({indicators})) AS col,
                unnest([{measures}]) AS measure) c""")
    # The same values a row per file row, in lists by column (the rows layout).
    spend = MEASURES.index("spend")
    con.execute(f"""
        CREATE TEMP TABLE file_rows AS
        SELECT l.la_code, (2010 + (r // {n_las}) % 16)::VARCHAR AS period,
               'characteristic=Characteristic ' || (r // ({n_las} * 16 * 3))::VARCHAR
               || '; sex=' || ['Total', 'Male', 'Female'][1 + (r // ({n_las} * 16)) % 3]
               AS breakdown, r + 2 AS source_row,
               list_transform(range({indicators}), lambda c: CASE
                   WHEN hash(r, c) % 50 = 0 THEN NULL
                   ELSE (hash(r, c) % 90000) / 10.0 END) AS cell_values,
               list_transform(range({indicators}), lambda c: CASE
                   WHEN hash(r, c) % 50 = 0 THEN 'suppressed' END) AS missing_reasons,
               NULL::VARCHAR[] AS labels,
               list_transform(range({indicators}), lambda c: CASE WHEN c = {spend} THEN
                   format('{{:,}}', (hash(r, c) % 90000) // 10) END) AS raws
        FROM range({rows}) t(r) JOIN las l ON l.i = r % {n_las}""")


def median_ms(con: object, sql: str, repeat: int) -> float:
    con.execute(sql).fetchall()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    import duckdb

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=6_396_624,
        help="rows of the file (default: bench/ingest.py's 1 GB file)",
    )
    parser.add_argument("--indicators", type=int, default=6, choices=range(1, 7))
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per read")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lacompare-layouts-"))
    work.mkdir(parents=True, exist_ok=True)

    results = {}
    for name, statements in LAYOUTS.items():
        db = work / f"{name}.duckdb"
        db.unlink(missing_ok=True)
        con = duckdb.connect(str(db))
        make_cells(con, args.rows, args.indicators)
        con.execute("SET preserve_insertion_order = false")
        start = time.perf_counter()
        for sql in statements:
            con.execute(sql)
        con.execute("CHECKPOINT")
        write = time.perf_counter() - start
        con.execute("DROP TABLE cells")
        con.execute("DROP TABLE file_rows")
        con.execute("RESET preserve_insertion_order")
        checksum = con.execute(CHECKSUM).fetchall()[0]
        reads = {
            label: median_ms(con, sql, args.repeat) for label, sql in READS.items()
        }
        con.close()
        results[name] = (write, db.stat().st_size / 1e6, reads, checksum)
        print(f"{name}: written in {write:.2f} s", flush=True)

    base = results["cells"]
    for name, (_, _, _, checksum) in results.items():
        if checksum != base[3]:
            raise SystemExit(
                f"{name} gives back different rows: {checksum} vs {base[3]}"
            )
    n = base[3][0]
    print(
        f"\n{n:,} value rows ({args.rows:,} file rows × {args.indicators}); "
        "every layout gives back the same rows"
    )
    print(
        f"{'layout':<10} {'write s':>8} {'ratio':>6} {'MB':>7}  "
        + "  ".join(f"{label} ms (ratio)" for label in READS)
    )
    for name, (write, size, reads, _) in results.items():
        cells = "  ".join(
            f"{reads[label]:8.1f} ({reads[label] / base[2][label]:4.1f}x)".rjust(
                len(label) + 13
            )
            for label in READS
        )
        print(f"{name:<10} {write:8.2f} {write / base[0]:5.2f}x {size:7.0f}  {cells}")


if __name__ == "__main__":
    main()
