"""Benchmark: lacompare's analysis functions against plain pandas/scipy.

Generates a store (a DuckDB file in a temp folder, seeded, built by SQL) of the
153 current authorities × 450 measures × 15 years (2010-2024): a ``sources`` row,
``measures`` with units, reference dates and polarity (higher-is-worse for 2 in 5,
higher-is-better for 1 in 5), ``observations`` with realistic values (three latent
authority factors, per-measure level, spread and trend, counts with ties, percents,
rates, £ thousand) and about 2% missing with reasons (markers ``c``, ``x``, ``z``,
``low``; City of London and the Isles of Scilly far more often), published England
and region ``totals`` for one measure in three, and a neighbour set computed from
the first 10 measures (context variables, never missing). Then, in the same
process, each beside a plain reference answering the same question from the same
store (one DuckDB query into a wide pandas frame, then pandas/numpy/scipy):

1. ``compare`` of one authority over all 450 measures against neighbours, region
   and England (target < 50 ms);
2. ``compare`` of all 153 authorities (target < 5 s);
3. ``correlation_matrix``: all-pairs Spearman over 450 measures for one period
   (target < 10 s); references ``scipy.stats.spearmanr`` on a complete 153 × 450
   matrix and ``DataFrame.corr('spearman')`` (pairwise complete cases, the same
   numbers as lacompare);
4. ``compute_neighbours`` for all authorities, 10 variables, k = 10 (target < 1 s);
   reference: z-scores, ``scipy.spatial.distance.cdist``, ``argsort``.

Timings are warm: one warm-up call, then the median of ``--repeat`` calls. Each
reference's answers are checked against lacompare's (max |difference|). A target
missed gets a cProfile of one call (top entries by cumulative time). BLAS/OpenMP
threads are set to 1 unless ``--blas-threads`` says otherwise (the 2-core CI
machines otherwise contend with DuckDB's threads). Run on demand::

    python bench/analysis.py                # about a minute
    python bench/analysis.py --repeat 9 --work /tmp/lacompare-bench --keep
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SEED = 20240331
YEARS = range(2010, 2025)
N_MEASURES = 450
N_CONTEXT = 10  # the first measures: never missing, the neighbour variables
PERIOD = str(YEARS[-1])
LA = "Leeds"
LA_CODE = "E08000035"
NEIGHBOUR_SET = "bench"
TARGETS = {"one": 0.050, "all": 5.0, "spearman": 10.0, "neighbours": 1.0}


# ----------------------------------------------------------------- the store


def build_store(path: Path, seed: int = SEED) -> dict[str, Any]:
    """Create the benchmark store at ``path``; return counts and timings."""
    from lacompare.analysis.neighbours import compute_neighbours
    from lacompare.store import open_store

    path.unlink(missing_ok=True)
    start = time.perf_counter()
    store = open_store(path)
    con = store.con
    con.execute(
        "INSERT INTO sources (file, sha256, note) VALUES "
        "('bench:generated', 'bench', 'bench/analysis.py generated store')"
    )
    source_id = con.execute("SELECT max(source_id) FROM sources").fetchall()[0][0]
    # Uniform (0, 1) and standard normal (Box-Muller) from hashes: seeded, and the
    # same whatever DuckDB's thread count.
    con.execute(
        "CREATE OR REPLACE TEMP MACRO b_u(h) AS ((h % 1000003)::DOUBLE + 0.5) / 1000003"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO b_n(h1, h2) AS "
        "sqrt(-2 * ln(b_u(h1))) * cos(2 * pi() * b_u(h2))"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE b_las AS
        SELECT la_code, region_code,
               la_code IN ('E09000001', 'E06000053') AS small,
               b_n(hash({seed}, la_code, 'f1a'), hash({seed}, la_code, 'f1b')) AS f1,
               b_n(hash({seed}, la_code, 'f2a'), hash({seed}, la_code, 'f2b')) AS f2,
               b_n(hash({seed}, la_code, 'f3a'), hash({seed}, la_code, 'f3b')) AS f3
        FROM authorities WHERE valid_to IS NULL""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE b_measures AS
        SELECT i, printf('m%03d', i) AS measure,
               CASE WHEN i < {N_CONTEXT} THEN 'count'
                    ELSE ['percent', 'rate per 10,000', '£ thousand', 'count'][
                         i % 4 + 1] END AS unit,
               CASE WHEN i < {N_CONTEXT} THEN 'neutral'
                    ELSE ['higher-is-worse', 'higher-is-worse', 'higher-is-better',
                          'neutral', 'neutral'][i % 5 + 1] END AS polarity,
               ['31 March', 'financial year', NULL][i % 3 + 1] AS reference_date,
               exp(ln(5) + b_u(hash({seed}, 'mu', i)) * ln(2000)) AS mu,
               (b_u(hash({seed}, 'pb', i)) - 0.5) * 4 AS pbase,
               0.15 + 0.45 * b_u(hash({seed}, 'sp', i)) AS spread,
               (b_u(hash({seed}, 'l1', i)) - 0.5) * 1.4 AS l1,
               (b_u(hash({seed}, 'l2', i)) - 0.5) * 1.4 AS l2,
               (b_u(hash({seed}, 'l3', i)) - 0.5) * 1.4 AS l3,
               (b_u(hash({seed}, 'tr', i)) - 0.5) * 0.06 AS trend
        FROM range({N_MEASURES}) t(i)""")
    con.execute("""
        INSERT INTO measures (measure, label, unit, polarity, reference_date,
                              description)
        SELECT measure, 'Benchmark measure ' || i, unit, polarity, reference_date,
               'generated by bench/analysis.py'
        FROM b_measures""")
    con.execute(f"""
        INSERT INTO observation_cells (la_code, measure, period, breakdown, value,
                                  missing_reason, raw, source_id, source_row,
                                  source_column)
        WITH cells AS (
            SELECT l.la_code, m.i, m.measure, m.unit, y.year, m.mu, m.pbase,
                   m.spread,
                   m.l1 * l.f1 + m.l2 * l.f2 + m.l3 * l.f3
                   + 0.6 * b_n(hash({seed}, l.la_code, m.i, 'ea'),
                               hash({seed}, l.la_code, m.i, 'eb'))
                   + m.trend * (y.year - 2017)
                   + 0.15 * b_n(hash({seed}, l.la_code, m.i, y.year, 'ya'),
                                hash({seed}, l.la_code, m.i, y.year, 'yb')) AS z,
                   m.i >= {N_CONTEXT}
                   AND b_u(hash({seed}, l.la_code, m.i, y.year, 'mi'))
                       < CASE WHEN l.small THEN 0.25 ELSE 0.017 END AS missing,
                   CAST(hash({seed}, l.la_code, m.i, y.year, 'why') % 4 AS BIGINT)
                     AS why,
                   row_number() OVER (PARTITION BY m.i, y.year ORDER BY l.la_code)
                     AS source_row
            FROM b_las l, b_measures m, range({YEARS[0]}, {YEARS[-1] + 1}) y(year)
        ), valued AS (
            SELECT *, CASE unit
                WHEN 'percent' THEN round(100 / (1 + exp(-(pbase + 2 * spread * z))),
                                          1)
                WHEN 'rate per 10,000' THEN round(mu * exp(spread * z), 1)
                WHEN '£ thousand' THEN round(mu * 100 * exp(spread * z), 0)
                ELSE round(mu * exp(spread * z), 0) END AS v
            FROM cells
        )
        SELECT la_code, measure, CAST(year AS VARCHAR), '',
               CASE WHEN missing THEN NULL ELSE v END,
               CASE WHEN missing THEN ['suppressed', 'not-available',
                    'not-applicable', 'low'][why + 1] END,
               CASE WHEN missing THEN ['c', 'x', 'z', 'low'][why + 1]
                    ELSE CAST(v AS VARCHAR) END,
               {source_id}, source_row + 4, measure || ' ' || year
        FROM valued""")
    # Published England and region rows for one measure in three (the others are
    # computed from the authorities): a weighted figure, not the plain mean.
    con.execute(f"""
        INSERT INTO totals (area_code, area_name, measure, period, breakdown, value,
                            raw, source_id, members, members_sum, check_result)
        WITH obs AS (
            SELECT o.*, l.region_code, a.region
            FROM observations o JOIN b_las l USING (la_code)
            JOIN authorities a USING (la_code)
            JOIN b_measures m USING (measure)
            WHERE m.i % 3 = 0 AND o.source_id = {source_id}
        ), areas AS (
            SELECT 'E92000001' AS area_code, 'England' AS area_name, measure, period,
                   avg(value) AS mean, count(value) AS k, sum(value) AS s
            FROM obs GROUP BY measure, period
            UNION ALL
            SELECT region_code, any_value(region), measure, period, avg(value),
                   count(value), sum(value)
            FROM obs GROUP BY region_code, measure, period
        )
        SELECT area_code, area_name, measure, period, '',
               round(mean * (0.97 + 0.06 * b_u(hash({seed}, area_code, measure,
                                                     period))), 3),
               NULL, {source_id}, k, s, 'not checked (generated)'
        FROM areas""")
    con.execute("CHECKPOINT")
    generated = time.perf_counter() - start
    counts = dict(
        zip(
            ["observations", "missing", "totals", "authorities", "measures"],
            con.execute("""SELECT (SELECT count(*) FROM observations),
                              (SELECT count(*) FROM observations
                               WHERE value IS NULL),
                              (SELECT count(*) FROM totals),
                              (SELECT count(DISTINCT la_code) FROM observations),
                              (SELECT count(*) FROM measures)""").fetchall()[0],
            strict=True,
        )
    )
    start = time.perf_counter()
    compute_neighbours(
        store,
        context_measures(),
        k=10,
        period=PERIOD,
        set_id=NEIGHBOUR_SET,
        label="bench neighbours",
    )
    counts["neighbour_seconds"] = time.perf_counter() - start
    counts["seconds"] = generated
    counts["size_mb"] = path.stat().st_size / 1e6
    store.close()
    return counts


