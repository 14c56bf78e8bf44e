"""The theme holds the Analysis Function palettes and readable text."""

from __future__ import annotations

import altair as alt

from lacompare.charts import theme


def test_af_palettes_as_published() -> None:
    # Hex codes from the AF "Data visualisation: colours" guidance (also in afcharts).
    assert theme.CATEGORICAL == (
        "#12436D",
        "#28A197",
        "#801650",
        "#F46A25",
        "#3D3D3D",
        "#A285D1",
    )
    assert theme.DUO == ("#12436D", "#F46A25")
    assert theme.SEQUENTIAL == ("#12436D", "#2073BC", "#6BACE6")
    assert theme.FOCUS == ("#12436D", "#BFBFBF")


def test_quintile_shades_run_light_to_dark_and_carry_readable_numbers() -> None:
    lum = [theme._luminance(c) for c in theme.QUINTILE_COLOURS]
    assert lum == sorted(lum, reverse=True)
    assert theme.QUINTILE_COLOURS[2:] == tuple(reversed(theme.SEQUENTIAL))
    for fill in theme.QUINTILE_COLOURS:
        # WCAG AA for normal text on every shade.
        assert theme.contrast_ratio(theme.text_colour_on(fill), fill) >= 4.5


def test_af_colours_stand_out_from_white() -> None:
    # The categorical colours a chart draws data in, against the white background
    # (WCAG non-text contrast 3:1); light purple is AF's sixth colour, used last.
    for colour in theme.CATEGORICAL[:5]:
        assert theme.contrast_ratio(colour, theme.WHITE) >= 3.0


def test_config_text_sizes_and_palette() -> None:
    cfg = theme.theme_config()
    assert cfg["axis"]["labelFontSize"] >= theme.MIN_FONT_SIZE
    assert cfg["legend"]["labelFontSize"] >= theme.MIN_FONT_SIZE
    assert cfg["title"]["fontSize"] > cfg["axis"]["labelFontSize"]
    assert cfg["range"]["category"] == list(theme.CATEGORICAL)
    assert cfg["locale"]["number"]["currency"] == ["£", ""]


def test_theme_registers_without_switching_on() -> None:
    before = alt.theme.active
    theme.register_theme()
    assert "lacompare" in alt.theme.names() and alt.theme.active == before
