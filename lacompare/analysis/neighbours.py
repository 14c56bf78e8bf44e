"""Statistical neighbours: load published sets, compute our own, compare them.

A *neighbour set* gives each authority its k most similar authorities, ranked 1..k.
Sets live in the store (tables ``neighbour_sets`` and ``neighbours``) under a
``set_id``; authorities are keyed as everywhere in the store (ONS code, or
``dfe:<code>`` for the two counties that never had one).

- :func:`read_neighbour_file` reads the documented long CSV format
  (``lacompare/analysis/data/neighbours_format.md``); :func:`read_dfe_neighbours`
  shapes DfE's published workbooks and CSVs (2021 and 2025 models) into it; and
  :func:`load_neighbour_set` resolves the authorities and writes a set
  (:func:`read_neighbour_set` is its first half, which needs no store).
- :func:`compute_neighbours` builds a set from measures in the store by the
  CIPFA/NFER recipe: z-scores, weighted Euclidean distance, k nearest, distances
  rebased 0-1 (the farthest authority = 1).
- :func:`compare_neighbour_sets` counts the neighbours two sets share per authority;
  :func:`neighbours_of` lists one authority's neighbours; :func:`neighbour_changes`
  sets one authority's neighbours in several sets side by side (DfE's 2021 and
  2025, a computed set from :func:`computed_set_rows`) with who joined, left or
  moved.

Boundary changes: a set is *valid for* a period or date. An authority that did not
exist then is not loaded or computed as anyone's neighbour, and
``neighbours_of(..., period=...)`` leaves out neighbours that did not exist in the
period asked about (say, North Northamptonshire in 2019).

Examples
--------
>>> from lacompare.store import open_store
>>> s = open_store(":memory:")
>>> r = load_neighbour_set(s, packaged_neighbour_file("dfe-2025"), "dfe-2025",
...                        valid_for="2025-26")
>>> r.authorities, neighbours_of(s, "Barnsley")["neighbour_name"].iloc[0]
(153, 'Rotherham')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from lacompare.analysis._neighbour_changes import (
    DEFAULT_RECIPE,
    NeighbourChanges,
    SetRows,
    computed_set_rows,
    neighbour_changes,
    stored_set_rows,
)
from lacompare.analysis._neighbour_compare import (
    SetComparison,
    compare_neighbour_sets,
)
from lacompare.analysis._neighbour_compute import compute_neighbours
from lacompare.analysis._neighbour_dfe import read_dfe_neighbours
from lacompare.analysis._neighbour_files import (
    NEIGHBOUR_COLUMNS,
    PACKAGED_SETS,
    packaged_neighbour_file,
    read_neighbour_file,
)
from lacompare.analysis._neighbour_load import (
    NeighbourSet,
    ReadNeighbours,
    load_neighbour_set,
    read_neighbour_set,
)
from lacompare.analysis._neighbour_store import (
    as_of,
    default_set,
    empty_excluded,
    list_neighbour_sets,
    set_frame,
    valid_on,
)
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "DEFAULT_RECIPE",
    "NEIGHBOUR_COLUMNS",
    "PACKAGED_SETS",
    "NeighbourChanges",
    "NeighbourSet",
    "ReadNeighbours",
    "SetComparison",
    "SetRows",
    "compare_neighbour_sets",
    "compute_neighbours",
    "computed_set_rows",
    "list_neighbour_sets",
    "load_neighbour_set",
    "neighbour_changes",
    "neighbours_of",
    "packaged_neighbour_file",
    "read_dfe_neighbours",
    "read_neighbour_file",
    "read_neighbour_set",
    "stored_set_rows",
]


def neighbours_of(
    store: Store, la: str, set_id: str | None = None, *, period: str | None = None
) -> pd.DataFrame:
    """One authority's neighbours in a set, nearest first.

    Parameters
    ----------
    store
        An open store.
    la
        The authority: name, ONS or DfE code.
    set_id
        The set (default: the only set in the store).
    period
        Leave out neighbours that did not exist in this period or on this date;
        they are listed in ``result.attrs['excluded']`` (records of la_code,
        la_name and reason; records, not a frame, so pandas can copy them).

    Returns
    -------
    pandas.DataFrame
        ``set_id, la_code, la_name, rank, neighbour_code, neighbour_name,
        neighbour_region, distance, closeness``.

    Raises
    ------
    InputError
        If the authority is unknown or has no neighbours in the set.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = load_neighbour_set(s, "dfe-2021", "sn21")
    >>> nb = neighbours_of(s, "Northamptonshire", period="2020")
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    lacompare.geography._strict.UnknownAuthority: Northamptonshire (E10000021)
    did not exist on 2022-03-31: it was abolished on 2021-04-01; ...
    >>> nb = neighbours_of(s, "Bedford", period="2020")
    >>> len(nb), [e["la_name"] for e in nb.attrs["excluded"]]
    (8, ['West Northamptonshire', 'North Northamptonshire'])
    """
    from lacompare.geography import match_authority_strict
    from lacompare.store import authority_key

    set_id = default_set(store, set_id)
    valid_for = store.con.execute(
        "SELECT valid_for FROM neighbour_sets WHERE set_id = ?", [set_id]
    ).fetchall()[0][0]
    present = store.con.execute(
        "SELECT count(*) FROM neighbours WHERE set_id = ? AND la_code = ?", [set_id, la]
    ).fetchall()[0][0]
    if present:
        key = la
    else:
        # Exact names, codes and aliases only, of the set's day: a misspelling
        # or an authority gone by then is refused naming who to ask for.
        match = match_authority_strict(la, as_of=as_of(valid_for))
        key = authority_key(match.la_code, match.dfe_code)
    frame = set_frame(store, set_id)
    frame = frame[frame["la_code"] == key].reset_index(drop=True)
    if frame.empty:
        name = store.con.execute(
            "SELECT la_name FROM authorities WHERE la_code = ?", [key]
        ).fetchall()
        shown = f"{name[0][0]} ({key})" if name else key
        raise InputError(f"{shown} has no neighbours in set {set_id!r}")
    frame.insert(0, "set_id", set_id)
    excluded = empty_excluded()
    if period is not None:
        day = as_of(period)
        ok = frame["neighbour_code"].map(valid_on(store, day)["exists"])
        ok = ok.fillna(False).astype(bool)
        excluded = pd.DataFrame(
            {
                "la_code": frame.loc[~ok, "neighbour_code"].to_numpy(),
                "la_name": frame.loc[~ok, "neighbour_name"].to_numpy(),
                "reason": f"did not exist on {day.isoformat() if day else ''}",
            }
        )
        frame = frame[ok].reset_index(drop=True)
    frame.attrs["excluded"] = excluded.to_dict("records")
    return frame
