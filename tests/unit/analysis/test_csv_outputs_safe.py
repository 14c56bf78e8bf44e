"""The analysis commands' CSV (stdout and --out files) never start a cell with
formula text; numbers stay numbers."""

from __future__ import annotations

import io

import pandas as pd
from typer.testing import CliRunner

from lacompare.cli import app
from lacompare.cli._models import _write
from lacompare.cli._output import write_csv
from tests.csv_cells import HOSTILE, NEGATIVE, assert_csv_safe, cells, formula_cells
from tests.hostile_store import hostile_store


def _hostile_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "@label": list(HOSTILE),
            "value": [-3.5] * len(HOSTILE),
            "text": [NEGATIVE] * len(HOSTILE),
        }
    )


def test_write_csv_to_stdout_and_file(tmp_path, capsys):
    write_csv(_hostile_frame(), None)
    printed = capsys.readouterr().out
    assert_csv_safe(printed, planted=(*HOSTILE, "@label"))
    assert cells(printed).count(NEGATIVE) == 2 * len(HOSTILE)
    out = tmp_path / "o.csv"
    write_csv(_hostile_frame(), out)
    assert_csv_safe(out, planted=(*HOSTILE, "@label"))


def test_model_files(tmp_path):
    class Console:
        def print(self, *args, **kwargs):
            pass

    out = tmp_path / "pred.csv"
    _write(_hostile_frame(), out, "predictions", Console())
    assert_csv_safe(out, planted=(*HOSTILE, "@label"))
    assert NEGATIVE in cells(out)


def test_model_coefficients_on_stdout(tmp_path):
    db, keys = hostile_store(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "model",
            "ols",
            "--target",
            keys[0],
            "--factors",
            keys[1],
            "--db",
            str(db),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert not formula_cells(result.stdout)
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 2
