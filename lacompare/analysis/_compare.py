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

The distribution (n, mean, SD, region and England values) comes from every
authority: one DuckDB pass over ``observations`` finds each measure's breakdowns and
latest period, a second fetches the chosen period's values as numbers, and numpy
works on an authorities × measures matrix. Ranks, neighbours and flags are worked out
only for the authorities asked for, so one authority costs little more than the two
passes.
"""

from __future__ import annotations

import functools
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
    "la_code",
    "la_name",
    "measure",
    "label",
    "unit",
    "polarity",
    "period",
    "breakdown",
    "value",
    "missing_reason",
    "n",
    "authorities_mean",
    "authorities_sd",
    "neighbour_set",
    "neighbours_n",
    "neighbours_mean",
    "neighbours_median",
    "region",
    "region_value",
    "region_source",
    "england_value",
    "england_source",
    "rank",
    "rank_of",
    "rank_order",
    "quartile",
    "z",
    "flag",
    "flag_level",
    "test",
    "lower_95",
    "upper_95",
    "lower_998",
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
            lines.append(
                f"left out of the distribution ({reason}): "
                + ", ".join(sorted(set(rows["la_name"])))
            )
        lines.extend(i.message for i in self.issues)
        lines.extend(self._computed_areas())
        return lines

    def _computed_areas(self) -> list[str]:
        """A note for each England or region figure that is not a published one
        (issue 16: a computed figure is said so in every output, not only in the
        CSV's ``*_source`` columns)."""
        t = self.table
        out = []
        for col, area in (("england_source", None), ("region_source", "region")):
            if col not in t.columns:
                continue
            keys = ["measure", col] + ([area] if area else [])
            for row in t[keys].drop_duplicates().itertuples(index=False):
                source = row[1]
                if isinstance(source, str) and source.startswith("computed"):
                    where = "England" if area is None else str(row[2])
                    out.append(
                        f"{where}'s {row[0]} is not a published figure: {source}"
                    )
        return out


#: A measure list at most this long filters the one pass over observations; a
#: longer one (or none) scans every measure (a large IN list costs more than it saves).
_FEW_MEASURES = 64
#: Targets ranked per block (the rank counts build a block × authorities × measures
#: boolean array).
_RANK_BLOCK = 32


def _resolve_las(
    la: str | Sequence[str] | None,
    period: str | None = None,
) -> list[str] | None:
    """Store keys of the requested authorities (None = all).

    Exact names, codes and aliases only (:func:`lacompare.geography.
    match_authority_strict`): a misspelling is refused with the nearest names, and
    an authority that did not exist in ``period`` (today's, with no period) is
    refused naming its successors, where it would otherwise give an empty row.
    """
    if la is None or (isinstance(la, str) and la.strip().lower() in ("all", "*")):
        return None
    from lacompare.cells import period_as_of
    from lacompare.geography import match_authority_strict
    from lacompare.store import authority_key

    day = period_as_of(period) if period else None
    items = [la] if isinstance(la, str) else list(la)
    out = []
    for item in items:
        # 'dfe:820' is how the store keys an authority that never had an ONS code.
        text = str(item).strip().removeprefix("dfe:")
        m = match_authority_strict(text, as_of=day, current=day is None)
        out.append(authority_key(m.la_code, m.dfe_code))
    return list(dict.fromkeys(out))


def _not_then(
    auth: list[tuple[Any, ...]],
    n_extra: int,
    meta: list[tuple[Any, ...]],
    chosen: dict[str, str],
) -> tuple[Any, list[str]]:
    """Authorities × measures: True where the authority did not exist on the day
    of the measure's compared period (codes not in the registry: False), and each
    measure's day (ISO text) for the notes."""
    import numpy as np

    from lacompare.derive import reference_day

    days = [reference_day(chosen[r[0]], r[4]) if r[0] in chosen else None for r in meta]
    out = np.zeros((len(auth) + n_extra, len(meta)), dtype=bool)
    for j, day in enumerate(days):
        if day is None:
            continue
        out[: len(auth), j] = [
            (r[6] is not None and day < r[6]) or (r[5] is not None and day > r[5])
            for r in auth
        ]
    return out, [d.isoformat() if d else "" for d in days]


def _requested(measures: str | Sequence[str] | None) -> list[str] | None:
    if isinstance(measures, str):
        return [m.strip() for m in measures.split(",") if m.strip()]
    return None if measures is None else list(measures)


def _scan(store: Store, wanted: list[str] | None) -> dict[str, dict[str, list[str]]]:
    """One pass over observations: each measure's breakdowns and, for each, the
    periods with any value (which measures hold values, the breakdown check and the
    latest period all come from this)."""
    only, params = "", []
    if wanted is not None and len(wanted) <= _FEW_MEASURES:
        only, params = "WHERE measure IN (SELECT unnest(?::VARCHAR[]))", [wanted]
    res = store.con.execute(
        f"""SELECT measure, breakdown, period, count(value) > 0 AS valued
            FROM observations {only} GROUP BY ALL""",
        params,
    ).fetchnumpy()
    measures, breakdowns = res["measure"].tolist(), res["breakdown"].tolist()
    out: dict[str, dict[str, list[str]]] = {}
    for measure, breakdown in set(zip(measures, breakdowns, strict=True)):
        out.setdefault(measure, {})[breakdown] = []
    for measure, breakdown, period, valued in zip(
        measures,
        breakdowns,
        res["period"].tolist(),
        res["valued"].tolist(),
        strict=True,
    ):
        if valued:
            out[measure][breakdown].append(period)
    return out


def _measures(
    store: Store, wanted: list[str] | None, scan: dict[str, dict[str, list[str]]]
) -> list[tuple[Any, ...]]:
    """(measure, label, unit, polarity, reference_date) of the measures compared, in
    the order asked (by name when none were named)."""
    rows = store.con.execute(
        """SELECT measure, label, unit, coalesce(polarity, 'neutral'), reference_date
           FROM measures WHERE coalesce(unit, '') <> 'category'"""
    ).fetchall()
    meta = {r[0]: r for r in rows if r[0] in scan}
    if wanted is None:
        return [meta[m] for m in sorted(meta)]
    missing = [m for m in wanted if m not in meta]
    if missing:
        from lacompare.derive import measure_info

        for m in missing:
            measure_info(store, m)  # raises a one-line error naming near measures
        raise InputError(f"measure(s) {', '.join(missing)} hold no numbers")
    last = {m: i for i, m in enumerate(wanted)}
    return [meta[m] for m in sorted(last, key=last.__getitem__)]


def _check_breakdown(
    scan: dict[str, dict[str, list[str]]], measures: list[str], breakdown: str
) -> str:
    """The breakdown to compare: exact, or the one breakdown containing the text.

    A breakdown a measure does not have is refused, naming the ones it has.
    """
    rows = [(m, sorted(scan[m])) for m in measures]
    if breakdown and rows and all(breakdown not in a for _, a in rows):
        hits = {b for _, a in rows for b in a if breakdown.lower() in b.lower()}
        if len(hits) == 1:
            breakdown = hits.pop()
    for measure, available in rows:
        if breakdown not in available:
            shown = "; ".join(repr(b) for b in available[:8])
            raise InputError(
                f"measure {measure!r} has no breakdown {breakdown!r} "
                f"('' is the total); it has: {shown} — choose one with "
                "--breakdown"
            )
    return breakdown


def _chosen_periods(
    scan: dict[str, dict[str, list[str]]],
    meta: list[tuple[Any, ...]],
    period: str | None,
    breakdown: str,
) -> dict[str, str]:
    """The period compared for each measure: the one given, else the latest (by
    reference day, then period) with any value."""
    from lacompare.derive import reference_day

    if period is not None:
        return {r[0]: str(period) for r in meta}
    days: dict[tuple[str, str | None], Any] = {}  # few distinct (period, reference)
    latest: dict[tuple[tuple[str, ...], str | None], str | None] = {}  # by period list
    out = {}
    for measure, _, _, _, ref in meta:
        ref = ref if isinstance(ref, str) else None
        periods = tuple(sorted(scan[measure].get(breakdown, ())))
        if (periods, ref) not in latest:
            best = None
            for p in periods:
                if (p, ref) not in days:
                    days[(p, ref)] = reference_day(p, ref)
                day = days[(p, ref)]
                if day is not None and (best is None or (day, p) > best):
                    best = (day, p)
            latest[(periods, ref)] = None if best is None else best[1]
        chosen = latest[(periods, ref)]
        if chosen is not None:
            out[measure] = chosen
    return out


def _filled(col: Any, fill: Any) -> Any:
    """A column from ``fetchnumpy`` with NULLs as ``fill``."""
    import numpy as np

    if not np.ma.isMaskedArray(col):
        return np.asarray(col)
    data = np.ma.getdata(col)
    if data.dtype == object or isinstance(fill, float):
        data = data.astype(object if data.dtype == object else float)
    return np.where(np.ma.getmaskarray(col), fill, data)


def _values(
    store: Store,
    measures: list[str],
    chosen: dict[str, str],
    codes: list[str],
    breakdown: str,
    reasons_for: list[int] | None,
    full: bool = False,
) -> dict[str, Any]:
    """Every authority's value of each measure in its chosen period, as arrays:
    ``key`` = authority index (into ``codes``; -1 when ``authorities`` lacks it) ×
    number of measures + measure index; ``value`` (NaN when missing);
    ``missing_reason`` (only for the authorities ``reasons_for``, None = all).

    ``full`` adds ``source_id`` and, for codes not in ``authorities``, ``other`` (the
    code): the caller asks again with it when a key repeats or is negative (rare).
    """
    import numpy as np

    idx = [i for i, m in enumerate(measures) if m in chosen]
    if not idx:
        return {
            "key": np.array([], dtype=np.int64),
            "value": np.array([]),
            "missing_reason": np.array([], dtype=object),
        }
    reason = "o.missing_reason"
    params: dict[str, Any] = {
        "m": [measures[i] for i in idx],
        "p": [chosen[measures[i]] for i in idx],
        "i": idx,
        "l": codes,
        "b": breakdown,
        "n": len(measures),
    }
    if reasons_for is not None and not full:
        reason = (
            "CASE WHEN list_contains($t::BIGINT[], a.la_i) THEN o.missing_reason END"
        )
        params["t"] = reasons_for
    extra = (
        ", o.source_id, CASE WHEN a.la_i IS NULL THEN o.la_code END AS other"
        if full
        else ""
    )
    res = store.con.execute(
        f"""SELECT coalesce(a.la_i, -1) * $n + c.m_i AS key,
                   coalesce(o.value, 'NaN'::DOUBLE) AS value,
                   {reason} AS missing_reason {extra}
            FROM observations o
            JOIN (SELECT unnest($m::VARCHAR[]) AS measure,
                         unnest($p::VARCHAR[]) AS period,
                         unnest($i::BIGINT[]) AS m_i) c
              ON c.measure = o.measure AND c.period = o.period
            LEFT JOIN (SELECT unnest($l::VARCHAR[]) AS la_code,
                              generate_subscripts($l::VARCHAR[], 1) - 1 AS la_i) a
              ON a.la_code = o.la_code
            WHERE o.breakdown = $b""",
        params,
    ).fetchnumpy()
    out = {
        "key": np.asarray(res["key"], dtype=np.int64),
        "value": np.asarray(res["value"], dtype=float),
        "missing_reason": _filled(res["missing_reason"], None),
    }
    if full:
        out["source_id"] = np.asarray(res["source_id"], dtype=np.int64)
        out["other"] = _filled(res["other"], None)
    return out


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
            "SELECT DISTINCT set_id FROM neighbours ORDER BY 1 DESC"
        ).fetchall()
        return str(loose[0][0]) if loose else None
    if neighbour_set in sets:
        return neighbour_set
    known = set(sets) | {
        r[0]
        for r in store.con.execute("SELECT DISTINCT set_id FROM neighbours").fetchall()
    }
    if neighbour_set not in known:
        raise InputError(
            f"no neighbour set {neighbour_set!r}; the store has: "
            + (", ".join(sorted(known)) or "none")
        )
    return neighbour_set


