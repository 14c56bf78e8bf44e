"""Analysis over the store: summaries, comparisons, neighbours, tests and models.

Names are imported on first use, so the command line starts fast.
"""

from __future__ import annotations

from lacompare._lazy import lazy_exports

_EXPORTS = {
    "summarise_by_group": "summaries",
    "REGION_ORDER": "summaries",
    "summarise": "summaries",
    "Summary": "summaries",
    "resolve_exclusions": "summaries",
    "summarise_grouped": "grouped",
    "grouped_report_table": "grouped",
    "compare": "_compare",
    "Comparison": "_compare",
    "AGAINST": "_compare",
    "funnel_limits": "_compare",
    "fit_regression": "models",
    "fit_panel": "models",
    "model_spend": "models",
    "find_spend_factors": "models",
    "quintiles": "models",
    "parse_years": "models",
    "RegressionResult": "models",
    "PanelResult": "models",
    "SpendModel": "models",
    "SPEND_FACTORS": "models",
    "compute_neighbours": "neighbours",
    "load_neighbour_set": "neighbours",
    "read_neighbour_set": "neighbours",
    "ReadNeighbours": "neighbours",
    "read_neighbour_file": "neighbours",
    "read_dfe_neighbours": "neighbours",
    "compare_neighbour_sets": "neighbours",
    "neighbours_of": "neighbours",
    "list_neighbour_sets": "neighbours",
    "packaged_neighbour_file": "neighbours",
    "NeighbourSet": "neighbours",
    "SetComparison": "neighbours",
    "PACKAGED_SETS": "neighbours",
    "correlate": "significance",
    "correlation_matrix": "significance",
    "pairwise_correlation": "significance",
    "mann_whitney": "significance",
    "kruskal": "significance",
    "adjust_p": "significance",
    "read_la_values": "significance",
    "Correlation": "significance",
    "CorrelationMatrix": "significance",
    "MannWhitney": "significance",
    "KruskalWallis": "significance",
    # Used by later stages.
    "compare_headline": "lacompare.analysis._headline",
    "contribution_names": "lacompare.analysis._spend_explain",
    "describe_contributions": "lacompare.analysis._spend_explain",
    "fit_spend_panel": "lacompare.analysis._spend_panel",
    "headline_indicators": "lacompare.analysis._headline",
    "split_variables": "lacompare.analysis._variables",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
