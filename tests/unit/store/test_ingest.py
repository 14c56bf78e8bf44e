"""Loading tables: layouts, provenance, totals, atomicity and re-loads."""

from __future__ import annotations

import pytest

from lacompare.errors import InputError, LacompareError, SpecError
from lacompare.store import _ingest
from lacompare.store._ingest import ingest

#: An EES data-standard file: England, a region and two authorities, by sex.
_YEAR = "2024,Reporting year"
_NE = "E92000001,England,E12000001,North East"
EES = (
    "\n".join(
        [
            "time_period,time_identifier,geographic_level,country_code,country_name,"
            "region_code,region_name,old_la_code,new_la_code,la_name,sex,number,"
            "rate_per_10000",
            f"{_YEAR},National,E92000001,England,,,,,,Total,300,50",
            f"{_YEAR},National,E92000001,England,,,,,,Male,170,52",
            f"{_YEAR},Regional,{_NE},,,,Total,300,90",
            f"{_YEAR},Regional,{_NE},,,,Male,170,91",
            f"{_YEAR},Local authority,{_NE},805,E06000001,Hartlepool,Total,100,157",
            f"{_YEAR},Local authority,{_NE},805,E06000001,Hartlepool,Male,c,c",
            f"{_YEAR},Local authority,{_NE},806,E06000002,Middlesbrough,Total,200,120",
            f'{_YEAR},Local authority,{_NE},806,E06000002,Middlesbrough,Male,"1,60",x',
        ]
    )
    + "\n"
)


@pytest.fixture(autouse=True, params=["cells", "rows"])
def kept_as(request, monkeypatch):
    """Each test runs twice: values kept one row per value, and (as large tables
    are) one row per file row with the values in lists."""
    if request.param == "rows":
        monkeypatch.setattr(_ingest, "COMPACT_VALUES", 0)
    return request.param


def counts(store):
    return {
        t: store.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        for t in ("observations", "totals", "sources", "measures", "load_issues")
    }


def test_ees_file_loads_with_no_options(store, write):
    result = ingest(store, write("cla.csv", EES.replace('"1,60"', "160")))
    assert result.layout == "ees"
    assert result.observations == 8 and result.totals == 8
    assert result.measures == ["number", "rate_per_10000"]
    assert result.periods == ["2024"]
    rows = store.con.execute(
        "SELECT la_code, breakdown, value, missing_reason FROM observations "
        "WHERE measure = 'number' ORDER BY la_code, breakdown"
    ).fetchall()
    assert rows == [
        ("E06000001", "sex=Male", None, "suppressed"),
        ("E06000001", "sex=Total", 100.0, None),
        ("E06000002", "sex=Male", 160.0, None),
        ("E06000002", "sex=Total", 200.0, None),
    ]


def test_every_value_is_traceable_to_its_cell(store, write):
    path = write("cla.csv", EES.replace('"1,60"', "160"))
    ingest(store, path)
    row = store.con.execute(
        "SELECT o.source_row, o.source_column, s.file, s.sha256 FROM observations o "
        "JOIN sources s USING (source_id) WHERE la_code = 'E06000002' AND "
        "measure = 'rate_per_10000' AND breakdown = 'sex=Total'"
    ).fetchall()[0]
    line = path.read_text().splitlines()[row[0] - 1]
    header = path.read_text().splitlines()[0].split(",")
    assert line.split(",")[header.index(row[1])] == "120"
    assert row[2] == str(path.resolve())
    assert len(row[3]) == 64


def test_totals_are_set_aside_and_checked(store, write):
    ingest(store, write("cla.csv", EES.replace('"1,60"', "160")))
    checks = dict(
        store.con.execute(
            "SELECT area_name || ' ' || measure || ' ' || breakdown, check_result "
            "FROM totals"
        ).fetchall()
    )
    assert checks["England number sex=Total"] == "agrees"
    assert checks["North East number sex=Total"] == "agrees"
    # Hartlepool's male count is suppressed, so its sum cannot be checked.
    assert checks["England number sex=Male"] == "incomplete"
    assert checks["England rate_per_10000 sex=Total"] == "not-additive"
    assert not store.con.execute(
        "SELECT count(*) FROM observations WHERE la_code LIKE 'E92%' "
        "OR la_code LIKE 'E12%'"
    ).fetchall()[0][0]


