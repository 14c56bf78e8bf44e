"""Adding lower-tier districts up to the upper-tier authority they sat in.

DWP's children in low income families (by lower-tier authority) and ONS mid-year
estimates publish district rows; ingest sets them aside in ``totals``
(``check_result = 'district'``). :func:`derive_upper_tier` sums them into the county
each district belonged to **on the day each period describes** (the registry's
``districts.csv``: county, validity dates, successor), so a 2016-17 figure for
Allerdale goes to Cumbria. Rules:

* A county's sum needs every district it held on that day. A district missing from
  the file (and not covered by a predecessor or successor row that is there) makes
  the sum missing, ``input-absent``; a district whose value is suppressed makes it
  missing with that reason (``input-suppressed``). A missing value is never 0.
* A district abolished before the day and now part of a unitary authority
  (Mendip → Somerset 2023) is not added to any county; the unitary's own row holds it.
* Only counts are summed: the measure's unit must be additive
  (``lacompare/derive/data/units.csv``).
* The new measure (``<measure>_upper_tier``) is one complete upper-tier series: the
  sums for counties, and the published value for every authority the file has a row
  for (unitaries, metropolitan districts, London boroughs, and counties where the
  publisher prints one — there the sum is checked against it, see ``checks``).

Examples
--------
>>> from lacompare.store import open_store
>>> s = open_store(":memory:")
>>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('dwp.csv', 'x')")
>>> _ = s.con.execute("INSERT INTO measures (measure, unit, reference_date) VALUES "
...     "('poor', 'children', 'financial year')")
>>> cumbria = ["E07000026", "E07000027", "E07000028", "E07000029", "E07000030",
...            "E07000031"]
>>> for i, code in enumerate(cumbria):
...     _ = s.con.execute("INSERT INTO totals (area_code, area_name, measure, period, "
...         "value, source_id, check_result) VALUES (?, 'd', 'poor', '2019-20', ?, 1, "
...         "'district')", [code, 100 + i])
>>> r = derive_upper_tier(s, "poor")
>>> r.values[["la_code", "value"]].values.tolist()
[['E10000006', 615.0]]
>>> r.values["inputs"].iloc[0]
'sum of 6 districts: poor[2019-20]'
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from lacompare.derive._dates import reference_day
from lacompare.derive._store import (
    INPUT_COLUMNS,
    VALUE_COLUMNS,
    Derived,
    carried,
    current_frame,
    measure_info,
    write_derived,
)
from lacompare.derive._units import unit_scale
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store


@cache
def _units() -> dict[str, tuple[bool, str]]:
    import io
    from importlib import resources

    import pandas as pd

    text = (
        resources.files("lacompare.derive")
        .joinpath("data", "units.csv")
        .read_text("utf-8")
    )
    body = "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("# ")
    )
    frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    return {
        r.unit.strip().lower(): (r.additive == "yes", r.why)
        for r in frame.itertuples(index=False)
    }


def is_additive(unit: str | None) -> tuple[bool, str]:
    """Whether values in ``unit`` can be summed across areas, and why.

    Examples
    --------
    >>> is_additive("children"), is_additive("£ thousand")[0]
    ((True, 'a count of children'), True)
    >>> is_additive("rate per 10,000")[0], is_additive(None)
    (False, (False, 'the measure has no unit; give it one in its spec'))
    """
    if unit is None or unit != unit or not str(unit).strip():
        return False, "the measure has no unit; give it one in its spec"
    base, _ = unit_scale(str(unit))
    found = _units().get(str(base).strip().lower())
    if found is None:
        return False, (
            f"unit {unit!r} is not listed as additive in "
            "lacompare/derive/data/units.csv"
        )
    return found


def require_additive(store: Store, measure: str) -> Any:
    """The measure's info, or an error saying why it cannot be summed."""
    info = measure_info(store, measure)
    ok, why = is_additive(info.unit)
    if not ok:
        raise InputError(f"measure {measure!r} cannot be summed across areas: {why}")
    return info


