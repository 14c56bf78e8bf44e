"""Which measures stand for the expected-spend model's factors, and which period
of each goes with the target's.

:data:`SPEND_FACTORS` lists Newton Europe's five factor families (LGA, "Making
Sense", 2018) with the measure ids looked for; :func:`find_spend_factors` finds
them in a store; :func:`match_periods` chooses each factor's period nearest the
target's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from lacompare.store import Store

#: The default factors of :func:`model_spend`: Newton Europe's five (LGA, "Making
#: Sense", 2018), each with the measure ids looked for, most preferred first.
#: Patterns are regular expressions searched in each measure's id and in its label
#: made into an id (lower case, words joined by ``_``); measures whose id or label
#: has ``rank`` are never taken (ranks run the other way: 1 = most deprived). Where
#: several measures match one pattern, the one with values for most authorities
#: wins, then the first by id. The IoD2019 domain scores for employment and crime
#: are fall-backs (proxies) when no unemployment or recorded-crime measure is loaded.
#: The measures ``lacompare build`` loads come first by id: IDACI from IoD2025 (the
#: 2019 edition has no figures for the authorities made since; the two are never
#: spliced), ONS GDHI per head, the claimant rate (every authority, every year; the
#: model-based unemployment rate lacks about 25) and crimes per 1,000 residents.
SPEND_FACTORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "deprivation",
        "Deprivation (IDACI): higher, more spend",
        (
            r"^iod2025_idaci_average_score$",
            r"^idaci_average_score$",
            r"idaci.*score",
            r"idaci",
            r"^imd_average_score$",
            r"imd.*score",
        ),
    ),
    (
        "population_0_25",
        "Population aged 0-25: larger, lower spend per head",
        (r"^(?:population_)?age_0_25$", r"pop\w*0_(?:to_)?25", r"0_(?:to_)?25\w*pop"),
    ),
    (
        "disposable_income",
        "Disposable household income: higher, more spend",
        (r"^gdhi_per_head$", r"gdhi", r"disposable\w*income"),
    ),
    (
        "unemployment",
        "Unemployment: higher, more spend",
        (r"^claimant_rate$", r"claimant", r"unemploy", r"^employment_average_score$"),
    ),
    (
        "crime",
        "Crime: higher, more spend",
        (r"^crime_rate_per_1000$", r"crime_rate", r"recorded_crime", r"crime"),
    ),
)

FACTOR_COLUMNS = ["family", "measure", "label", "match", "note"]


def read_factor_candidates(store: Store, exclude: Sequence[str] = ()) -> pd.DataFrame:
    """``measure, label, unit, authorities`` of every measure that could be a
    factor: with a value for some authority, not a category, not excluded."""
    catalogue = (
        store.values_relation(columns=["measure", "la_code", "value"])
        .query(
            "o",
            """SELECT o.measure, any_value(m.label) AS label,
                      any_value(m.unit) AS unit,
                      count(DISTINCT CASE WHEN o.value IS NOT NULL THEN o.la_code END)
                          AS authorities
               FROM o LEFT JOIN measures m USING (measure)
               GROUP BY o.measure""",
        )
        .df()
    )
    return catalogue[
        (catalogue["authorities"] > 0)
        & (catalogue["unit"].fillna("") != "category")
        & ~catalogue["measure"].isin(list(exclude))
    ]


def _match_family(
    catalogue: pd.DataFrame,
    label_ids: pd.Series,
    usable: pd.Series,
    patterns: Sequence[str],
) -> tuple[pd.Series, str] | None:
    """The measure the first matching pattern finds (most authorities, then
    first by id), with that pattern; None if no pattern matches."""
    for pattern in patterns:
        hits = catalogue[
            usable
            & (
                catalogue["measure"].str.lower().str.contains(pattern, regex=True)
                | label_ids.str.contains(pattern, regex=True)
            )
        ]
        if len(hits):
            hits = hits.sort_values(["authorities", "measure"], ascending=[False, True])
            return hits.iloc[0], pattern
    return None


def _family_row(
    family: str, description: str, chosen: tuple[pd.Series, str] | None
) -> dict[str, Any]:
    if chosen is None:
        return {
            "family": family,
            "measure": None,
            "label": None,
            "match": None,
            "note": f"{description}: no measure found",
        }
    hit, pattern = chosen
    note = description
    proxy = "average_score" in hit["measure"]
    if family in ("unemployment", "crime") and proxy:
        note += " (IoD2019 domain score used as a proxy)"
    return {
        "family": family,
        "measure": hit["measure"],
        "label": hit["label"],
        "match": pattern,
        "note": note,
    }


def find_spend_factors(store: Store, exclude: Sequence[str] = ()) -> pd.DataFrame:
    """Which measures of the store stand for Newton's five spend factors.

    Looks for each family of :data:`SPEND_FACTORS` in turn (see there for the
    rules). Measures in ``exclude`` (e.g. the target) are never taken.

    Returns
    -------
    pandas.DataFrame
        ``family, measure, label, match, note``; ``measure`` is missing for a
        family not found.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([
    ...     {"la_code": "E06000001", "measure": "idaci_average_score",
    ...      "period": "2019", "value": 0.28},
    ...     {"la_code": "E06000001", "measure": "idaci_rank_of_average_score",
    ...      "period": "2019", "value": 8}], file="x")
    >>> find_spend_factors(s).set_index("family")["measure"].dropna().to_dict()
    {'deprivation': 'idaci_average_score'}
    """
    from lacompare.sources.specs import measure_id

    catalogue = read_factor_candidates(store, exclude)
    label_ids = catalogue["label"].fillna("").map(measure_id)
    keys = catalogue["measure"].str.lower() + " " + label_ids
    usable = ~keys.str.contains("rank", regex=False)
    rows = [
        _family_row(
            family,
            description,
            _match_family(catalogue, label_ids, usable, patterns),
        )
        for family, description, patterns in SPEND_FACTORS
    ]
    return pd.DataFrame(rows, columns=FACTOR_COLUMNS)


def match_periods(store: Store, variables: pd.DataFrame) -> tuple[list[str], str]:
    """Each factor's period nearest the target's: the latest on or before it.

    A factor with no period on or before the target's day (recorded crime published
    for one later year) takes its earliest after. Days come from each measure's
    reference date (a calendar year ends 31 December, a financial year 31 March).

    Parameters
    ----------
    store
        An open store.
    variables
        A regression's variables (``role, measure, period``).

    Returns
    -------
    tuple
        The factors written ``measure@period``, and a sentence saying how the
        periods were chosen.
    """
    from lacompare.derive import reference_day

    target = variables[variables["role"] == "target"].iloc[0]
    refs = dict(
        store.con.execute("SELECT measure, reference_date FROM measures").fetchall()
    )
    day = reference_day(str(target["period"]), refs.get(target["measure"]))
    specs, said = [], []
    for measure in variables[variables["role"] == "factor"]["measure"]:
        periods = store.list_periods(measure, present_only=True)
        dated = sorted(
            (d, p)
            for p in periods
            if (d := reference_day(p, refs.get(measure))) is not None
        )
        before = [x for x in dated if day is None or x[0] <= day]
        chosen = before[-1] if before else dated[0]
        specs.append(f"{measure}@{chosen[1]}")
        if not before:
            said.append(f"{measure} {chosen[1]} (none earlier)")
    text = (
        f"factors at their latest period on or before the target's "
        f"{target['period']} ({day.isoformat() if day else 'undated'})"
        + (", else the earliest after: " + ", ".join(said) if said else "")
    )
    return specs, text
