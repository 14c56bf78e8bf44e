"""The authorities × measures grid behind :func:`lacompare.analysis.compare`.

Steps, each returning its data: :func:`read_plan` (the measures, breakdown and
periods compared), :func:`read_grid` (every authority's value as a matrix),
:func:`derive_exclusions` (who is left out of each distribution and why),
:func:`derive_distribution` (n, mean and SD of each measure), :func:`choose_rows`
(the rows returned) and :func:`rank_rows` (the one ranking rule,
:func:`lacompare.derive.rank_with_polarity`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lacompare.analysis._compare_read import (
    MeasureRow,
    choose_periods,
    match_breakdown,
    parse_measures,
    read_compared_values,
    read_measure_rows,
    read_periods_held,
)
from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.provenance import IssueLog
    from lacompare.store import Store


@dataclass
class Plan:
    """What is compared: the measures' rows (name, label, unit, polarity,
    reference date), the breakdown and each measure's period."""

    meta: list[MeasureRow]
    breakdown: str
    chosen: dict[str, str]

    @property
    def names(self) -> list[str]:
        return [r[0] for r in self.meta]

    @property
    def polarity(self) -> Any:
        import numpy as np

        return np.array([r[3] for r in self.meta], dtype=object)


def read_plan(
    store: Store,
    measures: str | Sequence[str] | None,
    breakdown: str,
    period: str | None,
) -> Plan:
    """The measures with numbers, the breakdown (matched on part of its text) and
    each measure's period (the one given, else its latest)."""
    wanted = parse_measures(measures)
    if wanted is not None and not wanted:
        raise InputError("no numeric measures in the store to compare")
    held = read_periods_held(store, wanted)
    meta = read_measure_rows(store, wanted, held)
    if not meta:
        raise InputError("no numeric measures in the store to compare")
    breakdown = match_breakdown(held, [r[0] for r in meta], breakdown)
    meta = with_catalogue_labels(meta, breakdown)
    return Plan(meta, breakdown, choose_periods(held, meta, period, breakdown))


def with_catalogue_labels(meta: list[MeasureRow], breakdown: str) -> list[MeasureRow]:
    """Each measure's label and unit from the indicator catalogue where it reads
    the measure under this breakdown (the store's labels are the publishers':
    ``turnover_rate_fte_%``); the store's elsewhere."""
    from lacompare.catalogue import catalogue_label

    out = []
    for row in meta:
        key = f"{row[0]}[{breakdown}]" if breakdown else row[0]
        found = catalogue_label(key)
        out.append(row if found is None else (row[0], *found, *row[3:]))
    return out


@dataclass
class Grid:
    """Every authority's value of each measure: the registry's authorities, then
    any other code with a value (``univ``), by measure."""

    univ: list[str]
    n_extra: int
    la_name: Any
    region: Any
    region_code: list[Any]
    #: The values' missing reasons, by ``row_of``.
    missing_reason: Any
    #: Authorities × measures: the row of ``missing_reason`` (-1: no value row).
    row_of: Any
    value: Any
    #: Authorities × measures: a joint return's group (its codes, the counted
    #: member first; None: a value of one authority) and partnership, and whether
    #: the distribution counts this copy (False for every member but the first).
    joint_members: Any = None
    joint_partnership: Any = None
    joint_counted: Any = None

    @property
    def present(self) -> Any:
        return self.row_of >= 0

    def joint_representative(self) -> Any:
        """Authorities × measures: the row whose value a cell's figure is counted
        under (its own, or for a joint return's partner the counted member's)."""
        import numpy as np

        n_la, n_m = self.value.shape
        rep = np.repeat(np.arange(n_la)[:, None], n_m, axis=1)
        if self.joint_counted is None:
            return rep
        pos = {c: i for i, c in enumerate(self.univ)}
        for i, j in zip(*np.nonzero(~self.joint_counted), strict=True):
            first = str(self.joint_members[i, j]).split(";")[0]
            rep[i, j] = pos.get(first, i)
        return rep


