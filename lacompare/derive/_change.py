"""Change over time: year-on-year differences and % change of a measure, stored
as a new measure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lacompare.derive._store import (
    ABSENT,
    BASE_ZERO,
    TOTAL_COLUMNS,
    VALUE_COLUMNS,
    Derived,
    carried,
    choose,
    current_with_days,
    duplicate_issues,
    measure_info,
    resolve_breakdown,
    with_previous_year,
    write_derived,
)
from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

CHANGES = ("difference", "percent")


def derive_change(
    store: Store,
    measure: str,
    *,
    how: str = "difference",
    name: str | None = None,
    breakdown: str | None = None,
    polarity: str | None = None,
    reference_date: str | None = None,
) -> Derived:
    """Year-on-year difference or % change of a measure, stored as a new measure.

    Each value is compared with the same authority's value one year earlier (by
    reference day: 31 March 2017 with 31 March 2016, 2016-17 with 2015-16). A
    percent change from 0 is missing with reason ``base-zero`` and prints ``-``, as
    councils print it; a change with a missing input carries its reason
    (``input-suppressed``); a first year, or a year after a gap, is
    ``input-absent``.

    Parameters
    ----------
    store
        An open, writable store.
    measure
        The measure to difference.
    how
        ``difference`` (value - previous) or ``percent`` (100 × difference /
        previous).
    name
        The new measure (default ``<measure>_yoy_diff`` / ``<measure>_yoy_pct``).
    breakdown
        Only this breakdown (default: each breakdown separately).
    polarity
        Default: the measure's (a rise in a higher-is-better measure is better).
    reference_date
        Override the measure's reference date.

    Returns
    -------
    Derived

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([
    ...     {"la_code": "E06000001", "measure": "m", "period": "2020", "value": 0},
    ...     {"la_code": "E06000001", "measure": "m", "period": "2021", "value": 5},
    ... ], file="x")
    >>> d = derive_change(s, "m", how="percent")
    >>> d.values[["period", "value", "missing_reason"]].values.tolist()
    [['2020', nan, 'input-absent'], ['2021', nan, 'base-zero']]
    """
    if how not in CHANGES:
        raise InputError(f"how must be one of {', '.join(CHANGES)}, not {how!r}")
    info = measure_info(store, measure)
    ref = reference_date or info.reference_date
    bd = resolve_breakdown(store, measure, breakdown)
    issues = duplicate_issues(store, measure)
    out, tot = (
        change_values(store, measure, bd, ref, how, totals=totals)
        for totals in (False, True)
    )
    if out is None:
        raise InputError(f"no values of {measure!r}")
    recipe = {
        "recipe": f"change-{how}",
        "measure": measure,
        "breakdown": bd,
        "reference_date": ref,
    }
    values, inputs, totals = _change_frames(out, tot, measure)
    name = name or f"{measure}_yoy_{'diff' if how == 'difference' else 'pct'}"
    source_id = write_derived(
        store,
        name=name,
        recipe=recipe,
        values=values,
        inputs=inputs,
        label=f"{info.label or measure}: year-on-year "
        f"{'% change' if how == 'percent' else 'change'}",
        unit="%" if how == "percent" else info.unit,
        polarity=polarity or info.polarity,
        reference_date=ref,
        description=f"derived (change-{how}): {measure}"
        + (f" [{bd}]" if bd else "")
        + " minus its value one year earlier"
        + (", as % of that value; '-' where it is 0" if how == "percent" else ""),
        totals=totals,
    )
    return Derived(
        measure=name,
        recipe=recipe,
        values=values.drop(columns=["raw"]).reset_index(drop=True),
        source_id=source_id,
        totals=0 if totals is None else len(totals),
        issues=issues,
    )


def change_values(
    store: Store,
    measure: str,
    breakdown: str | None,
    reference_date: str | None,
    how: str,
    *,
    totals: bool = False,
) -> pd.DataFrame | None:
    """Each current value's change from a year before (of the England/region
    rows with ``totals``); None when there are no values. One chosen breakdown
    is stored as the new measure's total (``input_breakdown`` keeps it)."""
    cur = current_with_days(
        store, measure, breakdown, reference_date, None, totals=totals
    )
    if cur.empty:
        return None
    frame = _change_values(cur, how)
    if breakdown is not None:
        frame["input_breakdown"] = frame["breakdown"]
        frame["breakdown"] = ""
    return frame


def _change_frames(
    out: pd.DataFrame, tot: pd.DataFrame | None, measure: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The values, inputs and England/region totals to store."""
    import pandas as pd

    inputs = _change_inputs(out, measure, "authority")
    totals = None
    if tot is not None:
        totals = tot.rename(columns={"la_code": "area_code"})[TOTAL_COLUMNS]
        inputs = pd.concat(
            [inputs, _change_inputs(tot, measure, "total")], ignore_index=True
        )
    return out[VALUE_COLUMNS], inputs, totals


def _change_values(cur: pd.DataFrame, how: str) -> pd.DataFrame:
    import numpy as np

    m = with_previous_year(cur)
    v = m["value"].to_numpy(dtype=float)
    p = m["value_prev"].to_numpy(dtype=float)
    found = m["found"].to_numpy()
    cur_missing = np.isnan(v)
    prev_missing = found & np.isnan(p)
    zero = found & ~prev_missing & (p == 0) & (how == "percent")
    ok = ~cur_missing & found & ~prev_missing & ~zero
    value = np.full(len(m), np.nan)
    diff = v - p
    value[ok] = diff[ok] if how == "difference" else 100.0 * diff[ok] / p[ok]
    r_cur = np.array(
        [
            carried(r, lab)
            for r, lab in zip(m["missing_reason"], m["label"], strict=True)
        ],
        dtype=object,
    )
    r_prev = np.array(
        [
            carried(r, lab)
            for r, lab in zip(m["missing_reason_prev"], m["label_prev"], strict=True)
        ],
        dtype=object,
    )
    reason = choose(
        [cur_missing, ~found, prev_missing, zero],
        [r_cur, ABSENT, r_prev, BASE_ZERO],
        len(m),
    )
    m["input_reason"] = m["missing_reason"]
    m["value"] = value
    m["missing_reason"] = reason
    m["raw"] = choose([reason == BASE_ZERO], ["-"], len(m))
    prev_period = m["period_prev"].where(found, None).fillna("none")
    m["inputs"] = (
        "[" + m["period"].astype(str) + "] - [" + prev_period.astype(str) + "]"
    )
    m["v_cur"] = v
    m["v_prev"] = np.where(found, p, np.nan)
    return m


def _change_inputs(out: pd.DataFrame, measure: str, level: str) -> pd.DataFrame:
    import pandas as pd

    base = {
        "level": level,
        "la_code": out["la_code"],
        "period": out["period"],
        "breakdown": out["breakdown"],
        "input_measure": measure,
        "input_breakdown": out.get("input_breakdown", out["breakdown"]),
    }
    a = pd.DataFrame(
        {
            **base,
            "role": "current",
            "input_period": out["period"],
            "input_value": out["v_cur"],
            "input_missing_reason": out["input_reason"],
        }
    )
    found = out["found"]
    b = pd.DataFrame(
        {
            **base,
            "role": "previous",
            "input_period": out["period_prev"].where(found, None),
            "input_value": out["v_prev"],
            "input_missing_reason": out["missing_reason_prev"].where(found, None),
        }
    )
    return pd.concat([a, b], ignore_index=True)
