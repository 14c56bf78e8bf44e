"""Every chart builds from a small frame of real authorities, describes itself, keeps
to the palette and renders to SVG and PNG; box-plot labels and heatmap quintiles are
exact."""

from __future__ import annotations

import math
from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
import pytest
from charts_helpers import hex_colours, layer_rows, named_colours, png_size

import lacompare.charts as lc
from lacompare.charts.theme import PALETTE_COLOURS
from lacompare.errors import InputError

MEASURE = "Children looked after per 10,000 children"


def _trend(national: pd.DataFrame, yorkshire: list[str]) -> alt.TopLevelMixin:
    rows = []
    for k, year in enumerate(range(2019, 2025)):
        rows += [
            (str(year), "Leeds", 80 + 2 * k),
            (str(year), "Statistical neighbours (median)", 75 + k),
            (str(year), "Yorkshire and The Humber", 70 + k),
            (str(year), "England", 67.0),
        ]
    frame = pd.DataFrame(rows, columns=["period", "series", "value"])
    return lc.trend_chart(frame, measure=MEASURE)


def _heat(national: pd.DataFrame, yorkshire: list[str]) -> alt.TopLevelMixin:
    factors = ["Deprivation", "Population aged 0-25", "Unemployment"]
    rng = np.random.default_rng(1)
    long = pd.DataFrame(
        [(n, f, float(rng.normal())) for n in national["la_name"] for f in factors],
        columns=["la_name", "factor", "value"],
    )
    show = ["Leeds", *[n for n in yorkshire if n != "Leeds"][:5]]
    return lc.heatmap_chart(long, show=show, highlight="Leeds", period="2024")


def _scatter(national: pd.DataFrame, yorkshire: list[str]) -> alt.TopLevelMixin:
    frame = national.assign(idaci=np.linspace(0.05, 0.35, len(national)))
    return lc.scatter_chart(
        frame,
        x="idaci",
        y="value",
        x_title="IDACI score",
        y_title=MEASURE,
        highlight="Leeds",
        label_points=["Blackpool"],
    )


def _predicted(national: pd.DataFrame, yorkshire: list[str]) -> alt.TopLevelMixin:
    frame = national.assign(
        predicted=national["value"].mean()
        + 0.5 * (national["value"] - national["value"].mean())
    )
    return lc.predicted_actual_chart(
        frame, measure=MEASURE, actual="value", highlight="Leeds"
    )


def _others(yorkshire: list[str]) -> list[str]:
    return [n for n in yorkshire if n != "Leeds"][:5]


CHARTS: dict[str, Callable[[pd.DataFrame, list[str]], alt.TopLevelMixin]] = {
    "box": lambda n, y: lc.box_chart(
        n, measure=MEASURE, period="2024", highlight="Leeds"
    ),
    "trend": _trend,
    "histogram": lambda n, y: lc.histogram_chart(n, measure=MEASURE, highlight="Leeds"),
    "ranked_all": lambda n, y: lc.ranked_bar_chart(
        n, measure=MEASURE, authority="Leeds", neighbours=_others(y)
    ),
    "ranked_few": lambda n, y: lc.ranked_bar_chart(
        n[n["la_name"].isin(y)],
        measure=MEASURE,
        authority="Leeds",
        neighbours=_others(y),
    ),
    "scatter": _scatter,
    "heatmap": _heat,
    "predicted_actual": _predicted,
    "hex_map": lambda n, y: lc.hex_map_chart(n, measure=MEASURE, highlight="E08000035"),
}


@pytest.fixture(scope="module")
def built(national: pd.DataFrame, yorkshire: list[str]) -> dict[str, alt.TopLevelMixin]:
    return {name: make(national, yorkshire) for name, make in CHARTS.items()}


@pytest.mark.parametrize("name", CHARTS)
def test_alt_text_is_set_and_names_the_measure(built: dict, name: str) -> None:
    chart = built[name]
    assert isinstance(chart.description, str) and len(chart.description) > 60
    # The heatmap's "measure" is its factors; the scatter names both of its measures.
    measure = {"scatter": "IDACI score", "heatmap": "Deprivation"}.get(name, MEASURE)
    assert measure in chart.description
    assert "nan" not in chart.description.lower().split()


@pytest.mark.parametrize("name", CHARTS)
def test_only_palette_colours(built: dict, name: str) -> None:
    spec = lc.chart_spec(built[name])
    used = set(hex_colours(spec))
    assert used, "a chart with no colours at all is suspicious"
    assert used <= PALETTE_COLOURS, sorted(used - PALETTE_COLOURS)
    assert not list(named_colours(spec))


