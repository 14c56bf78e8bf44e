"""The spend report's view of the fitted model (:class:`SpendView`) and its
later sections: why each authority's expected spend differs (Shapley parts of
the fitted model), the panel of spend over the years, the quintile heatmaps,
every authority's prediction and the limitations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.formatting import format_value
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._document import Document
from lacompare.report._profile_spend import _number
from lacompare.report._words import d3_format, sentence_label

if TYPE_CHECKING:
    from lacompare.store import Store


@dataclass
class SpendView:
    """The fitted model and what every section prints it with."""

    model: Any
    target: Any
    unit: str | None
    tlabel: str
    decimals: int
    folds: int

    @property
    def fit(self) -> Any:
        """The model's fit row (R², cross-validated R², errors)."""
        return self.model.fit.iloc[0]

    @property
    def period(self) -> str:
        """The target's period."""
        return str(self.target["period"])

    @property
    def flabels(self) -> dict[str, str]:
        """Each factor variable's label."""
        variables = self.model.regression.variables
        fvars = variables[variables["role"] == "factor"]
        return {
            r.name: (r.label if isinstance(r.label, str) and r.label else r.measure)
            for r in fvars.itertuples()
        }

    @property
    def shown_unit(self) -> str | None:
        """The unit a table column heading shows."""
        return self.unit if self.unit not in (None, "") else None

    def fmt(self, value: Any) -> str:
        """An amount of spend in its unit."""
        return format_value(value, self.unit, self.decimals)

    def gaps(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The five authorities furthest above and below their prediction."""
        pred = self.model.predictions
        return (
            pred.sort_values("gap", ascending=False).head(5),
            pred.sort_values("gap").head(5),
        )


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
                actual=_number(row.get("actual")),
                expected=_number(row.get("predicted")),
            )
        )
        sec.figure(
            contribution_chart(
                frame,
                authority=str(row["la_name"]),
                measure=sentence_label(tlabel),
                number_format=d3_format(unit, 0),
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


def heatmap_section(doc: Document, view: SpendView) -> None:
    """Each authority's quintile on spend and each factor: a chart per region,
    and every authority's quintiles as numbers (XLSX)."""
    from lacompare.charts import heatmap_chart

    model, reg = view.model, view.model.regression
    hm = doc.section("Where each authority sits: factor quintiles")
    hm.p(
        "Each authority's quintile among the authorities modelled, on spend and "
        "on each factor: 1 is the lowest fifth, 5 the highest. The number in "
        "each cell says it; the shading repeats it. One chart per region."
    )
    flabels = view.flabels
    names = [reg.target, *flabels]
    labels = {reg.target: view.tlabel, **flabels}
    long = reg.data.melt(
        id_vars=["la_code", "la_name", "region"],
        value_vars=names,
        var_name="name",
        value_name="value",
    )
    long["factor"] = long["name"].map(labels)
    order = [labels[n] for n in names]
    for region, part in reg.data.groupby("region", sort=True):
        show = sorted(part["la_name"])
        hm.figure(
            heatmap_chart(
                long,
                factors=order,
                show=show,
                title=f"{region}: quintiles of spend and factors",
                period=view.period,
            ),
            caption=f"{len(show)} authorities in {region}; quintiles are "
            f"among all {model.n}.",
            name=f"Heatmap {region}"[:31],
        )
    heat_cols = [
        Column("la_name", "Authority", role="label"),
        Column("region", "Region", role="text"),
    ]
    heat_cols += [Column(n, labels.get(n, n), role="rate", decimals=0) for n in names]
    hm.table(
        ReportTable(
            "Quintiles of spend and factors, every authority",
            model.heatmap.copy(),
            heat_cols,
            notes=["1 = lowest fifth, 5 = highest."],
            name="Quintiles",
        ),
        html=False,
    )


def every_section(doc: Document, view: SpendView) -> None:
    """Every authority's actual and predicted spend, and those left out."""
    model = view.model
    every = doc.section("Every authority: actual and predicted spend")
    columns = [
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
    table = model.predictions.sort_values("la_name")[columns].copy()
    money = {"unit": view.shown_unit, "role": "rate", "decimals": view.decimals}
    every.table(
        ReportTable(
            f"Actual and predicted {sentence_label(view.tlabel)}, {view.period}",
            table,
            [
                Column("la_name", "Authority", role="label"),
                Column("region", "Region", role="text"),
                Column("actual", "Actual", **money),
                Column("predicted", "Predicted", **money),
                Column("gap_pct", "Gap", unit="%", role="rate", decimals=0),
                Column("pi_lower", "95% interval from", **money),
                Column("pi_upper", "95% interval to", **money),
                Column("cv_predicted", "Predicted when left out", **money),
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


def limitations_section(doc: Document, view: SpendView) -> None:
    """What the model cannot say, and the factors' caveats."""
    doc.section("Limitations").bullets(
        [
            "Correlation is not cause: the factors go with spend across authorities; "
            "they do not set what any authority should spend. There are authorities "
            "with high deprivation, good outcomes and low spend, and the reverse.",
            "The model is fitted on one year's spend; factors may come from other "
            "years (each factor's period is given).",
            "Authorities created since a factor was published (the 2019-2023 "
            "reorganisations) have no value for it and are left out.",
            "A large gap can reflect how spend is recorded as well as what is spent.",
            f"With {view.model.n} authorities and {len(view.flabels)} factors, the "
            "fit is modest; the cross-validated R² is the better guide to how far the "
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
