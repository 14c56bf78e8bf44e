"""The ``la-profile`` report: how one authority compares, in numbers and words.

For each headline measure: the authority's value, its rank among all authorities
and quartile band (respecting the measure's polarity), its statistical
neighbours' average, its region and England, whether it is significantly
different (the test :func:`lacompare.analysis.compare` chose: funnel limits for a
derived rate, a z-score otherwise), its trend, and sentences generated from those
numbers (:mod:`lacompare.report._profile_words`). A neutral measure is described
as higher or lower, never better or worse.

Everything is computed for every authority at once
(:func:`~lacompare.report._profile_data.prepare_profiles`: one
:func:`~lacompare.analysis.compare` per period), so profiles of all 153
authorities cost one pass over the store plus the charts
(:func:`write_profiles`). A profile is assembled in steps: the headline rows
(:func:`headline_rows`), the key points, the headline tables, the significance
section and one section per measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting import (
    MISSING_SYMBOLS,
    format_missing,
    format_value,
    missing_key_text,
)
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._document import Document
from lacompare.report._options import check_options
from lacompare.report._profile_data import ProfileData, prepare_profiles
from lacompare.report._profile_files import write_profiles
from lacompare.report._profile_spend import add_spend_section
from lacompare.report._profile_words import (
    _is_num,
    period_key,
    polarity_text,
    profile_sentences,
    quarter_cell,
    quarter_phrase,
)
from lacompare.report._profile_years import (
    MARK_KEY,
    mark_note,
    trend_figure,
    year_mark,
    years_table,
)
from lacompare.report._specs import MeasureSpec
from lacompare.report._words import (
    d3_format,
    join_words,
    missing_where,
    possessive,
    sentence_label,
)

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "ProfileData",
    "prepare_profiles",
    "build_profile",
    "polarity_text",
    "profile_document",
    "profile_sentences",
    "quarter_cell",
    "quarter_phrase",
    "write_profiles",
]

#: Kept for the batch writer (:mod:`lacompare.report._profile_batch`).
_period_key = period_key


def _unit_suffix(unit: str | None) -> str:
    return f" ({unit})" if unit and unit not in ("persons",) else ""


@dataclass
class MeasureRow:
    """One headline measure of one authority: its compare row, decimals,
    sentences and trend."""

    spec: MeasureSpec
    row: dict[str, Any]
    decimals: int
    sentences: list[str]
    trend: pd.DataFrame

    def fmt(self, value: Any) -> str:
        """A figure of this measure, as a cell or sentence prints it."""
        return format_value(value, self.spec.unit, self.decimals)

    @property
    def significance(self) -> str:
        """'▲ Higher (95%)', '▼ Lower (99.8%)', 'Not significant' or '–': marked
        as the years of the year-by-year table are."""
        return year_mark(self.row.get("flag"), self.row.get("flag_level"))

    @property
    def flagged(self) -> bool:
        """Significantly higher or lower."""
        return self.row.get("flag") in ("above", "below")

    @property
    def missing_reason(self) -> str | None:
        """Why the value is missing (a reason the key explains), or None."""
        reason = self.row.get("missing_reason")
        return reason if reason in MISSING_SYMBOLS else None


@dataclass
class Headline:
    """An authority's headline measures, and those in its best, worst, highest
    and lowest quarters (labels for the key points)."""

    name: str
    region: str
    neighbours: list[str]
    rows: list[MeasureRow] = field(default_factory=list)
    best: list[str] = field(default_factory=list)
    worst: list[str] = field(default_factory=list)
    high: list[str] = field(default_factory=list)
    low: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[MeasureRow]:
        """The measures where it is significantly different."""
        return [m for m in self.rows if m.flagged]


def headline_rows(data: ProfileData, la_code: str) -> Headline:
    """Read one authority's rows of the prepared data, measure by measure."""
    name = data.name_of(la_code)
    mine = data.latest_of(la_code).set_index("key")
    if mine.empty or mine["value"].notna().sum() == 0:
        raise InputError(
            f"{name} ({la_code}) has no value for any of the headline "
            "measures: " + ", ".join(s.key for s in data.specs)
        )
    region = next((r for r in mine["region"] if isinstance(r, str)), "")
    out = Headline(name, region, data.neighbours.get(la_code, []))
    for spec in data.specs:
        if spec.key not in mine.index:
            continue
        row = mine.loc[spec.key].to_dict()
        dec = data.decimals.get(spec.key, 0)
        trend = data.trend_of(spec.key, la_code)
        sentences = profile_sentences(row, name, spec, dec, trend)
        out.rows.append(MeasureRow(spec, row, dec, sentences, trend))
        band = row.get("quartile")
        polar = spec.polarity != "neutral"
        if band == "A":
            (out.best if polar else out.high).append(sentence_label(spec.label))
        elif band == "D":
            (out.worst if polar else out.low).append(sentence_label(spec.label))
    return out


