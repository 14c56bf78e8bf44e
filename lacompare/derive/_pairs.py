"""Derived measures from two inputs: rates, per-head figures and ratios."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lacompare.derive._store import (
    ABSENT,
    BASE_ZERO,
    Derived,
    MeasureInfo,
    carried,
    choose,
    current_sql,
    days_frame,
    duplicate_count,
    lineage_frame,
    measure_info,
    registered,
    resolve_breakdown,
    write_derived,
)
from lacompare.derive._units import is_money, pick_band, unit_scale
from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.store import POLARITIES

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

MATCHES = ("reference-date", "same-period")
#: A population more than this many days older than the count is not its match
#: (31 March vs the previous mid-year is 275 days).
MAX_LAG_DAYS = 366


def population_measure(store: Store, band: str) -> str:
    """The population measure for an age band ('0-17', '0-25', '2-18').

    Looks for exactly one measure whose id or label names the band.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO measures (measure, unit) VALUES "
    ...     "('pop_0_17', 'persons'), ('pop_0_25', 'persons')")
    >>> population_measure(s, "0-25")
    'pop_0_25'
    """
    rows = store.con.execute(
        "SELECT measure, label, unit FROM measures ORDER BY measure"
    ).fetchall()
    return pick_band(band, [(str(m), lab, unit) for m, lab, unit in rows])


def _measure_or_band(store: Store, name: str) -> MeasureInfo:
    exists = store.con.execute(
        "SELECT count(*) FROM measures WHERE measure = ?", [name]
    ).fetchall()[0][0]
    if exists:
        return measure_info(store, name)
    try:
        return measure_info(store, population_measure(store, name))
    except InputError:
        return measure_info(store, name)  # the plain 'no measure' error


def _side(
    store: Store,
    info: MeasureInfo,
    breakdown: str | None,
    table: str,
    days: str,
    lineage: str,
) -> tuple[str, list[Any]]:
    sql = f"""SELECT c.*, coalesce(l.lineage, c.k) AS lk, d.day
              FROM ({current_sql(table, breakdown)}) c
              JOIN {days} d ON d.measure = c.measure AND d.period = c.period
              LEFT JOIN {lineage} l ON l.la_code = c.k"""
    return sql, [info.measure] + ([breakdown] if breakdown is not None else [])


def _joined(
    store: Store,
    num: MeasureInfo,
    den: MeasureInfo,
    *,
    breakdown: str | None,
    den_breakdown: str | None,
    match: str,
    table: str,
    days: str,
    lineage: str,
) -> pd.DataFrame:
    n_sql, n_params = _side(store, num, breakdown, table, days, lineage)
    d_sql, d_params = _side(store, den, den_breakdown, table, days, lineage)
    same_breakdown = " AND n.breakdown = d.breakdown" if den_breakdown is None else ""
    if match == "reference-date":
        join = (
            f"ASOF LEFT JOIN ({d_sql}) d ON n.lk = d.lk{same_breakdown} "
            "AND n.day >= d.day"
        )
    else:
        join = (
            f"LEFT JOIN ({d_sql}) d ON n.lk = d.lk{same_breakdown} "
            "AND n.period = d.period"
        )
    return store.query(
        f"""SELECT n.k, n.area_name, n.period, n.breakdown, n.value AS nv,
                   n.missing_reason AS nr, n.label AS nl, n.day AS nd,
                   d.k AS dk, d.period AS dp, d.breakdown AS db, d.value AS dv,
                   d.missing_reason AS dr, d.label AS dl, d.day AS dd
            FROM ({n_sql}) n {join}
            ORDER BY n.period, n.k, n.breakdown""",
        n_params + d_params,
    )


def _compute(
    frame: pd.DataFrame,
    num: MeasureInfo,
    den: MeasureInfo,
    scale: float,
    max_lag_days: int,
) -> pd.DataFrame:
    """Vectorised: the derived value or the reason it is missing, per row."""
    import numpy as np
    import pandas as pd

    nv = frame["nv"].to_numpy(dtype=float)
    dv = frame["dv"].to_numpy(dtype=float)
    lag = (frame["nd"] - frame["dd"]).dt.days.to_numpy(dtype=float)
    found = frame["dk"].notna().to_numpy() & ~(lag > max_lag_days)
    num_missing = np.isnan(nv)
    den_missing = found & np.isnan(dv)
    den_zero = found & ~den_missing & (dv == 0)
    ok = ~num_missing & found & ~den_missing & ~den_zero
    value = np.full(len(frame), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        value[ok] = nv[ok] / dv[ok] * scale
    num_reason = [
        carried(r, lab) for r, lab in zip(frame["nr"], frame["nl"], strict=True)
    ]
    den_reason = [
        carried(r, lab) for r, lab in zip(frame["dr"], frame["dl"], strict=True)
    ]
    reason = choose(
        [num_missing, ~found, den_missing, den_zero],
        [
            np.array(num_reason, dtype=object),
            ABSENT,
            np.array(den_reason, dtype=object),
            BASE_ZERO,
        ],
        len(frame),
    )
    dp = frame["dp"].where(found, None)
    inputs = (
        f"{num.measure}["
        + frame["period"].astype(str)
        + f"] / {den.measure}["
        + dp.fillna("none").astype(str)
        + "]"
    )
    return pd.DataFrame(
        {
            "la_code": frame["k"],
            "area_name": frame["area_name"],
            "period": frame["period"],
            "breakdown": frame["breakdown"],
            "value": value,
            "missing_reason": reason,
            "raw": choose([reason == BASE_ZERO], ["-"], len(frame)),
            "inputs": inputs,
            "den_period": dp,
            "den_breakdown": frame["db"].where(found),
            "nv": nv,
            "nr": frame["nr"],
            "dv": np.where(found, dv, np.nan),
            "dr": frame["dr"].where(found, None),
        }
    )


def _inputs_frame(
    out: pd.DataFrame, num: MeasureInfo, den: MeasureInfo, level: str
) -> pd.DataFrame:
    import pandas as pd

    base = {
        "level": level,
        "la_code": out["la_code"],
        "period": out["period"],
        "breakdown": out["breakdown"],
    }
    a = pd.DataFrame(
        {
            **base,
            "role": "numerator",
            "input_measure": num.measure,
            "input_period": out["period"],
            "input_breakdown": out["num_breakdown"],
            "input_value": out["nv"],
            "input_missing_reason": out["nr"],
        }
    )
    b = pd.DataFrame(
        {
            **base,
            "role": "denominator",
            "input_measure": den.measure,
            "input_period": out["den_period"],
            "input_breakdown": out["den_breakdown"],
            "input_value": out["dv"],
            "input_missing_reason": out["dr"],
        }
    )
    return pd.concat([a, b], ignore_index=True)


def derive_pair(
    store: Store,
    numerator: str,
    denominator: str,
    *,
    recipe: str,
    scale: float,
    name: str,
    unit: str | None,
    label: str | None,
    polarity: str | None,
    breakdown: str | None,
    denominator_breakdown: str | None,
    match: str,
    max_lag_days: int,
    reference_dates: Mapping[str, str] | None,
) -> Derived:
    """Shared engine of :func:`derive_rate`, :func:`derive_per_head`, ratios."""
    if match not in MATCHES:
        raise InputError(f"match must be one of {', '.join(MATCHES)}, not {match!r}")
    if polarity is not None and polarity not in POLARITIES:
        raise InputError(f"polarity must be one of {', '.join(POLARITIES)}")
    num = _measure_or_band(store, numerator)
    den = _measure_or_band(store, denominator)
    overrides = dict(reference_dates or {})
    for info in (num, den):
        for key in (info.measure, numerator if info is num else denominator):
            if key in overrides:
                info.reference_date = overrides[key]
    bd = resolve_breakdown(store, num.measure, breakdown)
    den_bd = resolve_breakdown(store, den.measure, denominator_breakdown)
    issues = IssueLog()
    if den_bd == "" and "" not in _breakdowns(store, den.measure):
        raise InputError(
            f"{den.measure!r} has no values without a breakdown; choose "
            "one with denominator_breakdown (or None to match the "
            "numerator's breakdowns)"
        )
    for info in (num, den):
        dups = duplicate_count(store, info.measure)
        if dups:
            issues.add(
                "duplicate-values",
                f"{info.measure}: {dups:,} values are held "
                "by more than one load; the latest load's value is used",
                severity="info",
            )
    num_base, num_factor = unit_scale(num.unit)
    den_base, den_factor = unit_scale(den.unit)
    factor = scale * num_factor / den_factor
    for info, f in ((num, num_factor), (den, den_factor)):
        if f != 1:
            issues.add(
                "unit-scaled",
                f"{info.measure} is in {info.unit}: multiplied "
                f"by {f:,.0f} to work in £",
                severity="info",
            )
    days = days_frame(
        store, {num.measure: num.reference_date, den.measure: den.reference_date}
    )
    with registered(store, days=days, lineage=lineage_frame(store)) as names:
        pairs = _joined(
            store,
            num,
            den,
            breakdown=bd,
            den_breakdown=den_bd,
            match=match,
            table="observations",
            **names,
        )
        tot_pairs = _joined(
            store,
            num,
            den,
            breakdown=bd,
            den_breakdown=den_bd,
            match=match,
            table="totals",
            **names,
        )
    if pairs.empty:
        raise InputError(
            f"no values of {num.measure!r}"
            + (f" with breakdown {bd!r}" if bd is not None else "")
        )
    out = _compute(pairs, num, den, factor, max_lag_days)
    out["num_breakdown"] = out["breakdown"]
    if bd is not None:
        # One chosen breakdown is what the new measure means; store it as its total.
        out["breakdown"] = ""
    recoded = pairs[pairs["dk"].notna() & (pairs["dk"] != pairs["k"])]
    if len(recoded):
        issues.add(
            "lineage-matched",
            f"{len(recoded)} values used a {den.measure} "
            "filed under the same authority's former ONS code (a recode "
            "without boundary change): "
            + ", ".join(
                sorted(
                    f"{k}[{p}]←{dk}"
                    for k, p, dk in zip(
                        recoded["k"], recoded["period"], recoded["dk"], strict=True
                    )
                )[:6]
            ),
            severity="info",
        )
    tot = (
        _compute(tot_pairs, num, den, factor, max_lag_days) if len(tot_pairs) else None
    )
    if tot is not None:
        tot["num_breakdown"] = tot["breakdown"]
        if bd is not None:
            tot["breakdown"] = ""
    if match == "reference-date":
        matched = out.dropna(subset=["den_period"])
        shifts = sorted(
            {
                (p, q)
                for p, q in zip(matched["period"], matched["den_period"], strict=True)
                if p != q
            }
        )
        if shifts:
            n_ref = num.reference_date or "no reference date"
            d_ref = den.reference_date or "no reference date"
            pairs_text = ", ".join(f"{p}→{q}" for p, q in shifts[:6])
            issues.add(
                "periods-matched",
                f"{num.measure} ({n_ref}) matched to "
                f"{den.measure} ({d_ref}) by reference date: {pairs_text}"
                + (" …" if len(shifts) > 6 else ""),
                severity="info",
            )
    recipe_doc = {
        "recipe": recipe,
        "numerator": num.measure,
        "denominator": den.measure,
        "scale": scale,
        "numerator_unit_factor": num_factor,
        "denominator_unit_factor": den_factor,
        "breakdown": bd,
        "denominator_breakdown": den_bd,
        "match": match,
        "max_lag_days": max_lag_days,
        "numerator_reference_date": num.reference_date,
        "denominator_reference_date": den.reference_date,
    }
    if unit is None:
        unit = _unit(recipe, scale, num, den, num_base, den_base)
    n_day = num.reference_date or "31 March"
    d_day = den.reference_date or "31 March"
    description = (
        f"derived ({recipe}): {num.measure}"
        + (f" [{bd}]" if bd else "")
        + f" / {den.measure}"
        + (f" [{den_bd}]" if den_bd else "")
        + (f" × {scale:,g}" if scale != 1 else "")
        + (
            f"; periods matched by reference date ({n_day} ↔ latest "
            f"{d_day} on or before)"
            if match == "reference-date"
            else "; same period"
        )
    )
    values = out[
        ["la_code", "period", "breakdown", "value", "missing_reason", "raw", "inputs"]
    ]
    totals = None
    if tot is not None:
        totals = tot.rename(columns={"la_code": "area_code"})[
            [
                "area_code",
                "area_name",
                "period",
                "breakdown",
                "value",
                "missing_reason",
                "raw",
                "inputs",
            ]
        ]
    import pandas as pd

    inputs = _inputs_frame(out, num, den, "authority")
    if tot is not None:
        inputs = pd.concat(
            [inputs, _inputs_frame(tot, num, den, "total")], ignore_index=True
        )
    source_id = write_derived(
        store,
        name=name,
        recipe=recipe_doc,
        values=values,
        inputs=inputs,
        label=label or _label(recipe, scale, num, den),
        unit=unit,
        polarity=polarity or (num.polarity if recipe != "ratio" else "neutral"),
        reference_date=num.reference_date,
        description=description,
        totals=totals,
    )
    return Derived(
        measure=name,
        recipe=recipe_doc,
        values=values.rename(columns={"inputs": "inputs"})
        .drop(columns=["raw"])
        .reset_index(drop=True),
        source_id=source_id,
        totals=0 if totals is None else len(totals),
        issues=issues,
    )


def _breakdowns(store: Store, measure: str) -> set[str]:
    return {
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT breakdown FROM observations WHERE measure = ?", [measure]
        ).fetchall()
    }


def _unit(
    recipe: str,
    scale: float,
    num: MeasureInfo,
    den: MeasureInfo,
    num_base: str | None,
    den_base: str | None,
) -> str:
    money = "£ " if is_money(num.unit) else ""
    if recipe == "rate":
        return f"{money}per {scale:,g}"
    if recipe == "per-head":
        return f"{money}per head"
    top = num_base or num.measure
    bottom = den_base or den.measure
    return f"{top} per {bottom}" + (f" × {scale:,g}" if scale != 1 else "")


def _label(recipe: str, scale: float, num: MeasureInfo, den: MeasureInfo) -> str:
    top = num.label or num.measure
    bottom = den.label or den.measure
    if recipe == "rate":
        return f"{top} per {scale:,g} of {bottom}"
    if recipe == "per-head":
        return f"{top} per head of {bottom}"
    return f"{top} per {bottom}"
