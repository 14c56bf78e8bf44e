"""Seed 001's tables, typed as printed, for the report and formatting tests.

The budget and headcount data are typed from seed 001 (Leicester, Children's
services overview, §4.3 and §4.4) exactly as printed, brackets included, and
read with the project's own cell parser. Tests get them through the ``seed``
fixture (a conftest cannot be imported by the test modules).
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from lacompare.cells import parse_cell
from lacompare.formatting.tables import Column, ReportTable, with_subtotals

# 001 §4.4, "SOCIAL CARE AND EARLY HELP (£000)": label | as printed | row role.
BUDGET_LINES = """\
Looked After Children Placement Costs|55,972|item
Client Transport|1,907|item
Legal Costs|1,500|item
Interpretation and Translation|422|item
Adoption allowances|993|item
Adoption agency fees|300|item
Other client direct costs|988|item
Staffing pay costs|19,379|item
Other staffing costs|110|item
Non pay team costs|(220)|item
Premises|70|item
LSCB|110|item
Social Care|81,531|subtotal
Children's centres|1,150|item
Family Support|1,222|item
Supporting Families - income|(1,792)|item
Supporting Families - team costs|306|item
Supporting Families - other commitments|579|item
Childcare and Early Learning Officers|1,105|item
Adventure Playgrounds|1,037|item
Management Team|(11)|item
Family Group Conference Co-ordinators|84|item
Early Help & Prevention Service|86|item
Early Help - Targeted Services|3,765|subtotal
Multi-Systemic and Functional Family Therapy|2,409|item
Youth Service|963|item
CYP Justice Service|622|item
Young carers|53|item
Domestic Violence|308|item
Early Help - Specialist services|4,355|subtotal
Total Social Care & Early Help|89,651|total
"""

# 001 §4.3 directly employed staffing: division | service | headcount.
HEADCOUNT_LINES = """\
Childrens Social Work & Early Help|Divisional Director|1
Childrens Social Work & Early Help|Child Safeguarding & QA|37
Childrens Social Work & Early Help|Childrens Social Care Learning & Development|6
Childrens Social Work & Early Help|Childrens Social Work Teams|149
Childrens Social Work & Early Help|Corporate Parenting|250
Childrens Social Work & Early Help|Early Help|86
Childrens Social Work & Early Help|Early Help - Targeted Services|112
SEND and Education|Divisional Director|1
SEND and Education|Childrens (Commissioning)|8
SEND and Education|Education|148
SEND and Education|Passenger & Transport Services|163
SEND and Education|Programme Support|111
SEND and Education|SEND Integrated Service|75
SEND and Education|SEND Support Service|117
"""

BUDGET_COLUMNS = [
    Column("line", "Service line", role="label"),
    Column("budget", "2024/25 budget", unit="£000"),
]


def budget_frame() -> pd.DataFrame:
    rows = [line.split("|") for line in BUDGET_LINES.splitlines()]
    cells = [parse_cell(printed) for _, printed, _ in rows]
    assert all(c.missing is None for c in cells)
    return pd.DataFrame(
        {
            "line": [r[0] for r in rows],
            "budget": [c.value for c in cells],
            "row_role": [r[2] for r in rows],
        }
    )


def budget_table(frame: pd.DataFrame | None = None) -> ReportTable:
    return ReportTable(
        "Social care and early help budget 2024/25",
        budget_frame() if frame is None else frame,
        BUDGET_COLUMNS,
        notes=["Income is shown in brackets."],
        sources=[
            "Leicester City Council, Children's services overview 2024, paragraph 4.4"
        ],
    )


def headcount_items() -> pd.DataFrame:
    rows = [line.split("|") for line in HEADCOUNT_LINES.splitlines()]
    return pd.DataFrame(
        {
            "division": [r[0] for r in rows],
            "service": [r[1] for r in rows],
            "headcount": [int(r[2]) for r in rows],
        }
    )


HEADCOUNT_COLUMNS = [
    Column("service", "Service", role="label"),
    Column("headcount", "Headcount", unit="persons"),
]


def value_of(frame: pd.DataFrame, line: str) -> float:
    return float(frame.loc[frame["line"] == line, "budget"].iloc[0])


def headcount_table() -> ReportTable:
    frame = with_subtotals(headcount_items(), "division", ["headcount"])
    return ReportTable(
        "Staffing establishment by division",
        frame,
        HEADCOUNT_COLUMNS,
        group="division",
        name="Staffing",
        sources=["001 §4.3"],
    )


def missing_table() -> ReportTable:
    f = pd.DataFrame(
        {
            "la": ["Leicester", "Rutland", "Leics", "Scilly"],
            "cla": [640.0, None, None, None],
            "cla__missing": [None, "suppressed", "not-available", None],
            "share": [0.534, 0.25, None, 0.1],
            "share__missing": [None, None, "not-applicable", None],
        }
    )
    return ReportTable(
        "Children looked after",
        f,
        [
            Column("la", "Authority", role="label"),
            Column("cla", "Children looked after", unit="persons"),
            Column("share", "Share placed out of area", unit="proportion", role="rate"),
        ],
    )


@pytest.fixture(scope="session")
def seed() -> SimpleNamespace:
    """Builders for seed 001's budget and headcount tables (fresh frames each call)."""
    return SimpleNamespace(
        budget_frame=budget_frame,
        budget_table=budget_table,
        headcount_items=headcount_items,
        headcount_table=headcount_table,
        missing_table=missing_table,
        value_of=value_of,
        BUDGET_COLUMNS=BUDGET_COLUMNS,
        HEADCOUNT_COLUMNS=HEADCOUNT_COLUMNS,
    )