def test_a_total_that_does_not_add_up_is_flagged(store, write):
    text = "la,pupils\nHartlepool,100\nMiddlesbrough,200\nTotal,900\n"
    result = ingest(store, write("t.csv", text), period="2024")
    assert result.totals_check == {"differs": 1}
    assert result.totals_differ[0]["members_sum"] == 300
    assert result.issues.of_kind("total-differs")


def test_a_total_whose_members_all_round_to_zero_is_checked_against_zero(store, write):
    # Every member 'k' (rounds to 0): no member has a value, the sum counts as 0
    # within the rounding (it once stopped the load with a TypeError).
    text = "la,pupils\nHartlepool,k\nMiddlesbrough,k\nTotal,0\nTotal,40\n"
    result = ingest(store, write("t.csv", text), period="2024")
    assert result.totals_check == {"agrees": 1, "differs": 1}
    (said,) = result.issues.of_kind("total-differs")
    assert "total 40 but its 2 members sum to 0" in str(said)


def test_subtotals_sum_their_section(store, write):
    text = (
        "la,spend\nHartlepool,1\nMiddlesbrough,2\nSub-total,3\n"
        "Leeds,10\nYork,20\nSub-total,30\nTotal,33\n"
    )
    result = ingest(store, write("t.csv", text), period="2024-25")
    assert result.totals_check == {"agrees": 3}


def test_unparseable_text_is_kept_and_reported(store, write):
    result = ingest(store, write("cla.csv", EES))
    raw = store.con.execute(
        "SELECT raw, missing_reason FROM observations WHERE value IS NULL AND "
        "missing_reason = 'unparsed'"
    ).fetchall()
    assert raw == [("1,60", "unparsed")]
    assert result.issues.of_kind("unparsed-value")[0].row == 9


def test_wide_table_needs_a_period_and_keeps_categories(store, write):
    text = (
        "region,local_authority,pop_0_25,delivery\n"
        'North East,Hartlepool,"25,000",In-House\n'
        "North East,Middlesbrough,,Outsourced\n"
    )
    path = write("w.csv", text)
    with pytest.raises(InputError, match="no period"):
        ingest(store, path)
    result = ingest(store, path, period="2021")
    assert result.layout == "wide"
    got = store.con.execute(
        "SELECT la_code, measure, value, missing_reason, label FROM observations "
        "ORDER BY measure, la_code"
    ).fetchall()
    assert ("E06000001", "delivery", None, None, "In-House") in got
    assert ("E06000002", "pop_0_25", None, "blank", None) in got
    assert ("E06000001", "pop_0_25", 25000.0, None, None) in got
    units = dict(store.con.execute("SELECT measure, unit FROM measures").fetchall())
    assert units["delivery"] == "category"


def test_long_table_with_flags(store, write):
    text = "Authority,Year,Count\nHartlepool,2023,5\nHartlepool,2024,6\n"
    result = ingest(
        store,
        write("l.csv", text),
        la_column="Authority",
        period_column="Year",
        value_column="Count",
        measure="referrals",
    )
    assert result.layout == "long"
    assert store.con.execute(
        "SELECT period, value FROM observations WHERE measure = 'referrals' "
        "ORDER BY period"
    ).fetchall() == [("2023", 5.0), ("2024", 6.0)]


def test_long_table_recognised_by_its_columns(store, write):
    text = (
        "measure_short,year,la_number,area_name,value\n"
        "CLA_Rate,2024,805,Hartlepool,157\nCLA_Rate,2024,806,Middlesbrough,120\n"
    )
    result = ingest(store, write("l.csv", text))
    assert result.layout == "long"
    assert result.measures == ["CLA_Rate"]


