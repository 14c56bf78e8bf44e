"""Small frames of real authorities for the chart tests, and spec helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lacompare.geography import read_authorities


@pytest.fixture(scope="session")
def current() -> pd.DataFrame:
    """The 153 current authorities from the registry."""
    reg = read_authorities()
    return reg[reg["valid_to"] == ""].reset_index(drop=True)


@pytest.fixture(scope="session")
def national(current: pd.DataFrame) -> pd.DataFrame:
    """One made-up rate per current authority (seeded), with name, code and region."""
    rng = np.random.default_rng(2024)
    base = {"North East": 110, "North West": 95, "London": 50}
    values = [
        round(float(rng.normal(base.get(r, 65), 15)), 1) for r in current["region"]
    ]
    return pd.DataFrame(
        {
            "la_code": current["la_code"],
            "la_name": current["la_name"],
            "region": current["region"],
            "value": values,
        }
    )


@pytest.fixture(scope="session")
def yorkshire(current: pd.DataFrame) -> list[str]:
    """Names of the Yorkshire and The Humber authorities, registry order."""
    return current.loc[
        current["region"] == "Yorkshire and The Humber", "la_name"
    ].tolist()
