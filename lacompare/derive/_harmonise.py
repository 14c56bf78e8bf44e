"""Applying a boundary-change policy to measures: ``keep``, ``aggregate`` or ``flag``.

The changes and what each policy means are described in
:mod:`lacompare.geography.changes`. This is a derive step: loaded values are never
altered; ``aggregate`` writes a new measure ``<measure>_harmonised`` (every value
recording its inputs), ``flag`` writes rows to the ``series_breaks`` table.

Examples
--------
>>> from lacompare.store import open_store
>>> s = open_store(":memory:")
>>> _ = s.con.execute("INSERT INTO measures (measure, unit, reference_date) VALUES "
...     "('cla', 'children', '31 March')")
>>> _ = s.write_cells([
...     {"la_code": la, "measure": "cla", "period": p, "value": v}
...     for la, p, v in [("E10000021", "2020", 1000), ("E06000061", "2022", 450),
...                      ("E06000062", "2022", 600), ("E10000002", "2019", 500),
...                      ("E06000060", "2021", 520)]
... ], file="x")
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
from lacompare.derive._harmonise_aggregate import aggregate_changes
from lacompare.derive._store import (
    Derived,
    MeasureInfo,
    current_frame,
    measure_info,
    recipe_of,
    write_derived,
)
from lacompare.errors import InputError
from lacompare.geography.changes import check_policy, read_changes
from lacompare.provenance import IssueLog
from lacompare.store import BREAKS_TABLE, write_series_breaks

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store


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
    current = current_frame(store, measure)
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
    values, inputs, groups = aggregate_changes(
        measure, current, touching, days, additive, why, result.issues
    )
    write_harmonised(
        store,
        info,
        name or f"{measure}_harmonised",
        (values, inputs, groups),
        additive,
        result,
    )
    if not additive:
        result.issues.add(
            "recodes-only",
            f"{measure} is not a count ({why}): recodes are "
            "chained, splits and merges are not summed",
            severity="info",
        )
    return result


def write_harmonised(
    store: Store,
    info: MeasureInfo,
    name: str,
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    additive: bool,
    result: Harmonised,
) -> None:
    """Store the harmonised measure (groups' sums in ``totals``) and note it in
    ``result``."""
    values, inputs, groups = frames
    measure = info.measure
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
        inputs=inputs,
        label=f"{info.label or measure} (harmonised across boundary changes)",
        unit=info.unit,
        polarity=info.polarity,
        reference_date=info.reference_date,
        description=f"derived (harmonise-aggregate): {measure} with recodes chained "
        "and, for counts, successors summed to compare with predecessors "
        "(lacompare/geography/data/changes.csv)",
        totals=groups if len(groups) else None,
    )
    result.values = (
        values.drop(columns=["raw"])
        .sort_values(["la_code", "period", "breakdown"])
        .reset_index(drop=True)
    )
    result.groups = groups
    result.derived = Derived(
        measure=name,
        recipe=recipe,
        values=result.values.copy(),
        source_id=source_id,
        totals=len(groups),
    )


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
    write_series_breaks(store, measure, frame)
    return frame


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
