"""lacompare table / summarise_grouped (issue 17, item 7): authorities grouped by type,
region or a column, each group with its total and mean, and a grand total."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from analysis_cli import save_store
from typer.testing import CliRunner

from lacompare.analysis.grouped import grouped_report_table, summarise_grouped
from lacompare.errors import InputError
from lacompare.geography import authorities_on

DAY = "2002-04-01"


def _fill(
    store,
    measure: str,
    unit: str,
    values: dict[str, float | None],
    period: str = "2002",
    reasons: dict[str, str] | None = None,
) -> None:
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('t.csv', 'x')")
    sid = store.con.execute("SELECT max(source_id) FROM sources").fetchall()[0][0]
    store.con.execute(
        "INSERT OR REPLACE INTO measures (measure, unit, reference_date) "
        "VALUES (?, ?, '31 March')",
        [measure, unit],
    )
    rows = [
        (k, measure, period, v, (reasons or {}).get(k), sid) for k, v in values.items()
    ]
    store.con.executemany(
        "INSERT INTO observation_cells (la_code, measure, period, "
        "value, missing_reason, source_id) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


@pytest.fixture
def y2002(store):
    """Every authority of 1 April 2002 with a count (its position + 1), bar two."""
    on = authorities_on(DAY)
    keys = [c or f"dfe:{d}" for c, d in zip(on["la_code"], on["dfe_code"], strict=True)]
    values: dict[str, float | None] = {k: float(i + 1) for i, k in enumerate(keys)}
    values["E09000001"] = None  # City of London: suppressed
    del values["E06000053"]  # Isles of Scilly: no row at all
    _fill(store, "cla", "children", values, reasons={"E09000001": "suppressed"})
    return store, on, values


def test_groups_are_the_types_of_the_date_with_totals_and_means(y2002):
    store, on, values = y2002
    t = summarise_grouped(store, "cla", "la_type")
    assert t.attrs["as_of"] == "2002-03-31" and t.attrs["period"] == "2002"
    items = t[t["row_role"] == "item"]
    assert len(items) == 150  # nobody dropped
    cornwall = items[items["la_name"] == "Cornwall"]
    assert cornwall["group"].item() == "shire county"  # a county in 2002
    sums = t[t["statistic"] == "sum"].set_index("group")
    for kind, rows in items.groupby("group"):
        assert sums.loc[kind, "value"] == rows["value"].sum()
        assert sums.loc[kind, "n"] == rows["value"].notna().sum()
    assert sums.loc["All authorities", "value"] == sum(
        v for v in values.values() if v is not None
    )
    assert (
        sums.loc["All authorities", "n"],
        sums.loc["All authorities", "missing"],
    ) == (148, 2)
    means = t[t["statistic"] == "mean"].set_index("group")
    unitary = items[items["group"] == "unitary"]["value"]
    assert means.loc["unitary", "value"] == pytest.approx(unitary.mean())
    assert list(sums.index) == [
        "London borough",
        "metropolitan district",
        "shire county",
        "unitary",
        "All authorities",
    ]
    # The authorities without a value are rows and are named in the notes.
    scilly = items[items["la_name"] == "Isles of Scilly"]
    assert scilly["value__missing"].item() == "no-row"
    notes = " ".join(t.attrs["notes"])
    assert "City of London" in notes and "Isles of Scilly" in notes


def test_as_of_changes_the_groups(y2002):
    store, _, _ = y2002
    t = summarise_grouped(store, "cla", "la_type", as_of="2010-04-01")
    items = t[t["row_role"] == "item"]
    assert items.loc[items["la_name"] == "Cornwall", "group"].item() == "unitary"
    # Bedfordshire had a 2002 value but no longer existed: shown and said.
    assert "Bedfordshire" in items["la_name"].tolist()
    assert any("not in existence on 2010-04-01" in n for n in t.attrs["notes"])


def test_rates_get_means_and_say_why_there_is_no_sum(store):
    _fill(store, "rate", "rate per 10,000", {"E06000001": 80.0, "E06000002": 100.0})
    t = summarise_grouped(store, "rate", "region")
    assert set(t.loc[t["row_role"] != "item", "statistic"]) == {"mean"}
    assert any("cannot be added" in n for n in t.attrs["notes"])
    with pytest.raises(InputError, match="cannot sum 'rate'.*a rate"):
        summarise_grouped(store, "rate", "region", subtotals=["sum"])
    with pytest.raises(InputError, match="subtotals"):
        summarise_grouped(store, "rate", "region", subtotals="median")


def test_groups_from_a_column_of_the_loaded_file(store):
    _fill(
        store,
        "spend",
        "£",
        {"E06000001": 10.0, "E06000002": 20.0, "E08000035": 5.0},
        period="2021",
    )
    store.con.execute(
        "INSERT INTO measures (measure, unit) VALUES ('delivery', 'category')"
    )
    store.con.executemany(
        "INSERT INTO observation_cells (la_code, measure, period, label, source_id) "
        "VALUES (?, 'delivery', '2021', ?, 1)",
        [
            ("E06000001", "In-House"),
            ("E06000002", "Outsourced"),
            ("E08000035", "In-House"),
        ],
    )
    t = summarise_grouped(store, "spend", "delivery")
    sums = t[t["statistic"] == "sum"].set_index("group")["value"].to_dict()
    assert sums["In-House"] == 15.0 and sums["Outsourced"] == 20.0
    assert sums["All authorities"] == 35.0
    # Authorities with no delivery model are a group of their own, not dropped.
    assert "Unknown" in sums
    with pytest.raises(InputError, match="cannot group by 'colour'"):
        summarise_grouped(store, "spend", "colour")


def test_the_report_table_reconciles_and_styles_totals(y2002):
    from lacompare.formatting.tables import reconcile, table_html

    store, _, _ = y2002
    table = grouped_report_table(summarise_grouped(store, "cla", "la_type"))
    assert reconcile(table) == []
    html = table_html(table)
    assert '<tr class="subtotal">' in html and '<tr class="total">' in html


def _cli(store, tmp_path, *args: str):
    from lacompare.cli import app

    db = tmp_path / "s.duckdb"
    if not db.exists():
        save_store(store, tmp_path)
    return CliRunner().invoke(
        app, ["table", *args, "--db", str(db)], catch_exceptions=False
    )


def test_cli_csv_and_json_are_data_only(y2002, tmp_path):
    store, _, _ = y2002
    result = _cli(store, tmp_path, "cla", "--group-by", "la_type", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns)[:4] == ["group", "row_role", "row_level", "statistic"]
    assert len(frame) == 150 + 2 * 5
    assert "no value" in result.stderr
    result = _cli(store, tmp_path, "cla", "--format", "json", "--subtotals", "sum")
    rows = json.loads(result.stdout)
    assert {r["statistic"] for r in rows} == {"value", "sum"}


def test_cli_xlsx_numbers_are_numbers_and_totals_bold(y2002, tmp_path):
    import openpyxl

    store, _, _ = y2002
    out = tmp_path / "t.xlsx"
    result = _cli(store, tmp_path, "cla", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    ws = openpyxl.load_workbook(out)["Grouped table"]
    rows = {r[1].value: r for r in ws.iter_rows() if r[1].value}
    total = rows["shire county: total"]
    assert isinstance(total[2].value, int | float) and total[2].font.b
    assert not rows["Cornwall"][2].font.b and isinstance(
        rows["Cornwall"][2].value, int | float
    )
    assert rows["Isles of Scilly"][2].value is None  # empty, never 0


def test_cli_html_and_terminal(y2002, tmp_path):
    store, _, _ = y2002
    out = tmp_path / "t.html"
    result = _cli(store, tmp_path, "cla", "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "shire county: total" in out.read_text()
    result = _cli(store, tmp_path, "cla", "--group-by", "region")
    assert result.exit_code == 0 and "All authorities: total" in result.stdout
    result = _cli(store, tmp_path, "cla", "--format", "xlsx")
    assert result.exit_code != 0 and "--out" in result.stderr


@pytest.mark.shared
def test_national_cla_table_by_type(shared_data, store):
    from lacompare.build._files import read_known_files
    from lacompare.store._ingest import ingest

    rel = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
    entry = read_known_files().loads_for(rel)[0]
    ingest(store, shared_data / rel, spec=entry.ingest_spec())
    t = summarise_grouped(store, "children_count", "la_type", breakdown="31 March")
    assert t.attrs["period"] == "2025"
    items = t[t["row_role"] == "item"]
    assert len(items) == 153 and items["la_name"].is_unique
    sums = t[t["statistic"] == "sum"].set_index("group")
    assert (
        sums.loc["All authorities", "value"]
        == sums.drop("All authorities")["value"].sum()
    )
    # England's published count for 31 March 2025, within the rounding of the parts.
    england = store.con.execute(
        "SELECT value FROM totals WHERE area_code = 'E92000001' AND measure = "
        "'children_count' AND period = '2025' AND breakdown LIKE '%31 March%'"
    ).fetchall()[0][0]
    assert abs(sums.loc["All authorities", "value"] - england) <= 0.5 * 153 + 50
    rate = summarise_grouped(store, "rate_per_10000", "region", breakdown="31 March")
    assert "sum" not in set(rate["statistic"])
