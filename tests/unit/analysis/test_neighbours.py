"""Statistical neighbours: the file format, loading with boundary changes, our own
computation (CIPFA/NFER recipe), comparisons, and the CLI."""

from __future__ import annotations

import json
import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lacompare.analysis.neighbours import (
    PACKAGED_SETS,
    compare_neighbour_sets,
    compute_neighbours,
    list_neighbour_sets,
    load_neighbour_set,
    neighbours_of,
    packaged_neighbour_file,
    read_dfe_neighbours,
    read_neighbour_file,
)
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

FORMAT_DOC = (
    resources.files("lacompare.analysis")
    .joinpath("data", "neighbours_format.md")
    .read_text(encoding="utf-8")
)


def rows_of(store, set_id):
    return store.query(
        "SELECT la_code, neighbour_code, rank, distance, closeness "
        "FROM neighbours WHERE set_id = ? ORDER BY la_code, rank",
        [set_id],
    )


def current_codes(store):
    return [
        r[0]
        for r in store.con.execute(
            "SELECT la_code FROM authorities WHERE valid_to IS NULL ORDER BY la_code"
        ).fetchall()
    ]


def put(store, frame):
    """Insert observations from a frame with la_code, measure, period, value."""
    if not store.con.execute("SELECT count(*) FROM sources").fetchall()[0][0]:
        store.con.execute("INSERT INTO sources (file, sha256) VALUES ('t.csv', 'x')")
    frame = frame.assign(
        missing_reason=np.where(frame["value"].isna(), "suppressed", None)
    )
    store.con.register("_t", frame)
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, value, "
        "missing_reason, source_id) SELECT la_code, measure, period, "
        "value, missing_reason, 1 FROM _t"
    )
    store.con.unregister("_t")


# ------------------------------------------------------------- the file format


def test_the_documented_example_reads_and_loads(store, write):
    example = re.search(r"```csv\n(.*?)```", FORMAT_DOC, re.S).group(1)
    frame = read_neighbour_file(write("mine.csv", example))
    assert frame["rank"].tolist() == [1, 2, 3, 1]
    result = load_neighbour_set(
        store, write("mine.csv", example), "mine", valid_for="2024-25"
    )
    got = result.neighbours[["la_name", "rank", "neighbour_name", "closeness"]]
    assert got.fillna("").values.tolist() == [
        ["Barnsley", 1, "Rotherham", "Very close"],
        ["Barnsley", 2, "Wakefield", "Very close"],
        ["Barnsley", 3, "Salford", ""],
        ["Leeds", 1, "Sheffield", ""],
    ]
    meta = list_neighbour_sets(store).iloc[0]
    assert (
        meta["set_id"],
        meta["method"],
        meta["valid_for"],
        meta["authorities"],
        meta["rows"],
    ) == ("mine", "user-supplied", "2024-25", 2, 4)


def test_headers_are_matched_loosely_and_extra_columns_ignored(store, write):
    path = write(
        "n.csv",
        "LA Code,Region,Rank,Neighbour Name,Distance\n"
        "E08000035,Yorks,1,Bradford,0.25\n"
        "E08000035,Yorks,2,Kirklees,\n",
    )
    frame = read_neighbour_file(path)
    assert frame["distance"].tolist()[0] == 0.25 and np.isnan(frame["distance"][1])
    load_neighbour_set(store, path, "x")
    assert rows_of(store, "x")["distance"].tolist()[0] == 0.25


