"""The ``network`` report: a national data report from a table of services' returns.

Modelled on the IASSN *Funding, Casework and Staffing Data Report 2021* (the
SENDIAS network's annual report): the population served, funding per head over
the years and its change, how services are delivered and jointly commissioned,
staffing and the population per staff member, then a regional table (N, mean,
median, SD, minimum, maximum) for every figure of the return.

The regional tables are :func:`lacompare.analysis.summarise_by_group` over the
load, exactly as ``lacompare demo`` writes them to ``regional_summary.csv``: the
report and the CSV cannot disagree. The data is read by
:func:`~lacompare.report._network_data.read_network`; each section is a step here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.formatting import format_value
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._network_casework import (
    NOT_REGIONAL,
    casework_key_points,
    casework_section,
    funding_source_section,
    return_rate_words,
)
from lacompare.report._network_data import (
    _REQUIRED,
    HUB_MEASURES,
    JOINT_FLAGS,
    NETWORK_MEASURES,
    NetworkData,
    count_delivery,
    load_network_demo,
    read_network,
)
from lacompare.report._reports import (
    Document,
    SourceTracker,
    join_words,
    missing_where,
    sentence_label,
)

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "NETWORK_MEASURES",
    "HUB_MEASURES",
    "JOINT_FLAGS",
    "build_network",
    "count_delivery",
    "load_network_demo",
    "regional_table",
    "_REQUIRED",
]

_STAT_LABELS = {
    "n": "Services (N)",
    "mean": "Mean",
    "median": "Median",
    "sd": "SD",
    "min": "Minimum",
    "max": "Maximum",
}


def _is_flag(unit: str | None) -> bool:
    return bool(unit) and str(unit).lower().startswith("flag")


def _base_decimals(unit: str | None) -> int:
    if unit in ("£ per head", "FTE"):
        return 2
    return 0


def _stat_decimals(unit: str | None, block: pd.DataFrame) -> dict[str, int]:
    """Decimals per statistic column, as the demo's report prints them."""
    base = _base_decimals(unit)
    spread = base if base else 1
    if _is_flag(unit):
        spread = 2

    def whole(col: str) -> bool:
        vals = block[col].dropna()
        return bool(len(vals)) and all(float(v).is_integer() for v in vals)

    return {
        "n": 0,
        "mean": base if base else (0 if whole("mean") else spread),
        "median": base if base else (0 if whole("median") else spread),
        "sd": spread,
        "min": base,
        "max": base,
    }


def regional_table(
    block: pd.DataFrame, measure: str, label: str, unit: str | None
) -> ReportTable:
    """One measure's regional summary (N, mean, median, SD, min, max) as a table."""
    frame = block[["region", "n", "mean", "median", "sd", "min", "max"]].copy()
    frame["n"] = frame["n"].astype(int)
    frame["row_role"] = np.where(frame["region"] == "England", "total", "item")
    # A statistic with no figure (an SD of one service) is not applicable.
    for col in ("mean", "median", "sd", "min", "max"):
        frame[col + "__missing"] = missing_where(frame[col].isna(), "not-applicable")
    decimals = _stat_decimals(unit, block)
    shown_unit = None if _is_flag(unit) or unit in (None, "") else unit
    columns = [
        Column("region", "Region", role="label"),
        Column("n", _STAT_LABELS["n"], role="rate", decimals=0),
    ]
    columns += [
        Column(s, _STAT_LABELS[s], unit=shown_unit, role="rate", decimals=decimals[s])
        for s in ("mean", "median", "sd", "min", "max")
    ]
    notes = [
        "N is the number of services with the figure; statistics are over "
        "those services. England is every service in the return."
    ]
    if _is_flag(unit):
        notes.append("1 = yes, 0 = no: the mean is the share of services saying yes.")
    return ReportTable(
        f"{label}: by region", frame, columns, notes=notes, name=measure[:31]
    )


def _money(value: float, unit: str = "£ per head") -> str:
    return format_value(value, unit, 2 if unit == "£ per head" else 0)


