"""The reading steps of :func:`lacompare.analysis.compare`.

What to compare (authorities, measures, breakdown, each measure's period) and
the values, published totals, rate inputs and neighbour links behind it, all
through the store's interface (:meth:`lacompare.store.Store.values_relation`):
one pass over the values finds each measure's breakdowns and periods, a second
fetches the chosen periods' values as numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store

#: England's area code.
ENGLAND_CODE = "E92000001"
#: A measure list at most this long filters the pass over the values; a longer one
#: (or none) scans every measure (a large IN list costs more than it saves).
FEW_MEASURES = 64

#: (measure, label, unit, polarity, reference_date) of a measure compared.
MeasureRow = tuple[Any, ...]
#: measure → breakdown → the periods with any value.
Held = dict[str, dict[str, list[str]]]


def read_authorities(store: Store) -> list[tuple[Any, ...]]:
    """The registry: (la_code, dfe_code, la_name, region, region_code, valid_to,
    valid_from) of every authority, in the store's order."""
    return store.con.execute(
        "SELECT la_code, dfe_code, la_name, region, region_code, valid_to, "
        "valid_from FROM authorities"
    ).fetchall()


def resolve_authorities(
    la: str | Sequence[str] | None, period: str | None = None
) -> list[str] | None:
    """Store keys of the requested authorities (None = all).

    Exact names, codes and aliases only (:func:`lacompare.geography.
    match_authority_strict`): a misspelling is refused with the nearest names, and
    an authority that did not exist in ``period`` (today's, with no period) is
    refused naming its successors, where it would otherwise give an empty row.
    """
    if la is None or (isinstance(la, str) and la.strip().lower() in ("all", "*")):
        return None
    from lacompare.cells import period_as_of
    from lacompare.geography import match_authority_strict
    from lacompare.store import authority_key

    day = period_as_of(period) if period else None
    items = [la] if isinstance(la, str) else list(la)
    out = []
    for item in items:
        # 'dfe:820' is how the store keys an authority that never had an ONS code.
        text = str(item).strip().removeprefix("dfe:")
        m = match_authority_strict(text, as_of=day, current=day is None)
        out.append(authority_key(m.la_code, m.dfe_code))
    return list(dict.fromkeys(out))


def parse_measures(measures: str | Sequence[str] | None) -> list[str] | None:
    """The measures asked for ('a,b' or a list); None for every measure."""
    if isinstance(measures, str):
        return [m.strip() for m in measures.split(",") if m.strip()]
    return None if measures is None else list(measures)


def read_periods_held(store: Store, wanted: list[str] | None) -> Held:
    """One pass over the values: each measure's breakdowns and, for each, the
    periods with any value (which measures hold values, the breakdown check and the
    latest period all come from this)."""
    few = wanted is not None and len(wanted) <= FEW_MEASURES
    rel = store.values_relation(
        measures=wanted if few else None,
        columns=["measure", "breakdown", "period", "value"],
    )
    res = rel.aggregate(
        "measure, breakdown, period, count(value) > 0 AS valued",
        "measure, breakdown, period",
    ).fetchnumpy()
    measures, breakdowns = res["measure"].tolist(), res["breakdown"].tolist()
    out: Held = {}
    for measure, breakdown in set(zip(measures, breakdowns, strict=True)):
        out.setdefault(measure, {})[breakdown] = []
    for measure, breakdown, period, valued in zip(
        measures,
        breakdowns,
        res["period"].tolist(),
        res["valued"].tolist(),
        strict=True,
    ):
        if valued:
            out[measure][breakdown].append(period)
    return out


