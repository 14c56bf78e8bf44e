"""Derived measures from two inputs: rates, per-head figures and ratios."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lacompare.derive._store import (
    ABSENT,
    BASE_ZERO,
    TOTAL_COLUMNS,
    VALUE_COLUMNS,
    Derived,
    MeasureInfo,
    carried,
    choose,
    days_frame,
    duplicate_issues,
    lineage_frame,
    measure_info,
    registered,
    resolve_breakdown,
    write_derived,
)
from lacompare.derive._units import band_pattern, is_money, pick_band, unit_scale
from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.store import POLARITIES, current_values, list_breakdowns

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
    curated = _catalogue_population(store, band)
    if curated is not None:
        return curated
    rows = store.con.execute(
        "SELECT measure, label, unit FROM measures ORDER BY measure"
    ).fetchall()
    return pick_band(band, [(str(m), lab, unit) for m, lab, unit in rows])


def _catalogue_population(store: Store, band: str) -> str | None:
    """The catalogue's population indicator of the band (``population_0_25``), as
    its preferred source in the store, when it has one: a national store holds
    several measures naming a band (rates, copies, ratios), and the catalogue says
    which one is the population."""
    from lacompare.catalogue import read_catalogue, resolve_key

    wanted = "population_" + band.replace("-", "_").replace("–", "_")
    if not any(i.id == wanted for i in read_catalogue()):
        return None
    measure, breakdown = resolve_key(store, wanted)
    if breakdown or not store.list_periods(measure):
        return None
    return measure


def _measure_or_band(store: Store, name: str) -> MeasureInfo:
    exists = store.con.execute(
        "SELECT count(*) FROM measures WHERE measure = ?", [name]
    ).fetchall()[0][0]
    if exists:
        return measure_info(store, name)
    if band_pattern(name) is not None:
        # An age band: its own error (none, or several to choose from) says more
        # than 'no measure 0-25'.
        return measure_info(store, population_measure(store, name))
    return measure_info(store, name)


def _side(current: str, days: str, lineage: str) -> str:
    """SQL for one side's current values with their day and lineage key."""
    return f"""SELECT c.*, coalesce(l.lineage, c.k) AS lk, d.day
               FROM {current} c
               JOIN {days} d ON d.measure = c.measure AND d.period = c.period
               LEFT JOIN {lineage} l ON l.la_code = c.k"""


def match_pairs(
    store: Store,
    num: MeasureInfo,
    den: MeasureInfo,
    *,
    breakdown: str | None,
    den_breakdown: str | None,
    match: str,
    totals: bool,
) -> pd.DataFrame:
    """Each numerator value beside the denominator value it is matched to (by
    reference date or by period; the same lineage, and breakdown when
    ``den_breakdown`` is None); of the set-aside England/region rows with
    ``totals``."""
    days = days_frame(
        store, {num.measure: num.reference_date, den.measure: den.reference_date}
    )
    with registered(
        store,
        n=current_values(store, num.measure, breakdown, totals=totals),
        d=current_values(store, den.measure, den_breakdown, totals=totals),
        days=days,
        lineage=lineage_frame(store),
    ) as names:
        n_sql = _side(names["n"], names["days"], names["lineage"])
        d_sql = _side(names["d"], names["days"], names["lineage"])
        return _join_sides(store, n_sql, d_sql, den_breakdown, match)


