"""Numbers as tables print them: one pattern, used by the Python and SQL parsers.

Both parsers are built from these strings so that a cell means the same thing
whether one value is parsed in Python or a billion in DuckDB.
"""

from __future__ import annotations

# Footnote marks printed after a figure: "12,345 [note 3]", "45*", "1.2†", "(p)"
# provisional, "(r)" revised, "(e)" estimated. Stripped from the number and kept as
# the value's note.
FOOTNOTE_RE = r"\s*(\[[A-Za-z0-9 ]{1,12}\]|\([prePRE]\)|[*†‡§¶^]+)$"

# A cell holding only a footnote mark ("[note 4]"): no figure was given.
NOTE_ONLY_RE = r"^\[[A-Za-z0-9 ]{1,12}\]$"

# A plain number after currency, brackets and footnotes are taken off: optional sign,
# an optional pound sign on either side of the sign, digits with well-formed thousands
# groups or without separators, decimals, an exponent, and a trailing percent sign.
NUMBER_RE = (
    r"^(?:[-+]?£?|£[-+])"
    r"(([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]*)?|\.[0-9]+)"
    r"([eE][-+]?[0-9]+)?%?$"
)

# A figure in accounting brackets: "(1,792)" or "(£1,792.00)".
BRACKETED_RE = r"^\((.*)\)$"

# Characters removed before the cast: currency, thousands separators, percent sign.
STRIP_CHARS = "£,%"
STRIP_CHARS_RE = f"[{STRIP_CHARS}]"

# Unicode minus and non-breaking spaces that spreadsheets paste in.
UNICODE_MINUS = "\u2212"
NBSP = "\u00a0"

# What counts as space around a cell: ASCII whitespace only, in Python and SQL alike
# (Python's str.strip() would also remove Unicode spaces that DuckDB's trim keeps).
WHITESPACE = " \t\r\n\x0b\x0c"
