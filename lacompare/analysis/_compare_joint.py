"""Joint returns in :func:`lacompare.analysis.compare`: each row's flag and the
notes under the table.

A joint return is one published figure for several authorities (North and West
Northamptonshire, Northamptonshire Children's Trust), stored under each member
(:mod:`lacompare.store`, ``joint="flag"``). The grid counts it once
(:func:`~lacompare.analysis._compare_grid.derive_distribution`); here each member's
row says whose figure it shares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.analysis._compare_grid import Grid, Rows

#: How many measures a member's note names before '… (n more)'.
NAMED_MEASURES = 6


def joint_flags(grid: Grid, rows: Rows) -> Any:
    """Each row's joint-return flag: 'joint return with <partners>
    (<partnership>)', None for a value of one authority."""
    import numpy as np

    r, m, got = rows.la_safe, rows.m, rows.got
    out = np.full(len(m), None, dtype=object)
    if grid.joint_members is None:
        return out
    members = np.where(got, grid.joint_members[r, m], None)
    if not any(x is not None for x in members):
        return out
    from lacompare.geography import joint_note

    partnership = grid.joint_partnership[r, m]
    for k in np.nonzero([x is not None for x in members])[0]:
        out[k] = joint_note(
            str(rows.code[k]), str(members[k]).split(";"), partnership[k]
        )
    return out


def joint_return_notes(
    table: pd.DataFrame, every_authority: bool, named: Callable[[str, Any], str]
) -> list[str]:
    """The notes on a comparison's joint returns: for every authority compared,
    one line naming each group once; else one line per member naming its
    measures (``named``: how a note names a measure)."""
    if "joint_return" not in table.columns or not table["joint_return"].notna().any():
        return []
    joint = table[table["joint_return"].notna()]
    if every_authority:
        # Each member's flag names the others: one name per group.
        groups: dict[tuple[str, ...], str] = {}
        for note, name in zip(joint["joint_return"], joint["la_name"], strict=True):
            partners, _, partnership = note.removeprefix(
                "joint return with "
            ).partition(" (")
            key = tuple(sorted({str(name), *partners.split(" and ")}))
            groups[key] = " and ".join(key) + (
                f" ({partnership}" if partnership else ""
            )
        return [
            "joint returns (one published figure for the group, shown for "
            "each member, counted once in n, ranks, quartiles and averages): "
            + "; ".join(sorted(groups.values()))
        ]
    out = []
    for (code, note), rows in joint.groupby(["la_code", "joint_return"], sort=False):
        name = rows["la_name"].dropna()
        labels = rows["label"] if "label" in rows else rows["measure"]
        names = [named(m, lab) for m, lab in zip(rows["measure"], labels, strict=True)]
        shown = ", ".join(names[:NAMED_MEASURES]) + (
            f" … ({len(names) - NAMED_MEASURES} more)"
            if len(names) > NAMED_MEASURES
            else ""
        )
        out.append(
            f"{name.iloc[0] if len(name) else code}: {note} for {shown}: one "
            "published figure for the group, counted once in n, ranks, "
            "quartiles, neighbours' and computed averages"
        )
    return out
