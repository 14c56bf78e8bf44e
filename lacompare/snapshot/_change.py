"""Change from an earlier snapshot: value, change, % change and notes.

The % change of exact figures is computed in decimal arithmetic and rounded half
away from zero to one decimal, as a spreadsheet does (29 / 1 → ``2900.0%``);
from 0 it is not defined and prints ``-``. A figure known only rounded (a rate
printed ``47``, a percentage printed ``79.7%``) stands for any value within half
a unit of its last decimal, so its % change is a range: the lowest and highest
% change the two rounded figures allow, rounded outwards (a figure published
from the unrounded values lies inside it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.formatting import format_number, is_missing
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = [
    "derive_snapshot_change",
    "summarise_snapshot",
    "SnapshotComparison",
    "format_snapshot_value",
    "format_pct",
    "match_snapshot_authority",
    "nearest_snapshot_date",
]

_TENTH = Decimal("0.1")


def _dec(value: Any) -> Decimal:
    # repr gives the shortest decimal that round-trips: 74.4, not 74.400000000001.
    return Decimal(repr(float(value)))


def format_pct(value: Decimal | float | None) -> str:
    """A % change as printed: one decimal, no grouping (``2900.0%``); ``-`` if none.

    Examples
    --------
    >>> format_pct(Decimal("2900.0")), format_pct(-3.37), format_pct(None)
    ('2900.0%', '-3.4%', '-')
    """
    if is_missing(value):
        return "-"
    d = value if isinstance(value, Decimal) else _dec(value)
    return f"{d.quantize(_TENTH, rounding=ROUND_HALF_UP)}%"


def format_snapshot_value(
    value: Any, unit: str, decimals: int, change: bool = False
) -> str:
    """A snapshot value (or change) as a table prints it.

    Counts are whole and grouped (``379,780``); percentages carry ``%``, and a
    change of a percentage is in percentage points (``pp``).

    Examples
    --------
    >>> format_snapshot_value(379780, "count", 0)
    '379,780'
    >>> format_snapshot_value(79.7, "%", 1), format_snapshot_value(5.3, "%", 1, True)
    ('79.7%', '5.3 pp')
    """
    if is_missing(value):
        return ".."
    text = format_number(value, None, decimals)
    if unit == "%":
        return f"{text} pp" if change else f"{text}%"
    return text


def _pct_range(
    value: float, half: float, earlier: float, earlier_half: float
) -> tuple[float, float] | None:
    lo_e, hi_e = earlier - earlier_half, earlier + earlier_half
    if lo_e <= 0:
        return None
    lo_c, hi_c = value - half, value + half
    corners = [(c / e - 1) * 100 for c in (lo_c, hi_c) for e in (lo_e, hi_e)]
    return min(corners), max(corners)


def derive_snapshot_change(
    current: pd.DataFrame, earlier: pd.DataFrame
) -> pd.DataFrame:
    """Join two snapshots by measure and compute change and % change.

    Parameters
    ----------
    current, earlier
        Snapshot values (``measure, breakdown, label, unit, value, half_width,
        decimals``; ``note`` optional), one row per measure.

    Returns
    -------
    DataFrame
        The current rows, in order, with ``earlier_value``, ``change``,
        ``pct_change`` (exact figures: the % change; rounded: the % change of
        the rounded figures), ``pct_low``/``pct_high`` (the range the rounding
        allows; equal to ``pct_change`` for exact figures), ``pct_reason``
        (``base-zero``, ``no-earlier`` or ``no-value``) and the printed
        ``value_text``, ``change_text``, ``pct_text``.

    Examples
    --------
    >>> import pandas as pd
    >>> cur = pd.DataFrame({"measure": ["m", "r"], "breakdown": ["", ""],
    ...     "label": ["M", "R"], "unit": ["count", "per 10,000"], "value": [30.0, 47.0],
    ...     "half_width": [0.0, 0.5], "decimals": [0, 0]})
    >>> old = cur.assign(value=[1.0, 46.0])
    >>> derive_snapshot_change(cur, old)[["change_text", "pct_text"]].values.tolist()
    [['29', '2900.0%'], ['1', '0.0% to 4.4%']]
    """
    import pandas as pd

    keys = ["measure", "breakdown"]
    before = earlier[keys + ["value", "half_width", "decimals"]].rename(
        columns={
            "value": "earlier_value",
            "half_width": "earlier_half_width",
            "decimals": "earlier_decimals",
        }
    )
    out = current.merge(
        before, on=keys, how="left", validate="one_to_one", indicator="had_earlier"
    )
    rows = []
    for row in out.to_dict("records"):
        has_earlier = row.pop("had_earlier") == "both"
        value, old = row["value"], row["earlier_value"]
        unit, decimals = row["unit"], int(row["decimals"])
        change, pct, low, high, reason = _change_of(row, has_earlier)
        earlier_decimals = row.get("earlier_decimals")
        change_decimals = max(
            decimals,
            int(earlier_decimals or 0)
            if has_earlier and not is_missing(earlier_decimals)
            else decimals,
        )
        row.update(
            change=change,
            pct_change=pct,
            pct_low=low,
            pct_high=high,
            pct_reason=reason,
            value_text=format_snapshot_value(value, unit, decimals),
            change_text=format_snapshot_value(
                change, unit, change_decimals, change=True
            ),
            pct_text=_pct_text(value, old, low, high, reason),
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _change_of(
    row: dict[str, Any], has_earlier: bool
) -> tuple[float | None, float | None, float | None, float | None, str | None]:
    """A row's change, % change and the range of % change its rounding allows
    (``low``, ``high``), or the reason there is no % change."""
    value, old = row["value"], row["earlier_value"]
    if is_missing(value):
        return None, None, None, None, "no-value"
    if not has_earlier or is_missing(old):
        return None, None, None, None, "no-earlier"
    diff = _dec(value) - _dec(old)
    change = float(diff)
    if float(old) == 0:
        return change, None, None, None, "base-zero"
    pct = float(diff / _dec(old) * 100)
    half = float(row["half_width"] or 0)
    old_half = float(row["earlier_half_width"] or 0)
    if half == 0 and old_half == 0:
        return change, pct, pct, pct, None
    bounds = _pct_range(float(value), half, float(old), old_half)
    if bounds is None:
        return change, pct, None, None, "base-zero"
    return change, pct, bounds[0], bounds[1], None


def _pct_text(
    value: Any, old: Any, low: float | None, high: float | None, reason: str | None
) -> str:
    """The % change as printed: ``..`` without figures, ``-`` from 0, one
    decimal for exact figures, else the range the rounding allows."""
    if reason in ("no-value", "no-earlier"):
        return ".."
    if reason == "base-zero":
        return "-"
    if low == high:
        # Exact figures: round the exact decimal quotient, not its float.
        return format_pct((_dec(value) - _dec(old)) / _dec(old) * 100)
    lo = _dec(low).quantize(_TENTH, rounding=ROUND_FLOOR)
    hi = _dec(high).quantize(_TENTH, rounding=ROUND_CEILING)
    return f"{lo}% to {hi}%"


@dataclass
class SnapshotComparison:
    """An authority's snapshot on a date, with change from an earlier one."""

    la_code: str
    la_name: str
    date: dt.date
    earlier_date: dt.date | None
    compare_weeks: int
    table: pd.DataFrame
    issues: IssueLog = field(default_factory=IssueLog)

    @property
    def target_date(self) -> dt.date:
        """The day ``compare_weeks`` before ``date`` (the earlier snapshot is the
        nearest one to it)."""
        return self.date - dt.timedelta(weeks=self.compare_weeks)

    def notes(self) -> list[str]:
        """Sentences that explain the table."""
        out = []
        if self.earlier_date is None:
            out.append(
                f"No snapshot was found {self.compare_weeks} weeks before "
                f"{self.date:%d %B %Y}, so no change is shown."
            )
        else:
            out.append(
                f"Change is from the snapshot of {self.earlier_date:%d %B %Y} "
                f"({self.compare_weeks} weeks earlier"
                + (", a rolling quarter)." if self.compare_weeks == 13 else ").")
            )
        t = self.table
        if (t["pct_reason"] == "base-zero").any():
            out.append("'-': no % change, because the earlier value was 0.")
        if (t["pct_text"].str.contains(" to ")).any():
            out.append(
                "Where a figure is known only rounded (a rate or percentage "
                "as published), the % change is shown as the range the "
                "rounding allows."
            )
        if (t["unit"] == "%").any():
            out.append("pp: percentage points.")
        if t.get("synthetic", False) is not False and bool(t["synthetic"].any()):
            out.append(
                "SYNTHETIC DATA: figures computed from a generated extract, "
                "not a real authority's records."
            )
        return out


