"""The ``network`` report: a national data report from a table of services' returns.

Modelled on the IASSN *Funding, Casework and Staffing Data Report 2021* (the
SENDIAS network's annual report): the population served, funding per head over
the years and its change, how services are delivered and jointly commissioned,
staffing and the population per staff member, then a regional table (N, mean,
median, SD, minimum, maximum) for every figure of the return.

The regional tables are :func:`lacompare.analysis.summarise_by_group` over the
load, exactly as ``lacompare demo`` writes them to ``regional_summary.csv``: the
report and the CSV cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._reports import (
    Document,
    SourceTracker,
    format_measure_value,
    join_words,
    missing_where,
    sentence_label,
)

if TYPE_CHECKING:
    from lacompare.store import Store

#: The figures a services' return must have (the demo's measures).
NETWORK_MEASURES = (
    "pop_0_25",
    "pop_per_fte_2020",
    "pop_per_fte_2021",
    "ias_total_2021",
    "fte_staff_2021",
    "volunteers_2021",
    "joint_health_and_social_care",
    "joint_health_only",
    "joint_social_care_only",
    "per_head_2019",
    "per_head_2020",
    "per_head_2021",
    "funding_change_2020_21",
)
_REQUIRED = ("pop_0_25", "per_head_2021", "fte_staff_2021")
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


def _service_values(store: Store, source_id: int, measures: list[str]) -> pd.DataFrame:
    return store.query(
        """SELECT o.la_code, a.la_name, a.region, o.measure, o.value, o.missing_reason
           FROM observations o JOIN authorities a USING (la_code)
           WHERE o.source_id = ? AND o.measure IN (SELECT unnest(?))""",
        [source_id, measures],
    )


def _network_source(store: Store, source_id: int | None) -> tuple[int, str]:
    if source_id is None:
        rows = store.con.execute(
            "SELECT max(source_id) FROM observations WHERE measure = 'pop_0_25'"
        ).fetchall()
        source_id = rows[0][0]
    if source_id is None:
        raise InputError(
            "the store has no services' returns for the network "
            "report (measure pop_0_25 and the demo's other measures): "
            "load them, or run it with no --db to use the demo data"
        )
    have = {
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT measure FROM observations WHERE source_id = ?", [source_id]
        ).fetchall()
    }
    missing = [m for m in _REQUIRED if m not in have]
    if missing:
        raise InputError(
            f"load {source_id} lacks {', '.join(missing)}, which the "
            "network report needs"
        )
    period = store.con.execute(
        "SELECT max(period) FROM observations WHERE source_id = ?", [source_id]
    ).fetchall()[0][0]
    return int(source_id), str(period)


def _late_note(store: Store, source_id: int) -> str:
    """' N of them were late …' for a load the returns hub published (its
    ``hub_returns`` table flags each return submitted after the round closed)."""
    has = store.con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = "
        "'hub_returns' AND column_name = 'late'"
    ).fetchone()[0]
    if not has:
        return ""
    late = store.con.execute(
        "SELECT count(*) FILTER (WHERE late), count(late) FROM hub_returns "
        "WHERE source_id = ?",
        [source_id],
    ).fetchone()
    if not late[1]:
        return ""
    return (
        f" {late[0]} of them {'was' if late[0] == 1 else 'were'} late "
        "(submitted after the round's closing date, with an extension or "
        "reopened)."
    )


def build_network(
    store: Store,
    *,
    source_id: int | None = None,
    title: str | None = None,
    **unknown: Any,
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
    from lacompare.analysis import summarise_by_group
    from lacompare.charts import box_chart, histogram_chart
    from lacompare.demo import count_delivery

    if unknown:
        raise InputError(
            "the network report has no option " + ", ".join(sorted(unknown))
        )
    source_id, period = _network_source(store, source_id)
    tracker = SourceTracker(store)
    tracker.use_source(source_id)
    meta = store.query(
        "SELECT measure, coalesce(label, measure) AS label, unit FROM measures"
    ).set_index("measure")
    labels = meta["label"].to_dict()
    units = {m: (u if isinstance(u, str) else None) for m, u in meta["unit"].items()}
    summary = summarise_by_group(store, NETWORK_MEASURES, source_id=source_id)
    summary = summary[["region", "measure", "n", "mean", "median", "sd", "min", "max"]]
    values = _service_values(store, source_id, list(NETWORK_MEASURES))
    wide = values.pivot_table(
        index=["la_code", "la_name", "region"],
        columns="measure",
        values="value",
        aggfunc="first",
    )
    wide = wide.reset_index()
    services = int(
        store.con.execute(
            "SELECT count(DISTINCT la_code) FROM observations WHERE source_id = ?",
            [source_id],
        ).fetchall()[0][0]
    )
    notes = [
        r[0]
        for r in store.con.execute(
            "SELECT message FROM load_issues WHERE source_id = ? AND kind = "
            "'authority-note' ORDER BY message",
            [source_id],
        ).fetchall()
    ]

    def stat(measure: str, region: str, column: str) -> float:
        row = summary[(summary["measure"] == measure) & (summary["region"] == region)]
        return float(row[column].iloc[0]) if len(row) else float("nan")

    def money(v: float, unit: str = "£ per head") -> str:
        return format_measure_value(v, unit, 2 if unit == "£ per head" else 0)

    doc = Document(
        "network",
        title
        or f"Information, advice and support services "
        f"in England, {period}: funding, staffing and commissioning",
        subtitle=f"A national data report from {services} services' "
        f"returns, by region.",
        name="network",
    )

    # Key points.
    ph = "per_head_2021"
    change = wide.get("funding_change_2020_21", pd.Series(dtype=float)).dropna()
    key = [
        f"{services} services' returns were matched to their local authorities."
        + _late_note(store, source_id)
    ]
    if stat(ph, "England", "n") == stat(ph, "England", "n"):
        key.append(
            f"Funding per head of the 0-25 population in {period}: a mean of "
            f"{money(stat(ph, 'England', 'mean'))} and a median of "
            f"{money(stat(ph, 'England', 'median'))} across "
            f"{int(stat(ph, 'England', 'n'))} services, from "
            f"{money(stat(ph, 'England', 'min'))} to "
            f"{money(stat(ph, 'England', 'max'))}."
        )
    if len(change):
        less = int((change < 100).sum())
        same = int((change == 100).sum())
        more = int((change > 100).sum())
        key.append(
            f"Of {len(change)} services reporting funding for both years, "
            f"{less} had less than the year before, {same} the same and "
            f"{more} more."
        )
    ppf = "pop_per_fte_2021"
    if stat(ppf, "England", "n") == stat(ppf, "England", "n"):
        key.append(
            f"The median service had one full-time-equivalent member of "
            f"staff for every {stat(ppf, 'England', 'median'):,.0f} "
            "people aged 0-25."
        )
    doc.key_points = key

    # About.
    about = doc.section("About this report")
    about.p(
        f"This report summarises the returns of {services} information, advice "
        f"and support services (load {source_id} in the store), each matched "
        "to the local authority it serves. Regions are the ONS regions of "
        "those authorities."
    )
    about.bullets([f"{n}: counted once, under the lead authority." for n in notes])
    about.p(
        "N is the number of services that gave a figure; every statistic is "
        "over those services only. A service that did not give a figure is "
        "left out, never counted as zero."
    )

    # Population.
    pop = doc.section("Population served")
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
            "mean": pop_stats["mean"].to_numpy(),
            "median": pop_stats["median"].to_numpy(),
            "min": pop_stats["min"].to_numpy(),
            "max": pop_stats["max"].to_numpy(),
        }
    )
    frame["row_role"] = np.where(frame["region"] == "England", "total", "item")
    pop.table(
        ReportTable(
            f"Population aged 0-25 served, by region, {period}",
            frame,
            [
                Column("region", "Region", role="label"),
                Column("n", "Services (N)", role="rate", decimals=0),
                Column("total", "Population aged 0-25", unit="persons", rounding=0),
                Column(
                    "mean", "Mean per service", unit="persons", role="rate", decimals=0
                ),
                Column(
                    "median",
                    "Median per service",
                    unit="persons",
                    role="rate",
                    decimals=0,
                ),
                Column("min", "Smallest", unit="persons", role="rate", decimals=0),
                Column("max", "Largest", unit="persons", role="rate", decimals=0),
            ],
            notes=["The population is each service's area's, as given in its return."],
            name="Population",
        )
    )
    tracker.use("pop_0_25", None)

    # Funding.
    fund = doc.section("Funding per head")
    years = [
        m
        for m in ("per_head_2019", "per_head_2020", "per_head_2021")
        if m in set(summary["measure"])
    ]
    fund.p(
        "Funding per head is each service's funding divided by the population "
        "aged 0-25 of its area. The table gives the mean over the services that "
        "reported each year, and the change between the first and last years "
        "for services that reported both."
    )
    regions = list(summary[summary["measure"] == ph]["region"])
    rows = []
    first, last = (years[0], years[-1]) if years else (ph, ph)
    for region in regions:
        row: dict[str, Any] = {"region": region}
        for m in years:
            row[m] = stat(m, region, "mean")
            row[m + "_n"] = stat(m, region, "n")
        part = wide if region == "England" else wide[wide["region"] == region]
        both = (
            part[[first, last]].dropna()
            if first in part and last in part
            else pd.DataFrame(columns=[first, last])
        )
        row["both_n"] = len(both)
        total_first = float(both[first].sum())
        row["change"] = (
            100 * (float(both[last].sum()) - total_first) / total_first
            if len(both) and total_first
            else np.nan
        )
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["change__missing"] = missing_where(frame["change"].isna(), "not-available")
    for m in years:
        frame[m + "__missing"] = missing_where(frame[m].isna(), "not-available")
    frame["row_role"] = np.where(frame["region"] == "England", "total", "item")
    cols = [Column("region", "Region", role="label")]
    for m in years:
        year = m.rsplit("_", 1)[-1]
        cols.append(Column(m, f"Mean {year}", unit="£ per head", role="rate"))
    cols += [
        Column(
            "both_n",
            f"Services with {first.rsplit('_', 1)[-1]} and {last.rsplit('_', 1)[-1]}",
            role="rate",
            decimals=0,
        ),
        Column(
            "change",
            f"Change {first.rsplit('_', 1)[-1]} to {last.rsplit('_', 1)[-1]}",
            unit="%",
            role="rate",
            decimals=1,
        ),
    ]
    fund.table(
        ReportTable(
            "Funding per head of the 0-25 population by region: mean by year and "
            "change",
            frame,
            cols,
            notes=[
                "Change: the per-head figures of the services that reported both "
                "years, added up, compared between the years.",
                "Means are over the services that reported each year; a region with "
                "no service reporting a year shows [x].",
            ],
            name="Funding per head",
        )
    )
    for m in years:
        tracker.use(m, None)
    data = wide[["la_name", "region", ph]].dropna().rename(columns={ph: "value"})
    if len(data) >= 5:
        fund.figure(
            box_chart(
                data,
                measure="Funding per head of 0-25 population (£)",
                period=period,
                group_title="region",
                number_format=",.2f",
            ),
            caption="Boxes span the middle half of services; services "
            "beyond the whiskers are named.",
            name="Funding per head by region",
        )
    total = summary[summary["measure"] == "ias_total_2021"]
    if len(total):
        fund.p(
            f"Total funding: the mean service received "
            f"{money(stat('ias_total_2021', 'England', 'mean'), '£')} (median "
            f"{money(stat('ias_total_2021', 'England', 'median'), '£')}); see "
            "the regional tables."
        )

    # Funding change.
    if len(change):
        ch = doc.section("Change in funding")
        lab = sentence_label(labels.get("funding_change_2020_21", "funding change"))
        ch.p(
            f"The {lab} shows whether a service's funding rose or fell: 100% means "
            "no change."
        )
        data = (
            wide[["la_name", "funding_change_2020_21"]]
            .dropna()
            .rename(columns={"funding_change_2020_21": "value"})
        )
        ch.figure(
            histogram_chart(
                data,
                measure="2021 funding as % of 2020 funding",
                period=period,
                number_format=",.0f",
            ),
            caption="Bars count services; 100 means the same funding as the "
            "year before.",
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
                    Column(
                        "band", "Funding compared with the year before", role="label"
                    ),
                    Column("services", "Services", rounding=0),
                    Column(
                        "share", "Share", unit="proportion", role="rate", decimals=0
                    ),
                ],
                name="Funding change",
            )
        )
        tracker.use("funding_change_2020_21", None)

    # Delivery and joint commissioning.
    dl = doc.section("Delivery and joint commissioning")
    counts = count_delivery(store, source_id)
    counts["row_role"] = np.where(counts["region"] == "England", "total", "item")
    joint_cols = [c for c in counts.columns if c.startswith("joint_")]
    dl.table(
        ReportTable(
            f"Services by delivery model and joint commissioning, by region, {period}",
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
    tracker.use("delivery", None)
    for c in joint_cols:
        tracker.use(c, None)

    # Staffing.
    st = doc.section("Staffing")
    st.p(
        f"Staff are full-time equivalents (FTE). Population per staff member is "
        f"the population aged 0-25 divided by FTE staff: the higher it is, the "
        f"more people each member of staff serves. In England the median was "
        f"{stat(ppf, 'England', 'median'):,.0f} (N = "
        f"{int(stat(ppf, 'England', 'n'))})."
    )
    rows = []
    for region in regions:
        rows.append(
            {
                "region": region,
                "fte_n": stat("fte_staff_2021", region, "n"),
                "fte": stat("fte_staff_2021", region, "mean"),
                "vol": stat("volunteers_2021", region, "mean"),
                "ppf": stat(ppf, region, "median"),
                "ppf_prev": stat("pop_per_fte_2020", region, "median"),
            }
        )
    frame = pd.DataFrame(rows)
    frame["row_role"] = np.where(frame["region"] == "England", "total", "item")
    for c in ("fte", "vol", "ppf", "ppf_prev"):
        frame[c + "__missing"] = missing_where(frame[c].isna(), "not-available")
    st.table(
        ReportTable(
            f"Staffing and population per staff member, by region, {period}",
            frame,
            [
                Column("region", "Region", role="label"),
                Column("fte_n", "Services (N)", role="rate", decimals=0),
                Column("fte", "Mean FTE staff", unit="FTE", role="rate", decimals=2),
                Column("vol", "Mean volunteers", role="rate", decimals=1),
                Column(
                    "ppf",
                    "Median population per FTE, 2021",
                    unit="persons",
                    role="rate",
                    decimals=0,
                ),
                Column(
                    "ppf_prev",
                    "Median population per FTE, 2020",
                    unit="persons",
                    role="rate",
                    decimals=0,
                ),
            ],
            notes=[
                "N counts services giving FTE staff; the other columns are over "
                "the services giving each figure (see the regional tables)."
            ],
            name="Staffing",
        )
    )
    data = wide[["la_name", "region", ppf]].dropna().rename(columns={ppf: "value"})
    if len(data) >= 5:
        st.figure(
            box_chart(
                data,
                measure="Population aged 0-25 per FTE staff member",
                period=period,
                group_title="region",
                number_format=",.0f",
            ),
            caption="Higher means more people per member of staff.",
            name="Population per FTE",
        )
    for m in ("fte_staff_2021", "volunteers_2021", ppf, "pop_per_fte_2020"):
        tracker.use(m, None)

    # Regional tables.
    reg = doc.section("Regional tables")
    reg.p(
        "Every figure of the return by region: the number of services giving it "
        "(N), their mean, median, standard deviation (SD), minimum and maximum. "
        "These are the figures of the demo's regional_summary.csv."
    )
    for measure, block in summary.groupby("measure", sort=False):
        label = labels.get(measure, measure)
        unit = units.get(measure)
        sub = doc.section(label, level=3)
        sub.table(regional_table(block, str(measure), label, unit))
        tracker.use(str(measure), None)

    doc.reading_notes = [
        "SD is the sample standard deviation; [z] means there is no figure to "
        "give (an SD of one service).",
        "England is all services in the return, not a published national figure.",
    ]
    doc.sources = tracker.frame()
    return doc
