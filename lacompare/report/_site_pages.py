"""The static site's indicator and region pages (:mod:`lacompare.report._site`).

An indicator page holds the hex map and the ranked chart of the catalogue's
:func:`~lacompare.charts.hex_map_chart` and
:func:`~lacompare.charts.ranked_bar_chart`, and the table of every authority;
a region page, each headline indicator over time for every authority of the
region with the region's and England's figures, as a chart and a table. The
charts are Vega-Lite specs drawn in the browser by the vega-embed bundle the
site ships (no network); the tables hold every figure the charts show.

Examples
--------
>>> site_slug("rate_per_10000[age: under 18]")
'rate-per-10000-age-under-18'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.catalogue import band_text
from lacompare.formatting import MISSING_SYMBOLS, format_value
from lacompare.report._profile_words import period_key
from lacompare.report._words import d3_format

if TYPE_CHECKING:
    from lacompare.report._profile_data import ProfileData
    from lacompare.report._specs import MeasureSpec

__all__ = [
    "ChartBlock",
    "indicator_page",
    "region_page",
    "site_slug",
]

_SIGNIFICANCE = {"above": "Higher", "below": "Lower", "within": "Not significant"}
_POLARITY = {
    "higher-is-better": "Higher is better.",
    "higher-is-worse": "Lower is better.",
}


def site_slug(text: str) -> str:
    """A file name's stem for a measure key or region name (lower case, '-')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def unit_suffix(unit: str | None) -> str:
    """' (unit)' for a chart's measure name; nothing for counts of persons."""
    return f" ({unit})" if unit and unit not in ("persons",) else ""


@dataclass
class ChartBlock:
    """One chart of a page: its id, title, alt text and Vega-Lite spec (JSON)."""

    id: str
    title: str
    description: str
    spec: str


@dataclass
class TablePart:
    """A table as the templates print it: caption, heads, rows of cells.

    Each cell is ``(text, kind, href)``: ``kind`` is ``num`` (right-aligned),
    ``head`` (a row heading) or ``text``; ``href`` a link or None.
    """

    caption: str
    heads: list[tuple[str, str]]
    rows: list[list[tuple[str, str, str | None]]] = field(default_factory=list)


def _chart_block(chart_id: str, chart: Any) -> ChartBlock:
    from lacompare.charts import chart_spec

    spec = chart_spec(chart)
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    # JSON inside <script>: "</" would end the element early.
    text = json.dumps(spec).replace("</", "<\\/")
    return ChartBlock(chart_id, str(title or ""), chart.description, text)


def _cell(value: Any, spec: MeasureSpec, decimals: int, reason: Any = None) -> str:
    known = reason if isinstance(reason, str) and reason in MISSING_SYMBOLS else None
    return format_value(value, spec.unit, decimals, known)