def _item_or_total(frame: pd.DataFrame) -> pd.DataFrame:
    frame["row_role"] = np.where(frame["region"] == "England", "total", "item")
    return frame


def build_network(
    store: Store,
    *,
    source_id: int | None = None,
    title: str | None = None,
) -> Document:
    """The network report from one load of services' returns (default: the latest).

    Parameters
    ----------
    store
        An open store holding a services' return (the demo's measures).
    source_id
        Which load to report (default: the latest with ``pop_0_25``).
    title
        The report's title.
    """
    data = read_network(store, source_id)
    tracker = SourceTracker(store)
    tracker.use_source(data.source_id)
    doc = Document(
        "network",
        title
        or f"Information, advice and support services "
        f"in England, {data.period}: funding, staffing and commissioning",
        subtitle=f"A national data report from {data.returned} services' "
        f"returns, by region.",
        name="network",
    )
    doc.key_points = network_key_points(data)
    about_section(doc, data)
    population_section(doc, data, tracker)
    funding_section(doc, data, tracker)
    funding_change_section(doc, data, tracker)
    funding_source_section(doc, data, tracker)
    delivery_section(doc, data, tracker, count_delivery(store, data.source_id))
    staffing_section(doc, data, tracker)
    casework_section(doc, data, tracker)
    regional_sections(doc, data, tracker)
    doc.reading_notes = [
        "SD is the sample standard deviation; [z] means there is no figure to "
        "give (an SD of one service).",
        "England is all services in the return, not a published national figure.",
    ]
    doc.sources = tracker.frame()
    return doc


def _funding_change(data: NetworkData) -> pd.Series:
    return data.wide.get("funding_change_2020_21", pd.Series(dtype=float)).dropna()


def network_key_points(data: NetworkData) -> list[str]:
    """The key points: services matched, funding per head, its change, staffing."""
    ph, ppf, stat = "per_head_2021", "pop_per_fte_2021", data.stat
    key = [
        f"{data.returned} services' returns were matched to their local authorities."
        + data.late,
        f"Return rate: {data.return_rate} services in the network sent a "
        f"return for {data.period}.",
    ]
    if data.has(ph):
        key.append(
            f"Funding per head of the 0-25 population in {data.period}: a mean of "
            f"{_money(stat(ph, 'England', 'mean'))} and a median of "
            f"{_money(stat(ph, 'England', 'median'))} across "
            f"{int(stat(ph, 'England', 'n'))} services, from "
            f"{_money(stat(ph, 'England', 'min'))} to "
            f"{_money(stat(ph, 'England', 'max'))}."
        )
    change = _funding_change(data)
    if len(change):
        key.append(
            f"Of {len(change)} services reporting funding for both years, "
            f"{int((change < 100).sum())} had less than the year before, "
            f"{int((change == 100).sum())} the same and "
            f"{int((change > 100).sum())} more."
        )
    key += casework_key_points(data)
    if data.has(ppf):
        key.append(
            f"The median service had one full-time-equivalent member of "
            f"staff for every {format_value(stat(ppf, 'England', 'median'))} "
            "people aged 0-25."
        )
    return key


def about_section(doc: Document, data: NetworkData) -> None:
    """What the report summarises, and how services without a figure count."""
    about = doc.section("About this report")
    about.p(
        f"This report summarises the returns of {data.returned} information, "
        f"advice and support services (load {data.source_id} in the store), each "
        "matched to the local authority it serves. Regions are the ONS regions of "
        "those authorities."
    )
    about.p(return_rate_words(data))
    about.bullets([f"{n}: counted once, under the lead authority." for n in data.notes])
    about.p(
        "N is the number of services that gave a figure; every statistic is "
        "over those services only. A service that did not give a figure is "
        "left out, never counted as zero."
    )