def test_unresolved_rows_fail_the_load_and_change_nothing(store, write):
    ingest(store, write("ok.csv", "la,x\nLeeds,1\n"), period="2020")
    before = counts(store)
    path = write("bad.csv", "la,x\nLeeds,1\nAtlantis,2\n")
    with pytest.raises(InputError) as err:
        ingest(store, path, period="2021")
    message = str(err.value)
    assert "bad.csv" in message and "row 3" in message and "column la" in message
    assert "Atlantis" in message and "\n" not in message
    assert counts(store) == before


def test_skip_unresolved_loads_the_rest_and_logs_them(store, write):
    path = write("bad.csv", "la,x\nLeeds,1\nAtlantis,2\n")
    result = ingest(store, path, period="2021", skip_unresolved=True)
    assert result.observations == 1
    assert [u["row"] for u in result.unresolved] == [3]
    logged = store.con.execute(
        'SELECT kind, "row", value FROM load_issues WHERE kind = '
        "'unresolved-authority'"
    ).fetchall()
    assert logged == [("unresolved-authority", 3, "Atlantis")]


def test_note_rows_under_a_table_are_set_aside(store, write):
    text = "la,x\nLeeds,1\nSource: DfE,\n"
    result = ingest(store, write("n.csv", text), period="2021")
    assert result.observations == 1
    assert result.issues.of_kind("empty-row")[0].row == 3


def test_dry_run_changes_nothing(store, write):
    before = counts(store)
    result = ingest(store, write("cla.csv", EES), check=True)
    assert result.dry_run and result.observations == 8
    assert counts(store) == before


def test_reloading_a_file_does_not_duplicate(store, write):
    path = write("cla.csv", EES)
    first = ingest(store, path)
    again = ingest(store, path)
    assert again.replaced == first.source_id
    assert counts(store)["observations"] == 8
    assert counts(store)["sources"] == 1


def test_a_failure_midway_rolls_back(store, write):
    ingest(store, write("ok.csv", EES))
    before = counts(store)
    text = "la,year,x\nLeeds,2020,1\nYork,,2\n"
    with pytest.raises(InputError, match="no period on this row"):
        ingest(store, write("p.csv", text), period_column="year")
    assert counts(store) == before


def test_spec_file_maps_headings(store, write):
    spec = write(
        "s.toml",
        """
[source]
header_row = 3
la_columns = ["Code"]
period = "2023-24"
exclude_columns = ["Name"]

[measures."Spend (£000)"]
measure = "csc_spend"
unit = "£ thousand"
polarity = "neutral"
""",
    )
    table = write("t.csv", 'Title\n\nCode,Name,Spend (£000)\nE06000001,x,"(1,792)"\n')
    result = ingest(store, table, spec=spec)
    assert result.measures == ["csc_spend"]
    assert store.con.execute(
        "SELECT value, source_row FROM observations"
    ).fetchall() == [(-1792.0, 4)]
    assert store.con.execute("SELECT unit FROM measures").fetchall() == [
        ("£ thousand",)
    ]


def test_bad_spec_names_the_file(store, write):
    spec = write("s.toml", "[source]\nperiods = 2021\n")
    with pytest.raises(SpecError, match="s.toml.*unknown key"):
        ingest(store, write("t.csv", "la,x\nLeeds,1\n"), spec=spec)


def test_a_spec_says_what_its_markers_mean(store, write):
    table = write("t.csv", "la,n\nLeeds,x\nYork,c\nHull,7\n")
    spec = write(
        "s.toml", '[source]\nperiod = "2012"\nmarkers = { x = "suppressed" }\n'
    )
    ingest(store, table, spec=spec)
    got = store.con.execute(
        "SELECT raw, value, missing_reason FROM observations ORDER BY source_row"
    ).fetchall()
    assert got == [
        ("x", None, "suppressed"),
        ("c", None, "suppressed"),
        (None, 7.0, None),
    ]
    bad = write("b.toml", '[source]\nperiod = "2012"\nmarkers = { x = "hidden" }\n')
    with pytest.raises(SpecError, match="b.toml.*markers.*unknown reason 'hidden'"):
        ingest(store, table, spec=bad)


