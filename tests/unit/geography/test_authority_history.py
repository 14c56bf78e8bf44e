"""Authority history (issue 17, item 1): each authority's type, region and code on a
day, so that a table of 2002 is grouped by 2002's types."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lacompare.geography import (
    authorities_on,
    authority_type_on,
    read_authorities,
    read_authority_history,
    resolve_authority,
)

BECAME_UNITARY_2009 = [
    "Cornwall",
    "County Durham",
    "Northumberland",
    "Shropshire",
    "Wiltshire",
]


def test_the_2009_unitaries_were_shire_counties_before():
    for name in BECAME_UNITARY_2009:
        assert resolve_authority(name, as_of="2002-04-01").la_type == "shire county"
        assert resolve_authority(name, as_of="2009-03-31").la_type == "shire county"
        assert resolve_authority(name, as_of="2009-04-01").la_type == "unitary"
        assert resolve_authority(name, as_of="2010-04-01").la_type == "unitary"
        assert resolve_authority(name).la_type == "unitary"  # no date: today's


def test_resolve_command_gives_the_type_of_the_date(tmp_path):
    from lacompare.cli import app

    src = tmp_path / "names.csv"
    src.write_text("area\n" + "\n".join(BECAME_UNITARY_2009) + "\nLeeds\n")
    runner = CliRunner()
    for day, expected in (("2002-04-01", "shire county"), ("2010-04-01", "unitary")):
        out = tmp_path / f"{day}.csv"
        result = runner.invoke(
            app,
            [
                "resolve",
                str(src),
                "--column",
                "area",
                "--as-of",
                day,
                "--out",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        import pandas as pd

        types = pd.read_csv(out)["la_type"].tolist()
        assert types == [expected] * 5 + ["metropolitan district"]


def test_2002_has_150_authorities_by_the_types_of_that_year():
    on = authorities_on("2002-04-01")
    assert len(on) == 150
    assert on["la_type"].value_counts().to_dict() == {
        "unitary": 47,
        "metropolitan district": 36,
        "shire county": 34,
        "London borough": 33,
    }
    names = set(on["la_name"])
    # Counties split or recoded later existed then; their successors did not.
    assert {"Bedfordshire", "Cheshire", "Northamptonshire", "Cumbria", "Poole"} <= names
    assert (
        not {
            "Bedford",
            "Cheshire East",
            "Cumberland",
            "Bournemouth, Christchurch and Poole",
        }
        & names
    )
    assert read_authorities(as_of="2002-04-01").equals(on)
    assert len(authorities_on("2024-04-01")) == 153


def test_the_1990s_unitaries_have_their_own_dates():
    assert authority_type_on("E06000046", "1995-03-31") == "shire county"  # Wight
    assert authority_type_on("E06000046", "1995-04-01") == "unitary"
    assert authority_type_on("E06000017", "1997-03-31") is None  # Rutland: a district
    assert authority_type_on("E06000017", "1997-04-01") == "unitary"
    assert authority_type_on("E06000019", "1998-04-01") == "unitary"  # Herefordshire
    assert authority_type_on("E06000019", "1998-03-31") is None
    assert authority_type_on("dfe:875", "2002-04-01") == "shire county"  # Cheshire
    early = authorities_on("1997-01-01")
    assert "incomplete" in early.attrs["note"]


def test_codes_change_with_recodes_not_the_authority():
    h = read_authority_history()
    north = h[h["la_name"] == "Northumberland"]
    assert north[["valid_from", "valid_to", "la_type", "ons_code"]].values.tolist() == [
        ["", "2009-03-31", "shire county", ""],
        ["2009-04-01", "2013-03-31", "unitary", "E06000048"],
        ["2013-04-01", "", "unitary", "E06000057"],
    ]
    assert (
        authorities_on("2012-04-01").set_index("la_name").loc["Gateshead", "ons_code"]
        == "E08000020"
    )


def test_history_covers_the_registry_without_gaps_or_overlaps():
    reg = read_authorities()
    h = read_authority_history()
    h["key"] = h["la_code"].where(h["la_code"] != "", h["dfe_code"])
    reg["key"] = reg["la_code"].where(reg["la_code"] != "", reg["dfe_code"])
    assert set(h["key"]) == set(reg["key"])
    assert h["source"].ne("").sum() > 60  # every change names its order
    for key, rows in h.groupby("key"):
        entity = reg[reg["key"] == key].iloc[0]
        rows = rows.sort_values("valid_from")
        # The last period ends when the entity does, with the registry's type.
        assert rows["valid_to"].iloc[-1] == entity["valid_to"], key
        assert rows["la_type"].iloc[-1] == entity["la_type"], key
        assert (rows["region_code"] == entity["region_code"]).all(), key
        for (_, a), (_, b) in zip(
            rows.iloc[:-1].iterrows(), rows.iloc[1:].iterrows(), strict=True
        ):
            import datetime as dt

            end = dt.date.fromisoformat(a["valid_to"])
            assert dt.date.fromisoformat(b["valid_from"]) == end + dt.timedelta(1), key


@pytest.mark.parametrize("day", ["2002-04-01", "2008-03-31"])
def test_summary_by_type_uses_the_types_of_the_period(store, day):
    from lacompare.analysis.summaries import summarise

    store.con.execute(
        "INSERT INTO measures (measure, reference_date) VALUES ('m', '31 March')"
    )
    year = day[:4]
    store.write_cells(
        [
            {"la_code": "E06000052", "measure": "m", "period": year, "value": 5},
            {"la_code": "E06000001", "measure": "m", "period": year, "value": 1},
        ],
        file="x",
    )
    out = summarise(store, "m", by="la_type")
    rows = dict(zip(out.table["region"], out.table["n"], strict=True))
    assert rows["shire county"] == 1 and rows["unitary"] == 1  # Cornwall a county
    assert any("la_type as on" in line for line in out.notes())
