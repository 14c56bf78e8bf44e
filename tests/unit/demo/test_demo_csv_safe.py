"""The demo's CSV tables pass the formula check (they go through write_csv_safe)."""

from __future__ import annotations

from lacompare.demo import run_demo
from tests.csv_cells import cells, formula_cells


def test_demo_tables(tmp_path):
    result = run_demo(tmp_path / "demo")
    for table in (result.regional_summary, result.delivery_counts):
        assert not formula_cells(table) and len(cells(table)) > 20
