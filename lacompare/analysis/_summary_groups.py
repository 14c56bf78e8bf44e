"""Who is in which group, and who is counted, for :func:`lacompare.analysis.summarise`.

Authorities are grouped by region, type or any registry column as they were on the
last day summarised (Cornwall was a shire county until 2009), and each authority is
counted once: one that did not exist in the window, or was abolished before its
last period, is left out, saying why.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.provenance import IssueLog
    from lacompare.store import Store

#: The nine English regions in the order DfE tables print them (north to south).
REGION_ORDER = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "Inner London",
    "Outer London",
    "South East",
    "South West",
)


def _group_expression(store: Store, by: str) -> str:
    if by == "london_region":
        return "coalesce(nullif(london_region, ''), region)"
    columns = {
        r[0]
        for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'authorities'"
        ).fetchall()
    }
    if by not in columns:
        raise InputError(
            f"cannot group by {by!r}; choose london_region or a column "
            f"of authorities: {', '.join(sorted(columns))}"
        )
    return f'CAST("{by}" AS VARCHAR)'


def read_groups(store: Store, by: str) -> pd.DataFrame:
    expr = _group_expression(store, by)
    return store.query(
        f"""SELECT la_code, la_name, dfe_code, region,
                   coalesce(nullif(london_region, ''), region) AS london_region,
                   coalesce({expr}, 'Unknown') AS "group"
            FROM authorities"""
    )


#: Groupings that change with the date (Cornwall was a shire county until 2009).
_DATED = ("la_type", "region", "region_code", "london_region")


def derive_dated_groups(
    store: Store,
    auth: pd.DataFrame,
    by: str,
    used: dict[str, list[str]],
    issues: IssueLog,
) -> pd.DataFrame:
    """Groups as they were on the last day of the periods summarised.

    The store's ``authorities`` table has today's type; a 2002 table must be grouped
    by 2002's (lacompare/geography/data/authority_history.csv). Authorities that did
    not exist that day keep their own.
    """
    from lacompare.derive import measure_info, reference_day
    from lacompare.geography import authorities_on
    from lacompare.store import authority_key

    days = [
        d
        for m, periods in used.items()
        for p in periods
        if (d := reference_day(p, measure_info(store, m).reference_date))
    ]
    if by not in _DATED or not days:
        return auth
    day = max(days)
    on = authorities_on(day)
    groups = (
        on["london_region"].where(on["london_region"] != "", on["region"])
        if by == "london_region"
        else on[by]
    )
    keys = [
        authority_key(c, d) for c, d in zip(on["la_code"], on["dfe_code"], strict=True)
    ]
    dated = auth.assign(
        group=auth["la_code"]
        .map(dict(zip(keys, groups, strict=True)))
        .fillna(auth["group"])
    )
    if not dated["group"].equals(auth["group"]):
        issues.add(
            "dated-groups",
            f"{by} as on {day.isoformat()} (the last period's "
            "reference day), not today's",
            severity="info",
        )
    return dated


def group_order(groups: pd.Series) -> pd.Series:
    order = {name: i for i, name in enumerate(REGION_ORDER)}
    n = len(order)
    return groups.map(
        lambda g: (
            (0, order[g], g)
            if g in order
            else (
                (2, n, g)
                if g == "England"
                else ((1, n, "~") if g == "Unknown" else (1, n, g))
            )
        )
    )


def _period_day(period: str, reference_date: str | None) -> Any:
    """The day a period's authorities are taken on: the earlier of the measure's
    reference day and the period's own date (31 March), so a 2021 return matched
    on 31 March 2021 counts Northamptonshire for its mid-2021 population."""
    from lacompare.cells import period_as_of
    from lacompare.derive import reference_day

    days = [
        d
        for d in (reference_day(period, reference_date), period_as_of(period))
        if d is not None
    ]
    return min(days) if days else None


def not_existing(
    store: Store, values: pd.DataFrame, used: dict[str, list[str]]
) -> pd.Series:
    """Rows without a value for an authority that did not exist in the window."""
    import pandas as pd

    from lacompare.derive import measure_info

    valid = store.query("SELECT la_code, valid_from, valid_to FROM authorities")
    spans = {}
    for m, periods in used.items():
        ref = measure_info(store, m).reference_date
        days = [d for p in periods if (d := _period_day(p, ref)) is not None]
        spans[m] = (min(days), max(days)) if days else (None, None)
    frame = values[["measure", "la_code", "value"]].merge(
        valid, on="la_code", how="left"
    )
    first = pd.to_datetime(frame["measure"].map(lambda m: spans[m][0]))
    last = pd.to_datetime(frame["measure"].map(lambda m: spans[m][1]))
    start = pd.to_datetime(frame["valid_from"])
    end = pd.to_datetime(frame["valid_to"])
    outside = (start > last) | (end < first)
    return pd.Series(
        (frame["value"].isna() & outside.fillna(False)).to_numpy(), index=values.index
    )


def ended_before(
    store: Store, values: pd.DataFrame, used: dict[str, list[str]]
) -> pd.Series:
    """For each per-authority figure, why it is not counted (None: counted): its
    authority was abolished before the window's last period.

    Each authority is counted once: a distribution over a window holds the
    authorities that existed on the day of its last period. A council that was
    split or merged during the window (Cumbria 2023, Northamptonshire 2021) would
    otherwise be counted beside its successors, the same area twice; its values
    cannot be given to one successor, so it is left out, saying so. A recode with
    the same area (North Yorkshire 2023) is one lineage already, under its new code.
    """
    import pandas as pd

    from lacompare.derive import measure_info

    life = store.query("SELECT la_code, valid_to, successors FROM authorities")
    names = dict(
        store.con.execute("SELECT la_code, la_name FROM authorities").fetchall()
    )
    ends = {}
    for m, periods in used.items():
        ref = measure_info(store, m).reference_date
        days = [(d, p) for p in periods if (d := _period_day(p, ref)) is not None]
        ends[m] = max(days) if days else (None, None)
    frame = values[["measure", "la_code"]].merge(life, on="la_code", how="left")
    out = []
    for m, end, after in zip(
        frame["measure"], frame["valid_to"], frame["successors"], strict=True
    ):
        day, period = ends[m]
        if day is None or pd.isna(end) or pd.Timestamp(end) >= pd.Timestamp(day):
            out.append(None)
            continue
        end = pd.Timestamp(end).date()
        heirs = [
            names.get(c.strip(), c.strip())
            for c in str(after or "").split(";")
            if c.strip()
        ]
        gone = (end + dt.timedelta(days=1)).isoformat()
        out.append(
            f"abolished {gone}, before {period}; its area is counted under "
            + (" and ".join(heirs) if heirs else "its successors")
        )
    return pd.Series(out, index=values.index, dtype=object)
