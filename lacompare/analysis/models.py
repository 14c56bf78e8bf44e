"""Models of the variation between authorities: regression, panels, expected spend.

Three models, each fitted with statsmodels on values read from the store:

- :func:`fit_regression`: one cross-section, multiple OLS with robust (HC3) standard
  errors, optional log transforms and standardised coefficients.
- :func:`fit_panel`: authorities × years with authority and year fixed effects and
  standard errors clustered by authority.
- :func:`model_spend`: the expected-spend model of the LGA/Newton Europe study
  ("Making Sense", 2018): spend per head on deprivation, 0-25 population, disposable
  income, unemployment and crime, with k-fold cross-validated error, predicted against
  actual spend for every authority and each authority's quintile on every factor.

Variables are named as measures of the store, optionally with a period and a
breakdown: ``measure``, ``measure@period`` or ``measure[breakdown]@period``. A
variable without a period takes the measure's latest period (each its own: a
spend figure for 2024-25 can be modelled on IDACI 2019); every result lists the
period each variable used. Every result carries ``n`` and an ``excluded`` table of
the authorities left out and why (a missing or suppressed value, no row for the
period, a value that cannot be logged, an exclusion asked for). A missing value
is never 0.

These are associations between authorities, not causes.

The work is done in named steps, one module each: the plan of the variables
(``_model_plan``), the model frame and who was left out (``_model_frame``), the
cross-section (``_model_ols``), the panel (``_model_panel``), the spend factors
(``_spend_factors``) and the expected-spend model (``_model_spend``); this module
gathers their public names.
"""

from __future__ import annotations

from lacompare.analysis._model_ols import RegressionResult, fit_regression
from lacompare.analysis._model_panel import PanelResult, fit_panel
from lacompare.analysis._model_plan import ROBUST_TYPES, parse_years
from lacompare.analysis._model_spend import SpendModel, model_spend, quintiles
from lacompare.analysis._spend_factors import SPEND_FACTORS, find_spend_factors

__all__ = [
    "ROBUST_TYPES",
    "SPEND_FACTORS",
    "PanelResult",
    "RegressionResult",
    "SpendModel",
    "find_spend_factors",
    "fit_panel",
    "fit_regression",
    "model_spend",
    "parse_years",
    "quintiles",
]
