"""Joint returns in a summary: each joint figure counted once.

DfE's workforce figures for North and West Northamptonshire (one children's trust)
and for Kingston and Richmond (Achieving for Children) are one return stored under
each member (:mod:`lacompare.store`'s ``joint_returns``). A distribution counts the
figure once, under its first member; the partner's copy is left out of the summary
with the reason, as ``compare`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store


def read_partner_copies(
    store: Store, used: dict[str, list[str]], breakdown: str | None
) -> pd.DataFrame:
    """The authorities whose every value of a measure in its window is a partner's
    copy of a joint return: ``measure``, ``la_code`` and ``reason``.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                         "period": "2024", "value": 2.0}], file="t.csv")
    ...     len(read_partner_copies(s, {"m": ["2024"]}, None))
    0
    """
    import pandas as pd

    frames = []
    for measure, periods in used.items():
        if not periods:
            continue
        rel = store.values_relation(
            measures=measure,
            periods=periods,
            breakdowns=breakdown,
            present_only=True,
            columns=["la_code", "measure"],
            joint="flag",
        )
        frame = rel.query(
            "v",
            """SELECT measure, la_code, any_value(joint_members) AS members,
                      any_value(joint_partnership) AS partnership
               FROM v GROUP BY measure, la_code
               HAVING bool_and(NOT joint_counted)""",
        ).df()
        frames.append(frame)
    if not frames or all(f.empty for f in frames):
        return pd.DataFrame(columns=["measure", "la_code", "reason"])
    found = pd.concat(frames, ignore_index=True)
    found["reason"] = [
        f"joint return ({p}): counted once, under {_name(str(m).split(';')[0])}"
        for m, p in zip(found["members"], found["partnership"], strict=True)
    ]
    return found[["measure", "la_code", "reason"]]


def _name(code: str) -> str:
    """The authority's name today (its code if the registry has none)."""
    from lacompare.geography import read_authorities

    table = read_authorities()
    names = dict(zip(table["la_code"], table["la_name"], strict=True))
    return str(names.get(code, code))
