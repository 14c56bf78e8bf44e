"""The ``network`` report's sections from what the returns hub publishes: casework,
helpline and tribunal figures over three years, and funding by source.

The IASSN 2021 report's "Case work and Tribunal" section compares each figure
with the first of three years ("up 48% since 2019"). A change is over the
services that gave the figure for every year, so a service that reported only
lately does not make the network's casework look as if it grew. Each section is
left out when the load has none of its measures (the demo data has neither).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.formatting import format_value
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._network_data import (
    CASEWORK_FIGURES,
    FUNDING_SHARES,
    JOINT_FLAGS,
    NetworkData,
)
from lacompare.report._reports import missing_where

if TYPE_CHECKING:
    from lacompare.report._reports import Document, SourceTracker

__all__ = [
    "NOT_REGIONAL",
    "casework_key_points",
    "casework_years",
    "casework_change",
    "casework_section",
    "funding_source_section",
    "financial_year",
    "return_rate_words",
]


#: Measures left out of the regional tables: the earlier years of casework and
#: each source's share, which the sections here give.
NOT_REGIONAL = {
    *(f"{stem}_{y}" for stem in CASEWORK_FIGURES for y in (2019, 2020)),
    "share_la_2021",
    "share_social_care_2021",
    "share_health_2021",
    "share_other_2021",
}


def casework_key_points(data: NetworkData) -> list[str]:
    """Key points: casework's change since the first year, and joint funding's
    share of the budget (none when the load has neither)."""
    key = []
    years = casework_years(data)
    work = casework_change(data.wide, "casework", years) if years else {"n": 0}
    if work["n"] and work["change"] == work["change"]:
        key.append(
            f"Casework was {_change_words(work['change'], financial_year(years[0]))} "
            f"across the {work['n']} services that gave all {len(years)} years."
        )
    return [*key, joint_share_words(data)] if joint_share_words(data) else key


def return_rate_words(data: NetworkData) -> str:
    """'Return rate: 101 of 149 (68%). …': how many of the listed services returned."""
    return (
        f"Return rate: {data.return_rate}. Of the {data.services} services the "
        f"network lists for {data.period}, {data.returned} sent a return (they "
        f"have funding per head for {data.period}); the others did not, and only "
        "figures the network holds for them (such as the population) are counted."
    )


def financial_year(year: int) -> str:
    """The financial year ending in March of ``year``.

    Examples
    --------
    >>> financial_year(2019)
    '2018-19'
    """
    return f"{year - 1}-{year % 100:02d}"


def casework_years(data: NetworkData, stem: str = "casework") -> list[int]:
    """The years (ending March) the load has ``stem`` for, oldest first."""
    years = []
    for column in data.wide.columns:
        head, _, year = str(column).rpartition("_")
        if head == stem and year.isdigit() and data.wide[column].notna().any():
            years.append(int(year))
    return sorted(years)


def casework_change(part: pd.DataFrame, stem: str, years: list[int]) -> dict[str, Any]:
    """A figure's totals by year over the services in ``part`` that gave it for
    every year, and its change from the first year to the last (per cent).

    Examples
    --------
    >>> part = pd.DataFrame({"casework_2019": [100.0, 50.0, 10.0],
    ...     "casework_2021": [148.0, 74.0, None]})
    >>> out = casework_change(part, "casework", [2019, 2021])
    >>> out["n"], out[2019], out[2021], round(out["change"], 1)
    (2, 150.0, 222.0, 48.0)
    """
    columns = [f"{stem}_{y}" for y in years]
    if any(c not in part for c in columns):
        return {"n": 0, **dict.fromkeys(years, np.nan), "change": np.nan}
    both = part[columns].dropna()
    out: dict[str, Any] = {"n": len(both)}
    for y, c in zip(years, columns, strict=True):
        out[y] = float(both[c].sum()) if len(both) else np.nan
    first, last = out[years[0]], out[years[-1]]
    out["change"] = 100 * (last - first) / first if len(both) and first else np.nan
    return out


def _change_words(change: float, since: str) -> str:
    """'up 48% since 2018-19', 'down 3% …', 'unchanged since …'."""
    if change != change:
        return ""
    if round(change) == 0:
        return f"unchanged since {since}"
    word = "up" if change > 0 else "down"
    return f"{word} {format_value(abs(change), '%', 0)} since {since}"


def casework_frame(data: NetworkData, years: list[int]) -> pd.DataFrame:
    """One row per casework figure: services with every year, the totals, the
    change since the first year."""
    rows = []
    for stem, label in CASEWORK_FIGURES.items():
        got = casework_change(data.wide, stem, years)
        rows.append({"figure": label, **{f"y{y}": got[y] for y in years}, **got})
    frame = pd.DataFrame(rows).drop(columns=years)
    for col in [*(f"y{y}" for y in years), "change"]:
        frame[col + "__missing"] = missing_where(frame[col].isna(), "not-available")
    frame["row_role"] = "item"
    return frame


def _regions(data: NetworkData) -> list[str]:
    """The regions in the report's order, England last (the regional summary's)."""
    s = data.summary
    return list(dict.fromkeys(s[s["measure"] == "per_head_2021"]["region"]))


def casework_region_frame(data: NetworkData, years: list[int]) -> pd.DataFrame:
    """Casework by region over the services giving every year, with England."""
    rows = []
    for region in _regions(data):
        wide = data.wide
        part = wide if region == "England" else wide[wide["region"] == region]
        got = casework_change(part, "casework", years)
        rows.append({"region": region, **{f"y{y}": got[y] for y in years}, **got})
    frame = pd.DataFrame(rows).drop(columns=years)
    for col in [*(f"y{y}" for y in years), "change"]:
        frame[col + "__missing"] = missing_where(frame[col].isna(), "not-available")
    frame["row_role"] = np.where(frame["region"] == "England", "total", "item")
    return frame


def _year_columns(years: list[int], unit: str | None) -> list[Column]:
    return [Column(f"y{y}", financial_year(y), unit=unit, rounding=0) for y in years]


def casework_section(doc: Document, data: NetworkData, tracker: SourceTracker) -> None:
    """Casework, helpline and tribunal over the years the load has, each compared
    with the first year, and casework by region."""
    years = casework_years(data)
    if not years:
        return
    first, last = financial_year(years[0]), financial_year(years[-1])
    got = casework_change(data.wide, "casework", years)
    sec = doc.section("Casework and tribunal")
    sec.p(
        f"Services gave their casework, helpline enquiries and SEND tribunal cases "
        f"(supported, and hearings attended directly) for {len(years)} years, "
        f"{first} to {last}. Each figure is compared over the services that gave "
        "it for every year, so a change is never a service joining or leaving."
    )
    if got["n"]:
        sec.p(
            f"Casework across the {got['n']} services that gave all "
            f"{len(years)} years was {_change_words(got['change'], first)}: from "
            f"{format_value(got[years[0]], 'cases', 0)} cases in {first} to "
            f"{format_value(got[years[-1]], 'cases', 0)} in {last}."
        )
    columns = [
        Column("figure", "Figure", role="label"),
        Column("n", "Services with every year", role="rate", decimals=0),
        *_year_columns(years, None),
        Column("change", f"Change since {first}", unit="%", role="rate", decimals=0),
    ]
    sec.table(
        ReportTable(
            f"Casework, helpline and tribunal, {first} to {last}",
            casework_frame(data, years),
            columns,
            notes=[
                "Totals over the services that gave the figure for every year; "
                "the change is from the first year's total to the last's."
            ],
            name="Casework",
        )
    )
    sec.table(
        ReportTable(
            f"Casework (all levels) by region, {first} to {last}",
            casework_region_frame(data, years),
            [
                Column("region", "Region", role="label"),
                Column("n", "Services with every year", role="rate", decimals=0),
                *_year_columns(years, "cases"),
                Column(
                    "change", f"Change since {first}", unit="%", role="rate", decimals=0
                ),
            ],
            notes=["A region with no service giving every year shows [x]."],
            name="Casework by region",
        )
    )
    for stem in CASEWORK_FIGURES:
        for y in years:
            tracker.use(f"{stem}_{y}", None)


def _joint(wide: pd.DataFrame) -> pd.Series:
    """Services jointly commissioned in any way (a joint flag is 1)."""
    flags = [f for f in JOINT_FLAGS if f in wide]
    if not flags:
        return pd.Series(False, index=wide.index)
    return (wide[flags] == 1).any(axis=1)


def joint_share_words(data: NetworkData) -> str:
    """'Among the 12 jointly commissioned services … 2%–60% of the budget …'."""
    wide = data.wide
    if "share_joint_2021" not in wide:
        return ""
    shares = wide.loc[_joint(wide), "share_joint_2021"].dropna()
    if not len(shares):
        return ""

    def pct(v: float) -> str:
        return format_value(v, "%", 0)

    return (
        f"Among the {len(shares)} jointly commissioned services that gave their "
        "funding by source, joint funding (health and social care) was "
        f"{pct(shares.min())}–{pct(shares.max())} of the budget (median "
        f"{pct(shares.median())})."
    )


def funding_source_frame(data: NetworkData) -> pd.DataFrame:
    """Mean share of funding from each source, by region, with England."""
    rows: list[dict[str, Any]] = []
    for region in _regions(data):
        row: dict[str, Any] = {"region": region}
        row["n"] = data.stat("share_la_2021", region, "n")
        for measure in FUNDING_SHARES:
            row[measure] = data.stat(measure, region, "mean")
        rows.append(row)
    frame = pd.DataFrame(rows)
    for measure in FUNDING_SHARES:
        frame[measure + "__missing"] = missing_where(
            frame[measure].isna(), "not-available"
        )
    frame["n"] = frame["n"].fillna(0)
    frame["row_role"] = np.where(frame["region"] == "England", "total", "item")
    return frame


def funding_source_section(
    doc: Document, data: NetworkData, tracker: SourceTracker
) -> None:
    """The split of funding by source, and joint funding as a share of budget."""
    if not data.has("share_la_2021"):
        return
    sec = doc.section("Funding by source")
    sec.p(
        "Each service's funding from each source as a share of its total: the "
        "local authority's education and SEND budget, its social care budget, "
        "health, and other sources. Joint funding is health and social care "
        "together. " + joint_share_words(data)
    )
    sec.table(
        ReportTable(
            f"Funding by source: mean share of the budget, by region, {data.period}",
            funding_source_frame(data),
            [
                Column("region", "Region", role="label"),
                Column("n", "Services (N)", role="rate", decimals=0),
                *(
                    Column(m, label, unit="%", role="rate", decimals=0)
                    for m, label in FUNDING_SHARES.items()
                ),
            ],
            notes=[
                "Means over the services that gave their funding by source. The "
                "four sources of one service add up to 100% (the means nearly "
                "so); joint is social care and health together, not a fifth "
                "source."
            ],
            name="Funding by source",
        )
    )
    for measure in FUNDING_SHARES:
        tracker.use(measure, None)
