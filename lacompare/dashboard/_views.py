"""What each dashboard page shows, gathered from the public API (no analysis here).

Each function takes the :class:`~lacompare.dashboard._state.DashboardStore` and
the page's state (plain strings, as they arrive in a URL) and returns the
results of :func:`lacompare.analysis.compare`, :func:`~lacompare.report.build_report`,
:func:`~lacompare.analysis.read_la_values` with
:func:`~lacompare.analysis.pairwise_correlation`, and the chart functions of
:mod:`lacompare.charts`, cached by the store's version.

A measure on these pages is a *key*: ``measure`` or ``measure[breakdown]`` with
the breakdown written out in full, as :func:`lacompare.report._reports.resolve_measure`
reads it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.dashboard._state import DashboardStore
    from lacompare.formatting.tables import ReportTable
    from lacompare.report import Document, MeasureSpec

#: How many measures a profile shows when the store has none with a polarity.
DEFAULT_PROFILE_SIZE = 6
#: The comparison group of the measure explorer: every authority.
ENGLAND = "england"


def measure_key(measure: str, breakdown: str | None) -> str:
    """The page key of a measure and breakdown.

    Examples
    --------
    >>> measure_key("rate_per_10000", "looked after"), measure_key("idaci", "")
    ('rate_per_10000[looked after]', 'idaci')
    """
    return f"{measure}[{breakdown}]" if breakdown else measure


def measure_catalogue(state: DashboardStore) -> pd.DataFrame:
    """Every measure × breakdown with numeric values: what the pickers offer.

    Columns ``key, measure, breakdown, label, unit, polarity, periods`` (a list,
    oldest first) and ``n`` (values), sorted by label.
    """

    def compute() -> pd.DataFrame:
        with state.store() as store:
            frame = store.query(
                """SELECT o.measure, o.breakdown, any_value(m.label) AS label,
                          any_value(m.unit) AS unit,
                          coalesce(any_value(m.polarity), 'neutral') AS polarity,
                          list(DISTINCT o.period ORDER BY o.period) AS periods,
                          count(o.value) AS n
                   FROM observations o LEFT JOIN measures m USING (measure)
                   WHERE o.value IS NOT NULL AND coalesce(m.unit, '') <> 'category'
                   GROUP BY o.measure, o.breakdown"""
            )
        frame["key"] = [
            measure_key(m, b)
            for m, b in zip(frame["measure"], frame["breakdown"], strict=True)
        ]
        frame["label"] = [
            (lab if isinstance(lab, str) and lab and lab != m else m)
            + (f" — {b.split('=', 1)[-1]}" if b else "")
            for lab, m, b in zip(
                frame["label"], frame["measure"], frame["breakdown"], strict=True
            )
        ]
        frame["periods"] = frame["periods"].map(list)
        return frame.sort_values(["label", "key"]).reset_index(drop=True)

    return state.cached(("catalogue",), compute)


def catalogue_entry(state: DashboardStore, key: str) -> pd.Series:
    """The catalogue row of a measure key, or an InputError naming the choices."""
    cat = measure_catalogue(state)
    hit = cat[cat["key"] == key]
    if not len(hit):
        hit = cat[cat["measure"] == key]
    if not len(hit):
        if not len(cat):
            raise InputError(
                "the store has no measures yet: load a file on the "
                "Data page (or lacompare ingest)"
            )
        raise InputError(f"no measure {key!r} in the store")
    return hit.iloc[0]


def authority_choices(state: DashboardStore) -> pd.DataFrame:
    """Authorities with at least one value: ``la_code, la_name, region``."""

    def compute() -> pd.DataFrame:
        with state.store() as store:
            return store.query(
                """SELECT a.la_code, a.la_name, a.region FROM authorities a
                   WHERE a.la_code IN (SELECT DISTINCT la_code FROM observations
                                       WHERE value IS NOT NULL)
                   ORDER BY a.la_name, a.la_code"""
            )

    return state.cached(("authorities",), compute)


def find_authority(state: DashboardStore, text: str) -> str:
    """The store key of an authority named any way the registry knows.

    Codes (ONS or DfE), names and their variants ('St.Helens', 'Bath & N.E
    Somerset') resolve, the same rule as every command
    (:func:`lacompare.geography.match_authority_strict`): a misspelling raises
    :class:`~lacompare.geography.UnknownAuthority` naming the nearest names, and an
    abolished authority its successors, rather than showing another authority. A
    store key from a link or a picker (an abolished council's too) is taken as it is.
    """
    from lacompare.geography import match_authority_strict
    from lacompare.store import authority_key

    text = (text or "").strip()
    if not text:
        raise InputError("type an authority's name or code")
    choices = authority_choices(state)
    if text in set(choices["la_code"]):
        return text
    match = match_authority_strict(text.removeprefix("dfe:"), current=True)
    return authority_key(match.la_code, match.dfe_code)


def authority_name(state: DashboardStore, la_code: str) -> str:
    """An authority's name from its code (the code itself if unknown)."""
    choices = authority_choices(state)
    hit = choices.loc[choices["la_code"] == la_code, "la_name"]
    if len(hit):
        return str(hit.iloc[0])
    from lacompare.geography import resolve_authority

    match = resolve_authority(la_code)
    return str(match.la_name) if match.resolved else la_code


def read_headline_measures() -> list[tuple[str, str]]:
    """The headline indicators of the catalogue (:mod:`lacompare.catalogue`, the
    one place the set is kept) as ``(slot, key)`` pairs: the indicator's id and
    each of its store keys in order of preference.

    Examples
    --------
    >>> read_headline_measures()[0][0]
    'cla_rate_per_10000'
    """
    from lacompare.catalogue import headline_keys

    return headline_keys()


def default_profile_measures(state: DashboardStore) -> list[str]:
    """The profile's measures when none are asked for.

    For each headline indicator of :func:`read_headline_measures` (CLA, CIN and
    CP rates, workforce, spend per child, IDACI), the first key the store has
    values for; a store with none of them gets its measures with a polarity,
    else the first few in the catalogue (so that any store has a profile).
    """
    cat = measure_catalogue(state)
    keys = set(cat["key"])
    chosen: dict[str, str] = {}
    for slot, key in read_headline_measures():
        if slot not in chosen and key in keys:
            chosen[slot] = key
    if chosen:
        return list(chosen.values())
    polar = cat[cat["polarity"] != "neutral"]
    picked = polar if len(polar) else cat.head(DEFAULT_PROFILE_SIZE)
    return picked["key"].tolist()


def profile_document(
    state: DashboardStore, la: str, measures: Sequence[str] | None = None
) -> Document:
    """The la-profile report's document for one authority (as the CLI's report).

    The comparison of every authority (:func:`~lacompare.report._profile.
    prepare_profiles`) is computed once per measure list and store version.
    """
    from lacompare.report import prepare_profiles
    from lacompare.report import profile_document as make_document

    keys = tuple(measures or default_profile_measures(state))
    if not keys:
        raise InputError(
            "the store has no measures yet: load a file on the Data "
            "page (or lacompare ingest)"
        )

    def profiles() -> Any:
        with state.store() as store:
            return prepare_profiles(store, list(keys))

    data = state.cached(("profiles", keys), profiles)
    code = data.resolve(la) if la else None
    if code is None:
        raise InputError("choose an authority")
    return state.cached(("profile", keys, code), lambda: make_document(data, code))


# -------------------------------------------------------------- measure explorer


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


def group_choices(state: DashboardStore) -> list[tuple[str, str]]:
    """(value, label) of the comparison groups: England, each region, and each
    authority's statistical neighbours when the store has a neighbour set."""

    def compute() -> list[tuple[str, str]]:
        choices = authority_choices(state)
        out = [(ENGLAND, "All authorities (England)")]
        out += [
            (f"region:{r}", f"Region: {r}")
            for r in sorted(set(choices["region"].dropna()))
        ]
        with state.store() as store:
            has_set = store.con.execute(
                "SELECT count(*) FROM neighbour_sets"
            ).fetchone()[0]
        if has_set:
            out += [
                (f"neighbours:{c}", f"Statistical neighbours of {n}")
                for c, n in zip(choices["la_code"], choices["la_name"], strict=True)
            ]
        return out

    return state.cached(("groups",), compute)


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
    from lacompare.analysis import compare
    from lacompare.report import resolve_measure

    entry = catalogue_entry(state, key)
    periods = list(entry["periods"])
    period = period or (periods[-1] if periods else None)
    if period not in periods:
        raise InputError(
            f"{entry['label']} has no values for period {period!r}; "
            f"periods: {', '.join(periods)}"
        )
    group = group or ENGLAND

    def compute() -> tuple[Any, Any]:
        with state.store() as store:
            spec = resolve_measure(store, str(entry["key"]))
            result = compare(
                store, None, [spec.measure], period=period, breakdown=spec.breakdown
            )
        return spec, result

    spec, result = state.cached(("compare", entry["key"], period), compute)
    table = result.table[result.table["value"].notna()].copy()
    table = table.sort_values(["rank", "la_name"], na_position="last")
    notes = result.notes()
    highlight_code = find_authority(state, highlight) if highlight else None
    neighbours: list[str] = []
    if group == ENGLAND:
        shown, label = table, "all authorities"
    elif group.startswith("region:"):
        region = group.split(":", 1)[1]
        shown, label = table[table["region"] == region], region
        if not len(shown):
            raise InputError(f"no authority in region {region!r} has a value")
    elif group.startswith("neighbours:"):
        from lacompare.analysis.neighbours import neighbours_of

        code = find_authority(state, group.split(":", 1)[1])
        with state.store() as store:
            nb = neighbours_of(store, code, result.neighbour_set)
        neighbours = nb["neighbour_name"].tolist()
        members = [code, *nb["neighbour_code"].tolist()]
        shown = table[table["la_code"].isin(members)]
        label = f"{nb['la_name'].iloc[0]} and its statistical neighbours"
        highlight_code = highlight_code or code
    else:
        raise InputError(
            f"comparison group {group!r}: choose england, "
            "region:NAME or neighbours:AUTHORITY"
        )
    hl_name = None
    if highlight_code:
        names = table.loc[table["la_code"] == highlight_code, "la_name"]
        hl_name = str(names.iloc[0]) if len(names) else None
    return MeasureView(
        spec,
        str(period),
        group,
        label,
        hl_name,
        table,
        shown.reset_index(drop=True),
        neighbours,
        periods,
        notes,
    )


def measure_table(view: MeasureView) -> ReportTable:
    """The explorer's table: rank, authority, region, value, band and flag."""
    import pandas as pd

    from lacompare.catalogue import band_text, indicator_decimals
    from lacompare.formatting.tables import Column, ReportTable
    from lacompare.report import measure_decimals

    shown = view.shown
    order = "1 = best" if (shown["rank_order"] == "best").any() else "1 = highest"
    frame = pd.DataFrame(
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
                f"{f} ({lvl})"
                if isinstance(f, str) and f != "within" and lvl
                else (f or "")
                for f, lvl in zip(shown["flag"], shown["flag_level"], strict=True)
            ],
            "england": shown["england_value"].astype(float),
        }
    )
    values = view.table["value"].dropna()
    # The catalogue's decimals where it knows the measure (IDACI 3 dp).
    known = indicator_decimals(view.spec.key, values)
    decimals = known if known is not None else measure_decimals(values, view.spec.unit)
    notes = [
        f"Rank among the {len(view.table)} authorities with a value ({order}); "
        "quartile band A is the best quarter; a neutral measure's quarters "
        "are named highest to lowest, never best or worst."
    ]
    tests = sorted(set(shown["test"].dropna()))
    if tests:
        notes.append("Significance: " + "; ".join(tests) + ".")
    return ReportTable(
        view.title,
        frame,
        [
            Column("la_name", "Authority", role="label"),
            Column("la_code", "ONS code", role="text"),
            Column("region", "Region", role="text"),
            Column("rank", "Rank", role="rate", decimals=0),
            Column(
                "value",
                view.spec.label,
                unit=view.spec.unit,
                role="rate",
                decimals=decimals,
            ),
            Column("quartile", "Quartile band", role="text"),
            Column("flag", "Significantly different", role="text"),
            Column(
                "england",
                "England",
                unit=view.spec.unit,
                role="rate",
                decimals=decimals,
            ),
        ],
        notes=notes,
        name="Measure",
    )