def read_measure_rows(
    store: Store, wanted: list[str] | None, held: Held
) -> list[MeasureRow]:
    """(measure, label, unit, polarity, reference_date) of the measures compared, in
    the order asked (by name when none were named)."""
    rows = store.con.execute(
        """SELECT measure, label, unit, coalesce(polarity, 'neutral'), reference_date
           FROM measures WHERE coalesce(unit, '') <> 'category'"""
    ).fetchall()
    meta = {r[0]: r for r in rows if r[0] in held}
    if wanted is None:
        return [meta[m] for m in sorted(meta)]
    missing = [m for m in wanted if m not in meta]
    if missing:
        from lacompare.derive import measure_info

        for m in missing:
            measure_info(store, m)  # raises a one-line error naming near measures
        raise InputError(f"measure(s) {', '.join(missing)} hold no numbers")
    last = {m: i for i, m in enumerate(wanted)}
    return [meta[m] for m in sorted(last, key=last.__getitem__)]


def match_breakdown(held: Held, measures: list[str], breakdown: str) -> str:
    """The breakdown to compare: exact, or the one breakdown containing the text.

    A breakdown a measure does not have is refused, naming the ones it has.
    """
    rows = [(m, sorted(held[m])) for m in measures]
    if breakdown and rows and all(breakdown not in a for _, a in rows):
        hits = {b for _, a in rows for b in a if breakdown.lower() in b.lower()}
        if len(hits) == 1:
            breakdown = hits.pop()
    for measure, available in rows:
        if breakdown not in available:
            shown = "; ".join(repr(b) for b in available[:8])
            raise InputError(
                f"measure {measure!r} has no breakdown {breakdown!r} "
                f"('' is the total); it has: {shown} — choose one with "
                "--breakdown"
            )
    return breakdown


def choose_periods(
    held: Held, meta: list[MeasureRow], period: str | None, breakdown: str
) -> dict[str, str]:
    """The period compared for each measure: the one given, else the latest (by
    reference day, then period) with any value."""
    from lacompare.derive import reference_day

    if period is not None:
        return {r[0]: str(period) for r in meta}
    days: dict[tuple[str, str | None], Any] = {}  # few distinct (period, reference)
    latest: dict[tuple[tuple[str, ...], str | None], str | None] = {}  # by period list
    out = {}
    for measure, _, _, _, ref in meta:
        ref = ref if isinstance(ref, str) else None
        periods = tuple(sorted(held[measure].get(breakdown, ())))
        if (periods, ref) not in latest:
            best = None
            for p in periods:
                if (p, ref) not in days:
                    days[(p, ref)] = reference_day(p, ref)
                day = days[(p, ref)]
                if day is not None and (best is None or (day, p) > best):
                    best = (day, p)
            latest[(periods, ref)] = None if best is None else best[1]
        chosen = latest[(periods, ref)]
        if chosen is not None:
            out[measure] = chosen
    return out


def _filled(col: Any, fill: Any) -> Any:
    """A column from ``fetchnumpy`` with NULLs as ``fill``."""
    import numpy as np

    if not np.ma.isMaskedArray(col):
        return np.asarray(col)
    data = np.ma.getdata(col)
    if data.dtype == object or isinstance(fill, float):
        data = data.astype(object if data.dtype == object else float)
    return np.where(np.ma.getmaskarray(col), fill, data)