def _totals(
    store: Store,
    chosen: dict[str, str],
    breakdown: str,
    regions: list[str] | None,
    derived: set[int],
) -> list[tuple[Any, ...]]:
    """Published (or derived-from-published) England and region rows of the chosen
    periods, the latest source's for each area: (area_code, area_name, measure,
    value, source); only England and ``regions`` when given. ``derived``: the
    source ids of derivations."""
    if not chosen:
        return []
    params: dict[str, Any] = {"b": breakdown, "periods": sorted(set(chosen.values()))}
    areas = ""
    if regions is not None:
        areas = "AND (area_code IS NULL OR list_contains($areas::VARCHAR[], area_code))"
        params["areas"] = [ENGLAND_CODE, *regions]
    rows = store.con.execute(
        f"""SELECT area_code, area_name, measure, period, value, source_id
            FROM totals
            WHERE breakdown = $b AND value IS NOT NULL
              AND list_contains($periods::VARCHAR[], period) {areas}""",
        params,
    ).fetchall()
    latest: dict[tuple[Any, str], tuple[Any, ...]] = {}
    for code, name, measure, period, value, source_id in rows:
        if chosen.get(measure) != period:
            continue
        key = (code if code is not None else name, measure)
        if key not in latest or source_id > latest[key][-1]:
            latest[key] = (code, name, measure, value, source_id)
    return [
        (
            code,
            name,
            measure,
            value,
            "derived from published totals" if source_id in derived else "published",
        )
        for code, name, measure, value, source_id in latest.values()
    ]


