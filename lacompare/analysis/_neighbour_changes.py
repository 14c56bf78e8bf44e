"""One authority's neighbours in several sets, side by side, and what changed.

:func:`neighbour_changes` sets an authority's neighbours in DfE's sets (2021 and
2025 models) and a computed set next to each other and names who joined, who
left and whose rank moved from one set to the next; :func:`computed_set_rows`
computes a set as :func:`compute_neighbours` does without writing it, so a
read-only store (the web app's) can show one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.analysis._neighbour_compare import _continuations
from lacompare.analysis._neighbour_store import default_set
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store


# ------------------------------------------------- one authority, set by set

#: What the web page and ``lacompare neighbours changes`` compute when the store
#: holds no computed set: each authority's 10 nearest on measures describing
#: children's circumstances that the national build loads for all 153
#: authorities (IoD2025 IDACI average score, ONS claimant count rate, ONS
#: population density and 0-17 population), equally weighted, each variable's
#: latest period. It shows how a set built from today's published figures
#: differs from DfE's (whose model inputs are not all published by authority);
#: its variables are named wherever it is shown.
DEFAULT_RECIPE: tuple[str, ...] = (
    "iod2025_idaci_average_score",
    "claimant_rate",
    "population_density",
    "population_0_17",
)


@dataclass
class SetRows:
    """One neighbour set's rows (``la_code, neighbour_code, rank``, optional
    ``closeness``) with its id, label, method and the period it is for;
    ``note`` says why a set has no rows (a computation that could not run)."""

    set_id: str
    label: str
    method: str
    valid_for: str | None
    rows: pd.DataFrame
    note: str = ""


@dataclass
class NeighbourChanges:
    """One authority's neighbours in several sets, side by side, and what changed.

    ``sets``: set_id, label, method, valid_for, present (the authority has
    neighbours in it), note (why not). ``table``: one row per authority that is a
    neighbour in any set: neighbour_code, neighbour_name, neighbour_region, then
    one column per set (its rank there, missing if not a neighbour). ``changes``:
    from one set to the next (in the order given): from_set, to_set,
    neighbour_code, neighbour_name, rank_from, rank_to, change (``joined``,
    ``left``, ``closer``, ``further``, ``same``) and places (how far its rank
    moved; positive = closer).
    """

    la_code: str
    la_name: str
    sets: pd.DataFrame
    table: pd.DataFrame
    changes: pd.DataFrame

    def pair_summary(self) -> list[dict[str, Any]]:
        """Per pair of consecutive sets: how many neighbours both share, and
        who joined, left and moved (names, nearest first)."""
        out = []
        for (a, b), part in self.changes.groupby(
            ["from_set", "to_set"], sort=False, dropna=False
        ):
            moved = part[part["change"].isin(["closer", "further"])]
            out.append(
                {
                    "from_set": a,
                    "to_set": b,
                    "shared": int(
                        (part["rank_from"].notna() & part["rank_to"].notna()).sum()
                    ),
                    "joined": part.loc[part["change"] == "joined", "neighbour_name"]
                    .astype(str)
                    .tolist(),
                    "left": part.loc[part["change"] == "left", "neighbour_name"]
                    .astype(str)
                    .tolist(),
                    "moved": [
                        f"{n} {int(f)}→{int(t)}"
                        for n, f, t in zip(
                            moved["neighbour_name"],
                            moved["rank_from"],
                            moved["rank_to"],
                            strict=True,
                        )
                    ],
                    "same": int((part["change"] == "same").sum()),
                }
            )
        return out

    def wide(self) -> pd.DataFrame:
        """One row per neighbour: la_code, la_name, neighbour_code,
        neighbour_name, neighbour_region, ``rank_<set>`` for each set with the
        authority (blank: not a neighbour there), and for each pair of
        consecutive sets ``change_<a>_to_<b>`` (joined, left, closer, further,
        same) and ``places_<a>_to_<b>`` (positive = closer)."""
        present = self.sets.loc[self.sets["present"], "set_id"].tolist()
        out = self.table[["neighbour_code", "neighbour_name", "neighbour_region"]]
        out = out.copy()
        out.insert(0, "la_name", self.la_name)
        out.insert(0, "la_code", self.la_code)
        for set_id in present:
            out[f"rank_{set_id}"] = self.table[set_id]
        for (a, b), part in self.changes.groupby(["from_set", "to_set"], sort=False):
            by_code = part.set_index("neighbour_code")
            out[f"change_{a}_to_{b}"] = out["neighbour_code"].map(by_code["change"])
            places = out["neighbour_code"].map(by_code["places"])
            out[f"places_{a}_to_{b}"] = places.astype("Int64")
        return out

    def summary_lines(self) -> list[str]:
        """The changes in words, one line per pair of sets, and sets without
        the authority."""
        lines = []
        for s in self.pair_summary():
            # Names hold commas ("Bristol, City of"): lists use semicolons.
            parts = [f"{s['from_set']} → {s['to_set']}: {s['shared']} in both"]
            for key in ("joined", "left", "moved"):
                names = s[key]
                parts.append(f"{key}: {'; '.join(names) if names else 'none'}")
            lines.append(". ".join(parts) + ".")
        for rec in self.sets.itertuples(index=False):
            if not rec.present:
                lines.append(f"{rec.set_id}: {rec.note}")
        return lines


def stored_set_rows(store: Store, set_id: str) -> SetRows:
    """A set in the store as :class:`SetRows`."""
    default_set(store, set_id)
    meta = store.con.execute(
        "SELECT label, method, valid_for FROM neighbour_sets WHERE set_id = ?",
        [set_id],
    ).fetchall()[0]
    rows = store.query(
        "SELECT la_code, neighbour_code, rank, closeness FROM neighbours "
        "WHERE set_id = ? ORDER BY la_code, rank",
        [set_id],
    )
    return SetRows(set_id, str(meta[0] or set_id), str(meta[1] or ""), meta[2], rows)


def computed_set_rows(
    store: Store,
    variables: Sequence[str] = DEFAULT_RECIPE,
    *,
    k: int = 10,
    period: Any = None,
    set_id: str = "computed",
) -> SetRows:
    """Neighbours computed as :func:`compute_neighbours` does, not written to
    the store (so a read-only store can show one).

    Authorities missing a variable are left out (as compute_neighbours does);
    the label names the variables and how many authorities were in the model.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([{"la_code": c, "measure": "v", "period": "2021",
    ...                     "value": float(i)} for i, c in enumerate(
    ...     ["E06000001", "E06000002", "E06000003"])], file="f")
    >>> computed_set_rows(s, ["v"], k=1).rows["neighbour_code"].tolist()
    ['E06000002', 'E06000001', 'E06000002']
    """
    from lacompare.analysis._neighbour_compute import (
        _check_options,
        _fit_k,
        _read_complete_values,
        _standardise,
        find_nearest,
    )
    from lacompare.provenance import IssueLog

    names, w = _check_options(variables, None, k, "authority")
    data = _read_complete_values(store, names, period, "", None, None)
    k = _fit_k(len(data.values), k, IssueLog())
    z, _, _ = _standardise(data.values, names)
    rows = find_nearest(data.values.index.to_numpy(), z, w, k, "authority")
    label = (
        f"computed by lacompare: {k} nearest of {len(data.values)} authorities on "
        + "; ".join(_named(v) for v in names)
        + " (z-scores, equal weights, latest period of each)"
    )
    return SetRows(set_id, label, "computed", None, rows)


def _named(variable: str) -> str:
    """A variable as the catalogue names it, with its id (the id alone when the
    catalogue does not know it)."""
    from lacompare.catalogue import indicator_for_key

    found = indicator_for_key(variable)
    return f"{found.label} ({variable})" if found is not None else variable


def _find_key(store: Store, la: str, sets: Sequence[SetRows]) -> str:
    """The authority's store key: a key as given, else the registry's match
    today, else on any set's day; the first refusal (with its suggestions)
    if none."""
    from lacompare.geography import match_authority_strict
    from lacompare.store import authority_key

    text = la.strip()
    if any(text in set(s.rows["la_code"]) for s in sets):
        return text
    first: Exception | None = None
    for day in [None, *(_day(s.valid_for) for s in sets)]:
        try:
            match = match_authority_strict(text, as_of=day)
        except InputError as exc:
            first = first or exc
            continue
        return authority_key(match.la_code, match.dfe_code)
    assert first is not None
    raise first


def _day(valid_for: str | None) -> Any:
    """The day a set is for (None: no day)."""
    from lacompare.analysis._neighbour_store import as_of

    return as_of(valid_for) if valid_for else None


def neighbour_changes(
    store: Store,
    la: str,
    set_ids: Sequence[str] | None = None,
    *,
    extra: Sequence[SetRows] = (),
    add_computed: bool = False,
) -> NeighbourChanges:
    """One authority's neighbours in several sets, side by side, and what changed.

    Parameters
    ----------
    store
        An open store.
    la
        The authority: name, ONS or DfE code.
    set_ids
        Sets in the store, in the order to compare (default: every set, oldest
        ``valid_for`` first, computed sets last).
    extra
        Sets not in the store (say, :func:`computed_set_rows`), compared after.
    add_computed
        When none of the sets is a computed one, add :func:`computed_set_rows`
        on :data:`DEFAULT_RECIPE` (computed, not stored).

    Returns
    -------
    NeighbourChanges
        Authorities recoded with no change of area (North Yorkshire, Somerset
        2023) count as the same authority in every set.

    Raises
    ------
    InputError
        For an unknown authority, an unknown set, or an authority in none of
        the sets.

    Examples
    --------
    >>> from lacompare.analysis import load_neighbour_set
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = load_neighbour_set(s, "dfe-2021", "dfe-2021")
    >>> _ = load_neighbour_set(s, "dfe-2025", "dfe-2025")
    >>> c = neighbour_changes(s, "Leeds")
    >>> list(c.table.columns[3:]), len(c.changes) >= 10
    (['dfe-2021', 'dfe-2025'], True)
    """
    if set_ids is None:
        listed = store.query(
            "SELECT set_id, method, valid_for, created_at FROM neighbour_sets"
        )
        listed["computed"] = listed["method"] == "computed"
        listed = listed.sort_values(
            ["computed", "valid_for", "created_at"], na_position="last"
        )
        set_ids = listed["set_id"].tolist()
    sets = [stored_set_rows(store, s) for s in set_ids] + list(extra)
    if add_computed and not any(s.method == "computed" for s in sets):
        sets.append(_try_computed(store))
    if not sets:
        raise InputError(
            "no neighbour sets to compare (load one: lacompare neighbours load "
            "dfe-2025)"
        )
    mapping = _continuations(store)
    for s in sets:
        s.rows = s.rows.assign(
            la_code=s.rows["la_code"].replace(mapping),
            neighbour_code=s.rows["neighbour_code"].replace(mapping),
        )
    key = _find_key(store, la, sets)
    key = mapping.get(key, key)
    names = store.query("SELECT la_code, la_name, region FROM authorities")
    names = names.set_index("la_code")
    la_name = str(names["la_name"].get(key, key))
    mine = {s.set_id: s.rows[s.rows["la_code"] == key] for s in sets}
    if all(part.empty for part in mine.values()):
        raise InputError(
            f"{la_name} ({key}) has no neighbours in "
            + ", ".join(s.set_id for s in sets)
        )
    meta = pd.DataFrame(
        {
            "set_id": [s.set_id for s in sets],
            "label": [s.label for s in sets],
            "method": [s.method for s in sets],
            "valid_for": [s.valid_for for s in sets],
            "present": [not mine[s.set_id].empty for s in sets],
            "note": [_absent_note(store, la_name, s, mine[s.set_id]) for s in sets],
        }
    )
    table = _side_by_side(
        mine, names, {s.set_id for s in sets if s.method == "computed"}
    )
    changes = _changes(table, [s.set_id for s in sets if not mine[s.set_id].empty])
    return NeighbourChanges(key, la_name, meta, table, changes)


def _try_computed(store: Store) -> SetRows:
    """The default computed set, or an empty one saying why it could not be
    computed (a store without the recipe's measures)."""
    try:
        return computed_set_rows(store)
    except InputError as exc:
        empty = pd.DataFrame(
            {
                "la_code": pd.Series(dtype=object),
                "neighbour_code": pd.Series(dtype=object),
                "rank": pd.Series(dtype="Int64"),
            }
        )
        label = "computed by lacompare on " + ", ".join(DEFAULT_RECIPE)
        return SetRows(
            "computed", label, "computed", None, empty, f"not computed: {exc}"
        )


def _absent_note(store: Store, name: str, s: SetRows, part: pd.DataFrame) -> str:
    """Why the authority has no neighbours in a set ('' if it has)."""
    if not part.empty:
        return ""
    if s.note:
        return s.note
    if s.method == "computed" and not s.valid_for:
        return f"{name} is not in {s.set_id}: it was computed for today's authorities"
    when = f" (for {s.valid_for})" if s.valid_for else ""
    return (
        f"{name} is not in {s.set_id}{when}: it did not exist then, or the set "
        "leaves it out"
    )


def _side_by_side(
    mine: dict[str, pd.DataFrame], names: pd.DataFrame, computed: set[str]
) -> pd.DataFrame:
    """One row per neighbour in any set, a rank column per set; ordered by the
    newest non-computed set's rank, then the others'."""
    codes = list(
        dict.fromkeys(c for part in mine.values() for c in part["neighbour_code"])
    )
    table = pd.DataFrame({"neighbour_code": codes})
    table["neighbour_name"] = table["neighbour_code"].map(names["la_name"])
    table["neighbour_name"] = table["neighbour_name"].fillna(table["neighbour_code"])
    table["neighbour_region"] = table["neighbour_code"].map(names["region"])
    for set_id, part in mine.items():
        ranks = part.set_index("neighbour_code")["rank"]
        table[set_id] = table["neighbour_code"].map(ranks).astype("Int64")
    # The newest published set's order first (what users know), then older
    # ones, computed sets last.
    order = [s for s in reversed(list(mine)) if s not in computed]
    order += [s for s in mine if s in computed]
    table = table.sort_values(
        [*order, "neighbour_name"], na_position="last", kind="stable"
    )
    return table.reset_index(drop=True)


def _changes(table: pd.DataFrame, set_ids: list[str]) -> pd.DataFrame:
    """What changed from each set to the next: joined, left, closer, further,
    same (rank positions moved: positive = closer)."""
    frames = []
    for a, b in zip(set_ids, set_ids[1:], strict=False):
        part = table[table[a].notna() | table[b].notna()]
        ra, rb = part[a], part[b]
        change = pd.Series("same", index=part.index)
        change[ra.isna()] = "joined"
        change[rb.isna()] = "left"
        both = ra.notna() & rb.notna()
        change[both & (rb < ra)] = "closer"
        change[both & (rb > ra)] = "further"
        frames.append(
            pd.DataFrame(
                {
                    "from_set": a,
                    "to_set": b,
                    "neighbour_code": part["neighbour_code"],
                    "neighbour_name": part["neighbour_name"],
                    "rank_from": ra,
                    "rank_to": rb,
                    "change": change,
                    "places": (ra - rb).where(both),
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=[
                "from_set",
                "to_set",
                "neighbour_code",
                "neighbour_name",
                "rank_from",
                "rank_to",
                "change",
                "places",
            ]
        )
    out = pd.concat(frames, ignore_index=True)
    kind = {"same": 0, "closer": 1, "further": 2, "joined": 3, "left": 4}
    out["_k"] = out["change"].map(kind)
    out = out.sort_values(
        ["_k", "rank_to", "rank_from"], kind="stable", na_position="last"
    )
    # Keep the pairs in the order given.
    out["_p"] = out["from_set"].map({s: i for i, s in enumerate(set_ids)})
    out = out.sort_values("_p", kind="stable").drop(columns=["_k", "_p"])
    return out.reset_index(drop=True)
