"""What the store offers the pages: measures, authorities, groups and specs.

Every list is read through the store's interface (:func:`lacompare.store.
values_relation`, :func:`~lacompare.store.list_authorities`) and cached by the
store's version; the pickers, the ``/table/`` pages and the links all check what
a URL names against these lists.

A measure on these pages is a *key*: ``measure`` or ``measure[breakdown]`` with
the breakdown written out in full, as :func:`lacompare.report.resolve_measure`
reads it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.dashboard._state import DashboardStore

#: How many measures a profile shows when the store has none with a polarity.
DEFAULT_PROFILE_SIZE = 6
#: The comparison group of the measure explorer: every authority.
ENGLAND = "england"
#: What the store has loaded when a page finds no measure.
NO_MEASURES = (
    "the store has no measures yet: load a file on the Data page (or lacompare ingest)"
)

# Each measure and breakdown with a figure: its label, unit, polarity, periods
# and how many figures (a category's labels are not figures to compare).
_CATALOGUE_SQL = """
    SELECT v.measure, v.breakdown, any_value(m.label) AS label,
           any_value(m.unit) AS unit,
           coalesce(any_value(m.polarity), 'neutral') AS polarity,
           list(DISTINCT v.period ORDER BY v.period) AS periods,
           count(v.value) AS n
    FROM v LEFT JOIN measures m USING (measure)
    WHERE coalesce(m.unit, '') <> 'category'
    GROUP BY v.measure, v.breakdown"""


def measure_key(measure: str, breakdown: str | None) -> str:
    """The page key of a measure and breakdown.

    Examples
    --------
    >>> measure_key("rate_per_10000", "looked after"), measure_key("idaci", "")
    ('rate_per_10000[looked after]', 'idaci')
    """
    return f"{measure}[{breakdown}]" if breakdown else measure


def measure_label(label: object, measure: str, breakdown: str) -> str:
    """A picker's label: the measure's label (else its name), then the breakdown.

    Examples
    --------
    >>> measure_label("CLA rate", "cla", "age=under 1"), measure_label(None, "cla", "")
    ('CLA rate — under 1', 'cla')
    """
    text = label if isinstance(label, str) and label and label != measure else measure
    return text + (f" — {breakdown.split('=', 1)[-1]}" if breakdown else "")


def _catalogue_label(key: str) -> str | None:
    """The indicator catalogue's label and unit for a key it reads (the store's
    labels are the publishers': ``turnover_rate_fte_%``), else None."""
    from lacompare.catalogue import catalogue_label, label_with_unit

    found = catalogue_label(key)
    return None if found is None else label_with_unit(*found)


def read_catalogue(state: DashboardStore) -> pd.DataFrame:
    """Each measure × breakdown with figures, as the store groups them."""
    with state.store() as store:
        rel = store.values_relation(
            present_only=True, columns=["measure", "breakdown", "period", "value"]
        )
        return rel.query("v", _CATALOGUE_SQL).df()


def measure_catalogue(state: DashboardStore) -> pd.DataFrame:
    """Every measure × breakdown with numeric values: what the pickers offer.

    Columns ``key, measure, breakdown, label, unit, polarity, periods`` (a list,
    oldest first) and ``n`` (values), sorted by label.
    """

    def compute() -> pd.DataFrame:
        frame = read_catalogue(state)
        rows = zip(frame["measure"], frame["breakdown"], strict=True)
        frame["key"] = [measure_key(m, b) for m, b in rows]
        frame["label"] = [
            _catalogue_label(key) or measure_label(lab, m, b)
            for key, lab, m, b in zip(
                frame["key"],
                frame["label"],
                frame["measure"],
                frame["breakdown"],
                strict=True,
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
        # A catalogue id (cla_rate_per_10000): its first source the store holds,
        # as compare -m and /table/custom read it.
        from lacompare.catalogue import read_catalogue

        ind = next((i for i in read_catalogue() if i.id == key), None)
        for source in ind.sources if ind is not None else ():
            hit = cat[cat["key"] == source.key]
            if len(hit):
                break
    if not len(hit):
        if not len(cat):
            raise InputError(NO_MEASURES)
        raise InputError(f"no measure {key!r} in the store")
    return hit.iloc[0]


def authority_choices(state: DashboardStore) -> pd.DataFrame:
    """Authorities with at least one value: ``la_code, la_name, region``."""

    def compute() -> pd.DataFrame:
        with state.store() as store:
            held = store.list_authorities(with_values_only=True)
        return held[["la_code", "la_name", "region"]].reset_index(drop=True)

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
