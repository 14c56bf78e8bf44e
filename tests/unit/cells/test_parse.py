"""The value parser: Python and SQL agree; numbers round-trip; markers stay missing."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lacompare.cells import parse_cell, read_markers, sql_parse


@pytest.mark.parametrize(
    ("text", "value", "missing"),
    [
        ("450,047", 450047.0, None),
        ("(1,792)", -1792.0, None),
        ("(£1,792.00)", -1792.0, None),
        ("£1.20", 1.2, None),
        ("-£1.20", -1.2, None),
        ("100%", 100.0, None),
        ("2900.0%", 2900.0, None),
        (" 0.53 ", 0.53, None),
        ("−21", -21.0, None),  # Unicode minus as pasted from Word
        ("12,345 [note 3]", 12345.0, None),
        ("45*", 45.0, None),
        ("1.5e3", 1500.0, None),
        ("c", None, "suppressed"),
        ("[c]", None, "suppressed"),
        ("C", None, "suppressed"),
        ("*", None, "suppressed"),
        ("x", None, "not-available"),
        ("[x]", None, "not-available"),
        ("..", None, "not-available"),
        (":", None, "not-available"),
        ("z", None, "not-applicable"),
        ("[z]", None, "not-applicable"),
        ("n/a", None, "not-applicable"),
        ("NA", None, "not-applicable"),
        ("k", None, "rounds-to-zero"),
        ("u", None, "low-reliability"),
        ("low", None, "low"),
        ("-", None, "dash"),
        ("", None, "blank"),
        ("   ", None, "blank"),
        ("#VALUE!", None, "spreadsheet-error"),
        ("1,23", None, "unparsed"),
        ("[note 4]", None, "footnote-only"),
        ("twelve", None, "unparsed"),
        ("1e999", None, "unparsed"),
    ],
)
def test_parse_cell_reads_published_formats(text, value, missing):
    parsed = parse_cell(text)
    assert parsed.value == value
    assert parsed.missing == missing


def test_units_and_notes_are_kept():
    assert parse_cell("103%").unit == "%"
    assert parse_cell("£240,000").unit == "£"
    assert parse_cell("12 (p)").note == "(p)"


def test_spreadsheet_numbers_pass_through():
    assert parse_cell(3.0).value == 3.0
    assert parse_cell(None).missing == "blank"
    assert parse_cell(float("nan")).missing == "blank"


def test_every_marker_is_missing_never_zero():
    for marker, (reason, _) in read_markers().items():
        parsed = parse_cell(marker)
        assert parsed.value is None, marker
        assert parsed.missing == reason


def test_no_marker_reads_as_a_number():
    # sql_parse reads anything NUMBER_RE matches as a number before it looks for
    # markers; a marker that looked like a number would be read as one.
    import re

    from lacompare.cells._numbers import NUMBER_RE

    assert [m for m in read_markers() if re.fullmatch(NUMBER_RE, m)] == []


_CON = duckdb.connect()
_SQL = sql_parse("(SELECT unnest(?) AS s, generate_subscripts(?, 1) AS i)", ["s"])


def _sql_parse_many(texts):
    return _CON.execute(
        f"SELECT s__value, s__missing FROM ({_SQL}) ORDER BY i", [texts, texts]
    ).fetchall()


cell_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(list(read_markers())),
    st.from_regex(r"\A[(£\-−+ ]{0,3}[0-9,.]{1,9}[%)*]{0,2}( \[note [0-9]\])?\Z"),
)


EDGE_CASES = [
    "1_000",
    "0x10",
    "1e",
    "1.2.3",
    "+.5",
    "-.5e-3",
    "\u0661\u0662",
    " 12 ",
    "\t12",
    "\x0b12",
    "12\x0c",
    "1E+05",
    "--1",
    "1d",
    "\u00a012",
    "\uff11\uff12",
    "nan",
    "-inf",
    "1e-400",
    "\x85",
    "12\x85",
    "(12)%",
    "[note 4]",
    "[Note 12]",
    "[c] ",
    "12 [note 3]",
    "1,234",
    "£1,234.5",
    "12%",
    "1,23",
    "£-5",
    "-£5",
    "1,234 [note 1]",
    "(1,234)",
    "1,234e3",
    ",123",
    "1,2345",
]


def test_sql_parser_agrees_on_edge_cases():
    for text, (value, missing) in zip(
        EDGE_CASES, _sql_parse_many(EDGE_CASES), strict=True
    ):
        parsed = parse_cell(text)
        assert (parsed.value, parsed.missing) == (value, missing), repr(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(cell_text, min_size=1, max_size=40))
def test_sql_parser_agrees_with_python(texts):
    for text, (value, missing) in zip(texts, _sql_parse_many(texts), strict=True):
        parsed = parse_cell(text)
        assert (parsed.value, parsed.missing) == (value, missing), repr(text)


@given(st.text())
def test_parse_cell_never_raises(text):
    parsed = parse_cell(text)
    assert (parsed.value is None) != (parsed.missing is None)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_formatted_integers_round_trip(number):
    assert parse_cell(f"{number:,}").value == number
    assert parse_cell(f"£{number:,}").value == number
    if number >= 0:
        assert parse_cell(f"({number:,})").value == -number
        assert parse_cell(f"{number}%").value == number


@given(st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False))
def test_decimals_round_trip(number):
    assert parse_cell(f"{number:,.2f}").value == pytest.approx(float(number))


def test_a_table_can_say_what_its_markers_mean():
    legacy = {"x": "suppressed"}
    assert parse_cell("x").missing == "not-available"
    assert parse_cell(" X ", legacy).missing == "suppressed"
    sql = sql_parse("(VALUES ('x'), ('c'), ('..'), ('12')) t(s)", ["s"], legacy)
    got = duckdb.sql(f"SELECT s__value, s__missing FROM ({sql})").fetchall()
    assert got == [
        (None, "suppressed"),
        (None, "suppressed"),
        (None, "not-available"),
        (12.0, None),
    ]
    with pytest.raises(ValueError, match="unknown reason 'secret'"):
        parse_cell("x", {"x": "secret"})
