"""Neighbour files: lacompare's long format, read and checked.

The format (``lacompare/analysis/data/neighbours_format.md``) has one row per
neighbour: ``la_code``/``la_name``, ``rank`` (1..k), ``neighbour_code``/
``neighbour_name``, optional ``closeness`` and ``distance``. :func:`read_neighbour_file`
reads a file in it; :func:`validate_neighbours` checks any frame in it (DfE's files
are shaped into it by :mod:`lacompare.analysis._neighbour_dfe`), in named steps:
the columns, the text columns, the ranks, each side named, the distances, no rank
given twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from lacompare.errors import InputError

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


def read_cells(path: Path) -> tuple[list[str], pd.DataFrame]:
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


def norm_text(series: pd.Series) -> pd.Series:
    """Cells as header keys: lower case, runs of other characters as '_'."""
    text = series.astype(object).where(series.notna(), "").astype(str)
    text = text.str.strip().str.lower().str.replace(r"[^a-z0-9]+", "_", regex=True)
    return text.str.strip("_").replace(_ALIASES)


def norm_header(text: object) -> str:
    """A header as a key: lower case, runs of other characters as '_', aliases
    read as the format's names."""
    out = re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")
    return _ALIASES.get(out, out)


_DFE_MARKERS = {"la_num", "old_la_code", "sn_rank", "sn1", "sn_1"}


def looks_like_dfe(headers: Sequence[str], cells: pd.DataFrame) -> bool:
    """A DfE layout has 'LA num'/'old_la_code'/'SN1'... in its first rows."""
    if {norm_header(h) for h in headers} & _DFE_MARKERS:
        return True
    top = cells.drop(columns="_row").head(10)
    return bool(top.apply(lambda c: norm_text(c).isin(_DFE_MARKERS)).to_numpy().any())


def named_cells(headers: Sequence[str], cells: pd.DataFrame, file: str) -> pd.DataFrame:
    """Cells with their header names (duplicate names are an error here)."""
    norm = [norm_header(h) for h in headers]
    seen = {h for h in norm if norm.count(h) > 1 and h}
    if seen:
        raise InputError(f"column {sorted(seen)[0]!r} appears twice", file=file)
    return cells.rename(columns=dict(zip(cells.columns[1:], headers, strict=True)))


def _blank(series: pd.Series) -> pd.Series:
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    return text.str.lower().isin(_EMPTY)


def clean_code(series: pd.Series) -> pd.Series:
    """Codes as text: '805.0' as '805', blanks and dashes as ''."""
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return text.where(~text.str.lower().isin(_EMPTY), "")


def _band(series: pd.Series) -> pd.Series:
    """A closeness band in one spelling: 'Very Close ' -> 'Very close'."""
    text = series.astype(object).where(series.notna(), "").astype(str)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return text.str[:1].str.upper() + text.str[1:].str.lower()


def _check_columns(frame: pd.DataFrame, file: str | None) -> pd.DataFrame:
    """The frame with its headers normalised, if it has the format's columns."""
    frame = frame.rename(
        columns={c: norm_header(c) for c in frame.columns if c != "_row"}
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
    return frame


def _text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``_row`` and the codes and names of both sides, as clean text."""
    cols = set(frame.columns)
    out = pd.DataFrame({"_row": frame["_row"].to_numpy()})
    for col in ("la_code", "neighbour_code"):
        out[col] = clean_code(frame[col]) if col in cols else ""
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
    return out


def _row_error(
    message: str, out: pd.DataFrame, bad: np.ndarray, file: str | None, column: str
) -> InputError:
    """An error naming the file, row and column of the first bad row."""
    k = int(np.argmax(bad))
    return InputError(message, file=file, row=int(out["_row"].iloc[k]), column=column)


def _parse_ranks(frame: pd.DataFrame, out: pd.DataFrame, file: str | None) -> None:
    """``out['rank']``: whole numbers from 1 (an error naming the first that is not)."""
    rank = pd.to_numeric(
        frame["rank"].astype(object).astype(str).str.strip(), errors="coerce"
    ).to_numpy()
    bad = ~np.isfinite(rank) | (rank < 1) | (rank != np.round(rank))
    if bad.any():
        shown = frame["rank"].iloc[int(np.argmax(bad))]
        raise _row_error(
            f"rank must be a whole number from 1, not {shown!r}", out, bad, file, "rank"
        )
    out["rank"] = rank.astype(int).tolist()


def _check_sides(out: pd.DataFrame, file: str | None) -> None:
    """Every row names its authority and its neighbour, by code or name."""
    for side, label in (("la", "authority"), ("neighbour", "neighbour")):
        none = (out[f"{side}_code"] == "") & (out[f"{side}_name"] == "")
        if none.any():
            raise _row_error(
                f"no {label} code or name", out, none.to_numpy(), file, f"{side}_code"
            )


def _parse_distance(frame: pd.DataFrame, out: pd.DataFrame, file: str | None) -> None:
    """``out['distance']``: numbers or NaN (an error for text that is neither)."""
    if "distance" not in frame.columns:
        out["distance"] = np.nan
        return
    raw = frame["distance"].astype(object).where(frame["distance"].notna(), "")
    raw = raw.astype(str).str.strip()
    dist = pd.to_numeric(raw, errors="coerce")
    bad = (raw != "").to_numpy() & dist.isna().to_numpy()
    if bad.any():
        shown = raw.iloc[int(np.argmax(bad))]
        raise _row_error(
            f"distance must be a number, not {shown!r}", out, bad, file, "distance"
        )
    out["distance"] = dist.to_numpy(dtype=float)


def _check_duplicates(out: pd.DataFrame, file: str | None) -> None:
    """No rank given twice for one authority."""
    key = out["la_code"].where(out["la_code"] != "", out["la_name"].str.lower())
    dup = pd.DataFrame({"k": key, "r": out["rank"]}).duplicated().to_numpy()
    if dup.any():
        k = int(np.argmax(dup))
        raise _row_error(
            f"rank {out['rank'].iloc[k]} given twice for {key.iloc[k]}",
            out,
            dup,
            file,
            "rank",
        )


def validate_neighbours(frame: pd.DataFrame, file: str | None) -> pd.DataFrame:
    """Check a frame in the neighbour format; return it with typed columns.

    Rows with no authority and no rank are dropped; the first bad row is an
    error naming its file, row and column.

    Examples
    --------
    >>> f = pd.DataFrame({"LA name": ["Leeds", "Leeds"], "Rank": [1, "2.0"],
    ...                   "Neighbour": ["E08000019", "E08000032"]})
    >>> validate_neighbours(f, None)[["la_name", "rank", "neighbour_code"]].values
    array([['Leeds', 1, 'E08000019'],
           ['Leeds', 2, 'E08000032']], dtype=object)
    """
    frame = _check_columns(frame, file)
    out = _text_columns(frame)
    keep = ~(
        (out["la_code"] == "")
        & (out["la_name"] == "")
        & _blank(frame["rank"]).to_numpy()
    )
    frame, out = frame[keep.to_numpy()], out[keep].reset_index(drop=True)
    _parse_ranks(frame, out, file)
    _check_sides(out, file)
    out["closeness"] = (
        _band(frame["closeness"]).to_numpy() if "closeness" in frame.columns else ""
    )
    _parse_distance(frame, out, file)
    _check_duplicates(out, file)
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
    headers, cells = read_cells(path)
    return validate_neighbours(named_cells(headers, cells, str(path)), str(path))
