"""An authority's own monthly snapshot: demand, caseloads, headcount and budget.

What a children's services department brings to scrutiny every quarter (seed 001,
Leicester's "Workload and Resources"): dated snapshot measures with the change
from 13 weeks before, staff headcount by service, and the budget with income in
brackets.

* :func:`load_snapshot` reads snapshot values from CSV/XLSX (by measure id or by
  the printed label); :func:`load_extract` computes them from a case-level
  extract (counts, rates per 10,000 with the population from the store, caseload
  statistics per worker and team against thresholds per team type);
  :func:`generate_extract` writes a SYNTHETIC extract for demos and tests.
* :func:`summarise_snapshot` gives the table of value, change and % change
  (``-`` from 0; a range where the figures are known only rounded).
* :func:`load_headcount` and :func:`load_budget` read those tables and reconcile
  their totals with :func:`lacompare.formatting.tables.reconcile`.

The vocabulary (measures and their labels, thresholds, case types, the published
measures that match) is in ``data/*.csv``, each file naming its source.

This package imports nothing heavy until a function is used (the CLI imports it).
"""

from __future__ import annotations

from lacompare._lazy import lazy_exports

__all__ = [
    "load_snapshot",
    "load_headcount",
    "load_budget",
    "load_extract",
    "summarise_snapshot",
    "derive_snapshot_change",
    "SnapshotComparison",
    "read_snapshot_file",
    "read_extract",
    "summarise_extract",
    "population_for",
    "monthly_dates",
    "generate_extract",
    "write_synthetic_extract",
    "headcount_table",
    "budget_tables",
    "summarise_resources",
    "read_snapshot_values",
    "read_resource_lines",
    "snapshot_dates",
    "read_measures",
    "read_thresholds",
    "read_case_types",
    "read_published_matches",
    "match_measure",
    "LoadResult",
    "resolve_la",
]

_WHERE = {
    "load_snapshot": "_load",
    "load_headcount": "_load",
    "load_budget": "_load",
    "LoadResult": "_load",
    "load_extract": "_extract",
    "read_extract": "_extract",
    "summarise_extract": "_extract",
    "population_for": "_extract",
    "monthly_dates": "_extract",
    "summarise_snapshot": "_change",
    "derive_snapshot_change": "_change",
    "SnapshotComparison": "_change",
    "read_snapshot_file": "_read_snapshot",
    "generate_extract": "_synthetic",
    "write_synthetic_extract": "_synthetic",
    "headcount_table": "_resources",
    "budget_tables": "_resources",
    "summarise_resources": "_resources",
    "read_snapshot_values": "_store",
    "read_resource_lines": "_store",
    "snapshot_dates": "_store",
    "read_measures": "_vocab",
    "read_thresholds": "_vocab",
    "read_case_types": "_vocab",
    "read_published_matches": "_vocab",
    "match_measure": "_vocab",
    # Used by later stages.
    "resolve_la": "lacompare.snapshot._read",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
