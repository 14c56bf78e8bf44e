"""Publishers' measure dictionaries read: columns, words translated, repeats merged.

Applying a dictionary to a store is the build's
(tests/unit/build/test_build_dictionary.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lacompare.errors import InputError, SpecError
from lacompare.sources import (
    DictionarySpec,
    read_dictionary_words,
    read_measure_dictionary,
)

SPEC = DictionarySpec(
    key="code",
    label="name",
    unit="unit",
    polarity="polarity",
    reference_date="year_type",
    missing=("NA",),
)


# ------------------------------------------------------------------------------------
# Reading


def test_polarity_and_year_type_words_are_translated(write):
    path = write(
        "d.csv",
        "code,name,unit,polarity,year_type\n"
        "A,Alpha,%,Low,Financial Year\n"
        "B,Beta,%,High,Academic Year\n"
        "C,Gamma,%,-,Annual (end of Sept)\n"
        "D,Delta,%,,Annual - January\n"
        "E,Eps,%,neutral,Calendar Year\n",
    )
    book = read_measure_dictionary(path, SPEC)
    got = {
        r["key"]: (r["polarity"], r["reference_date"], r["polarity_word"])
        for r in book.entries.to_dict("records")
    }
    assert got == {
        "A": ("higher-is-worse", "financial year", "Low"),
        "B": ("higher-is-better", "academic year", "High"),
        "C": ("neutral", "30 September", "-"),
        "D": ("neutral", "January", None),
        "E": ("neutral", "calendar year", "neutral"),
    }
    assert len(book.issues) == 0


def test_an_unknown_word_is_reported_and_never_guessed(write):
    path = write(
        "d.csv",
        "code,name,unit,polarity,year_type\n"
        "A,Alpha,%,Lower is better,Weekly\n"
        "B,Beta,%,Annual,Annual\n",
    )
    book = read_measure_dictionary(path, SPEC)
    rows = {r["key"]: r for r in book.entries.to_dict("records")}
    assert rows["A"]["polarity"] is None and rows["A"]["reference_date"] is None
    unknown = book.issues.of_kind("dictionary-unknown-word")
    assert [(i.row, i.column, i.value) for i in unknown] == [
        (2, "polarity", "Lower is better"),
        (2, "year_type", "Weekly"),
        (3, "polarity", "Annual"),
    ]
    assert all(i.file == str(path) for i in unknown)
    # 'Annual' is a known year type that names no day: not set, and said so.
    assert rows["B"]["reference_date"] is None
    (nothing,) = book.issues.of_kind("dictionary-word-states-nothing")
    assert "1 entries" in nothing.message and nothing.value == "Annual"


def test_missing_markers_mean_not_stated(write):
    path = write("d.csv", "code,name,unit,polarity,year_type\nA,NA,NA,NA,NA\n")
    (entry,) = read_measure_dictionary(path, SPEC).entries.to_dict("records")
    # A blank polarity means neither direction is better (dictionary_words.csv).
    assert (
        entry["label"],
        entry["unit"],
        entry["polarity"],
        entry["reference_date"],
    ) == (None, None, "neutral", None)


def test_repeated_keys_agree_or_their_field_is_left_out(write):
    path = write(
        "d.csv",
        "code,name,unit,polarity\n"
        "A,Alpha,%,Low\nB,Beta,%,High\nA,Alpha,%,Low\n"
        "B,Beta (new),%,Low\n",
    )
    book = read_measure_dictionary(
        path, SPEC.__class__(key="code", label="name", unit="unit", polarity="polarity")
    )
    rows = {r["key"]: r for r in book.entries.to_dict("records")}
    assert list(rows) == ["A", "B"]
    assert (rows["A"]["label"], rows["A"]["polarity"]) == ("Alpha", "higher-is-worse")
    # B's label and polarity differ between its rows: neither is used; its unit is.
    assert (rows["B"]["label"], rows["B"]["unit"], rows["B"]["polarity"]) == (
        None,
        "%",
        None,
    )
    conflicts = {
        i.column: i.message for i in book.issues.of_kind("dictionary-conflict")
    }
    assert set(conflicts) == {"name", "polarity"}
    assert "'B' (rows 3, 5: 'Beta' / 'Beta (new)')" in conflicts["name"]
    assert "'High' / 'Low'" in conflicts["polarity"]
    (same,) = book.issues.of_kind("dictionary-duplicate")
    assert "A (rows 2, 4)" in same.message


def test_a_missing_column_is_one_located_error(write):
    path = write("d.csv", "code,title\nA,Alpha\n")
    with pytest.raises(InputError) as err:
        read_measure_dictionary(path, DictionarySpec(key="code", label="name"))
    assert str(err.value).startswith(f"{path}, row 1, column name: no column 'name'")


def test_a_row_without_a_key_is_reported(write):
    path = write("d.csv", "code,name\nA,Alpha\n,Orphan\n")
    book = read_measure_dictionary(path, DictionarySpec(key="code", label="name"))
    assert book.entries["key"].tolist() == ["A"]
    (issue,) = book.issues.of_kind("dictionary-blank-key")
    assert (issue.row, issue.column) == (3, "code")


def test_a_spec_names_its_key_and_at_least_one_field():
    with pytest.raises(SpecError, match="needs `key`"):
        DictionarySpec.from_dict({"label": "name"})
    with pytest.raises(SpecError, match="at least one"):
        DictionarySpec.from_dict({"key": "code"})
    with pytest.raises(SpecError, match="unknown key"):
        DictionarySpec.from_dict({"key": "code", "label": "x", "colour": "red"})
    with pytest.raises(SpecError, match="match must be"):
        DictionarySpec(key="code", label="x", match="fuzzy")


def test_the_vocabulary_is_valid_and_names_its_source():
    words = read_dictionary_words()
    assert set(words["polarity"].values()) == {
        "higher-is-better",
        "higher-is-worse",
        "neutral",
    }
    text = (
        Path(__file__).resolve().parents[3]
        / "lacompare"
        / "sources"
        / "dictionary_words.csv"
    ).read_text("utf-8")
    assert "local-authority-interactive-tool" in text and "Sources:" in text
