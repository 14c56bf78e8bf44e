"""The ``spend`` report: the five-factor view of children's services spend.

After the LGA / Newton Europe study *Making Sense: understanding the drivers of
variation in spend on children's services* (2018): spend per head is set
against deprivation, the size of the 0-25 population, disposable income,
unemployment and crime (or the factors given). The report shows

* which measure stood for each factor, and the direction of its link with spend;
* a heatmap placing every authority in a quintile on spend and on each factor,
  one chart per region so that each reads at A4;
* predicted against actual spend from :func:`lacompare.analysis.model_spend`,
  the authorities furthest from their prediction, and the model's fit, with
  k-fold cross-validated R² (the honest measure of how well it predicts).

As the study said, this is correlation: it cannot say what an authority should
spend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._options import check_options
from lacompare.report._reports import (
    Document,
    SourceTracker,
    join_words,
    measure_decimals,
    missing_where,
    resolve_measure,
    sentence_label,
    split_specs,
)
from lacompare.report._spend_sections import (
    SpendView,
    _explain_section,
    _panel_section,
    every_section,
    heatmap_section,
    limitations_section,
)
from lacompare.report._words import d3_format

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = ["build_spend"]


def fit_spend(
    store: Store,
    target: str,
    factors: Sequence[str] | str | None,
    folds: int,
    seed: int,
    exclude: Sequence[str] | str | None,
) -> SpendView:
    """Fit :func:`~lacompare.analysis.model_spend` and resolve its target."""
    from lacompare.analysis import model_spend

    if isinstance(exclude, str):
        exclude = [e.strip() for e in exclude.split(",") if e.strip()]
    model = model_spend(
        store,
        target,
        split_specs(factors) or None,
        k=folds,
        seed=seed,
        exclude=list(exclude or ()),
    )
    variables = model.regression.variables
    tvar = variables[variables["role"] == "target"].iloc[0]
    target_spec = resolve_measure(
        store,
        str(tvar["measure"]) + (f"[{tvar['breakdown']}]" if tvar["breakdown"] else ""),
    )
    dec = measure_decimals(model.predictions["actual"], target_spec.unit)
    return SpendView(model, tvar, target_spec.unit, target_spec.label, dec, folds)


def build_spend(
    store: Store,
    *,
    target: str | None = None,
    factors: Sequence[str] | str | None = None,
    folds: int = 10,
    seed: int = 0,
    exclude: Sequence[str] | str | None = None,
    title: str | None = None,
    authority: str | None = None,
) -> Document:
    """The spend report: expected against actual spend, and the factors behind it.

    Parameters
    ----------
    store
        An open store.
    target
        The spend measure (per head or per child), as for
        :func:`~lacompare.analysis.model_spend` (``measure[breakdown]@period``).
    factors
        Factor measures (default: the five found by
        :func:`~lacompare.analysis.find_spend_factors`).
    folds, seed
        Cross-validation folds and the seed of their assignment.
    exclude
        Authorities to leave out (names or codes).
    title
        The report's title.
    authority
        An authority whose expected spend is explained first (name or code); the
        report always explains the three with the highest and lowest.
    """
    check_options("spend", {"target": target})
    view = fit_spend(store, str(target), factors, folds, seed, exclude)
    model = view.model
    tracker = SourceTracker(store)
    for v in model.regression.variables.itertuples():
        tracker.use(
            v.measure,
            None if str(v.breakdown).startswith("(") else v.breakdown,
            [v.period],
        )
    doc = Document(
        "spend",
        title
        or f"What drives {sentence_label(view.tlabel)}: "
        f"expected against actual spend, {view.period}",
        subtitle=f"{model.n} authorities placed on the factors linked "
        "with spend, with the spend those factors predict.",
        name="spend",
    )
    doc.key_points = spend_key_points(view)
    factors_section(doc, view)
    fit_section(doc, view)
    predicted_section(doc, view)
    _explain_section(doc, model, view.unit, view.tlabel, authority)
    _panel_section(doc, store)
    heatmap_section(doc, view)
    every_section(doc, view)
    limitations_section(doc, view)
    doc.reading_notes = [
        "Quintiles: authorities ranked and split into five equal groups; 1 is the "
        "lowest fifth.",
        "Prediction interval: where 95% of authorities with those factor values "
        "would be expected to fall.",
    ]
    doc.sources = tracker.frame()
    return doc


def spend_key_points(view: SpendView) -> list[str]:
    """How much of the variation the factors account for, the typical gap, and
    the authorities furthest above their prediction."""
    fit, model, fmt = view.fit, view.model, view.fmt
    cv_r2, r2 = float(fit["cv_r2"]), float(fit["r2"])
    above, _ = view.gaps()
    return [
        f"The factors ({join_words(list(view.flabels.values()))}) account for "
        f"{r2:.0%} of the variation in {sentence_label(view.tlabel)} between "
        f"{model.n} authorities (R²); predicting authorities left out of the fit, "
        f"they account for {max(cv_r2, 0):.0%} ({view.folds}-fold cross-validated "
        "R²).",
        f"Typical gap between actual and predicted spend for an authority left out "
        f"of the fit: {fmt(fit['cv_mae'])} (mean absolute error).",
        "Furthest above their prediction: "
        + join_words(
            [
                f"{r.la_name} ({fmt(r.actual)} against {fmt(r.predicted)})"
                for r in above.head(3).itertuples()
            ]
        )
        + ".",
        "This shows association, not cause: it cannot say what any authority "
        "should spend.",
    ]


def _factor_row(r: Any, coef: pd.DataFrame, descriptions: dict[str, str]) -> dict:
    """One factor of the model: the measure that stood for it and its coefficient."""
    term = r.measure if isinstance(r.measure, str) else None
    logged = term is not None and f"log({term})" in coef.index
    if logged:
        # The model chosen logs skewed factors; the coefficient is per log unit.
        term = f"log({term})"
    c = coef.loc[term] if term is not None and term in coef.index else None
    measure = (
        r.label
        if isinstance(r.label, str)
        else (r.measure if isinstance(r.measure, str) else "not in the store")
    )
    note = r.note if isinstance(r.note, str) else ""
    return {
        "factor": (
            descriptions.get(r.family, "").split(":")[0]
            if isinstance(r.family, str) and r.family
            else "Named factor"
        ),
        "measure": measure + (" (natural log)" if logged else ""),
        "period": r.period if isinstance(r.period, str) else "",
        "coef": float(c["coef"]) if c is not None else np.nan,
        "beta": float(c["beta"]) if c is not None else np.nan,
        "p": float(c["p"]) if c is not None else np.nan,
        "note": (
            note.split(":", 1)[1].replace(": no measure found", "").strip()
            if ":" in note
            else note
        ),
    }


def factors_frame(model: Any) -> pd.DataFrame:
    """Each factor: its measure, period, coefficients and expected link."""
    from lacompare.analysis.models import SPEND_FACTORS

    coef = model.coefficients.set_index("term")
    descriptions = {fam: desc for fam, desc, _ in SPEND_FACTORS}
    ft = pd.DataFrame(
        [_factor_row(r, coef, descriptions) for r in model.factors.itertuples()]
    )
    ft["coef_text"] = [
        f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}" if v == v else "[x]"
        for v in ft["coef"]
    ]
    for col in ("coef", "beta", "p"):
        ft[col + "__missing"] = missing_where(ft[col].isna(), "not-available")
    return ft


def factors_section(doc: Document, view: SpendView) -> None:
    """The factors: which measure stood for each, and its link with spend."""
    model, slabel = view.model, sentence_label(view.tlabel)
    fac = doc.section("The factors")
    fac.p(
        "The LGA / Newton Europe study of 2018 found five factors outside "
        "councils' control that go with most of the variation in spend on "
        "children's services: deprivation, the size of the 0-25 population, "
        "disposable household income, unemployment and crime. Each is matched "
        "here to a measure in the store; the coefficients show the link each "
        "has with spend when the others are held equal."
    )
    ft = factors_frame(model)
    head = [
        Column("factor", "Factor", role="label"),
        Column("measure", "Measure used", role="text"),
        Column("period", "Period", role="text"),
    ]
    link = Column("note", "Expected link (Newton Europe)", role="text")
    fac.table(
        ReportTable(
            f"Factors of the model of {slabel}",
            ft,
            [
                *head,
                Column("coef_text", "Coefficient", role="text"),
                Column("beta", "Standardised coefficient", role="rate", decimals=2),
                Column("p", "p", role="rate", decimals=3),
                link,
            ],
            notes=[
                "Coefficient: the change in spend for one unit more of the factor, "
                "others held equal (for a factor in natural logs, for a 2.7-fold "
                "change); standardised: in standard deviations, so factors "
                "compare. p uses robust (HC3) standard errors.",
                "[x]: no measure for this factor in the store, so it is left out "
                "of the model.",
            ],
            name="Factors",
        ),
        xlsx=False,
    )
    fac.table(
        ReportTable(
            f"Factors of the model of {slabel} (values)",
            ft,
            [
                *head,
                Column("coef", "Coefficient", role="rate", decimals=6),
                Column("beta", "Standardised coefficient", role="rate", decimals=3),
                Column("p", "p", role="rate", decimals=4),
                link,
            ],
            name="Factors (values)",
        ),
        html=False,
    )
    if model.common_period:
        fac.note(f"Periods: {model.common_period}.")
    missing = ft[ft["coef"].isna()]
    if len(missing):
        fac.note(
            "Not in the model, for want of a measure: "
            + join_words([str(m).lower() for m in missing["factor"]])
            + ". Load a "
            "measure for each to complete the five-factor view."
        )


def fit_frame(view: SpendView) -> pd.DataFrame:
    """The fit statistics, each with its decimals and printed text."""
    fit, folds = view.fit, view.folds
    ff = pd.DataFrame(
        [
            ("Authorities in the model (n)", float(fit["n"]), 0),
            (
                "Authorities left out (no value for a variable)",
                float(fit["excluded"]),
                0,
            ),
            ("R²", float(fit["r2"]), 3),
            ("Adjusted R²", float(fit["r2_adj"]), 3),
            (f"Cross-validated R² ({folds}-fold)", float(fit["cv_r2"]), 3),
            ("Cross-validated root mean squared error", float(fit["cv_rmse"]), 0),
            ("Cross-validated mean absolute error", float(fit["cv_mae"]), 0),
        ],
        columns=["stat", "value", "d"],
    )
    ff["text"] = [
        f"{v:,.{d}f}" if d else f"{v:,.0f}"
        for v, d in zip(ff["value"], ff["d"], strict=True)
    ]
    return ff


def models_compared_table(comparison: Any) -> ReportTable:
    """The forms of the model compared by repeated cross-validation."""
    ct = comparison.table.copy()
    ct["chosen_text"] = np.where(ct["chosen"], "Yes", "")
    return ReportTable(
        "Forms of the model compared",
        ct,
        [
            Column("variant", "Model", role="label"),
            Column("about", "What it adds", role="text"),
            Column("terms", "Terms", role="rate", decimals=0),
            Column("cv_r2", "Cross-validated R² (mean)", role="rate", decimals=3),
            Column("cv_r2_sd", "SD over repeats", role="rate", decimals=3),
            Column("cv_rmse", "Cross-validated RMSE (mean)", role="rate", decimals=0),
            Column("chosen_text", "Chosen", role="text"),
        ],
        notes=[
            "The model chosen is the one with the fewest terms whose mean "
            "cross-validated R² is within one standard deviation of the "
            "best: extra terms must clearly predict better to be kept."
        ],
        name="Models compared",
    )


def fit_section(doc: Document, view: SpendView) -> None:
    """How well the factors predict spend: R², cross-validated R², errors, and
    the forms of the model compared."""
    fit, folds = view.fit, view.folds
    cv_r2, r2 = float(fit["cv_r2"]), float(fit["r2"])
    fit_sec = doc.section("How well the factors predict spend")
    fit_sec.p(
        f"R² is the share of the variation in spend between authorities "
        f"that the factors account for: {r2:.2f} here (adjusted "
        f"{float(fit['r2_adj']):.2f}). Cross-validated R² ({cv_r2:.2f}) is "
        f"the same share for authorities the model did not see: the "
        f"authorities were split into {folds} groups and each group's spend "
        f"predicted from the others. A model that predicts no better than "
        f"the average has a cross-validated R² of 0 or less."
    )
    ff = fit_frame(view)
    fit_sec.table(
        ReportTable(
            "Model fit",
            ff[["stat", "text"]],
            [
                Column("stat", "Statistic", role="label"),
                Column("text", "Value", role="text"),
            ],
            notes=[
                f"Errors are in the unit of spend ({view.unit or 'as stored'}). Folds "
                f"are drawn with seed {int(fit['seed'])}, so the figures repeat."
            ],
            name="Fit",
        ),
        xlsx=False,
    )
    comparison = view.model.comparison
    if comparison is not None:
        fit_sec.p(
            f"Four forms of the model were compared on the same authorities "
            f"by {comparison.k}-fold cross-validation repeated "
            f"{comparison.repeats} times: {comparison.why}. The figures in "
            f"this report are from the {fit['model']} model"
            + (f" ({fit['logged']} logged)" if fit["logged"] else "")
            + "."
        )
        fit_sec.table(models_compared_table(comparison))
    fit_sec.table(
        ReportTable(
            "Model fit (values)",
            ff[["stat", "value"]],
            [
                Column("stat", "Statistic", role="label"),
                Column("value", "Value", role="rate", decimals=3),
            ],
            name="Fit (values)",
        ),
        html=False,
    )


def predicted_section(doc: Document, view: SpendView) -> None:
    """Predicted against actual spend: a chart, those outside their interval,
    and the largest gaps."""
    from lacompare.charts import predicted_actual_chart

    model, pred = view.model, view.model.predictions.copy()
    pa = doc.section("Predicted against actual spend")
    pa.p(
        "Each authority's actual spend against the spend the factors predict for "
        "it. Above the line, an authority spends more than authorities like it on "
        "these factors; below, less. The study found such gaps can come from how "
        "spend is reported (up to 12%), from practice and process, and from how "
        "services are funded and run, including early help."
    )
    pa.figure(
        predicted_actual_chart(
            pred,
            measure=view.tlabel,
            lower="pi_lower",
            upper="pi_upper",
            period=view.period,
            number_format=d3_format(view.unit, view.decimals),
        ),
        caption="Grey bars: 95% prediction intervals. Named: the largest gaps.",
        name="Predicted vs actual",
    )
    outside = pred[pred["outside_pi"]]
    pa.p(
        f"{len(outside)} of {model.n} authorities lie outside their 95% prediction "
        "interval"
        + (
            f": {join_words(sorted(outside['la_name']))}."
            if 0 < len(outside) <= 12
            else "."
        )
    )
    above, below = view.gaps()
    gaps = pd.concat(
        [above.assign(side="Above prediction"), below.assign(side="Below prediction")],
        ignore_index=True,
    )
    money = {"unit": view.shown_unit, "role": "rate", "decimals": view.decimals}
    pa.table(
        ReportTable(
            "Authorities furthest from their predicted spend",
            gaps,
            [
                Column("la_name", "Authority", role="label"),
                Column("region", "Region", role="text"),
                Column("actual", "Actual", **money),
                Column("predicted", "Predicted", **money),
                Column("gap_pct", "Gap", unit="%", role="rate", decimals=0),
            ],
            group="side",
            notes=["Gap: actual minus predicted, as % of predicted."],
            name="Largest gaps",
        )
    )
