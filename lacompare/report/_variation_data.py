"""The variation report's data and tables: the measure over the window
(:func:`read_variation`), England by period, and the regional tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting import format_value
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._sources import SourceTracker
from lacompare.report._specs import MeasureSpec, resolve_measure, split_specs
from lacompare.report._words import measure_decimals, missing_where, sentence_label

if TYPE_CHECKING:
    from lacompare.store import Store

_STAT_COLS = ("n", "min", "max", "mean", "median", "sd")


def _period_key(period: str) -> tuple[int, str]:
    digits = "".join(ch for ch in str(period)[:4] if ch.isdigit())
    return (int(digits) if len(digits) == 4 else 0, str(period))


def _regional_table(
    summary: Any, title: str, unit: str | None, decimals: int, name: str
) -> ReportTable:
    t = summary.table.copy()
    t = t[["region", *_STAT_COLS]]
    body = t[t["region"] != "England"].sort_values("mean")
    eng = t[t["region"] == "England"]
    t = pd.concat([body, eng], ignore_index=True)
    t["row_role"] = np.where(t["region"] == "England", "total", "item")
    for c in ("min", "max", "mean", "median", "sd"):
        t[c + "__missing"] = missing_where(t[c].isna(), "not-applicable")
    shown = unit if unit not in (None, "", "persons") else None
    return ReportTable(
        title,
        t,
        [
            Column("region", "Region", role="label"),
            Column("n", "Authorities (N)", role="rate", decimals=0),
            Column("min", "Minimum", unit=shown, role="rate", decimals=decimals),
            Column("max", "Maximum", unit=shown, role="rate", decimals=decimals),
            Column("mean", "Mean", unit=shown, role="rate", decimals=decimals + 1),
            Column("median", "Median", unit=shown, role="rate", decimals=decimals + 1),
            Column(
                "sd", "Std. deviation", unit=shown, role="rate", decimals=decimals + 1
            ),
        ],
        notes=[
            "Regions in order of their mean, lowest first; London is split into "
            "Inner and Outer London. England is every authority summarised."
        ],
        name=name,
    )


@dataclass
class Variation:
    """The measure over the window: each authority's average (``rate``), the
    periods used, and the figures the sections share."""

    spec: MeasureSpec
    factors: list[MeasureSpec]
    rate: Any
    used: list[str]
    pooled: pd.DataFrame
    decimals: int
    tracker: SourceTracker
    exclude: Sequence[str] | str | None = None
    key_points: list[str] = field(default_factory=list)

    @property
    def span(self) -> str:
        """'2021 to 2025', or the one period."""
        used = self.used
        return f"{used[0]} to {used[-1]}" if len(used) > 1 else used[0]

    @property
    def slabel(self) -> str:
        """The measure's label inside a sentence."""
        return sentence_label(self.spec.label)

    def fmt(self, value: Any, decimals: int | None = None) -> str:
        """A figure of the measure in its unit."""
        d = self.decimals if decimals is None else decimals
        return format_value(value, self.spec.unit, d)


def read_variation(
    store: Store,
    measure: str,
    factors: Sequence[str] | str | None,
    periods: str | Sequence[str] | None,
    exclude: Sequence[str] | str | None,
) -> Variation:
    """Resolve the measure and factors, and summarise each authority's average
    over the window by region (London split in two)."""
    from lacompare.analysis import summarise
    from lacompare.derive import window_values

    spec = resolve_measure(store, measure)
    factor_specs = [resolve_measure(store, f) for f in split_specs(factors)]
    if isinstance(periods, str) and "," in periods:
        periods = [p.strip() for p in periods.split(",") if p.strip()]
    rate = summarise(
        store,
        spec.measure,
        by="london_region",
        periods=periods,
        per_la="mean",
        exclude=exclude,
        breakdown=spec.breakdown,
    )
    if rate.n == 0:
        raise InputError(
            f"no authority has a value of {spec.key} in {periods or 'any period'}"
        )
    used = sorted(rate.periods.get(spec.measure, []), key=_period_key)
    tracker = SourceTracker(store)
    tracker.use(spec.measure, spec.breakdown, used)
    pooled = window_values(
        store, spec.measure, used, how="pooled", breakdown=spec.breakdown
    )
    dec = measure_decimals(pooled["value"].dropna(), spec.unit)
    return Variation(
        spec, factor_specs, rate, used, pooled, dec, tracker, exclude=exclude
    )


def national_frame(v: Variation, store: Store) -> pd.DataFrame:
    """By period: England's published figure, and the number, mean and median
    of authorities."""
    per = (
        v.pooled.dropna(subset=["value"])
        .groupby("period")["value"]
        .agg(["count", "mean", "median"])
    )
    published = store.query(
        """SELECT period, any_value(value) AS england FROM totals
           WHERE measure = ? AND breakdown = ? AND (area_code = 'E92000001'
                 OR lower(area_name) = 'england')
           GROUP BY period""",
        [v.spec.measure, v.spec.breakdown],
    ).set_index("period")
    frame = pd.DataFrame({"period": v.used})
    frame["england"] = (
        frame["period"].map(published["england"]) if len(published) else np.nan
    )
    frame["n"] = frame["period"].map(per["count"]).fillna(0).astype(int)
    frame["mean"] = frame["period"].map(per["mean"])
    frame["median"] = frame["period"].map(per["median"])
    frame["england__missing"] = missing_where(frame["england"].isna(), "not-available")
    return frame


def national_table(v: Variation, frame: pd.DataFrame) -> ReportTable:
    """England and the spread of authorities by period."""
    unit = v.spec.unit
    shown = unit if unit not in (None, "", "persons") else None
    dec = v.decimals
    return ReportTable(
        f"{v.spec.label}: England and the spread of authorities by period",
        frame,
        [
            Column("period", "Period", role="label"),
            Column(
                "england", "England (published)", unit=shown, role="rate", decimals=dec
            ),
            Column("n", "Authorities (N)", role="rate", decimals=0),
            Column(
                "mean", "Mean of authorities", unit=shown, role="rate", decimals=dec + 1
            ),
            Column(
                "median",
                "Median of authorities",
                unit=shown,
                role="rate",
                decimals=dec + 1,
            ),
        ],
        notes=[
            "England (published): the national figure from the source's own "
            "England row, where the store has one ([x] where not). The mean of "
            "authorities gives each authority equal weight."
        ],
        name="England by period",
    )


def change_table(v: Variation, up: int, flat: int, down: int) -> ReportTable:
    """Authorities by the direction of their average change."""
    n = up + flat + down
    counts = pd.DataFrame(
        {
            "band": ["Increase", "No change", "Decrease", "All authorities"],
            "n": [up, flat, down, n],
            "row_role": ["item"] * 3 + ["total"],
        }
    )
    counts["share"] = counts["n"] / n
    return ReportTable(
        f"Authorities by direction of average change in {v.slabel}, {v.span}",
        counts,
        [
            Column("band", "Average change", role="label"),
            Column("n", "Authorities", rounding=0),
            Column("share", "Share", unit="proportion", role="rate", decimals=0),
        ],
        name="Direction of change",
    )
