"""Repeated keys within one large load: the bitmap count and its hash fallback."""

from __future__ import annotations

import itertools

import duckdb
import pytest

from lacompare.store import _vintages_conflicts
from lacompare.store._vintages_conflicts import repeated_row_keys


def rows_table(rows: list[tuple[object, ...]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE observation_rows (source_id INTEGER, la_code VARCHAR, "
        "period VARCHAR, breakdown VARCHAR)"
    )
    con.executemany("INSERT INTO observation_rows VALUES (?, ?, ?, ?)", rows)
    return con


KEYS = list(
    itertools.product(
        ["E08000035", "E06000014", None],
        ["2021", "2022"],
        ["sex=Male", "sex=Female", "", None],
    )
)


@pytest.mark.parametrize("bitmap", [True, False], ids=["bitmap", "hashes"])
@pytest.mark.parametrize(
    "repeats",
    [[], [0], [0, 0, 5], [len(KEYS) - 1, 3, 3, 3]],
    ids=["none", "one", "three", "null-keys"],
)
def test_repeated_keys_are_counted_exactly(monkeypatch, bitmap, repeats):
    if not bitmap:
        monkeypatch.setattr(_vintages_conflicts, "KEY_BITMAP_BITS", 0)
    rows = [(1, *k) for k in KEYS] + [(1, *KEYS[i]) for i in repeats]
    # Another load's rows with the same keys are not this load's repeats.
    rows += [(2, *k) for k in KEYS[:4]]
    con = rows_table(rows)
    assert repeated_row_keys(con, 1) == len(repeats)
    assert repeated_row_keys(con, 2) == 0
    # The working tables are gone.
    assert con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name IN "
        "('_pairs', '_breakdowns')"
    ).fetchall() == [(0,)]


def test_a_load_of_one_row_or_none_repeats_nothing():
    con = rows_table([(1, "E08000035", "2021", "")])
    assert repeated_row_keys(con, 1) == 0
    assert repeated_row_keys(con, 7) == 0


def test_more_keys_than_the_bitmap_holds_are_counted_by_hashes(monkeypatch):
    # 2 pairs x 3 breakdowns need 6 bits; with room for 5 per bitmap (the budget
    # is shared by DuckDB's threads and the combined bitmap) hashes are counted,
    # and still find the one repeat.
    keys = list(itertools.product(["E08000035"], ["2021", "2022"], ["a", "b", "c"]))
    con = rows_table([(1, *k) for k in keys] + [(1, *keys[2])])
    con.execute("SET threads = 3")
    monkeypatch.setattr(_vintages_conflicts, "KEY_BITMAP_BITS", 5 * 4)
    assert repeated_row_keys(con, 1) == 1


@pytest.mark.parametrize("threads", [1, 4])
def test_the_count_is_the_same_whatever_the_threads(threads):
    keys = list(itertools.product([f"E0{i}" for i in range(40)], ["2021"], "abcde"))
    con = rows_table([(1, *k) for k in keys] + [(1, *k) for k in keys[::7]])
    con.execute(f"SET threads = {threads}")
    assert repeated_row_keys(con, 1) == len(keys[::7])
