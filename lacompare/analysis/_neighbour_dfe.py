"""DfE's statistical-neighbour files, shaped into lacompare's neighbour format.

:func:`read_dfe_neighbours` reads the published layouts in named steps: find the
header row (workbooks have column letters above it), then either read the
dashboard's long table as it is, or read the authorities (leaving out the 'Old
SNs' block), find the SN1..SN10 columns, unpivot them to one row per neighbour
and drop the authorities listed without neighbours (each noted in the issue log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lacompare.analysis._neighbour_files import (
    clean_code,
    norm_header,
    norm_text,
    read_cells,
    validate_neighbours,
)
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

#: Headers of the authority's code, in the layouts DfE has published.
_CODE_HEADERS = ("la_num", "old_la_code", "la_number", "la_code")


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
    headers, cells = read_cells(path)
    norm, body = _find_header(headers, cells, file)
    data = body.drop(columns="_row")
    data.columns = range(data.shape[1])
    row = body["_row"].to_numpy()
    if "sn_rank" in norm:  # the dashboard's long table
        return _read_dashboard(data, norm, row, file)
    who = _read_authorities(data, norm, include_old)
    long = _unpivot(data, norm, who, row, _sn_columns(norm, file))
    long = _drop_without_neighbours(long, log, file)
    return validate_neighbours(long.reset_index(drop=True), file)


def _find_header(
    headers: list[str], cells: pd.DataFrame, file: str
) -> tuple[list[str], pd.DataFrame]:
    """The header keys and the rows below them (workbooks have column letters
    and numbers above the real header row)."""
    norm = [norm_header(h) for h in headers]
    known = set(_CODE_HEADERS)
    if known & set(norm) or "sn_rank" in norm:
        return norm, cells
    text = cells.drop(columns="_row").apply(norm_text)
    rows = np.flatnonzero(text.isin(known).to_numpy().any(axis=1))
    if not len(rows):
        raise InputError(
            "not a DfE statistical-neighbour file: no 'LA num' or 'old_la_code' header",
            file=file,
        )
    return text.iloc[rows[0]].tolist(), cells.iloc[rows[0] + 1 :]


def _column(norm: list[str], *names: str) -> int | None:
    """The position of the first of ``names`` among the headers."""
    for name in names:
        if name in norm:
            return norm.index(name)
    return None


def _read_dashboard(
    data: pd.DataFrame, norm: list[str], row: np.ndarray, file: str
) -> pd.DataFrame:
    """The dashboard's long table (``LA.number, SN_rank, SN_LA_number, …``)."""
    long = pd.DataFrame(
        {
            "la_code": data[_column(norm, "la_number")],
            "la_name": data[_column(norm, "la_name")],
            "rank": data[_column(norm, "sn_rank")],
            "neighbour_code": data[_column(norm, "sn_la_number")],
            "neighbour_name": data[_column(norm, "sn_la_name")],
            "_row": row,
        }
    )
    return validate_neighbours(long, file)


@dataclass
class _Authorities:
    """The authorities of a wide file: each row's code and name, whether the row
    is kept, and the name of each code listed."""

    codes: pd.Series
    names: pd.Series
    keep: np.ndarray
    name_of: dict[str, str]


def _read_authorities(
    data: pd.DataFrame, norm: list[str], include_old: bool
) -> _Authorities:
    """Each row's authority; rows below an 'Old SNs' marker are kept only with
    ``include_old``."""
    code_col = _column(norm, *_CODE_HEADERS)
    name_col = _column(norm, "la_name")
    assert code_col is not None
    marker = (
        data.astype(object)
        .where(data.notna(), "")
        .astype(str)
        .apply(lambda c: c.str.strip().str.lower().str.startswith("old sn"))
        .any(axis=1)
    )
    old = marker.cumsum().to_numpy() > 0
    codes = clean_code(data[code_col])
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
    return _Authorities(codes, names, listed & (include_old | ~old), name_of)


def _sn_columns(norm: list[str], file: str) -> list[tuple[int, int]]:
    """``(rank, column)`` of each SN1..SN10 column."""
    sn = [
        (int(m.group(1)), i)
        for i, h in enumerate(norm)
        if (m := re.fullmatch(r"sn_?(\d+)", h))
    ]
    if not sn:
        raise InputError("no SN1..SN10 columns", file=file)
    return sn


def _unpivot(
    data: pd.DataFrame,
    norm: list[str],
    who: _Authorities,
    row: np.ndarray,
    sn: list[tuple[int, int]],
) -> pd.DataFrame:
    """One row per authority kept and neighbour rank; the band is the column
    after each SN column when it is an SNP column."""
    parts = []
    for rank, i in sn:
        band = (
            data[i + 1]
            if i + 1 < len(norm) and re.fullmatch(r"sn_?\d*p(_\d+)?", norm[i + 1])
            else None
        )
        nb = clean_code(data[i])
        parts.append(
            pd.DataFrame(
                {
                    "la_code": who.codes,
                    "la_name": who.names,
                    "rank": rank,
                    "neighbour_code": nb,
                    "neighbour_name": nb.map(who.name_of).fillna(""),
                    "closeness": band if band is not None else "",
                    "_row": row,
                    "_keep": who.keep,
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    return long[long["_keep"]].drop(columns="_keep")


def _drop_without_neighbours(
    long: pd.DataFrame, log: IssueLog, file: str
) -> pd.DataFrame:
    """Leave out the rows with no neighbour, noting each authority listed
    without any; sort by row in the file, then rank."""
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
    return long[~empty].sort_values(["_row", "rank"], kind="stable")