def read_compared_values(
    store: Store,
    measures: list[str],
    chosen: dict[str, str],
    codes: list[str],
    breakdown: str,
    reasons_for: list[int] | None,
    full: bool = False,
) -> dict[str, Any]:
    """Every authority's value of each measure in its chosen period, as arrays:
    ``key`` = authority index (into ``codes``; -1 when ``authorities`` lacks it) ×
    number of measures + measure index; ``value`` (NaN when missing);
    ``missing_reason`` (only for the authorities ``reasons_for``, None = all).

    ``full`` adds ``source_id`` and, for codes not in ``authorities``, ``other`` (the
    code): the caller asks again with it when a key repeats or is negative (rare).
    A value that is a member's copy of a joint return has ``joint_members`` (the
    group's codes, the counted one first), ``joint_partnership`` and
    ``joint_counted`` False for every member but the first (the store's
    ``joint="flag"``); other values None, None and True.
    """
    import numpy as np

    idx = [i for i, m in enumerate(measures) if m in chosen]
    if not idx:
        return {
            "key": np.array([], dtype=np.int64),
            "value": np.array([]),
            "missing_reason": np.array([], dtype=object),
            "joint_members": np.array([], dtype=object),
            "joint_partnership": np.array([], dtype=object),
            "joint_counted": np.array([], dtype=bool),
        }
    picked = [measures[i] for i in idx]
    values = store.values_relation(
        measures=picked if len(picked) <= FEW_MEASURES else None,
        breakdowns=breakdown,
        columns=["la_code", "measure", "period", "value", "missing_reason"]
        + (["source_id"] if full else []),
        joint="flag",
    ).set_alias("o")
    wanted = store.con.sql(
        "SELECT unnest(?::VARCHAR[]) AS measure, unnest(?::VARCHAR[]) AS period, "
        "unnest(?::BIGINT[]) AS m_i",
        params=[picked, [chosen[m] for m in picked], idx],
    ).set_alias("c")
    targets = set(range(len(codes))) if reasons_for is None else set(reasons_for)
    places = store.con.sql(
        "SELECT unnest(?::VARCHAR[]) AS la_code, unnest(?::BIGINT[]) AS la_i, "
        "unnest(?::BOOLEAN[]) AS target",
        params=[
            codes,
            list(range(len(codes))),
            [i in targets for i in range(len(codes))],
        ],
    ).set_alias("a")
    reason = "o.missing_reason"
    if reasons_for is not None and not full:
        reason = "CASE WHEN a.target THEN o.missing_reason END"
    extra = (
        ", o.source_id, CASE WHEN a.la_i IS NULL THEN o.la_code END AS other"
        if full
        else ""
    )
    res = (
        values.join(wanted, "c.measure = o.measure AND c.period = o.period")
        .join(places, "a.la_code = o.la_code", how="left")
        .select(
            f"coalesce(a.la_i, -1) * {len(measures)} + c.m_i AS key, "
            "coalesce(o.value, 'NaN'::DOUBLE) AS value, "
            f"{reason} AS missing_reason, o.joint_members, o.joint_partnership, "
            f"o.joint_counted {extra}"
        )
        .fetchnumpy()
    )
    out = {
        "key": np.asarray(res["key"], dtype=np.int64),
        "value": np.asarray(res["value"], dtype=float),
        "missing_reason": _filled(res["missing_reason"], None),
        "joint_members": _filled(res["joint_members"], None),
        "joint_partnership": _filled(res["joint_partnership"], None),
        "joint_counted": _filled(res["joint_counted"], True).astype(bool),
    }
    if full:
        out["source_id"] = np.asarray(res["source_id"], dtype=np.int64)
        out["other"] = _filled(res["other"], None)
    return out


def choose_neighbour_set(store: Store, neighbour_set: str | None) -> str | None:
    """The neighbour set asked for (refused when unknown), else the latest."""
    rows = store.con.execute(
        """SELECT set_id FROM neighbour_sets
           ORDER BY valid_for DESC NULLS LAST, created_at DESC, set_id DESC"""
    ).fetchall()
    sets = [r[0] for r in rows]
    if neighbour_set is None:
        if sets:
            return str(sets[0])
        # Neighbours loaded without a neighbour_sets row still count.
        loose = store.con.execute(
            "SELECT DISTINCT set_id FROM neighbours ORDER BY 1 DESC"
        ).fetchall()
        return str(loose[0][0]) if loose else None
    if neighbour_set in sets:
        return neighbour_set
    known = set(sets) | {
        r[0]
        for r in store.con.execute("SELECT DISTINCT set_id FROM neighbours").fetchall()
    }
    if neighbour_set not in known:
        raise InputError(
            f"no neighbour set {neighbour_set!r}; the store has: "
            + (", ".join(sorted(known)) or "none")
        )
    return neighbour_set


