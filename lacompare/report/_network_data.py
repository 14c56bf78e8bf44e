"""The ``network`` report's data: one load of services' returns read from the
store (:func:`read_network`), the delivery counts (:func:`count_delivery`) and
the packaged demo returns (:func:`load_network_demo`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "NETWORK_MEASURES",
    "HUB_MEASURES",
    "CASEWORK_FIGURES",
    "FUNDING_SHARES",
    "JOINT_FLAGS",
    "NetworkData",
    "count_delivery",
    "load_network_demo",
    "read_network",
]

#: The figures a services' return must have (the demo's measures).
NETWORK_MEASURES = (
    "pop_0_25",
    "pop_per_fte_2020",
    "pop_per_fte_2021",
    "ias_total_2021",
    "fte_staff_2021",
    "volunteers_2021",
    "joint_health_and_social_care",
    "joint_health_only",
    "joint_social_care_only",
    "per_head_2019",
    "per_head_2020",
    "per_head_2021",
    "funding_change_2020_21",
)
#: What the returns hub publishes besides (issue 21): casework, helpline and
#: tribunal for three years, and funding by source as a share of the total. The
#: report has a section for them when a load has them (the demo data does not).
HUB_MEASURES = (
    *(f"{f}_{y}" for f in ("casework", "helpline") for y in (2019, 2020, 2021)),
    *(
        f"tribunal_{f}_{y}"
        for f in ("supported", "attended")
        for y in (2019, 2020, 2021)
    ),
    "share_la_2021",
    "share_social_care_2021",
    "share_health_2021",
    "share_other_2021",
    "share_joint_2021",
)
#: The casework section's figures: measure stem (``casework_2019``...) and label.
CASEWORK_FIGURES = {
    "casework": "Casework cases (all levels)",
    "helpline": "Helpline enquiries",
    "tribunal_supported": "SEND tribunal cases supported",
    "tribunal_attended": "SEND tribunal hearings attended directly",
}
#: Funding by source, per cent of the total; ``share_joint`` is health and social
#: care together (what a jointly commissioned service's partners pay).
FUNDING_SHARES = {
    "share_la_2021": "Local authority (education and SEND)",
    "share_social_care_2021": "Social care",
    "share_health_2021": "Health",
    "share_other_2021": "Other",
    "share_joint_2021": "Joint (health and social care)",
}
#: A service that gave this figure sent a return (the network report's return
#: rate): every return has it, and a service the network lists without a return
#: has none (the 2021 report's 101 of 149).
RETURNED_MEASURE = "per_head_2021"
#: The joint-commissioning flags of a return (1 = yes).
JOINT_FLAGS = (
    "joint_health_and_social_care",
    "joint_health_only",
    "joint_social_care_only",
)
_REQUIRED = ("pop_0_25", "per_head_2021", "fte_staff_2021")
#: The packaged IASSN 2021 returns: files of the demo's data folder, read as
#: package data (the demo module itself sits above the reports).
_DEMO_FILES = ("demo", "data", "iassn_2021_services.csv")
_DEMO_SPEC = ("demo", "data", "iassn_2021.toml")


def load_network_demo(folder: str | Path) -> Path:
    """Load the packaged IASSN 2021 returns into a new store in ``folder``.

    The network report uses it when no store is given (``lacompare demo``
    loads the same file, with the same spec).
    """
    from lacompare.store import ingest, open_store

    db = Path(folder) / "demo.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    package = files("lacompare")
    with (
        as_file(package.joinpath(*_DEMO_FILES)) as data,
        as_file(package.joinpath(*_DEMO_SPEC)) as spec,
        open_store(db) as store,
    ):
        ingest(store, Path(data), spec=Path(spec))
    return db


def count_delivery(store: Store, source_id: int | None = None) -> pd.DataFrame:
    """Services by region: in-house, outsourced and each joint-commissioning flag.

    Returns columns ``region, in_house, outsourced, joint_health_and_social_care,
    joint_health_only, joint_social_care_only`` with an England row.
    """
    from lacompare.analysis import REGION_ORDER

    values = store.values_relation(
        measures=["delivery", *JOINT_FLAGS],
        sources=None if source_id is None else [source_id],
        columns=["la_code", "measure", "value", "label"],
    )
    flags = ", ".join(
        f"count(*) FILTER (o.measure = '{f}' AND o.value = 1) AS {f}"
        for f in JOINT_FLAGS
    )
    frame = values.query(
        "o",
        f"""SELECT CASE WHEN grouping(a.region) = 1 THEN 'England'
                        ELSE a.region END AS region,
                   count(*) FILTER (o.measure = 'delivery'
                                    AND lower(o.label) = 'in-house') AS in_house,
                   count(*) FILTER (o.measure = 'delivery'
                                    AND lower(o.label) = 'outsourced') AS outsourced,
                   {flags}
            FROM o JOIN authorities a USING (la_code)
            GROUP BY GROUPING SETS ((a.region), ())""",
    ).df()
    order = {name: i for i, name in enumerate((*REGION_ORDER, "England"))}
    frame = frame.sort_values("region", key=lambda s: s.map(order)).reset_index(
        drop=True
    )
    for col in frame.columns[1:]:
        frame[col] = frame[col].astype(int)
    return frame


@dataclass
class NetworkData:
    """One load of services' returns, as the network report reads it."""

    source_id: int
    period: str
    labels: dict[str, str]
    units: dict[str, str | None]
    #: :func:`~lacompare.analysis.summarise_by_group` of the load, by region.
    summary: pd.DataFrame
    #: ``la_code, la_name, region, measure, value, missing_reason``.
    values: pd.DataFrame
    #: One row per service, one column per measure.
    wide: pd.DataFrame
    services: int
    notes: list[str] = field(default_factory=list)
    late: str = ""
    #: Services that sent a return (with ``per_head_2021``), of ``services``.
    returned: int = 0

    def stat(self, measure: str, region: str, column: str) -> float:
        """A statistic of the regional summary (NaN when there is none)."""
        s = self.summary
        row = s[(s["measure"] == measure) & (s["region"] == region)]
        return float(row[column].iloc[0]) if len(row) else float("nan")

    @property
    def return_rate(self) -> str:
        """'101 of 149 (68%)': services that sent a return, of all in the load."""
        from lacompare.formatting import format_value

        share = 100 * self.returned / self.services if self.services else 0.0
        return f"{self.returned} of {self.services} ({format_value(share, '%', 0)})"

    def has(self, measure: str) -> bool:
        """Whether England has a statistic of ``measure``."""
        n = self.stat(measure, "England", "n")
        return n == n


