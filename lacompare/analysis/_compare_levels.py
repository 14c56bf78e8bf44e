"""Neighbour, region and England levels of :func:`lacompare.analysis.compare`.

Each authority's statistical neighbours' count, mean and median; each region's and
England's value of each measure: the published total when the store has one, else
computed from the authorities in the distribution (their mean, or for a derived
rate the sum of numerators ÷ the sum of denominators), saying which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lacompare.analysis._compare_read import ENGLAND_CODE


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


def derive_neighbour_stats(
    rows: list[tuple[str, str]] | None,
    univ: list[str],
    la_rows: Any,
    dist: Any,
    rep: Any = None,
) -> tuple[Any, Any, Any]:
    """Count, mean and median of each authority's neighbours' values (in the
    distribution), authorities × measures, filled for the authorities ``la_rows``;
    ``rows``: the set's links (None: no set, all empty).

    ``rep`` (authorities × measures, :meth:`Grid.joint_representative`): the row
    each value is counted under; neighbours sharing one (the members of a joint
    return, in ``dist`` each with the shared figure) count once, and a partner of
    the authority's own joint return not at all (its figure is the authority's).
    """
    import numpy as np

    nb_n = np.zeros(dist.shape, dtype=np.int64)
    nb_mean = np.full(dist.shape, np.nan)
    nb_median = np.full(dist.shape, np.nan)
    if rows:
        _fill_neighbour_stats(
            rows, univ, la_rows, dist, (nb_n, nb_mean, nb_median), rep
        )
    return nb_n, nb_mean, nb_median


def _once_each(values: Any, idx: Any, rep: Any, who: Any) -> Any:
    """``values`` (targets × neighbours × measures) with every neighbour whose
    value another neighbour of the same list already counts (a joint return's
    partner), or that is the target's own joint return, as NaN."""
    import numpy as np

    none = rep.shape[0]
    padded = np.vstack([rep, np.full((1, rep.shape[1]), -1, dtype=rep.dtype)])
    r = padded[np.minimum(idx, none)]  # (t, k, m); -1 for no neighbour
    # A partner in the target's list carries the target's own figure.
    values = np.where(r == rep[who][:, None, :], np.nan, values)
    order = np.argsort(r, axis=1, kind="stable")
    ranked = np.take_along_axis(r, order, axis=1)
    again = np.zeros(ranked.shape, dtype=bool)
    again[:, 1:, :] = (ranked[:, 1:, :] == ranked[:, :-1, :]) & (ranked[:, 1:, :] >= 0)
    repeated = np.zeros(again.shape, dtype=bool)
    np.put_along_axis(repeated, order, again, axis=1)
    return np.where(repeated, np.nan, values)


def _fill_neighbour_stats(
    rows: list[tuple[str, str]],
    univ: list[str],
    la_rows: Any,
    dist: Any,
    out: tuple[Any, Any, Any],
    rep: Any,
) -> None:
    import numpy as np

    nb_n, nb_mean, nb_median = out

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
    if rep is not None:
        values = _once_each(values, idx, rep, who)
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


@dataclass
class Levels:
    """England's and each region's value and source of each measure, and each
    authority's rate inputs."""

    england_value: Any
    england_source: Any
    #: One row per region asked for (the last: none), measures across.
    region_value: Any
    region_source: Any
    #: Each authority's row of ``region_value``.
    region_row: Any
    #: Authorities × measures: a derived rate's numerator and denominator.
    num: Any
    den: Any
    #: The derivation recipe of each derived measure.
    recipes: dict[str, dict[str, Any]] = field(default_factory=dict)


def derive_levels(
    univ: list[str],
    region_code: list[Any],
    names: list[str],
    dist: Any,
    in_dist: Any,
    england: tuple[Any, Any],
    totals: list[tuple[Any, ...]],
    inputs: list[tuple[Any, ...]],
    recipes: dict[str, dict[str, Any]],
    regions_needed: list[str],
) -> Levels:
    """Region and England values: published totals, else computed from the
    authorities of the distribution (``england``: its mean and count)."""
    import numpy as np

    n_la, n_m = dist.shape
    num = np.full((n_la, n_m), np.nan)
    den = np.full((n_la, n_m), np.nan)
    m_pos = {m: i for i, m in enumerate(names)}
    u_pos = {c: i for i, c in enumerate(univ)}
    for code, measure, nu, de in inputs:
        if code in u_pos and measure in m_pos:
            i, j = u_pos[code], m_pos[measure]
            num[i, j] = np.nan if nu is None else nu
            den[i, j] = np.nan if de is None else de
    scale = np.array([_rate_scale(recipes.get(m)) for m in names])
    area = _Areas(
        dist, in_dist, num, den, scale, *england, has_inputs=not np.isnan(num).all()
    )
    pub_e: dict[str, tuple[float, str]] = {}
    pub_r: dict[tuple[str, str], tuple[float, str]] = {}
    for code, area_name, measure, v, source in totals:
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
    return Levels(
        eng_value, eng_source, reg_value, reg_source, region_row, num, den, recipes
    )
