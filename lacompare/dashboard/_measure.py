"""The measure explorer: one measure across authorities, its table and charts.

:func:`measure_view` compares every authority with
:func:`lacompare.analysis.compare` (cached by the store's version) and picks the
comparison group's rows; :func:`measure_table` and :func:`measure_charts` turn
the view into the page's table and its hex map, ranked bars and box plots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.dashboard._catalogue import ENGLAND, catalogue_entry, find_authority
from lacompare.errors import InputError, LacompareError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.dashboard._state import DashboardStore
    from lacompare.formatting.tables import ReportTable
    from lacompare.report import MeasureSpec


@dataclass
class MeasureView:
    """One measure across authorities, as the explorer shows it.

    ``table``: :func:`~lacompare.analysis.compare`'s rows for every authority
    with a value (the whole distribution: ranks and bands are among all of
    them); ``shown``: the rows of the comparison group, in rank order;
    ``neighbours``: names of the highlighted authority's neighbours.
    """

    spec: MeasureSpec
    period: str
    group: str
    group_label: str
    highlight: str | None
    table: pd.DataFrame
    shown: pd.DataFrame
    neighbours: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.spec.label}, {self.period}: {self.group_label}"


@dataclass
class GroupRows:
    """The rows a comparison group lists, its label, and who it centres on."""

    shown: pd.DataFrame
    label: str
    neighbours: list[str] = field(default_factory=list)
    centre: str | None = None


def read_comparison(
    state: DashboardStore, entry: pd.Series, period: str
) -> tuple[MeasureSpec, Any]:
    """The measure's spec and :func:`~lacompare.analysis.compare`'s result for
    every authority in ``period`` (cached by key, period and store version)."""
    from lacompare.analysis import compare
    from lacompare.report import resolve_measure

    def compute() -> tuple[Any, Any]:
        with state.store() as store:
            spec = resolve_measure(store, str(entry["key"]))
            result = compare(
                store, None, [spec.measure], period=period, breakdown=spec.breakdown
            )
        return spec, result

    return state.cached(("compare", entry["key"], period), compute)


def select_group(
    state: DashboardStore, table: pd.DataFrame, group: str, neighbour_set: Any
) -> GroupRows:
    """The rows of ``table`` in the comparison group (``england``,
    ``region:NAME`` or ``neighbours:AUTHORITY``), in the table's order."""
    if group == ENGLAND:
        return GroupRows(table, "all authorities")
    if group.startswith("region:"):
        region = group.split(":", 1)[1]
        shown = table[table["region"] == region]
        if not len(shown):
            raise InputError(f"no authority in region {region!r} has a value")
        return GroupRows(shown, region)
    if group.startswith("neighbours:"):
        from lacompare.analysis.neighbours import neighbours_of

        code = find_authority(state, group.split(":", 1)[1])
        with state.store() as store:
            nb = neighbours_of(store, code, neighbour_set)
        members = [code, *nb["neighbour_code"].tolist()]
        return GroupRows(
            table[table["la_code"].isin(members)],
            f"{nb['la_name'].iloc[0]} and its statistical neighbours",
            nb["neighbour_name"].tolist(),
            code,
        )
    raise InputError(
        f"comparison group {group!r}: choose england, "
        "region:NAME or neighbours:AUTHORITY"
    )


def measure_view(
    state: DashboardStore,
    key: str,
    period: str | None = None,
    group: str | None = None,
    highlight: str | None = None,
) -> MeasureView:
    """Compare every authority on one measure in one period, for the explorer.

    Parameters
    ----------
    state
        The dashboard's store.
    key
        The measure key (``measure`` or ``measure[breakdown]``).
    period
        The period (default: the latest with values).
    group
        ``england``, ``region:<name>`` or ``neighbours:<authority>``: the rows
        listed and ranked in the table and the bars (ranks stay national).
    highlight
        An authority to pick out in the charts (name or code).
    """
    entry = catalogue_entry(state, key)
    periods = list(entry["periods"])
    period = period or (periods[-1] if periods else None)
    if period not in periods:
        raise InputError(
            f"{entry['label']} has no values for period {period!r}; "
            f"periods: {', '.join(periods)}"
        )
    spec, result = read_comparison(state, entry, str(period))
    table = result.table[result.table["value"].notna()].copy()
    table = table.sort_values(["rank", "la_name"], na_position="last")
    highlight_code = find_authority(state, highlight) if highlight else None
    rows = select_group(state, table, group or ENGLAND, result.neighbour_set)
    highlight_code = highlight_code or rows.centre
    nb_names = rows.neighbours or _picked_neighbours(
        state, table, highlight_code, result.neighbour_set, rows.shown
    )
    hl_name = None
    if highlight_code:
        names = table.loc[table["la_code"] == highlight_code, "la_name"]
        hl_name = str(names.iloc[0]) if len(names) else None
    return MeasureView(
        spec,
        str(period),
        group or ENGLAND,
        rows.label,
        hl_name,
        table,
        rows.shown.reset_index(drop=True),
        nb_names,
        periods,
        result.notes(),
    )


