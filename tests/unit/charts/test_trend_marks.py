"""The trend chart's year marks, zero option, legend toggle and quartile band
(issue 20, items 3 and 4)."""

from __future__ import annotations

from typing import Any

import pandas as pd

import lacompare.charts as lc

PERIODS = ["2019", "2020", "2021", "2022"]
FRAME = pd.DataFrame(
    {
        "period": PERIODS * 2,
        "series": ["Leeds"] * 4 + ["England"] * 4,
        "value": [80.0, 85.0, 95.0, 99.0, 67.0, 68.0, 70.0, 71.0],
    }
)


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["layer"]


def _data(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["datasets"][layer["data"]["name"]]


def test_marked_years_are_the_focus_points_flagged_with_a_key() -> None:
    chart = lc.trend_chart(
        FRAME, measure="Rate", focus="Leeds", marks={"2020": "below", "2022": "above"}
    )
    spec = chart.to_dict()
    marked = [
        layer
        for layer in _layers(spec)
        if layer.get("encoding", {}).get("shape", {}).get("field") == "mark"
    ]
    assert len(marked) == 1
    rows = _data(spec, marked[0])
    assert [(r["period"], r["value"]) for r in rows] == [("2020", 85.0), ("2022", 99.0)]
    scale = marked[0]["encoding"]["shape"]["scale"]
    assert scale["domain"] == [
        "Significantly higher than other authorities",
        "Significantly lower than other authorities",
    ]
    assert scale["range"] == ["triangle-up", "triangle-down"]
    assert spec["resolve"]["scale"]["shape"] == "independent"
    assert "Leeds was significantly higher than other authorities in 2022" in (
        chart.description
    )
    assert "significantly lower than other authorities in 2020" in chart.description


def test_no_marks_no_mark_layer_and_unknown_flags_ignored() -> None:
    spec = lc.trend_chart(
        FRAME, measure="Rate", marks={"2019": "within", "2030": "above"}
    ).to_dict()
    fields = [
        layer.get("encoding", {}).get("shape", {}).get("field")
        for layer in _layers(spec)
    ]
    assert "mark" not in fields
    assert "significantly" not in lc.trend_chart(FRAME, measure="Rate").description


def _y_domain(spec: dict[str, Any]) -> list[float]:
    lines = next(la for la in _layers(spec) if la["mark"]["type"] == "line")
    return lines["encoding"]["y"]["scale"]["domain"]


def test_axis_from_zero_is_optional() -> None:
    fitted = _y_domain(lc.trend_chart(FRAME, measure="Rate").to_dict())
    zero = _y_domain(lc.trend_chart(FRAME, measure="Rate", zero=True).to_dict())
    assert fitted[0] > 0
    assert zero[0] == 0 and zero[1] >= 99


def test_legend_click_toggles_each_series() -> None:
    spec = lc.trend_chart(FRAME, measure="Rate").to_dict()
    # Altair lifts a layer's selection to the top, naming the view it binds.
    params = spec.get("params", []) + [
        p for layer in _layers(spec) for p in layer.get("params", [])
    ]
    assert len(params) == 1
    param = params[0]
    assert param["bind"] == "legend"
    assert param["select"]["fields"] == ["series"]
    assert param["select"]["toggle"] == "true"
    # Every series shown at first.
    assert param["value"] == [{"series": "Leeds"}, {"series": "England"}]
    faded = [
        layer
        for layer in _layers(spec)
        if param["name"] in str(layer.get("encoding", {}).get("opacity"))
    ]
    assert len(faded) == 3  # lines, points, end labels


def test_band_shades_the_quartiles_and_widens_the_axis() -> None:
    band = pd.DataFrame({"period": PERIODS, "low": [40.0] * 4, "high": [90.0] * 4})
    chart = lc.trend_chart(FRAME, measure="Rate", band=band)
    spec = chart.to_dict()
    area = next(la for la in _layers(spec) if la["mark"]["type"] == "area")
    assert area["encoding"]["y"]["field"] == "low"
    assert area["encoding"]["y2"]["field"] == "high"
    assert [r["low"] for r in _data(spec, area)] == [40.0] * 4
    assert _y_domain(spec)[0] <= 40
    assert "middle half of authorities" in chart.description


def test_the_click_hint_is_in_the_interactive_spec_not_in_a_static_drawing() -> None:
    chart = lc.trend_chart(FRAME, measure="CLA rate")
    # vega-embed draws the spec: a click toggles a series, so the legend says so.
    assert "Click a name to hide or show it" in str(lc.chart_spec(chart))
    # SVG (PDF, XLSX, the published site): nothing to click, no hint; the
    # legend's names stay.
    svg = lc.chart_svg(chart)
    assert "Click a name" not in svg
    assert "Leeds" in svg and "England" in svg