def profile_document(
    data: ProfileData, la_code: str, *, zero: bool = False
) -> Document:
    """The profile of one authority from prepared data (no store needed);
    ``zero``: trend charts' axes from zero."""
    head = headline_rows(data, la_code)
    nb_names, name = head.neighbours, head.name
    doc = Document(
        "la-profile",
        f"{name}: how it compares",
        subtitle=f"{len(data.specs)} headline measures against "
        f"{'its statistical neighbours, ' if nb_names else ''}"
        f"{head.region or 'its region'} and England.",
        name=f"profile-{la_code}",
    )
    doc.key_points = key_points(head, data.neighbour_label)
    headline_section(doc, head, data)
    significance_section(doc, head)
    doc.section("Measure by measure")
    for m in head.rows:
        measure_section(doc, data, head, m, zero=zero)
    if data.spend is not None:
        add_spend_section(doc, data.spend, la_code, name)
    if nb_names:
        doc.section("Statistical neighbours").p(
            f"{possessive(name)} statistical neighbours ({data.neighbour_label}), "
            f"nearest first: {join_words(nb_names)}."
        )
    doc.reading_notes = [
        "Quartile bands: authorities ranked on the measure and split into four. "
        "For a measure where higher is better or worse, band A is the best "
        "quarter; for a neutral measure the quarters are only highest to lowest, "
        "with no judgement.",
        "Neighbours' average: the mean of the statistical neighbours with a value.",
        *data.notes,
    ]
    doc.sources = data.sources
    return doc


def key_points(head: Headline, neighbour_label: str | None) -> list[str]:
    """What it is compared with, its best and worst quarters, and where it is
    significantly different."""
    name, nb_names = head.name, head.neighbours
    points = [
        f"{name} is compared on {len(head.rows)} measures with "
        + (
            f"its {len(nb_names)} statistical neighbours ({neighbour_label}), "
            if nb_names
            else ""
        )
        + f"{head.region or 'its region'} and England."
    ]
    if head.best or head.worst:
        part = []
        if head.best:
            part.append(
                f"in the best quarter of authorities for {join_words(head.best)}"
            )
        if head.worst:
            part.append(f"in the worst quarter for {join_words(head.worst)}")
        points.append(f"{name} is " + "; and ".join(part) + ".")
    if head.high or head.low:
        part = []
        if head.high:
            part.append(f"in the highest quarter for {join_words(head.high)}")
        if head.low:
            part.append(f"in the lowest quarter for {join_words(head.low)}")
        points.append(
            "On measures with no better or worse direction, it is "
            + "; and ".join(part)
            + "."
        )
    if head.flagged:
        points.append(
            "Significantly different (by the test in the table): "
            + join_words(
                [
                    f"{sentence_label(m.spec.label)} "
                    f"({'higher' if m.row['flag'] == 'above' else 'lower'})"
                    for m in head.flagged
                ]
            )
            + "."
        )
    else:
        points.append(
            "No headline measure is significantly different (by the test in the table)."
        )
    return points


def _rank_text(row: Mapping[str, Any]) -> str:
    if _is_num(row.get("rank")) and _is_num(row.get("rank_of")):
        return f"{int(row['rank'])} of {int(row['rank_of'])}"
    return "–"