@cache
def _district_index() -> dict[str, dict[str, Any]]:
    from lacompare.geography import read_districts

    out: dict[str, dict[str, Any]] = {}
    frame = read_districts()
    preds: dict[str, list[str]] = defaultdict(list)
    for r in frame.itertuples(index=False):
        if r.successor:
            preds[r.successor].append(r.district_code)
    for r in frame.itertuples(index=False):
        info = {
            "code": r.district_code,
            "name": r.district_name,
            "county": r.county_code,
            "from": date.fromisoformat(r.valid_from) if r.valid_from else None,
            "to": date.fromisoformat(r.valid_to) if r.valid_to else None,
            "successor": r.successor,
            "predecessors": tuple(preds[r.district_code]),
        }
        for code in (r.district_code, *[c for c in r.former_codes.split(";") if c]):
            out[code.strip()] = info
    return out


def _valid(info: dict[str, Any], day: date) -> bool:
    return (info["from"] is None or day >= info["from"]) and (
        info["to"] is None or day <= info["to"]
    )


@cache
def place_district(code: str, day: date) -> tuple[str | None, str]:
    """The county a district's area sat in on ``day``: (county code, note).

    ``None`` with the reason when it sat in no county (abolished into a unitary
    authority) or the district is unknown.

    Examples
    --------
    >>> place_district("E07000026", date(2020, 3, 31))
    ('E10000006', '')
    >>> place_district("E07000187", date(2024, 3, 31))[0] is None
    True
    """
    idx = _district_index()
    info = idx.get(code)
    if info is None:
        return None, f"{code} is not a district in the registry"
    if _valid(info, day):
        return info["county"], ""
    if info["from"] is not None and day < info["from"]:
        # A district made from others (East Suffolk 2019): its area was theirs.
        counties = {idx[p]["county"] for p in info["predecessors"] if p in idx}
        if len(counties | {info["county"]}) == 1:
            return info["county"], (
                f"{info['name']} ({code}) did not exist on "
                f"{day.isoformat()}; its predecessors were in "
                "the same county"
            )
        return None, (
            f"{info['name']} ({code}) did not exist on {day.isoformat()} "
            "and its predecessors were in different counties"
        )
    successor = info["successor"]
    if successor in idx:
        return place_district(successor, day)
    return None, (
        f"{info['name']} ({code}) was abolished on "
        f"{info['to'].isoformat() if info['to'] else '?'}; its area is "
        f"now {successor or 'unknown'}, which has its own row"
    )


def _members(county: str, day: date) -> list[str]:
    """Districts (current codes) that were in ``county`` on ``day``."""
    seen = {}
    for info in _district_index().values():
        if info["county"] == county and _valid(info, day):
            seen[info["code"]] = info
    return sorted(seen)


def _covered(expected: str, present: set[str]) -> bool:
    idx = _district_index()
    if expected in present:
        return True
    info = idx[expected]
    if info["successor"] in present:
        return True
    return any(expected in idx[p]["predecessors"] for p in present if p in idx)