def test_missing_column_named_in_flags(store, write):
    with pytest.raises(InputError, match="no column 'Authority'"):
        ingest(
            store, write("t.csv", "la,x\nLeeds,1\n"), la_column="Authority", period="1"
        )


def test_as_of_picks_the_authority_of_the_period(store, write):
    text = "la,x\nNorth Yorkshire,1\n"
    ingest(store, write("a.csv", text), period="2021")
    ingest(store, write("b.csv", text), period="2024")
    assert store.con.execute(
        "SELECT period, la_code FROM observations ORDER BY period"
    ).fetchall() == [("2021", "E10000023"), ("2024", "E06000065")]


def test_joint_returns_are_kept_and_stored_for_each_member(store, write):
    text = "la,fte\nKingston upon Thames / Richmond upon Thames,300\nLeeds,400\n"
    result = ingest(store, write("j.csv", text), period="2024")
    # Leeds, and the joint row under each member (issue 17: tests/unit/store/
    # test_joint_returns.py); the row itself stays in totals.
    assert result.observations == 3
    assert store.con.execute(
        "SELECT area_code, check_result, value FROM totals"
    ).fetchall() == [("E09000021;E09000027", "joint-return", 300.0)]


def test_errors_are_lacompare_errors(store, tmp_path):
    with pytest.raises(LacompareError, match="file not found"):
        ingest(store, tmp_path / "nope.csv")


def test_headings_that_make_the_same_id_stay_apart(store, write):
    text = "la,cs_share,CS Share\nLeeds,19.5,20\n"
    result = ingest(store, write("d.csv", text), period="2024")
    assert result.measures == ["cs_share", "cs_share_c"]


def test_districts_bodies_and_other_nations_are_set_aside(store, write):
    text = (
        "Code,Area,children\nE07000026,Allerdale,10\nE23000001,"
        "Metropolitan Police,5\n,Cardiff / Caerdydd,7\nE06000001,Hartlepool,3\n"
    )
    result = ingest(store, write("o.csv", text), period="2020")
    assert result.observations == 1 and result.unresolved == []
    assert dict(
        store.con.execute("SELECT area_name, check_result FROM totals").fetchall()
    ) == {
        "Allerdale": "district",
        "Metropolitan Police": "other-body",
        "Cardiff / Caerdydd": "outside-england",
    }


def test_a_period_that_is_no_year_is_kept_and_said(store, write):
    table = write("t.csv", "la,year,n\nLeeds,2021,1\nYork,0,2\n")
    result = ingest(store, table, la_column="la", period_column="year")
    assert result.periods == ["0", "2021"]
    odd = result.issues.of_kind("unrecognised-period")
    assert [(i.value, i.row, i.severity) for i in odd] == [("0", 3, "warning")]


def test_each_value_keeps_its_column_heading_as_printed(store, write):
    # Wide: the measure is an id made from the heading; the source column is the
    # heading itself, apostrophe and all, for every value and total of the column.
    wide = write(
        "wide.csv",
        "Local authority,Children's spend (£),Looked after\n"
        'Leeds,"1,200",85\nYork,c,40\nEngland,9000,67\n',
    )
    ingest(store, wide, period="2024")
    rows = store.con.execute(
        "SELECT DISTINCT measure, source_column FROM observations ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("children_s_spend", "Children's spend (£)"),
        ("looked_after", "Looked after"),
    ]
    assert sorted(
        r[0] for r in store.con.execute("SELECT source_column FROM totals").fetchall()
    ) == ["Children's spend (£)", "Looked after"]
    # Long: one value column, the measure named on each row.
    long = write(
        "long.csv",
        "la,measure,year,Pupils' count\nLeeds,pupils,2024,10\nYork,pupils,2024,12\n",
    )
    ingest(
        store,
        long,
        la_column="la",
        period_column="year",
        value_column="Pupils' count",
        measure_column="measure",
    )
    assert store.con.execute(
        "SELECT DISTINCT source_column FROM observations WHERE measure = 'pupils'"
    ).fetchall() == [("Pupils' count",)]


