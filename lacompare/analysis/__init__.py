"""Analysis over the store: summaries, comparisons, neighbours, tests and models.

Heavy libraries (scipy, statsmodels) are imported by the functions that use them.
"""

from lacompare.analysis.compare import AGAINST, Comparison, compare, funnel_limits
from lacompare.analysis.models import (
    SPEND_FACTORS,
    PanelResult,
    RegressionResult,
    SpendModel,
    find_spend_factors,
    fit_panel,
    fit_regression,
    model_spend,
    parse_years,
    quintiles,
)
from lacompare.analysis.summaries import (
    REGION_ORDER,
    Summary,
    resolve_exclusions,
    summarise,
    summarise_by_group,
)

__all__ = ["summarise_by_group", "REGION_ORDER",
           "summarise", "Summary", "resolve_exclusions",
           "compare", "Comparison", "AGAINST", "funnel_limits",
           "fit_regression", "fit_panel", "model_spend", "find_spend_factors",
           "quintiles", "parse_years", "RegressionResult", "PanelResult",
           "SpendModel", "SPEND_FACTORS"]
