"""The vocabulary of missing values, read from ``markers.csv`` (sources named there)."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

#: Reason stored for text that is neither a number nor a known marker.
UNPARSED = "unparsed"
#: Reason stored for a cell holding only a footnote mark such as "[note 4]".
FOOTNOTE_ONLY = "footnote-only"


@cache
def read_markers() -> dict[str, tuple[str, str]]:
    """Map each lower-cased marker to ``(reason, meaning)``.

    Examples
    --------
    >>> read_markers()["[c]"][0]
    'suppressed'
    >>> read_markers()[""][0]
    'blank'
    """
    text = files("lacompare.cells").joinpath("markers.csv").read_text("utf-8")
    # Comment lines start with "# " (a marker such as "#VALUE!" has no space).
    lines = [line for line in text.splitlines() if not line.startswith("# ")]
    rows = csv.DictReader(lines)
    return {r["marker"].strip().lower(): (r["reason"], r["meaning"]) for r in rows}


def missing_reasons() -> list[str]:
    """Every reason a missing value can carry, ``unparsed`` last.

    Examples
    --------
    >>> "suppressed" in missing_reasons()
    True
    """
    seen: dict[str, None] = {}
    for reason, _ in read_markers().values():
        seen.setdefault(reason, None)
    seen.setdefault(FOOTNOTE_ONLY, None)
    seen.setdefault(UNPARSED, None)
    return list(seen)
