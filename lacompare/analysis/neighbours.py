"""Statistical neighbours: load published sets, compute our own, compare them.

A *neighbour set* gives each authority its k most similar authorities, ranked 1..k.
Sets live in the store (tables ``neighbour_sets`` and ``neighbours``) under a
``set_id``; authorities are keyed as everywhere in the store (ONS code, or
``dfe:<code>`` for the two counties that never had one).

- :func:`read_neighbour_file` reads the documented long CSV format
  (``lacompare/analysis/data/neighbours_format.md``); :func:`read_dfe_neighbours`
  shapes DfE's published workbooks and CSVs (2021 and 2025 models) into it; and
  :func:`load_neighbour_set` resolves the authorities and writes a set.
- :func:`compute_neighbours` builds a set from measures in the store by the
  CIPFA/NFER recipe: z-scores, weighted Euclidean distance, k nearest, distances
  rebased 0-1 (the farthest authority = 1).
- :func:`compare_neighbour_sets` counts the neighbours two sets share per authority;
  :func:`neighbours_of` lists one authority's neighbours.

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

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "NEIGHBOUR_COLUMNS",
    "PACKAGED_SETS",
    "NeighbourSet",
    "SetComparison",
    "compare_neighbour_sets",
    "compute_neighbours",
    "list_neighbour_sets",
    "load_neighbour_set",
    "neighbours_of",
    "packaged_neighbour_file",
    "read_dfe_neighbours",
    "read_neighbour_file",
]

#: Columns of the neighbour file format, in order (see neighbours_format.md).
NEIGHBOUR_COLUMNS = (
    "la_code",
    "la_name",
    "rank",
    "neighbour_code",
    "neighbour_name",
    "closeness",
    "distance",
)

#: Neighbour sets shipped with lacompare: name -> (file, valid_for, label).
PACKAGED_SETS: dict[str, tuple[str, str, str]] = {
    "dfe-2021": (
        "dfe_statistical_neighbours_2021.csv",
        "2021-22",
        "DfE children's services statistical neighbours (April 2021 model)",
    ),
    "dfe-2025": (
        "dfe_statistical_neighbours_2025.csv",
        "2025-26",
        "DfE children's services statistical neighbours (May 2025 model)",
    ),
}

_ALIASES = {
    "la": "la_code",
    "code": "la_code",
    "name": "la_name",
    "neighbour": "neighbour_code",
    "neighbor_code": "neighbour_code",
    "neighbor_name": "neighbour_name",
    "neighbour_rank": "rank",
    "band": "closeness",
}
_EMPTY = {"", "-", "nan", "none", "na", "n/a"}


# ------------------------------------------------------------------ file reading


def packaged_neighbour_file(name: str) -> Path:
    """Path of a neighbour set shipped with lacompare (``dfe-2021``, ``dfe-2025``).

    Examples
    --------
    >>> packaged_neighbour_file("dfe-2025").name
    'dfe_statistical_neighbours_2025.csv'
    """
    if name not in PACKAGED_SETS:
        raise InputError(
            f"no packaged neighbour set {name!r}; choose " + ", ".join(PACKAGED_SETS)
        )
    ref = resources.files("lacompare.analysis").joinpath("data", PACKAGED_SETS[name][0])
    return Path(str(ref))


def _read_cells(path: Path) -> tuple[list[str], pd.DataFrame]:
    """Every cell of a CSV/XLSX/ODS as text: columns ``_row`` (the row in the
    file), then ``c0``, ``c1``, ... in the order of ``headers``."""
    import duckdb

    from lacompare.sources import read_raw

    con = duckdb.connect()
    try:
        raw = read_raw(con, path)
        cols = ", ".join(raw.columns)
        cells = con.execute(
            f"SELECT {raw.row_sql} AS _row, {cols} FROM {raw.relation} ORDER BY 1"
        ).df()
    finally:
        con.close()
    cells = cells.astype(dict.fromkeys(raw.columns, object))
    return list(raw.headers), cells


def _norm_text(series: pd.Series) -> pd.Series:
    """Cells as header keys: lower case, runs of other characters as '_'."""
    text = series.astype(object).where(series.notna(), "").astype(str)
    text = text.str.strip().str.lower().str.replace(r"[^a-z0-9]+", "_", regex=True)
    return text.str.strip("_").replace(_ALIASES)


def _norm_header(text: object) -> str:
    out = re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")
    return _ALIASES.get(out, out)


_DFE_MARKERS = {"la_num", "old_la_code", "sn_rank", "sn1", "sn_1"}


def _looks_like_dfe(headers: Sequence[str], cells: pd.DataFrame) -> bool:
    """A DfE layout has 'LA num'/'old_la_code'/'SN1'... in its first rows."""
    if {_norm_header(h) for h in headers} & _DFE_MARKERS:
        return True
    top = cells.drop(columns="_row").head(10)
    return bool(top.apply(lambda c: _norm_text(c).isin(_DFE_MARKERS)).to_numpy().any())


def _named(headers: Sequence[str], cells: pd.DataFrame, file: str) -> pd.DataFrame:
    """Cells with their header names (duplicate names are an error here)."""
    norm = [_norm_header(h) for h in headers]
    seen = {h for h in norm if norm.count(h) > 1 and h}
    if seen:
        raise InputError(f"column {sorted(seen)[0]!r} appears twice", file=file)
    return cells.rename(columns=dict(zip(cells.columns[1:], headers, strict=True)))


def _blank(series: pd.Series) -> pd.Series:
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    return text.str.lower().isin(_EMPTY)


def _clean_code(series: pd.Series) -> pd.Series:
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return text.where(~text.str.lower().isin(_EMPTY), "")


def _band(series: pd.Series) -> pd.Series:
    """A closeness band in one spelling: 'Very Close ' -> 'Very close'."""
    text = series.astype(object).where(series.notna(), "").astype(str)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return text.str[:1].str.upper() + text.str[1:].str.lower()


def _validate(frame: pd.DataFrame, file: str | None) -> pd.DataFrame:
    """Check a frame in the neighbour format; return it with typed columns."""
    frame = frame.rename(
        columns={c: _norm_header(c) for c in frame.columns if c != "_row"}
    )
    cols = set(frame.columns)
    if (
        "rank" not in cols
        or not ({"la_code", "la_name"} & cols)
        or not ({"neighbour_code", "neighbour_name"} & cols)
    ):
        raise InputError(
            "not a neighbour file: need columns rank, la_code and/or la_name, "
            "neighbour_code and/or neighbour_name (optional closeness, distance); "
            f"found {', '.join(map(str, frame.columns[:8]))} (DfE's published files "
            "are read by read_dfe_neighbours)",
            file=file,
        )
    if "_row" not in frame.columns:
        frame = frame.assign(_row=np.arange(len(frame)) + 2)
    out = pd.DataFrame({"_row": frame["_row"].to_numpy()})
    for col in ("la_code", "neighbour_code"):
        out[col] = _clean_code(frame[col]) if col in cols else ""
    for col in ("la_name", "neighbour_name"):
        out[col] = (
            frame[col]
            .astype(object)
            .where(frame[col].notna(), "")
            .astype(str)
            .str.strip()
            if col in cols
            else ""
        )
    keep = ~(
        (out["la_code"] == "")
        & (out["la_name"] == "")
        & _blank(frame["rank"]).to_numpy()
    )
    frame, out = frame[keep.to_numpy()], out[keep].reset_index(drop=True)
    rank = pd.to_numeric(
        frame["rank"].astype(object).astype(str).str.strip(), errors="coerce"
    ).to_numpy()
    bad = ~np.isfinite(rank) | (rank < 1) | (rank != np.round(rank))
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(
            f"rank must be a whole number from 1, not {frame['rank'].iloc[k]!r}",
            file=file,
            row=int(out["_row"].iloc[k]),
            column="rank",
        )
    out["rank"] = rank.astype(int).tolist()
    for side, label in (("la", "authority"), ("neighbour", "neighbour")):
        none = (out[f"{side}_code"] == "") & (out[f"{side}_name"] == "")
        if none.any():
            k = int(np.argmax(none.to_numpy()))
            raise InputError(
                f"no {label} code or name",
                file=file,
                row=int(out["_row"].iloc[k]),
                column=f"{side}_code",
            )
    out["closeness"] = (
        _band(frame["closeness"]).to_numpy() if "closeness" in cols else ""
    )
    if "distance" in cols:
        raw = frame["distance"].astype(object).where(frame["distance"].notna(), "")
        raw = raw.astype(str).str.strip()
        dist = pd.to_numeric(raw, errors="coerce")
        bad = (raw != "").to_numpy() & dist.isna().to_numpy()
        if bad.any():
            k = int(np.argmax(bad))
            raise InputError(
                f"distance must be a number, not {raw.iloc[k]!r}",
                file=file,
                row=int(out["_row"].iloc[k]),
                column="distance",
            )
        out["distance"] = dist.to_numpy(dtype=float)
    else:
        out["distance"] = np.nan
    key = out["la_code"].where(out["la_code"] != "", out["la_name"].str.lower())
    dup = pd.DataFrame({"k": key, "r": out["rank"]}).duplicated()
    if dup.any():
        k = int(np.argmax(dup.to_numpy()))
        raise InputError(
            f"rank {out['rank'].iloc[k]} given twice for {key.iloc[k]}",
            file=file,
            row=int(out["_row"].iloc[k]),
            column="rank",
        )
    return out[[*NEIGHBOUR_COLUMNS, "_row"]]


def read_neighbour_file(path: str | Path) -> pd.DataFrame:
    """Read a neighbour set in lacompare's long format (one row per neighbour).

    The format is described in ``lacompare/analysis/data/neighbours_format.md``:
    columns ``la_code``/``la_name``, ``rank`` (1..k), ``neighbour_code``/
    ``neighbour_name``, optional ``closeness`` (text band or number) and
    ``distance`` (number). Codes may be ONS or DfE codes.

    Parameters
    ----------
    path
        A CSV (or XLSX/ODS sheet) in that format.

    Returns
    -------
    pandas.DataFrame
        The columns above, ``rank`` as int, ``distance`` as float, plus ``_row``
        (the row in the file). Authorities are not resolved yet.

    Raises
    ------
    InputError
        Naming the file, row and column of the first problem.

    Examples
    --------
    >>> f = read_neighbour_file(packaged_neighbour_file("dfe-2021"))
    >>> f[["la_name", "rank", "neighbour_name"]].head(1).to_dict("records")
    [{'la_name': 'Barking and Dagenham', 'rank': 1, 'neighbour_name': 'Greenwich'}]
    """
    path = Path(path)
    headers, cells = _read_cells(path)
    return _validate(_named(headers, cells, str(path)), str(path))


def read_dfe_neighbours(
    path: str | Path, *, include_old: bool = False, issues: IssueLog | None = None
) -> pd.DataFrame:
    """Shape a DfE statistical-neighbour file into the neighbour format.

    Reads the published layouts: the workbooks (``sn_april_2021.xlsx``,
    ``sn_may_2025.xlsx``: sheet 'LA SN Groups', ``LA num, LA Name, …, SN1, SNP, …,
    SN10, SNP``), the same as CSV, the 2025 wide CSV (``old_la_code, la_name, …,
    SN_1, SN_1P, …``) and the long dashboard CSV (``LA.number, SN_rank,
    SN_LA_number, …``). Codes are DfE's 3-digit numbers; bands are respelt
    one way ('Very Close' -> 'Very close').

    Parameters
    ----------
    path
        The file.
    include_old
        Keep the 'Old SNs' block (authorities abolished before the model, kept by
        DfE for back series). Off by default: they are not part of the model.
    issues
        Receives a note for each authority listed without neighbours (DfE lists
        Cumberland and Westmorland and Furness with '-' in the 2021 workbook).

    Returns
    -------
    pandas.DataFrame
        Columns ``NEIGHBOUR_COLUMNS`` plus ``_row``.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "sn.csv")
    >>> _ = open(p, "w").write("old_la_code,la_name,SN_1,SN_1P,SN_2,SN_2P\\n"
    ...     "805,Hartlepool,806,Very Close ,807,Close\\n"
    ...     "806,Middlesbrough,805,Very close,807,Close\\n")
    >>> f = read_dfe_neighbours(p)
    >>> f[["la_code", "rank", "neighbour_name"]].head(1).to_dict("records")
    [{'la_code': '805', 'rank': 1, 'neighbour_name': 'Middlesbrough'}]
    >>> f["closeness"].tolist()
    ['Very close', 'Close', 'Very close', 'Close']
    """
    path = Path(path)
    file = str(path)
    log = issues if issues is not None else IssueLog()
    headers, cells = _read_cells(path)
    norm = [_norm_header(h) for h in headers]
    body = cells
    known = {"la_num", "old_la_code", "la_number", "la_code"}
    if not known & set(norm) and "sn_rank" not in norm:
        # Workbooks have column letters and numbers above the real header row.
        text = cells.drop(columns="_row").apply(_norm_text)
        rows = np.flatnonzero(text.isin(known).to_numpy().any(axis=1))
        if not len(rows):
            raise InputError(
                "not a DfE statistical-neighbour file: no 'LA num' or "
                "'old_la_code' header",
                file=file,
            )
        norm = text.iloc[rows[0]].tolist()
        body = cells.iloc[rows[0] + 1 :]
    data = body.drop(columns="_row")
    data.columns = range(data.shape[1])
    row = body["_row"].to_numpy()

    def col(*names: str) -> int | None:
        for name in names:
            if name in norm:
                return norm.index(name)
        return None

    if "sn_rank" in norm:  # the dashboard's long table
        long = pd.DataFrame(
            {
                "la_code": data[col("la_number")],
                "la_name": data[col("la_name")],
                "rank": data[col("sn_rank")],
                "neighbour_code": data[col("sn_la_number")],
                "neighbour_name": data[col("sn_la_name")],
                "_row": row,
            }
        )
        return _validate(long, file)
    code_col = col("la_num", "old_la_code", "la_number", "la_code")
    name_col = col("la_name")
    assert code_col is not None
    marker = (
        data.astype(object)
        .where(data.notna(), "")
        .astype(str)
        .apply(lambda c: c.str.strip().str.lower().str.startswith("old sn"))
        .any(axis=1)
    )
    old = marker.cumsum().to_numpy() > 0
    codes = _clean_code(data[code_col])
    names = (
        data[name_col]
        .astype(object)
        .where(data[name_col].notna(), "")
        .astype(str)
        .str.strip()
        if name_col is not None
        else pd.Series("", index=data.index)
    )
    listed = (codes != "").to_numpy() & codes.str.fullmatch(r"\d+").to_numpy()
    name_of = dict(zip(codes[listed], names[listed], strict=True))
    keep = listed & (include_old | ~old)
    sn = [
        (int(m.group(1)), i)
        for i, h in enumerate(norm)
        if (m := re.fullmatch(r"sn_?(\d+)", h))
    ]
    if not sn:
        raise InputError("no SN1..SN10 columns", file=file)
    parts = []
    for rank, i in sn:
        band = (
            data[i + 1]
            if i + 1 < len(norm) and re.fullmatch(r"sn_?\d*p(_\d+)?", norm[i + 1])
            else None
        )
        nb = _clean_code(data[i])
        parts.append(
            pd.DataFrame(
                {
                    "la_code": codes,
                    "la_name": names,
                    "rank": rank,
                    "neighbour_code": nb,
                    "neighbour_name": nb.map(name_of).fillna(""),
                    "closeness": band if band is not None else "",
                    "_row": row,
                    "_keep": keep,
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    long = long[long["_keep"]].drop(columns="_keep")
    empty = long["neighbour_code"] == ""
    if empty.any():
        gone = long[empty].groupby(["la_code", "la_name"], sort=False)["_row"].first()
        for (code, name), r in gone.items():
            log.add(
                "no-neighbours",
                f"{name} ({code}) is listed without neighbours: left out",
                severity="info",
                file=file,
                row=int(r),
            )
    long = long[~empty].sort_values(["_row", "rank"], kind="stable")
    return _validate(long.reset_index(drop=True), file)


# ------------------------------------------------------------------ the store


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


def _as_of(valid_for: str | None) -> date | None:
    from lacompare.cells import period_as_of

    if valid_for is None or not str(valid_for).strip():
        return None
    day = period_as_of(str(valid_for))
    if day is None:
        raise InputError(
            f"valid_for {valid_for!r}: give a period (2021, 2021-22, "
            "2021/22) or a date (2021-04-01)"
        )
    return day


def _valid_on(store: Store, day: date | None) -> pd.DataFrame:
    """Authorities with ``exists`` = whether they existed on ``day``."""
    frame = store.query(
        """SELECT la_code, la_name, region, valid_from, valid_to,
                  (? IS NULL OR ((valid_from IS NULL OR valid_from <= ?)
                                 AND (valid_to IS NULL OR valid_to >= ?))) AS exists
           FROM authorities""",
        [day, day, day],
    )
    return frame.set_index("la_code")


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


def _write_set(
    store: Store,
    set_id: str,
    label: str | None,
    method: str,
    source: str | None,
    params: Mapping[str, Any],
    valid_for: str | None,
    rows: pd.DataFrame,
    replace: bool,
) -> None:
    exists = store.con.execute(
        "SELECT count(*) FROM neighbour_sets WHERE set_id = ?", [set_id]
    ).fetchall()[0][0]
    if exists and not replace:
        raise InputError(
            f"neighbour set {set_id!r} exists: choose another set id or "
            "replace it (replace=True, --replace)"
        )
    table = rows[["la_code", "neighbour_code", "rank", "distance", "closeness"]]
    table = table.assign(set_id=set_id)
    store.con.register("_nb_rows", table)
    try:
        store.con.execute("BEGIN")
        store.con.execute("DELETE FROM neighbours WHERE set_id = ?", [set_id])
        store.con.execute("DELETE FROM neighbour_sets WHERE set_id = ?", [set_id])
        store.con.execute(
            "INSERT INTO neighbour_sets (set_id, label, method, source, params, "
            "valid_for) VALUES (?, ?, ?, ?, ?, ?)",
            [set_id, label, method, source, json.dumps(params, default=str), valid_for],
        )
        store.con.execute(
            """INSERT INTO neighbours (set_id, la_code, neighbour_code, rank,
                                       distance, closeness)
               SELECT set_id, la_code, neighbour_code, CAST(rank AS INTEGER),
                      CAST(distance AS DOUBLE), NULLIF(CAST(closeness AS VARCHAR), '')
               FROM _nb_rows"""
        )
        store.con.execute("COMMIT")
    except Exception:
        store.con.execute("ROLLBACK")
        raise
    finally:
        store.con.unregister("_nb_rows")


def _set_frame(store: Store, set_id: str) -> pd.DataFrame:
    return store.query(
        """SELECT n.la_code, a.la_name, n.rank, n.neighbour_code,
                  b.la_name AS neighbour_name, b.region AS neighbour_region,
                  n.distance, n.closeness
           FROM neighbours n
           LEFT JOIN authorities a ON a.la_code = n.la_code
           LEFT JOIN authorities b ON b.la_code = n.neighbour_code
           WHERE n.set_id = ? ORDER BY a.la_name, n.la_code, n.rank""",
        [set_id],
    )


def _empty_excluded() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("la_code", "la_name", "reason")}
    )


def load_neighbour_set(
    store: Store,
    path_or_frame: str | Path | pd.DataFrame,
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
        DataFrame with the format's columns.
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
    issues = IssueLog()
    source: str | None
    params: dict[str, Any] = {}
    layout = "long"
    if isinstance(path_or_frame, pd.DataFrame):
        file = None
        frame = _validate(path_or_frame, None)
        source = "DataFrame"
    else:
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
        headers, cells = _read_cells(path)
        if _looks_like_dfe(headers, cells):
            frame = read_dfe_neighbours(path, include_old=include_old, issues=issues)
            layout = "dfe"
            method = method or "published"
        else:
            frame = _validate(_named(headers, cells, file), file)
        source = str(path.resolve())
        params["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        label = label or path.name
    params["layout"] = layout
    if include_old:
        params["include_old"] = True
    method = method or "user-supplied"
    day = _as_of(valid_for)
    if day is None:
        issues.add(
            "no-valid-for",
            "no valid_for: codes resolved to today's "
            "authorities and none left out for not existing",
            severity="info",
        )
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
    valid = _valid_on(store, day)
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
    if rows.empty:
        raise InputError(f"no authority in the file existed on {when}", file=file)
    _write_set(store, set_id, label, method, source, params, valid_for, rows, replace)
    return NeighbourSet(
        set_id,
        label,
        method,
        valid_for,
        _set_frame(store, set_id),
        excluded.sort_values("la_name").reset_index(drop=True),
        issues,
        params,
    )


def compute_neighbours(
    store: Store,
    variables: Sequence[str],
    weights: Sequence[float] | Mapping[str, float] | None = None,
    k: int = 10,
    period: Any = None,
    set_id: str = "computed",
    *,
    label: str | None = None,
    valid_for: str | None = None,
    exclude: str | Sequence[str] | None = None,
    rebase: str = "authority",
    breakdown: str = "",
    replace: bool = False,
) -> NeighbourSet:
    """Compute each authority's k nearest statistical neighbours and store the set.

    The CIPFA/NFER recipe: each variable is standardised to z-scores over the
    authorities in the model (mean 0, sample SD 1); the distance between two
    authorities is the weighted Euclidean distance sqrt(sum w_v (z_av - z_bv)^2)
    (``scipy.spatial.distance.cdist``); each authority's k nearest are its
    neighbours, ties broken by ONS code so runs are reproducible; distances are
    rebased 0-1 with the farthest = 1.

    Parameters
    ----------
    store
        An open store.
    variables
        Measures describing the authorities (e.g. IDACI, population, ...).
    weights
        One weight per variable (list or {variable: weight}); default all 1.
    k
        Neighbours per authority.
    period
        Periods of the variables (as in :mod:`lacompare.analysis.significance`:
        a period, ``YEAR:YEAR`` averaged, a list, or {variable: spec}; default
        each variable's latest).
    set_id
        The set's name in the store.
    label
        A description.
    valid_for
        The period or date the set is for (default: ``period`` when it is one
        period). Authorities that did not exist then are left out.
    exclude
        Authorities to keep out of the model (``region:London``, names, codes).
    rebase
        ``authority``: each authority's distances over its farthest (that
        authority = 1; CIPFA); ``overall``: over the largest distance between any
        two authorities.
    breakdown
        Observations of this breakdown only.
    replace
        Replace an existing set with this id.

    Returns
    -------
    NeighbourSet
        ``neighbours`` holds ``distance`` (weighted Euclidean on z-scores) and
        ``closeness`` (the rebased distance 0-1, as text in the store);
        ``excluded`` lists authorities left out (missing variables, not existing,
        excluded by the user).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    >>> rows = [(c, "v", float(i)) for i, c in enumerate(
    ...     ["E06000001", "E06000002", "E06000003", "E06000004"])]
    >>> _ = s.con.executemany("INSERT INTO observation_cells (la_code, measure, "
    ...                       "period, "
    ...     "value, source_id) VALUES (?, ?, '2021', ?, 1)", rows)
    >>> r = compute_neighbours(s, ["v"], k=2, period="2021", set_id="t")
    >>> r.neighbours.query("la_name == 'Middlesbrough'")["neighbour_name"].tolist()
    ['Hartlepool', 'Redcar and Cleveland']
    """
    from scipy.spatial.distance import cdist

    from lacompare.analysis.significance import (
        _missing_reasons,
        read_la_values,
        resolve_exclusions,
    )

    variables = list(dict.fromkeys(variables))
    if not variables:
        raise InputError("no variables given")
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(variables)
        if unknown:
            raise InputError(
                "weights for variables not in the model: " + ", ".join(sorted(unknown))
            )
        w = np.array([float(weights.get(v, 1.0)) for v in variables])
    elif weights is None:
        w = np.ones(len(variables))
    else:
        w = np.asarray(list(weights), dtype=float)
        if len(w) != len(variables):
            raise InputError(f"{len(w)} weights for {len(variables)} variables")
    if not np.all(np.isfinite(w)) or (w < 0).any() or not (w > 0).any():
        raise InputError("weights must be non-negative numbers, not all zero")
    if k < 1:
        raise InputError("k must be at least 1")
    if rebase not in ("authority", "overall"):
        raise InputError("rebase must be 'authority' or 'overall'")
    if valid_for is None and isinstance(period, str) and not re.search(r"[:,]", period):
        valid_for = period
    day = _as_of(valid_for)
    data = read_la_values(store, variables, period=period, breakdown=breakdown)
    values = data.values
    valid = _valid_on(store, day)
    left: list[pd.DataFrame] = []
    user = resolve_exclusions(store, exclude)
    user = user[user["la_code"].isin(values.index)]
    left.append(user)
    values = values[~values.index.isin(user["la_code"])]
    exists = values.index.map(valid["exists"]).fillna(False).astype(bool)
    if day is not None and (~exists).any():
        left.append(
            pd.DataFrame(
                {
                    "la_code": values.index[~exists],
                    "reason": f"did not exist on {day.isoformat()}",
                }
            )
        )
        values = values[exists]
    why = _missing_reasons(values, data.reasons.reindex(values.index), variables)
    gap = (why != "").to_numpy()
    left.append(
        pd.DataFrame({"la_code": values.index[gap], "reason": why[gap].to_numpy()})
    )
    values = values[~gap]
    issues = IssueLog()
    n = len(values)
    if n < 2:
        raise InputError(f"only {n} authorities have every variable: need two")
    if k > n - 1:
        issues.add(
            "k-reduced",
            f"only {n} authorities: k reduced from {k} to {n - 1}",
            severity="warning",
        )
        k = n - 1
    x = values.to_numpy(dtype=float)
    mean = x.mean(axis=0)
    sd = x.std(axis=0, ddof=1)
    flat = ~(sd > 0)
    if flat.any():
        raise InputError(
            "no variation across authorities in "
            + ", ".join(np.asarray(variables)[flat])
        )
    z = (x - mean) / sd
    dist = cdist(z, z, "euclidean", w=w)
    np.fill_diagonal(dist, np.inf)
    # Rows and columns are in la_code order, so a stable sort breaks equal
    # distances (to 10 decimals, below float noise) by code: the same every run.
    key = np.round(dist, 10)
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    near = np.take_along_axis(dist, order, axis=1)
    finite = np.where(np.isfinite(dist), dist, -np.inf)
    scale = finite.max(axis=1, keepdims=True) if rebase == "authority" else finite.max()
    rebased = near / scale
    codes = values.index.to_numpy()
    rows = pd.DataFrame(
        {
            "la_code": np.repeat(codes, k),
            "neighbour_code": codes[order].ravel(),
            "rank": np.tile(np.arange(1, k + 1), n),
            "distance": near.ravel(),
            "closeness": np.char.mod("%.6f", rebased.ravel()),
        }
    )
    params = {
        "variables": variables,
        "weights": w.tolist(),
        "k": k,
        "period": period,
        "periods": data.periods,
        "rebase": rebase,
        "standardise": "z-score, sample SD",
        "means": mean.tolist(),
        "sds": sd.tolist(),
        "exclude": exclude,
        "breakdown": breakdown,
        "distance": "weighted Euclidean (scipy cdist, w)",
        "ties": "broken by la_code",
    }
    _write_set(
        store,
        set_id,
        label or f"computed from {', '.join(variables)}",
        "computed",
        "lacompare.compute_neighbours",
        params,
        valid_for,
        rows,
        replace,
    )
    excluded = pd.concat(left, ignore_index=True)
    excluded.insert(1, "la_name", excluded["la_code"].map(valid["la_name"]))
    excluded = excluded.sort_values(["la_name", "la_code"]).reset_index(drop=True)
    out = _set_frame(store, set_id)
    out["rebased"] = pd.to_numeric(out["closeness"], errors="coerce")
    return NeighbourSet(
        set_id, label, "computed", valid_for, out, excluded, issues, params
    )


def list_neighbour_sets(store: Store) -> pd.DataFrame:
    """The neighbour sets in the store, with authority and row counts.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     list(list_neighbour_sets(s).columns)[:3]
    ['set_id', 'label', 'method']
    """
    return store.query(
        """SELECT s.set_id, s.label, s.method, s.valid_for,
                  count(DISTINCT n.la_code) AS authorities, count(n.la_code) AS rows,
                  s.source, s.created_at
           FROM neighbour_sets s LEFT JOIN neighbours n USING (set_id)
           GROUP BY ALL ORDER BY s.created_at, s.set_id"""
    )


def _default_set(store: Store, set_id: str | None) -> str:
    sets = [
        r[0]
        for r in store.con.execute(
            "SELECT set_id FROM neighbour_sets ORDER BY created_at"
        ).fetchall()
    ]
    if set_id is not None:
        if set_id not in sets:
            raise InputError(
                f"no neighbour set {set_id!r} in the store"
                + (
                    f"; sets: {', '.join(sets)}"
                    if sets
                    else " (load one: lacompare neighbours load)"
                )
            )
        return set_id
    if len(sets) == 1:
        return sets[0]
    if not sets:
        raise InputError(
            "no neighbour sets in the store (load one: lacompare "
            "neighbours load dfe-2025)"
        )
    raise InputError(
        "several neighbour sets in the store; choose one: " + ", ".join(sets)
    )


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
    Traceback (most recent call last):
    ...
    lacompare.geography._strict.UnknownAuthority: Northamptonshire (E10000021) did not exist on 2022-03-31: it was abolished on 2021-04-01; ...
    >>> nb = neighbours_of(s, "Bedford", period="2020")
    >>> len(nb), [e["la_name"] for e in nb.attrs["excluded"]]
    (8, ['West Northamptonshire', 'North Northamptonshire'])
    """
    from lacompare.geography import match_authority_strict
    from lacompare.store import authority_key

    set_id = _default_set(store, set_id)
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
        match = match_authority_strict(la, as_of=_as_of(valid_for))
        key = authority_key(match.la_code, match.dfe_code)
    frame = _set_frame(store, set_id)
    frame = frame[frame["la_code"] == key].reset_index(drop=True)
    if frame.empty:
        name = store.con.execute(
            "SELECT la_name FROM authorities WHERE la_code = ?", [key]
        ).fetchall()
        shown = f"{name[0][0]} ({key})" if name else key
        raise InputError(f"{shown} has no neighbours in set {set_id!r}")
    frame.insert(0, "set_id", set_id)
    excluded = _empty_excluded()
    if period is not None:
        day = _as_of(period)
        ok = frame["neighbour_code"].map(_valid_on(store, day)["exists"])
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


