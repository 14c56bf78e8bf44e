"""lacompare: compare English local authorities' children's services.

The public API, importable from here::

    import lacompare
    store = lacompare.open_store("my.duckdb")
    lacompare.ingest(store, "cla_2025.csv")
    lacompare.resolve_authority("St.Helens").la_code          # 'E08000013'

Names are imported on first use, so ``import lacompare`` stays fast.
"""

from __future__ import annotations

from lacompare._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "parse_cell": "lacompare.cells",
    "ParsedCell": "lacompare.cells",
    "resolve_authority": "lacompare.geography",
    "match_authorities": "lacompare.geography",
    "read_authorities": "lacompare.geography",
    "resolve_file": "lacompare.sources",
    "Match": "lacompare.geography",
    "read_raw": "lacompare.sources",
    "read_spec": "lacompare.sources",
    "IngestSpec": "lacompare.sources",
    "open_store": "lacompare.store",
    "Store": "lacompare.store",
    "ingest": "lacompare.store._ingest",
    "IngestResult": "lacompare.store._ingest",
    "summarise_by_group": "lacompare.analysis",
    "summarise": "lacompare.analysis",
    "compare": "lacompare.analysis",
    "fit_regression": "lacompare.analysis",
    "fit_panel": "lacompare.analysis",
    "model_spend": "lacompare.analysis",
    "compute_neighbours": "lacompare.analysis",
    "load_neighbour_set": "lacompare.analysis",
    "correlate": "lacompare.analysis",
    "correlation_matrix": "lacompare.analysis",
    "mann_whitney": "lacompare.analysis",
    "kruskal": "lacompare.analysis",
    "derive_rate": "lacompare.derive",
    "derive_per_head": "lacompare.derive",
    "derive_ratio": "lacompare.derive",
    "derive_change": "lacompare.derive",
    "derive_window": "lacompare.derive",
    "run_demo": "lacompare.demo",
    "write_report": "lacompare.report",
    "InputError": "lacompare.errors",
    "LacompareError": "lacompare.errors",
    "Issue": "lacompare.provenance",
    "IssueLog": "lacompare.provenance",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