def _join_sides(
    store: Store, n_sql: str, d_sql: str, den_breakdown: str | None, match: str
) -> pd.DataFrame:
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
            ORDER BY n.period, n.k, n.breakdown"""
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
    num, den = read_pair_measures(store, numerator, denominator, reference_dates)
    bd = resolve_breakdown(store, num.measure, breakdown)
    den_bd = resolve_breakdown(store, den.measure, denominator_breakdown)
    if den_bd == "" and "" not in _breakdowns(store, den.measure):
        raise InputError(
            f"{den.measure!r} has no values without a breakdown; choose "
            "one with denominator_breakdown (or None to match the "
            "numerator's breakdowns)"
        )
    issues = IssueLog()
    for info in (num, den):
        issues.extend(duplicate_issues(store, info.measure))
    scaling = scale_units(num, den, scale, issues)
    pairs, tot_pairs = (
        match_pairs(
            store,
            num,
            den,
            breakdown=bd,
            den_breakdown=den_bd,
            match=match,
            totals=totals,
        )
        for totals in (False, True)
    )
    if pairs.empty:
        raise InputError(
            f"no values of {num.measure!r}"
            + (f" with breakdown {bd!r}" if bd is not None else "")
        )
    out = _compute(pairs, num, den, scaling.factor, max_lag_days)
    tot = (
        _compute(tot_pairs, num, den, scaling.factor, max_lag_days)
        if len(tot_pairs)
        else None
    )
    for frame in (out, tot):
        if frame is not None:
            frame["num_breakdown"] = frame["breakdown"]
            if bd is not None:
                # One chosen breakdown is what the new measure means; store it as
                # its total.
                frame["breakdown"] = ""
    issues.extend(summarise_lineage_matches(pairs, den))
    if match == "reference-date":
        issues.extend(summarise_period_matches(out, num, den))
    recipe_doc = {
        "recipe": recipe,
        "numerator": num.measure,
        "denominator": den.measure,
        "scale": scale,
        "numerator_unit_factor": scaling.num_factor,
        "denominator_unit_factor": scaling.den_factor,
        "breakdown": bd,
        "denominator_breakdown": den_bd,
        "match": match,
        "max_lag_days": max_lag_days,
        "numerator_reference_date": num.reference_date,
        "denominator_reference_date": den.reference_date,
    }
    return write_pair(
        store,
        name=name,
        recipe=recipe_doc,
        out=out,
        tot=tot,
        num=num,
        den=den,
        label=label or _label(recipe, scale, num, den),
        unit=unit
        if unit is not None
        else _unit(recipe, scale, num, den, scaling.num_base, scaling.den_base),
        polarity=polarity or (num.polarity if recipe != "ratio" else "neutral"),
        issues=issues,
    )


def read_pair_measures(
    store: Store,
    numerator: str,
    denominator: str,
    reference_dates: Mapping[str, str] | None,
) -> tuple[MeasureInfo, MeasureInfo]:
    """The two measures (an age band names its population measure), with any
    reference dates overridden."""
    num = _measure_or_band(store, numerator)
    den = _measure_or_band(store, denominator)
    overrides = dict(reference_dates or {})
    for info in (num, den):
        for key in (info.measure, numerator if info is num else denominator):
            if key in overrides:
                info.reference_date = overrides[key]
    return num, den


@dataclass(frozen=True)
class Scaling:
    """How two measures' units are put on one scale: each one's base unit and
    factor, and the factor the quotient is multiplied by (with the recipe's)."""

    num_base: str | None
    num_factor: float
    den_base: str | None
    den_factor: float
    factor: float


def scale_units(
    num: MeasureInfo, den: MeasureInfo, scale: float, issues: IssueLog
) -> Scaling:
    """Money in £ thousand or £ million is made £; each such input is noted."""
    num_base, num_factor = unit_scale(num.unit)
    den_base, den_factor = unit_scale(den.unit)
    for info, f in ((num, num_factor), (den, den_factor)):
        if f != 1:
            issues.add(
                "unit-scaled",
                f"{info.measure} is in {info.unit}: multiplied by {f:,.0f} to work "
                "in £",
                severity="info",
            )
    return Scaling(
        num_base, num_factor, den_base, den_factor, scale * num_factor / den_factor
    )


def summarise_lineage_matches(pairs: pd.DataFrame, den: MeasureInfo) -> IssueLog:
    """An issue naming values matched to a denominator filed under the same
    authority's former code."""
    issues = IssueLog()
    recoded = pairs[pairs["dk"].notna() & (pairs["dk"] != pairs["k"])]
    if len(recoded):
        shown = sorted(
            f"{k}[{p}]←{dk}"
            for k, p, dk in zip(
                recoded["k"], recoded["period"], recoded["dk"], strict=True
            )
        )
        issues.add(
            "lineage-matched",
            f"{len(recoded)} values used a {den.measure} "
            "filed under the same authority's former ONS code (a recode "
            "without boundary change): " + ", ".join(shown[:6]),
            severity="info",
        )
    return issues


def summarise_period_matches(
    out: pd.DataFrame, num: MeasureInfo, den: MeasureInfo
) -> IssueLog:
    """An issue listing the periods matched by reference date that differ."""
    issues = IssueLog()
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
    return issues


def _description(recipe: dict[str, Any]) -> str:
    """The derived measure's description, from its recipe."""
    bd, den_bd, scale = (
        recipe["breakdown"],
        recipe["denominator_breakdown"],
        recipe["scale"],
    )
    n_day = recipe["numerator_reference_date"] or "31 March"
    d_day = recipe["denominator_reference_date"] or "31 March"
    return (
        f"derived ({recipe['recipe']}): {recipe['numerator']}"
        + (f" [{bd}]" if bd else "")
        + f" / {recipe['denominator']}"
        + (f" [{den_bd}]" if den_bd else "")
        + (f" × {scale:,g}" if scale != 1 else "")
        + (
            f"; periods matched by reference date ({n_day} ↔ latest "
            f"{d_day} on or before)"
            if recipe["match"] == "reference-date"
            else "; same period"
        )
    )


def write_pair(
    store: Store,
    *,
    name: str,
    recipe: dict[str, Any],
    out: pd.DataFrame,
    tot: pd.DataFrame | None,
    num: MeasureInfo,
    den: MeasureInfo,
    label: str,
    unit: str,
    polarity: str,
    issues: IssueLog,
) -> Derived:
    """Store the derived values (and totals) with their inputs."""
    import pandas as pd

    values = out[VALUE_COLUMNS]
    totals = None
    inputs = _inputs_frame(out, num, den, "authority")
    if tot is not None:
        totals = tot.rename(columns={"la_code": "area_code"})[TOTAL_COLUMNS]
        inputs = pd.concat(
            [inputs, _inputs_frame(tot, num, den, "total")], ignore_index=True
        )
    source_id = write_derived(
        store,
        name=name,
        recipe=recipe,
        values=values,
        inputs=inputs,
        label=label,
        unit=unit,
        polarity=polarity,
        reference_date=num.reference_date,
        description=_description(recipe),
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


def _breakdowns(store: Store, measure: str) -> set[str]:
    return set(list_breakdowns(store, measure))


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