@dataclass
class SetComparison:
    """How far two neighbour sets agree.

    ``per_authority``: la_code, la_name, n_a, n_b, shared, jaccard (shared over
    the union), same_first (the nearest neighbour agrees), shared_names;
    authorities in one set only have NaN ``shared``. ``summary``: counts and
    means; ``codes_followed`` lists authorities recoded without a boundary change
    (North Yorkshire, Somerset 2023) matched across the sets.
    """

    set_a: str
    set_b: str
    per_authority: pd.DataFrame
    summary: dict[str, Any]
    codes_followed: pd.DataFrame

    def summary_lines(self) -> list[str]:
        s = self.summary
        lines = [
            f"{self.set_a} vs {self.set_b}: {s['authorities_in_both']} authorities "
            f"in both; {s['only_in_a']} only in {self.set_a}, {s['only_in_b']} only "
            f"in {self.set_b}",
            f"shared neighbours per authority: mean {s['mean_shared']:.2f}, median "
            f"{s['median_shared']:g}, min {s['min_shared']:g}, max "
            f"{s['max_shared']:g}; mean Jaccard {s['mean_jaccard']:.3f}; same "
            f"nearest neighbour for {s['same_first']}",
        ]
        if len(self.codes_followed):
            lines.append(
                "matched across a change of code: "
                + ", ".join(self.codes_followed["la_name"].astype(str))
            )
        return lines


