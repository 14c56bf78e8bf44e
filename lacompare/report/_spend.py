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

from lacompare.errors import InputError
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._reports import (
    Document,
    SourceTracker,
    format_measure_value,
    join_words,
    measure_decimals,
    missing_where,
    resolve_measure,
    sentence_label,
    split_specs,
)

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = ["build_spend"]


def _d3(unit: str | None, decimals: int) -> str:
    if (
        unit
        and unit.lower().startswith("£")
        and unit.lower() not in ("£000", "£ thousand", "£m")
    ):
        return f"$,.{decimals}f"
    return f",.{decimals}f"


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
    **unknown: Any,
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
    from lacompare.analysis import model_spend
    from lacompare.analysis.models import SPEND_FACTORS
    from lacompare.charts import heatmap_chart, predicted_actual_chart

    if unknown:
        raise InputError("the spend report has no option " + ", ".join(sorted(unknown)))
    if not target:
        raise InputError("spend needs a target spend measure (--target M)")
    factor_list = split_specs(factors) or None
    if isinstance(exclude, str):
        exclude = [e.strip() for e in exclude.split(",") if e.strip()]
    model = model_spend(
        store, target, factor_list, k=folds, seed=seed, exclude=list(exclude or ())
    )
    reg = model.regression
    variables = reg.variables
    tvar = variables[variables["role"] == "target"].iloc[0]
    target_spec = resolve_measure(
        store,
        str(tvar["measure"]) + (f"[{tvar['breakdown']}]" if tvar["breakdown"] else ""),
    )
    unit = target_spec.unit
    tlabel = target_spec.label
    tracker = SourceTracker(store)
    for v in variables.itertuples():
        tracker.use(
            v.measure,
            None if str(v.breakdown).startswith("(") else v.breakdown,
            [v.period],
        )
    fit = model.fit.iloc[0]
    dec = measure_decimals(model.predictions["actual"], unit)

    def fmt(v: Any) -> str:
        return format_measure_value(v, unit, dec)

    period = str(tvar["period"])
    doc = Document(
        "spend",
        title
        or f"What drives {sentence_label(tlabel)}: "
        f"expected against actual spend, {period}",
        subtitle=f"{model.n} authorities placed on the factors linked "
        "with spend, with the spend those factors predict.",
        name="spend",
    )
    fvars = variables[variables["role"] == "factor"]
    flabels = {
        r.name: (r.label if isinstance(r.label, str) and r.label else r.measure)
        for r in fvars.itertuples()
    }
    cv_r2, r2 = float(fit["cv_r2"]), float(fit["r2"])
    pred = model.predictions.copy()
    above = pred.sort_values("gap", ascending=False).head(5)
    below = pred.sort_values("gap").head(5)
    doc.key_points = [
        f"The factors ({join_words(list(flabels.values()))}) account for "
        f"{r2:.0%} of the variation in {sentence_label(tlabel)} between "
        f"{model.n} authorities (R²); predicting authorities left out of the fit, "
        f"they account for {max(cv_r2, 0):.0%} ({folds}-fold cross-validated R²).",
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

    # Factors.
    fac = doc.section("The factors")
    fac.p(
        "The LGA / Newton Europe study of 2018 found five factors outside "
        "councils' control that go with most of the variation in spend on "
        "children's services: deprivation, the size of the 0-25 population, "
        "disposable household income, unemployment and crime. Each is matched "
        "here to a measure in the store; the coefficients show the link each "
        "has with spend when the others are held equal."
    )
    coef = model.coefficients.set_index("term")
    rows = []
    descriptions = {fam: desc for fam, desc, _ in SPEND_FACTORS}
    for r in model.factors.itertuples():
        term = r.measure if isinstance(r.measure, str) else None
        logged = term is not None and f"log({term})" in coef.index
        if logged:
            # The model chosen logs skewed factors; the coefficient is per log unit.
            term = f"log({term})"
        c = coef.loc[term] if term is not None and term in coef.index else None
        rows.append(
            {
                "factor": (
                    descriptions.get(r.family, "").split(":")[0]
                    if isinstance(r.family, str) and r.family
                    else "Named factor"
                ),
                "measure": (
                    r.label
                    if isinstance(r.label, str)
                    else (
                        r.measure if isinstance(r.measure, str) else "not in the store"
                    )
                )
                + (" (natural log)" if logged else ""),
                "period": r.period if isinstance(r.period, str) else "",
                "coef": float(c["coef"]) if c is not None else np.nan,
                "beta": float(c["beta"]) if c is not None else np.nan,
                "p": float(c["p"]) if c is not None else np.nan,
                "note": (
                    r.note.split(":", 1)[1].replace(": no measure found", "").strip()
                    if isinstance(r.note, str) and ":" in r.note
                    else (r.note if isinstance(r.note, str) else "")
                ),
            }
        )
    ft = pd.DataFrame(rows)
    ft["coef_text"] = [
        f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}" if v == v else "[x]"
        for v in ft["coef"]
    ]
    for col in ("coef", "beta", "p"):
        ft[col + "__missing"] = missing_where(ft[col].isna(), "not-available")
    fac.table(
        ReportTable(
            f"Factors of the model of {sentence_label(tlabel)}",
            ft,
            [
                Column("factor", "Factor", role="label"),
                Column("measure", "Measure used", role="text"),
                Column("period", "Period", role="text"),
                Column("coef_text", "Coefficient", role="text"),
                Column("beta", "Standardised coefficient", role="rate", decimals=2),
                Column("p", "p", role="rate", decimals=3),
                Column("note", "Expected link (Newton Europe)", role="text"),
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
            f"Factors of the model of {sentence_label(tlabel)} (values)",
            ft,
            [
                Column("factor", "Factor", role="label"),
                Column("measure", "Measure used", role="text"),
                Column("period", "Period", role="text"),
                Column("coef", "Coefficient", role="rate", decimals=6),
                Column("beta", "Standardised coefficient", role="rate", decimals=3),
                Column("p", "p", role="rate", decimals=4),
                Column("note", "Expected link (Newton Europe)", role="text"),
            ],
            name="Factors (values)",
        ),
        html=False,
    )
    if model.common_period:
        fac.note(f"Periods: {model.common_period}.")
    missing = [r for r in rows if r["coef"] != r["coef"]]
    if missing:
        fac.note(
            "Not in the model, for want of a measure: "
            + join_words([str(m["factor"]).lower() for m in missing])
            + ". Load a "
            "measure for each to complete the five-factor view."
        )

    # Fit.
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
    ff = pd.DataFrame(
        [
            {"stat": "Authorities in the model (n)", "value": float(fit["n"]), "d": 0},
            {
                "stat": "Authorities left out (no value for a variable)",
                "value": float(fit["excluded"]),
                "d": 0,
            },
            {"stat": "R²", "value": r2, "d": 3},
            {"stat": "Adjusted R²", "value": float(fit["r2_adj"]), "d": 3},
            {"stat": f"Cross-validated R² ({folds}-fold)", "value": cv_r2, "d": 3},
            {
                "stat": "Cross-validated root mean squared error",
                "value": float(fit["cv_rmse"]),
                "d": 0,
            },
            {
                "stat": "Cross-validated mean absolute error",
                "value": float(fit["cv_mae"]),
                "d": 0,
            },
        ]
    )
    ff["text"] = [
        f"{v:,.{d}f}" if d else f"{v:,.0f}"
        for v, d in zip(ff["value"], ff["d"], strict=True)
    ]
    fit_sec.table(
        ReportTable(
            "Model fit",
            ff[["stat", "text"]],
            [
                Column("stat", "Statistic", role="label"),
                Column("text", "Value", role="text"),
            ],
            notes=[
                f"Errors are in the unit of spend ({unit or 'as stored'}). Folds "
                f"are drawn with seed {int(fit['seed'])}, so the figures repeat."
            ],
            name="Fit",
        ),
        xlsx=False,
    )
    comparison = model.comparison
    if comparison is not None:
        ct = comparison.table.copy()
        ct["chosen_text"] = np.where(ct["chosen"], "Yes", "")
        fit_sec.p(
            f"Four forms of the model were compared on the same authorities "
            f"by {comparison.k}-fold cross-validation repeated "
            f"{comparison.repeats} times: {comparison.why}. The figures in "
            f"this report are from the {fit['model']} model"
            + (f" ({fit['logged']} logged)" if fit["logged"] else "")
            + "."
        )
        fit_sec.table(
            ReportTable(
                "Forms of the model compared",
                ct,
                [
                    Column("variant", "Model", role="label"),
                    Column("about", "What it adds", role="text"),
                    Column("terms", "Terms", role="rate", decimals=0),
                    Column(
                        "cv_r2", "Cross-validated R² (mean)", role="rate", decimals=3
                    ),
                    Column("cv_r2_sd", "SD over repeats", role="rate", decimals=3),
                    Column(
                        "cv_rmse",
                        "Cross-validated RMSE (mean)",
                        role="rate",
                        decimals=0,
                    ),
                    Column("chosen_text", "Chosen", role="text"),
                ],
                notes=[
                    "The model chosen is the one with the fewest terms whose mean "
                    "cross-validated R² is within one standard deviation of the "
                    "best: extra terms must clearly predict better to be kept."
                ],
                name="Models compared",
            )
        )
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

    # Predicted against actual.
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
            measure=tlabel,
            lower="pi_lower",
            upper="pi_upper",
            period=period,
            number_format=_d3(unit, dec),
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
    gaps = pd.concat(
        [above.assign(side="Above prediction"), below.assign(side="Below prediction")],
        ignore_index=True,
    )
    shown_unit = unit if unit not in (None, "") else None
    gaps_table = ReportTable(
        "Authorities furthest from their predicted spend",
        gaps,
        [
            Column("la_name", "Authority", role="label"),
            Column("region", "Region", role="text"),
            Column("actual", "Actual", unit=shown_unit, role="rate", decimals=dec),
            Column(
                "predicted", "Predicted", unit=shown_unit, role="rate", decimals=dec
            ),
            Column("gap_pct", "Gap", unit="%", role="rate", decimals=0),
        ],
        group="side",
        notes=["Gap: actual minus predicted, as % of predicted."],
        name="Largest gaps",
    )
    pa.table(gaps_table)

    _explain_section(doc, model, unit, tlabel, authority)
    _panel_section(doc, store)

    # Heatmap.
    hm = doc.section("Where each authority sits: factor quintiles")
    hm.p(
        "Each authority's quintile among the authorities modelled, on spend and "
        "on each factor: 1 is the lowest fifth, 5 the highest. The number in "
        "each cell says it; the shading repeats it. One chart per region."
    )
    data = reg.data
    names = [reg.target, *flabels]
    labels = {reg.target: tlabel, **flabels}
    long = data.melt(
        id_vars=["la_code", "la_name", "region"],
        value_vars=names,
        var_name="name",
        value_name="value",
    )
    long["factor"] = long["name"].map(labels)
    order = [labels[n] for n in names]
    for region, part in data.groupby("region", sort=True):
        show = sorted(part["la_name"])
        hm.figure(
            heatmap_chart(
                long,
                factors=order,
                show=show,
                title=f"{region}: quintiles of spend and factors",
                period=period,
            ),
            caption=f"{len(show)} authorities in {region}; quintiles are "
            f"among all {model.n}.",
            name=f"Heatmap {region}"[:31],
        )
    heat = model.heatmap.copy()
    heat_cols = [
        Column("la_name", "Authority", role="label"),
        Column("region", "Region", role="text"),
    ]
    heat_cols += [Column(n, labels.get(n, n), role="rate", decimals=0) for n in names]
    hm.table(
        ReportTable(
            "Quintiles of spend and factors, every authority",
            heat,
            heat_cols,
            notes=["1 = lowest fifth, 5 = highest."],
            name="Quintiles",
        ),
        html=False,
    )

    # Every authority.
    every = doc.section("Every authority: actual and predicted spend")
    table = pred.sort_values("la_name")[
        [
            "la_name",
            "region",
            "actual",
            "predicted",
            "gap",
            "gap_pct",
            "pi_lower",
            "pi_upper",
            "cv_predicted",
        ]
    ].copy()
    every.table(
        ReportTable(
            f"Actual and predicted {sentence_label(tlabel)}, {period}",
            table,
            [
                Column("la_name", "Authority", role="label"),
                Column("region", "Region", role="text"),
                Column("actual", "Actual", unit=shown_unit, role="rate", decimals=dec),
                Column(
                    "predicted", "Predicted", unit=shown_unit, role="rate", decimals=dec
                ),
                Column("gap_pct", "Gap", unit="%", role="rate", decimals=0),
                Column(
                    "pi_lower",
                    "95% interval from",
                    unit=shown_unit,
                    role="rate",
                    decimals=dec,
                ),
                Column(
                    "pi_upper",
                    "95% interval to",
                    unit=shown_unit,
                    role="rate",
                    decimals=dec,
                ),
                Column(
                    "cv_predicted",
                    "Predicted when left out",
                    unit=shown_unit,
                    role="rate",
                    decimals=dec,
                ),
            ],
            notes=[
                "Predicted: the fit on all authorities, as the study published it; "
                "predicted when left out: from the model fitted without the "
                "authority's fold (the cross-validated prediction)."
            ],
            name="Predictions",
        )
    )
    if len(model.excluded):
        every.p("Left out of the model (a value missing for a variable):")
        every.bullets([f"{r.la_name}: {r.reason}" for r in model.excluded.itertuples()])

    lim = doc.section("Limitations")
    lim.bullets(
        [
            "Correlation is not cause: the factors go with spend across authorities; "
            "they do not set what any authority should spend. There are authorities "
            "with high deprivation, good outcomes and low spend, and the reverse.",
            "The model is fitted on one year's spend; factors may come from other "
            "years (each factor's period is given).",
            "Authorities created since a factor was published (the 2019-2023 "
            "reorganisations) have no value for it and are left out.",
            "A large gap can reflect how spend is recorded as well as what is spent.",
            f"With {model.n} authorities and {len(flabels)} factors, the fit is "
            "modest; the cross-validated R² is the better guide to how far the "
            "predictions can be trusted.",
            "The claimant count divides every year's claimants by the mid-2023 "
            "population aged 16-64, and its definition changed in 2013-15 (Universal "
            "Credit); it stands for unemployment, it is not the ILO rate.",
            "Disposable household income (GDHI) is in current prices, not deflated.",
            "Recorded crime is for one year (to June 2025): crimes recorded by the "
            "police, summed from Community Safety Partnerships, per 1,000 residents "
            "of mid-2023.",
        ]
    )
    doc.reading_notes = [
        "Quintiles: authorities ranked and split into five equal groups; 1 is the "
        "lowest fifth.",
        "Prediction interval: where 95% of authorities with those factor values "
        "would be expected to fall.",
    ]
    doc.sources = tracker.frame()
    return doc


def _explain_section(
    doc: Document, model: Any, unit: str | None, tlabel: str, authority: str | None
) -> None:
    """Why expected spend differs: each factor's part, in a chart and a sentence."""
    from lacompare.analysis import (
        contribution_names,
        describe_contributions,
    )
    from lacompare.charts import contribution_chart
    from lacompare.geography import match_authority_strict

    pred = model.predictions
    columns = [c for c in pred.columns if c.startswith("contribution_")]
    if not columns:
        return
    names = contribution_names(model)
    money = "£" if unit and "£" in unit else ""
    sec = doc.section("Why each authority's expected spend differs")
    sec.p(
        "Each factor's part of an authority's expected spend, against the average "
        "expected spend of the authorities modelled: the parts add up to the "
        "difference. A factor raises expected spend where the authority is above "
        "average on it and the factor goes with more spend. (The parts are "
        "Shapley values of the fitted model.) They explain the prediction, not "
        "the authority's actual spend."
    )
    ordered = pred.assign(expected=pred["predicted"] - pred["predicted"].mean())
    ordered = ordered.sort_values("expected", ascending=False)
    chosen = [*ordered.head(3)["la_code"], *ordered.tail(3)["la_code"][::-1]]
    if authority:
        match = match_authority_strict(authority, current=True)
        if match.la_code in set(pred["la_code"]):
            chosen = [match.la_code, *[c for c in chosen if c != match.la_code]]
        else:
            sec.note(
                f"{authority} is not among the authorities modelled "
                "(see those left out below)."
            )
    by_code = pred.set_index("la_code")
    for code in chosen:
        row = by_code.loc[code]
        parts = row[columns].rename(index=names)
        frame = pd.DataFrame(
            {"factor": parts.index, "contribution": parts.to_numpy(dtype=float)}
        )
        sec.p(
            describe_contributions(
                str(row["la_name"]),
                row[columns].rename(
                    index={c: "contribution_" + names[c].lower() for c in columns}
                ),
                money,
            )
        )
        sec.figure(
            contribution_chart(
                frame,
                authority=str(row["la_name"]),
                measure=sentence_label(tlabel),
                number_format=_d3(unit, 0),
            ),
            caption=f"Predicted {money}{row['predicted']:,.0f} against an average "
            f"of {money}{pred['predicted'].mean():,.0f}.",
            name=f"Why {row['la_name']}"[:31],
        )
    table = pred[["la_name", "region", "predicted", *columns]].sort_values("la_name")
    shown_unit = unit if unit not in (None, "") else None
    sec.table(
        ReportTable(
            "Each factor's part of expected spend, every authority",
            table,
            [
                Column("la_name", "Authority", role="label"),
                Column("region", "Region", role="text"),
                Column(
                    "predicted", "Predicted", unit=shown_unit, role="rate", decimals=0
                ),
                *[
                    Column(c, names[c], unit=shown_unit, role="rate", decimals=0)
                    for c in columns
                ],
            ],
            notes=[
                "Each part is against the average expected spend; the parts of a "
                "row add up to its predicted spend minus that average."
            ],
            name="Contributions",
        ),
        html=False,
    )


def _panel_section(doc: Document, store: Store) -> None:
    """Beside the cross-section: spend over the years as the yearly factors moved."""
    from lacompare.analysis import fit_spend_panel
    from lacompare.errors import LacompareError

    sec = doc.section("Spend over the years as the factors changed")
    try:
        panel = fit_spend_panel(store)
    except LacompareError as exc:
        sec.p(f"No panel could be fitted beside the one-year model: {exc}.")
        return
    result = panel.result
    sec.p(
        panel.note + " Deprivation (IDACI, an edition every few years) and "
        "recorded crime (one year) do not change year by year here, so they are "
        "absorbed by the authority effects."
    )
    table = result.coefficients.copy()
    # The panel lists each variable once per year; one label per variable.
    labels = result.variables.drop_duplicates("name").set_index("name")["label"]
    table["label"] = [str(labels.get(t) or t) for t in table["term"]]
    sec.table(
        ReportTable(
            f"Panel: {result.target} on the yearly factors",
            table,
            [
                Column("label", "Factor", role="label"),
                Column("coef", "Coefficient", role="rate", decimals=4),
                Column("se", "Standard error", role="rate", decimals=4),
                Column("p", "p", role="rate", decimals=3),
            ],
            notes=[
                f"Within R² (after the fixed effects): {result.r2_within:.3f}. "
                "Coefficient: the change in spend per child for one unit more of "
                "the factor within an authority, in the same year as others. GDHI "
                "is in current prices; the year effects take out inflation common "
                "to all authorities."
            ],
            name="Panel",
        )
    )
