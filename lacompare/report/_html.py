"""HTML reports rendered with Jinja2: one file, no scripts or links to fetch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.formatting import format_missing, format_number, is_missing
from lacompare.formatting import format_value as format_unit_value

if TYPE_CHECKING:
    import pandas as pd


def format_value(value: Any, unit: str | None, stat: str = "value") -> str:
    """A statistic as the demo's regional tables print it, in the measure's unit
    (:mod:`lacompare.formatting`'s rules, with the decimals each statistic needs).

    Counts are whole numbers; money per head has pence; averages of counts keep
    one decimal; a missing value prints as an en dash (explained in the notes).

    Examples
    --------
    >>> format_value(240000, "£"), format_value(0.534, "£ per head", "mean")
    ('£240,000', '£0.53')
    >>> format_value(103, "%"), format_value(None, "persons"), format_value(2.5, "FTE")
    ('103%', '–', '2.50')
    """
    if is_missing(value):
        return format_missing(None)
    unit = unit or ""
    number = float(value)
    if unit in ("£ per head", "£", "%"):
        return format_unit_value(number, unit, _stat_decimals(number, unit, stat))
    return format_number(number, None, _stat_decimals(number, unit, stat))


def _stat_decimals(number: float, unit: str, stat: str) -> int:
    """The decimals a statistic of the demo's tables prints with."""
    if unit in ("£ per head", "FTE"):
        return 2
    if unit == "£":
        return 0
    if unit == "%":
        return 0 if stat in ("value", "min", "max") else 1
    if unit.startswith("flag"):
        return 2 if stat in ("mean", "sd") else 0
    if stat in ("mean", "sd", "median") and not number.is_integer():
        return 1
    return 0 if number.is_integer() else 2


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
