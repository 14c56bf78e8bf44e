"""Spend over the years as the factors changed: a fixed-effects panel.

The cross-section (:func:`lacompare.analysis.model_spend`) compares authorities in
one year. The panel asks a different question: within an authority, did spend per
child move with the factors that change from year to year? Authority fixed effects
take out everything fixed about an authority (its deprivation edition, its size
class, how it records spend); year effects take out what moved for every authority
alike (inflation, national policy). Only the factors published every year can enter:
disposable household income, the claimant rate and the 0-17 population. IDACI
(an edition every few years, never spliced) and recorded crime (one year) cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.analysis._model_panel import PanelResult
    from lacompare.store import Store

#: Spend per child over the years, most preferred first (LAIT's gross spend on
#: children and young people per child aged 0-17, derived by ``lacompare build``).
PANEL_TARGETS = ("cyp_expenditure_per_child",)
#: Factors that change every year, by family, most preferred first.
PANEL_FACTORS = (
    ("disposable_income", "gdhi_per_head"),
    ("unemployment", "claimant_rate"),
    ("population", "population_0_17"),
)


@dataclass
class SpendPanel:
    """The panel fit and what it was fitted on.

    Attributes
    ----------
    result
        The :class:`~lacompare.analysis.models.PanelResult`.
    years
        The first and last year fitted: the years every variable has.
    note
        One sentence saying what the panel is and which years it covers.
    """

    result: PanelResult
    years: tuple[int, int]
    note: str


def _choose_variables(
    store: Store, target: str | None, factors: list[str] | None
) -> tuple[str, list[str]]:
    """The target (default: the first of :data:`PANEL_TARGETS` in the store) and
    the factors (default: those of :data:`PANEL_FACTORS` in the store)."""
    wanted = [*PANEL_TARGETS, *(m for _, m in PANEL_FACTORS)]
    present = {m for m in wanted if store.list_periods(m)}
    if target is None:
        target = next((t for t in PANEL_TARGETS if t in present), None)
        if target is None:
            raise InputError(
                "no spend per child over several years in the store (looked for "
                f"{', '.join(PANEL_TARGETS)}; lacompare build derives it from "
                "LAIT's C&YPExpenditure)"
            )
    if factors is None:
        factors = [m for _, m in PANEL_FACTORS if m in present]
    if not factors:
        raise InputError(
            "no yearly factor in the store for the panel (GDHI per "
            "head, claimant rate or 0-17 population)"
        )
    return target, factors


def _year_span(store: Store, measure: str) -> tuple[int, int]:
    """The first and last year a measure has a value in."""
    from lacompare.analysis._model_plan import year_of_or_none

    periods = store.list_periods(measure, present_only=True)
    years = [y for y in map(year_of_or_none, periods) if y is not None]
    if not years:
        raise InputError(f"{measure} has no period that reads as a year")
    return min(years), max(years)


def fit_spend_panel(
    store: Store, target: str | None = None, factors: list[str] | None = None
) -> SpendPanel:
    """Fit spend per child on the yearly factors, with authority and year effects.

    Parameters
    ----------
    store
        An open store.
    target
        Spend per child over several years (default: the first of
        :data:`PANEL_TARGETS` in the store).
    factors
        Yearly factors (default: those of :data:`PANEL_FACTORS` in the store).

    Returns
    -------
    SpendPanel
        The years are those where the target and every factor have values: the
        overlap, chosen here and stated in ``note``.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> fit_spend_panel(s)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: no spend per child over several years in the
    store (looked for cyp_expenditure_per_child; lacompare build derives it from
    LAIT's C&YPExpenditure)
    """
    from lacompare.analysis._model_panel import fit_panel

    target, factors = _choose_variables(store, target, factors)
    spans = [_year_span(store, measure) for measure in [target, *factors]]
    first, last = max(s[0] for s in spans), min(s[1] for s in spans)
    if last - first < 2:
        raise InputError(
            f"the panel needs at least three years that {target} and "
            f"every factor share; they share {first}-{last}"
        )
    result = fit_panel(store, target, factors, periods=f"{first}:{last}")
    note = (
        f"Panel of {result.n:,} authority-years ({result.n_authorities} "
        f"authorities, {first}-{last}: the years {target} and every factor "
        "share), with authority and year fixed effects and standard errors "
        "clustered by authority: how spend moved within an authority as its "
        "factors moved, beyond what moved for every authority alike."
    )
    return SpendPanel(result=result, years=(first, last), note=note)
