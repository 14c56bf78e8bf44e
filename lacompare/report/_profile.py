"""The ``la-profile`` report: how one authority compares, in numbers and words.

For each headline measure: the authority's value, its rank among all authorities
and quartile band (respecting the measure's polarity), its statistical
neighbours' average, its region and England, whether it is significantly
different (the test :func:`lacompare.analysis.compare` chose: funnel limits for a
derived rate, a z-score otherwise), its trend, and sentences generated from those
numbers. A neutral measure is described as higher or lower, never better or
worse.

Everything is computed for every authority at once (:func:`prepare_profiles`:
one :func:`~lacompare.analysis.compare` per period), so profiles of all 153
authorities cost one pass over the store plus the charts
(:func:`write_profiles`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.catalogue import indicator_decimals
from lacompare.errors import InputError
from lacompare.formatting.tables import MISSING_SYMBOLS, Column, ReportTable
from lacompare.report._profile_spend import add_spend_section, prepare_profile_spend
from lacompare.report._reports import (
    Document,
    MeasureSpec,
    SourceTracker,
    format_measure_value,
    join_words,
    measure_decimals,
    missing_where,
    possessive,
    resolve_measure,
    sentence_label,
    split_specs,
)

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "ProfileData",
    "prepare_profiles",
    "build_profile",
    "profile_document",
    "profile_sentences",
    "write_profiles",
]

_NEUTRAL_QUARTERS = ("highest", "second-highest", "second-lowest", "lowest")
_POLAR_QUARTERS = ("best", "second-best", "second-worst", "worst")
_BANDS = "ABCD"


@dataclass
class ProfileData:
    """Everything a profile needs, for every authority (no store needed after).

    ``latest``: :func:`~lacompare.analysis.compare`'s table at each measure's
    latest period plus ``key`` (the measure spec); ``trends``: ``key, la_code,
    period, value, neighbours_mean, region_value, england_value`` for every
    period; ``neighbours``: ``la_code → names`` in the set used.
    """

    specs: list[MeasureSpec]
    latest: pd.DataFrame
    trends: pd.DataFrame
    decimals: dict[str, int]
    authorities: pd.DataFrame
    neighbours: dict[str, list[str]]
    neighbour_set: str | None
    neighbour_label: str | None
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: The expected-spend model fitted once for every profile (or None).
    spend: Any = None
    #: Row positions in ``latest`` by authority, in ``latest`` by measure key and
    #: in ``trends`` by (key, authority): one grouping when the data is made, so
    #: that each profile finds its rows by lookup rather than by comparing every
    #: row's strings (quadratic over 153 profiles × hundreds of measures).
    latest_rows: dict[str, Any] = field(default_factory=dict, repr=False)
    key_rows: dict[str, Any] = field(default_factory=dict, repr=False)
    trend_rows: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    names: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.latest = self.latest.reset_index(drop=True)
        self.trends = self.trends.reset_index(drop=True)
        self.latest_rows = _positions(self.latest, "la_code")
        self.key_rows = _positions(self.latest, "key")
        self.trend_rows = _positions(self.trends, ["key", "la_code"])
        self.names = dict(
            zip(
                self.authorities["la_code"].astype(str),
                self.authorities["la_name"].astype(str),
                strict=True,
            )
        )

    def latest_of(self, la_code: str) -> pd.DataFrame:
        """``latest``'s rows for one authority (every headline measure)."""
        return self.latest.iloc[self.latest_rows.get(la_code, [])]

    def latest_for(self, key: str) -> pd.DataFrame:
        """``latest``'s rows for one measure spec (every authority)."""
        return self.latest.iloc[self.key_rows.get(key, [])]

    def trend_of(self, key: str, la_code: str) -> pd.DataFrame:
        """``trends``' rows for one measure spec and one authority."""
        return self.trends.iloc[self.trend_rows.get((key, la_code), [])]

    def resolve(self, authority: str) -> str:
        """The store key of an authority given by an exact name, code or alias.

        A profile shows the latest figures, so the authority must exist today: an
        abolished one is refused naming its successors; a misspelling, with the
        nearest names (:func:`lacompare.geography.match_authority_strict`).
        """
        from lacompare.geography import match_authority_strict
        from lacompare.store import authority_key

        text = str(authority).strip().removeprefix("dfe:")
        match = match_authority_strict(text, current=True)
        return authority_key(match.la_code, match.dfe_code)

    def name_of(self, la_code: str) -> str:
        """The authority's name (its code when the registry has none)."""
        return self.names.get(la_code, la_code)