@pytest.mark.parametrize(
    "text,message,where",
    [
        ("la_code,neighbour_code\n805,806\n", "need columns rank", "n.csv"),
        (
            "la_code,rank,neighbour_code\n805,first,806\n",
            "whole number",
            "row 2, column rank",
        ),
        (
            "la_code,rank,neighbour_code\n805,1,806\n805,1,807\n",
            "rank 1 given twice",
            "row 3, column rank",
        ),
        (
            "la_code,rank,neighbour_code,distance\n805,1,806,far\n",
            "must be a number",
            "row 2, column distance",
        ),
        ("la_code,rank,neighbour_code\n805,1,\n", "no neighbour code or name", "row 2"),
    ],
)
def test_bad_files_say_where(write, text, message, where):
    with pytest.raises(InputError, match=message) as err:
        read_neighbour_file(write("n.csv", text))
    assert where in str(err.value)


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "la_name,rank,neighbour_name\nLeeds,1,Atlantis\n",
            "'Atlantis' is not an authority",
        ),
        (
            "la_code,la_name,rank,neighbour_code\n805,Middlesbrough,1,807\n",
            "different authorities",
        ),
        ("la_name,rank,neighbour_name\nLeeds,1,Leeds\n", "its own neighbour"),
        ("la_name,rank,neighbour_code\nLeeds,1,383\n", "its own neighbour"),
        ("la_name,rank,neighbour_name\nLeeds,1,York\nLeeds,2,York\n", "listed twice"),
    ],
)
def test_bad_rows_fail_the_whole_load(store, write, text, message):
    load_neighbour_set(
        store, write("ok.csv", "la_name,rank,neighbour_name\nLeeds,1,York\n"), "keep"
    )
    before = store.query("SELECT * FROM neighbours")
    with pytest.raises(InputError, match=message):
        load_neighbour_set(store, write("n.csv", text), "bad")
    pd.testing.assert_frame_equal(store.query("SELECT * FROM neighbours"), before)
    assert list_neighbour_sets(store)["set_id"].tolist() == ["keep"]


def test_a_set_is_replaced_only_when_asked(store, write):
    path = write("n.csv", "la_name,rank,neighbour_name\nLeeds,1,York\n")
    load_neighbour_set(store, path, "s")
    with pytest.raises(InputError, match="exists"):
        load_neighbour_set(store, path, "s")
    load_neighbour_set(
        store,
        write("m.csv", "la_name,rank,neighbour_name\nLeeds,1,Bradford\n"),
        "s",
        replace=True,
    )
    assert neighbours_of(store, "Leeds")["neighbour_name"].tolist() == ["Bradford"]


def test_a_frame_loads_too(store):
    frame = pd.DataFrame(
        {"la_code": ["370", "370"], "rank": [2, 1], "neighbour_code": ["372", "384"]}
    )
    result = load_neighbour_set(store, frame, "f", valid_for="2025")
    assert result.neighbours["neighbour_name"].tolist() == ["Wakefield", "Rotherham"]


# ------------------------------------------------------- dates and boundaries


def test_dfe_codes_resolve_to_the_authority_of_the_period(store, write):
    path = write("n.csv", "la_code,rank,neighbour_code\n815,1,933\n")
    load_neighbour_set(store, path, "old", valid_for="2021-22")
    load_neighbour_set(store, path, "new", valid_for="2025-26")
    assert rows_of(store, "old")[["la_code", "neighbour_code"]].values.tolist() == [
        ["E10000023", "E10000027"]
    ]  # the county councils
    assert rows_of(store, "new")[["la_code", "neighbour_code"]].values.tolist() == [
        ["E06000065", "E06000066"]
    ]  # the unitary councils from April 2023


def test_authorities_that_did_not_exist_are_not_neighbours(store, write):
    path = write(
        "n.csv",
        "la_name,rank,neighbour_code\n"
        "Bedford,1,E10000021\nBedford,2,E06000061\n"
        "Bedford,3,E06000056\n"
        "Northamptonshire,1,E06000055\n",
    )
    result = load_neighbour_set(store, path, "s", valid_for="2022-23")
    got = result.neighbours[["la_name", "rank", "neighbour_name"]].values.tolist()
    assert got == [
        ["Bedford", 2, "North Northamptonshire"],
        ["Bedford", 3, "Central Bedfordshire"],
    ]  # published ranks kept
    assert result.excluded[["la_name", "reason"]].values.tolist() == [
        ["Northamptonshire", "did not exist on 2023-03-31"]
    ]
    notes = [str(i) for i in result.issues.of_kind("not-a-neighbour")]
    assert notes == [
        "Northamptonshire (E10000021) did not exist on 2023-03-31: "
        "dropped as a neighbour of 1 authorities (ranks kept as "
        "published)"
    ]