def context_measures() -> list[str]:
    return [f"m{i:03d}" for i in range(N_CONTEXT)]


def all_measures() -> list[str]:
    return [f"m{i:03d}" for i in range(N_MEASURES)]


# ------------------------------------------------------------ the references


def fetch_wide(con: Any, measures: list[str] | None = None) -> Any:
    """Each measure's latest period with a value: authorities × measures."""
    only = "AND o.measure IN (SELECT unnest(?))" if measures else ""
    long = con.execute(
        f"""
        WITH latest AS (SELECT measure, max(period) AS period FROM observations
                        WHERE breakdown = '' AND value IS NOT NULL
                        GROUP BY measure)
        SELECT o.la_code, o.measure, o.value
        FROM observations o JOIN latest USING (measure, period)
        WHERE o.breakdown = '' {only}""",
        [measures] if measures else [],
    ).df()
    wide = long.pivot(index="la_code", columns="measure", values="value")
    return wide.reindex(columns=measures) if measures else wide


def fetch_context(con: Any, set_id: str) -> dict[str, Any]:
    """Everything else the comparison needs: polarity, regions, totals, neighbours."""
    wide = fetch_wide(con)
    polarity = con.execute("SELECT measure, polarity FROM measures").df()
    region = con.execute("SELECT la_code, region_code FROM authorities").df()
    totals = con.execute("""
        WITH latest AS (SELECT measure, max(period) AS period FROM observations
                        WHERE breakdown = '' AND value IS NOT NULL
                        GROUP BY measure)
        SELECT t.area_code, t.measure, t.value
        FROM totals t JOIN latest USING (measure, period)
        WHERE t.breakdown = '' AND t.value IS NOT NULL""").df()
    nb = con.execute(
        "SELECT la_code, neighbour_code, rank FROM neighbours "
        "WHERE set_id = ? ORDER BY la_code, rank",
        [set_id],
    ).df()
    return {
        "wide": wide,
        "polarity": polarity,
        "region": region,
        "totals": totals,
        "neighbours": nb,
    }