def test_a_table_of_many_values_is_kept_one_row_per_file_row(store, write, monkeypatch):
    # At COMPACT_VALUES values (rows × value columns) a table is kept as rows of
    # lists; below it, one row per value. Both read back the same through the view.
    monkeypatch.setattr(_ingest, "COMPACT_VALUES", 6)
    small = ingest(
        store, write("small.csv", "la,a,b\nLeeds,1,2\nYork,3,c\n"), period="2020"
    )
    large = ingest(
        store,
        write("large.csv", "la,a,b\nLeeds,1,2\nYork,3,c\nHull,(4),5 [r]\n"),
        period="2021",
    )

    def kept(table):
        return store.con.execute(f"SELECT DISTINCT source_id FROM {table}").fetchall()

    assert kept("observation_cells") == [(small.source_id,)]
    assert kept("observation_rows") == [(large.source_id,)]
    assert large.observations == 6 and large.authorities == 3
    assert store.con.execute(
        "SELECT la_code, measure, value, missing_reason, raw, source_row, "
        "source_column FROM observations WHERE period = '2021' ORDER BY ALL"
    ).fetchall() == [
        ("E06000010", "a", -4.0, None, "(4)", 4, "a"),
        ("E06000010", "b", 5.0, None, "5 [r]", 4, "b"),
        ("E06000014", "a", 3.0, None, None, 3, "a"),
        ("E06000014", "b", None, "suppressed", "c", 3, "b"),
        ("E08000035", "a", 1.0, None, None, 2, "a"),
        ("E08000035", "b", 2.0, None, None, 2, "b"),
    ]
    # Re-loading the large file replaces its rows and columns.
    again = ingest(
        store,
        write("large.csv", "la,a,b\nLeeds,1,2\nYork,3,c\nHull,(4),5 [r]\n"),
        period="2021",
    )
    assert again.replaced == large.source_id
    assert kept("observation_rows") == [(again.source_id,)]
    assert store.con.execute("SELECT count(*) FROM observation_columns").fetchall() == [
        (2,)
    ]


def test_each_column_may_name_its_own_period(store, write):
    # A wide table with a column per year: each value takes its column's period,
    # and a filter on period finds exactly that year's values.
    spec = write(
        "s.toml",
        '[measures."CLA 2023"]\nmeasure = "cla"\nperiod = "2023"\n'
        '[measures."CLA 2024"]\nmeasure = "cla"\nperiod = "2024"\n',
    )
    result = ingest(
        store,
        write("t.csv", "la,CLA 2023,CLA 2024\nLeeds,80,85\nYork,c,40\n"),
        spec=spec,
    )
    assert result.periods == ["2023", "2024"] and result.observations == 4
    assert store.con.execute(
        "SELECT la_code, value, missing_reason, source_column FROM observations "
        "WHERE measure = 'cla' AND period = '2023' ORDER BY la_code"
    ).fetchall() == [
        ("E06000014", None, "suppressed", "CLA 2023"),
        ("E08000035", 80.0, None, "CLA 2023"),
    ]


# ------------------------------------------------------------------------------------
# Vintages: a file loaded again (both forms, by the autouse kept_as fixture)

POP = "la,pop,cla\nLeeds,100,5\nYork,50,2\nBirmingham,450047,9\n"


def current(store):
    return store.con.execute(
        "SELECT la_code, measure, value, source_id FROM observations "
        "ORDER BY la_code, measure"
    ).fetchall()