def test_neighbours_of_leaves_out_neighbours_that_did_not_exist_then(store):
    load_neighbour_set(store, "dfe-2025", "sn")
    kent = neighbours_of(store, "Kent")
    assert len(kent) == 10 and kent["rank"].tolist() == list(range(1, 11))
    earlier = neighbours_of(store, "Kent", period="2019")
    gone = pd.DataFrame(earlier.attrs["excluded"])
    assert set(gone["la_code"]) == set(kent["neighbour_code"]) - set(
        earlier["neighbour_code"]
    )
    assert (gone["reason"] == "did not exist on 2019-03-31").all()
    assert len(gone) >= 1  # West Northamptonshire, created 2021
    assert neighbours_of(store, "886")["la_name"].iloc[0] == "Kent"
    assert neighbours_of(store, "E10000016").equals(kent)


def test_neighbours_of_errors(store):
    with pytest.raises(InputError, match="no neighbour sets"):
        neighbours_of(store, "Kent")
    load_neighbour_set(store, "dfe-2025", "a")
    load_neighbour_set(store, "dfe-2021", "b")
    with pytest.raises(InputError, match="several neighbour sets"):
        neighbours_of(store, "Kent")
    with pytest.raises(InputError, match="no neighbour set 'c'"):
        neighbours_of(store, "Kent", "c")
    with pytest.raises(InputError, match="no authority 'Atlantis'"):
        neighbours_of(store, "Atlantis", "a")
    # Names are never guessed; an authority gone by the set's year names its heirs.
    with pytest.raises(InputError, match="did you mean Barnsley"):
        neighbours_of(store, "Barnsly", "a")
    with pytest.raises(InputError, match="Cumbria .* abolished .* Cumberland"):
        neighbours_of(store, "Cumbria", "a")
    with pytest.raises(
        InputError, match="Cumberland .* did not exist on .* before it: Cumbria"
    ):
        neighbours_of(store, "Cumberland", "b")


# ------------------------------------------------------------ DfE layouts


DFE_WORKBOOK_CSV = (
    "LA num,LA Name,LA number,GOInd,GOReg,SN1,SNP,SN2,SNP,\n"
    "805,Hartlepool,805,4,North East,806,Very Close,807,Close,\n"
    "806,Middlesbrough,806,4,North East,805,Very Close,807,Extremely Close,\n"
    "942,Cumberland,942,5,North West,-,-,-,-,\n"
    ",,,,,,,,,\n,Old SNs:,,,,,,,,\n"
    "928,Northamptonshire,928,1,East Midlands,886,Very Close,891,Very Close,\n"
)


def test_dfe_wide_layout(write):
    log = IssueLog()
    frame = read_dfe_neighbours(write("sn.csv", DFE_WORKBOOK_CSV), issues=log)
    assert frame[
        ["la_code", "rank", "neighbour_code", "neighbour_name", "closeness"]
    ].values.tolist() == [
        ["805", 1, "806", "Middlesbrough", "Very close"],
        ["805", 2, "807", "", "Close"],
        ["806", 1, "805", "Hartlepool", "Very close"],
        ["806", 2, "807", "", "Extremely close"],
    ]
    assert [i.kind for i in log] == ["no-neighbours"]
    assert "Cumberland (942) is listed without neighbours" in str(log.issues[0])
    old = read_dfe_neighbours(write("sn.csv", DFE_WORKBOOK_CSV), include_old=True)
    assert old["la_code"].unique().tolist() == ["805", "806", "928"]


def test_dfe_long_dashboard_layout(write):
    frame = read_dfe_neighbours(
        write(
            "l.csv",
            "LA.Name,LA.number,SN_rank,"
            "SN_LA_name,SN_LA_number\n"
            "Hartlepool,805,1,Middlesbrough,806\n",
        )
    )
    assert frame[["la_code", "rank", "neighbour_code"]].values.tolist() == [
        ["805", 1, "806"]
    ]


def test_load_recognises_a_dfe_file_and_the_old_block_respects_dates(store, write):
    path = write("sn.csv", DFE_WORKBOOK_CSV)
    result = load_neighbour_set(store, path, "d", valid_for="2025-26", include_old=True)
    assert result.method == "published"
    assert (
        json.loads(store.query("SELECT params FROM neighbour_sets")["params"][0])[
            "layout"
        ]
        == "dfe"
    )
    assert result.excluded["la_name"].tolist() == ["Northamptonshire"]
    assert result.authorities == 2


