"""Loading a neighbour set: a published or user's file into the store.

:func:`load_neighbour_set` works in named steps: read the set (a packaged set, a
DfE file, a file in lacompare's format or a frame), match every authority and
neighbour to the store's authorities (exact names, codes and aliases only), keep
those that existed on the set's day (noting what was left out), and write the set
all or nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._neighbour_dfe import read_dfe_neighbours
from lacompare.analysis._neighbour_files import (
    PACKAGED_SETS,
    looks_like_dfe,
    named_cells,
    packaged_neighbour_file,
    read_cells,
    validate_neighbours,
)
from lacompare.analysis._neighbour_store import as_of, set_frame, valid_on, write_set
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    from lacompare.store import Store


@dataclass
class NeighbourSet:
    """A neighbour set written to the store, and what was left out of it.

    ``neighbours`` has one row per (authority, neighbour) with names;
    ``authorities`` is the number of authorities with neighbours; ``excluded``
    lists authorities left out and why; ``issues`` notes anything else.
    """

    set_id: str
    label: str | None
    method: str
    valid_for: str | None
    neighbours: pd.DataFrame
    excluded: pd.DataFrame
    issues: IssueLog = field(default_factory=IssueLog)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def authorities(self) -> int:
        return int(self.neighbours["la_code"].nunique())

    def summary_lines(self) -> list[str]:
        """A few lines for the command line."""
        per = self.neighbours.groupby("la_code").size()
        k = f"{per.min()}" if per.min() == per.max() else f"{per.min()}-{per.max()}"
        lines = [
            f"neighbour set {self.set_id!r} ({self.method}): "
            f"{self.authorities} authorities x {k} neighbours"
            + (f", valid for {self.valid_for}" if self.valid_for else "")
        ]
        if len(self.excluded):
            lines.append(f"left out {len(self.excluded)}:")
            lines += [
                f"  {n or c}: {r}"
                for c, n, r in self.excluded[
                    ["la_code", "la_name", "reason"]
                ].itertuples(index=False)
            ]
        lines += [f"  {i.severity}: {i}" for i in self.issues]
        return lines


@dataclass
class _SetFile:
    """A neighbour set as read, before its authorities are matched: the rows and
    what the store records of where they came from."""

    frame: pd.DataFrame
    file: str | None
    source: str
    label: str | None
    valid_for: str | None
    method: str
    params: dict[str, Any]


def _read_set(
    path_or_frame: str | Path | pd.DataFrame,
    label: str | None,
    valid_for: str | None,
    method: str | None,
    include_old: bool,
    issues: IssueLog,
) -> _SetFile:
    """Read a frame, a packaged set, a DfE file or a file in the format; a
    packaged set brings its label and day, a DfE file its method."""
    params: dict[str, Any] = {}
    if isinstance(path_or_frame, pd.DataFrame):
        frame = validate_neighbours(path_or_frame, None)
        params["layout"] = "long"
        if include_old:
            params["include_old"] = True
        return _SetFile(
            frame,
            None,
            "DataFrame",
            label,
            valid_for,
            method or "user-supplied",
            params,
        )
    name = str(path_or_frame)
    if name in PACKAGED_SETS and not Path(name).exists():
        label = label or PACKAGED_SETS[name][2]
        valid_for = valid_for or PACKAGED_SETS[name][1]
        method = method or "published"
        path = packaged_neighbour_file(name)
        params["packaged"] = name
    else:
        path = Path(name)
    file = str(path)
    if not path.exists():
        raise InputError("file not found", file=file)
    headers, cells = read_cells(path)
    layout = "long"
    if looks_like_dfe(headers, cells):
        frame = read_dfe_neighbours(path, include_old=include_old, issues=issues)
        layout = "dfe"
        method = method or "published"
    else:
        frame = validate_neighbours(named_cells(headers, cells, file), file)
    params["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    params["layout"] = layout
    if include_old:
        params["include_old"] = True
    return _SetFile(
        frame,
        file,
        str(path.resolve()),
        label or path.name,
        valid_for,
        method or "user-supplied",
        params,
    )


def _resolve_rows(
    frame: pd.DataFrame, side: str, day: date | None, file: str | None
) -> pd.Series:
    """Store keys for one side ('la' or 'neighbour') of a neighbour frame."""
    from lacompare.geography import match_authorities
    from lacompare.store import authority_key

    codes, names = frame[f"{side}_code"], frame[f"{side}_name"]
    query = codes.where(codes != "", names)
    # A neighbour set is a list of authorities someone chose: exact names, codes
    # and aliases only, never a fuzzy guess (a near name is refused, nearest named).
    matches = match_authorities(query, as_of=day, guess=False)
    keys = pd.Series(
        [authority_key(m.la_code, m.dfe_code) if m.resolved else None for m in matches],
        index=frame.index,
        dtype=object,
    )
    if keys.isna().any():
        k = int(np.argmax(keys.isna().to_numpy()))
        m = matches[k]
        hint = f" (nearest: {', '.join(m.candidates)})" if m.candidates else ""
        note = f"; {m.note}" if m.note else ""
        raise InputError(
            f"{query.iloc[k]!r} is not an authority{hint}{note}",
            file=file,
            row=int(frame["_row"].iloc[k]),
            column=f"{side}_code" if codes.iloc[k] else f"{side}_name",
        )
    both = (codes != "") & (names != "")
    if both.any():
        by_name = match_authorities(names[both], as_of=day, guess=False)
        named = pd.Series(
            [
                authority_key(m.la_code, m.dfe_code) if m.resolved else None
                for m in by_name
            ],
            index=names[both].index,
            dtype=object,
        )
        clash = named.notna() & (named != keys[both])
        if clash.any():
            i = clash.index[int(np.argmax(clash.to_numpy()))]
            raise InputError(
                f"code {codes[i]!r} and name {names[i]!r} are different authorities",
                file=file,
                row=int(frame.loc[i, "_row"]),
                column=f"{side}_name",
            )
    return keys


def _match_rows(
    frame: pd.DataFrame, day: date | None, file: str | None
) -> pd.DataFrame:
    """The rows with each side's store key (``la_key``, ``nb_key``); an error for
    an authority listed as its own neighbour or a neighbour listed twice."""
    if frame.empty:
        raise InputError("no neighbours in the file", file=file)
    frame = frame.assign(
        la_key=_resolve_rows(frame, "la", day, file),
        nb_key=_resolve_rows(frame, "neighbour", day, file),
    )
    own = frame["la_key"] == frame["nb_key"]
    if own.any():
        k = int(np.argmax(own.to_numpy()))
        raise InputError(
            "an authority is listed as its own neighbour",
            file=file,
            row=int(frame["_row"].iloc[k]),
            column="neighbour_code",
        )
    twice = frame.duplicated(["la_key", "nb_key"])
    if twice.any():
        k = int(np.argmax(twice.to_numpy()))
        raise InputError(
            "the same neighbour is listed twice for one authority",
            file=file,
            row=int(frame["_row"].iloc[k]),
            column="neighbour_code",
        )
    return frame


def _keep_existing(
    store: Store, frame: pd.DataFrame, day: date | None, issues: IssueLog
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows whose authority and neighbour both existed on ``day`` (keyed by
    the store's codes), and the authorities left out for not existing; each
    neighbour dropped is noted in ``issues``."""
    valid = valid_on(store, day)
    names = valid["la_name"]
    la_ok = frame["la_key"].map(valid["exists"]).fillna(False).astype(bool)
    nb_ok = frame["nb_key"].map(valid["exists"]).fillna(False).astype(bool)
    when = day.isoformat() if day else ""
    gone_la = frame.loc[~la_ok, "la_key"].unique()
    excluded = pd.DataFrame(
        {
            "la_code": gone_la,
            "la_name": pd.Series(gone_la).map(names).to_numpy(),
            "reason": f"did not exist on {when}",
        }
    )
    dropped_nb = frame[la_ok & ~nb_ok]
    if len(dropped_nb):
        per = dropped_nb.groupby("nb_key")["la_key"].nunique()
        for code, count in per.items():
            issues.add(
                "not-a-neighbour",
                f"{names.get(code, code)} ({code}) did not "
                f"exist on {when}: dropped as a neighbour of {count} "
                "authorities (ranks kept as published)",
                severity="warning",
            )
    rows = frame[la_ok & nb_ok].rename(
        columns={"la_code": "_c", "neighbour_code": "_n"}
    )
    rows = rows.assign(la_code=rows["la_key"], neighbour_code=rows["nb_key"])
    return rows, excluded.sort_values("la_name").reset_index(drop=True)


