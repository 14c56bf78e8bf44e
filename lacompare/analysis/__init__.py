"""Analysis over the store: summaries, comparisons, neighbours, tests and models.

Names are imported on first use, so the command line starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "summarise_by_group": "summaries", "REGION_ORDER": "summaries",
    "summarise": "summaries", "Summary": "summaries",
    "resolve_exclusions": "summaries",
    "compare": "compare", "Comparison": "compare", "AGAINST": "compare",
    "funnel_limits": "compare",
    "fit_regression": "models", "fit_panel": "models", "model_spend": "models",
    "find_spend_factors": "models", "quintiles": "models", "parse_years": "models",
    "RegressionResult": "models", "PanelResult": "models", "SpendModel": "models",
    "SPEND_FACTORS": "models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f"lacompare.analysis.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lacompare.analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