def headline_printed(head: Headline) -> ReportTable:
    """The headline table as printed (HTML, PDF): each cell a text in its
    measure's unit, missing values as the publisher's symbol."""
    rows, reasons = [], []
    for m in head.rows:
        v, row, band = m.row.get("value"), m.row, m.row.get("quartile")
        missing = None if _is_num(v) else m.missing_reason
        reasons += [missing] if not _is_num(v) else []
        reasons += [
            None
            for c in ("neighbours_mean", "region_value", "england_value")
            if not _is_num(row.get(c))
        ]
        rows.append(
            {
                "measure": m.spec.label,
                "period": str(row.get("period") or "–"),
                "value": m.fmt(v) if _is_num(v) else format_missing(missing),
                "nb": m.fmt(row.get("neighbours_mean")),
                "region": m.fmt(row.get("region_value")),
                "england": m.fmt(row.get("england_value")),
                "rank": _rank_text(row),
                "quarter": quarter_cell(band, m.spec.polarity),
                "polarity": polarity_text(m.spec.polarity),
                "sig": m.significance,
            }
        )
    return ReportTable(
        f"{head.name}: headline measures",
        pd.DataFrame(rows),
        [
            Column("measure", "Measure", role="label"),
            Column("period", "Period", role="text"),
            # Figures of mixed units, printed already: right-aligned all the same.
            Column("value", head.name, role="text", right=True),
            Column("nb", "Neighbours' average", role="text", right=True),
            Column("region", head.region or "Region", role="text", right=True),
            Column("england", "England", role="text", right=True),
            Column("rank", "Rank", role="text", right=True),
            Column("quarter", "Quartile band", role="text"),
            Column("polarity", "Polarity", role="text"),
            Column("sig", "Significantly different", role="text"),
        ],
        notes=[
            "Neighbours' average: the mean of the statistical neighbours with a "
            "value. Region and England are published figures where the store "
            "has them, else the mean of authorities (see each measure).",
            missing_key_text(reasons or [None]) + ".",
            MARK_KEY,
        ],
        name="Headline measures",
    )


def headline_values(head: Headline, decimals: int) -> ReportTable:
    """The headline table's numeric twin (XLSX): numbers stored as numbers."""
    rows = [
        {
            "measure": m.spec.label,
            "spec": m.spec.key,
            "period": m.row.get("period"),
            "unit": m.spec.unit or "",
            "value": m.row.get("value"),
            "value__missing": None
            if _is_num(m.row.get("value"))
            else (m.missing_reason or "not-available"),
            "neighbours_mean": m.row.get("neighbours_mean"),
            "region_value": m.row.get("region_value"),
            "england_value": m.row.get("england_value"),
            "rank": m.row.get("rank"),
            "rank_of": m.row.get("rank_of"),
            "quarter": quarter_cell(m.row.get("quartile"), m.spec.polarity),
            "polarity": polarity_text(m.spec.polarity),
            "significance": m.significance,
            "test": m.row.get("test") or "",
        }
        for m in head.rows
    ]
    rate = {"role": "rate", "decimals": decimals}
    return ReportTable(
        f"{head.name}: headline measures (values)",
        pd.DataFrame(rows),
        [
            Column("measure", "Measure", role="label"),
            Column("spec", "Measure id", role="text"),
            Column("period", "Period", role="text"),
            Column("unit", "Unit", role="text"),
            Column("value", head.name, **rate),
            Column("neighbours_mean", "Neighbours' average", **rate),
            Column("region_value", head.region or "Region", **rate),
            Column("england_value", "England", **rate),
            Column("rank", "Rank", role="rate", decimals=0),
            Column("rank_of", "Of authorities", role="rate", decimals=0),
            Column("quarter", "Quartile band", role="text"),
            Column("polarity", "Polarity", role="text"),
            Column("significance", "Significantly different", role="text"),
            Column("test", "Test", role="text"),
        ],
        name="Headline values",
    )


def headline_section(doc: Document, head: Headline, data: ProfileData) -> None:
    """The headline measures: printed (HTML, PDF) and as numbers (XLSX)."""
    summary = doc.section("Headline measures")
    summary.p(
        "Each measure's latest period. Rank 1 is the best value for a measure "
        "where higher is better or worse, and the highest value for a "
        "neutral one; quarters split the ranked authorities into four."
    )
    summary.table(headline_printed(head), xlsx=False)
    dmax = max([data.decimals.get(s.key, 0) for s in data.specs] or [0])
    summary.table(headline_values(head, dmax), html=False)


def significance_section(doc: Document, head: Headline) -> None:
    """Where the authority is significantly different, and how that is judged."""
    sig_sec = doc.section("Where it is significantly different")
    if head.flagged:
        sig_sec.bullets(
            [
                f"{m.spec.label}: significantly "
                f"{'higher' if m.row['flag'] == 'above' else 'lower'} at the "
                f"{m.row.get('flag_level')} level ({m.row.get('test')})."
                for m in head.flagged
            ]
        )
    else:
        sig_sec.p(
            f"On none of the headline measures is {head.name} significantly "
            "different (by the tests noted below)."
        )
    sig_sec.note(
        "Derived rates (a count over a population) are judged against funnel "
        "limits around England's rate for an area of the authority's size; "
        "other measures by their z-score among authorities (95%: |z| > 1.96; "
        "99.8%: |z| > 3.09). Significance is not importance: a small "
        "difference can be significant, a large one in a small authority not."
    )