@pytest.mark.parametrize("name", CHARTS)
def test_renders_to_svg_and_png(built: dict, name: str) -> None:
    chart = built[name]
    svg = lc.chart_svg(chart)
    assert svg.lstrip().startswith("<svg") and 'role="img"' in svg
    assert "<desc" in svg and chart.description[:40] in svg.replace("&amp;", "&")
    png = lc.chart_png_bytes(chart, scale=1)
    width, height = png_size(png)
    # Every chart is readable on an A4 page: wide enough for its text, not a sliver.
    assert 300 <= width <= 1400 and 150 <= height <= 1600, (width, height)
    double = png_size(lc.chart_png_bytes(chart, scale=2))
    assert abs(double[0] - 2 * width) <= 1 and abs(double[1] - 2 * height) <= 1


def test_text_is_at_least_11px(built: dict) -> None:
    def sizes(spec: object) -> list[float]:
        if isinstance(spec, dict):
            out = [
                v
                for k, v in spec.items()
                if k.endswith("ontSize") and isinstance(v, int | float)
            ]
            return out + [s for v in spec.values() for s in sizes(v)]
        if isinstance(spec, list):
            return [s for v in spec for s in sizes(v)]
        return []

    for name, chart in built.items():
        found = sizes(lc.chart_spec(chart))
        assert found and min(found) >= 11, (name, min(found))


def test_box_plot_labels_exactly_the_authorities_beyond_the_whiskers(
    national: pd.DataFrame,
) -> None:
    frame = national.copy()
    # Make sure there are outliers on both sides.
    frame.loc[frame["la_name"] == "Blackpool", "value"] = 260.0
    frame.loc[frame["la_name"] == "Hartlepool", "value"] = 5.0
    frame.loc[frame["la_name"] == "Wokingham", "value"] = 190.0
    chart = lc.box_chart(frame, measure=MEASURE)
    spec = chart.to_dict()
    labelled = {row["la_name"] for row in layer_rows(spec, "text")}
    # Independent: numpy percentiles (linear, as pandas) and Tukey's 1.5 IQR fences.
    expected = set()
    for _, g in frame.groupby("region"):
        v = g["value"].to_numpy()
        q1, q3 = np.percentile(v, [25, 75])
        lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        expected |= set(g.loc[(g["value"] < lo) | (g["value"] > hi), "la_name"])
    assert {"Blackpool", "Hartlepool", "Wokingham"} <= expected
    assert labelled == expected
    assert f"{len(expected)} outliers labelled" in chart.description
    assert {"Blackpool", "Hartlepool", "Wokingham"} <= {
        n for n in expected if n in chart.description
    }
    # Whiskers end on data values inside the fences.
    boxes = lc.box_stats(frame)
    for _, b in boxes.iterrows():
        g = frame.loc[frame["region"] == b["region"], "value"]
        assert b["whisker_high"] in set(g) and b["whisker_high"] <= b["upper_fence"]
        assert b["whisker_low"] in set(g) and b["whisker_low"] >= b["lower_fence"]


def test_box_plot_labels_do_not_overlap(national: pd.DataFrame) -> None:
    frame = national.copy()
    for k, name in enumerate(
        ["Blackpool", "Blackburn with Darwen", "Bolton", "Bury", "Wigan"]
    ):
        frame.loc[frame["la_name"] == name, "value"] = 300.0 + k  # five close outliers
    frame.loc[frame["region"] == "North West", "value"] = frame.loc[
        frame["region"] == "North West", "value"
    ].clip(upper=120)
    for k, name in enumerate(
        ["Blackpool", "Blackburn with Darwen", "Bolton", "Bury", "Wigan"]
    ):
        frame.loc[frame["la_name"] == name, "value"] = 300.0 + k
    spec = lc.box_chart(frame, measure=MEASURE, width=560).to_dict()
    domain = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    rows = [r for r in layer_rows(spec, "text") if r["region"] == "North West"]
    assert len(rows) == 5
    from lacompare.charts._common import text_width

    for side in ("above", "below"):
        spans = sorted(
            (
                (r["label_x"] - domain[0]) / (domain[1] - domain[0]) * 560
                - text_width(r["la_name"], 11) / 2,
                (r["label_x"] - domain[0]) / (domain[1] - domain[0]) * 560
                + text_width(r["la_name"], 11) / 2,
            )
            for r in rows
            if r["side"] == side
        )
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end - 1e-6


