"""The la-profile's data: every authority compared on the headline measures at
once (:func:`prepare_profiles`), so that each profile is a lookup.

Steps: resolve the measure specs (:func:`headline_specs`), compare the latest
period (:func:`compare_latest`) and every earlier one (:func:`compare_trends`),
choose each measure's decimals (:func:`choose_decimals`), read the neighbour
set (:func:`read_neighbours`) and record the loads used (:func:`track_sources`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.catalogue import indicator_decimals
from lacompare.errors import InputError
from lacompare.report._profile_spend import prepare_profile_spend
from lacompare.report._profile_words import period_key
from lacompare.report._sources import SourceTracker
from lacompare.report._specs import MeasureSpec, resolve_measure, split_specs
from lacompare.report._words import measure_decimals

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = ["ProfileData", "prepare_profiles"]

#: The columns of :attr:`ProfileData.trends`.
TREND_COLUMNS = [
    "key",
    "la_code",
    "period",
    "value",
    "missing_reason",
    "neighbours_mean",
    "region_value",
    "england_value",
    "flag",
    "flag_level",
    "test",
    "quartile_low",
    "quartile_high",
]


@dataclass
class ProfileData:
    """Everything a profile needs, for every authority (no store needed after).

    ``latest``: :func:`~lacompare.analysis.compare`'s table at each measure's
    latest period plus ``key`` (the measure spec); ``trends``: ``key, la_code,
    period, value, neighbours_mean, region_value, england_value``, the year's
    verdict (``flag, flag_level, test``) and the middle half of authorities
    (``quartile_low, quartile_high``) for every period; ``neighbours``:
    ``la_code → names`` in the set used.
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
    values = store.values_relation(present_only=True, columns=["measure", "breakdown"])
    rows = values.query(
        "o",
        """SELECT m.measure, list(DISTINCT o.breakdown) AS breakdowns
           FROM measures m JOIN o USING (measure)
           WHERE coalesce(m.polarity, 'neutral') <> 'neutral'
             AND coalesce(m.unit, '') <> 'category'
           GROUP BY m.measure ORDER BY m.measure""",
    ).df()
    out = []
    for r in rows.itertuples():
        bds = list(r.breakdowns)
        if "" in bds or len(bds) == 1:
            out.append(r.measure)
    return out


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
    specs = headline_specs(store, measures, labels)
    latest, set_used, notes = compare_latest(store, specs, neighbour_set, exclude)
    trend = (
        compare_trends(store, specs, neighbour_set, exclude)
        if trends
        else pd.DataFrame(columns=TREND_COLUMNS)
    )
    auth = store.query(
        "SELECT la_code, dfe_code, la_name, region, valid_to "
        "FROM authorities ORDER BY la_code"
    )
    auth["has_values"] = auth["la_code"].isin(
        set(latest.loc[latest["value"].notna(), "la_code"])
    )
    neighbours, label = read_neighbours(store, set_used)
    if not set_used:
        notes.append(
            "The store has no statistical neighbour set, so neighbours' "
            "figures are left out (load one: lacompare neighbours load)."
        )
    spend, why_not = prepare_profile_spend(store) if with_spend else (None, None)
    if why_not:
        notes.append(f"No expected-spend section: {why_not}.")
    return ProfileData(
        specs,
        latest,
        trend,
        choose_decimals(specs, latest, trend),
        auth,
        neighbours,
        set_used,
        label,
        track_sources(store, specs, latest, trend, set_used, spend),
        list(dict.fromkeys(notes)),
        spend=spend,
    )


def headline_specs(
    store: Store,
    measures: Sequence[str] | str | None,
    labels: Mapping[str, str] | None,
) -> list[MeasureSpec]:
    """The measure specs named (default: :func:`_default_specs`), checked
    against the store; each measure once."""
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
    return specs


def _by_breakdown(specs: list[MeasureSpec]) -> dict[str, list[MeasureSpec]]:
    groups: dict[str, list[MeasureSpec]] = {}
    for s in specs:
        groups.setdefault(s.breakdown, []).append(s)
    return groups


def compare_latest(
    store: Store,
    specs: list[MeasureSpec],
    neighbour_set: str | None,
    exclude: Sequence[str] | str | None,
) -> tuple[pd.DataFrame, str | None, list[str]]:
    """Every authority compared at each measure's latest period (one
    :func:`~lacompare.analysis.compare` per breakdown), with ``key`` (the spec);
    the neighbour set used and compare's notes."""
    from lacompare.analysis import compare

    parts, notes, set_used = [], [], None
    for breakdown, group in _by_breakdown(specs).items():
        result = compare(
            store,
            None,
            [s.measure for s in group],
            breakdown=breakdown,
            neighbour_set=neighbour_set,
            exclude=exclude,
        )
        set_used = set_used or result.neighbour_set
        notes += [n for n in result.notes() if not n.startswith("neighbour set")]
        table = result.table.copy()
        table["key"] = table["measure"].map({s.measure: s.key for s in group})
        parts.append(table)
    return pd.concat(parts, ignore_index=True), set_used, notes


