"""A region's chart: every authority of a region over time, with the region's and
England's figures (the web app's regional page and the published site's).

:func:`lacompare.charts.trend_chart` keeps lines apart by colour, dash and shape,
which works for six series; a region has up to 33 authorities. So here the
authorities are thin lines of one colour, each named at its end (labels spaced
so none overlap), the region and England thick and dashed, and an authority the
user picks out thick orange. The table under the chart holds every figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lacompare.charts._common import chart_heading, fmt_value, lines_or_text, wrap_text
from lacompare.charts.theme import LABEL_SIZE

if TYPE_CHECKING:
    import pandas as pd

#: Pixels between end labels, and the plot's width.
LABEL_GAP = 14
PLOT_WIDTH = 560


def spread(wanted: list[float], gap: float, top: float, bottom: float) -> list[float]:
    """Label heights (px, 0 at the top) as near ``wanted`` as they can be with
    ``gap`` between them, inside ``[top, bottom]`` where there is room.

    Labels that would overlap form a cluster centred on the mean of what its
    labels want; clusters that then overlap merge, until none do.

    Examples
    --------
    >>> spread([10, 12, 100], 10, 0, 200)
    [6.0, 16.0, 100.0]
    >>> spread([50, 50, 55, 58], 10, 0, 200)
    [38.25, 48.25, 58.25, 68.25]
    """
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    # Each cluster: [first position, its labels' wanted heights].
    clusters: list[list[Any]] = []
    for i in order:
        clusters.append([float(wanted[i]), [float(wanted[i])]])
        while len(clusters) > 1:
            (a_top, a), (_, b) = clusters[-2], clusters[-1]
            b_top = clusters[-1][0]
            if a_top + gap * len(a) <= b_top + 1e-9:
                break
            both = a + b
            centre = sum(both) / len(both)
            clusters[-2:] = [[centre - gap * (len(both) - 1) / 2, both]]
    ys: list[float] = []
    for first, members in clusters:
        ys += [first + gap * k for k in range(len(members))]
    if ys and ys[-1] > bottom:  # keep inside the plot where there is room
        shift = ys[-1] - bottom
        ys = [y - shift for y in ys]
    if ys and ys[0] < top:
        shift = top - ys[0]
        ys = [y + shift for y in ys]
    out = [0.0] * len(ys)
    for pos, i in enumerate(order):
        out[i] = round(ys[pos], 6)
    return out


def region_chart(
    rows: pd.DataFrame,
    *,
    measure: str,
    region: str,
    periods: list[str],
    decimals: int,
    highlight: str | None = None,
) -> Any:
    """A line per authority, the region and England, over ``periods``.

    ``rows``: the regional block's rows (``area_type``, ``area_code``,
    ``area_name``, ``period``, ``value``); ``highlight``: an authority's code.
    Returns an Altair layer chart whose ``description`` is its alt text.
    """
    import altair as alt

    from lacompare.charts.theme import DARK_PINK, MID_BLUE, ORANGE, TEXT

    data = rows[rows["value"].notna()].copy()
    data["series"] = data["area_name"].astype(str)
    data["kind"] = (
        data["area_type"].where(data["area_code"] != highlight, "highlight")
        if highlight
        else data["area_type"]
    )
    data["shown"] = [fmt_value(v, None, decimals) for v in data["value"]]
    # Only what is drawn goes into the spec (JSON has no NaN).
    data = data[["series", "kind", "period", "value", "shown"]]
    lo, hi = float(data["value"].min()), float(data["value"].max())
    pad = (hi - lo) * 0.06 or abs(hi) * 0.1 or 1.0
    domain = [lo - pad, hi + pad]
    ends = _end_labels(data, periods, decimals)
    height = max(320, LABEL_GAP * (len(ends) + 1))
    to_px = lambda v: height * (1 - (v - domain[0]) / (domain[1] - domain[0]))  # noqa: E731
    placed = spread([to_px(v) for v in ends["value"]], LABEL_GAP, 6, height - 6)
    ends["label_y"] = [
        domain[0] + (1 - p / height) * (domain[1] - domain[0]) for p in placed
    ]
    xscale = alt.Scale(domain=periods, type="point", padding=0.3)
    x = alt.X(
        "period:O", sort=periods, title=None, scale=xscale, axis=alt.Axis(labelAngle=0)
    )
    ys = alt.Scale(domain=domain, nice=False, zero=False)
    # The axis title wrapped to the plot's height: a long one is cut off otherwise.
    y = alt.Y(
        "value:Q",
        title=lines_or_text(wrap_text(measure, height, LABEL_SIZE + 1)),
        scale=ys,
    )
    tip = [
        alt.Tooltip("series:N", title="Area"),
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("shown:N", title=measure),
    ]
    layers: list[Any] = []
    # Each kind of line its own layer: colour, width and dash fixed, drawn
    # authorities first so the region, England and the picked-out one lie on top.
    for kind, colour, width, dash in (
        ("authority", MID_BLUE, 1.25, [1, 0]),
        ("region", DARK_PINK, 3, [8, 4]),
        ("england", TEXT, 3, [3, 3]),
        ("highlight", ORANGE, 3.5, [1, 0]),
    ):
        part = data[data["kind"] == kind]
        if not len(part):
            continue
        base = alt.Chart(part).encode(x=x, y=y)
        layers.append(
            base.mark_line(color=colour, strokeWidth=width, strokeDash=dash).encode(
                detail="series:N"
            )
        )
        layers.append(
            base.mark_point(filled=True, size=30, color=colour, opacity=1).encode(
                tooltip=tip
            )
        )
    layers += _label_layers(ends, periods, xscale, ys)
    first, last = periods[0], periods[-1]
    chart = alt.layer(*layers).properties(
        width=PLOT_WIDTH,
        height=height,
        title=chart_heading(
            f"{measure}: {region}, {first} to {last}",
            PLOT_WIDTH,
            [
                "Thin blue lines: the region's authorities, each named at its end.",
                "Pink dashes: the region; black dots: England"
                + ("; orange: the authority picked out." if highlight else "."),
            ],
        ),
    )
    chart.description = _alt_text(data, measure, region, periods, decimals)
    return chart


def _label_layers(ends: Any, periods: list[str], xscale: Any, ys: Any) -> list[Any]:
    """The end labels: authorities' in plain blue, the rest bold (orange text is
    too faint to read, 2.9:1, so the picked-out name is black)."""
    import altair as alt

    from lacompare.charts.theme import DARK_PINK, MID_BLUE, TEXT

    inks = {"authority": MID_BLUE, "region": DARK_PINK}
    ends["ink"] = [inks.get(k, TEXT) for k in ends["kind"]]
    out = []
    for part, weight in (
        (ends[ends["kind"] == "authority"], "normal"),
        (ends[ends["kind"] != "authority"], "bold"),
    ):
        if len(part):
            out.append(
                alt.Chart(part)
                .mark_text(align="left", dx=8, fontSize=11, fontWeight=weight)
                .encode(
                    x=alt.X("period:O", sort=periods, scale=xscale),
                    y=alt.Y("label_y:Q", scale=ys),
                    text="text:N",
                    color=alt.Color("ink:N", scale=None),
                )
            )
    return out


def _end_labels(data: pd.DataFrame, periods: list[str], decimals: int) -> Any:
    """Each series' value in the last period (those ending earlier unlabelled)."""

    last = data[data["period"] == periods[-1]].copy()
    last["text"] = [
        f"{s} {fmt_value(v, None, decimals)}"
        for s, v in zip(last["series"], last["value"], strict=True)
    ]
    return last.reset_index(drop=True)


