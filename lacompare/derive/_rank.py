"""The one ranking and banding rule: rank 1 is the best, bands A-D are quarters.

Every table, report, web page and the returns hub ranks authorities (or
services) with :func:`rank_with_polarity` and bands them with
:func:`quartile_band`, as LAIT does: rank 1 is the best figure when the measure
has a polarity (the lowest for ``higher-is-worse``, the highest for
``higher-is-better``) and the highest figure for a ``neutral`` measure; tied
figures share the best rank they tie for (1, 2, 2, 4); band A is the first
quarter of ranks (the best, or the highest for a neutral measure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: The quartile bands, best (or highest) quarter first.
BANDS = ("A", "B", "C", "D")


def _signs(polarity: str | Sequence[str], columns: int) -> np.ndarray:
    if isinstance(polarity, str):
        polarity = [polarity] * columns
    if len(polarity) != columns:
        raise ValueError(f"{len(polarity)} polarities for {columns} columns")
    # Ranked by ascending key: lower is better only for higher-is-worse.
    return np.array([1.0 if p == "higher-is-worse" else -1.0 for p in polarity])


def rank_with_polarity(values: Any, polarity: str | Sequence[str]) -> np.ndarray:
    """Ranks, 1 = best (the highest for a neutral measure); ties share the best
    rank; a missing value has no rank (NaN).

    Parameters
    ----------
    values
        One measure's values (1-D), or authorities × measures (2-D, each column
        ranked on its own).
    polarity
        ``higher-is-better``, ``higher-is-worse`` or ``neutral``; for 2-D values,
        one for every column or one for all.

    Returns
    -------
    numpy.ndarray
        Float ranks of the same shape (NaN where the value is missing).

    Examples
    --------
    >>> rank_with_polarity([10, 30, 20, 30, None], "higher-is-better").tolist()
    [4.0, 1.0, 3.0, 1.0, nan]
    >>> rank_with_polarity([10, 30, 20], "higher-is-worse").tolist()
    [1.0, 3.0, 2.0]
    >>> rank_with_polarity([[1, 1], [2, 2]], ["neutral", "higher-is-worse"]).tolist()
    [[2.0, 1.0], [1.0, 2.0]]
    """
    arr = np.asarray(values, dtype=float)
    flat = arr.ndim == 1
    grid = arr[:, None] if flat else arr
    key = grid * _signs(polarity, grid.shape[1])
    # Every column at once: sort, give each run of equal keys the position of
    # its first member (+1), and put the ranks back in the rows' order. NaN sorts
    # last and gets no rank.
    order = np.argsort(key, axis=0, kind="stable")
    ordered = np.take_along_axis(key, order, axis=0)
    position = np.arange(ordered.shape[0])[:, None]
    starts = np.ones(ordered.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=0) + 1.0
    first[np.isnan(ordered)] = np.nan
    ranks = np.empty_like(first)
    np.put_along_axis(ranks, order, first, axis=0)
    return ranks[:, 0] if flat else ranks


def quartile_band(rank: Any, n: Any) -> Any:
    """The quarter of ``n`` ranks a rank falls in: ``A`` (ranks 1 to n/4, the
    best) to ``D``; None without a rank.

    Examples
    --------
    >>> quartile_band(1, 150), quartile_band(38, 150), quartile_band(150, 150)
    ('A', 'B', 'D')
    >>> quartile_band(np.array([1.0, np.nan, 76.0]), 150).tolist()
    ['A', None, 'C']
    """
    ranks = np.asarray(rank, dtype=float)
    counts = np.broadcast_to(np.asarray(n, dtype=float), ranks.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        band = np.ceil(4 * ranks / counts)
    valid = np.isfinite(band) & (band >= 1) & (band <= 4)
    letters = np.array([*BANDS, None], dtype=object)
    return letters[np.where(valid, band - 1, 4).astype(int)]