def test_reloading_an_edited_file_keeps_one_current_value_per_key(store, write):
    from lacompare.store import superseded_values

    path = write("pop.csv", POP)
    first = ingest(store, path, period="2021")
    path.write_text(POP.replace("450047", "450048"))
    again = ingest(store, path, period="2021")
    assert again.replaced is None and again.vintage.previous == first.source_id
    assert (
        again.vintage.revised,
        again.vintage.added,
        again.vintage.removed,
        again.vintage.unchanged,
    ) == (1, 0, 0, 5)
    assert any(
        "1 value revised, 0 added, 0 removed" in line for line in again.summary_lines()
    )
    rows = store.con.execute(
        "SELECT value, source_id FROM observations WHERE la_code = 'E08000025' "
        "AND measure = 'pop'"
    ).fetchall()
    assert rows == [(450048.0, again.source_id)]
    assert store.con.execute(
        "SELECT count(*), count(DISTINCT (la_code, measure, period, breakdown)) "
        "FROM observations"
    ).fetchall() == [(6, 6)]
    # The superseded values are kept, with their load and its time.
    old = superseded_values(store, "pop.csv").rows
    assert len(old) == 6 and set(old["source_id"]) == {first.source_id}
    assert old["loaded_at"].notna().all()
    birmingham = old[(old["la_code"] == "E08000025") & (old["measure"] == "pop")]
    assert birmingham[["value", "why"]].values.tolist() == [
        ["450047", f"vintage 2 (source {again.source_id})"]
    ]
    changed = superseded_values(store, "pop.csv", changed=True).rows
    assert changed["value"].tolist() == ["450047"]
    assert [i.message for i in again.issues.of_kind("revised")] == [
        "E08000025 pop 2021: 450047 → 450048"
    ]


def test_a_vintage_reports_rows_added_and_removed(store, write):
    path = write("pop.csv", POP)
    ingest(store, path, period="2021")
    path.write_text("la,pop,cla\nLeeds,100,5\nBirmingham,450047,9\nBury,7,1\n")
    again = ingest(store, path, period="2021")
    change = again.vintage
    assert (change.revised, change.added, change.removed, change.unchanged) == (
        0,
        2,
        2,
        4,
    )
    assert [i.message for i in again.issues.of_kind("removed")] == [
        "E06000014 cla 2021: 2 is not in this vintage",
        "E06000014 pop 2021: 50 is not in this vintage",
    ]
    # A removed value is no longer current: the store says what the file says.
    assert {r[0] for r in current(store)} == {"E08000002", "E08000025", "E08000035"}


def test_the_same_file_name_from_another_folder_is_the_next_vintage(
    store, write, tmp_path
):
    first = ingest(store, write("pop.csv", POP), period="2021")
    elsewhere = tmp_path / "release-2" / "pop.csv"
    elsewhere.parent.mkdir()
    elsewhere.write_text(POP.replace("\nYork,50,", "\nYork,51,"))
    again = ingest(store, elsewhere, period="2021")
    assert again.vintage.source == "pop.csv" and again.vintage.vintage == 2
    assert again.vintage.previous == first.source_id and again.vintage.revised == 1
    assert len(current(store)) == 6


def test_reloading_with_an_equivalent_spec_or_a_renamed_measure(store, write):
    path = write("pop.csv", POP)
    ingest(store, path, period="2021")
    # The same file mapped again (its measure renamed): a new vintage, not a copy.
    spec = write(
        "s.toml", '[source]\nperiod = "2021"\n[measures.pop]\nmeasure = "population"\n'
    )
    again = ingest(store, path, spec=spec)
    assert (again.vintage.added, again.vintage.removed) == (3, 3)
    assert sorted({r[1] for r in current(store)}) == ["cla", "population"]
    assert len(current(store)) == 6