def population_section(
    doc: Document, data: NetworkData, tracker: SourceTracker
) -> None:
    """The population aged 0-25 served, by region."""
    values, summary = data.values, data.summary
    by_region = (
        values[values["measure"] == "pop_0_25"]
        .groupby("region", sort=False)["value"]
        .agg(["count", "sum"])
    )
    pop_stats = summary[summary["measure"] == "pop_0_25"].set_index("region")
    frame = pd.DataFrame(
        {
            "region": pop_stats.index,
            "n": pop_stats["n"].astype(int).to_numpy(),
            "total": [
                float(by_region["sum"].get(r, np.nan))
                if r != "England"
                else float(by_region["sum"].sum())
                for r in pop_stats.index
            ],
            **{s: pop_stats[s].to_numpy() for s in ("mean", "median", "min", "max")},
        }
    )
    persons = {"unit": "persons", "role": "rate", "decimals": 0}
    doc.section("Population served").table(
        ReportTable(
            f"Population aged 0-25 served, by region, {data.period}",
            _item_or_total(frame),
            [
                Column("region", "Region", role="label"),
                Column("n", "Services (N)", role="rate", decimals=0),
                Column("total", "Population aged 0-25", unit="persons", rounding=0),
                Column("mean", "Mean per service", **persons),
                Column("median", "Median per service", **persons),
                Column("min", "Smallest", **persons),
                Column("max", "Largest", **persons),
            ],
            notes=["The population is each service's area's, as given in its return."],
            name="Population",
        )
    )
    tracker.use("pop_0_25", None)


def _funding_years(data: NetworkData) -> list[str]:
    have = set(data.summary["measure"])
    return [m for m in ("per_head_2019", "per_head_2020", "per_head_2021") if m in have]


def _regions(data: NetworkData) -> list[str]:
    s = data.summary
    return list(s[s["measure"] == "per_head_2021"]["region"])


def funding_frame(data: NetworkData, years: list[str]) -> pd.DataFrame:
    """Mean funding per head by region and year, and the change between the
    first and last years over the services that reported both."""
    first, last = (years[0], years[-1]) if years else ("per_head_2021",) * 2
    rows = []
    for region in _regions(data):
        row: dict[str, Any] = {"region": region}
        for m in years:
            row[m] = data.stat(m, region, "mean")
            row[m + "_n"] = data.stat(m, region, "n")
        wide = data.wide
        part = wide if region == "England" else wide[wide["region"] == region]
        pair = list(dict.fromkeys([first, last]))  # one column with one year
        both = (
            part[pair].dropna()
            if first in part and last in part
            else pd.DataFrame(columns=pair)
        )
        row["both_n"] = len(both)
        total_first = float(both[first].sum())
        row["change"] = (
            100 * (float(both[last].sum()) - total_first) / total_first
            if len(both) and total_first and first != last
            else np.nan
        )
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["change__missing"] = missing_where(frame["change"].isna(), "not-available")
    for m in years:
        frame[m + "__missing"] = missing_where(frame[m].isna(), "not-available")
    return _item_or_total(frame)


def funding_table(data: NetworkData, years: list[str]) -> ReportTable:
    """Funding per head by region: the mean of each year and the change."""
    first, last = (years[0], years[-1]) if years else ("per_head_2021",) * 2
    y0, y1 = first.rsplit("_", 1)[-1], last.rsplit("_", 1)[-1]
    cols = [Column("region", "Region", role="label")]
    for m in years:
        year = m.rsplit("_", 1)[-1]
        cols.append(Column(m, f"Mean {year}", unit="£ per head", role="rate"))
    cols += [
        Column("both_n", f"Services with {y0} and {y1}", role="rate", decimals=0),
        Column("change", f"Change {y0} to {y1}", unit="%", role="rate", decimals=1),
    ]
    return ReportTable(
        "Funding per head of the 0-25 population by region: mean by year and change",
        funding_frame(data, years),
        cols,
        notes=[
            "Change: the per-head figures of the services that reported both "
            "years, added up, compared between the years.",
            "Means are over the services that reported each year; a region with "
            "no service reporting a year shows [x].",
        ],
        name="Funding per head",
    )