def _continuations(store: Store) -> dict[str, str]:
    """Codes that changed with no change of area: predecessor -> its one successor.

    North Yorkshire and Somerset became unitary in 2023 with new ONS codes; their
    area did not change, so a set keyed the old way matches one keyed the new way.
    """
    frame = store.query("SELECT la_code, predecessors, successors FROM authorities")
    succ = frame.set_index("la_code")["successors"].dropna()
    pred = frame.set_index("la_code")["predecessors"].dropna()
    one = succ[~succ.str.contains(";")]
    mapping = {a: b for a, b in one.items() if pred.get(b) == a}
    # Follow chains (rare) to the last code.
    for _ in range(len(mapping)):
        nxt = {a: mapping.get(b, b) for a, b in mapping.items()}
        if nxt == mapping:
            break
        mapping = nxt
    return mapping


def compare_neighbour_sets(
    store: Store, set_a: str, set_b: str, *, follow_codes: bool = True
) -> SetComparison:
    """Overlap of two neighbour sets, authority by authority.

    Parameters
    ----------
    store
        An open store.
    set_a, set_b
        Set ids.
    follow_codes
        Treat an authority whose ONS code changed without any change of area
        (North Yorkshire, Somerset in 2023) as the same authority in both sets.

    Returns
    -------
    SetComparison

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = load_neighbour_set(s, "dfe-2021", "a")
    >>> _ = load_neighbour_set(s, "dfe-2025", "b")
    >>> c = compare_neighbour_sets(s, "a", "b")
    >>> c.summary["authorities_in_both"], c.summary["only_in_b"]
    (151, 2)
    """
    for sid in (set_a, set_b):
        _default_set(store, sid)
    mapping = _continuations(store) if follow_codes else {}
    frame = store.query(
        "SELECT set_id, la_code, neighbour_code, rank FROM neighbours "
        "WHERE set_id IN (?, ?)",
        [set_a, set_b],
    )
    followed = sorted(
        set(frame["la_code"]) & set(mapping)
        | set(frame["neighbour_code"]) & set(mapping)
    )
    frame["la_code"] = frame["la_code"].replace(mapping)
    frame["neighbour_code"] = frame["neighbour_code"].replace(mapping)
    a = frame[frame["set_id"] == set_a]
    b = frame[frame["set_id"] == set_b]
    names = store.query("SELECT la_code, la_name FROM authorities").set_index(
        "la_code"
    )["la_name"]
    shared = a.merge(b, on=["la_code", "neighbour_code"])
    shared = shared.assign(name=shared["neighbour_code"].map(names))
    na = a.groupby("la_code").size().rename("n_a")
    nb = b.groupby("la_code").size().rename("n_b")
    per = pd.concat([na, nb], axis=1)
    both = per["n_a"].notna() & per["n_b"].notna()
    count = shared.groupby("la_code").size()
    per["shared"] = count.reindex(per.index).fillna(0).where(both)
    per["jaccard"] = per["shared"] / (per["n_a"] + per["n_b"] - per["shared"])
    first_a = a[a["rank"] == a.groupby("la_code")["rank"].transform("min")]
    first_b = b[b["rank"] == b.groupby("la_code")["rank"].transform("min")]
    same = first_a.merge(first_b, on=["la_code", "neighbour_code"])["la_code"]
    per["same_first"] = per.index.isin(same)
    per["same_first"] = per["same_first"].where(both)
    per["shared_names"] = (
        shared.sort_values("rank_x")
        .groupby("la_code")["name"]
        .agg(lambda s: "; ".join(s.astype(str)))
        .reindex(per.index)
    )
    per.insert(0, "la_name", per.index.map(names))
    per = per.reset_index(names="la_code").sort_values(["la_name", "la_code"])
    per = per.reset_index(drop=True)
    for c in ("n_a", "n_b"):
        per[c] = per[c].astype("Int64")
    inside = per[both.reindex(per["la_code"]).to_numpy()]
    counts = inside["shared"].astype(int).value_counts().sort_index()
    summary = {
        "set_a": set_a,
        "set_b": set_b,
        "authorities_in_both": int(len(inside)),
        "only_in_a": int(per["n_b"].isna().sum()),
        "only_in_b": int(per["n_a"].isna().sum()),
        "mean_shared": float(inside["shared"].mean()) if len(inside) else np.nan,
        "median_shared": float(inside["shared"].median()) if len(inside) else np.nan,
        "min_shared": float(inside["shared"].min()) if len(inside) else np.nan,
        "max_shared": float(inside["shared"].max()) if len(inside) else np.nan,
        "mean_jaccard": float(inside["jaccard"].mean()) if len(inside) else np.nan,
        "same_first": int(inside["same_first"].astype(bool).sum()),
        "shared_counts": {int(k): int(v) for k, v in counts.items()},
    }
    codes = pd.DataFrame(
        {"la_code": followed, "successor": [mapping[c] for c in followed]}
    )
    codes["la_name"] = codes["la_code"].map(names)
    return SetComparison(set_a, set_b, per, summary, codes)