def derive_upper_tier(
    store: Store,
    measure: str,
    *,
    name: str | None = None,
    include_published: bool = True,
) -> Derived:
    """Sum a measure's district rows into upper-tier authorities, as a new measure.

    Parameters
    ----------
    store
        An open, writable store holding the measure's district rows (set aside in
        ``totals`` by ingest).
    measure
        A count (its unit must be additive).
    name
        The new measure (default ``<measure>_upper_tier``).
    include_published
        Also carry the published value of every authority the file has a row for,
        so the new measure is one complete upper-tier series (default).

    Returns
    -------
    Derived
        ``values`` one per authority × period × breakdown; ``checks`` (an attribute)
        the computed county sums beside any published county value; ``issues`` the
        districts with missing values and those placed in no county, with reasons.

    Examples
    --------
    See the module example.
    """
    info = require_additive(store, measure)
    name = name or f"{measure}_upper_tier"
    issues = IssueLog()
    rows = read_district_rows(store, measure)
    days = {p: reference_day(p, info.reference_date) for p in rows["period"].unique()}
    placed = place_districts(rows, days, issues)
    published = current_frame(store, measure)
    sums = sum_counties(placed, days, read_county_lifetimes(store), published, issues)
    values, inputs, checks = upper_tier_frames(
        measure, sums, published, include_published
    )
    for r in checks[
        checks["published"].notna()
        & checks["sum"].notna()
        & ((checks["published"] - checks["sum"]).abs() > 0.5)
    ].itertuples(index=False):
        issues.add(
            "district-sum-differs",
            f"{r.la_code} [{r.period}]: published "
            f"{r.published:,.0f}, its districts sum to {r.sum:,.0f}",
        )
    recipe = {
        "recipe": "district-sum",
        "measure": measure,
        "include_published": include_published,
        "rule": "districts placed by districts.csv on each period's reference "
        "day; a missing member makes the sum missing",
    }
    source_id = write_derived(
        store,
        name=name,
        recipe=recipe,
        values=values,
        inputs=inputs,
        label=f"{info.label or measure} (upper tier, districts summed)",
        unit=info.unit,
        polarity=info.polarity,
        reference_date=info.reference_date,
        description=f"derived (district-sum): {measure} of lower-tier districts "
        "summed into the county they sat in on each period's day"
        + ("; other authorities as published" if include_published else ""),
    )
    result = Derived(
        measure=name,
        recipe=recipe,
        values=values.drop(columns=["raw"]),
        source_id=source_id,
        issues=issues,
    )
    result.checks = checks  # type: ignore[attr-defined]
    return result


def read_district_rows(store: Store, measure: str) -> pd.DataFrame:
    """The measure's district rows (set aside in ``totals``), latest load's."""
    rows = store.query(
        """SELECT area_code, area_name, period, breakdown, value, missing_reason,
                  source_id, source_row FROM totals
           WHERE measure = ? AND check_result = 'district'
           QUALIFY row_number() OVER (PARTITION BY area_code, period, breakdown
                                      ORDER BY source_id DESC) = 1""",
        [measure],
    )
    if rows.empty:
        raise InputError(
            f"measure {measure!r} has no district rows in the store "
            "(ingest sets them aside in totals as 'district')"
        )
    return rows


def read_county_lifetimes(store: Store) -> dict[str, tuple[Any, Any]]:
    """Each shire county's (valid_from, valid_to)."""
    return {
        r[0]: (r[1], r[2])
        for r in store.con.execute(
            "SELECT la_code, valid_from, valid_to FROM authorities "
            "WHERE la_type = 'shire county' OR la_code LIKE 'E10%'"
        ).fetchall()
    }


def place_districts(
    rows: pd.DataFrame, days: dict[str, date], issues: IssueLog
) -> pd.DataFrame:
    """Each district row with the county it sat in on its period's day; rows in
    no county left out, and noted, as are districts back-cast to predecessors'
    counties."""
    import pandas as pd

    placed = []
    back_cast: dict[tuple[str, Any], list[str]] = defaultdict(list)
    for r in rows.itertuples(index=False):
        county, note = place_district(r.area_code, days[r.period])
        if county is None:
            issues.add(
                "district-unplaced",
                f"{r.area_name} ({r.area_code}) "
                f"[{r.period}]: not added to a county: {note}",
                severity="info",
                row=r.source_row,
            )
            continue
        if note:
            back_cast[(r.area_code, r.source_row)].append(r.period)
        placed.append(
            (
                county,
                r.period,
                r.breakdown,
                r.area_code,
                r.value,
                r.missing_reason,
                r.source_row,
            )
        )
    idx = _district_index()
    for (code, row), periods in back_cast.items():
        issues.add(
            "district-back-cast",
            f"{idx[code]['name']} ({code}) was created "
            f"{idx[code]['from']}; its figures for {', '.join(sorted(periods))} "
            "(published on later boundaries) are added to the county its "
            "predecessors sat in",
            severity="info",
            row=row,
        )
    return pd.DataFrame(
        placed,
        columns=[
            "la_code",
            "period",
            "breakdown",
            "district",
            "value",
            "missing_reason",
            "source_row",
        ],
    )


