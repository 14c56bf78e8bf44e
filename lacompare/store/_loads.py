"""Recording a load that a stage writes to its own tables (a snapshot file, a
headcount, a budget) as a row of ``sources``, so its values trace to the file,
sheet and row like any value the store read itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lacompare.store import Store


def record_load(
    store: Store,
    *,
    file: str,
    sha256: str,
    sheet: str | None = None,
    spec: str = "",
    values: int = 0,
    note: str | None = None,
) -> int:
    """Add a load to ``sources`` and return its ``source_id``.

    Runs inside the caller's transaction, so a load that fails afterwards leaves
    no row behind.

    Parameters
    ----------
    store
        An open, writable store.
    file, sheet, sha256
        The file read (and its sheet), and the hash of its bytes.
    spec
        What kind of load it was (e.g. ``snapshot:budget``).
    values
        How many values or lines it wrote (shown by ``lacompare info``).
    note
        Anything a reader of the load should know (``SYNTHETIC extract``).

    Examples
    --------
    >>> from lacompare.store import open_store, list_sources
    >>> with open_store(":memory:") as s:
    ...     sid = record_load(s, file="b.csv", sha256="x", spec="snapshot:budget",
    ...                       values=3)
    ...     got = list_sources(s).loc[0]
    ...     sid == int(got["source_id"]), got["spec"], int(got["observations"])
    (True, 'snapshot:budget', 3)
    """
    row = store.con.execute(
        "INSERT INTO sources (file, sheet, sha256, spec, observations, note) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING source_id",
        [file, sheet or "", sha256, spec, values, note],
    ).fetchall()
    return int(row[0][0])