def reference_compare(ctx: dict[str, Any], targets: list[str] | None) -> Any:
    """value, n, mean, SD, neighbours n/mean/median, region and England values
    (published where the store has them, else the mean of authorities), rank
    (1 = best; highest for neutral), quartile A-D and z, for the targets."""
    import numpy as np
    import pandas as pd

    wide = ctx["wide"]
    x = wide.to_numpy(dtype=float)
    las = wide.index.to_numpy()
    measures = wide.columns.to_numpy()
    pol = ctx["polarity"].set_index("measure")["polarity"].reindex(measures)
    sign = np.where(pol.to_numpy() == "higher-is-worse", 1.0, -1.0)
    rows = (
        np.arange(len(las))
        if targets is None
        else np.flatnonzero(np.isin(las, targets))
    )
    n = np.isfinite(x).sum(axis=0)
    with np.errstate(all="ignore"):
        import warnings

        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=0)
        sd = np.nanstd(x, axis=0, ddof=1)
        key = x * sign
        if targets is None:
            rank = pd.DataFrame(key).rank(method="min").to_numpy()
        else:
            mine = key[rows]  # (t, m)
            below = (key[None, :, :] < mine[:, None, :]) & np.isfinite(key)[None]
            rank = np.where(np.isfinite(mine), below.sum(axis=1) + 1.0, np.nan)
            rank_all = np.full_like(x, np.nan)
            rank_all[rows] = rank
            rank = rank_all
        z = (x - mean) / sd
        # Neighbours: a (t, k) index into the authorities, then (t, k, m) values.
        pos = pd.Series(np.arange(len(las)), index=las)
        nb = ctx["neighbours"]
        nb = nb[nb["la_code"].isin(las[rows])]
        k = int(nb.groupby("la_code").size().max())
        idx = np.full((len(rows), k), -1)
        r_of = {code: i for i, code in enumerate(las[rows])}
        idx[
            nb["la_code"].map(r_of).to_numpy(),
            nb.groupby("la_code").cumcount().to_numpy(),
        ] = pos[nb["neighbour_code"]].to_numpy()
        xv = np.vstack([x, np.full((1, x.shape[1]), np.nan)])  # row -1 = none
        nbv = xv[idx]
        nb_n = np.isfinite(nbv).sum(axis=1)
        nb_mean = np.nanmean(nbv, axis=1)
        nb_median = np.nanmedian(nbv, axis=1)
        # Region and England: published totals override the authorities' mean.
        region = ctx["region"].set_index("la_code")["region_code"].reindex(las)
        reg_mean = wide.groupby(region.to_numpy()).mean()
        tot = ctx["totals"]
        pub = (
            tot[tot["area_code"].str.startswith("E12")]
            .pivot(index="area_code", columns="measure", values="value")
            .reindex(index=reg_mean.index, columns=measures)
        )
        reg = pub.where(pub.notna(), reg_mean)
        reg_value = reg.reindex(region.to_numpy()).to_numpy()
        eng_pub = (
            tot[tot["area_code"] == "E92000001"]
            .set_index("measure")["value"]
            .reindex(measures)
            .to_numpy()
        )
        eng = np.where(np.isfinite(eng_pub), eng_pub, mean)
    t, m = len(rows), len(measures)
    band = np.ceil(4 * rank[rows] / n)
    letters = np.array(["A", "B", "C", "D", None], dtype=object)
    quartile = letters[np.where(np.isfinite(band), band - 1, 4).astype(int)]
    return pd.DataFrame(
        {
            "la_code": np.repeat(las[rows], m),
            "measure": np.tile(measures, t),
            "value": x[rows].ravel(),
            "n": np.tile(n, t),
            "authorities_mean": np.tile(mean, t),
            "authorities_sd": np.tile(sd, t),
            "neighbours_n": nb_n.ravel(),
            "neighbours_mean": nb_mean.ravel(),
            "neighbours_median": nb_median.ravel(),
            "region_value": reg_value[rows].ravel(),
            "england_value": np.tile(eng, t),
            "rank": rank[rows].ravel(),
            "quartile": quartile.ravel(),
            "z": z[rows].ravel(),
        }
    )