def _positions(frame: pd.DataFrame, by: str | list[str]) -> dict[Any, Any]:
    """Row positions of ``frame`` for each value of ``by`` (one pass)."""
    if frame.empty:
        return {}
    groups = frame.groupby(by, sort=False, dropna=False).indices
    # A multi-column grouping gives tuple keys already; keep positions as arrays.
    return dict(groups)


def _default_specs(store: Store) -> list[str]:
    """The measures of a profile when none are named: the catalogue's headline
    indicators (as ``compare`` and the web app), else every measure with a polarity.
    """
    from lacompare.analysis import headline_indicators

    headline = headline_indicators(store)
    if headline:
        return [(f"{m}[{b}]" if b else m) + f"={label}" for m, b, label in headline]
    rows = store.query(
        """SELECT m.measure, list(DISTINCT o.breakdown) AS breakdowns
           FROM measures m JOIN observations o USING (measure)
           WHERE coalesce(m.polarity, 'neutral') <> 'neutral'
             AND coalesce(m.unit, '') <> 'category' AND o.value IS NOT NULL
           GROUP BY m.measure ORDER BY m.measure"""
    )
    out = []
    for r in rows.itertuples():
        bds = list(r.breakdowns)
        if "" in bds or len(bds) == 1:
            out.append(r.measure)
    return out


def _period_key(period: str) -> tuple[int, str]:
    digits = "".join(ch for ch in str(period)[:4] if ch.isdigit())
    return (int(digits) if len(digits) == 4 else 0, str(period))