def _rate_inputs(
    store: Store,
    chosen: dict[str, str],
    breakdown: str,
    recipes: dict[str, dict[str, Any]],
) -> list[tuple[Any, ...]]:
    """Numerator and denominator of each authority's derived rate: (la_code,
    measure, num, den)."""
    from lacompare.derive import INPUTS_TABLE, has_table

    rates = [
        m
        for m, r in recipes.items()
        if r.get("recipe") in ("rate", "per-head", "ratio") and m in chosen
    ]
    if not rates or not has_table(store, INPUTS_TABLE):
        return []
    ids = [recipes[m]["source_id"] for m in rates]
    return store.con.execute(
        f"""SELECT i.la_code, i.measure,
                   max(i.input_value) FILTER (i.role = 'numerator') AS num,
                   max(i.input_value) FILTER (i.role = 'denominator') AS den
            FROM {INPUTS_TABLE} i
            JOIN (SELECT unnest($m::VARCHAR[]) AS measure,
                         unnest($p::VARCHAR[]) AS period) c
              ON c.measure = i.measure AND c.period = i.period
            WHERE i.level = 'authority' AND i.breakdown = $b
              AND i.source_id IN (SELECT unnest($ids))
            GROUP BY i.la_code, i.measure""",
        {"m": rates, "p": [chosen[m] for m in rates], "b": breakdown, "ids": ids},
    ).fetchall()


