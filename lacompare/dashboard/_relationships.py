"""The Relationships page: two measures' correlation and scatter, and the
expected-spend model's report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lacompare.dashboard._catalogue import catalogue_entry, find_authority
from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.dashboard._state import DashboardStore
    from lacompare.report import Document, MeasureSpec


@dataclass
class Relationship:
    """Two measures across authorities: Spearman's r_s, p and n, and the scatter."""

    x: MeasureSpec
    y: MeasureSpec
    r: float
    p: float
    n: int
    data: pd.DataFrame
    chart: Any


def read_pair(state: DashboardStore, kx: str, ky: str) -> tuple[Any, ...]:
    """The two measures' specs, their latest values side by side (``x``, ``y``
    by authority code), the authorities' names and the correlation matrix."""
    from lacompare.analysis.significance import pairwise_correlation, read_la_values
    from lacompare.report import resolve_measure

    def compute() -> tuple[Any, ...]:
        with state.store() as store:
            sx, sy = resolve_measure(store, kx), resolve_measure(store, ky)
            vx = read_la_values(store, [sx.measure], breakdown=sx.breakdown)
            vy = read_la_values(store, [sy.measure], breakdown=sy.breakdown)
            names = store.list_authorities()[["la_code", "la_name"]]
        x = vx.values[[sx.measure]].rename(columns={sx.measure: "x"})
        y = vy.values[[sy.measure]].rename(columns={sy.measure: "y"})
        frame = x.join(y, how="inner")
        matrix = pairwise_correlation(frame[["x", "y"]], "spearman")
        return sx, sy, frame, names, matrix

    return state.cached(("relationship", kx, ky), compute)


def pair_points(frame: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The authorities with both values, named (their code where unnamed)."""
    data = (
        frame.dropna()
        .rename_axis("la_code")
        .reset_index()
        .merge(names.drop_duplicates("la_code"), on="la_code", how="left")
    )
    data["la_name"] = data["la_name"].fillna(data["la_code"])
    return data


def _axis_title(spec: MeasureSpec) -> str:
    return spec.label + (f" ({spec.unit})" if spec.unit else "")


def relationship_view(
    state: DashboardStore, x: str, y: str, highlight: str | None = None
) -> Relationship:
    """Spearman's rank correlation of two measures (each at its latest period)
    and their scatter chart.

    Each measure keeps its own breakdown, so the values come from
    :func:`~lacompare.analysis.read_la_values` one measure at a time and the
    statistic from :func:`~lacompare.analysis.pairwise_correlation` (equal to
    ``scipy.stats.spearmanr`` on the authorities with both values).
    """
    import math

    from lacompare.charts import scatter_chart

    if not x or not y:
        raise InputError("choose two measures")
    ex, ey = catalogue_entry(state, x), catalogue_entry(state, y)
    if ex["key"] == ey["key"]:
        raise InputError("choose two different measures")
    sx, sy, frame, names, matrix = read_pair(state, str(ex["key"]), str(ey["key"]))
    r = float(matrix.r.loc["x", "y"])
    p = float(matrix.p.loc["x", "y"])
    n = int(matrix.n.loc["x", "y"])
    if not math.isfinite(r):
        raise InputError(f"only {n} authorities have both measures: need 3")
    data = pair_points(frame, names)
    hl = None
    if highlight:
        code = find_authority(state, highlight)
        hit = data.loc[data["la_code"] == code, "la_name"]
        hl = str(hit.iloc[0]) if len(hit) else None
    px, py = read_periods(state, str(ex["key"])), read_periods(state, str(ey["key"]))
    periods = ", ".join(dict.fromkeys(px + py))
    chart = scatter_chart(
        data,
        x="x",
        y="y",
        x_title=_axis_title(sx),
        y_title=_axis_title(sy),
        r_s=r,
        p=p,
        n=n,
        highlight=hl,
        period=periods or None,
    )
    return Relationship(sx, sy, r, p, n, data, chart)


def read_periods(state: DashboardStore, key: str) -> list[str]:
    """The latest period of a measure key (as read_la_values uses by default)."""
    periods = list(catalogue_entry(state, key)["periods"])
    return periods[-1:]


def spend_document(
    state: DashboardStore, target: str, factors: Sequence[str] | None = None
) -> Document:
    """The spend report's document: the expected-spend model's heatmap and
    predicted against actual spend (:func:`~lacompare.analysis.model_spend`)."""
    from lacompare.report import build_report

    if not target:
        raise InputError("choose the spend measure to model")
    entry = catalogue_entry(state, target)

    def compute() -> Document:
        with state.store() as store:
            return build_report(
                "spend",
                store,
                target=str(entry["key"]),
                factors=list(factors) if factors else None,
            )

    return state.cached(("spend", entry["key"], tuple(factors or ())), compute)
