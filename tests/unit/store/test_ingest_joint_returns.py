"""Joint returns at ingest (issue 17, item 4): a row giving one figure for several
authorities is stored for each member, flagged, and counted once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lacompare.store import open_store
from lacompare.store._ingest import ingest

NORTH, WEST = "E06000061", "E06000062"
KINGSTON, RICHMOND = "E09000021", "E09000027"


def _write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "workforce.csv"
    path.write_text("la,caseload,leavers\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loaded(tmp_path: Path):
    path = _write(
        tmp_path,
        [
            "Derby,15.0,40",
            "Leicester,17.0,60",
            "North Northamptonshire / West Northamptonshire,14.8,45",
            "Achieving for Children,13.9,38",
            "East Midlands,15.5,145",
        ],
    )
    with open_store(":memory:") as store:
        result = ingest(store, path, period="2024")
        yield store, result


def test_each_member_carries_the_shared_figure(loaded) -> None:
    store, _ = loaded
    frame = store.read_values(measures="caseload", columns=["la_code", "value"])
    values = dict(zip(frame["la_code"], frame["value"], strict=True))
    assert values[NORTH] == values[WEST] == 14.8
    assert values[KINGSTON] == values[RICHMOND] == 13.9


def test_the_flag_names_the_group_and_counts_one_member(loaded) -> None:
    store, _ = loaded
    frame = store.read_values(
        measures="caseload", columns=["la_code", "value"], joint="flag"
    ).set_index("la_code")
    assert frame.loc[WEST, "joint_members"] == f"{NORTH};{WEST}"
    assert frame.loc[WEST, "joint_partnership"] == "Northamptonshire Children's Trust"
    assert frame.loc[RICHMOND, "joint_partnership"] == "Achieving for Children"
    assert bool(frame.loc[NORTH, "joint_counted"])
    assert not bool(frame.loc[WEST, "joint_counted"])
    # A value of one authority is no joint return, and counts.
    derby = store.con.execute(
        "SELECT la_code FROM authorities WHERE la_name = 'Derby'"
    ).fetchall()[0][0]
    assert pd.isna(frame.loc[derby, "joint_members"])
    assert bool(frame.loc[derby, "joint_counted"])


def test_counted_once_leaves_out_the_partners_copies(loaded) -> None:
    store, _ = loaded
    once = store.read_values(measures="caseload", joint="once")
    each = store.read_values(measures="caseload")
    assert len(each) - len(once) == 2
    assert NORTH in set(once["la_code"]) and WEST not in set(once["la_code"])
    assert KINGSTON in set(once["la_code"]) and RICHMOND not in set(once["la_code"])


def test_the_issue_log_names_each_joint_row(loaded) -> None:
    _, result = loaded
    found = result.issues.of_kind("joint-return")
    assert len(found) == 2
    assert {i.row for i in found} == {4, 5}
    assert all(i.severity == "info" for i in found)
    north = next(i for i in found if i.row == 4)
    assert "North Northamptonshire and West Northamptonshire" in north.message
    assert "counted once" in north.message


def test_a_region_total_counts_the_joint_return_once(loaded) -> None:
    store, _ = loaded
    # 40 + 60 + 45: the joint row once, not under both Northamptonshires.
    row = store.con.execute(
        "SELECT members, members_sum, check_result FROM totals "
        "WHERE measure = 'leavers' AND area_name = 'East Midlands'"
    ).fetchall()[0]
    assert row == (3, 145.0, "agrees")


def test_an_unlisted_group_is_stored_and_warned(tmp_path: Path) -> None:
    path = _write(tmp_path, ["Derby / Leicester,15.5,100", "Nottingham,16,20"])
    with open_store(":memory:") as store:
        result = ingest(store, path, period="2024")
        frame = store.read_values(measures="leavers", joint="flag")
    joint = frame.dropna(subset=["joint_members"])
    assert len(joint) == 2 and set(joint["value"]) == {100.0}
    assert joint["joint_partnership"].isna().all()
    [issue] = result.issues.of_kind("joint-return")
    assert issue.severity == "warning" and "not in" in issue.message


def test_a_partnership_name_before_it_began_is_not_a_joint_return(
    tmp_path: Path,
) -> None:
    # The trust's single return began with the unitaries in April 2021.
    path = _write(tmp_path, ["Northamptonshire Children's Trust,14,40", "Derby,15,40"])
    with open_store(":memory:") as store:
        result = ingest(store, path, period="2019", skip_unresolved=True)
    assert not result.issues.of_kind("joint-return")
    assert len(result.unresolved) == 1


def test_the_real_workforce_file(shared_data: Path) -> None:
    path = shared_data / "workforce" / "csww_indicators_2017_to_2025.csv"
    with open_store(":memory:") as store:
        result = ingest(store, path)
        frame = store.read_values(
            measures="caseload_fte", periods="2025", joint="flag"
        ).set_index("la_code")
        once = store.read_values(measures="caseload_fte", periods="2025", joint="once")
    # One figure for both Northamptonshires, published once, stored for each.
    assert frame.loc[NORTH, "value"] == frame.loc[WEST, "value"]
    assert frame.loc[KINGSTON, "value"] == frame.loc[RICHMOND, "value"]
    assert frame["joint_members"].notna().sum() == 4
    assert len(frame) - len(once) == 2
    periods = {
        i.message.split("(")[1][:4] for i in result.issues.of_kind("joint-return")
    }
    assert {"2017", "2021", "2025"} <= periods


def _load(tmp_path: Path, rows: list[str], period: str):
    path = _write(tmp_path, rows)
    store = open_store(":memory:")
    return store, ingest(store, path, period=period)


def test_a_member_carrying_the_figure_beside_a_partner_all_z(tmp_path: Path) -> None:
    # DfE's 2021-22 workforce releases: the trust's figure under North, West all z.
    store, result = _load(
        tmp_path,
        ["North Northamptonshire,14.8,45", "West Northamptonshire,z,z", "Derby,15,40"],
        "2022",
    )
    frame = store.read_values(measures="caseload", joint="flag").set_index("la_code")
    assert frame.loc[WEST, "value"] == frame.loc[NORTH, "value"] == 14.8
    assert frame.loc[WEST, "joint_members"] == f"{NORTH};{WEST}"
    assert bool(frame.loc[NORTH, "joint_counted"])
    assert not bool(frame.loc[WEST, "joint_counted"])
    [issue] = result.issues.of_kind("joint-return")
    assert issue.row == 2 and "West Northamptonshire (row 3)" in issue.message
    store.close()


@pytest.mark.parametrize(
    ("rows", "period"),
    [
        # Both members report figures of their own.
        (["Kingston upon Thames,14,40", "Richmond upon Thames,15,41"], "2022"),
        # Before Achieving for Children (April 2014) a z is Richmond's own.
        (["Kingston upon Thames,14,40", "Richmond upon Thames,z,z"], "2012"),
        # A partner missing from the file is not taken as a joint return.
        (["Kingston upon Thames,14,40", "Derby,15,40"], "2022"),
    ],
)
def test_no_joint_return_without_the_pattern(
    tmp_path: Path, rows: list[str], period: str
) -> None:
    store, result = _load(tmp_path, rows, period)
    assert not result.issues.of_kind("joint-return")
    flagged = store.read_values(measures="caseload", joint="flag")
    assert flagged["joint_members"].isna().all()
    assert KINGSTON in set(flagged["la_code"])
    store.close()


def test_the_same_figure_under_each_member_of_a_covered_measure(tmp_path: Path) -> None:
    # LAIT prints Achieving for Children's workforce figures under both boroughs;
    # an equal figure of a measure the joint return does not cover is their own.
    path = tmp_path / "long.csv"
    path.write_text(
        "la,measure,value\n"
        "Kingston upon Thames,Work_Force_TO_Rate,12.5\n"
        "Richmond upon Thames,Work_Force_TO_Rate,12.5\n"
        "Kingston upon Thames,Work_Force_Vac_Rate,20\n"
        "Richmond upon Thames,Work_Force_Vac_Rate,21\n"
        "Kingston upon Thames,cla_rate,45\n"
        "Richmond upon Thames,cla_rate,45\n",
        encoding="utf-8",
    )
    with open_store(":memory:") as store:
        result = ingest(
            store, path, period="2024", measure_column="measure", value_column="value"
        )
        flagged = store.read_values(joint="flag").dropna(subset=["joint_members"])
    assert set(flagged["measure"]) == {"Work_Force_TO_Rate"}
    counted = dict(zip(flagged["la_code"], flagged["joint_counted"], strict=True))
    assert counted == {KINGSTON: True, RICHMOND: False}
    [issue] = result.issues.of_kind("joint-return")
    assert "same figures of Work_Force_TO_Rate" in issue.message