def authority_name(store: Store, la_code: str) -> str:
    """The registry name of an authority code (the code if unknown).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     authority_name(s, "E06000016")
    'Leicester'
    """
    rows = store.con.execute(
        "SELECT la_name FROM authorities WHERE la_code = ?", [la_code]
    ).fetchall()
    return str(rows[0][0]) if rows else la_code


def _order(values: pd.DataFrame) -> pd.DataFrame:
    from lacompare.snapshot._vocab import read_measures

    rank = {(m.measure, m.breakdown): i for i, m in enumerate(read_measures())}
    keyed = values.assign(
        _rank=[
            rank.get((m, b), len(rank))
            for m, b in zip(values["measure"], values["breakdown"], strict=True)
        ],
        _row=values["source_row"].fillna(0),
    )
    return keyed.sort_values(
        ["_rank", "_row", "measure", "breakdown"], kind="stable"
    ).drop(columns=["_rank", "_row"])


def summarise_snapshot(
    store: Store,
    authority: str | None,
    date: str | dt.date,
    *,
    compare_weeks: int = 13,
    tolerance_days: int = 7,
) -> SnapshotComparison:
    """An authority's snapshot on ``date`` with change from ``compare_weeks`` before.

    Parameters
    ----------
    store
        An open store with snapshot values.
    authority
        Name or code; ``None`` when the store holds one authority's snapshots.
    date
        The snapshot date.
    compare_weeks
        How far back the earlier snapshot is (13: a rolling quarter).
    tolerance_days
        The earlier snapshot is the one nearest ``date - compare_weeks`` within
        this many days (monthly snapshots are not always on the same weekday).

    Returns
    -------
    SnapshotComparison

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.store import open_store
    >>> from lacompare.snapshot import load_snapshot
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w").write("date,measure,value\\n2024-07-05,open_cases[CLA],623\\n"
    ...                        "2024-10-04,open_cases[CLA],602\\n")
    >>> with open_store(":memory:") as s:
    ...     _ = load_snapshot(s, p, authority="Leicester")
    ...     t = summarise_snapshot(s, None, "2024-10-04").table
    >>> t[["value_text", "change_text", "pct_text"]].values.tolist()
    [['602', '-21', '-3.4%']]
    """
    from lacompare.snapshot._read import parse_date
    from lacompare.snapshot._store import read_snapshot_values

    when = parse_date(date)
    if compare_weeks < 1:
        raise InputError(f"--compare-weeks {compare_weeks}: give 1 or more")
    la, dates = match_snapshot_authority(store, authority)
    if when not in dates:
        shown = ", ".join(d.isoformat() for d in dates[-6:]) or "none"
        raise InputError(f"no snapshot of {la} on {when.isoformat()} (latest: {shown})")
    target = when - dt.timedelta(weeks=compare_weeks)
    earlier_date = nearest_snapshot_date(dates, when, target, tolerance_days)
    log = IssueLog()
    current = _order(read_snapshot_values(store, la, when.isoformat()))
    if earlier_date is None:
        earlier = current.iloc[0:0]
        log.add(
            "no-earlier-snapshot",
            f"no snapshot within {tolerance_days} days of "
            f"{target.isoformat()} ({compare_weeks} weeks before)",
        )
    else:
        earlier = read_snapshot_values(store, la, earlier_date.isoformat())
        if earlier_date != target:
            log.add(
                "earlier-snapshot-date",
                f"compared with {earlier_date} (nearest "
                f"to {target}, {compare_weeks} weeks before)",
                severity="info",
            )
    table = derive_snapshot_change(current, earlier)
    for r in table.itertuples():
        if r.pct_reason == "no-earlier" and earlier_date is not None:
            log.add(
                "no-earlier-value",
                f"{r.label}: no value on {earlier_date}",
                severity="info",
            )
    return SnapshotComparison(
        la,
        authority_name(store, la),
        when,
        earlier_date,
        compare_weeks,
        table.reset_index(drop=True),
        log,
    )


