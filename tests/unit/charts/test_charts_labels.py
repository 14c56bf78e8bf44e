"""Charts a committee can read (issue 20 item 4): the hex map labelled with each
authority's abbreviation and a legend of value ranges, ranked bars naming the
authority, its neighbours and England, titles that are wrapped (never cut with
"…") and that do not repeat their unit."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from charts_helpers import layer_rows

import lacompare.charts as lc
from lacompare.charts._common import text_width, without_repeated_unit
from lacompare.charts.theme import TITLE_SIZE, WIDTH

#: A real catalogue label with its unit added again, as callers pass it.
LONG = (
    "Children looked after at 31 March per 10,000 children aged under 18: children "
    "looked after on 31 March each year (rate per 10,000)"
)


def svg_texts(chart) -> list[str]:
    """Every line of text vl-convert draws for the chart (a text element, or
    each ``tspan`` of a text drawn in lines)."""
    import html

    svg = lc.chart_svg(chart)
    out = []
    for inner in re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S):
        spans = re.findall(r"<tspan[^>]*>(.*?)</tspan>", inner, flags=re.S)
        out += [html.unescape(t) for t in (spans or [inner])]
    return out


def title_lines(chart) -> list[str]:
    text = chart.title.text
    return [text] if isinstance(text, str) else list(text)


def test_layout_has_a_unique_three_letter_label_per_authority(current) -> None:
    layout = lc.read_hex_layout()
    assert set(layout["la_code"]) == set(current["la_code"])
    assert layout["abbr"].str.fullmatch(r"[A-Z]{3}").all()
    assert layout["abbr"].is_unique
    by_name = layout.set_index("la_name")["abbr"]
    assert by_name["Leeds"] == "LDS" and by_name["Barnet"] != by_name["Barnsley"]


def test_hex_map_prints_abbreviations_and_names_ranges(national) -> None:
    # Distinct values in a shuffled order, so each fifth's range is known.
    rng = np.random.default_rng(7)
    data = national[["la_code"]].assign(value=10 + 0.7 * rng.permutation(153))
    chart = lc.hex_map_chart(data, measure="Rate", number_format=".1f")
    spec = lc.chart_spec(chart)
    printed = {r["la_code"]: r["abbr"] for r in layer_rows(spec, "text")}
    layout = lc.read_hex_layout().set_index("la_code")["abbr"]
    assert printed == layout.to_dict()
    # The legend names each fifth by its range of values, counted here apart
    # from the chart: quintile ceil(5 * rank / 153) puts ranks 1-30, 31-61,
    # 62-91, 92-122 and 123-153 together.
    values = np.sort(data["value"].to_numpy())
    groups = np.split(values, [30, 61, 91, 122])
    want = [f"{g.min():.1f}–{g.max():.1f}" for g in groups]
    domain = next(
        layer["encoding"]["color"]["scale"]["domain"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {})
        and "scale" in layer["encoding"]["color"]
        and "domain" in layer["encoding"]["color"]["scale"]
    )
    assert domain == want
    assert "quintile number" not in chart.description


def test_titles_and_legends_are_wrapped_not_cut(national) -> None:
    hexes = lc.hex_map_chart(
        national[["la_code", "value"]], measure=LONG, period="2025"
    )
    bars = lc.ranked_bar_chart(
        national[["la_name", "value"]], measure=LONG, authority="Leeds", england=70
    )
    for chart in (hexes, bars):
        lines = title_lines(chart)
        assert len(lines) > 1
        assert all(text_width(ln, TITLE_SIZE) <= WIDTH + 160 for ln in lines)
        texts = svg_texts(chart)
        assert texts and not [t for t in texts if "…" in t]
    # The legend's title (the measure) is in lines too, none cut.
    assert "each year" in " ".join(svg_texts(hexes))


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (LONG, LONG.removesuffix(" (rate per 10,000)")),
        ("Spend per child (£)", "Spend per child (£)"),
        ("Pupils with an EHC plan % (%)", "Pupils with an EHC plan %"),
        ("Children in need (per 10,000), 2024", "Children in need (per 10,000), 2024"),
    ],
)
def test_units_are_said_once(given: str, shown: str) -> None:
    assert without_repeated_unit(given) == shown


def test_chart_titles_say_the_unit_once(national) -> None:
    bars = lc.ranked_bar_chart(national[["la_name", "value"]], measure=LONG)
    text = " ".join(title_lines(bars))
    assert text.count("per 10,000") == 1
    assert "(rate per 10,000)" not in " ".join(svg_texts(bars))


def test_ranked_columns_name_the_authority_neighbours_and_england(national) -> None:
    nb = ["Bradford", "Sheffield", "Kirklees"]
    chart = lc.ranked_bar_chart(
        national[["la_name", "value"]],
        measure="Rate",
        authority="Leeds",
        neighbours=nb,
        england=70.25,
        number_format=".1f",
    )
    spec = lc.chart_spec(chart)
    named = {r["name"] for r in layer_rows(spec, "text") if "name" in r}
    assert named == {"Leeds", *nb}
    lines = [r for r in layer_rows(spec, "rule") if "text" in r]
    assert [(r["value"], r["text"]) for r in lines] == [(70.25, "England 70.3")]
    assert "England 70.3" in svg_texts(chart)
    assert "dashed line marks England 70.3" in chart.description


def test_ranked_columns_with_none_picked_name_the_ends(national) -> None:
    frame = national[["la_name", "value"]]
    chart = lc.ranked_bar_chart(frame, measure="Rate")
    named = {r["name"] for r in layer_rows(lc.chart_spec(chart), "text") if "name" in r}
    top = frame.loc[frame["value"].idxmax(), "la_name"]
    bottom = frame.loc[frame["value"].idxmin(), "la_name"]
    assert named == {top, bottom}


def test_no_england_line_without_a_figure(national) -> None:
    frame = national[["la_name", "value"]]
    for england in (None, float("nan")):
        chart = lc.ranked_bar_chart(frame, measure="Rate", england=england)
        assert not [r for r in layer_rows(lc.chart_spec(chart), "rule") if "text" in r]
    small = pd.DataFrame({"la_name": ["A", "B"], "value": [1.0, 3.0]})
    chart = lc.ranked_bar_chart(small, measure="Rate", england=2.0)
    assert "England 2" in svg_texts(chart)