def reference_sql_one(con: Any, la_code: str, set_id: str) -> Any:
    """The same numbers for one authority by one DuckDB query (450 rows out)."""
    return con.execute(
        """
        WITH latest AS (
            SELECT measure, max(period) AS period FROM observations
            WHERE breakdown = '' AND value IS NOT NULL GROUP BY measure),
        v AS (
            SELECT o.la_code, o.measure, o.value, a.region_code,
                   o.value * CASE WHEN m.polarity = 'higher-is-worse' THEN 1 ELSE -1
                                  END AS key
            FROM observations o JOIN latest USING (measure, period)
            JOIN measures m USING (measure)
            LEFT JOIN authorities a USING (la_code)
            WHERE o.breakdown = ''),
        dist AS (
            SELECT measure, count(value) AS n, avg(value) AS authorities_mean,
                   stddev_samp(value) AS authorities_sd FROM v GROUP BY measure),
        me AS (SELECT * FROM v WHERE la_code = $la),
        rk AS (
            SELECT me.measure, CASE WHEN me.value IS NOT NULL THEN
                       1 + count(*) FILTER (WHERE v.key < me.key) END AS rank
            FROM me JOIN v USING (measure) GROUP BY me.measure, me.value),
        reg AS (
            SELECT v.measure, avg(v.value) AS mean FROM v JOIN me USING (measure)
            WHERE v.region_code = me.region_code GROUP BY v.measure),
        nb AS (
            SELECT v.measure, count(v.value) AS neighbours_n,
                   avg(v.value) AS neighbours_mean,
                   median(v.value) AS neighbours_median
            FROM neighbours n JOIN v ON v.la_code = n.neighbour_code
            WHERE n.set_id = $set AND n.la_code = $la GROUP BY v.measure),
        pub AS (
            SELECT t.area_code, t.measure, t.value FROM totals t
            JOIN latest USING (measure, period)
            WHERE t.breakdown = '' AND t.value IS NOT NULL)
        SELECT me.la_code, me.measure, me.value, dist.n, dist.authorities_mean,
               dist.authorities_sd, nb.neighbours_n, nb.neighbours_mean,
               nb.neighbours_median,
               coalesce(pr.value, reg.mean) AS region_value,
               coalesce(pe.value, dist.authorities_mean) AS england_value,
               rk.rank,
               ['A', 'B', 'C', 'D'][CAST(ceil(4 * rk.rank / dist.n) AS BIGINT)]
                 AS quartile,
               (me.value - dist.authorities_mean) / dist.authorities_sd AS z
        FROM me JOIN dist USING (measure) JOIN rk USING (measure)
        LEFT JOIN reg USING (measure) LEFT JOIN nb USING (measure)
        LEFT JOIN pub pr ON pr.measure = me.measure AND pr.area_code = me.region_code
        LEFT JOIN pub pe ON pe.measure = me.measure AND pe.area_code = 'E92000001'
        ORDER BY me.measure""",
        {"la": la_code, "set": set_id},
    ).df()


