"""The grouped committee table as a one-table report (``lacompare table --format
html|xlsx``): :func:`lacompare.analysis.summarise_grouped`'s frame, printed by
:func:`lacompare.analysis.grouped_report_table`, with the loads its figures came
from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.report._reports import Document
    from lacompare.store import Store


def grouped_document(store: Store, frame: pd.DataFrame) -> Document:
    """A one-table report document of a
    :func:`~lacompare.analysis.summarise_grouped` frame, with the loads its figures
    came from, for the report writers (:func:`lacompare.report.write_document`:
    HTML, PDF, XLSX).

    Examples
    --------
    >>> from lacompare.analysis import summarise_grouped
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO measures (measure, unit) VALUES ('n', 'staff')")
    >>> _ = s.write_cells([{"la_code": "E08000035", "measure": "n", "period": "2024",
    ...     "value": 12}], file="x.csv")
    >>> doc = grouped_document(s, summarise_grouped(s, "n", "region"))
    >>> doc.tables()[0].title, doc.sources["file"].tolist()
    ('n, 2024, by region', ['x.csv'])
    """
    from lacompare.analysis import grouped_report_table
    from lacompare.report._reports import Document, SourceTracker

    table = grouped_report_table(frame)
    tracker = SourceTracker(store)
    tracker.use(
        frame.attrs["measure"], frame.attrs["breakdown"], [frame.attrs["period"]]
    )
    doc = Document(
        template="table",
        title=table.title,
        subtitle=f"Authorities as on {frame.attrs['as_of']}",
        sources=tracker.frame(),
        name="table",
    )
    doc.section("Table").table(table)
    return doc