def test_a_file_sharing_no_key_with_its_namesake_is_a_source_of_its_own(
    store, write, tmp_path
):
    # Each year's services.csv: the same name, other periods. It revises nothing,
    # so both stay current, and the load says why.
    ingest(store, write("services.csv", POP), period="2021")
    next_year = tmp_path / "2022" / "services.csv"
    next_year.parent.mkdir()
    next_year.write_text(POP)
    second = ingest(store, next_year, period="2022")
    assert second.vintage.source == "services.csv (2)"
    assert second.vintage.previous is None
    assert "revises nothing" in second.issues.of_kind("new-source")[0].message
    assert len(current(store)) == 12
    # --replace makes it the next vintage of its namesake regardless.
    third = tmp_path / "2023" / "services.csv"
    third.parent.mkdir()
    third.write_text(POP)
    replaced = ingest(store, third, period="2023", replace=True)
    assert replaced.vintage.source == "services.csv"
    assert replaced.vintage.removed == 6 and replaced.vintage.added == 6
    assert sorted(
        {
            r[0]
            for r in store.con.execute(
                "SELECT DISTINCT period FROM observations"
            ).fetchall()
        }
    ) == ["2022", "2023"]


def test_two_sources_giving_the_same_key_conflict(store, write):
    from lacompare.store import superseded_values

    first = ingest(store, write("pop.csv", POP), period="2021")
    other = ingest(
        store, write("other.csv", "la,pop\nLeeds,99\nYork,50\n"), period="2021"
    )
    [conflict] = other.vintage.conflicts
    assert (conflict.source_id, conflict.values, conflict.different) == (
        first.source_id,
        2,
        1,
    )
    assert any(
        "conflict: 2 values (1 different) also given by source" in line
        for line in other.summary_lines()
    )
    assert [i.severity for i in other.issues.of_kind("conflict")][0] == "warning"
    # One current value per key: the most recent load's.
    leeds = store.con.execute(
        "SELECT value, source_id FROM observations WHERE "
        "la_code = 'E08000035' AND measure = 'pop'"
    ).fetchall()
    assert leeds == [(99.0, other.source_id)]
    old = superseded_values(store, "pop.csv").rows
    assert sorted(old["why"]) == [f"conflict: source {other.source_id} (other.csv)"] * 2
    # --as-new-source keeps a file of the same name apart, as a conflict.
    apart = ingest(
        store,
        write("pop.csv", POP.replace("450047", "1")),
        period="2021",
        as_new_source=True,
    )
    assert apart.vintage.source == "pop.csv (2)" and apart.vintage.previous is None
    assert sum(c.values for c in apart.vintage.conflicts) == 6
    assert len(current(store)) == 6


def test_a_value_hidden_by_a_conflict_returns_when_the_other_drops_it(store, write):
    ingest(store, write("pop.csv", POP), period="2021")
    other = write("other.csv", "la,pop\nLeeds,99\nYork,49\n")
    ingest(store, other, period="2021")
    # The next vintage of other.csv no longer gives Leeds: pop.csv's is current.
    other.write_text("la,pop\nYork,49\n")
    again = ingest(store, other, period="2021")
    assert again.vintage.restored == 1
    assert store.con.execute(
        "SELECT value FROM observations WHERE la_code = 'E08000035' AND measure = 'pop'"
    ).fetchall() == [(100.0,)]
    assert len(current(store)) == 6


def test_a_key_given_twice_in_a_file_keeps_the_later_row(store, write):
    result = ingest(
        store, write("d.csv", "la,pop\nLeeds,1\nYork,2\nLeeds,3\n"), period="2021"
    )
    assert result.vintage.duplicates == 1
    assert result.issues.of_kind("duplicate-key")[0].row == 2
    assert store.con.execute(
        "SELECT value FROM observations WHERE la_code = 'E08000035'"
    ).fetchall() == [(3.0,)]