def reference_neighbours(con: Any, variables: list[str], k: int = 10) -> Any:
    import numpy as np
    from scipy.spatial.distance import cdist

    wide = fetch_wide(con, variables).dropna().sort_index()
    x = wide.to_numpy(dtype=float)
    zs = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    dist = cdist(zs, zs, "euclidean", w=np.ones(len(variables)))
    np.fill_diagonal(dist, np.inf)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return wide.index.to_numpy(), order, np.take_along_axis(dist, order, axis=1)


# ---------------------------------------------------------------- checking


def max_diff(ours: Any, ref: Any, columns: list[str]) -> dict[str, float]:
    """Max |difference| per column after matching rows (NaN = NaN agrees)."""
    import numpy as np

    both = ours.merge(ref, on=["la_code", "measure"], suffixes=("", "_ref"))
    if len(both) != len(ref):
        raise AssertionError(f"{len(ref)} reference rows, {len(both)} matched")
    out = {}
    for col in columns:
        a = both[col].to_numpy(dtype=float, na_value=np.nan)
        b = both[f"{col}_ref"].to_numpy(dtype=float, na_value=np.nan)
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        if (nan_a != nan_b).any():
            out[col] = float("inf")
            continue
        scale = np.maximum(1.0, np.abs(b[~nan_b]))
        out[col] = float(np.max(np.abs(a[~nan_a] - b[~nan_b]) / scale, initial=0.0))
    out["quartile"] = float(
        (
            both["quartile"].astype(object).fillna("-")
            != both["quartile_ref"].astype(object).fillna("-")
        ).sum()
    )
    return out