def read_network(store: Store, source_id: int | None = None) -> NetworkData:
    """Read one load of services' returns (default: the latest with
    ``pop_0_25``) and summarise it by region."""
    from lacompare.analysis import summarise_by_group

    source_id, period = network_source(store, source_id)
    meta = store.query(
        "SELECT measure, coalesce(label, measure) AS label, unit FROM measures"
    ).set_index("measure")
    units = {m: (u if isinstance(u, str) else None) for m, u in meta["unit"].items()}
    measures = [*NETWORK_MEASURES, *HUB_MEASURES]
    summary = summarise_by_group(store, measures, source_id=source_id)
    summary = summary[["region", "measure", "n", "mean", "median", "sd", "min", "max"]]
    values = service_values(store, source_id, measures)
    wide = values.pivot_table(
        index=["la_code", "la_name", "region"],
        columns="measure",
        values="value",
        aggfunc="first",
    ).reset_index()
    services = store.values_relation(sources=[source_id], columns=["la_code"])
    count = services.query("v", "SELECT count(DISTINCT la_code) FROM v").fetchall()
    given = values[(values["measure"] == RETURNED_MEASURE) & values["value"].notna()]
    return NetworkData(
        source_id,
        period,
        meta["label"].to_dict(),
        units,
        summary,
        values,
        wide,
        int(count[0][0]),
        authority_notes(store, source_id),
        late_note(store, source_id),
        int(given["la_code"].nunique()),
    )


def service_values(store: Store, source_id: int, measures: list[str]) -> pd.DataFrame:
    """The load's values of ``measures``, with each authority's name and region."""
    values = store.read_values(
        sources=[source_id],
        measures=measures,
        columns=["la_code", "measure", "value", "missing_reason"],
    )
    names = store.list_authorities()[["la_code", "la_name", "region"]]
    out = values.merge(names, on="la_code", how="inner")
    return out[["la_code", "la_name", "region", "measure", "value", "missing_reason"]]


def network_source(store: Store, source_id: int | None) -> tuple[int, str]:
    """The load to report (default: the latest with ``pop_0_25``) and its latest
    period; an InputError when it lacks a measure the report needs."""
    if source_id is None:
        loads = store.values_relation(measures="pop_0_25", columns=["source_id"])
        source_id = loads.query("v", "SELECT max(source_id) FROM v").fetchall()[0][0]
    if source_id is None:
        raise InputError(
            "the store has no services' returns for the network "
            "report (measure pop_0_25 and the demo's other measures): "
            "load them, or run it with no --db to use the demo data"
        )
    load = store.values_relation(sources=[source_id], columns=["measure", "period"])
    have = {r[0] for r in load.query("v", "SELECT DISTINCT measure FROM v").fetchall()}
    missing = [m for m in _REQUIRED if m not in have]
    if missing:
        raise InputError(
            f"load {source_id} lacks {', '.join(missing)}, which the "
            "network report needs"
        )
    period = load.query("v", "SELECT max(period) FROM v").fetchall()[0][0]
    return int(source_id), str(period)


def authority_notes(store: Store, source_id: int) -> list[str]:
    """The load's notes on authorities (a service counted under its lead one)."""
    rows = store.con.execute(
        "SELECT message FROM load_issues WHERE source_id = ? AND kind = "
        "'authority-note' ORDER BY message",
        [source_id],
    ).fetchall()
    return [r[0] for r in rows]


def late_note(store: Store, source_id: int) -> str:
    """' N of them were late …' for a load the returns hub published (its
    ``hub_returns`` table flags each return submitted after the round closed)."""
    has = store.con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = "
        "'hub_returns' AND column_name = 'late'"
    ).fetchall()[0][0]
    if not has:
        return ""
    late = store.con.execute(
        "SELECT count(*) FILTER (WHERE late), count(late) FROM hub_returns "
        "WHERE source_id = ?",
        [source_id],
    ).fetchall()[0]
    if not late[1]:
        return ""
    if not late[0]:
        return " None of them was late."
    return (
        f" {late[0]} of them {'was' if late[0] == 1 else 'were'} late "
        "(submitted after the round's closing date, with an extension or "
        "reopened)."
    )
