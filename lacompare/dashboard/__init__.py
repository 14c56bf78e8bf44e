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

from typing import Any

__all__ = ["create_app", "DashboardStore"]


def __getattr__(name: str) -> Any:
    # Shiny and Starlette load only when the app is built.
    if name == "create_app":
        from lacompare.dashboard.app import create_app

        return create_app
    if name == "DashboardStore":
        from lacompare.dashboard._state import DashboardStore

        return DashboardStore
    raise AttributeError(f"module 'lacompare.dashboard' has no attribute {name!r}")