def read_grid(
    store: Store,
    plan: Plan,
    auth: list[tuple[Any, ...]],
    targets: list[str] | None,
    period: str | None,
    issues: IssueLog,
) -> Grid:
    """The chosen periods' values as an authorities × measures matrix (the latest
    load's value where several loads hold one)."""
    import numpy as np

    names, chosen = plan.names, plan.chosen
    codes = [r[0] for r in auth]
    n_m = len(names)
    reasons_for = None
    if targets is not None:
        at = {c: i for i, c in enumerate(codes)}
        reasons_for = [at[t] for t in targets if t in at]
    raw = read_compared_values(store, names, chosen, codes, plan.breakdown, reasons_for)
    key = raw["key"]
    if len(key) and (key.min() < 0 or np.bincount(key).max() > 1):
        # Codes missing from authorities, or values from several sources: again
        # with the codes and source ids.
        raw = read_compared_values(
            store, names, chosen, codes, plan.breakdown, None, full=True
        )
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
    la_i, m_i = key // n_m, key % n_m
    extras: list[str] = []
    if "other" in raw:
        other = la_i < 0
        extras = sorted({str(c) for c in raw["other"][other]})
        at = {c: len(codes) + k for k, c in enumerate(extras)}
        la_i[other] = [at[str(c)] for c in raw["other"][other]]
    n_la = len(codes) + len(extras)
    if "source_id" in raw:
        keep = _latest_source(la_i * n_m + m_i, raw["source_id"])
        la_i, m_i = la_i[keep], m_i[keep]
        raw = {k: v[keep] for k, v in raw.items()}
    row_of = np.full((n_la, n_m), -1, dtype=np.int64)
    row_of[la_i, m_i] = np.arange(len(la_i))
    value = np.full((n_la, n_m), np.nan)
    value[la_i, m_i] = raw["value"]
    joint_members = np.full((n_la, n_m), None, dtype=object)
    joint_members[la_i, m_i] = raw["joint_members"]
    joint_partnership = np.full((n_la, n_m), None, dtype=object)
    joint_partnership[la_i, m_i] = raw["joint_partnership"]
    joint_counted = np.ones((n_la, n_m), dtype=bool)
    joint_counted[la_i, m_i] = raw["joint_counted"]
    none = [None] * len(extras)
    return Grid(
        univ=codes + extras,
        n_extra=len(extras),
        la_name=np.array([r[2] for r in auth] + none, dtype=object),
        region=np.array([r[3] for r in auth] + none, dtype=object),
        region_code=[r[4] for r in auth] + none,
        missing_reason=raw["missing_reason"],
        row_of=row_of,
        value=value,
        joint_members=joint_members,
        joint_partnership=joint_partnership,
        joint_counted=joint_counted,
    )


def _latest_source(key: Any, source_id: Any) -> Any:
    """Indices keeping one row per key: the one from the latest source."""
    import numpy as np

    if not len(key) or np.bincount(key).max() <= 1:
        return np.arange(len(key))
    order = np.lexsort((source_id, key))
    k = key[order]
    return np.sort(order[np.r_[k[1:] != k[:-1], True]])


def _not_then(
    auth: list[tuple[Any, ...]],
    n_extra: int,
    meta: list[MeasureRow],
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


def by_code(codes: list[str]) -> Any:
    """Indices of ``codes`` in code order."""
    import numpy as np

    return np.array(sorted(range(len(codes)), key=codes.__getitem__), dtype=np.int64)


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


def _excluded_rows(
    grid: Grid, names: list[str], la: Any, m: Any, reasons: list[Any]
) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "measure": pd.Series([names[j] for j in m], dtype="str"),
            "la_code": pd.Series([grid.univ[i] for i in la], dtype="str"),
            "la_name": pd.Series(grid.la_name[la].tolist(), dtype="str"),
            "reason": pd.Series(reasons, dtype="str"),
        }
    )


@dataclass
class Exclusions:
    """Who is left out of each measure's distribution: ``dropped`` (asked to be,
    by authority), ``gone`` (did not exist on the period's day, authorities ×
    measures) and the ``excluded`` frame naming each with why."""

    dropped: Any
    gone: Any
    excluded: pd.DataFrame


def derive_exclusions(
    store: Store,
    grid: Grid,
    plan: Plan,
    auth: list[tuple[Any, ...]],
    exclude: Sequence[str] | str | None,
) -> Exclusions:
    """Authorities left out of the distribution: those asked to be, and those that
    did not exist on the day of a measure's period (a value filed under a council
    after its abolition, or under its successor before that was created, would
    count one area twice)."""
    import numpy as np
    import pandas as pd

    from lacompare.analysis._exclusions import resolve_exclusions

    n_la, names = len(grid.univ), plan.names
    ex = [exclude] if isinstance(exclude, str) else list(exclude or [])
    dropped = np.zeros(n_la, dtype=bool)
    why = np.full(n_la, None, dtype=object)
    if any(str(e).strip() for e in ex):
        pos = {c: i for i, c in enumerate(grid.univ)}
        drop = resolve_exclusions(store, exclude)
        for code, because in zip(drop["la_code"], drop["reason"], strict=True):
            if code in pos:
                dropped[pos[code]], why[pos[code]] = True, because
    order = by_code(grid.univ)
    xl, xm = np.nonzero(grid.present[order] & dropped[order][:, None])
    xl = order[xl]
    if len(xl):
        excluded = _excluded_rows(grid, names, xl, xm, why[xl].tolist())
    else:
        excluded = _no_exclusions().copy()
    gone, days = _not_then(auth, grid.n_extra, plan.meta, plan.chosen)
    gl, gm = np.nonzero(grid.present & gone & ~np.isnan(grid.value) & ~dropped[:, None])
    if len(gl):
        later = _excluded_rows(
            grid, names, gl, gm, [f"did not exist on {days[m]}" for m in gm]
        )
        excluded = pd.concat([excluded, later], ignore_index=True)
    return Exclusions(
        dropped, gone, _with_joint_partners(grid, names, dropped, excluded)
    )