def prepare_profiles(
    store: Store,
    measures: Sequence[str] | str | None = None,
    *,
    neighbour_set: str | None = None,
    exclude: Sequence[str] | str | None = None,
    labels: Mapping[str, str] | None = None,
    trends: bool = True,
    with_spend: bool = True,
) -> ProfileData:
    """Compare every authority on the headline measures, latest and over time.

    Parameters
    ----------
    store
        An open store.
    measures
        Measure specs (``measure``, ``measure[breakdown]``, ``…=Label``); default:
        every measure with a polarity set (not neutral).
    neighbour_set
        The neighbour set (default: the store's latest).
    exclude
        Authorities left out of ranks and quartiles (names, codes or regions).
    labels
        Labels by spec, overriding the store's.
    trends
        Also compare every earlier period (for the trend charts and sentences).
    with_spend
        Also fit the expected-spend model once, for each profile's "Expected
        spend" section (when the store has spend per child and its factors).
    """
    from lacompare.analysis import compare

    texts = split_specs(measures) if measures else _default_specs(store)
    if not texts:
        raise InputError(
            "no measure in the store has a polarity (higher-is-better "
            "or higher-is-worse) and a single breakdown to choose as a "
            "headline: name the measures (--measure "
            "measure[breakdown])"
        )
    labels = dict(labels or {})
    specs = [resolve_measure(store, t, labels.get(t)) for t in texts]
    keys = [s.key for s in specs]
    if len(set(keys)) < len(keys):
        raise InputError("a measure is named twice: " + ", ".join(keys))
    groups: dict[str, list[MeasureSpec]] = {}
    for s in specs:
        groups.setdefault(s.breakdown, []).append(s)
    latest_parts, trend_parts, notes = [], [], []
    set_used = None
    for breakdown, group in groups.items():
        names = [s.measure for s in group]
        result = compare(
            store,
            None,
            names,
            breakdown=breakdown,
            neighbour_set=neighbour_set,
            exclude=exclude,
        )
        set_used = set_used or result.neighbour_set
        notes += [n for n in result.notes() if not n.startswith("neighbour set")]
        table = result.table.copy()
        table["key"] = table["measure"].map({s.measure: s.key for s in group})
        latest_parts.append(table)
        if not trends:
            continue
        periods = store.query(
            "SELECT DISTINCT measure, period FROM observations WHERE breakdown = ? "
            "AND measure IN (SELECT unnest(?)) AND value IS NOT NULL",
            [breakdown, names],
        )
        for period in sorted(set(periods["period"]), key=_period_key):
            ms = sorted(set(periods.loc[periods["period"] == period, "measure"]))
            part = compare(
                store,
                None,
                ms,
                period=period,
                breakdown=breakdown,
                neighbour_set=neighbour_set,
                exclude=exclude,
            ).table
            part = part[part["period"] == period]
            part = part.assign(
                key=part["measure"].map({s.measure: s.key for s in group})
            )
            trend_parts.append(
                part[
                    [
                        "key",
                        "la_code",
                        "period",
                        "value",
                        "neighbours_mean",
                        "region_value",
                        "england_value",
                    ]
                ]
            )
    latest = pd.concat(latest_parts, ignore_index=True)
    trend = (
        pd.concat(trend_parts, ignore_index=True)
        if trend_parts
        else pd.DataFrame(
            columns=[
                "key",
                "la_code",
                "period",
                "value",
                "neighbours_mean",
                "region_value",
                "england_value",
            ]
        )
    )
    # One grouping by measure for the decimals and the sources, not a string
    # comparison over every row for each measure.
    latest_by_key = dict(tuple(latest.groupby("key", sort=False)))
    trend_by_key = dict(tuple(trend.groupby("key", sort=False))) if len(trend) else {}
    empty = latest.iloc[0:0]
    decimals = {}
    for s in specs:
        mine, history = latest_by_key.get(s.key, empty), trend_by_key.get(s.key)
        vals = (
            mine["value"]
            if history is None
            else pd.concat([mine["value"], history["value"]])
        )
        # The catalogue's decimals where it knows the measure (IDACI 3 dp).
        known = indicator_decimals(s.key, vals.dropna())
        decimals[s.key] = (
            known if known is not None else measure_decimals(vals.dropna(), s.unit)
        )
    auth = store.query(
        "SELECT la_code, dfe_code, la_name, region, valid_to "
        "FROM authorities ORDER BY la_code"
    )
    with_values = set(latest.loc[latest["value"].notna(), "la_code"])
    auth["has_values"] = auth["la_code"].isin(with_values)
    neighbours: dict[str, list[str]] = {}
    label = None
    if set_used:
        frame = store.query(
            """SELECT n.la_code, b.la_name AS neighbour_name, n.rank
               FROM neighbours n LEFT JOIN authorities b
                    ON b.la_code = n.neighbour_code
               WHERE n.set_id = ? ORDER BY n.la_code, n.rank""",
            [set_used],
        )
        for code, rows in frame.groupby("la_code", sort=False):
            neighbours[str(code)] = rows["neighbour_name"].fillna("").tolist()
        row = store.con.execute(
            "SELECT label FROM neighbour_sets WHERE set_id = ?", [set_used]
        ).fetchall()
        label = row[0][0] if row and row[0][0] else set_used
    else:
        notes.append(
            "The store has no statistical neighbour set, so neighbours' "
            "figures are left out (load one: lacompare neighbours load)."
        )
    tracker = SourceTracker(store)
    for s in specs:
        history = trend_by_key.get(s.key)
        periods_used = sorted(
            (set() if history is None else set(history["period"]))
            | set(latest_by_key.get(s.key, empty)["period"].dropna())
        )
        tracker.use(s.measure, s.breakdown, periods_used or None)
    tracker.use_neighbours(set_used)
    spend, why_not = prepare_profile_spend(store) if with_spend else (None, None)
    if why_not:
        notes.append(f"No expected-spend section: {why_not}.")
    if spend is not None:
        for v in spend.regression.variables.itertuples():
            tracker.use(v.measure, v.breakdown or "", [v.period])
    return ProfileData(
        specs,
        latest,
        trend,
        decimals,
        auth,
        neighbours,
        set_used,
        label,
        tracker.frame(),
        list(dict.fromkeys(notes)),
        spend=spend,
    )


# ------------------------------------------------------------------- sentences