def _alt_text(
    data: pd.DataFrame, measure: str, region: str, periods: list[str], decimals: int
) -> str:

    auth = data[data["kind"].isin(["authority", "highlight"])]
    first, last = periods[0], periods[-1]
    parts = [
        f"Line chart of {measure} for the {auth['series'].nunique()} authorities "
        f"of {region} with a figure, {first} to {last}, with {region} and England."
    ]
    now = auth[auth["period"] == last]
    if len(now):
        top = now.loc[now["value"].idxmax()]
        bottom = now.loc[now["value"].idxmin()]
        parts.append(
            f"In {last} the highest was {top['series']} "
            f"({fmt_value(top['value'], None, decimals)}) and the lowest "
            f"{bottom['series']} ({fmt_value(bottom['value'], None, decimals)})."
        )
    for kind, name in (("region", region), ("england", "England")):
        s = data[data["kind"] == kind].set_index("period")["value"]
        if len(s):
            span = [p for p in periods if p in s.index]
            parts.append(
                f"{name} was {fmt_value(s[span[0]], None, decimals)} in {span[0]} "
                f"and {fmt_value(s[span[-1]], None, decimals)} in {span[-1]}."
            )
    if len(periods) > 1:
        wide = auth.pivot_table(index="series", columns="period", values="value")
        both = wide[[first, last]].dropna() if {first, last} <= set(wide) else None
        if both is not None and len(both):
            rose = int((both[last] > both[first]).sum())
            fell = int((both[last] < both[first]).sum())
            parts.append(
                f"Of the {len(both)} authorities with figures in both {first} and "
                f"{last}, {rose} rose and {fell} fell."
            )
    return " ".join(parts)