def test_packaged_sets(store):
    for name, (_, valid_for, label) in PACKAGED_SETS.items():
        result = load_neighbour_set(store, name, name)
        assert result.valid_for == valid_for and result.label == label
        per = result.neighbours.groupby("la_code")["rank"].agg(["count", "max"])
        assert (per["count"] == 10).all() and (per["max"] == 10).all()
        assert result.authorities == {"dfe-2021": 152, "dfe-2025": 153}[name]
        assert result.excluded.empty and result.neighbours["closeness"].notna().all()
    assert packaged_neighbour_file("dfe-2021").exists()
    with pytest.raises(InputError, match="choose dfe-2021"):
        packaged_neighbour_file("cipfa")


# -------------------------------------------------------------- computing


@pytest.fixture
def model(store):
    """Three variables for every current authority; one suppressed; one tie."""
    rng = np.random.default_rng(5)
    codes = current_codes(store)
    values = rng.normal(size=(len(codes), 3)) * [1, 10, 100] + [0, 50, 1000]
    values[5] = values[4]  # two identical authorities
    frame = pd.DataFrame(values, index=codes, columns=["a", "b", "c"])
    frame.loc["E06000053", "c"] = np.nan  # Isles of Scilly suppressed
    long = frame.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["la_code", "measure", "value"]
    put(store, long.assign(period="2024"))
    return store, frame


def reference(frame, weights, k):
    """The recipe by hand: z-scores, weighted distance, k nearest (code order)."""
    x = frame.dropna().sort_index()
    z = (x - x.mean()) / x.std(ddof=1)
    diff = z.to_numpy()[:, None, :] - z.to_numpy()[None, :, :]
    dist = np.sqrt((np.asarray(weights) * diff**2).sum(axis=2))
    np.fill_diagonal(dist, np.inf)
    order = np.argsort(np.round(dist, 10), axis=1, kind="stable")[:, :k]
    near = np.take_along_axis(dist, order, axis=1)
    far = np.where(np.isfinite(dist), dist, 0).max(axis=1)
    return x.index.to_numpy(), order, near, far


def test_compute_follows_the_recipe(model):
    store, frame = model
    result = compute_neighbours(
        store, ["a", "b", "c"], [1, 1, 2], k=5, period="2024", set_id="mine"
    )
    codes, order, near, far = reference(frame, [1, 1, 2], 5)
    got = rows_of(store, "mine")
    assert got["la_code"].tolist() == list(np.repeat(codes, 5))
    assert got["neighbour_code"].tolist() == list(codes[order].ravel())
    np.testing.assert_allclose(got["distance"], near.ravel(), rtol=1e-12)
    np.testing.assert_allclose(
        got["closeness"].astype(float), (near / far[:, None]).ravel(), atol=5e-7
    )
    assert result.authorities == 152
    assert result.excluded[["la_name", "reason"]].values.tolist() == [
        ["Isles of Scilly", "no value for c (suppressed)"]
    ]
    params = json.loads(store.query("SELECT params FROM neighbour_sets")["params"][0])
    assert params["weights"] == [1.0, 1.0, 2.0] and params["k"] == 5
    assert params["periods"] == {"a": ["2024"], "b": ["2024"], "c": ["2024"]}


def test_identical_authorities_tie_break_by_code_and_runs_repeat(model):
    store, frame = model
    twins = sorted(frame.index[4:6])
    compute_neighbours(store, ["a", "b", "c"], k=3, period="2024", set_id="one")
    compute_neighbours(store, ["a", "b", "c"], k=3, period="2024", set_id="two")
    one, two = rows_of(store, "one"), rows_of(store, "two")
    pd.testing.assert_frame_equal(one, two)
    first = one[one["rank"] == 1].set_index("la_code")
    assert first.loc[twins[0], "neighbour_code"] == twins[1]
    assert first.loc[twins[0], "distance"] == 0.0


def test_farthest_is_one(model):
    store, _ = model
    every = compute_neighbours(store, ["a", "b"], k=152, period="2024", set_id="all")
    last = every.neighbours[every.neighbours["rank"] == 152]
    assert (last["rebased"] == 1.0).all()
    assert every.neighbours["rebased"].between(0, 1).all()
    overall = compute_neighbours(
        store, ["a", "b"], k=152, period="2024", set_id="o", rebase="overall"
    )
    assert overall.neighbours["rebased"].max() == 1.0
    assert (overall.neighbours.groupby("la_code")["rebased"].max() < 1).sum() > 100


