"""The ``aggregate`` boundary policy's arithmetic: recodes chained into one series,
and the authorities of a split or merge summed to compare with the area on the
other side of the change (see :mod:`lacompare.derive._harmonise`).

Each value keeps its inputs: ``as-published``, ``predecessor <code>`` (a recode)
or ``member <code>`` (a sum). A sum with a member missing is missing, with the
member's reason; a missing value is never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.derive._store import INPUT_COLUMNS, carried
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

Key = tuple[str, str, str]  # la_code, period, breakdown

VALUE_COLUMNS = [
    "la_code",
    "period",
    "breakdown",
    "value",
    "missing_reason",
    "raw",
    "inputs",
    "label",
]
GROUP_COLUMNS = [
    "area_code",
    "area_name",
    "period",
    "breakdown",
    "value",
    "missing_reason",
    "raw",
    "inputs",
]


def _num(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


@dataclass
class Aggregation:
    """The harmonised series of one measure, built change by change.

    ``have``: the published values by key; ``out``: the harmonised values by key
    (rows of :data:`VALUE_COLUMNS`); ``inputs``: rows of :data:`INPUT_COLUMNS`;
    ``groups``: sums with no single authority to hold them (rows of
    :data:`GROUP_COLUMNS`); ``replaced``: published keys a sum or a chain
    replaced.
    """

    measure: str
    additive: bool
    why: str
    have: dict[Key, Any]
    issues: IssueLog
    out: dict[Key, tuple[Any, ...]] = field(default_factory=dict)
    inputs: list[tuple[Any, ...]] = field(default_factory=list)
    groups: list[tuple[Any, ...]] = field(default_factory=list)
    replaced: set[Key] = field(default_factory=set)

    @classmethod
    def of(
        cls,
        measure: str,
        current: pd.DataFrame,
        additive: bool,
        why: str,
        issues: IssueLog,
    ) -> Aggregation:
        """Start from the published values, each its own input."""
        rows = list(current.itertuples(index=False))
        agg = cls(
            measure,
            additive,
            why,
            {(r.la_code, r.period, r.breakdown): r for r in rows},
            issues,
        )
        for r in rows:
            agg.out[(r.la_code, r.period, r.breakdown)] = (
                r.la_code,
                r.period,
                r.breakdown,
                r.value,
                r.missing_reason,
                None,
                f"published {measure}[{r.period}]",
                r.label,
            )
            agg.inputs.append(
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
            )
        return agg

    def has_value(self, key: Key) -> bool:
        # A published 'z' (not applicable: the code had ended) gives way to the sum.
        r = self.have.get(key)
        return r is not None and r.value is not None and r.value == r.value

    def _input(
        self, level: str, code: str, period: str, bd: str, role: str, r: Any
    ) -> None:
        self.inputs.append(
            (
                level,
                code,
                period,
                bd,
                role,
                self.measure,
                period,
                bd,
                _num(r.value),
                r.missing_reason,
            )
        )

    def apply(self, change: Any, period: str, bd: str, before: bool) -> None:
        """Apply one change to one period and breakdown (``before``: the period's
        day is before the change)."""
        if change.kind in ("recode", "boundary"):
            if before:
                self.chain_recode(change, period, bd)
            return
        if (change.kind == "split" and before) or (
            change.kind == "merge" and not before
        ):
            return  # the one area side is published as it is
        if change.same_area:
            self.sum_members(change, period, bd, before)

    def chain_recode(self, c: Any, period: str, bd: str) -> None:
        """A value published under the old code, carried to the new one."""
        old, new = c.predecessors[0], c.successors[0]
        src = self.have.get((old, period, bd))
        if src is None:
            return
        key = (new, period, bd)
        if key in self.have and not self.has_value(key):
            self.replaced.add(key)
        elif key in self.have:
            mine = self.have[key]
            if _num(mine.value) != _num(src.value):
                self.issues.add(
                    "recode-both-published",
                    f"{c.change_id} "
                    f"[{period}]: {new} is published "
                    f"({mine.value}) as well as {old} "
                    f"({src.value}); the {new} value is kept",
                )
            return
        self.out[key] = (
            new,
            period,
            bd,
            src.value,
            src.missing_reason,
            None,
            f"{self.measure}[{period}] of {old} (same area, recoded "
            f"{c.date.isoformat()})",
            src.label,
        )
        self._input("authority", new, period, bd, f"predecessor {old}", src)

    def total(
        self, members: tuple[str, ...], period: str, bd: str
    ) -> tuple[float | None, str | None, list[Any]]:
        """The members' sum, or why it is missing, and the members' rows found."""
        rows = [self.have.get((m, period, bd)) for m in members]
        used = [(m, r) for m, r in zip(members, rows, strict=True) if r is not None]
        if len(used) < len(members):
            return None, "input-absent", used
        for _, r in used:
            if r.value is None or r.value != r.value:
                return None, carried(r.missing_reason, r.label), used
        return float(sum(r.value for _, r in used)), None, used

    def sum_members(self, c: Any, period: str, bd: str, before: bool) -> None:
        """The split or merged authorities summed, to compare with the one area
        on the other side of the change (or kept as a group of their own)."""
        side = c.predecessors if before else c.successors
        target = (
            c.predecessors
            if c.kind == "split"
            else c.successors
            if c.kind == "merge"
            else None
        )
        if not self.additive:
            if any((m, period, bd) in self.have for m in side):
                self.issues.add(
                    "not-summed",
                    f"{c.change_id} [{period}]: {self.measure} "
                    f"cannot be summed ({self.why}); no comparable value",
                    severity="info",
                )
            return
        value, reason, used = self.total(side, period, bd)
        if not used:
            return
        text = f"sum of {', '.join(side)}: {self.measure}[{period}]"
        if reason == "input-absent":
            missing = [m for m in side if (m, period, bd) not in self.have]
            self.issues.add(
                "member-absent",
                f"{c.change_id} [{period}]: no "
                f"{self.measure} for {', '.join(missing)}; the sum is missing",
            )
        if target is None:
            code = f"group:{c.change_id}"
            self.groups.append(
                (code, c.name.split(";")[0], period, bd, value, reason, None, text)
            )
            for m, r in used:
                self._input("total", code, period, bd, f"member {m}", r)
            return
        key = (target[0], period, bd)
        if self.has_value(key):
            return
        if key in self.have:
            self.replaced.add(key)
        self.out[key] = (target[0], period, bd, value, reason, None, text, None)
        for m, r in used:
            self._input("authority", target[0], period, bd, f"member {m}", r)

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The harmonised values, their inputs and the groups' sums."""
        import pandas as pd

        inputs = [
            i
            for i in self.inputs
            if not (i[4] == "as-published" and (i[1], i[2], i[3]) in self.replaced)
        ]
        values = pd.DataFrame(list(self.out.values()), columns=VALUE_COLUMNS)
        # Labels (categories) are carried by chaining only; the store keeps them.
        values = values.drop(columns=["label"])
        values = values[
            values["value"].notna() | values["missing_reason"].notna()
        ].copy()
        values["value"] = values["value"].astype(float)
        return (
            values,
            pd.DataFrame(inputs, columns=list(INPUT_COLUMNS)),
            pd.DataFrame(self.groups, columns=GROUP_COLUMNS),
        )


def aggregate_changes(
    measure: str,
    current: pd.DataFrame,
    touching: list[Any],
    days: dict[str, Any],
    additive: bool,
    why: str,
    issues: IssueLog,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply every change touching the measure to every period and breakdown:
    the harmonised values, their inputs and the groups' sums (issues in
    ``issues``)."""
    agg = Aggregation.of(measure, current, additive, why, issues)
    periods_bd = sorted({(p, b) for _, p, b in agg.have})
    for c in touching:
        for period, bd in periods_bd:
            day = days.get(period)
            if day is not None:
                agg.apply(c, period, bd, day < c.date)
    return agg.frames()