def _is_num(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def _current_codes(data: ProfileData) -> set[str]:
    auth = data.authorities
    if "valid_to" in auth:
        auth = auth[auth["valid_to"].isna()]
    return set(auth["la_code"].astype(str))


def indicator_page(
    data: ProfileData, spec: MeasureSpec, profiles: dict[str, str]
) -> dict[str, Any]:
    """What ``site/indicator.html.j2`` prints for one headline indicator.

    ``profiles`` maps an authority's code to its profile's link (relative to
    the site's root); authorities without one are named without a link.
    """
    from lacompare.charts import hex_map_chart, ranked_bar_chart

    decimals = data.decimals.get(spec.key, 0)
    fmt = d3_format(spec.unit, decimals)
    rows = data.latest_for(spec.key)
    rows = rows[rows["la_code"].astype(str).isin(_current_codes(data))]
    periods = sorted({str(p) for p in rows["period"].dropna()}, key=period_key)
    period = ", ".join(periods)
    measure = spec.label + unit_suffix(spec.unit)
    valued = rows[rows["value"].notna()]
    charts = []
    if len(valued):
        charts.append(
            _chart_block(
                "hex",
                hex_map_chart(
                    valued[["la_code", "value"]],
                    measure=measure,
                    period=period,
                    number_format=fmt,
                ),
            )
        )
        ranked = valued[valued["rank"].notna()][["la_name", "value"]]
        if len(ranked):
            charts.append(
                _chart_block(
                    "ranked",
                    ranked_bar_chart(
                        ranked,
                        measure=measure,
                        period=period,
                        highest_first=spec.polarity != "higher-is-worse",
                        number_format=fmt,
                        england=_first_number(rows["england_value"]),
                    ),
                )
            )
    england = rows["england_value"].dropna()
    return {
        "title": spec.label,
        "spec": spec,
        "period": period,
        "unit": spec.unit or "",
        "polarity": _POLARITY.get(spec.polarity, "Neither higher nor lower is better."),
        "england": _cell(england.iloc[0], spec, decimals) if len(england) else None,
        # A joint return is one figure: counted once, as the ranks count it.
        "count": int(
            valued.get("joint_counted", pd.Series(True, valued.index)).ne(False).sum()
        ),
        "charts": charts,
        "table": _indicator_table(rows, spec, decimals, profiles, period),
        "tests": sorted({str(t) for t in rows.get("test", pd.Series()).dropna()}),
    }


def _first_number(values: pd.Series) -> float | None:
    """The first figure of a column (England's, the same on every row), if any."""
    numbers = values.dropna()
    return float(numbers.iloc[0]) if len(numbers) else None


def _indicator_table(
    rows: pd.DataFrame,
    spec: MeasureSpec,
    decimals: int,
    profiles: dict[str, str],
    period: str,
) -> TablePart:
    """Every current authority: rank, name, region, value, quartile band and
    the verdict against England."""
    order = rows.assign(
        _ranked=rows["rank"].isna(), _rank=pd.to_numeric(rows["rank"], errors="coerce")
    ).sort_values(["_ranked", "_rank", "la_name"])
    unit = f" ({spec.unit})" if spec.unit else ""
    table = TablePart(
        f"{spec.label}, {period}: every authority ranked",
        [
            ("Rank", "num"),
            ("Authority", "text"),
            ("Region", "text"),
            (f"Value{unit}", "num"),
            ("Quartile band", "text"),
            ("Compared with England", "text"),
        ],
    )
    for r in order.to_dict("records"):
        code = str(r["la_code"])
        rank = f"{int(r['rank'])} of {int(r['rank_of'])}" if _is_num(r["rank"]) else "–"
        flag = r.get("flag")
        verdict = _SIGNIFICANCE.get(flag, "–") if isinstance(flag, str) else "–"
        if flag in ("above", "below") and r.get("flag_level"):
            verdict += f" ({r['flag_level']})"
        table.rows.append(
            [
                (rank, "num", None),
                (str(r["la_name"]), "head", profiles.get(code)),
                (str(r.get("region") or ""), "text", None),
                (
                    _cell(r["value"], spec, decimals, r.get("missing_reason")),
                    "num",
                    None,
                ),
                (
                    band_text(r.get("quartile") or None, spec.polarity) or "–",
                    "text",
                    None,
                ),
                (verdict, "text", None),
            ]
        )
    return table


def _region_rows(data: ProfileData, key: str, codes: list[str]) -> pd.DataFrame:
    """``series, kind, code, period, value``: each authority's figures, and
    the region's and England's published (or computed) ones."""
    parts = []
    for code in codes:
        trend = data.trend_of(key, code)
        if len(trend):
            parts.append(trend.assign(series=data.name_of(code), code=code))
    if not parts:
        return pd.DataFrame(columns=["series", "kind", "code", "period", "value"])
    every = pd.concat(parts, ignore_index=True)
    every["period"] = every["period"].astype(str)
    own = every[["series", "code", "period", "value"]].assign(kind="authority")
    area = []
    for col, kind in (("region_value", "region"), ("england_value", "england")):
        first = every.dropna(subset=[col]).groupby("period", sort=False)[col].first()
        area.append(
            pd.DataFrame(
                {"period": first.index, "value": first.to_numpy(), "kind": kind}
            )
        )
    return pd.concat([own, *area], ignore_index=True)


def region_page(
    data: ProfileData, region: str, codes: list[str], profiles: dict[str, str]
) -> dict[str, Any]:
    """What ``site/region.html.j2`` prints for one region: for each headline
    indicator, a chart and a table of its authorities over time."""
    from lacompare.charts import region_chart

    sections = []
    for n, spec in enumerate(data.specs, start=1):
        decimals = data.decimals.get(spec.key, 0)
        rows = _region_rows(data, spec.key, codes)
        rows.loc[rows["kind"] == "region", "series"] = region
        rows.loc[rows["kind"] == "england", "series"] = "England"
        drawn = rows[rows["value"].notna()]
        periods = sorted(set(rows["period"]), key=period_key)
        section: dict[str, Any] = {"spec": spec, "id": f"indicator-{n}", "chart": None}
        if drawn["kind"].eq("authority").any():
            chart = region_chart(
                drawn.rename(
                    columns={
                        "series": "area_name",
                        "kind": "area_type",
                        "code": "area_code",
                    }
                ).fillna({"area_code": ""}),
                measure=spec.label + unit_suffix(spec.unit),
                region=region,
                periods=periods,
                decimals=decimals,
            )
            section["chart"] = _chart_block(f"chart-{n}", chart)
        section["table"] = _region_table(
            rows, spec, decimals, periods, region, profiles
        )
        sections.append(section)
    return {
        "title": region,
        "authorities": [(data.name_of(c), profiles.get(c)) for c in codes],
        "sections": sections,
    }


def _region_table(
    rows: pd.DataFrame,
    spec: MeasureSpec,
    decimals: int,
    periods: list[str],
    region: str,
    profiles: dict[str, str],
) -> TablePart:
    unit = f" ({spec.unit})" if spec.unit else ""
    table = TablePart(
        f"{spec.label}{unit}: {region}'s authorities, the region and England",
        [("Area", "text")] + [(p, "num") for p in periods],
    )
    order = [
        ("authority", s)
        for s in sorted(set(rows.loc[rows["kind"] == "authority", "series"]))
    ]
    order += [("region", region), ("england", "England")]
    for kind, name in order:
        mine = rows[(rows["kind"] == kind) & (rows["series"] == name)]
        if not len(mine):
            continue
        by_period = dict(zip(mine["period"], mine["value"], strict=True))
        code = mine["code"].iloc[0] if kind == "authority" else None
        cells: list[tuple[str, str, str | None]] = [
            (name, "head", profiles.get(str(code)) if code else None)
        ]
        cells += [
            (_cell(by_period.get(p), spec, decimals), "num", None) for p in periods
        ]
        table.rows.append(cells)
    return table