def funding_section(doc: Document, data: NetworkData, tracker: SourceTracker) -> None:
    """Funding per head by region and year, its spread, and total funding."""
    from lacompare.charts import box_chart

    fund = doc.section("Funding per head")
    fund.p(
        "Funding per head is each service's funding divided by the population "
        "aged 0-25 of its area. The table gives the mean over the services that "
        "reported each year, and the change between the first and last years "
        "for services that reported both."
    )
    years = _funding_years(data)
    fund.table(funding_table(data, years))
    for m in years:
        tracker.use(m, None)
    ph = "per_head_2021"
    shown = data.wide[["la_name", "region", ph]].dropna()
    if len(shown) >= 5:
        fund.figure(
            box_chart(
                shown.rename(columns={ph: "value"}),
                measure="Funding per head of 0-25 population (£)",
                period=data.period,
                group_title="region",
                number_format=",.2f",
            ),
            caption="Boxes span the middle half of services; services "
            "beyond the whiskers are named.",
            name="Funding per head by region",
        )
    if (data.summary["measure"] == "ias_total_2021").any():
        fund.p(
            f"Total funding: the mean service received "
            f"{_money(data.stat('ias_total_2021', 'England', 'mean'), '£')} (median "
            f"{_money(data.stat('ias_total_2021', 'England', 'median'), '£')}); see "
            "the regional tables."
        )


def funding_change_section(
    doc: Document, data: NetworkData, tracker: SourceTracker
) -> None:
    """How many services had more, the same or less funding than the year before."""
    from lacompare.charts import histogram_chart

    change = _funding_change(data)
    if not len(change):
        return
    ch = doc.section("Change in funding")
    lab = sentence_label(data.labels.get("funding_change_2020_21", "funding change"))
    ch.p(
        f"The {lab} shows whether a service's funding rose or fell: 100% means "
        "no change."
    )
    shown = data.wide[["la_name", "funding_change_2020_21"]].dropna()
    ch.figure(
        histogram_chart(
            shown.rename(columns={"funding_change_2020_21": "value"}),
            measure="2021 funding as % of 2020 funding",
            period=data.period,
            number_format=",.0f",
        ),
        caption="Bars count services; 100 means the same funding as the year before.",
        name="Funding change",
    )
    counts = pd.DataFrame(
        {
            "band": [
                "Less than the year before (under 100%)",
                "The same (100%)",
                "More than the year before (over 100%)",
                "All services with both years",
            ],
            "services": [
                int((change < 100).sum()),
                int((change == 100).sum()),
                int((change > 100).sum()),
                len(change),
            ],
            "row_role": ["item", "item", "item", "total"],
        }
    )
    counts["share"] = counts["services"] / len(change)
    counts["share__missing"] = None
    ch.table(
        ReportTable(
            "Services by change in funding, 2020 to 2021",
            counts,
            [
                Column("band", "Funding compared with the year before", role="label"),
                Column("services", "Services", rounding=0),
                Column("share", "Share", unit="proportion", role="rate", decimals=0),
            ],
            name="Funding change",
        )
    )
    tracker.use("funding_change_2020_21", None)


def delivery_section(
    doc: Document, data: NetworkData, tracker: SourceTracker, counts: pd.DataFrame
) -> None:
    """Services by delivery model and joint commissioning, by region."""
    dl = doc.section("Delivery and joint commissioning")
    counts = _item_or_total(counts)
    joint_cols = [c for c in counts.columns if c.startswith("joint_")]
    labels = data.labels
    dl.table(
        ReportTable(
            "Services by delivery model and joint commissioning, by region, "
            f"{data.period}",
            counts,
            [
                Column("region", "Region", role="label"),
                Column("in_house", "In-house", unit="services", rounding=0),
                Column("outsourced", "Outsourced", unit="services", rounding=0),
            ]
            + [
                Column(
                    c,
                    labels.get(c, c).replace("Jointly commissioned with ", "Joint: "),
                    unit="services",
                    rounding=0,
                )
                for c in joint_cols
            ],
            notes=[
                "Joint commissioning: the local authority commissions the service "
                "with health, social care or both; the columns count services that "
                "said yes."
            ],
            name="Delivery",
        )
    )
    eng = counts[counts["region"] == "England"].iloc[0]
    joint_text = join_words(
        [
            f"{int(eng[c])} with "
            + labels.get(c, c).replace("Jointly commissioned with ", "").lower()
            for c in joint_cols
        ]
    )
    dl.p(
        f"In England, {int(eng['in_house'])} services were run in-house and "
        f"{int(eng['outsourced'])} outsourced; jointly commissioned: {joint_text}."
    )
    for m in ("delivery", *joint_cols):
        tracker.use(m, None)


