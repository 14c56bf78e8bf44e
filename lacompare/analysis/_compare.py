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
authority: one pass over the store's values finds each measure's breakdowns and
latest period, a second fetches the chosen period's values as numbers, and numpy
works on an authorities × measures matrix. Neighbours and flags are worked out only
for the rows returned, so one authority costs little more than the two passes.

:func:`compare` runs named steps: read what to compare and the values
(:mod:`._compare_read`, :mod:`._compare_grid`), leave out who does not belong,
derive each distribution, rank and band (:func:`lacompare.derive.rank_with_polarity`,
:func:`~lacompare.derive.quartile_band`), the neighbours', region's and England's
levels (:mod:`._compare_levels`), the significance flags (:mod:`._funnel`), then
assemble the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.analysis._compare_borrow import (
    borrow_rate_recipes,
    read_borrowed_inputs,
)
from lacompare.analysis._compare_grid import (
    Distribution,
    Grid,
    Plan,
    Rows,
    choose_rows,
    derive_distribution,
    derive_exclusions,
    rank_rows,
    read_grid,
    read_plan,
)
from lacompare.analysis._compare_joint import joint_flags
from lacompare.analysis._compare_levels import (
    Levels,
    derive_levels,
    derive_neighbour_stats,
)
from lacompare.analysis._compare_read import (
    choose_neighbour_set,
    read_authorities,
    read_derived_sources,
    read_neighbour_links,
    read_rate_inputs,
    read_totals,
    resolve_authorities,
)
from lacompare.analysis._funnel import FUNNEL_MODELS, derive_flags, funnel_limits
from lacompare.analysis._headline import resolve_named
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = ["AGAINST", "COLUMNS", "Comparison", "compare", "funnel_limits"]

