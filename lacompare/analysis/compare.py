"""One authority (or all of them at once) against its neighbours, region and England.

For each measure: the authority's value; its statistical neighbours' mean and
median; the region's and England's values (published totals when the store has
them, else computed from the authorities, and the result says which); its rank
among all authorities respecting polarity (1 = best); the quartile band A-D (LAIT's
convention: A is the best quarter, so it flips with polarity); the z-score; and a
flag where it is significantly above or below, naming the test:

* a rate derived from a count and a population (:func:`lacompare.derive.derive_rate`)
  is judged against **funnel-plot control limits** around England's rate: exact
  Poisson (or binomial) limits at 95% and 99.8% for the authority's population,
  interpolated as in Spiegelhalter (2005), *Funnel plots for comparing institutional
  performance*, Statistics in Medicine 24:1185-1202;
* any other measure by its z-score against the distribution of authorities
  (|z| > 1.96 for 95%, > 3.09 for 99.8%; SD with ddof=1).

Everything is computed for every authority in one pass (DuckDB queries and pandas
group operations over measures), then the requested authorities are picked out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

AGAINST = ("neighbours", "region", "england")
ENGLAND_CODE = "E92000001"
FUNNEL_MODELS = ("poisson", "binomial")
#: Two-sided normal critical values for the z-score flag.
Z95, Z998 = 1.959963984540054, 3.090232306167813
BANDS = ("A", "B", "C", "D")

COLUMNS = [
    "la_code", "la_name", "measure", "label", "unit", "polarity", "period",
    "breakdown", "value", "missing_reason", "n", "authorities_mean",
    "authorities_sd", "neighbour_set", "neighbours_n", "neighbours_mean",
    "neighbours_median", "region", "region_value", "region_source",
    "england_value", "england_source", "rank", "rank_of", "rank_order", "quartile",
    "z", "flag", "flag_level", "test", "lower_95", "upper_95", "lower_998",
    "upper_998",
]


@dataclass
class Comparison:
    """The result of :func:`compare`.

    ``table`` has one row per authority × measure, columns :data:`COLUMNS`:
    ``n`` is the number of authorities with a value (the distribution behind rank,
    quartile and z); ``rank_order`` says what rank 1 is ('best' or, for a neutral
    measure, 'highest'); ``region_source``/``england_source`` say where those
    values came from; ``flag`` is 'above', 'below' or 'within' at ``flag_level``
    ('99.8%' or '95%') by ``test``; ``lower_*``/``upper_*`` are the funnel limits
    (funnel test only). ``excluded`` lists authorities left out of the
    distribution and why.
    """

    table: pd.DataFrame
    neighbour_set: str | None
    excluded: pd.DataFrame
    issues: IssueLog = field(default_factory=IssueLog)

    def notes(self) -> list[str]:
        lines = [f"neighbour set: {self.neighbour_set or 'none in the store'}"]
        for reason, rows in self.excluded.groupby("reason", sort=True):
            lines.append(f"left out of the distribution ({reason}): "
                         + ", ".join(sorted(set(rows["la_name"]))))
        lines.extend(i.message for i in self.issues)
        return lines


def _resolve_las(store: Store, la: str | Sequence[str] | None) -> list[str] | None:
    """ONS codes of the requested authorities (None = all)."""
    if la is None or (isinstance(la, str) and la.strip().lower() in ("all", "*")):
        return None
    items = [la] if isinstance(la, str) else list(la)
    auth = store.query("SELECT la_code, dfe_code, la_name, valid_to FROM authorities")
    out = []
    for item in items:
        text = str(item).strip()
        low = text.lower()
        hit = auth[(auth["la_code"].str.lower() == low)
                   | (auth["dfe_code"].fillna("").str.lower() == low)
                   | (auth["la_name"].str.lower() == low)]
        if len(hit) > 1:  # a name or DfE code shared over time: the current one
            current = hit[hit["valid_to"].isna()]
            hit = current if len(current) else hit.tail(1)
        if hit.empty:
            from lacompare.geography import resolve_authority

            m = resolve_authority(text)
            if not m.resolved:
                near = f"; nearest: {', '.join(m.candidates)}" if m.candidates else ""
                raise InputError(f"no authority {text!r}{near}")
            out.append(str(m.la_code))
        else:
            out.extend(hit["la_code"].tolist()[:1])
    return list(dict.fromkeys(out))


def _measures(store: Store, measures: str | Sequence[str] | None) -> pd.DataFrame:
    import pandas as pd

    if isinstance(measures, str):
        measures = [m.strip() for m in measures.split(",") if m.strip()]
    meta = store.query(
        """SELECT m.measure, m.label, m.unit, coalesce(m.polarity, 'neutral')
                  AS polarity, m.reference_date
           FROM measures m
           WHERE coalesce(m.unit, '') <> 'category'
             AND m.measure IN (SELECT DISTINCT measure FROM observations)""")
    if measures is None:
        return meta.sort_values("measure").reset_index(drop=True)
    missing = [m for m in measures if m not in set(meta["measure"])]
    if missing:
        from lacompare.derive._store import measure_info

        for m in missing:
            measure_info(store, m)  # raises a one-line error naming near measures
        raise InputError(f"measure(s) {', '.join(missing)} hold no numbers")
    order = {m: i for i, m in enumerate(measures)}
    meta = meta[meta["measure"].isin(list(measures))].copy()
    meta["_o"] = meta["measure"].map(order)
    return pd.DataFrame(meta.sort_values("_o").drop(columns="_o")).reset_index(
        drop=True)


def _chosen_periods(store: Store, meta: pd.DataFrame, period: str | None,
                    breakdown: str) -> pd.DataFrame:
    """The period compared for each measure: the one given, else the latest with
    any value."""
    import pandas as pd

    from lacompare.derive._dates import reference_day

    if period is not None:
        return pd.DataFrame({"measure": meta["measure"], "period": str(period)})
    rows = store.query(
        """SELECT measure, period FROM observations
           WHERE measure IN (SELECT unnest(?)) AND breakdown = ?
           GROUP BY measure, period HAVING count(value) > 0""",
        [meta["measure"].tolist(), breakdown])
    refs = dict(zip(meta["measure"], meta["reference_date"], strict=True))
    days: dict[tuple[str, Any], Any] = {}  # few distinct (period, reference) pairs
    rows["day"] = [days.setdefault((p, refs.get(m)), reference_day(p, refs.get(m)))
                   for m, p in zip(rows["measure"], rows["period"], strict=True)]
    rows = rows.dropna(subset=["day"]).sort_values(["measure", "day", "period"])
    return rows.groupby("measure", as_index=False).last()[["measure", "period"]]


def _check_breakdown(store: Store, measures: list[str], breakdown: str) -> str:
    """The breakdown to compare: exact, or the one breakdown containing the text.

    A breakdown a measure does not have is refused, naming the ones it has.
    """
    rows = store.con.execute(
        "SELECT measure, list(DISTINCT breakdown ORDER BY breakdown) FROM observations "
        "WHERE measure IN (SELECT unnest(?)) GROUP BY measure", [measures]).fetchall()
    if breakdown and rows and all(breakdown not in a for _, a in rows):
        hits = {b for _, a in rows for b in a if breakdown.lower() in b.lower()}
        if len(hits) == 1:
            breakdown = hits.pop()
    for measure, available in rows:
        if breakdown not in available:
            shown = "; ".join(repr(b) for b in available[:8])
            raise InputError(f"measure {measure!r} has no breakdown {breakdown!r} "
                             f"('' is the total); it has: {shown} — choose one with "
                             "--breakdown")
    return breakdown


def _values(store: Store, chosen: pd.DataFrame, breakdown: str) -> pd.DataFrame:
    from lacompare.derive._store import registered

    with registered(store, chosen=chosen) as names:
        return store.query(
            f"""SELECT o.la_code, a.la_name, a.region, a.region_code, o.measure,
                       o.period, o.breakdown, o.value, o.missing_reason
                FROM observations o
                JOIN {names['chosen']} c ON c.measure = o.measure
                                         AND c.period = o.period
                LEFT JOIN authorities a USING (la_code)
                WHERE o.breakdown = ?
                QUALIFY row_number() OVER (PARTITION BY o.la_code, o.measure,
                    o.period, o.breakdown ORDER BY o.source_id DESC) = 1""",
            [breakdown])


def _neighbour_set(store: Store, neighbour_set: str | None) -> str | None:
    rows = store.con.execute(
        """SELECT set_id FROM neighbour_sets
           ORDER BY valid_for DESC NULLS LAST, created_at DESC, set_id DESC"""
    ).fetchall()
    sets = [r[0] for r in rows]
    if neighbour_set is None:
        if sets:
            return str(sets[0])
        # Neighbours loaded without a neighbour_sets row still count.
        loose = store.con.execute(
            "SELECT DISTINCT set_id FROM neighbours ORDER BY 1 DESC").fetchall()
        return str(loose[0][0]) if loose else None
    known = set(sets) | {r[0] for r in store.con.execute(
        "SELECT DISTINCT set_id FROM neighbours").fetchall()}
    if neighbour_set not in known:
        raise InputError(f"no neighbour set {neighbour_set!r}; the store has: "
                         + (", ".join(sorted(known)) or "none"))
    return neighbour_set


def _neighbour_stats(store: Store, values: pd.DataFrame, set_id: str,
                     targets: list[str] | None) -> pd.DataFrame:
    from lacompare.derive._store import registered

    only = "AND n.la_code IN (SELECT unnest(?))" if targets is not None else ""
    params: list[Any] = [set_id] + ([targets] if targets is not None else [])
    with registered(store, vals=values[["la_code", "measure", "value"]]) as names:
        return store.query(
            f"""SELECT n.la_code, v.measure, count(v.value) AS neighbours_n,
                       avg(v.value) AS neighbours_mean,
                       median(v.value) AS neighbours_median
                FROM neighbours n JOIN {names['vals']} v
                     ON v.la_code = n.neighbour_code
                WHERE n.set_id = ? {only}
                GROUP BY n.la_code, v.measure""", params)


def _totals(store: Store, chosen: pd.DataFrame, breakdown: str) -> pd.DataFrame:
    """Published (or derived-from-published) England and region rows."""
    from lacompare.derive._store import DERIVED_PREFIX, registered

    with registered(store, chosen=chosen) as names:
        return store.query(
            f"""SELECT t.area_code, t.area_name, t.measure, t.value,
                       CASE WHEN starts_with(s.file, ?)
                            THEN 'derived from published totals'
                            ELSE 'published' END AS source
                FROM totals t
                JOIN {names['chosen']} c ON c.measure = t.measure
                                         AND c.period = t.period
                LEFT JOIN sources s USING (source_id)
                WHERE t.breakdown = ? AND t.value IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY coalesce(t.area_code,
                    t.area_name), t.measure ORDER BY t.source_id DESC) = 1""",
            [DERIVED_PREFIX, breakdown])


def _rate_inputs(store: Store, chosen: pd.DataFrame, breakdown: str,
                 recipes: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Numerator and denominator of each authority's derived rate."""
    import pandas as pd

    from lacompare.derive._store import INPUTS_TABLE, has_table, registered

    rates = [m for m, r in recipes.items() if r.get("recipe") in (
        "rate", "per-head", "ratio")]
    if not rates or not has_table(store, INPUTS_TABLE):
        return pd.DataFrame(columns=["la_code", "measure", "num", "den"])
    ids = [recipes[m]["source_id"] for m in rates]
    with registered(store, chosen=chosen[chosen["measure"].isin(rates)]) as names:
        return store.query(
            f"""SELECT i.la_code, i.measure,
                       max(i.input_value) FILTER (i.role = 'numerator') AS num,
                       max(i.input_value) FILTER (i.role = 'denominator') AS den
                FROM {INPUTS_TABLE} i
                JOIN {names['chosen']} c ON c.measure = i.measure
                                         AND c.period = i.period
                WHERE i.level = 'authority' AND i.breakdown = ?
                  AND i.source_id IN (SELECT unnest(?))
                GROUP BY i.la_code, i.measure""", [breakdown, ids])


