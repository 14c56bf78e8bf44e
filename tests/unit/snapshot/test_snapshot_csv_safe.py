"""The snapshot's CSV (stdout and --out) and the synthetic extract: no formula text."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from lacompare.cli._snapshot import _show
from lacompare.snapshot._synthetic import write_synthetic_extract
from tests.csv_cells import HOSTILE, NEGATIVE, assert_csv_safe, cells, formula_cells

COLUMNS = (
    "measure",
    "breakdown",
    "label",
    "unit",
    "value",
    "earlier_value",
    "change",
    "pct_change",
    "pct_low",
    "pct_high",
    "pct_reason",
    "value_text",
    "change_text",
    "pct_text",
    "note",
)


def _comparison() -> SimpleNamespace:
    n = len(HOSTILE)
    table = pd.DataFrame({c: [""] * n for c in COLUMNS})
    table["label"] = list(HOSTILE)
    table["note"] = list(reversed(HOSTILE))
    table["change"] = -3.5
    table["change_text"] = NEGATIVE
    table["pct_text"] = "-12.5%"
    return SimpleNamespace(table=table)


def test_snapshot_csv_on_stdout_and_in_a_file(tmp_path, capsys):
    _show(_comparison(), "csv", None)
    printed = capsys.readouterr().out
    assert_csv_safe(printed)
    # Numbers (and a percentage, which a spreadsheet reads as one) are left alone.
    assert cells(printed).count(NEGATIVE) == 2 * len(HOSTILE)
    assert "-12.5%" in cells(printed)
    out = tmp_path / "snap.csv"
    _show(_comparison(), "csv", out)
    assert_csv_safe(out)


def test_synthetic_extract(tmp_path):
    out = write_synthetic_extract(tmp_path / "x.csv", scale=0.2)
    assert not formula_cells(out) and len(cells(out)) > 100