def test_weights_zero_and_mapping(model):
    store, _ = model
    compute_neighbours(
        store,
        ["a", "b", "c"],
        {"a": 1, "b": 1, "c": 0},
        k=4,
        period="2024",
        set_id="w",
        exclude="Isles of Scilly",
    )
    compute_neighbours(
        store, ["a", "b"], k=4, period="2024", set_id="ab", exclude="Isles of Scilly"
    )
    w, ab = rows_of(store, "w"), rows_of(store, "ab")
    assert w["neighbour_code"].tolist() == ab["neighbour_code"].tolist()
    with pytest.raises(InputError, match="2 weights for 3"):
        compute_neighbours(store, ["a", "b", "c"], [1, 2], period="2024")
    with pytest.raises(InputError, match="non-negative"):
        compute_neighbours(store, ["a"], [-1], period="2024")
    with pytest.raises(InputError, match="not in the model"):
        compute_neighbours(store, ["a"], {"z": 1}, period="2024")


def test_compute_leaves_out_and_lists(model):
    store, _ = model
    result = compute_neighbours(
        store, ["a", "b"], k=10, period="2024", set_id="x", exclude=["region:London"]
    )
    reasons = result.excluded["reason"].value_counts().to_dict()
    assert reasons == {"excluded by user: region:London": 33}
    assert result.authorities == 153 - 33
    assert not result.neighbours["neighbour_region"].eq("London").any()


def test_authorities_that_did_not_exist_are_left_out_of_a_computed_set(store):
    codes = current_codes(store)
    frame = pd.DataFrame(
        {
            "la_code": codes + ["E10000021"],
            "measure": "v",
            "period": "2024",
            "value": np.arange(len(codes) + 1, dtype=float),
        }
    )
    put(store, frame)
    result = compute_neighbours(store, ["v"], k=2, period="2024", set_id="s")
    assert result.excluded[["la_name", "reason"]].values.tolist() == [
        ["Northamptonshire", "did not exist on 2024-03-31"]
    ]
    assert "E10000021" not in set(result.neighbours["neighbour_code"])


def test_small_models_reduce_k_and_say_so(store):
    put(
        store,
        pd.DataFrame(
            {
                "la_code": ["E06000001", "E06000002", "E06000003"],
                "measure": "v",
                "period": "2024",
                "value": [1.0, 2.0, 4.0],
            }
        ),
    )
    result = compute_neighbours(store, ["v"], k=10, period="2024", set_id="s")
    assert [i.kind for i in result.issues] == ["k-reduced"]
    assert result.neighbours.groupby("la_code").size().tolist() == [2, 2, 2]
    assert len(result.excluded) == 150  # the rest of 2024's authorities: no data
    with pytest.raises(InputError, match="no variation"):
        put(
            store,
            pd.DataFrame(
                {
                    "la_code": ["E06000001", "E06000002"],
                    "measure": "flat",
                    "period": "2024",
                    "value": [1.0, 1.0],
                }
            ),
        )
        compute_neighbours(store, ["flat"], period="2024", set_id="f")


# --------------------------------------------------------------- comparing


def test_compare_counts_shared_neighbours(store, write):
    a = (
        "la_name,rank,neighbour_name\nLeeds,1,York\nLeeds,2,Bradford\n"
        "Leeds,3,Kirklees\nYork,1,Leeds\nHull,1,Leeds\n"
    )
    b = (
        "la_name,rank,neighbour_name\nLeeds,1,Bradford\nLeeds,2,Wakefield\n"
        "York,1,Leeds\nYork,2,Hull\nSheffield,1,Leeds\n"
    )
    load_neighbour_set(store, write("a.csv", a), "a")
    load_neighbour_set(store, write("b.csv", b), "b")
    result = compare_neighbour_sets(store, "a", "b")
    per = result.per_authority.set_index("la_name")
    assert per.loc["Leeds", ["n_a", "n_b", "shared"]].tolist() == [3, 2, 1]
    assert per.loc["Leeds", "jaccard"] == pytest.approx(1 / 4)
    assert per.loc["Leeds", "shared_names"] == "Bradford"
    assert per.loc["York", "jaccard"] == pytest.approx(1 / 2)
    assert bool(per.loc["York", "same_first"]) and not bool(
        per.loc["Leeds", "same_first"]
    )
    assert np.isnan(per.loc["Sheffield", "shared"])
    s = result.summary
    assert (s["authorities_in_both"], s["only_in_a"], s["only_in_b"]) == (2, 1, 1)
    assert s["mean_shared"] == 1.0 and s["shared_counts"] == {1: 2}
    assert "2 authorities in both" in result.summary_lines()[0]


