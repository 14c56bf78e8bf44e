"""Applying a boundary-change policy to measures: ``keep``, ``aggregate`` or ``flag``.

The changes and what each policy means are described in
:mod:`lacompare.geography.changes`. This is a derive step: loaded values are never
altered; ``aggregate`` writes a new measure ``<measure>_harmonised`` (every value
recording its inputs), ``flag`` writes rows to the ``series_breaks`` table.

Examples
--------
>>> from lacompare.store import open_store
>>> s = open_store(":memory:")
>>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
>>> _ = s.con.execute("INSERT INTO measures (measure, unit, reference_date) VALUES "
...     "('cla', 'children', '31 March')")
>>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, value, "
...     "source_id) VALUES ('E10000021', 'cla', '2020', 1000, 1), "
...     "('E06000061', 'cla', '2022', 450, 1), ('E06000062', 'cla', '2022', 600, 1), "
...     "('E10000002', 'cla', '2019', 500, 1), ('E06000060', 'cla', '2021', 520, 1)")
>>> h = derive_harmonised(s, "cla", policy="aggregate")
>>> for row in h.values.query("la_code in ['E10000021', 'E06000060']")[
...         ["la_code", "period", "value"]].values.tolist():
...     print(row)
['E06000060', '2019', 500.0]
['E06000060', '2021', 520.0]
['E10000021', '2020', 1000.0]
['E10000021', '2022', 1050.0]
>>> f = derive_harmonised(s, "cla", policy="flag")
>>> sorted(f.breaks["change_id"].unique())
['buckinghamshire-2020', 'northamptonshire-2021']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.derive._aggregate import is_additive
from lacompare.derive._dates import reference_day
from lacompare.derive._store import (
    Derived,
    carried,
    current_sql,
    measure_info,
    recipe_of,
    write_derived,
)
from lacompare.errors import InputError
from lacompare.geography.changes import check_policy, read_changes
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

BREAKS_TABLE = "series_breaks"
BREAKS_DDL = f"""
CREATE TABLE IF NOT EXISTS {BREAKS_TABLE} (
    measure VARCHAR NOT NULL,
    la_code VARCHAR NOT NULL,
    change_id VARCHAR NOT NULL,
    change_date DATE NOT NULL,
    kind VARCHAR NOT NULL,
    side VARCHAR NOT NULL,          -- 'predecessor' or 'successor'
    last_period_before VARCHAR,
    first_period_after VARCHAR,
    note VARCHAR
)"""


@dataclass
class Harmonised:
    """What a policy did to one measure.

    ``values`` (``aggregate``): the harmonised measure's values; ``groups``: sums of
    merge-split groups (stored in ``totals`` as ``group:<change>``); ``breaks``
    (``flag``): one row per authority and change the series crosses; ``changes``:
    the changes that touch the measure's authorities.
    """

    measure: str
    policy: str
    values: Any = None
    groups: Any = None
    breaks: Any = None
    changes: list[str] = field(default_factory=list)
    derived: Derived | None = None
    issues: IssueLog = field(default_factory=IssueLog)

    def summary_lines(self) -> list[str]:
        lines = [
            f"{self.measure}: policy {self.policy}; changes touching it: "
            + (", ".join(self.changes) or "none")
        ]
        if self.derived is not None:
            lines.extend(self.derived.summary_lines())
        if self.breaks is not None:
            lines.append(
                f"flagged {len(self.breaks):,} series breaks (table {BREAKS_TABLE})"
            )
        lines.extend(f"note: {i}" for i in self.issues)
        return lines


def derive_harmonised(
    store: Store,
    measure: str,
    *,
    policy: str = "aggregate",
    name: str | None = None,
) -> Harmonised:
    """Apply a boundary-change policy to one measure.

    Parameters
    ----------
    store
        An open, writable store.
    measure
        The measure. Under ``aggregate`` a count is summed where needed; a rate
        derived by :func:`lacompare.derive.derive_rate` (or per head, ratio) is
        recomputed from its harmonised inputs; any other non-additive measure is
        chained across recodes only, and the issue log says so.
    policy
        ``keep``, ``aggregate`` or ``flag`` (see :mod:`lacompare.geography.changes`).
    name
        The new measure under ``aggregate`` (default ``<measure>_harmonised``).

    Returns
    -------
    Harmonised

    Examples
    --------
    See the module example.
    """
    check_policy(policy)
    info = measure_info(store, measure)
    current = store.query(current_sql("observations"), [measure]).rename(
        columns={"k": "la_code"}
    )
    codes = set(current["la_code"])
    touching = [c for c in read_changes() if set(c.codes) & codes]
    result = Harmonised(measure, policy, changes=[c.change_id for c in touching])
    if policy == "keep":
        for c in touching:
            result.issues.add(
                "kept-as-published",
                f"{c.change_id}: {c.name}; values "
                "stay under the codes they were published with",
                severity="info",
            )
        return result
    days = {
        p: reference_day(p, info.reference_date) for p in current["period"].unique()
    }
    if policy == "flag":
        result.breaks = _flag(store, measure, current, touching, days)
        return result
    recipe = recipe_of(store, [measure]).get(measure)
    additive, why = is_additive(info.unit)
    if (
        not additive
        and recipe
        and recipe.get("recipe") in ("rate", "per-head", "ratio")
    ):
        return _rederive(store, measure, recipe, name, result)
    return _aggregate(
        store,
        measure,
        info,
        current,
        touching,
        days,
        additive,
        why,
        name or f"{measure}_harmonised",
        result,
    )


def _aggregate(
    store: Store,
    measure: str,
    info: Any,
    current: pd.DataFrame,
    touching: list[Any],
    days: dict[str, Any],
    additive: bool,
    why: str,
    name: str,
    result: Harmonised,
) -> Harmonised:
    import pandas as pd

    issues = result.issues
    have = {
        (r.la_code, r.period, r.breakdown): r for r in current.itertuples(index=False)
    }
    out = {
        (r.la_code, r.period, r.breakdown): (
            r.la_code,
            r.period,
            r.breakdown,
            r.value,
            r.missing_reason,
            None,
            f"published {measure}[{r.period}]",
            r.label,
        )
        for r in current.itertuples(index=False)
    }
    replaced: set[tuple[str, str, str]] = set()

    def has_value(key: tuple[str, str, str]) -> bool:
        # A published 'z' (not applicable: the code had ended) gives way to the sum.
        r = have.get(key)
        return r is not None and r.value is not None and r.value == r.value

    inputs = [
        (
            "authority",
            r.la_code,
            r.period,
            r.breakdown,
            "as-published",
            measure,
            r.period,
            r.breakdown,
            _num(r.value),
            r.missing_reason,
        )
        for r in current.itertuples(index=False)
    ]
    added: set[tuple[str, str, str]] = set()
    groups = []
    periods_bd = sorted({(p, b) for _, p, b in have})

    def total(
        members: tuple[str, ...], period: str, bd: str
    ) -> tuple[float | None, str | None, list[Any]]:
        rows = [have.get((m, period, bd)) for m in members]
        used = [(m, r) for m, r in zip(members, rows, strict=True) if r is not None]
        if len(used) < len(members):
            return None, "input-absent", used
        for _, r in used:
            if r.value is None or r.value != r.value:
                return None, carried(r.missing_reason, r.label), used
        return float(sum(r.value for _, r in used)), None, used

    for c in touching:
        for period, bd in periods_bd:
            day = days.get(period)
            if day is None:
                continue
            before = day < c.date
            if (
                c.kind in ("recode", "boundary")
                or (c.kind == "split" and before)
                or (c.kind == "merge" and not before)
            ):
                if c.kind in ("recode", "boundary") and before:
                    old, new = c.predecessors[0], c.successors[0]
                    src = have.get((old, period, bd))
                    if src is None:
                        continue
                    if (new, period, bd) in have and not has_value((new, period, bd)):
                        replaced.add((new, period, bd))
                    elif (new, period, bd) in have:
                        mine = have[(new, period, bd)]
                        if _num(mine.value) != _num(src.value):
                            issues.add(
                                "recode-both-published",
                                f"{c.change_id} "
                                f"[{period}]: {new} is published "
                                f"({mine.value}) as well as {old} "
                                f"({src.value}); the {new} value is kept",
                            )
                        continue
                    out[(new, period, bd)] = (
                        new,
                        period,
                        bd,
                        src.value,
                        src.missing_reason,
                        None,
                        f"{measure}[{period}] of {old} (same area, recoded "
                        f"{c.date.isoformat()})",
                        src.label,
                    )
                    inputs.append(
                        (
                            "authority",
                            new,
                            period,
                            bd,
                            f"predecessor {old}",
                            measure,
                            period,
                            bd,
                            _num(src.value),
                            src.missing_reason,
                        )
                    )
                    added.add((new, period, bd))
                continue
            if not c.same_area:
                continue
            side = c.predecessors if before else c.successors
            target = (
                c.predecessors
                if c.kind == "split"
                else c.successors
                if c.kind == "merge"
                else None
            )
            if not additive:
                if any((m, period, bd) in have for m in side):
                    issues.add(
                        "not-summed",
                        f"{c.change_id} [{period}]: {measure} "
                        f"cannot be summed ({why}); no comparable value",
                        severity="info",
                    )
                continue
            value, reason, used = total(side, period, bd)
            if not used:
                continue
            text = f"sum of {', '.join(side)}: {measure}[{period}]"
            if reason == "input-absent":
                missing = [m for m in side if (m, period, bd) not in have]
                issues.add(
                    "member-absent",
                    f"{c.change_id} [{period}]: no "
                    f"{measure} for {', '.join(missing)}; the sum is missing",
                )
            if target is not None:
                key = (target[0], period, bd)
                if has_value(key):
                    continue
                if key in have:
                    replaced.add(key)
                out[key] = (target[0], period, bd, value, reason, None, text, None)
                for m, r in used:
                    inputs.append(
                        (
                            "authority",
                            target[0],
                            period,
                            bd,
                            f"member {m}",
                            measure,
                            period,
                            bd,
                            _num(r.value),
                            r.missing_reason,
                        )
                    )
                added.add(key)
            else:
                groups.append(
                    (
                        f"group:{c.change_id}",
                        c.name.split(";")[0],
                        period,
                        bd,
                        value,
                        reason,
                        None,
                        text,
                    )
                )
                for m, r in used:
                    inputs.append(
                        (
                            "total",
                            f"group:{c.change_id}",
                            period,
                            bd,
                            f"member {m}",
                            measure,
                            period,
                            bd,
                            _num(r.value),
                            r.missing_reason,
                        )
                    )
    inputs = [
        i
        for i in inputs
        if not (i[4] == "as-published" and (i[1], i[2], i[3]) in replaced)
    ]
    values = pd.DataFrame(
        list(out.values()),
        columns=[
            "la_code",
            "period",
            "breakdown",
            "value",
            "missing_reason",
            "raw",
            "inputs",
            "label",
        ],
    )
    # Labels (categories) are carried by chaining only; observations keep them.
    values = values.drop(columns=["label"])
    values = values[values["value"].notna() | values["missing_reason"].notna()].copy()
    values["value"] = values["value"].astype(float)
    input_frame = pd.DataFrame(
        inputs,
        columns=[
            "level",
            "la_code",
            "period",
            "breakdown",
            "role",
            "input_measure",
            "input_period",
            "input_breakdown",
            "input_value",
            "input_missing_reason",
        ],
    )
    group_frame = pd.DataFrame(
        groups,
        columns=[
            "area_code",
            "area_name",
            "period",
            "breakdown",
            "value",
            "missing_reason",
            "raw",
            "inputs",
        ],
    )
    recipe = {
        "recipe": "harmonise-aggregate",
        "measure": measure,
        "changes": result.changes,
        "additive": additive,
    }
    source_id = write_derived(
        store,
        name=name,
        recipe=recipe,
        values=values,
        inputs=input_frame,
        label=f"{info.label or measure} (harmonised across boundary changes)",
        unit=info.unit,
        polarity=info.polarity,
        reference_date=info.reference_date,
        description=f"derived (harmonise-aggregate): {measure} with recodes chained "
        "and, for counts, successors summed to compare with predecessors "
        "(lacompare/geography/data/changes.csv)",
        totals=group_frame if len(group_frame) else None,
    )
    result.values = (
        values.drop(columns=["raw"])
        .sort_values(["la_code", "period", "breakdown"])
        .reset_index(drop=True)
    )
    result.groups = group_frame
    result.derived = Derived(
        measure=name,
        recipe=recipe,
        values=result.values.copy(),
        source_id=source_id,
        totals=len(group_frame),
    )
    if not additive:
        issues.add(
            "recodes-only",
            f"{measure} is not a count ({why}): recodes are "
            "chained, splits and merges are not summed",
            severity="info",
        )
    return result


def _rederive(
    store: Store,
    measure: str,
    recipe: dict[str, Any],
    name: str | None,
    result: Harmonised,
) -> Harmonised:
    """A derived rate: harmonise its count and population, then derive it again."""
    from lacompare.derive._pairs import MAX_LAG_DAYS, derive_pair

    num = derive_harmonised(store, recipe["numerator"], policy="aggregate")
    den = derive_harmonised(store, recipe["denominator"], policy="aggregate")
    refs = {
        num.derived.measure: recipe.get("numerator_reference_date"),  # type: ignore[union-attr]
        den.derived.measure: recipe.get("denominator_reference_date"),
    }  # type: ignore[union-attr]
    derived = derive_pair(
        store,
        num.derived.measure,
        den.derived.measure,  # type: ignore[union-attr]
        recipe=recipe["recipe"],
        scale=float(recipe["scale"]),
        name=name or f"{measure}_harmonised",
        unit=None,
        label=None,
        polarity=None,
        breakdown=recipe.get("breakdown"),
        denominator_breakdown=recipe.get("denominator_breakdown"),
        match=recipe.get("match", "reference-date"),
        max_lag_days=int(recipe.get("max_lag_days", MAX_LAG_DAYS)),
        reference_dates={k: v for k, v in refs.items() if v},
    )
    result.derived = derived
    result.values = derived.values
    result.issues.add(
        "recomputed",
        f"{measure} is a rate: recomputed from "
        f"{num.derived.measure} and {den.derived.measure}, never "  # type: ignore[union-attr]
        "summed",
        severity="info",
    )
    result.issues.extend(num.issues)
    result.issues.extend(den.issues)
    return result


def _flag(
    store: Store,
    measure: str,
    current: pd.DataFrame,
    touching: list[Any],
    days: dict[str, Any],
) -> pd.DataFrame:
    import pandas as pd

    from lacompare.derive._store import temp_name

    rows = []
    for c in touching:
        for side, codes in (
            ("predecessor", c.predecessors),
            ("successor", c.successors),
        ):
            for code in codes:
                mine = current[
                    (current["la_code"] == code)
                    & (current["value"].notna() | current["missing_reason"].notna())
                ]
                if mine.empty:
                    continue
                periods = sorted(
                    mine["period"].unique(),
                    key=lambda p: (days.get(p) is None, days.get(p)),
                )
                before = [p for p in periods if days.get(p) and days[p] < c.date]
                after = [p for p in periods if days.get(p) and days[p] >= c.date]
                ends = "ends" if side == "predecessor" else "starts"
                note = (
                    f"{c.name}; series {ends} at this change"
                    if not (before and after)
                    else f"{c.name}; values published on both sides of the change "
                    "(back-cast by the publisher or a boundary tweak)"
                )
                rows.append(
                    (
                        measure,
                        code,
                        c.change_id,
                        c.date,
                        c.kind,
                        side,
                        before[-1] if before else None,
                        after[0] if after else None,
                        note,
                    )
                )
    frame = pd.DataFrame(
        rows,
        columns=[
            "measure",
            "la_code",
            "change_id",
            "change_date",
            "kind",
            "side",
            "last_period_before",
            "first_period_after",
            "note",
        ],
    )
    con = store.con
    con.execute(BREAKS_DDL)
    tmp = temp_name("breaks")
    con.register(tmp, frame)
    try:
        con.execute("BEGIN")
        con.execute(f"DELETE FROM {BREAKS_TABLE} WHERE measure = ?", [measure])
        con.execute(f"INSERT INTO {BREAKS_TABLE} SELECT * FROM {tmp}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister(tmp)
    return frame


def _num(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def harmonise_measures(
    store: Store, measures: list[str], policy: str
) -> list[Harmonised]:
    """:func:`derive_harmonised` for several measures; a measure missing is an error.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> harmonise_measures(s, ["nope"], "keep")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: no measure 'nope' in the store; ...
    """
    check_policy(policy)
    if not measures:
        raise InputError("name at least one measure to harmonise")
    return [derive_harmonised(store, m, policy=policy) for m in measures]