def funnel_limits(theta: Any, population: Any, p: float, model: str = "poisson") -> Any:
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
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...                   "value, "
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
    from lacompare.derive import DERIVED_PREFIX, recipe_of

    bad = [a for a in against if a not in AGAINST]
    if bad:
        raise InputError(
            f"cannot compare against {', '.join(bad)}; choose from "
            + ", ".join(AGAINST)
        )
    if funnel_model not in FUNNEL_MODELS:
        raise InputError(f"funnel_model must be one of {', '.join(FUNNEL_MODELS)}")
    issues = IssueLog()
    auth = store.con.execute(
        "SELECT la_code, dfe_code, la_name, region, region_code, valid_to, "
        "valid_from FROM authorities"
    ).fetchall()
    targets = _resolve_las(la, period)
    wanted = _requested(measures)
    if wanted is not None and not wanted:
        raise InputError("no numeric measures in the store to compare")
    scan = _scan(store, wanted)
    meta = _measures(store, wanted, scan)
    if not meta:
        raise InputError("no numeric measures in the store to compare")
    names = [r[0] for r in meta]
    breakdown = _check_breakdown(scan, names, breakdown)
    chosen = _chosen_periods(scan, meta, period, breakdown)
    codes = [r[0] for r in auth]
    n_m = len(names)
    if targets is not None:
        at = {c: i for i, c in enumerate(codes)}
        reasons_for: list[int] | None = [at[t] for t in targets if t in at]
    else:
        reasons_for = None
    raw = _values(store, names, chosen, codes, breakdown, reasons_for)
    key = raw["key"]
    if len(key) and (key.min() < 0 or np.bincount(key).max() > 1):
        # Codes missing from authorities, or values from several sources: again
        # with the codes and source ids.
        raw = _values(store, names, chosen, codes, breakdown, None, full=True)
        key = raw["key"]
    if period is not None and not len(key):
        raise InputError(f"no values for period {period}")
    no_period = sorted(set(names) - set(chosen))
    if no_period:
        issues.add(
            "no-values",
            "no values to compare for "
            + ", ".join(no_period[:10])
            + (" …" if len(no_period) > 10 else ""),
        )

    # Authorities × measures matrices: the store's authorities, then any other code
    # with a value.
    la_i, m_i = key // n_m, key % n_m
    extras: list[str] = []
    if "other" in raw:
        other = la_i < 0
        extras = sorted({str(c) for c in raw["other"][other]})
        at = {c: len(codes) + k for k, c in enumerate(extras)}
        la_i[other] = [at[str(c)] for c in raw["other"][other]]
    univ = codes + extras
    n_la = len(univ)
    la_name = np.array([r[2] for r in auth] + [None] * len(extras), dtype=object)
    region = np.array([r[3] for r in auth] + [None] * len(extras), dtype=object)
    region_code = [r[4] for r in auth] + [None] * len(extras)
    if "source_id" in raw:
        keep = _latest_source(la_i * n_m + m_i, raw["source_id"])
        la_i, m_i = la_i[keep], m_i[keep]
        raw = {k: v[keep] for k, v in raw.items()}
    row_of = np.full((n_la, n_m), -1, dtype=np.int64)  # row of raw, -1: none
    row_of[la_i, m_i] = np.arange(len(la_i))
    present = row_of >= 0
    value = np.full((n_la, n_m), np.nan)
    value[la_i, m_i] = raw["value"]

    # Authorities left out of the distribution.
    ex = [exclude] if isinstance(exclude, str) else list(exclude or [])
    dropped = np.zeros(n_la, dtype=bool)
    why = np.full(n_la, None, dtype=object)
    if any(str(e).strip() for e in ex):
        pos = {c: i for i, c in enumerate(univ)}
        drop = resolve_exclusions(store, exclude)
        for code, because in zip(drop["la_code"], drop["reason"], strict=True):
            if code in pos:
                dropped[pos[code]], why[pos[code]] = True, because
    by_code = _by_code(univ)
    xl, xm = np.nonzero(present[by_code] & dropped[by_code][:, None])
    xl = by_code[xl]
    if len(xl):
        excluded = pd.DataFrame(
            {
                "measure": pd.Series([names[m] for m in xm], dtype="str"),
                "la_code": pd.Series([univ[i] for i in xl], dtype="str"),
                "la_name": pd.Series(la_name[xl].tolist(), dtype="str"),
                "reason": pd.Series(why[xl].tolist(), dtype="str"),
            }
        )
    else:
        excluded = _no_exclusions().copy()
    # Each measure's distribution holds the authorities that existed on its
    # period's day: a value filed under a council after its abolition, or under
    # its successor before that was created, would count one area twice.
    gone, days = _not_then(auth, len(extras), meta, chosen)
    gl, gm = np.nonzero(present & gone & ~np.isnan(value) & ~dropped[:, None])
    if len(gl):
        excluded = pd.concat(
            [
                excluded,
                pd.DataFrame(
                    {
                        "measure": pd.Series([names[m] for m in gm], dtype="str"),
                        "la_code": pd.Series([univ[i] for i in gl], dtype="str"),
                        "la_name": pd.Series(la_name[gl].tolist(), dtype="str"),
                        "reason": pd.Series(
                            [f"did not exist on {days[m]}" for m in gm], dtype="str"
                        ),
                    }
                ),
            ],
            ignore_index=True,
        )

    # Distribution of authorities per measure: n, mean, SD (ddof=1).
    in_dist = present & ~np.isnan(value) & ~dropped[:, None] & ~gone
    dist = np.where(in_dist, value, np.nan)
    n = count = in_dist.sum(axis=0)
    # Sums along contiguous rows (numpy's pairwise summation).
    total = np.ascontiguousarray(np.where(in_dist, value, 0.0).T).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        dev = np.ascontiguousarray(np.where(in_dist, value - mean, 0.0).T)
        sd = np.where(n > 1, np.sqrt((dev * dev).sum(axis=1) / (n - 1)), np.nan)
    polarity = np.array([r[3] for r in meta], dtype=object)
    sign = np.where(polarity == "higher-is-worse", 1.0, -1.0)

    # The rows returned: the targets × measures grid, or every authority with a row.
    if targets is not None:
        pos = {c: i for i, c in enumerate(univ)}
        row_la = np.repeat([pos.get(t, -1) for t in targets], n_m)
        row_m = np.tile(np.arange(n_m), len(targets))
        row_code = np.repeat(np.array(targets, dtype=object), n_m)
    else:
        ii, row_m = np.nonzero(present[by_code])
        row_la = by_code[ii]
        row_code = np.array(univ, dtype=object)[row_la]
    has = row_la >= 0
    la_safe = np.where(has, row_la, 0)
    got = has & present[la_safe, row_m]
    la_rows = np.unique(row_la[got])  # authorities with a row returned

    # Rank (1 = best; highest first for neutral), counted in blocks of targets.
    key = dist * sign
    rank_la = np.full((n_la, n_m), np.nan)
    for start in range(0, len(la_rows), _RANK_BLOCK):
        block = la_rows[start : start + _RANK_BLOCK]
        mine = key[block]
        below = (key[None, :, :] < mine[:, None, :]).sum(axis=1)
        rank_la[block] = np.where(in_dist[block], below + 1.0, np.nan)

    # Neighbours: count, mean and median of the neighbours in the distribution.
    set_id, links = None, None
    if "neighbours" in against:
        if neighbour_set is not None:  # rows of the set: it is known
            links = _neighbour_links(store, neighbour_set, targets)
        set_id = neighbour_set if links else _neighbour_set(store, neighbour_set)
    nb_n = np.zeros((n_la, n_m), dtype=np.int64)
    nb_mean = np.full((n_la, n_m), np.nan)
    nb_median = np.full((n_la, n_m), np.nan)
    if set_id is not None:
        if links is None:
            links = _neighbour_links(store, set_id, targets)
        _neighbour_stats(links, univ, la_rows, dist, nb_n, nb_mean, nb_median)
    elif "neighbours" in against:
        issues.add(
            "no-neighbours",
            "the store has no neighbour sets; neighbours columns are empty",
        )

    # Region and England: published totals, else computed from authorities.
    derived = set(
        store.con.execute(
            "SELECT coalesce(list(source_id), []) FROM sources WHERE starts_with(file, ?)",
            [DERIVED_PREFIX],
        ).fetchall()[0][0]
    )
    recipes = recipe_of(store, names) if derived else {}
    regions_needed = sorted({region_code[i] for i in la_rows} - {None})
    tot = _totals(
        store, chosen, breakdown, None if targets is None else regions_needed, derived
    )
    num = np.full((n_la, n_m), np.nan)
    den = np.full((n_la, n_m), np.nan)
    m_pos = {m: i for i, m in enumerate(names)}
    u_pos = {c: i for i, c in enumerate(univ)}
    for code, measure, nu, de in _rate_inputs(store, chosen, breakdown, recipes):
        if code in u_pos and measure in m_pos:
            i, j = u_pos[code], m_pos[measure]
            num[i, j] = np.nan if nu is None else nu
            den[i, j] = np.nan if de is None else de
    scale = np.array([_rate_scale(recipes.get(m)) for m in names])
    area = _Areas(
        dist, in_dist, num, den, scale, mean, count, has_inputs=not np.isnan(num).all()
    )
    pub_e: dict[str, tuple[float, str]] = {}
    pub_r: dict[tuple[str, str], tuple[float, str]] = {}
    for code, area_name, measure, v, source in tot:
        if code == ENGLAND_CODE or (code is None and area_name == "England"):
            pub_e.setdefault(measure, (v, source))
        if str(code or "").startswith("E12"):
            pub_r[(code, measure)] = (v, source)
    eng_value, eng_source = area.level(
        np.ones(n_la, dtype=bool), [pub_e.get(m) for m in names]
    )
    # Each region's values, row k for regions_needed[k] (the last row: none).
    codes_arr = np.array(region_code, dtype=object)
    reg_value = np.full((len(regions_needed) + 1, n_m), np.nan)
    reg_source = np.full((len(regions_needed) + 1, n_m), None, dtype=object)
    for k, rc in enumerate(regions_needed):
        reg_value[k], reg_source[k] = area.level(
            codes_arr == rc, [pub_r.get((rc, x)) for x in names]
        )
    at_region = {rc: k for k, rc in enumerate(regions_needed)}
    region_row = np.array(
        [at_region.get(rc, len(regions_needed)) for rc in region_code], dtype=np.int64
    )

    # One row each: pick out the values.
    r, m = la_safe, row_m
    nrows = len(row_m)
    meas = np.array(names, dtype=object)
    val = np.where(got, value[r, m], np.nan)
    n_row = np.where(got, n[m], 0)
    mean_row = np.where(got, mean[m], np.nan)
    sd_row = np.where(got, sd[m], np.nan)
    rank = np.where(got, rank_la[r, m], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(got, (val - mean_row) / sd_row, np.nan)
        band = np.ceil(4 * rank / n_row)
    letters = np.array(list(BANDS) + [None], dtype=object)
    quartile = letters[np.where(np.isfinite(band), band - 1, 4).astype(int)]
    england = np.where(got, eng_value[m], np.nan)
    flag, level, test, limits = _significance(
        got,
        m,
        val,
        z,
        n_row,
        np.where(got, num[r, m], np.nan),
        np.where(got, den[r, m], np.nan),
        england,
        names,
        recipes,
        funnel_model,
    )
    missing = (
        np.where(got, raw["missing_reason"][np.maximum(row_of[r, m], 0)], None)
        if len(raw["key"])
        else np.full(nrows, None)
    )
    if targets is not None:
        missing = np.where(np.isnan(val) & _isnull(missing), "no-value", missing)

    def text(values: Any) -> pd.Series:
        return pd.Series(values, dtype=object)

    def ints(values: Any, ok: Any) -> Any:
        return pd.arrays.IntegerArray(
            np.where(ok, values, 0).astype(np.int64), ~np.asarray(ok, dtype=bool)
        )

    def area_column(values: Any, sources: Any, kind: str) -> tuple[Any, Any]:
        if kind not in against:  # left empty: None where a row was found
            return text(_pick(got, None, np.nan)), text(np.full(nrows, None))
        values = np.where(got, values, np.nan)
        sources = np.where(got & ~np.isnan(values), sources, None)
        return values, text(sources)

    rr = region_row[r]
    rv, rs = area_column(reg_value[rr, m], reg_source[rr, m], "region")
    ev, es = area_column(england, eng_source[m], "england")
    labels = np.array([r_[1] for r_ in meta], dtype=object)
    units = np.array([r_[2] for r_ in meta], dtype=object)
    periods = np.array([chosen.get(x) for x in names], dtype=object)
    nb_ok = got & (nb_n[r, m] > 0)
    table = pd.DataFrame(
        {
            "la_code": pd.Series(row_code, dtype="str"),
            "la_name": text(_pick(has, la_name[la_safe], None)),
            "measure": pd.Series(meas[m], dtype="str"),
            "label": text(labels[m]),
            "unit": text(units[m]),
            "polarity": text(polarity[m]),
            "period": text(periods[m]),
            "breakdown": pd.Series(
                np.full(nrows, breakdown, dtype=object), dtype="str"
            ),
            "value": val,
            "missing_reason": text(missing),
            "n": ints(n_row, got & (n_row > 0)),
            "authorities_mean": mean_row,
            "authorities_sd": sd_row,
            "neighbour_set": text(_pick(got, set_id, None)),
            "neighbours_n": ints(nb_n[r, m], nb_ok),
            "neighbours_mean": np.where(nb_ok, nb_mean[r, m], np.nan),
            "neighbours_median": np.where(nb_ok, nb_median[r, m], np.nan),
            "region": text(_pick(has, region[la_safe], None)),
            "region_value": rv,
            "region_source": rs,
            "england_value": ev,
            "england_source": es,
            "rank": ints(np.nan_to_num(rank), ~np.isnan(rank)),
            "rank_of": ints(n_row, got & (n_row > 0)),
            "rank_order": text(
                _pick(got, np.where(polarity[m] == "neutral", "highest", "best"), None)
            ),
            "quartile": text(quartile),
            "z": z,
            "flag": text(flag),
            "flag_level": text(level),
            "test": text(test),
            **limits,
        }
    )
    return Comparison(
        table=table, neighbour_set=set_id, excluded=excluded, issues=issues
    )


def _pick(cond: Any, yes: Any, no: Any) -> Any:
    """:func:`numpy.where` for object values (None included)."""
    import numpy as np

    return np.where(cond, yes, no)


@functools.cache
def _no_exclusions() -> pd.DataFrame:
    """The empty ``excluded`` frame (copied for each result)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "measure": pd.Series([], dtype="str"),
            "la_code": pd.Series([], dtype=object),
            "la_name": pd.Series([], dtype="str"),
            "reason": pd.Series([], dtype=object),
        }
    )


def _isnull(values: Any) -> Any:
    import numpy as np

    return np.array([v is None or v != v for v in values], dtype=bool)


def _by_code(codes: list[str]) -> Any:
    """Indices of ``codes`` in code order."""
    import numpy as np

    return np.array(sorted(range(len(codes)), key=codes.__getitem__), dtype=np.int64)


def _latest_source(key: Any, source_id: Any) -> Any:
    """Indices keeping one row per key: the one from the latest source."""
    import numpy as np

    if not len(key) or np.bincount(key).max() <= 1:
        return np.arange(len(key))
    order = np.lexsort((source_id, key))
    k = key[order]
    return np.sort(order[np.r_[k[1:] != k[:-1], True]])


def _area_mean(dist: Any, in_dist: Any) -> tuple[Any, Any]:
    """Mean and count of each measure (column) over the rows of ``dist``."""
    import numpy as np

    count = in_dist.sum(axis=0)
    total = np.nansum(np.ascontiguousarray(dist.T), axis=1)  # pairwise summation
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan), count


def _rate_scale(recipe: dict[str, Any] | None) -> float:
    """What a rate's sum of numerators ÷ sum of denominators is multiplied by (NaN:
    not a rate)."""
    if not recipe or recipe.get("recipe") not in ("rate", "per-head", "ratio"):
        return float("nan")
    return (
        recipe.get("scale", 1.0)
        * recipe.get("numerator_unit_factor", 1.0)
        / recipe.get("denominator_unit_factor", 1.0)
    )


@dataclass
class _Areas:
    """Computes an area's value of each measure: the mean of its authorities, or for
    a rate the sum of numerators ÷ the sum of denominators."""

    dist: Any
    in_dist: Any
    num: Any
    den: Any
    scale: Any
    england_mean: Any
    england_count: Any
    has_inputs: bool = True

    def level(
        self,
        rows: Any,
        published: list[tuple[float, str] | None],
    ) -> tuple[Any, Any]:
        """Value and source per measure for the authorities ``rows`` (bool)."""
        import numpy as np

        if rows.all():  # England: the distribution's own mean
            mean, count = self.england_mean, self.england_count
        else:
            mean, count = _area_mean(self.dist[rows], self.in_dist[rows])
        value = mean.copy()
        source = np.array(
            [f"computed: mean of {c} authorities" for c in count.tolist()], dtype=object
        )
        ok = None
        if self.has_inputs:
            ok = (
                self.in_dist[rows]
                & ~np.isnan(self.num[rows])
                & ~np.isnan(self.den[rows])
            )
        if ok is not None and ok.any():
            k = ok.sum(axis=0)
            nums = np.where(ok, self.num[rows], 0.0).sum(axis=0)
            dens = np.where(ok, self.den[rows], 0.0).sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = (
                    np.where((k > 0) & (dens != 0), nums / dens, np.nan) * self.scale
                )
            use = ~np.isnan(ratio)
            value[use] = ratio[use]
            source[use] = [
                f"computed: sum of numerators ÷ sum of denominators over "
                f"{c} authorities"
                for c in k[use].tolist()
            ]
        pub = np.array([p is not None for p in published], dtype=bool)
        if pub.any():
            value[pub] = [p[0] for p in published if p is not None]
            source[pub] = [p[1] for p in published if p is not None]
        source[np.isnan(value)] = None
        return value, source


def _neighbour_links(
    store: Store,
    set_id: str,
    targets: list[str] | None,
) -> list[tuple[str, str]]:
    """(la_code, neighbour_code) of a neighbour set, for ``targets`` (None: all)."""
    only = "AND la_code IN (SELECT unnest(?::VARCHAR[]))" if targets is not None else ""
    params: list[Any] = [set_id] + ([targets] if targets is not None else [])
    return store.con.execute(
        f"SELECT la_code, neighbour_code FROM neighbours WHERE set_id = ? {only}",
        params,
    ).fetchall()


def _neighbour_stats(
    rows: list[tuple[str, str]],
    univ: list[str],
    la_rows: Any,
    dist: Any,
    nb_n: Any,
    nb_mean: Any,
    nb_median: Any,
) -> None:
    """Fill count, mean and median of each authority's neighbours' values (in the
    distribution) for the authorities ``la_rows``; ``rows``: the set's links."""
    import numpy as np

    pos = {c: i for i, c in enumerate(univ)}
    wanted = {int(i) for i in la_rows}
    lists: dict[int, list[int]] = {}
    for code, nb in rows:
        i = pos.get(code)
        if i in wanted and nb in pos:
            lists.setdefault(i, []).append(pos[nb])
    if not lists:
        return
    who = np.array(sorted(lists), dtype=np.int64)
    k = max(len(v) for v in lists.values())
    none = len(univ)  # an all-NaN row
    idx = np.full((len(who), k), none, dtype=np.int64)
    for row, i in enumerate(who):
        idx[row, : len(lists[int(i)])] = lists[int(i)]
    used = np.unique(idx[idx < none])
    rows_of = np.full(none + 1, len(used), dtype=np.int64)
    rows_of[used] = np.arange(len(used))
    gathered = np.vstack([dist[used], np.full((1, dist.shape[1]), np.nan)])
    values = gathered[rows_of[idx]]  # (t, k, m)
    count = (~np.isnan(values)).sum(axis=1)
    ordered = np.sort(values, axis=1)  # NaN last
    lo = np.maximum(count - 1, 0) // 2
    hi = count // 2
    low = np.take_along_axis(ordered, lo[:, None, :], axis=1)[:, 0, :]
    high = np.take_along_axis(ordered, hi[:, None, :], axis=1)[:, 0, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        nb_n[who] = count
        nb_mean[who] = np.where(count > 0, np.nansum(values, axis=1) / count, np.nan)
        nb_median[who] = np.where(count > 0, (low + high) / 2, np.nan)


def _significance(
    got: Any,
    m: Any,
    value: Any,
    z: Any,
    n: Any,
    num: Any,
    den: Any,
    england: Any,
    names: list[str],
    recipes: dict[str, dict[str, Any]],
    model: str,
) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Flag, level, test and funnel limits of each row: funnel limits for rates with
    a count and a population, else the z-score."""
    import numpy as np

    from lacompare.derive import choose

    is_rate = np.array(
        [
            bool(
                recipes.get(x, {}).get("recipe") == "rate"
                and recipes[x].get("numerator_unit_factor", 1.0) == 1.0
            )
            for x in names
        ],
        dtype=bool,
    )
    per_m = np.array(
        [float(recipes[x].get("scale", 1.0)) if x in recipes else 1.0 for x in names]
    )
    size = len(m)
    per = per_m[m]
    with np.errstate(invalid="ignore"):
        funnel = (
            got
            & is_rate[m]
            & ~np.isnan(num)
            & ~np.isnan(den)
            & (den > 0)
            & ~np.isnan(england)
            & ~np.isnan(value)
        )
    limits = {
        col: np.full(size, np.nan)
        for col in ("lower_95", "upper_95", "lower_998", "upper_998")
    }
    flag = np.full(size, None, dtype=object)
    level = np.full(size, None, dtype=object)
    test = np.full(size, None, dtype=object)
    if funnel.any():
        f = funnel
        theta = england[f] / per[f]
        for col, p in (
            ("lower_95", 0.025),
            ("upper_95", 0.975),
            ("lower_998", 0.001),
            ("upper_998", 0.999),
        ):
            limits[col][f] = funnel_limits(theta, den[f], p, model) * per[f]
        v = value[f]
        lo95, hi95 = limits["lower_95"][f], limits["upper_95"][f]
        lo998, hi998 = limits["lower_998"][f], limits["upper_998"][f]
        flag[f] = np.select([v > hi95, v < lo95], ["above", "below"], "within")
        level[f] = choose(
            [(v > hi998) | (v < lo998), (v > hi95) | (v < lo95)],
            ["99.8%", "95%"],
            len(v),
        )
        test[f] = (
            f"funnel limits: exact {model.capitalize()} 95%/99.8% around "
            "England's rate, for the authority's population "
            "(Spiegelhalter 2005)"
        )
    zt = got & ~funnel & ~np.isnan(z)
    if zt.any():
        zz = z[zt]
        flag[zt] = np.select([zz > Z95, zz < -Z95], ["above", "below"], "within")
        level[zt] = choose(
            [np.abs(zz) > Z998, np.abs(zz) > Z95], ["99.8%", "95%"], len(zz)
        )
        test[zt] = np.array(
            [
                f"|z| > 1.96 (95%) / 3.09 (99.8%) against {k} authorities"
                for k in n[zt].tolist()
            ],
            dtype=object,
        )
    return flag, level, test, limits