@dataclass
class ReadNeighbours:
    """A neighbour set read and its authorities matched, not yet in a store."""

    read: _SetFile
    #: The rows with each side's store key (``la_key``, ``nb_key``).
    frame: pd.DataFrame
    day: date | None
    issues: IssueLog


def read_neighbour_set(
    path_or_frame: str | Path | pd.DataFrame,
    label: str | None = None,
    valid_for: str | None = None,
    *,
    method: str | None = None,
    include_old: bool = False,
) -> ReadNeighbours:
    """The first half of :func:`load_neighbour_set`, which needs no store: read
    the set and match its authorities (a build does it in its worker process).

    Raises InputError for a bad row, as :func:`load_neighbour_set` does.

    Examples
    --------
    >>> f = pd.DataFrame({"la_name": ["Leeds"], "rank": [1],
    ...                   "neighbour_name": ["Sheffield"]})
    >>> read_neighbour_set(f).frame[["la_key", "nb_key"]].values.tolist()
    [['E08000035', 'E08000039']]
    """
    issues = IssueLog()
    read = _read_set(path_or_frame, label, valid_for, method, include_old, issues)
    day = as_of(read.valid_for)
    if day is None:
        issues.add(
            "no-valid-for",
            "no valid_for: codes resolved to today's "
            "authorities and none left out for not existing",
            severity="info",
        )
    return ReadNeighbours(read, _match_rows(read.frame, day, read.file), day, issues)


