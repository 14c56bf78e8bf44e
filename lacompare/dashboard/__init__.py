"""The lacompare web app (``lacompare serve``): explore and compare in a browser.

Shiny for Python pages over the store — an authority's profile, one measure
across authorities, relationships between measures and the expected-spend
model, and what is loaded (with a browser upload that goes through the same
checks as ``lacompare ingest``) — plus server-rendered tables that work without
JavaScript. The web layer holds no analysis: it calls
:func:`lacompare.analysis.compare`, the reports and the charts.

Needs the ``dashboard`` extra (``pip install 'lacompare[dashboard]'``).

Examples
--------
>>> from lacompare.dashboard import create_app  # doctest: +SKIP
>>> app = create_app("my.duckdb")  # doctest: +SKIP
>>> import uvicorn; uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

from lacompare._lazy import lazy_exports

__all__ = ["create_app", "DashboardStore"]


# Shiny and Starlette load only when the app is built.
__getattr__, __dir__ = lazy_exports(
    __name__, {"create_app": "app", "DashboardStore": "_state"}
)
