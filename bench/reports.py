"""Benchmark: an ``la-profile`` report for every authority, as HTML.

Builds a store — the real public files in ../shared/data when they are there
(children looked after 2021-2025, IDACI 2019, spending per child 2024-25, DfE
statistical neighbours 2025), otherwise a generated one (153 authorities × 4
measures × 5 years, with a neighbour set) — then times

* the comparisons: :func:`lacompare.report._profile.prepare_profiles` (every
  authority on every measure, for every period, in one pass), and
* the reports: one self-contained HTML profile per authority (sentences,
  tables, a chart per measure), in ``--jobs`` processes,

and prints the total, the time per report and the target (under 2 minutes for
153 profiles on 2 cores). Run on demand::

    python bench/reports.py --jobs 2
    python bench/reports.py --generated --keep /tmp/profiles
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
TARGET_SECONDS = 120.0

REAL_MEASURES = [
    "rate_per_10000[looked after on 31 March]=Children looked after per 10,000 "
    "children",
    "rate_per_10000[starting to be looked after]=Children starting to be looked "
    "after per 10,000 children",
    "csc_expenditure_per_child=Children's social care spend per child",
    "idaci_average_score=Deprivation affecting children (IDACI score)",
]


def real_store(path: Path) -> list[str]:
    """Load the shared public files into ``path``; return the headline specs."""
    from lacompare.analysis import load_neighbour_set
    from lacompare.store import open_store
    from lacompare.store._ingest import ingest

    specs = REPO / "lacompare" / "sources" / "specs"
    with open_store(path) as store:
        ingest(
            store,
            SHARED / "cla" / "cla_number_and_rate_per_10k_children_2021_to_2025.csv",
        )
        ingest(
            store,
            SHARED / "deprivation" / "idaci2019_upper_tier_la_summary.csv",
            period="2019",
        )
        ingest(
            store,
            SHARED / "spend" / "csc_spending_per_child_2024_25_dashboard_derived.csv",
            spec=specs / "dfe_dashboard_csc_spending_per_child_2024_25.toml",
        )
        store.con.execute(
            "UPDATE measures SET polarity = 'higher-is-worse' "
            "WHERE measure = 'rate_per_10000'"
        )
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
    return REAL_MEASURES


def generated_store(path: Path) -> list[str]:
    """A store of 153 current authorities × 4 measures × 5 years (seeded)."""
    import numpy as np
    import pandas as pd

    from lacompare.analysis import load_neighbour_set
    from lacompare.store import open_store

    rng = np.random.default_rng(0)
    with open_store(path) as store:
        las = store.query(
            "SELECT la_code FROM authorities WHERE valid_to IS NULL ORDER BY la_code"
        )["la_code"].tolist()
        store.con.execute(
            "INSERT INTO sources (file, sha256) VALUES ('generated.csv', 'generated')"
        )
        measures = {
            "cla_rate": (
                "Children looked after per 10,000",
                None,
                "higher-is-worse",
                70,
                25,
            ),
            "cin_rate": (
                "Children in need per 10,000",
                None,
                "higher-is-worse",
                330,
                80,
            ),
            "spend_per_child": (
                "Children's social care spend per child",
                "£ per child",
                "neutral",
                1400,
                400,
            ),
            "timely_assessments": (
                "Assessments within 45 days",
                "%",
                "higher-is-better",
                82,
                9,
            ),
        }
        rows = []
        for m, (label, unit, polarity, mean, sd) in measures.items():
            store.con.execute(
                "INSERT INTO measures (measure, label, unit, polarity) "
                "VALUES (?, ?, ?, ?)",
                [m, label, unit, polarity],
            )
            base = rng.normal(mean, sd, len(las))
            for k, year in enumerate(range(2021, 2026)):
                values = np.round(
                    base * (1 + 0.02 * k) + rng.normal(0, sd / 10, len(las))
                )
                rows += [
                    (la, m, str(year), float(v))
                    for la, v in zip(las, values, strict=True)
                ]
        frame = pd.DataFrame(rows, columns=["la_code", "measure", "period", "value"])
        store.con.register("generated", frame)
        store.con.execute(
            "INSERT INTO observation_cells (la_code, measure, period, "
            "value, "
            "source_id) SELECT la_code, measure, period, value, 1 "
            "FROM generated"
        )
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
    return list(measures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes for the reports (default 2)",
    )
    parser.add_argument(
        "--generated",
        action="store_true",
        help="use a generated store even if ../shared/data exists",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="only the first N authorities (a quick run)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="write the reports here (default: a temporary folder)",
    )
    args = parser.parse_args()

    from lacompare.report._profile import prepare_profiles, write_profiles
    from lacompare.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        real = SHARED.is_dir() and not args.generated
        t0 = time.perf_counter()
        specs = real_store(db) if real else generated_store(db)
        load_s = time.perf_counter() - t0
        out = args.keep or Path(tmp) / "profiles"
        with open_store(db, read_only=True) as store:
            t0 = time.perf_counter()
            data = prepare_profiles(store, specs)
            prepare_s = time.perf_counter() - t0
            codes = sorted(
                set(
                    data.latest.loc[
                        data.latest["value"].notna() & data.latest["rank"].notna(),
                        "la_code",
                    ]
                )
                & set(
                    data.authorities.loc[data.authorities["valid_to"].isna(), "la_code"]
                )
            )
            if args.limit:
                codes = codes[: args.limit]
            t0 = time.perf_counter()
            paths = write_profiles(store, out, codes, "html", jobs=args.jobs, data=data)
            write_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in paths)
        total = prepare_s + write_s
        n = len(paths)
        print(
            f"store: {'real ../shared/data' if real else 'generated'} "
            f"({len(specs)} headline measures; built in {load_s:.1f} s)"
        )
        print(f"comparisons (all authorities, all periods): {prepare_s:.1f} s")
        print(
            f"{n} la-profile reports as HTML with {args.jobs} job(s): "
            f"{write_s:.1f} s ({write_s / n:.2f} s per report, "
            f"{write_s * args.jobs / n:.2f} s of CPU each); "
            f"{size / n / 1024:,.0f} KB each"
        )
        scaled = total * 153 / n
        verdict = "within" if scaled < TARGET_SECONDS else "OVER"
        print(
            f"total: {total:.1f} s for {n} (≈ {scaled:.0f} s for 153): {verdict} "
            f"the {TARGET_SECONDS:.0f} s target"
        )


if __name__ == "__main__":
    main()
