"""compare_years: a year's verdict is compare's verdict for that period (one
verdict per figure), every period held, every authority when la is None."""

from __future__ import annotations

import pandas as pd

from lacompare.analysis import compare
from lacompare.analysis.significance import compare_years
from lacompare.store import open_store


def _store(values_by_period: dict[str, list[float]]):
    store = open_store(":memory:")
    codes = sorted(store.list_authorities().query("region == 'North East'")["la_code"])
    rows = [
        {"la_code": c, "measure": "m", "period": p, "value": v}
        for p, values in values_by_period.items()
        for c, v in zip(codes, values, strict=False)
    ]
    store.write_cells(rows, file="test")
    return store, codes


def test_each_year_has_the_verdict_compare_gives_that_period() -> None:
    spread = [5.0, 6.0, 7.0, 5.0, 6.0, 7.0, 5.0, 6.0, 7.0, 5.0, 6.0, 7.0]
    store, codes = _store(
        {
            "2020": [6.0, *spread[1:]],
            "2021": [30.0, *spread[1:]],
            "2022": [-20.0, *spread[1:]],
        }
    )
    years = compare_years(store, codes[0], ["m"])
    assert list(years["period"]) == ["2020", "2021", "2022"]
    assert list(years["flag"]) == ["within", "above", "below"]
    for row in years.itertuples():
        same = compare(store, codes[0], "m", period=row.period).table.iloc[0]
        assert (row.flag, row.flag_level, row.test) == (
            same["flag"],
            same["flag_level"],
            same["test"],
        )


def test_every_authority_and_only_periods_with_values() -> None:
    store, codes = _store({"2021": [float(i) for i in range(12)]})
    years = compare_years(store, None, ["m"])
    assert set(years["period"]) == {"2021"}
    assert set(years["la_code"]) >= set(codes)
    empty = compare_years(store, None, ["no_such_measure"])
    assert isinstance(empty, pd.DataFrame) and empty.empty
    assert "flag" in empty.columns