def test_compare_matches_authorities_recoded_in_2023(store, write):
    load_neighbour_set(
        store,
        write("a.csv", "la_code,rank,neighbour_code\n815,1,933\n"),
        "a",
        valid_for="2021-22",
    )
    load_neighbour_set(
        store,
        write("b.csv", "la_code,rank,neighbour_code\n815,1,933\n"),
        "b",
        valid_for="2025-26",
    )
    result = compare_neighbour_sets(store, "a", "b")
    assert result.summary["authorities_in_both"] == 1
    assert result.per_authority["shared"].tolist() == [1]
    assert result.codes_followed["la_name"].tolist() == ["North Yorkshire", "Somerset"]
    strict = compare_neighbour_sets(store, "a", "b", follow_codes=False)
    assert strict.summary["authorities_in_both"] == 0


# ------------------------------------------------------------------- CLI


def invoke(*args):
    from lacompare.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_load_show_list_compare(tmp_path, write):
    db = tmp_path / "s.duckdb"
    out = invoke("neighbours", "load", "dfe-2025", "--set-id", "dfe-2025", "--db", db)
    assert out.exit_code == 0, out.output
    assert "153 authorities x 10 neighbours" in out.output
    out = invoke("neighbours", "load", "dfe-2021", "--set-id", "dfe-2021", "--db", db)
    assert out.exit_code == 0, out.output
    out = invoke("neighbours", "show", "Barnsley", "--set-id", "dfe-2025", "--db", db)
    assert out.exit_code == 0 and "Rotherham" in out.output
    out = invoke("neighbours", "list", "--format", "csv", "--db", db)
    assert out.output.splitlines()[0].startswith("set_id,label,method,valid_for")
    out = invoke(
        "neighbours", "compare", "dfe-2021", "dfe-2025", "--format", "csv", "--db", db
    )
    assert out.exit_code == 0, out.output
    table = out.output.splitlines()
    assert table[0].startswith("la_code,la_name,n_a,n_b,shared,jaccard")
    assert len(table) == 1 + 154  # 151 in both, Cumbria, Cumberland, W and F
    out = invoke("neighbours", "compare", "dfe-2021", "dfe-2025", "--db", db)
    assert out.exit_code == 0 and "authorities in both" in out.output


def test_cli_compute(tmp_path):
    from lacompare.store import open_store

    db = tmp_path / "s.duckdb"
    with open_store(db) as store:
        codes = current_codes(store)
        rng = np.random.default_rng(1)
        put(
            store,
            pd.DataFrame(
                {
                    "la_code": codes * 2,
                    "measure": ["a"] * 153 + ["b"] * 153,
                    "period": "2024",
                    "value": rng.normal(size=306),
                }
            ),
        )
    out = invoke(
        "neighbours",
        "compute",
        "--variables",
        "a,b",
        "--weights",
        "1,2",
        "--k",
        "5",
        "--period",
        "2024",
        "--set-id",
        "mine",
        "--db",
        db,
    )
    assert out.exit_code == 0, out.output
    assert "153 authorities x 5 neighbours" in out.output
    out = invoke(
        "neighbours",
        "compute",
        "--variables",
        "a,b",
        "--weights",
        "1,x",
        "--set-id",
        "m2",
        "--db",
        db,
    )
    assert out.exit_code == 1 and out.output.startswith("error:")


def test_cli_bad_file_is_one_line(tmp_path, write):
    out = invoke(
        "neighbours",
        "load",
        write("n.csv", "la_name,rank,neighbour_name\nLeeds,1,Atlantis\n"),
        "--set-id",
        "x",
        "--db",
        tmp_path / "s.duckdb",
    )
    assert out.exit_code == 1
    lines = [x for x in out.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "row 2, column neighbour_name" in lines[0]


@pytest.mark.parametrize("command", ["load", "compute", "compare", "show", "list"])
def test_cli_help_has_an_example(command):
    out = invoke("neighbours", command, "--help")
    assert out.exit_code == 0
    assert f"Example: lacompare neighbours {command}" in " ".join(out.output.split())