def match_snapshot_authority(
    store: Store, authority: str | None
) -> tuple[str, list[dt.date]]:
    """The authority whose snapshots to show and the dates it has: the one named,
    or the store's only one."""
    from lacompare.snapshot._read import resolve_la
    from lacompare.snapshot._store import snapshot_dates

    pairs = snapshot_dates(store)
    if not pairs:
        raise InputError(
            "the store has no snapshot values: load some first "
            "(lacompare snapshot load FILE, or snapshot extract)"
        )
    if authority:
        la = resolve_la(authority)
    else:
        las = sorted({p[0] for p in pairs})
        if len(las) > 1:
            raise InputError(
                f"the store holds snapshots of {len(las)} authorities: "
                "name one with --authority"
            )
        la = las[0]
    return la, sorted({p[1] for p in pairs if p[0] == la})


def nearest_snapshot_date(
    dates: list[dt.date], when: dt.date, target: dt.date, tolerance_days: int
) -> dt.date | None:
    """The snapshot before ``when`` nearest to ``target`` (the earlier of two
    as near), if one is within ``tolerance_days`` of it.

    Examples
    --------
    >>> d = [dt.date(2024, 7, 5), dt.date(2024, 7, 8), dt.date(2024, 10, 4)]
    >>> nearest_snapshot_date(d, d[2], dt.date(2024, 7, 5), 7)
    datetime.date(2024, 7, 5)
    """
    near = [d for d in dates if abs((d - target).days) <= tolerance_days and d < when]
    return min(near, key=lambda d: (abs((d - target).days), d)) if near else None