def _picked_neighbours(
    state: DashboardStore,
    table: pd.DataFrame,
    code: str | None,
    neighbour_set: Any,
    shown: pd.DataFrame,
) -> list[str]:
    """The picked-out authority's neighbours among the rows shown, so the ranked
    bars name them whatever the group; none without a set for it."""
    if not code:
        return []
    try:
        group = select_group(state, table, f"neighbours:{code}", neighbour_set)
    except LacompareError:
        return []
    return [n for n in group.neighbours if n in set(shown["la_name"])]


def _flag_text(flag: Any, level: Any) -> str:
    """'higher (95%)' for a significant difference, else the flag as it is."""
    if isinstance(flag, str) and flag != "within" and level:
        return f"{flag} ({level})"
    return flag or ""


def measure_frame(view: MeasureView) -> pd.DataFrame:
    """The explorer table's cells: authority, code, region, rank, value, band,
    flag and England's value, one row per authority shown."""
    import pandas as pd

    from lacompare.catalogue import band_text

    shown = view.shown
    return pd.DataFrame(
        {
            "la_name": shown["la_name"],
            "la_code": shown["la_code"],
            "region": shown["region"],
            "rank": pd.to_numeric(shown["rank"], errors="coerce").astype(float),
            "value": shown["value"].astype(float),
            # A neutral measure's quarter is named by height, never best or worst.
            "quartile": [
                band_text(q if isinstance(q, str) else None, view.spec.polarity)
                for q in shown["quartile"]
            ],
            "flag": [
                _flag_text(f, lvl)
                for f, lvl in zip(shown["flag"], shown["flag_level"], strict=True)
            ],
            "england": shown["england_value"].astype(float),
        }
    )


def measure_notes(view: MeasureView) -> list[str]:
    """The table's notes: how it ranks and bands, and the tests used."""
    best = (view.shown["rank_order"] == "best").any()
    order = "1 = best" if best else "1 = highest"
    notes = [
        f"Rank among the {len(view.table)} authorities with a value ({order}); "
        "quartile band A is the best quarter; a neutral measure's quarters "
        "are named highest to lowest, never best or worst."
    ]
    tests = sorted(set(view.shown["test"].dropna()))
    if tests:
        notes.append("Significance: " + "; ".join(tests) + ".")
    return notes


def measure_table(view: MeasureView) -> ReportTable:
    """The explorer's table: rank, authority, region, value, band and flag."""
    from lacompare.catalogue import indicator_decimals
    from lacompare.formatting.tables import Column, ReportTable
    from lacompare.report import measure_decimals

    values = view.table["value"].dropna()
    # The catalogue's decimals where it knows the measure (IDACI 3 dp).
    known = indicator_decimals(view.spec.key, values)
    decimals = known if known is not None else measure_decimals(values, view.spec.unit)
    unit = view.spec.unit
    return ReportTable(
        view.title,
        measure_frame(view),
        [
            Column("la_name", "Authority", role="label"),
            Column("la_code", "ONS code", role="text"),
            Column("region", "Region", role="text"),
            Column("rank", "Rank", role="rate", decimals=0),
            Column("value", view.spec.label, unit=unit, role="rate", decimals=decimals),
            Column("quartile", "Quartile band", role="text"),
            Column("flag", "Significantly different", role="text"),
            Column("england", "England", unit=unit, role="rate", decimals=decimals),
        ],
        notes=measure_notes(view),
        name="Measure",
    )


def measure_charts(view: MeasureView) -> dict[str, Any]:
    """The explorer's charts: hex map, ranked bars and box plots by region."""
    from lacompare.charts import (
        box_chart,
        hex_map_chart,
        ranked_bar_chart,
        without_repeated_unit,
    )

    unit = f" ({view.spec.unit})" if view.spec.unit else ""
    label = without_repeated_unit(view.spec.label + unit)
    code = None
    if view.highlight:
        hit = view.table.loc[view.table["la_name"] == view.highlight, "la_code"]
        code = str(hit.iloc[0]) if len(hit) else None
    return {
        "hex": hex_map_chart(
            view.table[["la_code", "value"]],
            measure=label,
            period=view.period,
            highlight=code,
        ),
        "bars": ranked_bar_chart(
            view.shown[["la_name", "value"]],
            measure=label,
            authority=view.highlight,
            neighbours=view.neighbours,
            england=next(iter(view.shown["england_value"]), None),
            period=view.period,
        ),
        "box": box_chart(
            view.table[["la_name", "region", "value"]].dropna(),
            measure=label,
            period=view.period,
            highlight=view.highlight,
        ),
    }