def comparator_table(name: str, m: MeasureRow) -> ReportTable:
    """One measure: the authority, its neighbours (mean and median), region and
    England, with where each figure comes from."""
    row = m.row
    items = [(name, row.get("value"), "the authority")]
    if _is_num(row.get("neighbours_mean")):
        where = f"set {row.get('neighbour_set')}"
        items += [
            (
                f"Statistical neighbours (mean of {int(row['neighbours_n'])})",
                row["neighbours_mean"],
                where,
            ),
            ("Statistical neighbours (median)", row.get("neighbours_median"), where),
        ]
    if _is_num(row.get("region_value")):
        items.append(
            (
                str(row.get("region")),
                row["region_value"],
                str(row.get("region_source") or ""),
            )
        )
    if _is_num(row.get("england_value")):
        items.append(
            ("England", row["england_value"], str(row.get("england_source") or ""))
        )
    tf = pd.DataFrame(items, columns=["who", "value", "source"])
    tf["value__missing"] = missing_where(tf["value"].isna(), "not-available")
    return ReportTable(
        f"{m.spec.label}, {row.get('period') or ''}: {name} and its comparators",
        tf,
        [
            Column("who", "Area", role="label"),
            Column(
                "value", "Value", unit=m.spec.unit, role="rate", decimals=m.decimals
            ),
            Column("source", "Where the figure comes from", role="text"),
        ],
        name=m.spec.key[:31],
    )


def rank_figure(data: ProfileData, head: Headline, m: MeasureRow) -> Any:
    """The authority and its neighbours among all authorities (one period); None
    when the authority is not among those ranked."""
    from lacompare.charts import ranked_bar_chart

    every = data.latest_for(m.spec.key)
    every = every[every["value"].notna() & every["rank"].notna()]
    shown = every[["la_name", "value"]]
    if head.name not in set(shown["la_name"]):
        # Its value is not in the comparison of all authorities (one that did not
        # exist on the measure's reference day): no ranking to draw.
        return None
    return ranked_bar_chart(
        shown,
        measure=m.spec.label + _unit_suffix(m.spec.unit),
        authority=head.name,
        neighbours=[n for n in head.neighbours if n in set(shown["la_name"])],
        england=m.row.get("england_value"),
        period=str(m.row.get("period") or ""),
        highest_first=m.spec.polarity != "higher-is-worse",
        number_format=d3_format(m.spec.unit, m.decimals),
    )


def measure_section(
    doc: Document,
    data: ProfileData,
    head: Headline,
    m: MeasureRow,
    *,
    zero: bool = False,
) -> None:
    """One measure: its sentences, its comparators, and a trend chart with its
    years in a table, each significant year marked (or, with one period only,
    where it ranks); ``zero``: the chart's axis from zero."""
    name = head.name
    sec = doc.section(m.spec.label, level=3)
    sec.p(" ".join(m.sentences))
    sec.table(comparator_table(name, m))
    if len(m.trend.dropna(subset=["value"])) >= 2:
        sec.figure(
            trend_figure(name, m, zero=zero),
            caption=f"{name} against its comparators over time; ▲ and ▼ mark the "
            f"years it was significantly higher or lower {mark_note(m)}, "
            "the grey band the middle half of authorities.",
            name=f"Trend {m.spec.key}"[:31],
        )
        sec.table(years_table(name, head.region, m))
    elif _is_num(m.row.get("value")):
        figure = rank_figure(data, head, m)
        if figure is None:
            sec.p(
                f"{name} is not ranked on this measure: its figure is not part of "
                "the comparison of all authorities for this period (an authority "
                "that did not exist on the measure's reference date)."
            )
            return
        sec.figure(
            figure,
            caption=f"{name} (orange) and its statistical neighbours (dark "
            "blue) among all authorities; one period only, so no trend.",
            name=f"Rank {m.spec.key}"[:31],
        )


def build_profile(
    store: Store,
    *,
    authority: str | None = None,
    measures: Sequence[str] | str | None = None,
    neighbour_set: str | None = None,
    exclude: Sequence[str] | str | None = None,
    labels: Mapping[str, str] | None = None,
    data: ProfileData | None = None,
) -> Document:
    """The la-profile report for one authority (name, ONS or DfE code).

    Its options are checked by :func:`~lacompare.report._options.check_options`
    (``build_report`` and ``write_report`` call it).
    """
    if not authority:
        check_options("la-profile", {})
    data = data or prepare_profiles(
        store, measures, neighbour_set=neighbour_set, exclude=exclude, labels=labels
    )
    return profile_document(data, data.resolve(authority))