def agreement_line(diffs: dict[str, float]) -> str:
    worst = max((v, c) for c, v in diffs.items() if c != "quartile")
    return (
        f"agree: max relative |Δ| {worst[0]:.1e} ({worst[1]}), "
        f"{int(diffs['quartile'])} quartile differences"
    )


# ----------------------------------------------------------------- timing


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls after one warm-up (3 if it is slow)."""
    start = time.perf_counter()
    result = fn()
    if time.perf_counter() - start > 5.0:
        repeat = min(repeat, 3)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def profile(fn: Callable[[], Any], top: int = 22) -> list[str]:
    """cProfile one call; the top entries by cumulative time, paths shortened."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = max(v[3] for v in stats.values())
    here = str(Path(__file__).resolve().parents[1]) + os.sep

    def where(file: str, line: int, name: str) -> str:
        path = file.replace(here, "")
        if "site-packages" in path:
            path = path.split("site-packages" + os.sep, 1)[1]
        elif path.startswith(sys.prefix):
            path = "stdlib:" + Path(path).name
        return f"{path}:{line}({name})" if line else name

    lines = [
        f"    total {total:.3f} s under cProfile (profiling inflates "
        "Python-heavy code)",
        "    by cumulative time:",
        f"    {'cum s':>7} {'cum %':>6} {'own s':>7} {'calls':>8}  function",
    ]
    by_cum = sorted(stats.items(), key=lambda kv: kv[1][3], reverse=True)
    for (file, line, name), (_, calls, own, cum, _) in by_cum[:top]:
        lines.append(
            f"    {cum:7.3f} {100 * cum / total:5.1f}% {own:7.3f} "
            f"{calls:8d}  {where(file, line, name)}"
        )
    lines.append("    by own time (where the time is actually spent):")
    lines.append(f"    {'cum s':>7} {'own %':>6} {'own s':>7} {'calls':>8}  function")
    by_own = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)
    for (file, line, name), (_, calls, own, cum, _) in by_own[: top // 2]:
        lines.append(
            f"    {cum:7.3f} {100 * own / total:5.1f}% {own:7.3f} "
            f"{calls:8d}  {where(file, line, name)}"
        )
    return lines


# ------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="timed calls per figure after the warm-up (median)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="folder for the generated store (default: a temp folder)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the store in --work if it is there"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="OPENBLAS/OMP/MKL threads (0: leave as the environment has them)",
    )
    parser.add_argument(
        "--profile",
        choices=("misses", "all", "none"),
        default="misses",
        help="cProfile which benchmarks",
    )
    parser.add_argument(
        "--no-pandas-pairwise",
        action="store_true",
        help="skip DataFrame.corr(method='spearman') (pairwise NaN)",
    )
    parser.add_argument(
        "--only",
        choices=("compare",),
        default=None,
        help="run only benchmarks 1 and 2 (compare)",
    )
    args = parser.parse_args()
    if args.blas_threads:  # before numpy (imported by lacompare) loads BLAS
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    import duckdb
    import numpy as np
    import pandas as pd
    import scipy
    from scipy import stats as sstats

    from lacompare.analysis import compare
    from lacompare.analysis.neighbours import compute_neighbours
    from lacompare.analysis.significance import correlation_matrix
    from lacompare.store import open_store

    work = args.work or Path(tempfile.mkdtemp(prefix="lacompare-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench_analysis.duckdb"
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(
        f"python {sys.version.split()[0]}, duckdb {duckdb.__version__}, "
        f"pandas {pd.__version__}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}; {os.cpu_count()} CPUs"
    )
    print(
        f"OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = {threads}"
        + (
            " (set by this bench: --blas-threads)"
            if args.blas_threads
            else " (from the environment)"
        )
    )
    if args.keep and db.exists():
        print(f"reusing {db}")
    else:
        info = build_store(db)
        print(
            f"generated {db}: {info['authorities']} authorities × "
            f"{info['measures']} measures × {len(YEARS)} years = "
            f"{info['observations']:,} observations "
            f"({info['missing'] / info['observations']:.1%} missing with reasons), "
            f"{info['totals']:,} published totals; {info['size_mb']:.0f} MB in "
            f"{info['seconds']:.1f} s; neighbour set '{NEIGHBOUR_SET}' (10 "
            f"variables, k=10) in {info['neighbour_seconds']:.2f} s"
        )
    store = open_store(db)
    con = store.con
    duck_threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    print(
        f"DuckDB threads: {duck_threads}; warm timings: median of {args.repeat} "
        "calls after one warm-up (3 when the warm-up takes over 5 s)"
    )
    print("load average at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    table: list[tuple[str, float, float, float, str]] = []
    fns: dict[str, Callable[[], Any]] = {}

    def report(
        key: str, name: str, ours: float, ref: float, ref_name: str, extra: list[str]
    ) -> None:
        print(f"\n{name}")
        print(f"  lacompare : {fmt(ours):>10}")
        print(f"  reference : {fmt(ref):>10}  ({ref_name})")
        print(f"  ratio     : {ours / ref:10.1f}x")
        for line in extra:
            print(f"  {line}")
        table.append((name, TARGETS[key], ours, ref, key))

    def finish() -> None:
        # Summary table.
        print(
            f"\n{'benchmark':<58} {'target':>8} {'measured':>10} {'reference':>10} "
            f"{'ratio':>7}  result"
        )
        misses = []
        for name, target, ours, ref, key in table:
            ok = ours < target
            if not ok and key not in misses:
                misses.append(key)
            print(
                f"{name:<58} {fmt(target):>8} {fmt(ours):>10} {fmt(ref):>10} "
                f"{ours / ref:6.1f}x  {'PASS' if ok else 'MISS'}"
            )
        print("load average at end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        chosen = {"misses": misses, "all": list(fns), "none": []}[args.profile]
        for key in chosen:
            print(
                f"\ncProfile of one call: {key} "
                f"({'missed its target' if key in misses else 'for reference'})"
            )
            for line in profile(fns[key]):
                print(line)
        store.close()
        if not args.work:
            import shutil

            shutil.rmtree(work, ignore_errors=True)

    # 1. One authority's full comparison.
    def ours_one() -> Any:
        return compare(store, LA, None, neighbour_set=NEIGHBOUR_SET).table

    def ref_fetch() -> Any:
        return fetch_context(con, NEIGHBOUR_SET)

    def ref_one() -> Any:
        return reference_compare(fetch_context(con, NEIGHBOUR_SET), [LA_CODE])

    t_one, one = timed(ours_one, args.repeat)
    t_fetch, ctx = timed(ref_fetch, args.repeat)
    t_ref_one, ref1 = timed(ref_one, args.repeat)
    t_ref_one_calc, _ = timed(lambda: reference_compare(ctx, [LA_CODE]), args.repeat)
    t_sql, sql1 = timed(
        lambda: reference_sql_one(con, LA_CODE, NEIGHBOUR_SET), args.repeat
    )
    cols = [
        "value",
        "n",
        "authorities_mean",
        "authorities_sd",
        "neighbours_n",
        "neighbours_mean",
        "neighbours_median",
        "region_value",
        "england_value",
        "rank",
        "z",
    ]
    report(
        "one",
        f"1. compare: one authority ({LA}) × {N_MEASURES} measures",
        t_one,
        t_ref_one,
        "DuckDB → wide frame, then numpy/pandas",
        [
            f"reference split: fetch {fmt(t_fetch)}, compute "
            f"{fmt(t_ref_one_calc)}; {len(one)} rows",
            agreement_line(max_diff(one, ref1, cols)),
            f"one DuckDB SQL query (450 rows out): {fmt(t_sql)} (ratio "
            f"{t_one / t_sql:.1f}x); " + agreement_line(max_diff(one, sql1, cols)),
        ],
    )
    fns["one"] = ours_one

    # 2. Every authority.
    def ours_all() -> Any:
        return compare(store, "all", None, neighbour_set=NEIGHBOUR_SET).table

    def ref_all() -> Any:
        return reference_compare(fetch_context(con, NEIGHBOUR_SET), None)

    t_all, every = timed(ours_all, args.repeat)
    t_ref_all, ref2 = timed(ref_all, args.repeat)
    t_ref_all_calc, _ = timed(lambda: reference_compare(ctx, None), args.repeat)
    report(
        "all",
        f"2. compare: all authorities × {N_MEASURES} measures",
        t_all,
        t_ref_all,
        "DuckDB → wide frame, then numpy/pandas",
        [
            f"reference split: fetch {fmt(t_fetch)}, compute "
            f"{fmt(t_ref_all_calc)}; {len(every):,} rows",
            agreement_line(max_diff(every, ref2, cols)),
        ],
    )
    fns["all"] = ours_all

    if args.only == "compare":
        finish()
        return

    # 3. All-pairs Spearman for one period.
    measures = all_measures()

    def ours_corr() -> Any:
        return correlation_matrix(store, measures, "spearman", period=PERIOD)

    wide = fetch_wide(con)
    complete = wide.dropna()
    dense_from = (
        f"the {len(complete)} complete-case authorities"
        if len(complete) >= 10
        else f"all {len(wide)} authorities, missing cells filled with the "
        f"column median (only {len(complete)} complete cases)"
    )

    def ref_dense() -> Any:
        w = fetch_wide(con)
        c = w.dropna()
        m = c if len(c) >= 10 else w.fillna(w.median())
        return sstats.spearmanr(m.to_numpy())

    t_corr, corr = timed(ours_corr, args.repeat)
    t_dense, _ = timed(ref_dense, args.repeat)
    extra = [f"scipy.stats.spearmanr on {dense_from}: {fmt(t_dense)} (fetch included)"]
    t_pw = None
    if not args.no_pandas_pairwise:
        t_pw, pw = timed(lambda: fetch_wide(con).corr(method="spearman"), args.repeat)
        diff = np.nanmax(
            np.abs(corr.r.to_numpy() - pw.loc[measures, measures].to_numpy())
        )
        extra.append(
            f"pandas DataFrame.corr('spearman'), pairwise NaN: "
            f"{fmt(t_pw)} (ratio {t_corr / t_pw:.2f}x); agree: max |Δr| "
            f"{diff:.1e}"
        )
    npairs = int(np.isfinite(np.triu(corr.r.to_numpy(), 1)).sum())
    extra.append(
        f"{npairs:,} pairs; {int(wide.isna().to_numpy().sum())} missing "
        f"cells in {int(wide.isna().any().sum())} of {wide.shape[1]} "
        "measures"
    )
    report(
        "spearman",
        f"3. correlation_matrix: Spearman, {N_MEASURES} measures, {PERIOD}",
        t_corr,
        t_dense,
        "scipy.stats.spearmanr, dense",
        extra,
    )
    fns["spearman"] = ours_corr
    if t_pw is not None:
        table.append(
            (
                "   (same, against pandas pairwise corr)",
                TARGETS["spearman"],
                t_corr,
                t_pw,
                "spearman",
            )
        )

    # 4. Neighbours for every authority.
    variables = context_measures()

    def ours_nb() -> Any:
        return compute_neighbours(
            store, variables, k=10, period=PERIOD, set_id="bench-timing", replace=True
        )

    t_nb, nbset = timed(ours_nb, args.repeat)
    t_ref_nb, (codes, order, _) = timed(
        lambda: reference_neighbours(con, variables), args.repeat
    )
    ours_lists = (
        nbset.neighbours.sort_values(["la_code", "rank"])
        .groupby("la_code")["neighbour_code"]
        .agg(tuple)
    )
    ref_lists = pd.Series([tuple(codes[o]) for o in order], index=codes)
    same = int((ours_lists.reindex(codes) == ref_lists).sum())
    report(
        "neighbours",
        f"4. compute_neighbours: {len(codes)} authorities, "
        f"{len(variables)} variables, k=10",
        t_nb,
        t_ref_nb,
        "DuckDB → wide frame, z-scores, cdist, argsort",
        [f"agree: {same} of {len(codes)} neighbour lists identical"],
    )
    fns["neighbours"] = ours_nb

    finish()


if __name__ == "__main__":
    main()
