"""Authorities a user leaves out of an analysis, and the reason each result gives.

One reader of ``--exclude`` / ``exclude=`` for every analysis (summaries,
comparisons, neighbours, tests, models), so an item means the same everywhere and
every result says ``excluded by user: <item>``:

- ``column:value``: every authority whose ``authorities`` column has that value
  (case-insensitive), e.g. ``region:London``, ``london_region:Inner London``,
  ``la_type:shire county``;
- an ONS or DfE code, or a name (every authority of that name: Dorset County
  Council and Dorset Council are both 'Dorset');
- a region or ``Inner London``/``Outer London``;
- a partnership making one return for its members (``Achieving for Children``:
  Kingston upon Thames and Richmond upon Thames; lacompare/geography/data/
  joint_returns.csv);
- anything else the registry's matcher resolves ('St Helens', 'N. Yorkshire').

Examples
--------
>>> from lacompare.store import open_store
>>> with open_store(":memory:") as s:
...     ex = resolve_exclusions(s, ["Isles of Scilly", "201"])
>>> ex["reason"].tolist()
['excluded by user: Isles of Scilly', 'excluded by user: 201']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

#: How a result gives the reason for an authority the user left out.
REASON = "excluded by user: {item}"


def authority_columns(store: Store) -> list[str]:
    """The columns of the store's ``authorities`` table."""
    return [
        r[0]
        for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'authorities'"
        ).fetchall()
    ]


def resolve_exclusions(
    store: Store, exclude: str | Sequence[str] | None
) -> pd.DataFrame:
    """The authorities an ``exclude`` list names, each with the reason.

    Parameters
    ----------
    store
        An open store.
    exclude
        Items as the module notes say; a single string is one item (a name such
        as 'Bristol, City of' may hold a comma).

    Returns
    -------
    pandas.DataFrame
        Columns ``la_code, reason`` (``excluded by user: <item>``, every item that
        named the authority), one row per authority, sorted by code.

    Raises
    ------
    InputError
        If an item matches no authority (a misspelt region or name).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     ex = resolve_exclusions(s, ["london_region:Inner London",
    ...                                 "Isles of Scilly"])
    >>> len(ex), ex.set_index("la_code").loc["E06000053", "reason"]
    (15, 'excluded by user: Isles of Scilly')
    """
    import pandas as pd

    items = [exclude] if isinstance(exclude, str) else list(exclude or [])
    columns = set(authority_columns(store))
    frames = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        column, sep, value = text.partition(":")
        column = column.strip().lower()
        if sep and column in columns:
            codes = _column_authorities(store, text, column, value)
        else:
            codes = _named_authorities(store, text)
        frames.append(
            pd.DataFrame({"la_code": codes, "reason": REASON.format(item=text)})
        )
    if not frames:
        return pd.DataFrame(
            {"la_code": pd.Series(dtype=object), "reason": pd.Series(dtype=object)}
        )
    out = pd.concat(frames, ignore_index=True)
    # An authority named twice keeps every reason.
    return (
        out.groupby("la_code", sort=True)["reason"]
        .agg(lambda r: "; ".join(dict.fromkeys(r)))
        .reset_index()
    )


def _column_authorities(store: Store, text: str, column: str, value: str) -> list[str]:
    """Authorities whose ``column`` is ``value``; an error listing the values if
    none is."""
    expr = (
        f"coalesce({column}, region)"
        if column == "london_region"
        else f"CAST({column} AS VARCHAR)"
    )
    codes = [
        r[0]
        for r in store.con.execute(
            f"SELECT la_code FROM authorities WHERE lower(trim({expr})) = "
            "lower(trim(?)) ORDER BY la_code",
            [value],
        ).fetchall()
    ]
    if not codes:
        known = [
            r[0]
            for r in store.con.execute(
                f"SELECT DISTINCT {expr} FROM authorities WHERE {expr} IS NOT "
                "NULL ORDER BY 1"
            ).fetchall()
        ]
        hint = ", ".join(map(str, known[:15]))
        raise InputError(
            f"cannot exclude {text!r}: no authority has {column} "
            f"{value.strip()!r} (values: {hint})"
        )
    return codes


def _named_authorities(store: Store, text: str) -> list[str]:
    """Authorities a bare item names: a code, every entity of a name, a region or
    Inner/Outer London, a joint return's partnership, else whatever the
    registry's matcher resolves it to."""
    codes = [
        r[0]
        for r in store.con.execute(
            """SELECT la_code FROM authorities
           WHERE lower(?) IN (lower(la_code), lower(dfe_code), lower(la_name))
           ORDER BY la_code""",
            [text],
        ).fetchall()
    ]
    if not codes:
        codes = [
            r[0]
            for r in store.con.execute(
                """SELECT la_code FROM authorities
               WHERE lower(?) IN (lower(region), lower(london_region))
               ORDER BY la_code""",
                [text],
            ).fetchall()
        ]
    if codes:
        return codes
    from lacompare.geography import (
        UnknownAuthority,
        match_authority_strict,
        match_joint_return,
    )

    # A partnership making one return ('Achieving for Children'): its members.
    joint = match_joint_return(text)
    if joint is not None:
        return list(joint.members)
    from lacompare.store import authority_key

    # Exact names, codes and aliases only: leaving out a guessed authority would
    # change every figure without a word. An abolished one may be left out.
    try:
        match = match_authority_strict(text)
    except UnknownAuthority as err:
        near = (
            "; did you mean " + ", ".join(s.label for s in err.suggestions) + "?"
            if err.suggestions and err.reason == "unknown"
            else ""
        )
        raise InputError(
            f"cannot exclude {text!r}: not an authority, region, nor "
            f"'column:value' with an authorities column{near}"
        ) from None
    return [authority_key(match.la_code, match.dfe_code)]
