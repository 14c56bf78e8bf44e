"""Each authority's type, region and code on a given day
(``data/authority_history.csv``).

The registry (``authorities.csv``) has one row per authority entity and the type it
has today; Cornwall, Durham, Northumberland, Shropshire and Wiltshire were shire
counties until 31 March 2009 under the same entity, and the 1990s unitaries began on
their own days. The history file holds one row per validity period, so a table of
2002 is grouped by the types of 2002.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import pandas as pd

from ._registry import _authorities, _read_data_csv

#: The first day the registry is complete for (the 1 April 1998 reorganisation).
HORIZON = date(1998, 4, 1)

#: Columns a dated registry gets from the history (they replace the registry's own).
DATED_COLUMNS = ("la_type", "region", "region_code", "london_region", "ons_code")


@cache
def _history() -> pd.DataFrame:
    frame = _read_data_csv("authority_history.csv")
    # The same key the registry's entities use: la_code, else the DfE code.
    frame["key"] = frame["la_code"].where(frame["la_code"] != "", frame["dfe_code"])
    frame["_from"] = frame["valid_from"].replace("", "0001-01-01")
    frame["_to"] = frame["valid_to"].replace("", "9999-12-31")
    return frame


def _day(as_of: date | str) -> date:
    from ._choose import as_date

    day = as_date(as_of)
    if day is None:
        raise ValueError("as_of must be a date")
    return day


def read_authority_history() -> pd.DataFrame:
    """The authorities' types, regions and codes per validity period.

    One row per authority and period: ``la_code, dfe_code, la_name, valid_from,
    valid_to, la_type, region, region_code, london_region, ons_code, source`` (blank
    cells are empty strings; the ``# `` lines at the top of
    ``lacompare/geography/data/authority_history.csv`` describe them and name the
    structural change orders).

    Returns
    -------
    pandas.DataFrame
        A copy, so callers may modify it.

    Examples
    --------
    >>> h = read_authority_history()
    >>> h.loc[h["la_name"] == "Cornwall", ["valid_to", "la_type"]].values.tolist()
    [['2009-03-31', 'shire county'], ['', 'unitary']]
    """
    return _history().drop(columns=["key", "_from", "_to"]).copy()


def authorities_on(as_of: date | str) -> pd.DataFrame:
    """The registry's authorities that existed on a day, with that day's type.

    The columns of :func:`~lacompare.geography.read_authorities`, plus ``ons_code``
    (the GSS code in use that day; blank when none had been issued); ``la_type``,
    ``region``, ``region_code`` and ``london_region`` are those of the day.
    ``attrs['note']`` says when the day is before the registry's horizon
    (1 April 1998), when the list is incomplete.

    Parameters
    ----------
    as_of
        The day (a date or an ISO date string).

    Returns
    -------
    pandas.DataFrame
        One row per authority in existence that day.

    Examples
    --------
    >>> on = authorities_on("2002-04-01")
    >>> len(on)
    150
    >>> on.loc[on["la_name"] == "Wiltshire", "la_type"].item()
    'shire county'
    >>> authorities_on("2010-04-01").loc[lambda f: f["la_name"] == "Wiltshire",
    ...                                  "la_type"].item()
    'unitary'
    """
    day = _day(as_of).isoformat()
    hist = _history()
    valid = hist[(hist["_from"] <= day) & (hist["_to"] >= day)]
    reg = _authorities().copy()
    reg["key"] = reg["la_code"].where(reg["la_code"] != "", reg["dfe_code"])
    dated = valid[["key", *DATED_COLUMNS]]
    out = reg.drop(columns=[c for c in DATED_COLUMNS if c in reg]).merge(
        dated, on="key", how="inner"
    )
    out = out[[*reg.columns.drop("key"), "ons_code"]].reset_index(drop=True)
    if _day(as_of) < HORIZON:
        out.attrs["note"] = (
            f"{day} is before 1 April 1998, the registry's horizon: the counties "
            "abolished in 1996-98 (Avon, Berkshire, Cleveland, Hereford and "
            "Worcester, Humberside) are not in it, so the list is incomplete"
        )
    return out


def history_on(key: str, as_of: date | str) -> dict[str, str] | None:
    """One authority's history row on a day, or None if it did not exist then.

    ``key`` is the registry key (ONS code, or DfE code for an authority without
    one), a former ONS code, or the store's ``dfe:<code>`` form.

    Examples
    --------
    >>> history_on("E06000048", "2010-04-01")["ons_code"]
    'E06000048'
    >>> history_on("E06000061", "2020-04-01") is None
    True
    """
    from ._registry import registry

    text = str(key).strip()
    if text.lower().startswith("dfe:"):
        text = text[4:]
    text = registry().by_ons.get(text.upper(), text)
    day = _day(as_of).isoformat()
    # Matching calls this once per distinct name and date: a dict, not a frame scan.
    for start, end, row in _index().get(text, ()):
        if start <= day <= end:
            return dict(row)
    return None


@cache
def _index() -> dict[str, list[tuple[str, str, dict[str, str]]]]:
    out: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
    for rec in _history().to_dict("records"):
        row = {
            k: str(v) for k, v in rec.items() if not k.startswith("_") and k != "key"
        }
        out.setdefault(rec["key"], []).append((rec["_from"], rec["_to"], row))
    return out


def authority_type_on(key: str, as_of: date | str) -> str | None:
    """An authority's type on a day: London borough, metropolitan district, shire
    county or unitary (None if it did not exist that day).

    Parameters
    ----------
    key
        ONS code (current or former), the DfE code of an authority that never had
        an ONS code, or the store's ``dfe:<code>`` key.
    as_of
        The day.

    Returns
    -------
    str or None

    Examples
    --------
    >>> authority_type_on("E06000052", "2002-04-01")   # Cornwall
    'shire county'
    >>> authority_type_on("E06000052", "2010-03-31")
    'unitary'
    >>> authority_type_on("dfe:820", "2002-04-01")     # Bedfordshire county council
    'shire county'
    """
    row = history_on(key, as_of)
    return None if row is None else row["la_type"]


# Words of a total row's label that name authority types ('Metropolitan sub-total',
# 'Shire Unitary Sub-total', 'All Shires Total'), and words that say nothing more.
_TYPE_WORDS = {
    "metropolitan": "met",
    "met": "met",
    "mets": "met",
    "metropolitans": "met",
    "county": "county",
    "counties": "county",
    "cc": "county",
    "ccs": "county",
    "unitary": "unitary",
    "unitaries": "unitary",
    "ua": "unitary",
    "uas": "unitary",
    "shire": "shire",
    "shires": "shires",
    "london": "london",
    "borough": "borough",
    "boroughs": "borough",
    "lb": "borough",
    "lbs": "borough",
    "district": "district",
    "districts": "district",
    "all": "all",
}
_FILLER = frozenset(
    {
        "total",
        "totals",
        "subtotal",
        "subtotals",
        "sub",
        "grand",
        "overall",
        "authorities",
        "authority",
        "councils",
        "council",
        "las",
        "la",
        "of",
        "and",
        "the",
        "areas",
        "area",
        "only",
    }
)


def total_row_types(label: str) -> tuple[tuple[str, ...], ...]:
    """The authority types a total row's label names, as the readings it allows.

    ``()``: the label names no type (or words we cannot read: 'Inner London
    Boroughs', 'Shire Districts'), so its members are found another way. One
    reading: the types it sums. Several: the label is ambiguous ('Shire
    sub-total' may be the shire counties or the counties and unitaries together).

    Parameters
    ----------
    label
        The label as printed.

    Returns
    -------
    tuple of tuple of str

    Examples
    --------
    >>> total_row_types("Metropolitan sub-total")
    (('metropolitan district',),)
    >>> total_row_types("Shire Unitary Sub-total"), total_row_types("All Shires Total")
    ((('unitary',),), (('shire county', 'unitary'),))
    >>> total_row_types("Shire sub-total")
    (('shire county',), ('shire county', 'unitary'))
    >>> total_row_types("Sub-total"), total_row_types("Shire Districts")
    ((), ())
    """
    import re

    words = [w for w in re.split(r"[^a-z]+", str(label).lower()) if w]
    kinds = set()
    for word in words:
        if word in _FILLER:
            continue
        if word not in _TYPE_WORDS:
            return ()  # a word we cannot read: do not guess the members
        kinds.add(_TYPE_WORDS[word])
    types: set[str] = set()
    if "met" in kinds:
        types.add("metropolitan district")
    elif "district" in kinds:
        return ()  # shire districts are not authorities with these duties
    if "london" in kinds or ("borough" in kinds and "met" not in kinds):
        types.add("London borough")
    if "county" in kinds:
        types.add("shire county")
    if "unitary" in kinds:
        types.add("unitary")
    shire_only = kinds & {"shire", "shires"} and not kinds & {"county", "unitary"}
    if shire_only:
        both = ("shire county", "unitary")
        if "shires" in kinds or "all" in kinds:
            types.update(both)
        else:
            return (
                tuple(sorted(types | {"shire county"})),
                tuple(sorted(types | set(both))),
            )
    return (tuple(sorted(types)),) if types else ()
