"""Group summaries: N, missing, mean, median, SD, min and max by region or any group.

Computed inside DuckDB over the store; every statistic is over non-missing values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

#: The nine English regions in the order DfE tables print them (north to south).
REGION_ORDER = (
    "North East", "North West", "Yorkshire and The Humber", "East Midlands",
    "West Midlands", "East of England", "London", "Inner London", "Outer London",
    "South East", "South West",
)

GROUPINGS = ("region", "london_region", "la_type")


def summarise_by_group(
    store: Store,
    measures: Sequence[str] | None = None,
    *,
    by: str = "region",
    period: str | None = None,
    source_id: int | None = None,
    england: bool = True,
) -> pd.DataFrame:
    """Summarise each measure by group, with an England row.

    Parameters
    ----------
    store
        An open store.
    measures
        Measures to summarise (default: every numeric measure).
    by
        ``region``, ``london_region`` (London split Inner/Outer) or ``la_type``.
    period
        Only this period (default: all periods pooled).
    source_id
        Only values from this source.
    england
        Add a row over all authorities, labelled ``England``.

    Returns
    -------
    pandas.DataFrame
        Columns ``region, measure, n, missing, mean, median, sd, min, max`` (the
        first column is named ``region`` whatever the grouping).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute("INSERT INTO observations (la_code, measure, period, value, "
    ...     "source_id) VALUES ('E06000001', 'm', '2021', 2, 1), ('E06000002', 'm', "
    ...     "'2021', 4, 1)")
    >>> summarise_by_group(s)[["region", "n", "mean"]].values.tolist()
    [['North East', 2, 3.0], ['England', 2, 3.0]]
    """
    if by not in GROUPINGS:
        raise InputError(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}")
    where = ["u.unit IS DISTINCT FROM 'category'"]
    params: list[object] = []
    if measures:
        where.append("o.measure IN (SELECT unnest(?))")
        params.append(list(measures))
    if period is not None:
        where.append("o.period = ?")
        params.append(period)
    if source_id is not None:
        where.append("o.source_id = ?")
        params.append(source_id)
    sets = f"(a.{by}, o.measure)" + (", (o.measure)" if england else "")
    frame = store.query(
        f"""SELECT CASE WHEN grouping(a.{by}) = 1 THEN 'England'
                        ELSE coalesce(a.{by}, 'Unknown') END AS region,
                   o.measure,
                   count(o.value) AS n,
                   count(*) - count(o.value) AS missing,
                   avg(o.value) AS mean,
                   median(o.value) AS median,
                   stddev_samp(o.value) AS sd,
                   min(o.value) AS min,
                   max(o.value) AS max
            FROM observations o
            JOIN authorities a USING (la_code)
            LEFT JOIN measures u USING (measure)
            WHERE {' AND '.join(where)}
            GROUP BY GROUPING SETS ({sets})""",
        params,
    )
    order = {name: i for i, name in enumerate((*REGION_ORDER, "England"))}
    frame["_order"] = frame["region"].map(lambda r: order.get(r, len(order) - 0.5))
    measure_order = list(measures) if measures else sorted(frame["measure"].unique())
    frame["_m"] = frame["measure"].map({m: i for i, m in enumerate(measure_order)})
    frame = frame.sort_values(["_m", "_order", "region"]).drop(columns=["_order", "_m"])
    frame["n"] = frame["n"].astype(int)
    frame["missing"] = frame["missing"].astype(int)
    return frame.reset_index(drop=True)
