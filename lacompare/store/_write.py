"""Writing values the store did not read from a file itself: computed figures,
a web form's answers, a test's fixture.

Files are loaded by :func:`lacompare.store.ingest`, which keeps every vintage.
Everything else writes through :func:`write_cells`: one transaction that
records where the values came from (a row of ``sources``), declares any measure
the store does not know yet, and writes the values; a failure writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.store._read import VALUE_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

#: The columns a value must have; the others of VALUE_COLUMNS are optional.
KEY_COLUMNS = ("la_code", "measure", "period")
_WRITTEN = tuple(c for c in VALUE_COLUMNS if c != "source_id")


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_cells` wrote: the load's ``source_id`` and its values."""

    source_id: int
    values: int


def _frame(rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    unknown = [c for c in frame.columns if c not in _WRITTEN]
    if unknown:
        raise InputError(
            f"no value column {unknown[0]!r}; columns: {', '.join(_WRITTEN)}"
        )
    for column in _WRITTEN:
        if column not in frame.columns:
            frame[column] = "" if column == "breakdown" else None
    for column in KEY_COLUMNS:
        if frame[column].isna().any():
            row = int(frame[column].isna().to_numpy().argmax())
            raise InputError(f"row {row + 1}: no {column}")
    frame["breakdown"] = frame["breakdown"].fillna("")
    frame["value"] = pd.to_numeric(frame["value"], errors="raise").astype("float64")
    for column in ("la_code", "measure", "period", "breakdown"):
        frame[column] = frame[column].astype(str)
    present = frame["value"].notna()
    if (present & frame["missing_reason"].notna()).any():
        row = int((present & frame["missing_reason"].notna()).to_numpy().argmax())
        raise InputError(f"row {row + 1}: a value and a missing reason")
    return frame[list(_WRITTEN)]


def write_cells(
    store: Store,
    rows: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    file: str,
    sheet: str = "",
    spec: str = "",
    note: str | None = None,
    units: Mapping[str, str] | None = None,
) -> WriteResult:
    """Write values with their provenance, in one transaction.

    Parameters
    ----------
    store
        An open, writable store.
    rows
        One value a row (a frame, or mappings): ``la_code``, ``measure``,
        ``period`` and either ``value`` or ``missing_reason``; optionally
        ``breakdown`` (default ``''``), ``label``, ``raw``, ``source_row`` and
        ``source_column``.
    file, sheet, spec, note
        Where the values came from, recorded as the load's row of ``sources``
        (``spec``: how they were made, e.g. a recipe as JSON).
    units
        A unit for each measure the store does not know yet (they are declared
        ``neutral``: the indicator catalogue says which way is better).

    Returns
    -------
    WriteResult
        The new load's ``source_id`` and how many values it holds.

    Examples
    --------
    >>> from lacompare.store import open_store, read_values
    >>> with open_store(":memory:") as s:
    ...     got = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                           "period": "2024", "value": 2.0}], file="t.csv")
    ...     got.values, list(read_values(s)["value"])
    (1, [2.0])
    """
    frame = _frame(rows)
    text = frame.to_csv(index=False) + spec
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    con = store.con
    name = f"_write_cells_{id(frame)}"
    con.register(name, frame)
    try:
        con.execute("BEGIN")
        source_id = con.execute(
            """INSERT INTO sources (file, sheet, sha256, spec, observations, totals,
                                    note)
               VALUES (?, ?, ?, ?, ?, 0, ?) RETURNING source_id""",
            [file, sheet, sha, spec, len(frame), note],
        ).fetchall()[0][0]
        new = [
            r[0]
            for r in con.execute(
                f"""SELECT DISTINCT measure FROM {name}
                    WHERE measure NOT IN (SELECT measure FROM measures) ORDER BY 1"""
            ).fetchall()
        ]
        for measure in new:
            con.execute(
                "INSERT INTO measures (measure, unit) VALUES (?, ?)",
                [measure, (units or {}).get(measure)],
            )
        columns = ", ".join(_WRITTEN)
        con.execute(
            f"""INSERT INTO observation_cells ({columns}, source_id)
                SELECT {columns}, ? FROM {name}""",
            [source_id],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister(name)
    return WriteResult(source_id=int(source_id), values=len(frame))
