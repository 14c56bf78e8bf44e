"""Quintiles and box-plot statistics, in pandas so labels and alt text are exact."""

from __future__ import annotations

import numpy as np
import pandas as pd


def quintiles(values: pd.Series) -> pd.Series:
    """Quintile of each value among the values given: 1 = lowest fifth, 5 = highest.

    An authority's quintile is ``ceil(5 × rank / n)``, its rank counted from the
    lowest (1) among the ``n`` non-missing values, so each quintile holds a fifth of
    the authorities (30 or 31 of 153). Tied values share their average rank and so
    the same quintile. Missing values stay missing.

    Parameters
    ----------
    values : pandas.Series
        Numbers, one per authority.

    Returns
    -------
    pandas.Series
        Nullable integers (``Int64``) 1-5 with the same index.

    Examples
    --------
    >>> quintiles(pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quintiles(pd.Series([1.0, None, 1.0, 5.0, 9.0])).tolist()
    [2, <NA>, 2, 4, 5]
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    ranks = numbers.rank(method="average")
    n = int(numbers.notna().sum())
    out = np.ceil(5 * ranks / n).clip(1, 5) if n else ranks
    return out.astype("Int64")


def box_stats(
    data: pd.DataFrame, value: str = "value", group: str = "region"
) -> pd.DataFrame:
    """Tukey box-plot statistics for each group, as drawn by :func:`box_chart`.

    Quartiles are by linear interpolation (pandas' default, Excel's QUARTILE.INC).
    Fences lie 1.5 interquartile ranges beyond the quartiles; whiskers reach the
    furthest values inside the fences; values outside are outliers.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per authority, with ``value`` and ``group`` columns.
    value, group : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        One row per group (in order of first appearance) with ``n``, ``q1``,
        ``median``, ``q3``, ``iqr``, ``lower_fence``, ``upper_fence``,
        ``whisker_low``, ``whisker_high`` and ``n_outliers``. Missing values are
        left out.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["A"] * 6, "value": [1, 2, 3, 4, 5, 40]})
    >>> s = box_stats(df).iloc[0]
    >>> [float(s[k]) for k in ("q1", "median", "q3", "upper_fence", "whisker_high")]
    [2.25, 3.5, 4.75, 8.5, 5.0]
    >>> int(s["n_outliers"])
    1
    """
    rows = []
    clean = data[[group, value]].dropna(subset=[value])
    for name, g in clean.groupby(group, sort=False):
        v = g[value].astype(float)
        q1, med, q3 = (float(v.quantile(p)) for p in (0.25, 0.5, 0.75))
        iqr = q3 - q1
        lo, hi = q1 - 1.5 * iqr, q3 + 1.5 * iqr
        inside = v[(v >= lo) & (v <= hi)]
        rows.append(
            {
                group: name,
                "n": int(v.size),
                "q1": q1,
                "median": med,
                "q3": q3,
                "iqr": iqr,
                "lower_fence": lo,
                "upper_fence": hi,
                "whisker_low": float(inside.min()),
                "whisker_high": float(inside.max()),
                "n_outliers": int(((v < lo) | (v > hi)).sum()),
            }
        )
    return pd.DataFrame(rows)