def test_quintiles_match_an_independent_count() -> None:
    rng = np.random.default_rng(7)
    values = pd.Series(rng.normal(size=153))
    got = lc.quintiles(values)
    # Independent: position in the sorted list, then which fifth of 153 it falls in.
    order = values.sort_values().index
    expected = pd.Series(0, index=values.index)
    for position, idx in enumerate(order, start=1):
        expected[idx] = math.ceil(position * 5 / 153)
    assert got.tolist() == expected.tolist()
    assert got.value_counts().sort_index().tolist() == [30, 31, 30, 31, 31]


def test_quintiles_ties_share_a_quintile_and_missing_stay_missing() -> None:
    got = lc.quintiles(pd.Series([3.0, 3.0, 3.0, 3.0, None, 1.0]))
    assert got.iloc[:4].nunique() == 1 and pd.isna(got.iloc[4]) and got.iloc[5] == 1


def test_heatmap_cells_print_the_right_quintile(
    national: pd.DataFrame, yorkshire: list[str]
) -> None:
    factors = ["Deprivation", "Crime"]
    rng = np.random.default_rng(11)
    long = pd.DataFrame(
        [(n, f, float(rng.normal())) for n in national["la_name"] for f in factors],
        columns=["la_name", "factor", "value"],
    )
    long.loc[(long["la_name"] == "Leeds") & (long["factor"] == "Crime"), "value"] = None
    chart = lc.heatmap_chart(long, show=yorkshire, highlight="Leeds")
    cells = {
        (r["name"], r["factor"]): r["text"] for r in layer_rows(chart.to_dict(), "text")
    }
    assert len(cells) == len(yorkshire) * 2
    for f in factors:
        part = long[long["factor"] == f].dropna()
        n = len(part)
        ranked = part.sort_values("value").reset_index(drop=True)
        for position, row in ranked.iterrows():
            if row["la_name"] in yorkshire:
                assert cells[(row["la_name"], f)] == str(
                    math.ceil((position + 1) * 5 / n)
                )
    assert cells[("Leeds", "Crime")] == "–"
    assert (
        "Leeds: quintile" in chart.description
        and "no value for Crime" in chart.description
    )


def test_heatmap_fill_and_number_agree(
    national: pd.DataFrame, yorkshire: list[str]
) -> None:
    from lacompare.charts.theme import QUINTILE_COLOURS

    long = national.assign(factor="Deprivation")[["la_name", "factor", "value"]]
    rows = layer_rows(lc.heatmap_chart(long, show=yorkshire).to_dict(), "rect")
    for r in rows:
        assert r["fill"] == QUINTILE_COLOURS[int(r["text"]) - 1]


def test_trend_labels_do_not_overlap() -> None:
    frame = pd.DataFrame(
        [
            (p, s, v)
            for p in ("2023", "2024")
            for s, v in (("Leeds", 70.0), ("England", 70.2), ("Region", 70.4))
        ],
        columns=["period", "series", "value"],
    )
    spec = lc.trend_chart(frame, measure=MEASURE, height=300).to_dict()
    rows = layer_rows(spec, "text")
    domain = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    px = sorted(
        (r["label_y"] - domain[0]) / (domain[1] - domain[0]) * 300 for r in rows
    )
    assert all(b - a >= 14 for a, b in zip(px, px[1:], strict=False))


def test_trend_distinguishes_series_without_colour() -> None:
    frame = pd.DataFrame(
        [
            (p, s, 1.0)
            for p in ("2023", "2024")
            for s in ("Leeds", "Neighbours", "Region", "England")
        ],
        columns=["period", "series", "value"],
    )
    spec = lc.trend_chart(frame, measure=MEASURE).to_dict()
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    dashes = line["encoding"]["strokeDash"]["scale"]["range"]
    point = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")
    shapes = point["encoding"]["shape"]["scale"]["range"]
    assert len({tuple(d) for d in dashes}) == 4 and len(set(shapes)) == 4


def test_ranked_bars_name_every_highlighted_authority(
    national: pd.DataFrame, yorkshire: list[str]
) -> None:
    neighbours = [n for n in yorkshire if n != "Leeds"][:7]
    spec = lc.ranked_bar_chart(
        national, measure=MEASURE, authority="Leeds", neighbours=neighbours
    ).to_dict()
    named = {r["name"] for r in layer_rows(spec, "text")}
    assert named == {"Leeds", *neighbours}
    few = lc.ranked_bar_chart(
        national[national["la_name"].isin(yorkshire)],
        measure=MEASURE,
        authority="Leeds",
        neighbours=neighbours,
    )
    tags = {r["name"]: r["tag"] for r in layer_rows(few.to_dict(), "text")}
    assert tags["Leeds"].endswith("(selected)")
    assert all(tags[n].endswith("(neighbour)") for n in neighbours)