def test_diff_lists_the_revisions_between_vintages(store, write):
    from lacompare.store import diff_vintages, list_vintages

    path = write("pop.csv", POP)
    ingest(store, path, period="2021")
    path.write_text(POP.replace("450047", "450048").replace("York,50,", "York,c,"))
    ingest(store, path, period="2021")
    found = diff_vintages(store, "pop.csv")
    assert found.counts == {"revised": 2, "added": 0, "removed": 0, "unchanged": 4}
    assert found.rows[["la_name", "measure", "old", "new"]].values.tolist() == [
        ["York", "pop", "50", "[suppressed]"],
        ["Birmingham", "pop", "450047", "450048"],
    ]
    assert list_vintages(store).rows["current"].tolist() == [False, True]
    with pytest.raises(InputError, match="no source 'nope.csv'"):
        diff_vintages(store, "nope.csv")


def test_summary_of_a_reloaded_store_counts_one_value_per_authority(store, write):
    from lacompare.analysis.summaries import summarise

    path = write("pop.csv", POP)
    ingest(store, path, period="2021")
    path.write_text(POP.replace("450047", "450048"))
    ingest(store, path, period="2021")
    england = summarise(store, "pop", periods="2021").table.query("region == 'England'")
    assert england[["n", "max"]].values.tolist() == [[3, 450048.0]]


def test_a_derived_measure_computed_from_a_revised_value_is_said(store, write):
    from lacompare.derive import derive_rate

    counts = write("cla.csv", "la,cla\nLeeds,100\nYork,50\n")
    ingest(store, counts, period="2021")
    ingest(store, write("pop.csv", "la,pop\nLeeds,10000\nYork,5000\n"), period="2021")
    derive_rate(store, "cla", "pop", name="cla_rate", match="same-period")
    counts.write_text("la,cla\nLeeds,101\nYork,50\n")
    again = ingest(store, counts, period="2021")
    [stale] = again.issues.of_kind("derived-stale")
    assert stale.message.startswith("derived measure cla_rate: 1 value computed")


def test_a_conflict_between_a_large_and_a_small_load_and_its_return(
    store, write, monkeypatch
):
    # One source kept as rows of lists, the other one value per row: the conflict,
    # and the value's return when the other's next vintage drops the key.
    monkeypatch.setattr(_ingest, "COMPACT_VALUES", 0)
    ingest(store, write("a.csv", "la,pop,x\nLeeds,100,1\nYork,50,2\n"), period="2021")
    monkeypatch.setattr(_ingest, "COMPACT_VALUES", 1 << 62)
    other = write("b.csv", "la,pop\nLeeds,99\nYork,49\n")
    assert ingest(store, other, period="2021").vintage.conflicts[0].values == 2
    other.write_text("la,pop\nYork,48\n")
    assert ingest(store, other, period="2021").vintage.restored == 1
    assert current(store) == [
        ("E06000014", "pop", 48.0, 3),
        ("E06000014", "x", 2.0, 1),
        ("E08000035", "pop", 100.0, 1),
        ("E08000035", "x", 1.0, 1),
    ]
    # The superseded vintage of b.csv is out of the tables that hold current values.
    assert store.con.execute(
        "SELECT DISTINCT source_id FROM superseded_cells"
    ).fetchall() == [(2,)]


def test_a_dry_run_of_a_revised_file_says_what_it_would_change(store, write):
    path = write("pop.csv", POP)
    first = ingest(store, path, period="2021")
    before = counts(store)
    path.write_text(POP.replace("450047", "450048"))
    dry = ingest(store, path, period="2021", check=True)
    assert dry.vintage.revised == 1
    assert any(
        line.startswith("(dry run) vintage 2 of pop.csv: 1 value revised")
        for line in dry.summary_lines()
    )
    assert counts(store) == before
    assert store.con.execute(
        "SELECT DISTINCT source_id FROM observations"
    ).fetchall() == [(first.source_id,)]
    assert store.con.execute(
        "SELECT count(*) FROM observation_vintages"
    ).fetchall() == [(6,)]
