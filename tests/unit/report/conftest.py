"""Fixtures shared by the report tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest


def _write_small_store(path: Path, codes: Iterable[str], cla_start: float) -> Path:
    """A store of the authorities ``codes`` × two measures (a CLA rate from
    ``cla_start``, higher worse; a timeliness %, higher better) × 2024 and 2025;
    the last authority's 2025 timeliness suppressed."""
    from lacompare.store import open_store

    rows = []
    for i, code in enumerate(sorted(codes)):
        for year, step in (("2024", 0), ("2025", 2)):
            rows.append((code, "cla_rate", year, cla_start + 7 * i + step, None))
            rows.append((code, "timely", year, 70.0 + 3 * i - step, None))
    rows[-1] = (*rows[-1][:3], None, "suppressed")
    with open_store(path) as store:
        store.con.execute(
            "INSERT INTO measures VALUES "
            "('cla_rate', 'Children looked after per 10,000', NULL, "
            "'higher-is-worse', '31 March', NULL), "
            "('timely', 'Assessments within 45 days', '%', "
            "'higher-is-better', NULL, NULL)"
        )
        store.write_cells(
            [
                dict(
                    zip(
                        ("la_code", "measure", "period", "value", "missing_reason"),
                        row,
                        strict=True,
                    )
                )
                for row in rows
            ],
            file="/data/small.csv",
            sheet="Table 1",
        )
    return path


@pytest.fixture(scope="session")
def write_small_store() -> Callable[[Path, Iterable[str], float], Path]:
    """:func:`_write_small_store`: a small store of two measures for profiles."""
    return _write_small_store