def measure_charts(view: MeasureView) -> dict[str, Any]:
    """The explorer's charts: hex map, ranked bars and box plots by region."""
    from lacompare.charts import box_chart, hex_map_chart, ranked_bar_chart

    label = view.spec.label + (f" ({view.spec.unit})" if view.spec.unit else "")
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
            period=view.period,
        ),
        "box": box_chart(
            view.table[["la_name", "region", "value"]].dropna(),
            measure=label,
            period=view.period,
            highlight=view.highlight,
        ),
    }


# ------------------------------------------------------------------ relationships


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

    from lacompare.analysis.significance import pairwise_correlation, read_la_values
    from lacompare.charts import scatter_chart
    from lacompare.report import resolve_measure

    if not x or not y:
        raise InputError("choose two measures")
    ex, ey = catalogue_entry(state, x), catalogue_entry(state, y)
    if ex["key"] == ey["key"]:
        raise InputError("choose two different measures")

    def compute() -> tuple[Any, ...]:
        with state.store() as store:
            sx = resolve_measure(store, str(ex["key"]))
            sy = resolve_measure(store, str(ey["key"]))
            vx = read_la_values(store, [sx.measure], breakdown=sx.breakdown)
            vy = read_la_values(store, [sy.measure], breakdown=sy.breakdown)
            names = store.query("SELECT la_code, la_name FROM authorities")
        frame = (
            vx.values[[sx.measure]]
            .rename(columns={sx.measure: "x"})
            .join(
                vy.values[[sy.measure]].rename(columns={sy.measure: "y"}), how="inner"
            )
        )
        matrix = pairwise_correlation(frame[["x", "y"]], "spearman")
        return sx, sy, frame, names, matrix

    sx, sy, frame, names, matrix = state.cached(
        ("relationship", ex["key"], ey["key"]), compute
    )
    r = float(matrix.r.loc["x", "y"])
    p = float(matrix.p.loc["x", "y"])
    n = int(matrix.n.loc["x", "y"])
    if not math.isfinite(r):
        raise InputError(f"only {n} authorities have both measures: need 3")
    data = (
        frame.dropna()
        .rename_axis("la_code")
        .reset_index()
        .merge(names.drop_duplicates("la_code"), on="la_code", how="left")
    )
    data["la_name"] = data["la_name"].fillna(data["la_code"])
    hl = None
    if highlight:
        code = find_authority(state, highlight)
        hit = data.loc[data["la_code"] == code, "la_name"]
        hl = str(hit.iloc[0]) if len(hit) else None
    px, py = read_periods(state, str(ex["key"])), read_periods(state, str(ey["key"]))
    periods_x = ", ".join(dict.fromkeys(px + py))
    chart = scatter_chart(
        data,
        x="x",
        y="y",
        x_title=sx.label + (f" ({sx.unit})" if sx.unit else ""),
        y_title=sy.label + (f" ({sy.unit})" if sy.unit else ""),
        r_s=r,
        p=p,
        n=n,
        highlight=hl,
        period=periods_x or None,
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


def spend_targets(state: DashboardStore) -> list[str]:
    """Measure keys the expected-spend model can sensibly explain: spend per
    child or per head (a unit in £ "per …"), else any spend (a unit in £).

    Totals (RO3/RSX lines in £ thousand) mostly measure an authority's size, and a
    national store has a thousand of them, so they are offered only when no
    spend per head is loaded.
    """
    cat = measure_catalogue(state)
    unit = cat["unit"].fillna("").str.lower()
    # Money that is spent, not income (GDHI per head is a factor, in £ per head).
    words = (cat["key"].fillna("") + " " + cat["label"].fillna("")).str.lower()
    spent = words.str.contains(r"spend|expenditure|cost|budget")
    money = cat[unit.str.startswith("£") & spent]
    per_head = money[unit[money.index].str.contains(r"\bper\b")]
    return (per_head if len(per_head) else money)["key"].tolist()


def page_choices(state: DashboardStore) -> None:
    """Read (into the cache) the lists every page offers: authorities, measures,
    groups, spend targets and the default profile.

    The Shiny page calls this before it is built, so that a store another process
    is writing stops it with :class:`~lacompare.errors.StoreBusy` at one place.
    """
    authority_choices(state)
    measure_catalogue(state)
    group_choices(state)
    spend_targets(state)
    default_profile_measures(state)


# ---------------------------------------------------------------------- data page


def data_overview(state: DashboardStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What is loaded: the sources (file, sheet, loaded at, counts) and the
    measures (unit, polarity, values), as ``lacompare info`` lists them."""

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        with state.store() as store:
            sources = store.query(
                "SELECT source_id, file, sheet, observations, totals, "
                "CAST(loaded_at AS VARCHAR) AS loaded_at FROM sources "
                "ORDER BY source_id"
            )
            measures = store.query(
                "SELECT m.measure, m.label, m.unit, m.polarity, "
                "count(o.value) AS n FROM measures m LEFT JOIN observations o "
                "USING (measure) GROUP BY ALL ORDER BY 1"
            )
        sources["file"] = [Path(str(f)).name for f in sources["file"]]
        return sources, measures

    return state.cached(("overview",), compute)


@functools.lru_cache(maxsize=1)
def packaged_specs() -> list[str]:
    """File names of the mapping specs shipped with lacompare."""
    from importlib.resources import files

    folder = files("lacompare.sources") / "specs"
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".toml"))


def packaged_spec_path(name: str) -> Path:
    """The path of a packaged spec by file name (InputError if unknown)."""
    from importlib.resources import files

    if name not in packaged_specs():
        raise InputError(f"no packaged spec {name!r}")
    return Path(str(files("lacompare.sources") / "specs" / name))
