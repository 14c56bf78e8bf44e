"""resolve_file on CSV, XLSX and ODS files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lacompare.errors import InputError
from lacompare.geography import ADDED_COLUMNS
from lacompare.sources import resolve_file

ROWS = [
    ["St.Helens", "1"],
    ["ENGLAND", "100"],
    ["Atlantis", "2"],
    ["", "3"],
    ["Northumberlnd", "4"],
    ["940 / 941", "5"],
    ["Northamptonshire", "6"],
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["Local authority", "Value"])


def _check(df: pd.DataFrame) -> None:
    assert list(df.columns) == ["Local authority", "Value", *ADDED_COLUMNS]
    assert df["Value"].tolist() == [r[1] for r in ROWS]
    assert df["la_code"].tolist() == [
        "E08000013",
        "E92000001",
        "",
        "",
        "E06000057",
        "",
        "E10000021",
    ]
    assert df["match"].tolist() == [
        "exact",
        "total-row",
        "none",
        "none",
        "fuzzy",
        "none",
        "exact",
    ]
    assert df.loc[0, ["dfe_code", "la_name", "region", "la_type"]].tolist() == [
        "342",
        "St. Helens",
        "North West",
        "metropolitan district",
    ]
    assert df.loc[2, "candidates"] != "" and df.loc[0, "candidates"] == ""
    assert df.loc[0, "score"] == 100.0


def _check_log(log, path: Path) -> None:  # type: ignore[no-untyped-def]
    unresolved = log.of_kind("unresolved-authority")
    assert [(i.row, i.value, i.column, i.file) for i in unresolved] == [
        (4, "Atlantis", "Local authority", str(path))
    ]
    assert "nearest:" in unresolved[0].message
    assert [i.row for i in log.of_kind("missing-authority")] == [5]
    assert [i.row for i in log.of_kind("combined-authority")] == [7]
    assert [i.row for i in log.of_kind("total-row")] == [3]
    assert [i.row for i in log.of_kind("fuzzy-authority-match")] == [6]
    assert [i.row for i in log.of_kind("authority-note")] == [8]
    assert {i.severity for i in log.errors()} == set()


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _frame().to_csv(path, index=False)
    df, log = resolve_file(path, "Local authority")
    _check(df)
    _check_log(log, path)


def test_csv_in_cp1252_with_bom_free_header(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(
        "Local authority,Note\nSt.Helens,caf\xe9 \xa3100\n".encode("cp1252")
    )
    df, _ = resolve_file(path, "Local authority")
    assert df.loc[0, "Note"] == "café £100"
    assert df.loc[0, "la_code"] == "E08000013"


def test_csv_with_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffla,v\nLeeds,1\n".encode())
    df, _ = resolve_file(path, "la")
    assert df.loc[0, "la_code"] == "E08000035"


def test_xlsx(tmp_path: Path) -> None:
    pytest.importorskip("xlsxwriter")
    path = tmp_path / "t.xlsx"
    _frame().to_excel(path, index=False, engine="xlsxwriter")
    df, log = resolve_file(path, "Local authority")
    _check(df)
    _check_log(log, path)


def test_ods(tmp_path: Path) -> None:
    pytest.importorskip("odf")
    path = tmp_path / "t.ods"
    _frame().to_excel(path, index=False, engine="odf")
    df, log = resolve_file(path, "Local authority")
    _check(df)
    _check_log(log, path)


def test_spreadsheet_numbers_are_codes(tmp_path: Path) -> None:
    pytest.importorskip("xlsxwriter")
    path = tmp_path / "codes.xlsx"
    pd.DataFrame({"LA": [201, 815.0, 999], "x": [1.5, 2, 3]}).to_excel(
        path, index=False, engine="xlsxwriter"
    )
    df, _ = resolve_file(path, "LA", as_of="2021-03-31")
    assert df["LA"].tolist() == ["201", "815", "999"]
    assert df["la_code"].tolist() == ["E09000001", "E10000023", "E92000001"]
    assert df["x"].tolist() == ["1.5", "2", "3"]


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _frame().to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        resolve_file(path, "la_name")
    assert err.value.file == str(path) and err.value.column == "la_name"
    assert "no column 'la_name'" in str(err.value) and "'Local authority'" in str(
        err.value
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        resolve_file(tmp_path / "nope.csv", "x")


def test_existing_output_columns_are_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "ees.csv"
    pd.DataFrame(
        {"la_name": ["Bristol, City of"], "la_code": ["keep me"], "match": ["mine"]}
    ).to_csv(path, index=False)
    df, log = resolve_file(path, "la_name")
    assert df.loc[0, "la_code"] == "keep me" and df.loc[0, "match"] == "mine"
    assert df.loc[0, "la_code_resolved"] == "E06000023"
    assert df.loc[0, "la_name_resolved"] == "Bristol, City of"
    assert df.loc[0, "match_resolved"] == "exact"
    assert {i.column for i in log.of_kind("column-renamed")} == {
        "la_name",
        "la_code",
        "match",
    }


def test_as_of_applies_to_every_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"la": ["Somerset", "N.Yorkshire", "Dorset"]}).to_csv(
        path, index=False
    )
    df, _ = resolve_file(path, "la", as_of="2021-03-31")
    assert df["la_code"].tolist() == ["E10000027", "E10000023", "E06000059"]
