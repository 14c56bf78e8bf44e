"""Saving charts: SVG, PNG, PDF by vl-convert and self-contained HTML, no browser."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import pytest
from charts_helpers import png_size

import lacompare.charts as lc


@pytest.fixture(scope="module")
def chart(current: pd.DataFrame) -> alt.TopLevelMixin:
    frame = current.loc[
        current["region"] == "North East", ["la_name", "region"]
    ].assign(value=[float(v) for v in range(100, 112)])
    return lc.box_chart(frame, measure="CLA rate per 10,000", period="2024")


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf", ".html"])
def test_save_chart_writes_each_format(
    chart: alt.TopLevelMixin, tmp_path: Path, suffix: str
) -> None:
    out = lc.save_chart(chart, tmp_path / f"box{suffix}")
    data = out.read_bytes()
    assert out.suffix == suffix and len(data) > 1000
    if suffix == ".png":
        width, height = png_size(data)
        assert width > 600 and height > 300
    elif suffix == ".pdf":
        assert data.startswith(b"%PDF")
    elif suffix == ".svg":
        text = data.decode()
        assert "<title" in text and "CLA rate per 10,000" in text
    else:
        text = data.decode()
        assert "https://cdn" not in text and "cdn.jsdelivr" not in text
        assert "<script src=" not in text  # nothing fetched: every script is inline
        assert 'lang="en-GB"' in text and "vegaEmbed(" in text
        assert chart.description[:50] in text


def test_unknown_format_is_refused(chart: alt.TopLevelMixin, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=".svg, .png, .pdf, .html"):
        lc.save_chart(chart, tmp_path / "box.jpg")


def test_a_chart_without_alt_text_is_refused(tmp_path: Path) -> None:
    bare = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    with pytest.raises(ValueError, match="alt text"):
        lc.save_chart(bare, tmp_path / "bare.png")


def test_theme_applies_whatever_theme_is_active(chart: alt.TopLevelMixin) -> None:
    with alt.theme.enable("dark"):
        spec = lc.chart_spec(chart)
    assert spec["config"]["background"] == "#FFFFFF"
    assert spec["config"]["axis"]["labelFontSize"] >= 11


def test_embed_bundle_is_offline() -> None:
    bundle = lc.vega_embed_bundle()
    assert "vegaEmbed" in bundle and "https://cdn" not in bundle
    assert lc.vega_embed_bundle() is bundle  # built once per process


def test_script_in_spec_cannot_break_out_of_the_page(current: pd.DataFrame) -> None:
    frame = pd.DataFrame(
        {
            "la_name": ["</script><b>x", "York", "Hull"],
            "region": ["R"] * 3,
            "value": [1.0, 2.0, 3.0],
        }
    )
    html = lc.chart_html(lc.box_chart(frame, measure="m"))
    body = html.split("</head>", 1)[1]
    assert "</script><b>" not in body