def read_neighbour_links(
    store: Store, set_id: str, targets: list[str] | None
) -> list[tuple[str, str]]:
    """(la_code, neighbour_code) of a neighbour set, for ``targets`` (None: all)."""
    only = "AND la_code IN (SELECT unnest(?::VARCHAR[]))" if targets is not None else ""
    params: list[Any] = [set_id] + ([targets] if targets is not None else [])
    return store.con.execute(
        f"SELECT la_code, neighbour_code FROM neighbours WHERE set_id = ? {only}",
        params,
    ).fetchall()


def read_derived_sources(store: Store) -> set[int]:
    """The source ids of derivations (``lacompare derive``'s loads)."""
    from lacompare.derive import DERIVED_PREFIX

    return set(
        store.con.execute(
            "SELECT coalesce(list(source_id), []) FROM sources "
            "WHERE starts_with(file, ?)",
            [DERIVED_PREFIX],
        ).fetchall()[0][0]
    )


def read_totals(
    store: Store,
    chosen: dict[str, str],
    breakdown: str,
    regions: list[str] | None,
    derived: set[int],
) -> list[tuple[Any, ...]]:
    """Published (or derived-from-published) England and region rows of the chosen
    periods, the latest source's for each area: (area_code, area_name, measure,
    value, source); only England and ``regions`` when given. ``derived``: the
    source ids of derivations."""
    if not chosen:
        return []
    params: dict[str, Any] = {"b": breakdown, "periods": sorted(set(chosen.values()))}
    areas = ""
    if regions is not None:
        areas = "AND (area_code IS NULL OR list_contains($areas::VARCHAR[], area_code))"
        params["areas"] = [ENGLAND_CODE, *regions]
    rows = store.con.execute(
        f"""SELECT area_code, area_name, measure, period, value, source_id
            FROM totals
            WHERE breakdown = $b AND value IS NOT NULL
              AND list_contains($periods::VARCHAR[], period) {areas}""",
        params,
    ).fetchall()
    latest: dict[tuple[Any, str], tuple[Any, ...]] = {}
    for code, name, measure, period, value, source_id in rows:
        if chosen.get(measure) != period:
            continue
        key = (code if code is not None else name, measure)
        if key not in latest or source_id > latest[key][-1]:
            latest[key] = (code, name, measure, value, source_id)
    return [
        (
            code,
            name,
            measure,
            value,
            "derived from published totals" if source_id in derived else "published",
        )
        for code, name, measure, value, source_id in latest.values()
    ]


def read_rate_inputs(
    store: Store,
    chosen: dict[str, str],
    breakdown: str,
    recipes: dict[str, dict[str, Any]],
) -> list[tuple[Any, ...]]:
    """Numerator and denominator of each authority's derived rate: (la_code,
    measure, num, den)."""
    from lacompare.derive import INPUTS_TABLE, has_table

    rates = [
        m
        for m, r in recipes.items()
        if r.get("recipe") in ("rate", "per-head", "ratio") and m in chosen
    ]
    if not rates or not has_table(store, INPUTS_TABLE):
        return []
    ids = [recipes[m]["source_id"] for m in rates]
    return store.con.execute(
        f"""SELECT i.la_code, i.measure,
                   max(i.input_value) FILTER (i.role = 'numerator') AS num,
                   max(i.input_value) FILTER (i.role = 'denominator') AS den
            FROM {INPUTS_TABLE} i
            JOIN (SELECT unnest($m::VARCHAR[]) AS measure,
                         unnest($p::VARCHAR[]) AS period) c
              ON c.measure = i.measure AND c.period = i.period
            WHERE i.level = 'authority' AND i.breakdown = $b
              AND i.source_id IN (SELECT unnest($ids))
            GROUP BY i.la_code, i.measure""",
        {"m": rates, "p": [chosen[m] for m in rates], "b": breakdown, "ids": ids},
    ).fetchall()