def funnel_limits(theta: Any, population: Any, p: float,
                  model: str = "poisson") -> Any:
    """Exact funnel-plot control limit (as a proportion) at probability ``p``.

    For a target proportion ``theta`` and population ``n``, the ``p`` quantile of
    the count (Poisson with mean ``theta * n``, or binomial(n, theta)),
    interpolated between integers as in Spiegelhalter (2005), divided by ``n``.

    Examples
    --------
    >>> round(float(funnel_limits(0.007, 20000, 0.975)) * 10_000, 2)
    81.58
    """
    import numpy as np
    from scipy import stats

    theta = np.asarray(theta, dtype=float)
    n = np.asarray(population, dtype=float)
    if model == "poisson":
        dist = stats.poisson(theta * n)
    elif model == "binomial":
        dist = stats.binom(np.round(n).astype(int), theta)
    else:
        raise InputError(f"funnel model must be one of {', '.join(FUNNEL_MODELS)}")
    y = dist.ppf(p)
    upper = dist.cdf(y)
    lower = dist.cdf(y - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(upper > lower, (upper - p) / (upper - lower), 0.0)
        return (y - alpha) / n


def compare(
    store: Store,
    la: str | Sequence[str] | None,
    measures: str | Sequence[str] | None = None,
    *,
    against: Sequence[str] = AGAINST,
    period: str | None = None,
    neighbour_set: str | None = None,
    breakdown: str = "",
    exclude: Sequence[str] | str | None = None,
    funnel_model: str = "poisson",
) -> Comparison:
    """Compare authorities with their neighbours, region and England.

    Parameters
    ----------
    store
        An open store.
    la
        An authority (name, ONS or DfE code), several, or ``None``/``'all'`` for
        every authority with a value (all in one vectorised pass).
    measures
        Measures (a list or 'a,b'); ``None``: every numeric measure.
    against
        Any of ``neighbours``, ``region``, ``england`` (columns for the others are
        left empty).
    period
        The period to compare (default: each measure's latest period with values).
    neighbour_set
        A ``set_id`` of ``neighbour_sets`` (default: the latest by ``valid_for``,
        then ``created_at``).
    breakdown
        The breakdown compared ('' = totals).
    exclude
        Authorities left out of the distribution (rank, quartile, z), e.g. the
        Isles of Scilly; names, codes or regions.
    funnel_model
        ``poisson`` (default) or ``binomial`` limits for derived rates.

    Returns
    -------
    Comparison
        ``.table``: one row per authority × measure (see :class:`Comparison`).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute("INSERT INTO measures (measure, polarity) VALUES "
    ...     "('m', 'higher-is-worse')")
    >>> _ = s.con.execute("INSERT INTO observations (la_code, measure, period, value, "
    ...     "source_id) SELECT la_code, 'm', '2021', row_number() OVER (ORDER BY "
    ...     "la_code), 1 FROM authorities WHERE region = 'North East'")
    >>> row = compare(s, "Darlington", "m").table.iloc[0]
    >>> float(row["value"]), int(row["rank"]), int(row["rank_of"]), row["quartile"]
    (5.0, 5, 12, 'B')
    >>> row["test"]
    '|z| > 1.96 (95%) / 3.09 (99.8%) against 12 authorities'
    """
    import numpy as np
    import pandas as pd

    from lacompare.analysis.summaries import resolve_exclusions
    from lacompare.derive._store import nullable, recipe_of

    bad = [a for a in against if a not in AGAINST]
    if bad:
        raise InputError(f"cannot compare against {', '.join(bad)}; choose from "
                         + ", ".join(AGAINST))
    if funnel_model not in FUNNEL_MODELS:
        raise InputError(f"funnel_model must be one of {', '.join(FUNNEL_MODELS)}")
    issues = IssueLog()
    targets = _resolve_las(store, la)
    meta = _measures(store, measures)
    if meta.empty:
        raise InputError("no numeric measures in the store to compare")
    breakdown = _check_breakdown(store, meta["measure"].tolist(), breakdown)
    chosen = _chosen_periods(store, meta, period, breakdown)
    vals = _values(store, chosen, breakdown)
    if period is not None and vals.empty:
        raise InputError(f"no values for period {period}")
    no_period = sorted(set(meta["measure"]) - set(chosen["measure"]))
    if no_period:
        issues.add("no-values", "no values to compare for "
                   + ", ".join(no_period[:10]) + (" …" if len(no_period) > 10 else ""))
    vals = vals.merge(meta, on="measure", how="left")
    drop = resolve_exclusions(store, exclude)
    in_dist = vals["value"].notna() & ~vals["la_code"].isin(drop["la_code"])
    excluded = vals[vals["la_code"].isin(drop["la_code"])].merge(drop, on="la_code")[
        ["measure", "la_code", "la_name", "reason"]]
    dist = vals[in_dist]

    # Distribution of authorities per measure: n, mean, SD, rank, quartile, z.
    g = dist.groupby("measure")["value"]
    stats = pd.DataFrame({"n": g.count(), "authorities_mean": g.mean(),
                          "authorities_sd": g.std(ddof=1)})
    sign = np.where(vals["polarity"] == "higher-is-worse", 1.0, -1.0)
    key = pd.Series(vals["value"].to_numpy(dtype=float) * sign, index=vals.index)
    vals["rank"] = key.where(in_dist).groupby(vals["measure"]).rank(method="min")
    vals = vals.merge(stats, left_on="measure", right_index=True, how="left")
    vals["rank_of"] = vals["n"]
    vals["rank_order"] = np.where(vals["polarity"] == "neutral", "highest", "best")
    band = np.ceil(4 * vals["rank"] / vals["n"])
    vals["quartile"] = band.map(lambda b: BANDS[int(b) - 1] if b == b else None)
    with np.errstate(divide="ignore", invalid="ignore"):
        vals["z"] = (vals["value"] - vals["authorities_mean"]) / vals["authorities_sd"]

    # Neighbours.
    set_id = _neighbour_set(store, neighbour_set) if "neighbours" in against else None
    vals["neighbour_set"] = set_id
    if set_id is not None:
        nb = _neighbour_stats(store, dist, set_id, targets)
        vals = vals.merge(nb, on=["la_code", "measure"], how="left")
    else:
        if "neighbours" in against:
            issues.add("no-neighbours", "the store has no neighbour sets; neighbours "
                       "columns are empty")
        for col in ("neighbours_n", "neighbours_mean", "neighbours_median"):
            vals[col] = np.nan

    # Region and England: published totals, else computed from authorities.
    recipes = recipe_of(store, meta["measure"].tolist())
    tot = _totals(store, chosen, breakdown)
    inputs = _rate_inputs(store, chosen, breakdown, recipes)
    dist_inputs = dist[["la_code", "measure", "region_code"]].merge(
        inputs, on=["la_code", "measure"], how="inner")
    vals = _area_values(vals, dist, dist_inputs, tot, recipes, "england")
    vals = _area_values(vals, dist, dist_inputs, tot, recipes, "region")
    if "region" not in against:
        vals[["region_value", "region_source"]] = None
    england_for_funnel = vals["england_value"].copy()
    if "england" not in against:
        vals[["england_value", "england_source"]] = None

    # Significance: funnel limits for rates with a count and a population, else z.
    vals = vals.merge(inputs, on=["la_code", "measure"], how="left")
    vals = _significance(vals, recipes, england_for_funnel, funnel_model)

    if targets is not None:
        grid = pd.MultiIndex.from_product(
            [targets, meta["measure"].tolist()], names=["la_code", "measure"]
        ).to_frame(index=False)
        out = grid.merge(vals, on=["la_code", "measure"], how="left")
        names = store.query("SELECT la_code, la_name AS la_name_, region AS region_ "
                            "FROM authorities")
        out = out.merge(names, on="la_code", how="left")
        out["la_name"] = out["la_name"].fillna(out.pop("la_name_"))
        out["region"] = out["region"].fillna(out.pop("region_"))
        out = out.drop(columns=[c for c in ("label", "unit", "polarity")
                                if c in out]).merge(
            meta[["measure", "label", "unit", "polarity"]], on="measure", how="left")
        out = out.merge(chosen.rename(columns={"period": "period_"}), on="measure",
                        how="left")
        out["period"] = out["period"].fillna(out.pop("period_"))
        out["breakdown"] = breakdown
        out["missing_reason"] = out["missing_reason"].where(
            out["value"].notna() | out["missing_reason"].notna(), "no-value")
    else:
        order = {m: i for i, m in enumerate(meta["measure"])}
        out = vals.assign(_m=vals["measure"].map(order)).sort_values(
            ["la_code", "_m"]).drop(columns="_m")
    out = out.reindex(columns=COLUMNS)
    for col in ("n", "rank", "rank_of", "neighbours_n"):
        out[col] = out[col].astype("Int64")
    for col in ("la_name", "label", "unit", "polarity", "period", "missing_reason",
                "neighbour_set", "region", "region_source", "england_source",
                "rank_order", "quartile", "flag", "flag_level", "test"):
        out[col] = nullable(out[col])
    return Comparison(table=out.reset_index(drop=True), neighbour_set=set_id,
                      excluded=excluded.reset_index(drop=True), issues=issues)


def _area_values(vals: pd.DataFrame, dist: pd.DataFrame, dist_inputs: pd.DataFrame,
                 tot: pd.DataFrame, recipes: dict[str, dict[str, Any]],
                 level: str) -> pd.DataFrame:
    """Add ``<level>_value`` and ``<level>_source`` (published, else computed)."""
    import numpy as np
    import pandas as pd

    if level == "england":
        keys = ["measure"]
        pub = tot[(tot["area_code"] == ENGLAND_CODE)
                  | (tot["area_code"].isna() & (tot["area_name"] == "England"))]
        pub = pub.drop_duplicates("measure")[["measure", "value", "source"]]
        dist_k, inp_k = dist.assign(_k=1), dist_inputs.assign(_k=1)
        group = ["measure", "_k"]
    else:
        keys = ["measure", "region_code"]
        pub = tot[tot["area_code"].fillna("").str.startswith("E12")].rename(
            columns={"area_code": "region_code"})[["measure", "region_code", "value",
                                                   "source"]]
        dist_k, inp_k = dist, dist_inputs
        group = ["measure", "region_code"]
    mean = dist_k.groupby(group)["value"].agg(["mean", "count"]).reset_index()
    mean["computed"] = mean["mean"]
    mean["csource"] = "computed: mean of " + mean["count"].astype(str) + \
        " authorities"
    scale = {m: r.get("scale", 1.0) * r.get("numerator_unit_factor", 1.0)
             / r.get("denominator_unit_factor", 1.0) for m, r in recipes.items()
             if r.get("recipe") in ("rate", "per-head", "ratio")}
    if len(inp_k):
        ok = inp_k.dropna(subset=["num", "den"])
        sums = ok.groupby(group).agg(num=("num", "sum"), den=("den", "sum"),
                                     k=("num", "size")).reset_index()
        sums["ratio"] = sums["num"] / sums["den"].where(sums["den"] != 0) * \
            sums["measure"].map(scale)
        mean = mean.merge(sums[group + ["ratio", "k"]], on=group, how="left")
        use = mean["ratio"].notna()
        mean.loc[use, "computed"] = mean.loc[use, "ratio"]
        mean.loc[use, "csource"] = ("computed: sum of numerators ÷ sum of "
                                    "denominators over " + mean.loc[use, "k"]
                                    .astype(int).astype(str) + " authorities")
    mean = mean.drop(columns=[c for c in ("_k",) if c in mean])
    comp = mean[keys + ["computed", "csource"]]
    out = vals.merge(comp, on=keys, how="left").merge(
        pub.rename(columns={"value": "published", "source": "psource"}), on=keys,
        how="left")
    has_pub = out["published"].notna()
    out[f"{level}_value"] = np.where(has_pub, out["published"], out["computed"])
    out[f"{level}_source"] = np.where(has_pub, out["psource"], out["csource"])
    out[f"{level}_source"] = out[f"{level}_source"].where(
        out[f"{level}_value"].notna(), None)
    return pd.DataFrame(out.drop(columns=["computed", "csource", "published",
                                          "psource"]))


def _significance(vals: pd.DataFrame, recipes: dict[str, dict[str, Any]],
                  england: pd.Series, model: str) -> pd.DataFrame:
    import numpy as np

    from lacompare.derive._store import choose

    rates = {m: r.get("recipe") == "rate" and r.get("numerator_unit_factor", 1.0)
             == 1.0 for m, r in recipes.items()}
    is_rate = vals["measure"].isin([m for m, ok in rates.items() if ok])
    per = vals["measure"].map({m: float(r.get("scale", 1.0))
                               for m, r in recipes.items()}).fillna(1.0)
    funnel = (is_rate & vals["num"].notna() & vals["den"].notna()
              & (vals["den"] > 0) & england.notna() & vals["value"].notna())
    for col in ("lower_95", "upper_95", "lower_998", "upper_998"):
        vals[col] = np.nan
    flag = np.full(len(vals), None, dtype=object)
    level = np.full(len(vals), None, dtype=object)
    test = np.full(len(vals), None, dtype=object)
    if funnel.any():
        f = funnel.to_numpy()
        theta = (england[f] / per[f]).to_numpy()
        den = vals.loc[f, "den"].to_numpy(dtype=float)
        scale = per[f].to_numpy()
        for col, p in (("lower_95", 0.025), ("upper_95", 0.975),
                       ("lower_998", 0.001), ("upper_998", 0.999)):
            vals.loc[f, col] = funnel_limits(theta, den, p, model) * scale
        v = vals.loc[f, "value"].to_numpy(dtype=float)
        lo95 = vals.loc[f, "lower_95"].to_numpy()
        hi95 = vals.loc[f, "upper_95"].to_numpy()
        lo998 = vals.loc[f, "lower_998"].to_numpy()
        hi998 = vals.loc[f, "upper_998"].to_numpy()
        flag[f] = np.select([v > hi95, v < lo95], ["above", "below"], "within")
        level[f] = choose([(v > hi998) | (v < lo998), (v > hi95) | (v < lo95)],
                          ["99.8%", "95%"], len(v))
        test[f] = (f"funnel limits: exact {model.capitalize()} 95%/99.8% around "
                   "England's rate, for the authority's population "
                   "(Spiegelhalter 2005)")
    zt = ~funnel.to_numpy() & vals["z"].notna().to_numpy()
    if zt.any():
        z = vals.loc[zt, "z"].to_numpy(dtype=float)
        flag[zt] = np.select([z > Z95, z < -Z95], ["above", "below"], "within")
        level[zt] = choose([np.abs(z) > Z998, np.abs(z) > Z95], ["99.8%", "95%"],
                           len(z))
        n = vals.loc[zt, "n"].astype(int).astype(str).to_numpy()
        test[zt] = "|z| > 1.96 (95%) / 3.09 (99.8%) against " + n + " authorities"
    vals["flag"], vals["flag_level"], vals["test"] = flag, level, test
    return vals