def _is_num(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _compare_word(a: Any, b: Any, decimals: int) -> str:
    ra, rb = round(float(a), decimals), round(float(b), decimals)
    return "higher" if ra > rb else "lower" if ra < rb else "the same"


def _judgement(word: str, polarity: str) -> str:
    """'(better)' / '(worse)' for a higher or lower value of a measure with a
    polarity; nothing for neutral measures or equal values."""
    if polarity not in ("higher-is-better", "higher-is-worse") or word == "the same":
        return ""
    good = (word == "higher") == (polarity == "higher-is-better")
    return " (better)" if good else " (worse)"


def quarter_phrase(band: str | None, polarity: str) -> str | None:
    """'the highest quarter' / 'the best quarter (band A)' for a quartile band.

    Examples
    --------
    >>> quarter_phrase("A", "neutral"), quarter_phrase("D", "higher-is-worse")
    ('the highest quarter', 'the worst quarter (band D)')
    """
    if not isinstance(band, str) or band not in _BANDS:
        return None
    i = _BANDS.index(band)
    if polarity in ("higher-is-better", "higher-is-worse"):
        return f"the {_POLAR_QUARTERS[i]} quarter (band {band})"
    return f"the {_NEUTRAL_QUARTERS[i]} quarter"


def quarter_cell(band: str | None, polarity: str) -> str:
    """The quartile band as a table prints it."""
    if not isinstance(band, str) or band not in _BANDS:
        return "–"
    i = _BANDS.index(band)
    if polarity in ("higher-is-better", "higher-is-worse"):
        return f"{band}: {_POLAR_QUARTERS[i]} quarter"
    return f"{_NEUTRAL_QUARTERS[i].capitalize()} quarter"


def polarity_text(polarity: str) -> str:
    """'Higher is better', 'Higher is worse' or 'Neutral'."""
    return {
        "higher-is-better": "Higher is better",
        "higher-is-worse": "Higher is worse",
    }.get(polarity, "Neutral")


def _missing_words(reason: Any) -> str:
    if isinstance(reason, str) and reason in MISSING_SYMBOLS:
        symbol, meaning = MISSING_SYMBOLS[reason]
        return f"{meaning}, {symbol}"
    return "not in the store" if reason in (None, "no-value") else str(reason)


def profile_sentences(
    row: Mapping[str, Any],
    name: str,
    spec: MeasureSpec,
    decimals: int,
    trend: pd.DataFrame | None = None,
) -> list[str]:
    """Plain-English sentences about one authority on one measure.

    ``row`` is a row of :func:`~lacompare.analysis.compare`'s table; ``trend``
    has ``period, value, england_value`` rows for the authority. Sentences say
    higher or lower, and only for a measure with a polarity better or worse.

    Examples
    --------
    >>> spec = MeasureSpec("cla_rate", label="Rate of children looked after",
    ...                    unit=None, polarity="higher-is-worse")
    >>> row = {"value": 85.0, "period": "2025", "neighbours_mean": 72.4,
    ...        "neighbours_n": 10, "region": "Yorkshire and The Humber",
    ...        "region_value": 77, "region_source": "published", "england_value": 67,
    ...        "england_source": "published", "rank": 120, "rank_of": 151,
    ...        "quartile": "D", "polarity": "higher-is-worse", "flag": "within",
    ...        "test": "|z| > 1.96 (95%) / 3.09 (99.8%) against 151 authorities",
    ...        "z": 0.4}
    >>> text = profile_sentences(row, "Leeds", spec, 0)[0]
    >>> print(text)  # doctest: +NORMALIZE_WHITESPACE
    Leeds's rate of children looked after (85 in 2025) is higher (worse) than its
    statistical neighbours' average (72) and in the worst quarter (band D) of
    authorities (ranked 120 of 151, where 1 is the best).
    """
    label = sentence_label(spec.label)
    unit = spec.unit
    polarity = spec.polarity

    def fmt(v: Any) -> str:
        return format_measure_value(v, unit, decimals)

    value: Any = row.get("value")
    period = row.get("period") or "the latest period"
    if not _is_num(value):
        return [
            f"{name} has no figure for {label} in {period} "
            f"({_missing_words(row.get('missing_reason'))})."
        ]
    out = []
    # A label that names its own year ("…, 2019") gets no second, different one.
    dated = re.search(r"\b(19|20)\d\d\b", spec.label) is not None
    head = f"{possessive(name)} {label} ({fmt(value)}" + (
        ")" if dated else f" in {period})"
    )
    nb: Any = row.get("neighbours_mean")
    quarter = quarter_phrase(row.get("quartile"), polarity)
    rank: Any = row.get("rank")
    rank_of: Any = row.get("rank_of")
    first = "best" if polarity in ("higher-is-better", "higher-is-worse") else "highest"
    ranked = (
        f" (ranked {int(rank)} of {int(rank_of)}, where 1 is the {first})"
        if _is_num(rank) and _is_num(rank_of)
        else ""
    )
    if _is_num(nb):
        word = _compare_word(value, nb, decimals)
        verb = (
            "is the same as"
            if word == "the same"
            else f"is {word}{_judgement(word, polarity)} than"
        )
        text = f"{head} {verb} its statistical neighbours' average ({fmt(nb)})"
        if quarter:
            text += f" and in {quarter} of authorities{ranked}"
        out.append(text + ".")
    elif quarter:
        out.append(f"{head} is in {quarter} of authorities{ranked}.")
    else:
        out.append(f"{head}.")
    parts = []
    rv, ev = row.get("region_value"), row.get("england_value")
    region = row.get("region")
    for v, source, what in (
        (rv, row.get("region_source"), region),
        (ev, row.get("england_source"), "England"),
    ):
        if not _is_num(v) or not what:
            continue
        word = _compare_word(value, v, decimals)
        computed = isinstance(source, str) and source.startswith("computed")
        area = (
            f"the average of authorities in {what}"
            if computed
            else (f"the {what} figure" if what != "England" else "England")
        )
        if word == "the same":
            parts.append(f"the same as {area} ({fmt(v)})")
        else:
            parts.append(
                f"{'above' if word == 'higher' else 'below'} {area} ({fmt(v)})"
            )
    if parts:
        out.append(f"It is {join_words(parts)}.")
    flag, test = row.get("flag"), str(row.get("test") or "")
    level = row.get("flag_level")
    if flag in ("above", "below"):
        direction = "higher" if flag == "above" else "lower"
        if test.startswith("funnel"):
            out.append(
                f"It is significantly {direction} than England's rate for an "
                f"area of its size: outside the {level} funnel limits."
            )
        else:
            z: Any = row.get("z")
            ztext = f"z = {float(z):.1f}; " if _is_num(z) else ""
            out.append(
                f"It is significantly {direction} than the average of "
                f"authorities ({ztext}significant at the {level} level)."
            )
    elif flag == "within":
        if test.startswith("funnel"):
            out.append(
                "It is within the 95% funnel limits around England's rate: "
                "not significantly different."
            )
        else:
            out.append(
                "The difference from the average of authorities is not "
                "statistically significant (|z| below 1.96)."
            )
    if trend is not None and len(trend):
        t = trend.dropna(subset=["value"]).sort_values(
            "period", key=lambda s: s.map(_period_key)
        )
        if len(t) >= 2:
            a, b = t.iloc[0], t.iloc[-1]
            word = _compare_word(b["value"], a["value"], decimals)
            move = (
                "stayed at " + fmt(b["value"])
                if word == "the same"
                else f"{'rose' if word == 'higher' else 'fell'} from "
                f"{fmt(a['value'])} to {fmt(b['value'])}"
            )
            text = f"Between {a['period']} and {b['period']} it {move}"
            ea, eb = a.get("england_value"), b.get("england_value")
            if _is_num(ea) and _is_num(eb):
                ew = _compare_word(eb, ea, decimals)
                emove = (
                    "stayed at " + fmt(eb)
                    if ew == "the same"
                    else f"{'rose' if ew == 'higher' else 'fell'} from {fmt(ea)} "
                    f"to {fmt(eb)}"
                )
                text += f"; England {emove}"
            out.append(text + ".")
    return out


# -------------------------------------------------------------------- document


def _d3(unit: str | None, decimals: int) -> str:
    if (
        unit
        and unit.lower().startswith("£")
        and unit.lower() not in ("£000", "£ thousand", "£m")
    ):
        return f"$,.{decimals}f"
    return f",.{decimals}f"


def _unit_suffix(unit: str | None) -> str:
    return f" ({unit})" if unit and unit not in ("persons",) else ""


def profile_document(data: ProfileData, la_code: str) -> Document:
    """The profile of one authority from prepared data (no store needed)."""
    from lacompare.charts import ranked_bar_chart, trend_chart

    name = data.name_of(la_code)
    mine = data.latest_of(la_code).set_index("key")
    if mine.empty or mine["value"].notna().sum() == 0:
        raise InputError(
            f"{name} ({la_code}) has no value for any of the headline "
            "measures: " + ", ".join(s.key for s in data.specs)
        )
    region = next((r for r in mine["region"] if isinstance(r, str)), "")
    nb_names = data.neighbours.get(la_code, [])
    doc = Document(
        "la-profile",
        f"{name}: how it compares",
        subtitle=f"{len(data.specs)} headline measures against "
        f"{'its statistical neighbours, ' if nb_names else ''}"
        f"{region or 'its region'} and England.",
        name=f"profile-{la_code}",
    )
    rows_html, rows_xlsx, flagged = [], [], []
    best: list[str] = []
    worst: list[str] = []
    high: list[str] = []
    low: list[str] = []
    sections = []
    for spec in data.specs:
        if spec.key not in mine.index:
            continue
        row = mine.loc[spec.key].to_dict()
        dec = data.decimals.get(spec.key, 0)
        trend = data.trend_of(spec.key, la_code)
        sentences = profile_sentences(row, name, spec, dec, trend)
        v = row.get("value")

        def fmt(x: Any, _u: str | None = spec.unit, _d: int = dec) -> str:
            return format_measure_value(x, _u, _d) if _is_num(x) else "–"

        band = row.get("quartile")
        if isinstance(band, str):
            polar = spec.polarity != "neutral"
            if band == "A":
                (best if polar else high).append(sentence_label(spec.label))
            elif band == "D":
                (worst if polar else low).append(sentence_label(spec.label))
        sig = "–"
        if row.get("flag") in ("above", "below"):
            sig = (
                f"{'Higher' if row['flag'] == 'above' else 'Lower'} "
                f"({row.get('flag_level')})"
            )
            flagged.append((spec, row))
        elif row.get("flag") == "within":
            sig = "Not significant"
        rank = (
            f"{int(row['rank'])} of {int(row['rank_of'])}"
            if _is_num(row.get("rank")) and _is_num(row.get("rank_of"))
            else "–"
        )
        rows_html.append(
            {
                "measure": spec.label,
                "period": str(row.get("period") or "–"),
                "value": fmt(v)
                if _is_num(v)
                else MISSING_SYMBOLS.get(str(row.get("missing_reason")), ("–", ""))[0],
                "nb": fmt(row.get("neighbours_mean")),
                "region": fmt(row.get("region_value")),
                "england": fmt(row.get("england_value")),
                "rank": rank,
                "quarter": quarter_cell(band, spec.polarity),
                "polarity": polarity_text(spec.polarity),
                "sig": sig,
            }
        )
        rows_xlsx.append(
            {
                "measure": spec.label,
                "spec": spec.key,
                "period": row.get("period"),
                "unit": spec.unit or "",
                "value": v,
                "value__missing": None
                if _is_num(v)
                else (
                    row.get("missing_reason")
                    if row.get("missing_reason") in MISSING_SYMBOLS
                    else "not-available"
                ),
                "neighbours_mean": row.get("neighbours_mean"),
                "region_value": row.get("region_value"),
                "england_value": row.get("england_value"),
                "rank": row.get("rank"),
                "rank_of": row.get("rank_of"),
                "quarter": quarter_cell(band, spec.polarity),
                "polarity": polarity_text(spec.polarity),
                "significance": sig,
                "test": row.get("test") or "",
            }
        )
        sections.append((spec, row, dec, sentences, trend))

    points = [
        f"{name} is compared on {len(sections)} measures with "
        + (
            f"its {len(nb_names)} statistical neighbours ({data.neighbour_label}), "
            if nb_names
            else ""
        )
        + f"{region or 'its region'} and England."
    ]
    if best or worst:
        part = []
        if best:
            part.append(f"in the best quarter of authorities for {join_words(best)}")
        if worst:
            part.append(f"in the worst quarter for {join_words(worst)}")
        points.append(f"{name} is " + "; and ".join(part) + ".")
    if high or low:
        part = []
        if high:
            part.append(f"in the highest quarter for {join_words(high)}")
        if low:
            part.append(f"in the lowest quarter for {join_words(low)}")
        points.append(
            "On measures with no better or worse direction, it is "
            + "; and ".join(part)
            + "."
        )
    if flagged:
        points.append(
            "Significantly different from other authorities: "
            + join_words(
                [
                    f"{sentence_label(s.label)} "
                    f"({'higher' if r['flag'] == 'above' else 'lower'})"
                    for s, r in flagged
                ]
            )
            + "."
        )
    else:
        points.append(
            "No headline measure is significantly different from other authorities."
        )
    doc.key_points = points

    summary = doc.section("Headline measures")
    summary.p(
        "Each measure's latest period. Rank 1 is the best value for a measure "
        "where higher is better or worse, and the highest value for a "
        "neutral one; quarters split the ranked authorities into four."
    )
    frame = pd.DataFrame(rows_html)
    summary.table(
        ReportTable(
            f"{name}: headline measures",
            frame,
            [
                Column("measure", "Measure", role="label"),
                Column("period", "Period", role="text"),
                Column("value", name, role="text"),
                Column("nb", "Neighbours' average", role="text"),
                Column("region", region or "Region", role="text"),
                Column("england", "England", role="text"),
                Column("rank", "Rank", role="text"),
                Column("quarter", "Quartile band", role="text"),
                Column("polarity", "Polarity", role="text"),
                Column("sig", "Significantly different", role="text"),
            ],
            notes=[
                "Neighbours' average: the mean of the statistical neighbours with a "
                "value. Region and England are published figures where the store "
                "has them, else the mean of authorities (see each measure).",
                "– no figure.",
            ],
            name="Headline measures",
        ),
        xlsx=False,
    )
    xframe = pd.DataFrame(rows_xlsx)
    dmax = max([data.decimals.get(s.key, 0) for s in data.specs] or [0])
    summary.table(
        ReportTable(
            f"{name}: headline measures (values)",
            xframe,
            [
                Column("measure", "Measure", role="label"),
                Column("spec", "Measure id", role="text"),
                Column("period", "Period", role="text"),
                Column("unit", "Unit", role="text"),
                Column("value", name, role="rate", decimals=dmax),
                Column(
                    "neighbours_mean", "Neighbours' average", role="rate", decimals=dmax
                ),
                Column("region_value", region or "Region", role="rate", decimals=dmax),
                Column("england_value", "England", role="rate", decimals=dmax),
                Column("rank", "Rank", role="rate", decimals=0),
                Column("rank_of", "Of authorities", role="rate", decimals=0),
                Column("quarter", "Quartile band", role="text"),
                Column("polarity", "Polarity", role="text"),
                Column("significance", "Significantly different", role="text"),
                Column("test", "Test", role="text"),
            ],
            name="Headline values",
        ),
        html=False,
    )

    sig_sec = doc.section("Where it is significantly different")
    if flagged:
        sig_sec.bullets(
            [
                f"{s.label}: significantly "
                f"{'higher' if r['flag'] == 'above' else 'lower'} at the "
                f"{r.get('flag_level')} level ({r.get('test')})."
                for s, r in flagged
            ]
        )
    else:
        sig_sec.p(
            f"On none of the headline measures is {name} significantly different "
            "from other authorities."
        )
    sig_sec.note(
        "Derived rates (a count over a population) are judged against funnel "
        "limits around England's rate for an area of the authority's size; "
        "other measures by their z-score among authorities (95%: |z| > 1.96; "
        "99.8%: |z| > 3.09). Significance is not importance: a small "
        "difference can be significant, a large one in a small authority not."
    )

    doc.section("Measure by measure")
    for spec, row, dec, sentences, trend in sections:
        sec = doc.section(spec.label, level=3)
        sec.p(" ".join(sentences))
        items = [(name, row.get("value"), "the authority")]
        if _is_num(row.get("neighbours_mean")):
            items.append(
                (
                    f"Statistical neighbours (mean of {int(row['neighbours_n'])})",
                    row["neighbours_mean"],
                    f"set {row.get('neighbour_set')}",
                )
            )
            items.append(
                (
                    "Statistical neighbours (median)",
                    row.get("neighbours_median"),
                    f"set {row.get('neighbour_set')}",
                )
            )
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
        sec.table(
            ReportTable(
                f"{spec.label}, {row.get('period') or ''}: {name} and its comparators",
                tf,
                [
                    Column("who", "Area", role="label"),
                    Column("value", "Value", unit=spec.unit, role="rate", decimals=dec),
                    Column("source", "Where the figure comes from", role="text"),
                ],
                name=spec.key[:31],
            )
        )
        chart_rows = []
        if len(trend.dropna(subset=["value"])) >= 2:
            for col, series in (
                ("value", name),
                ("neighbours_mean", "Statistical neighbours (mean)"),
                ("region_value", str(row.get("region") or "Region")),
                ("england_value", "England"),
            ):
                part = trend[["period", col]].dropna()
                chart_rows += [
                    {"period": p, "series": series, "value": float(v)}
                    for p, v in zip(part["period"], part[col], strict=True)
                ]
            cf = pd.DataFrame(chart_rows)
            order = list(dict.fromkeys(cf["series"]))
            sec.figure(
                trend_chart(
                    cf,
                    measure=spec.label + _unit_suffix(spec.unit),
                    focus=name,
                    order=order,
                    number_format=_d3(spec.unit, dec),
                ),
                caption=f"{name} against its comparators over time.",
                name=f"Trend {spec.key}"[:31],
            )
        elif _is_num(row.get("value")):
            every = data.latest_for(spec.key)
            every = every[every["value"].notna()]
            every = every[every["rank"].notna()]
            shown = every[["la_name", "value"]]
            sec.figure(
                ranked_bar_chart(
                    shown,
                    measure=spec.label + _unit_suffix(spec.unit),
                    authority=name,
                    neighbours=[n for n in nb_names if n in set(shown["la_name"])],
                    period=str(row.get("period") or ""),
                    highest_first=spec.polarity != "higher-is-worse",
                    number_format=_d3(spec.unit, dec),
                ),
                caption=f"{name} (orange) and its statistical neighbours (dark "
                "blue) among all authorities; one period only, so no trend.",
                name=f"Rank {spec.key}"[:31],
            )

    if data.spend is not None:
        add_spend_section(doc, data.spend, la_code, name)
    if nb_names:
        nb = doc.section("Statistical neighbours")
        nb.p(
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


def build_profile(
    store: Store,
    *,
    authority: str | None = None,
    measures: Sequence[str] | str | None = None,
    neighbour_set: str | None = None,
    exclude: Sequence[str] | str | None = None,
    labels: Mapping[str, str] | None = None,
    data: ProfileData | None = None,
    **unknown: Any,
) -> Document:
    """The la-profile report for one authority (name, ONS or DfE code)."""
    if unknown:
        raise InputError(
            "the la-profile report has no option " + ", ".join(sorted(unknown))
        )
    if not authority:
        raise InputError("la-profile needs an authority (--authority NAME)")
    data = data or prepare_profiles(
        store, measures, neighbour_set=neighbour_set, exclude=exclude, labels=labels
    )
    return profile_document(data, data.resolve(authority))


_WORKER: dict[str, Any] = {}


def _init_worker(data: ProfileData, out_dir: str, fmt: str) -> None:
    _WORKER.update(data=data, out_dir=out_dir, fmt=fmt)


def _write_one(la_code: str) -> tuple[str, str]:
    from lacompare.charts.export import trusted_charts
    from lacompare.report._reports import write_document

    data: ProfileData = _WORKER["data"]
    fmt = _WORKER["fmt"]
    path = Path(_WORKER["out_dir"]) / f"profile-{la_code}.{fmt}"
    # The same chart code drawn for every authority: Altair's schema check (a
    # third of the drawing) once per chart kind in tests is enough.
    with trusted_charts():
        write_document(profile_document(data, la_code), path, fmt)
    return la_code, str(path)


def write_profiles(
    store: Store | None,
    out_dir: str | Path,
    authorities: Sequence[str] | None = None,
    fmt: str = "html",
    *,
    jobs: int = 1,
    data: ProfileData | None = None,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[Path]:
    """Write a profile for each authority (default: every one with values).

    The comparisons are computed once for all authorities; charts and files
    are made in ``jobs`` processes.

    Parameters
    ----------
    store
        An open store; not read (may be None) when ``data`` is given.
    out_dir
        The folder for the files (``profile-<la_code>.<fmt>``).
    authorities
        Names or codes (default: every authority ranked on a headline measure).
    fmt
        ``html``, ``pdf`` or ``xlsx``.
    jobs
        Processes that draw the charts and write the files.
    data
        Comparisons already made by :func:`prepare_profiles`.
    progress
        Called with (files written, files to write) after each file.
    **options
        :func:`prepare_profiles`'s options, when ``data`` is not given.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if data is None:
        if store is None:
            raise InputError("write_profiles needs a store or prepared data")
        data = prepare_profiles(store, **options)
    if authorities is None:
        codes = sorted(
            set(
                data.latest.loc[
                    data.latest["value"].notna() & data.latest["rank"].notna(),
                    "la_code",
                ]
            )
        )
    else:
        codes = [data.resolve(a) for a in authorities]
    done: dict[str, str] = {}
    if jobs <= 1:
        _init_worker(data, str(out), fmt)
        results: Any = map(_write_one, codes)
        pool = None
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Spawned, not forked: a fork copies DuckDB's and the web app's threads
        # mid-lock, and the child can wait on a lock no thread will release.
        pool = ProcessPoolExecutor(
            jobs,
            initializer=_init_worker,
            initargs=(data, str(out), fmt),
            mp_context=multiprocessing.get_context("spawn"),
        )
        # Small chunks: the bar moves, and one slow profile holds up no more.
        results = pool.map(_write_one, codes, chunksize=2)
    try:
        for code, path in results:
            done[code] = path
            if progress is not None:
                progress(len(done), len(codes))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return [Path(done[c]) for c in codes]
