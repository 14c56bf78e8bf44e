"""HTML reports rendered with Jinja2: one file, no scripts or links to fetch."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def format_value(value: Any, unit: str | None, stat: str = "value") -> str:
    """A number as a committee paper prints it, in the measure's unit.

    Counts are whole numbers; money per head has pence; averages of counts keep
    one decimal; a missing value prints as an en dash (explained in the notes).

    Examples
    --------
    >>> format_value(240000, "£"), format_value(0.534, "£ per head", "mean")
    ('£240,000', '£0.53')
    >>> format_value(103, "%"), format_value(None, "persons"), format_value(2.5, "FTE")
    ('103%', '–', '2.50')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    unit = unit or ""
    number = float(value)
    if unit == "£ per head":
        return f"£{number:,.2f}"
    if unit == "£":
        return f"£{number:,.0f}"
    if unit == "%":
        return (
            f"{number:,.0f}%" if stat in ("value", "min", "max") else f"{number:,.1f}%"
        )
    if unit == "FTE":
        return f"{number:,.2f}"
    if unit.startswith("flag"):
        return f"{number:,.2f}" if stat in ("mean", "sd") else f"{number:,.0f}"
    if stat in ("mean", "sd", "median") and not number.is_integer():
        return f"{number:,.1f}"
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("lacompare.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_demo_report(
    path: str | Path,
    summary: pd.DataFrame,
    counts: pd.DataFrame,
    units: dict[str, str],
    labels: dict[str, str],
    load: Any,
    notes: list[str],
) -> Path:
    """Write the demo's one-page report (regional tables with units).

    Parameters
    ----------
    path
        The HTML file to write.
    summary
        Long-form regional summary (``region, measure, n, mean, …``).
    counts
        Delivery and joint-commissioning counts by region.
    units, labels
        Each measure's unit and label.
    load
        The :class:`~lacompare.store._ingest.IngestResult` of the demo load.
    notes
        Sentences about how rows were treated (combined services).
    """
    stats = ("n", "mean", "median", "sd", "min", "max")
    sections = []
    for measure, block in summary.groupby("measure", sort=False):
        unit = units.get(measure, "")
        rows = [
            {
                "region": r["region"],
                "cells": [
                    format_value(r[s], unit, s) if s != "n" else f"{r[s]:,}"
                    for s in stats
                ],
            }
            for _, r in block.iterrows()
        ]
        sections.append(
            {
                "measure": measure,
                "label": labels.get(measure, measure),
                "unit": unit,
                "rows": rows,
            }
        )
    html = (
        _env()
        .get_template("demo.html.j2")
        .render(
            sections=sections,
            stats=["N", "Mean", "Median", "SD", "Min", "Max"],
            counts=counts.to_dict("records"),
            count_columns=list(counts.columns[1:]),
            load=load,
            notes=notes,
            generated=dt.date.today().isoformat(),
        )
    )
    path = Path(path)
    path.write_text(html, encoding="utf-8")
    return path
