"""A truncated EES file: a clear error with its position, never an internal one
(issue 14, defect 7: ``NOT NULL constraint failed: totals.period``)."""

from __future__ import annotations

import pytest

from lacompare.errors import InputError
from lacompare.store import open_store
from lacompare.store._ingest import ingest

CLA = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"


@pytest.fixture
def cla_text(shared_data):
    return (shared_data / CLA).read_text(encoding="utf-8-sig")


def _load(path):
    with open_store(":memory:") as store:
        return ingest(store, path)


def test_file_cut_mid_row_names_the_row_and_the_first_missing_column(
    tmp_path, cla_text
):
    lines = cla_text.splitlines()
    # 130 whole rows, then the 131st stops after its new_la_code's first letter.
    cut = "\n".join(lines[:131]) + "\n" + lines[131][: lines[131].index(",E0") + 2]
    path = tmp_path / "cla.csv"
    path.write_text(cut, encoding="utf-8")
    with pytest.raises(InputError) as err:
        _load(path)
    assert err.value.row == 132
    assert err.value.column == "population_type"
    assert "cut short" in str(err.value)


def test_cut_at_the_start_of_a_set_aside_row_is_located_not_internal(
    tmp_path, cla_text
):
    # What the issue saw: a last row with no period whose level is no authority
    # (set aside with the totals, where period cannot be blank).
    path = tmp_path / "cla.csv"
    path.write_text(
        "\n".join(cla_text.splitlines()[:131]) + "\n,Reporting year,Nat",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        _load(path)
    assert (err.value.row, err.value.column) == (132, "country_code")


def test_blank_period_on_a_set_aside_row_is_located(tmp_path, cla_text):
    lines = cla_text.splitlines()
    district = ("," + lines[131].split(",", 1)[1]).replace(
        "Local authority,", "Local authority district,"
    )
    path = tmp_path / "cla.csv"
    path.write_text("\n".join([*lines[:131], district]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        _load(path)
    assert (err.value.row, err.value.column) == (132, "time_period")
    assert "no period" in str(err.value)


def test_blank_period_on_a_total_row_is_located(tmp_path, cla_text):
    lines = cla_text.splitlines()
    lines[1] = "," + lines[1].split(",", 1)[1]
    path = tmp_path / "cla.csv"
    path.write_text("\n".join(lines[:200]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        _load(path)
    assert (err.value.row, err.value.column) == (2, "time_period")


def test_whole_file_without_final_line_break_still_loads(tmp_path, cla_text):
    path = tmp_path / "cla.csv"
    path.write_text("\n".join(cla_text.splitlines()[:131]), encoding="utf-8")
    assert _load(path).observations > 0


def test_a_note_on_the_last_line_is_not_a_cut(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("la,pop\nLeeds,5\nYork,6\nSource: ONS", encoding="utf-8")
    with open_store(":memory:") as store:
        assert ingest(store, path, period="2021").observations == 2


def test_a_last_row_without_its_blank_trailing_cells_is_not_a_cut(tmp_path):
    # DWP's Stat-Xplore export ends its Total row before the (always blank)
    # annotations column, with no final line break.
    from lacompare.store import ingest, open_store

    path = tmp_path / "dwp.csv"
    path.write_text(
        "la,2021,2021 - Annotations\nLeeds,5,\nYork,6,\nTotal,11", encoding="utf-8"
    )
    with open_store(":memory:") as store:
        ingest(store, path, period="2021")
        values = store.con.execute(
            "SELECT la_code, value FROM observations WHERE measure = '2021' "
            "ORDER BY la_code"
        ).fetchall()
        total = store.con.execute(
            "SELECT value FROM totals WHERE measure = '2021'"
        ).fetchall()
    assert values == [("E06000014", 6.0), ("E08000035", 5.0)]  # York, Leeds
    assert total == [(11.0,)]