def _with_joint_partners(
    grid: Grid, names: list[str], dropped: Any, excluded: pd.DataFrame
) -> pd.DataFrame:
    """``excluded`` with each joint return's partner whose counted member was left
    out by the user: the shared figure is that member's too, so it goes with it
    (said, naming the member)."""
    import numpy as np
    import pandas as pd

    if grid.joint_counted is None or grid.joint_counted.all() or not dropped.any():
        return excluded
    rep = grid.joint_representative()
    with_rep = (
        ~grid.joint_counted & dropped[rep] & ~dropped[:, None] & ~np.isnan(grid.value)
    )
    pl, pm = np.nonzero(with_rep)
    if not len(pl):
        return excluded
    why = [
        f"joint return with {grid.la_name[rep[i, j]]}, left out with it"
        for i, j in zip(pl, pm, strict=True)
    ]
    partners = _excluded_rows(grid, names, pl, pm, why)
    return pd.concat([excluded, partners], ignore_index=True)


@dataclass
class Distribution:
    """Each measure's distribution of authorities: who is in it, their values
    (NaN for the others), n, mean and SD (ddof=1)."""

    in_dist: Any
    dist: Any
    n: Any
    mean: Any
    sd: Any
    #: ``dist`` with a joint return's partners' copies too (a neighbour list may
    #: hold a partner and not the member counted; :func:`derive_neighbour_stats`
    #: counts the group once per list).
    with_partners: Any = None


def derive_distribution(grid: Grid, out: Exclusions) -> Distribution:
    """n, mean and SD of each measure over the authorities with a value, not left
    out; a joint return once (under its first member: its partners' copies are
    not in the distribution)."""
    import numpy as np

    value = grid.value
    in_dist = grid.present & ~np.isnan(value) & ~out.dropped[:, None] & ~out.gone
    with_partners = None
    if grid.joint_counted is not None and not grid.joint_counted.all():
        with_partners = np.where(in_dist, value, np.nan)
        in_dist &= grid.joint_counted
    dist = np.where(in_dist, value, np.nan)
    n = in_dist.sum(axis=0)
    # Sums along contiguous rows (numpy's pairwise summation).
    total = np.ascontiguousarray(np.where(in_dist, value, 0.0).T).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        dev = np.ascontiguousarray(np.where(in_dist, value - mean, 0.0).T)
        sd = np.where(n > 1, np.sqrt((dev * dev).sum(axis=1) / (n - 1)), np.nan)
    return Distribution(
        in_dist, dist, n, mean, sd, dist if with_partners is None else with_partners
    )


@dataclass
class Rows:
    """The rows returned: authority (index into the grid, -1: not in it) and
    measure of each, its code, and whether it has a value row (``got``)."""

    la: Any
    m: Any
    code: Any
    has: Any
    la_safe: Any
    got: Any

    @property
    def authorities(self) -> Any:
        """The authorities with a row returned."""
        import numpy as np

        return np.unique(self.la[self.got])


def choose_rows(grid: Grid, n_m: int, targets: list[str] | None) -> Rows:
    """The targets × measures grid, or every authority with a value row."""
    import numpy as np

    if targets is not None:
        pos = {c: i for i, c in enumerate(grid.univ)}
        row_la = np.repeat([pos.get(t, -1) for t in targets], n_m)
        row_m = np.tile(np.arange(n_m), len(targets))
        row_code = np.repeat(np.array(targets, dtype=object), n_m)
    else:
        order = by_code(grid.univ)
        ii, row_m = np.nonzero(grid.present[order])
        row_la = order[ii]
        row_code = np.array(grid.univ, dtype=object)[row_la]
    has = row_la >= 0
    la_safe = np.where(has, row_la, 0)
    got = has & grid.present[la_safe, row_m]
    return Rows(row_la, row_m, row_code, has, la_safe, got)


def rank_rows(
    dist: Distribution, plan: Plan, rows: Rows, grid: Grid | None = None
) -> tuple[Any, Any]:
    """Each row's rank among the distribution (1 = best; the highest first for a
    neutral measure; ties share the best rank) and its quartile band (A-D); a
    joint return's partner has its counted member's rank (``grid``)."""
    import numpy as np

    from lacompare.derive import quartile_band, rank_with_polarity

    ranks = rank_with_polarity(dist.dist, list(plan.polarity))
    r, m, got = rows.la_safe, rows.m, rows.got
    if grid is not None:
        r = grid.joint_representative()[r, m]
    rank = np.where(got, ranks[r, m], np.nan)
    n_row = np.where(got, dist.n[m], 0)
    return rank, quartile_band(rank, n_row)