def compare_trends(
    store: Store,
    specs: list[MeasureSpec],
    neighbour_set: str | None,
    exclude: Sequence[str] | str | None,
) -> pd.DataFrame:
    """Every authority compared in every period of each measure
    (:data:`TREND_COLUMNS`): each year's verdict is
    :func:`~lacompare.analysis.significance.compare_years`' (compare's test at that
    period), and ``quartile_low``/``quartile_high`` bound the middle half of the
    authorities ranked that year (:func:`quartile_range`)."""
    from lacompare.analysis.significance import compare_years

    parts = []
    for breakdown, group in _by_breakdown(specs).items():
        keys = {s.measure: s.key for s in group}
        part = compare_years(
            store,
            None,
            list(keys),
            breakdown=breakdown,
            neighbour_set=neighbour_set,
            exclude=exclude,
        )
        part = part.assign(key=part["measure"].map(keys)).sort_values(
            "period", key=lambda p: p.map(period_key), kind="stable"
        )
        parts.append(quartile_range(part)[TREND_COLUMNS])
    if not parts:
        return pd.DataFrame(columns=TREND_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def quartile_range(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``quartile_low`` and ``quartile_high``: the lower and upper
    quartiles of the values of the authorities ranked (those in the distribution
    behind rank and quartile band), per measure and period.

    Examples
    --------
    >>> t = pd.DataFrame({"key": ["m"] * 5, "period": ["2021"] * 5,
    ...     "value": [1.0, 2, 3, 4, 100], "rank": [1, 2, 3, 4, None]})
    >>> quartile_range(t)[["quartile_low", "quartile_high"]].iloc[0].tolist()
    [1.75, 3.25]
    """
    ranked = table[table["value"].notna() & table["rank"].notna()]
    if "joint_counted" in ranked:  # a joint return once (issue 17)
        ranked = ranked[ranked["joint_counted"].fillna(True).astype(bool)]
    values = ranked["value"].astype(float).groupby([ranked["key"], ranked["period"]])
    bounds = pd.DataFrame(
        {"quartile_low": values.quantile(0.25), "quartile_high": values.quantile(0.75)}
    )
    return table.join(bounds, on=["key", "period"])


def choose_decimals(
    specs: list[MeasureSpec], latest: pd.DataFrame, trend: pd.DataFrame
) -> dict[str, int]:
    """Each measure's decimals: the catalogue's where it knows the measure (IDACI
    3 dp), else those that tell the values apart (:func:`measure_decimals`)."""
    # One grouping by measure, not a string comparison over every row per measure.
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
        known = indicator_decimals(s.key, vals.dropna())
        decimals[s.key] = (
            known if known is not None else measure_decimals(vals.dropna(), s.unit)
        )
    return decimals


def read_neighbours(
    store: Store, set_used: str | None
) -> tuple[dict[str, list[str]], str | None]:
    """Each authority's neighbours' names, nearest first, and the set's label."""
    if not set_used:
        return {}, None
    frame = store.query(
        """SELECT n.la_code, b.la_name AS neighbour_name, n.rank
           FROM neighbours n LEFT JOIN authorities b
                ON b.la_code = n.neighbour_code
           WHERE n.set_id = ? ORDER BY n.la_code, n.rank""",
        [set_used],
    )
    neighbours = {
        str(code): rows["neighbour_name"].fillna("").tolist()
        for code, rows in frame.groupby("la_code", sort=False)
    }
    row = store.con.execute(
        "SELECT label FROM neighbour_sets WHERE set_id = ?", [set_used]
    ).fetchall()
    return neighbours, (row[0][0] if row and row[0][0] else set_used)


def track_sources(
    store: Store,
    specs: list[MeasureSpec],
    latest: pd.DataFrame,
    trend: pd.DataFrame,
    set_used: str | None,
    spend: Any,
) -> pd.DataFrame:
    """The loads behind the profiles: each measure's periods shown, the
    neighbour set, and the spend model's variables."""
    tracker = SourceTracker(store)
    latest_by_key = dict(tuple(latest.groupby("key", sort=False)))
    trend_by_key = dict(tuple(trend.groupby("key", sort=False))) if len(trend) else {}
    empty = latest.iloc[0:0]
    for s in specs:
        history = trend_by_key.get(s.key)
        periods_used = sorted(
            (set() if history is None else set(history["period"]))
            | set(latest_by_key.get(s.key, empty)["period"].dropna())
        )
        tracker.use(s.measure, s.breakdown, periods_used or None)
    tracker.use_neighbours(set_used)
    if spend is not None:
        for v in spend.regression.variables.itertuples():
            tracker.use(v.measure, v.breakdown or "", [v.period])
    return tracker.frame()
