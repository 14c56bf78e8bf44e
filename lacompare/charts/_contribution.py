"""Why an authority's expected spend differs from the average: a bar per factor."""

from __future__ import annotations

import altair as alt
import pandas as pd

from lacompare.errors import InputError

from ._common import fmt_value, require_columns, titled_chart
from .theme import DARK_BLUE, LIGHT_BLUE, TEXT, WIDTH

#: Height of one factor's bar row, in px.
ROW_STEP = 26


def contribution_chart(
    data: pd.DataFrame,
    *,
    authority: str,
    measure: str,
    factor: str = "factor",
    value: str = "contribution",
    number_format: str = ",.0f",
    width: float = WIDTH,
    title: str | None = None,
) -> alt.LayerChart:
    """Each factor's part of one authority's expected difference from the average.

    Bars to the right raise expected spend (dark), to the left lower it (light);
    each bar is labelled with its value, so colour is never the only cue.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per factor: ``factor`` (its name) and ``value`` (its contribution,
        in the unit of spend).
    authority : str
        Whose expected spend it is (title and alt text).
    measure : str
        The spend measure with its unit, for the title.
    factor, value : str
        Column names.
    number_format : str
        d3-format string for the labels and axis.
    width : float
        Plot width in px.
    title : str, optional
        Default "Why {authority}'s expected spend differs from the average" (the
        measure is named on the axis, so the title stays short enough to show).

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> df = pd.DataFrame({"factor": ["deprivation", "crime", "income"],
    ...                    "contribution": [420.0, 130.0, -40.0]})
    >>> c = contribution_chart(df, authority="Blackpool", measure="spend per child")
    >>> c.description.split(":")[0]
    "Bar chart of each factor's part of Blackpool's expected spend per child"
    """
    require_columns(data, [factor, value], "contribution_chart")
    frame = (
        data[[factor, value]]
        .rename(columns={factor: "factor", value: "value"})
        .dropna()
    )
    if frame.empty:
        raise InputError("contribution_chart: no factor has a value")
    frame["direction"] = frame["value"].map(
        lambda v: "raises expected spend" if v >= 0 else "lowers expected spend"
    )
    frame["label"] = [fmt_value(v, number_format) for v in frame["value"]]
    total = fmt_value(float(frame["value"].sum()), number_format)
    return titled_chart(
        _contribution_layers(frame, measure, number_format),
        width=width - 120,
        height=ROW_STEP * len(frame),
        title=title or f"Why {authority}'s expected spend differs from the average",
        subtitle=f"Together: {total} against the average of the authorities modelled",
        alt_text=_contribution_alt_text(frame, authority, measure, total),
    )


def _contribution_layers(
    frame: pd.DataFrame, measure: str, number_format: str
) -> list[alt.Chart]:
    """A bar per factor (largest first, dark when it raises expected spend),
    each labelled at its end, and the line at zero."""
    order = frame.sort_values("value", ascending=False)["factor"].tolist()
    # Room beyond the longest bars for their labels.
    lo, hi = (
        min(0.0, float(frame["value"].min())),
        max(0.0, float(frame["value"].max())),
    )
    pad = 0.2 * ((hi - lo) or 1.0)
    y = alt.Y(
        "factor:N", sort=order, title=None, axis=alt.Axis(labelLimit=0, labelColor=TEXT)
    )
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(
                "value:Q",
                title=f"Difference from the average ({measure})",
                axis=alt.Axis(format=number_format),
                scale=alt.Scale(domain=[lo - pad, hi + pad], nice=False),
            ),
            color=alt.Color(
                "direction:N",
                title=None,
                scale=alt.Scale(
                    domain=["raises expected spend", "lowers expected spend"],
                    range=[DARK_BLUE, LIGHT_BLUE],
                ),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("factor:N", title="Factor"),
                alt.Tooltip("value:Q", title="Contribution", format=number_format),
            ],
        )
    )
    # Each label sits at its bar's end, outside the bar.
    labels = [
        alt.Chart(part)
        .mark_text(align=align, dx=dx, color=TEXT)
        .encode(y=y, x=alt.X("value:Q"), text=alt.Text("label:N"))
        for part, align, dx in (
            (frame[frame["value"] >= 0], "left", 4),
            (frame[frame["value"] < 0], "right", -4),
        )
        if len(part)
    ]
    zero = (
        alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color=TEXT).encode(x=alt.X("x:Q"))
    )
    return [bars, zero, *labels]


def _contribution_alt_text(
    frame: pd.DataFrame, authority: str, measure: str, total: str
) -> str:
    raising = frame[frame["value"] > 0].sort_values("value", ascending=False)
    lowering = frame[frame["value"] < 0].sort_values("value")
    return (
        f"Bar chart of each factor's part of {authority}'s expected {measure}: "
        f"together {total} from the average. "
        + (
            "Raising it: "
            + ", ".join(f"{r.factor} ({r.label})" for r in raising.itertuples())
            + ". "
            if len(raising)
            else ""
        )
        + (
            "Lowering it: "
            + ", ".join(f"{r.factor} ({r.label})" for r in lowering.itertuples())
            + "."
            if len(lowering)
            else ""
        )
    )
