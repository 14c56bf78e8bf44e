"""Fixtures for the geography tests: the real public data in ../shared/data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

# shared_data (the real public data, which skips outside CI and fails in CI when it
# is absent) comes from tests/conftest.py.


def _read_csv(path: Path) -> pd.DataFrame:
    # The shared CSVs are UTF-8 (some with a BOM) except a few DfE files in cp1252.
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding=encoding
            )
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"cannot decode {path}")


@pytest.fixture(scope="session")
def read_csv() -> Callable[[Path], pd.DataFrame]:
    """Read a shared CSV as text cells."""
    return _read_csv


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _read_sheets(path: Path) -> dict[str, list[list[str]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {
        name: [
            [_cell(v) for v in row] for row in book.get_sheet_by_name(name).to_python()
        ]
        for name in book.sheet_names
    }


@pytest.fixture(scope="session")
def read_sheets() -> Callable[[Path], dict[str, list[list[str]]]]:
    """Read every sheet of an XLSX/ODS as rows of text (201.0 -> '201')."""
    return _read_sheets


_RANGE = re.compile(r"(\d{4})\s*[-/]\s*(\d{2,4})")
_FINANCIAL = re.compile(r"^(\d{4})(\d{2})$")
_YEAR = re.compile(r"(\d{4})")


def _period_end(text: str) -> date | None:
    """31 March of the year a DfE period ends ('2019', '201819', '2018-19')."""
    text = str(text).strip()
    if not text:
        return None
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text[:10])
    if m := _FINANCIAL.match(text):
        return date(int(m.group(1)[:2] + m.group(2)), 3, 31)
    if m := _RANGE.search(text):
        end = m.group(2)
        year = int(m.group(1)[:2] + end) if len(end) == 2 else int(end)
        return date(year, 3, 31)
    if m := _YEAR.search(text):
        return date(int(m.group(1)), 3, 31)
    return None


@pytest.fixture(scope="session")
def period_end() -> Callable[[str], date | None]:
    """Turn a DfE period label into the date the row describes."""
    return _period_end


@pytest.fixture(scope="session")
def shared_csv(
    shared_data: Path, read_csv: Callable[[Path], pd.DataFrame]
) -> Callable[[str], pd.DataFrame]:
    """Read a CSV by its path inside the shared data folder; skip if it is absent."""

    def read(relative: str) -> pd.DataFrame:
        path = shared_data / relative
        if not path.exists():
            pytest.fail(f"{path} is absent from the shared data")
        return read_csv(path)

    return read