def load_neighbour_set(
    store: Store,
    path_or_frame: str | Path | pd.DataFrame | ReadNeighbours,
    set_id: str,
    label: str | None = None,
    valid_for: str | None = None,
    *,
    method: str | None = None,
    include_old: bool = False,
    replace: bool = False,
) -> NeighbourSet:
    """Load a neighbour set into the store (all or nothing).

    Parameters
    ----------
    store
        An open store.
    path_or_frame
        A file in the neighbour format, a DfE published file (recognised by its
        columns), the name of a packaged set (``dfe-2021``, ``dfe-2025``), or a
        DataFrame with the format's columns; or a set :func:`read_neighbour_set`
        read (``label``, ``valid_for``, ``method`` and ``include_old`` were given
        to it).
    set_id
        The set's name in the store.
    label
        A description (default: the packaged set's label or the file name).
    valid_for
        The period or date the set describes (``2025-26``, ``2021-04-01``). DfE
        codes are resolved to the authorities of that date (North Yorkshire 815 is
        the county council in 2021-22, the unitary council in 2025-26), and an
        authority that did not exist then is left out, with every row naming it.
        Without it, codes resolve to today's authorities and nothing is left out.
    method
        Recorded in ``neighbour_sets.method`` (default: 'published' for DfE files
        and packaged sets, else 'user-supplied').
    include_old
        For DfE files: keep their 'Old SNs' block (see :func:`read_dfe_neighbours`).
    replace
        Replace an existing set with this id (otherwise that is an error).

    Returns
    -------
    NeighbourSet

    Raises
    ------
    InputError
        A bad row (unknown authority, code and name that disagree, an authority
        listed as its own neighbour or twice for one authority): nothing is written.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> f = pd.DataFrame({"la_name": ["Leeds", "Leeds"], "rank": [1, 2],
    ...                   "neighbour_name": ["Sheffield", "Bradford"]})
    >>> load_neighbour_set(s, f, "mine").neighbours["neighbour_name"].tolist()
    ['Sheffield', 'Bradford']
    """
    if isinstance(path_or_frame, ReadNeighbours):
        ready = path_or_frame
    else:
        ready = read_neighbour_set(
            path_or_frame, label, valid_for, method=method, include_old=include_old
        )
    read, day, issues = ready.read, ready.day, ready.issues
    rows, excluded = _keep_existing(store, ready.frame, day, issues)
    if rows.empty:
        when = day.isoformat() if day else ""
        raise InputError(f"no authority in the file existed on {when}", file=read.file)
    write_set(
        store,
        set_id,
        read.label,
        read.method,
        read.source,
        read.params,
        read.valid_for,
        rows,
        replace,
    )
    return NeighbourSet(
        set_id,
        read.label,
        read.method,
        read.valid_for,
        set_frame(store, set_id),
        excluded,
        issues,
        read.params,
    )