def test_scatter_uses_callers_statistics_or_computes_them(
    national: pd.DataFrame,
) -> None:
    from scipy.stats import spearmanr

    frame = national.assign(x=np.arange(len(national)) % 17)
    given = lc.scatter_chart(
        frame, x="x", y="value", x_title="X", y_title="Y", r_s=0.12, p=0.04, n=99
    )
    assert "r_s = 0.12 (p = 0.040, n = 99)" in given.description
    computed = lc.scatter_chart(frame, x="x", y="value", x_title="X", y_title="Y")
    expected = spearmanr(frame["x"], frame["value"]).statistic
    assert f"r_s = {expected:.2f}" in computed.description
    assert f"n = {len(frame)}" in computed.description
    with pytest.raises(InputError, match="together"):
        lc.scatter_chart(frame, x="x", y="value", x_title="X", y_title="Y", r_s=0.1)


def test_predicted_actual_names_the_largest_gaps(national: pd.DataFrame) -> None:
    frame = national.assign(predicted=national["value"] + 1.0)
    frame.loc[frame["la_name"] == "Leeds", "value"] += 80
    frame.loc[frame["la_name"] == "Torbay", "value"] -= 60
    chart = lc.predicted_actual_chart(
        frame, measure=MEASURE, actual="value", n_labels=2
    )
    named = {r["name"] for r in layer_rows(chart.to_dict(), "text") if "name" in r}
    assert named == {"Leeds", "Torbay"}
    assert "Largest gaps: Leeds" in chart.description


def test_hex_map_accepts_codes_that_only_changed(national: pd.DataFrame) -> None:
    frame = national.copy()
    frame.loc[frame["la_name"] == "Barnsley", "la_code"] = "E08000016"  # before 2025
    frame.loc[frame["la_name"] == "Somerset", "la_code"] = "E10000027"  # before 2023
    chart = lc.hex_map_chart(frame, measure=MEASURE)
    assert "no value" not in chart.description


def test_bad_input_is_reported(national: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="no column 'rate'"):
        lc.box_chart(national, measure=MEASURE, value="rate")
    old = national.copy()
    old.loc[old["la_name"] == "North Northamptonshire", "la_code"] = "E10000021"
    # A code not on the current map is left off it and named, never dropped silently.
    chart = lc.hex_map_chart(old, measure=MEASURE)
    assert "Not on the map" in chart.description and "E10000021" in chart.description
    with pytest.raises(InputError, match="not in the data"):
        lc.ranked_bar_chart(national, measure=MEASURE, authority="Atlantis")
    with pytest.raises(InputError, match="at most 6"):
        lc.trend_chart(
            pd.DataFrame({"period": "2024", "series": list("abcdefg"), "value": 1.0}),
            measure=MEASURE,
        )


def _contribution(national: pd.DataFrame, yorkshire: list[str]) -> alt.TopLevelMixin:
    parts = pd.DataFrame(
        {"factor": ["deprivation", "crime", "income"], "contribution": [420, 130, -40]}
    )
    return lc.contribution_chart(parts, authority="Leeds", measure="spend per child")


#: The charts every la-profile draws: a batch draws them hundreds of times.
PROFILE_CHARTS = {
    "trend": CHARTS["trend"],
    "ranked_all": CHARTS["ranked_all"],
    "ranked_few": CHARTS["ranked_few"],
    "contribution": _contribution,
}


@pytest.mark.parametrize("name", PROFILE_CHARTS)
def test_a_profile_s_charts_are_made_without_altair_s_from_dict(
    national: pd.DataFrame, yorkshire: list[str], monkeypatch, name: str
) -> None:
    # encode() makes shorthand text, a dict or a condition into its channel class
    # through from_dict, which hashes every schema class's schema on each call
    # (~6 ms; vega/altair#3547): a fifth of drawing a profile's charts. These
    # charts pass Altair's classes (alt.Text, alt.OpacityValue, ...) instead.
    from altair.utils import schemapi

    made: list[object] = []
    original = schemapi.SchemaBase.from_dict.__func__

    def counted(cls, dct, validate=True):
        made.append(dct)
        return original(cls, dct, validate)

    monkeypatch.setattr(schemapi.SchemaBase, "from_dict", classmethod(counted))
    alt.Chart(pd.DataFrame({"x": [1]})).mark_text().encode(text="x:N")
    assert len(made) == 1, "the count sees encode()'s from_dict"
    made.clear()
    lc.chart_spec(PROFILE_CHARTS[name](national, yorkshire))
    assert made == []