AGAINST = ("neighbours", "region", "england")

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
    "joint_return",
    "joint_counted",
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
    ``joint_return`` flags a value published once for several authorities ('joint
    return with West Northamptonshire (Northamptonshire Children's Trust)'), which
    ``n``, ranks, quartiles, medians and computed averages count once (under its
    first member; the others have its rank and ``joint_counted`` False, so a
    reader of the table that counts values leaves them out); ``n`` is the number
    of authorities with a value (the distribution behind rank, quartile and z);
    ``rank_order``
    says what rank 1 is ('best' or, for a neutral measure, 'highest');
    ``region_source``/``england_source`` say where those values came from;
    ``flag`` is 'above', 'below' or 'within' at ``flag_level`` ('99.8%' or '95%')
    by ``test``; ``lower_*``/``upper_*`` are the funnel limits (funnel test
    only). ``excluded`` lists authorities left out of the distribution and why.
    """

    table: pd.DataFrame
    neighbour_set: str | None
    excluded: pd.DataFrame
    issues: IssueLog = field(default_factory=IssueLog)
    #: Every authority compared (``la`` None or 'all'): the notes name the joint
    #: returns in one line, not each member's measures.
    every_authority: bool = False

    def notes(self) -> list[str]:
        lines = [f"neighbour set: {self.neighbour_set or 'none in the store'}"]
        for reason, rows in self.excluded.groupby("reason", sort=True):
            lines.append(
                f"left out of the distribution ({reason}): "
                + ", ".join(sorted(set(rows["la_name"])))
            )
        lines.extend(i.message for i in self.issues)
        lines.extend(self._joint_returns())
        lines.extend(self._computed_areas())
        return lines

    def _joint_returns(self) -> list[str]:
        """A note for each authority with joint-return figures, naming them."""
        from lacompare.analysis._compare_joint import joint_return_notes

        return joint_return_notes(self.table, self.every_authority, _named)

    def _computed_areas(self) -> list[str]:
        """A note for each England or region figure that is not a published one
        (issue 16: a computed figure is said so in every output, not only in the
        CSV's ``*_source`` columns)."""
        t = self.table
        out = []
        for col, area in (("england_source", None), ("region_source", "region")):
            if col not in t.columns:
                continue
            labelled = "label" in t.columns
            keys = ["measure", col] + ([area] if area else [])
            keys += ["label"] if labelled else []
            for row in t[keys].drop_duplicates().itertuples(index=False):
                source = row[1]
                if isinstance(source, str) and source.startswith("computed"):
                    where = "England" if area is None else str(row[2])
                    name = _named(row[0], row[-1] if labelled else None)
                    out.append(f"{where}'s {name} is not a published figure: {source}")
        return out


def _named(measure: str, label: Any) -> str:
    """A measure in a note: its label with its id, or the id alone."""
    if isinstance(label, str) and label and label != measure:
        return f"{label} ({measure})"
    return measure


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
    >>> _ = s.con.execute("INSERT INTO measures (measure, polarity) VALUES "
    ...     "('m', 'higher-is-worse')")
    >>> ne = s.list_authorities().query("region == 'North East'")
    >>> _ = s.write_cells([{"la_code": c, "measure": "m", "period": "2021",
    ...     "value": float(i)} for i, c in enumerate(sorted(ne["la_code"]), 1)],
    ...     file="x")
    >>> row = compare(s, "Darlington", "m").table.iloc[0]
    >>> float(row["value"]), int(row["rank"]), int(row["rank_of"]), row["quartile"]
    (5.0, 5, 12, 'B')
    >>> row["test"]
    '|z| > 1.96 (95%) / 3.09 (99.8%) against 12 authorities'
    """

    _check_options(against, funnel_model)
    measures, specs = resolve_named(store, measures, breakdown)
    if specs is not None:  # catalogue ids in breakdowns of their own
        from lacompare.analysis._headline import compare_keys

        return compare_keys(
            store,
            la,
            specs,
            against=against,
            period=period,
            neighbour_set=neighbour_set,
            exclude=exclude,
            funnel_model=funnel_model,
        )
    issues = IssueLog()
    auth = read_authorities(store)
    targets = resolve_authorities(la, period)
    plan = read_plan(store, measures, breakdown, period)
    grid = read_grid(store, plan, auth, targets, period, issues)
    out = derive_exclusions(store, grid, plan, auth, exclude)
    dist = derive_distribution(grid, out)
    rows = choose_rows(grid, len(plan.names), targets)
    rank, quartile = rank_rows(dist, plan, rows, grid)
    set_id, links = _read_neighbours(store, against, neighbour_set, targets, issues)
    neighbours = _neighbour_stats(links, grid, dist, rows)
    levels = _derive_levels(store, plan, grid, dist, rows, targets)
    z = _z_scores(grid, dist, rows)
    flags = _derive_flags(plan, grid, dist, rows, levels, z, funnel_model)
    table = assemble_rows(
        _Parts(plan, grid, dist, rows, levels, rank, quartile, z, neighbours),
        flags,
        set_id,
        against,
        targets,
    )
    result = Comparison(table, set_id, out.excluded, issues)
    result.every_authority = targets is None
    return result


def _neighbour_stats(
    links: list[tuple[str, str]] | None, grid: Grid, dist: Distribution, rows: Rows
) -> tuple[Any, Any, Any]:
    """The neighbours' count, mean and median (a joint return once per list)."""
    return derive_neighbour_stats(
        links,
        grid.univ,
        rows.authorities,
        dist.with_partners,
        grid.joint_representative(),
    )


def _check_options(against: Sequence[str], funnel_model: str) -> None:
    bad = [a for a in against if a not in AGAINST]
    if bad:
        raise InputError(
            f"cannot compare against {', '.join(bad)}; choose from "
            + ", ".join(AGAINST)
        )
    if funnel_model not in FUNNEL_MODELS:
        raise InputError(f"funnel_model must be one of {', '.join(FUNNEL_MODELS)}")


def _read_neighbours(
    store: Store,
    against: Sequence[str],
    neighbour_set: str | None,
    targets: list[str] | None,
    issues: IssueLog,
) -> tuple[str | None, list[tuple[str, str]] | None]:
    """The neighbour set used and its links (None, None: not compared, or no set)."""
    if "neighbours" not in against:
        return None, None
    links = None
    if neighbour_set is not None:  # rows of the set: it is known
        links = read_neighbour_links(store, neighbour_set, targets)
    set_id = neighbour_set if links else choose_neighbour_set(store, neighbour_set)
    if set_id is None:
        issues.add(
            "no-neighbours",
            "the store has no neighbour sets; neighbours columns are empty",
        )
        return None, None
    if links is None:
        links = read_neighbour_links(store, set_id, targets)
    return set_id, links


def _derive_levels(
    store: Store,
    plan: Plan,
    grid: Grid,
    dist: Distribution,
    rows: Rows,
    targets: list[str] | None,
) -> Levels:
    """Region and England: published totals, else computed from authorities."""
    from lacompare.derive import recipe_of

    derived = read_derived_sources(store)
    own = recipe_of(store, plan.names) if derived else {}
    # A published rate whose derived copy recorded the population is judged by
    # funnel limits too (see _compare_borrow).
    borrowed = (
        borrow_rate_recipes(store, plan.names, plan.breakdown, own) if derived else {}
    )
    recipes = {**own, **borrowed}
    regions = sorted({grid.region_code[i] for i in rows.authorities} - {None})
    totals = read_totals(
        store,
        plan.chosen,
        plan.breakdown,
        None if targets is None else regions,
        derived,
    )
    inputs = read_rate_inputs(
        store, plan.chosen, plan.breakdown, own
    ) + read_borrowed_inputs(store, plan.chosen, borrowed)
    levels = derive_levels(
        grid.univ,
        grid.region_code,
        plan.names,
        dist.dist,
        dist.in_dist,
        (dist.mean, dist.n),
        totals,
        inputs,
        recipes,
        regions,
    )
    return levels


def _derive_flags(
    plan: Plan,
    grid: Grid,
    dist: Distribution,
    rows: Rows,
    levels: Levels,
    z: Any,
    funnel_model: str,
) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Each row's flag, level, test and funnel limits (:func:`derive_flags`)."""
    import numpy as np

    got, r, m = rows.got, rows.la_safe, rows.m
    return derive_flags(
        got,
        m,
        np.where(got, grid.value[r, m], np.nan),
        z,
        np.where(got, dist.n[m], 0),
        np.where(got, levels.num[r, m], np.nan),
        np.where(got, levels.den[r, m], np.nan),
        np.where(got, levels.england_value[m], np.nan),
        plan.names,
        levels.recipes,
        funnel_model,
    )


def _z_scores(grid: Grid, dist: Distribution, rows: Rows) -> Any:
    """Each row's z-score against its measure's distribution."""
    import numpy as np

    got, m = rows.got, rows.m
    val = np.where(got, grid.value[rows.la_safe, m], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            got, (val - np.where(got, dist.mean[m], np.nan)) / dist.sd[m], np.nan
        )


@dataclass
class _Parts:
    """What the rows are assembled from."""

    plan: Plan
    grid: Grid
    dist: Distribution
    rows: Rows
    levels: Levels
    rank: Any
    quartile: Any
    z: Any
    #: Neighbours' count, mean and median (authorities × measures).
    neighbours: tuple[Any, Any, Any]


def _text(values: Any) -> pd.Series:
    import pandas as pd

    return pd.Series(values, dtype=object)


def _ints(values: Any, ok: Any) -> Any:
    """Integers, missing where not ``ok``."""
    import numpy as np
    import pandas as pd

    return pd.arrays.IntegerArray(
        np.where(ok, values, 0).astype(np.int64), ~np.asarray(ok, dtype=bool)
    )


def _isnull(values: Any) -> Any:
    import numpy as np

    return np.array([v is None or v != v for v in values], dtype=bool)


def _missing_reasons(p: _Parts, val: Any, targets: list[str] | None) -> Any:
    """Each row's missing reason ('no-value' for an authority asked about with no
    row)."""
    import numpy as np

    r, m, got = p.rows.la_safe, p.rows.m, p.rows.got
    if len(p.grid.missing_reason):
        at = np.maximum(p.grid.row_of[r, m], 0)
        missing = np.where(got, p.grid.missing_reason[at], None)
    else:
        missing = np.full(len(m), None)
    if targets is not None:
        missing = np.where(np.isnan(val) & _isnull(missing), "no-value", missing)
    return missing


def _area_columns(p: _Parts, against: Sequence[str]) -> dict[str, Any]:
    """``region_value``, ``region_source``, ``england_value``, ``england_source``:
    empty for an area not compared against."""
    import numpy as np

    r, m, got = p.rows.la_safe, p.rows.m, p.rows.got
    lv = p.levels
    rr = lv.region_row[r]
    out = {}
    for kind, values, sources in (
        ("region", lv.region_value[rr, m], lv.region_source[rr, m]),
        ("england", np.where(got, lv.england_value[m], np.nan), lv.england_source[m]),
    ):
        if kind not in against:  # left empty: None where a row was found
            out[f"{kind}_value"] = _text(np.where(got, None, np.nan))
            out[f"{kind}_source"] = _text(np.full(len(m), None))
            continue
        values = np.where(got, values, np.nan)
        out[f"{kind}_value"] = values
        out[f"{kind}_source"] = _text(np.where(got & ~np.isnan(values), sources, None))
    return out


def assemble_rows(
    p: _Parts,
    flags: tuple[Any, Any, Any, dict[str, Any]],
    set_id: str | None,
    against: Sequence[str],
    targets: list[str] | None,
) -> pd.DataFrame:
    """One row per authority × measure, columns :data:`COLUMNS`."""
    import numpy as np
    import pandas as pd

    r, m, got, has = p.rows.la_safe, p.rows.m, p.rows.got, p.rows.has
    n_rows = len(m)
    names = np.array(p.plan.names, dtype=object)
    polarity = p.plan.polarity
    val = np.where(got, p.grid.value[r, m], np.nan)
    n_row = np.where(got, p.dist.n[m], 0)
    nb_n, nb_mean, nb_median = p.neighbours
    nb_ok = got & (nb_n[r, m] > 0)
    periods = np.array([p.plan.chosen.get(x) for x in p.plan.names], dtype=object)
    flag, level, test, limits = flags
    areas = _area_columns(p, against)
    return pd.DataFrame(
        {
            "la_code": pd.Series(p.rows.code, dtype="str"),
            "la_name": _text(np.where(has, p.grid.la_name[r], None)),
            "measure": pd.Series(names[m], dtype="str"),
            "label": _text(np.array([x[1] for x in p.plan.meta], dtype=object)[m]),
            "unit": _text(np.array([x[2] for x in p.plan.meta], dtype=object)[m]),
            "polarity": _text(polarity[m]),
            "period": _text(periods[m]),
            "breakdown": pd.Series(
                np.full(n_rows, p.plan.breakdown, dtype=object), dtype="str"
            ),
            "value": val,
            "missing_reason": _text(_missing_reasons(p, val, targets)),
            "joint_return": _text(joint_flags(p.grid, p.rows)),
            "joint_counted": np.where(got, p.grid.joint_counted[r, m], True).astype(
                bool
            )
            if p.grid.joint_counted is not None
            else np.ones(n_rows, dtype=bool),
            "n": _ints(n_row, got & (n_row > 0)),
            "authorities_mean": np.where(got, p.dist.mean[m], np.nan),
            "authorities_sd": np.where(got, p.dist.sd[m], np.nan),
            "neighbour_set": _text(np.where(got, set_id, None)),
            "neighbours_n": _ints(nb_n[r, m], nb_ok),
            "neighbours_mean": np.where(nb_ok, nb_mean[r, m], np.nan),
            "neighbours_median": np.where(nb_ok, nb_median[r, m], np.nan),
            "region": _text(np.where(has, p.grid.region[r], None)),
            **areas,
            "rank": _ints(np.nan_to_num(p.rank), ~np.isnan(p.rank)),
            "rank_of": _ints(n_row, got & (n_row > 0)),
            "rank_order": _text(
                np.where(
                    got, np.where(polarity[m] == "neutral", "highest", "best"), None
                )
            ),
            "quartile": _text(p.quartile),
            "z": p.z,
            "flag": _text(flag),
            "flag_level": _text(level),
            "test": _text(test),
            **limits,
        }
    )