def _sum_reason(
    county: str, period: str, day: date, grp: pd.DataFrame, issues: IssueLog
) -> str | None:
    """Why a county's sum is missing (a district absent or its value missing),
    noted in ``issues``; None when it can be summed."""
    present = set(grp["district"])
    absent = [d for d in _members(county, day) if not _covered(d, present)]
    missing = grp[grp["value"].isna()]
    if absent:
        issues.add(
            "district-absent",
            f"{county} [{period}]: no row for {', '.join(absent)}; the sum is missing",
            severity="warning",
        )
        return "input-absent"
    if len(missing):
        issues.add(
            "district-missing",
            f"{county} [{period}]: "
            + ", ".join(
                f"{d} is {m}"
                for d, m in zip(
                    missing["district"], missing["missing_reason"], strict=True
                )
            )
            + "; the sum is missing",
            severity="warning",
        )
        return carried(missing["missing_reason"].iloc[0])
    return None


def sum_counties(
    placed: pd.DataFrame,
    days: dict[str, date],
    counties: dict[str, tuple[Any, Any]],
    published: pd.DataFrame,
    issues: IssueLog,
) -> list[tuple[Any, ...]]:
    """Each county's sum by period and breakdown: (county, period, breakdown,
    value, reason, its district rows, the published county value or None)."""
    pub_key = {
        (r.la_code, r.period, r.breakdown): (r.value, r.missing_reason)
        for r in published.itertuples(index=False)
    }
    sums = []
    for (county, period, bd), grp in placed.groupby(
        ["la_code", "period", "breakdown"], sort=True
    ):
        day = days[period]
        valid = counties.get(county)
        if valid is not None:
            start, end = valid
            if (start is not None and day < start) or (end is not None and day > end):
                issues.add(
                    "county-not-valid",
                    f"{county} did not exist on "
                    f"{day.isoformat()}; its districts' {period} values are "
                    "not summed",
                    severity="warning",
                )
                continue
        reason = _sum_reason(county, period, day, grp, issues)
        value = None if reason else float(grp["value"].sum())
        pub = pub_key.get((county, period, bd))
        sums.append((county, period, bd, value, reason, grp, pub[0] if pub else None))
    return sums


def upper_tier_frames(
    measure: str,
    sums: list[tuple[Any, ...]],
    published: pd.DataFrame,
    include_published: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The new measure's values and inputs (the sums, and with
    ``include_published`` every published value, which a county's sum gives way
    to), and the checks of each sum against a published county value."""
    import pandas as pd

    out, inputs, checks = [], [], []
    for county, period, bd, value, reason, grp, pub in sums:
        checks.append((county, period, bd, value, reason, len(grp), pub))
        if pub is not None and include_published:
            continue  # the published county value is carried below
        text = f"sum of {len(grp)} districts: {measure}[{period}]"
        out.append((county, period, bd, value, reason, None, text))
        for d, v, m in zip(
            grp["district"], grp["value"], grp["missing_reason"], strict=True
        ):
            inputs.append(
                (
                    "authority",
                    county,
                    period,
                    bd,
                    f"district {d}",
                    measure,
                    period,
                    bd,
                    None if v != v else v,
                    None if m != m else m,
                )
            )
    if include_published:
        for r in published.itertuples(index=False):
            out.append(
                (
                    r.la_code,
                    r.period,
                    r.breakdown,
                    r.value,
                    r.missing_reason,
                    None,
                    f"published {measure}[{r.period}]",
                )
            )
            inputs.append(
                (
                    "authority",
                    r.la_code,
                    r.period,
                    r.breakdown,
                    "published",
                    measure,
                    r.period,
                    r.breakdown,
                    None if r.value != r.value else r.value,
                    r.missing_reason,
                )
            )
    values = pd.DataFrame(out, columns=VALUE_COLUMNS)
    values = values.sort_values(["la_code", "period", "breakdown"]).reset_index(
        drop=True
    )
    values["value"] = values["value"].astype(float)
    check_frame = pd.DataFrame(
        checks,
        columns=[
            "la_code",
            "period",
            "breakdown",
            "sum",
            "missing_reason",
            "districts",
            "published",
        ],
    )
    return values, pd.DataFrame(inputs, columns=list(INPUT_COLUMNS)), check_frame
