"""Helpers for the chart tests: colours in a spec, PNG size, rows behind a layer.

A plain module (not conftest) so the tests can import it by a name no other test
folder uses.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# tests/unit/charts/charts_helpers.py -> parents[3] is the repository root.
HEXMAP_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "hexmap"


def hex_colours(spec: Any) -> Iterator[str]:
    """Every #RRGGBB string anywhere in a spec (marks, scales, config, data)."""
    if isinstance(spec, dict):
        for v in spec.values():
            yield from hex_colours(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from hex_colours(v)
    elif isinstance(spec, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", spec):
        yield spec.upper()


#: Spec keys that take a colour; a value there must be a hex code, never a CSS name.
COLOUR_KEYS = {
    "color",
    "fill",
    "stroke",
    "background",
    "domainColor",
    "tickColor",
    "gridColor",
    "labelColor",
    "titleColor",
    "subtitleColor",
    "symbolStrokeColor",
    "symbolFillColor",
}


def named_colours(spec: Any) -> Iterator[str]:
    """Colour-valued keys holding something other than a hex code (e.g. 'red')."""
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k in COLOUR_KEYS and isinstance(v, str) and not v.startswith("#"):
                yield f"{k}={v}"
            yield from named_colours(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from named_colours(v)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def layer_rows(spec: dict[str, Any], mark: str) -> list[dict[str, Any]]:
    """Data rows behind every layer whose mark is ``mark`` (e.g. 'text')."""
    rows: list[dict[str, Any]] = []
    for layer in spec.get("layer", []):
        m = layer.get("mark")
        kind = m.get("type") if isinstance(m, dict) else m
        # Altair lifts data shared by all layers to the top level.
        data = layer.get("data", spec.get("data"))
        if kind == mark and data:
            rows += spec["datasets"][data["name"]]
    return rows