def staffing_table(data: NetworkData) -> ReportTable:
    """Staff, volunteers and population per staff member, by region."""
    ppf, stat = "pop_per_fte_2021", data.stat
    frame = pd.DataFrame(
        [
            {
                "region": region,
                "fte_n": stat("fte_staff_2021", region, "n"),
                "fte": stat("fte_staff_2021", region, "mean"),
                "vol": stat("volunteers_2021", region, "mean"),
                "ppf": stat(ppf, region, "median"),
                "ppf_prev": stat("pop_per_fte_2020", region, "median"),
            }
            for region in _regions(data)
        ]
    )
    for c in ("fte", "vol", "ppf", "ppf_prev"):
        frame[c + "__missing"] = missing_where(frame[c].isna(), "not-available")
    persons = {"unit": "persons", "role": "rate", "decimals": 0}
    return ReportTable(
        f"Staffing and population per staff member, by region, {data.period}",
        _item_or_total(frame),
        [
            Column("region", "Region", role="label"),
            Column("fte_n", "Services (N)", role="rate", decimals=0),
            Column("fte", "Mean FTE staff", unit="FTE", role="rate", decimals=2),
            Column("vol", "Mean volunteers", role="rate", decimals=1),
            Column("ppf", "Median population per FTE, 2021", **persons),
            Column("ppf_prev", "Median population per FTE, 2020", **persons),
        ],
        notes=[
            "N counts services giving FTE staff; the other columns are over "
            "the services giving each figure (see the regional tables)."
        ],
        name="Staffing",
    )


def staffing_section(doc: Document, data: NetworkData, tracker: SourceTracker) -> None:
    """Staff, volunteers and the population per member of staff."""
    from lacompare.charts import box_chart

    ppf = "pop_per_fte_2021"
    st = doc.section("Staffing")
    st.p(
        f"Staff are full-time equivalents (FTE). Population per staff member is "
        f"the population aged 0-25 divided by FTE staff: the higher it is, the "
        f"more people each member of staff serves. In England the median was "
        f"{format_value(data.stat(ppf, 'England', 'median'))} (N = "
        f"{int(data.stat(ppf, 'England', 'n'))})."
    )
    st.table(staffing_table(data))
    shown = data.wide[["la_name", "region", ppf]].dropna()
    if len(shown) >= 5:
        st.figure(
            box_chart(
                shown.rename(columns={ppf: "value"}),
                measure="Population aged 0-25 per FTE staff member",
                period=data.period,
                group_title="region",
                number_format=",.0f",
            ),
            caption="Higher means more people per member of staff.",
            name="Population per FTE",
        )
    for m in ("fte_staff_2021", "volunteers_2021", ppf, "pop_per_fte_2020"):
        tracker.use(m, None)


def regional_sections(doc: Document, data: NetworkData, tracker: SourceTracker) -> None:
    """Every figure of the return by region, a table each."""
    reg = doc.section("Regional tables")
    reg.p(
        "Every figure of the return by region: the number of services giving it "
        "(N), their mean, median, standard deviation (SD), minimum and maximum. "
        "These are the figures of the demo's regional_summary.csv."
    )
    for measure, block in data.summary.groupby("measure", sort=False):
        if measure in NOT_REGIONAL:
            continue  # in the casework and funding-by-source sections
        label = data.labels.get(measure, measure)
        sub = doc.section(label, level=3)
        sub.table(regional_table(block, str(measure), label, data.units.get(measure)))
        tracker.use(str(measure), None)
