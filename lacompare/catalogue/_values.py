"""One value per indicator, authority and period, from the preferred source; the
catalogue's copy in the store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.catalogue._model import (
    Indicator,
    catalogue_digest,
    get_indicator,
    read_catalogue,
)

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

ENGLAND_CODE = "E92000001"
#: Columns of :func:`read_indicator`.
VALUE_COLUMNS = [
    "indicator",
    "la_code",
    "period",
    "value",
    "label",
    "missing_reason",
    "source_measure",
    "published",
]
#: Columns of :func:`read_indicator_totals`.
TOTAL_COLUMNS = [
    "indicator",
    "area_code",
    "area_name",
    "period",
    "value",
    "source_measure",
    "published",
    "computed",
    "note",
]
_META_KEY = "catalogue_sha256"
# A note after a period (LAIT's "2016-17 (OT)" outturn, "(Rev)", "(Final)").
_NOTE = re.compile(r"\s*\([A-Za-z ]{1,20}\)$")
_FINANCIAL = re.compile(r"^((?:19|20)\d{2})/(\d{2})$")


def period_key(period: Any, financial_year: bool = False) -> str:
    """One spelling of a period across an indicator's sources.

    Publishers spell one financial year ``2024-25``, ``2024/25`` and ``2024-25 (OT)``;
    sources of one indicator must agree for "one value per period" to hold. Other
    periods are kept as the store has them.

    Examples
    --------
    >>> period_key("2024-25 (OT)", True), period_key("2024/25", True)
    ('2024-25', '2024-25')
    >>> period_key("2018/19"), period_key(" 2025 ")
    ('2018/19', '2025')
    """
    text = _NOTE.sub("", str(period).strip())
    if financial_year:
        text = _FINANCIAL.sub(r"\1-\2", text)
    return text


# ----------------------------------------------------------------- the store's copy


@dataclass
class CatalogueRefresh:
    """What :func:`refresh_catalogue` did.

    ``polarity_changes``: (measure, polarity before, polarity now) of the store's
    ``measures`` rows the catalogue set; ``conflicts``: measures whose indicators
    disagree on polarity, and ``partial``: measures with breakdowns the catalogue
    does not name (both left as they were).
    """

    refreshed: bool
    indicators: int = 0
    polarity_changes: list[tuple[str, str, str]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    #: Measures with breakdowns outside the catalogue (their polarity left alone).
    partial: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        if not self.refreshed:
            return ["indicator catalogue: the store's copy is current"]
        lines = [f"indicator catalogue: {self.indicators} indicators"]
        if self.polarity_changes:
            lines.append(
                f"  polarity set from the catalogue for "
                f"{len(self.polarity_changes)} measures: "
                + ", ".join(f"{m} ({a} -> {b})" for m, a, b in self.polarity_changes)
            )
        if self.conflicts:
            lines.append(
                "  polarity left as it is (its indicators disagree): "
                + ", ".join(self.conflicts)
            )
        if self.partial:
            lines.append(
                "  polarity left as it is (breakdowns outside the "
                "catalogue): " + ", ".join(self.partial)
            )
        return lines


def catalogue_polarities() -> tuple[dict[str, str], list[str]]:
    """Each source measure's polarity as the catalogue gives it, and the measures
    whose indicators disagree (not in the mapping).

    Examples
    --------
    >>> polarity, conflicts = catalogue_polarities()
    >>> polarity["turnover_rate_fte"], conflicts
    ('higher-is-worse', [])
    """
    seen: dict[str, set[str]] = {}
    for ind in read_catalogue():
        for s in ind.sources:
            seen.setdefault(s.measure, set()).add(ind.polarity)
    agreed = {m: p.pop() for m, p in seen.items() if len(p) == 1}
    return agreed, sorted(m for m, p in seen.items() if len(p) > 1)


def refresh_catalogue(store: Store, force: bool = False) -> CatalogueRefresh:
    """Write the packaged catalogue into the store's ``indicators`` and
    ``indicator_sources`` tables when it has changed, and give the store's
    ``measures`` rows of its sources the catalogue's polarity.

    The catalogue is curated: a workforce rate a publisher file left without a
    polarity reads higher-is-worse everywhere (compare, reports, web app) once the
    store knows it. Every change is listed in the result. A store opened read-only
    is left alone (``refreshed`` False); readers then use the packaged catalogue.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:  # opening refreshed it already
    ...     again, forced = refresh_catalogue(s), refresh_catalogue(s, force=True)
    ...     n = s.con.execute("SELECT count(*) FROM indicators").fetchone()[0]
    >>> again.refreshed, forced.refreshed, n == len(read_catalogue())
    (False, True, True)
    """
    digest = catalogue_digest()
    try:
        current = store.con.execute(
            "SELECT value FROM meta WHERE key = ?", [_META_KEY]
        ).fetchall()
    except Exception:  # a store older than the catalogue tables, read-only
        current = []
    if current and current[0][0] == digest and not force:
        return CatalogueRefresh(False)
    if not _writable(store):
        return CatalogueRefresh(False)
    cat = read_catalogue()
    indicators, sources = catalogue_tables(cat)
    changes, conflicts, partial = match_polarities(store, cat)
    write_catalogue(store, indicators, sources, changes, digest)
    return CatalogueRefresh(True, len(cat), changes, conflicts, partial)


def catalogue_tables(cat: list[Indicator]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the store's ``indicators`` and ``indicator_sources`` tables."""
    import pandas as pd

    indicators = pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "label": i.label,
                "topic": i.topic,
                "unit": i.unit,
                "additive": i.additive,
                "polarity": i.polarity,
                "decimals": i.decimals,
                "year_type": i.year_type,
                "reference_date": i.reference_date,
                "description": i.description,
                "headline": i.headline,
                "position": n,
            }
            for n, i in enumerate(cat, start=1)
        ]
    )
    sources = pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "rank": r,
                "measure": s.measure,
                "breakdown": s.breakdown,
                "published": s.published,
                "note": s.note,
            }
            for i in cat
            for r, s in enumerate(i.sources, start=1)
        ]
    )
    return indicators, sources


def match_polarities(
    store: Store, cat: list[Indicator]
) -> tuple[list[tuple[str, str, str]], list[str], list[str]]:
    """The polarity changes the catalogue makes to the store's measures
    (measure, before, now), the measures whose indicators disagree, and those
    with breakdowns outside the catalogue (both left as they are)."""
    polarity, conflicts = catalogue_polarities()
    # A measure whose store breakdowns are not all catalogue sources (the CLA
    # release's generic 'percentage') keeps its polarity: the others may differ.
    named = {(s.measure, s.breakdown) for i in cat for s in i.sources}
    held = (
        store.values_relation(measures=list(polarity), columns=["measure", "breakdown"])
        .distinct()
        .fetchall()
    )
    partial = sorted({m for m, b in held if (m, b) not in named})
    polarity = {m: p for m, p in polarity.items() if m not in partial}
    before = dict(
        store.con.execute(
            "SELECT measure, polarity FROM measures WHERE measure IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [list(polarity)],
        ).fetchall()
    )
    changes = [
        (m, before[m], p)
        for m, p in sorted(polarity.items())
        if m in before and before[m] != p
    ]
    return changes, conflicts, partial


def write_catalogue(
    store: Store,
    indicators: pd.DataFrame,
    sources: pd.DataFrame,
    changes: list[tuple[str, str, str]],
    digest: str,
) -> None:
    """Replace the store's copy of the catalogue and set the measures'
    polarities, in one transaction."""
    con = store.con
    con.register("_indicators", indicators)
    con.register("_indicator_sources", sources)
    try:
        con.execute("BEGIN")
        con.execute("DELETE FROM indicator_sources")
        con.execute("DELETE FROM indicators")
        con.execute(
            f"INSERT INTO indicators ({', '.join(indicators.columns)}) "
            "SELECT * FROM _indicators"
        )
        con.execute(
            f"INSERT INTO indicator_sources ({', '.join(sources.columns)}) "
            "SELECT * FROM _indicator_sources"
        )
        for measure, _, now in changes:
            con.execute(
                "UPDATE measures SET polarity = ? WHERE measure = ?", [now, measure]
            )
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [_META_KEY, digest])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_indicators")
        con.unregister("_indicator_sources")


def _writable(store: Store) -> bool:
    """Whether the store's connection may write (DuckDB says so in a setting)."""
    try:
        # fetchall, not fetchone: an unfinished result would keep the connection
        # from the relations read next.
        rows = store.con.execute(
            "SELECT value FROM duckdb_settings() WHERE name = 'access_mode'"
        ).fetchall()
    except Exception:
        return False
    # 'automatic' is a file opened for writing, or an in-memory store.
    return not rows or str(rows[0][0]).lower() != "read_only"


# ------------------------------------------------------------------------ values


def _source_rows(
    store: Store,
    ind: Indicator,
    la_codes: list[str] | None,
) -> pd.DataFrame:
    """Every value of the indicator's source measures (any breakdown), one query."""
    return store.read_values(
        measures=sorted({s.measure for s in ind.sources}),
        authorities=la_codes,
        columns=[
            "la_code",
            "measure",
            "breakdown",
            "period",
            "value",
            "label",
            "missing_reason",
        ],
    )


def _rank_rows(ind: Indicator, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the indicator's (measure, breakdown) pairs with their rank and
    period key; rows of other breakdowns dropped (they belong to other indicators)."""
    import pandas as pd

    ranks = pd.DataFrame(
        [
            {
                "measure": s.measure,
                "breakdown": s.breakdown,
                "rank": r,
                "source_measure": s.key,
                "published": s.published,
            }
            for r, s in enumerate(ind.sources, start=1)
        ]
    )
    out = rows.merge(ranks, on=["measure", "breakdown"], how="inner")
    out["period"] = [period_key(p, ind.financial_year) for p in out["period"]]
    return out


def _wanted_periods(ind: Indicator, periods: Any) -> set[str] | None:
    if periods is None:
        return None
    items = [periods] if isinstance(periods, str) else list(periods)
    return {period_key(p, ind.financial_year) for p in items}


def read_indicator(
    store: Store,
    indicator_id: str,
    la_codes: str | list[str] | None = None,
    periods: str | list[str] | None = None,
) -> pd.DataFrame:
    """One value per authority and period of a catalogue indicator.

    For each authority and period the first of the indicator's sources (in the
    catalogue's order of preference: published first) with a value gives it; a
    later one fills a gap only where the earlier ones have none. Where no source
    has a value the row is kept with the first source's missing reason (a
    suppressed value says ``suppressed``, never 0); nothing is dropped silently.

    Parameters
    ----------
    store
        An open store.
    indicator_id
        A catalogue id (``lacompare measures`` lists them).
    la_codes
        Authorities' ONS codes (default: every authority with a row).
    periods
        Periods to keep, spelt as the store or the catalogue spells them (financial
        years ``2024-25`` or ``2024/25``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VALUE_COLUMNS`: ``value`` (NaN where missing), ``label``
        (the text of a categorical value, e.g. an Ofsted judgement),
        ``missing_reason``, ``source_measure`` (``measure[breakdown]``) and
        ``published`` (False for a figure computed to fill a gap).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([
    ...         {"la_code": "E06000016", "measure": "CPP_rate", "period": "2024",
    ...          "value": 48.0},
    ...         {"la_code": "E06000016", "measure": "CPP_rate", "period": "2025",
    ...          "missing_reason": "suppressed"},
    ...         {"la_code": "E06000016", "measure": "cpp_rate_per_10000_derived",
    ...          "period": "2025", "value": 49.47}], file="t.csv")
    ...     got = read_indicator(s, "cpp_rate_per_10000")
    >>> [(r.period, r.value, r.source_measure, r.published)
    ...  for r in got.itertuples()]  # doctest: +NORMALIZE_WHITESPACE
    [('2024', 48.0, 'CPP_rate', True),
     ('2025', 49.47, 'cpp_rate_per_10000_derived', False)]
    """
    import pandas as pd

    ind = get_indicator(indicator_id)
    codes = [la_codes] if isinstance(la_codes, str) else la_codes
    rows = _rank_rows(ind, _source_rows(store, ind, codes))
    wanted = _wanted_periods(ind, periods)
    if wanted is not None:
        rows = rows[rows["period"].isin(wanted)]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in VALUE_COLUMNS})
    rows = rows.assign(has=rows["value"].notna() | rows["label"].notna())
    # Sources in order, those with a value first: the first row of each authority
    # and period is its value, or (none having one) the first source's reason.
    rows = rows.sort_values(
        ["la_code", "period", "has", "rank"],
        ascending=[True, True, False, True],
        kind="stable",
    )
    first = rows.drop_duplicates(["la_code", "period"], keep="first")
    out = first.assign(indicator=ind.id)[VALUE_COLUMNS].reset_index(drop=True)
    out["published"] = out["published"].astype(bool)
    return out


def read_indicator_totals(
    store: Store, indicator_id: str, periods: str | list[str] | None = None
) -> pd.DataFrame:
    """England's and each region's value of an indicator, by period.

    Published figures first: the store's ``totals`` rows (England, regions, Inner
    and Outer London, as the publisher printed them) of the indicator's sources,
    in the catalogue's order of preference. Where no published row exists the value
    is computed from the authorities of :func:`read_indicator` (a sum for counts and
    money, else their unweighted mean), with ``computed`` True and a ``note`` saying
    how, so every output can say so.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOTAL_COLUMNS`.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([
    ...         {"la_code": la, "measure": "CPP_rate", "period": "2025", "value": v}
    ...         for la, v in [("E06000016", 49.5), ("E06000017", 40.5)]],
    ...         file="t.csv")
    ...     got = read_indicator_totals(s, "cpp_rate_per_10000")
    >>> row = got[got["area_code"] == "E92000001"].iloc[0]
    >>> float(row["value"]), bool(row["computed"]), row["note"]
    (45.0, True, 'computed: mean of 2 authorities (no published figure)')
    """
    import pandas as pd

    ind = get_indicator(indicator_id)
    wanted = _wanted_periods(ind, periods)
    tot = store.query(
        "SELECT area_code, area_name, measure, breakdown, period, value, "
        "check_result FROM totals WHERE measure IN (SELECT unnest(?::VARCHAR[])) "
        "AND value IS NOT NULL AND (area_code = ? OR area_code LIKE 'E12%' "
        "OR area_code LIKE 'E13%')",
        [sorted({s.measure for s in ind.sources}), ENGLAND_CODE],
    )
    tot = _rank_rows(ind, tot)
    if wanted is not None:
        tot = tot[tot["period"].isin(wanted)]
    # A row lacompare derived (check_result 'derived') is not the publisher's.
    tot = tot.assign(
        published=tot["published"] & (tot["check_result"].fillna("") != "derived")
    )
    tot = tot.sort_values(
        ["area_code", "period", "published", "rank"],
        ascending=[True, True, False, True],
        kind="stable",
    )
    tot = tot.drop_duplicates(["area_code", "period"], keep="first")
    pub = tot.assign(
        indicator=ind.id,
        computed=False,
        note=[
            "published" if p else "computed by lacompare from published inputs"
            for p in tot["published"]
        ],
    )[TOTAL_COLUMNS]
    have = set(zip(pub["area_code"], pub["period"], strict=True))
    computed = _computed_totals(store, ind, periods, have)
    out = pd.concat([pub, computed], ignore_index=True) if len(computed) else pub
    out["published"] = out["published"].astype(bool)
    out["computed"] = out["computed"].astype(bool)
    return out.sort_values(["period", "area_code"], kind="stable").reset_index(
        drop=True
    )


def _computed_totals(
    store: Store, ind: Indicator, periods: Any, have: set[tuple[str, str]]
) -> pd.DataFrame:
    """England's and regions' values computed from authorities where no published
    total exists (``have``: the published (area, period) pairs)."""
    import pandas as pd

    values = read_indicator(store, ind.id, periods=periods)
    values = values[values["value"].notna()]
    if values.empty:
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    areas = store.query("SELECT la_code, region_code, region FROM authorities")
    values = values.merge(areas, on="la_code", how="left")
    how = "sum" if ind.additive else "mean"
    rows = []
    groups: list[tuple[str, str, pd.DataFrame]] = [("E92000001", "England", values)]
    groups += [
        (str(code), str(name), part)
        for (code, name), part in values.groupby(["region_code", "region"], dropna=True)
    ]
    for code, name, part in groups:
        for period, g in part.groupby("period"):
            if (code, period) in have:
                continue
            rows.append(
                {
                    "indicator": ind.id,
                    "area_code": code,
                    "area_name": name,
                    "period": period,
                    "value": float(getattr(g["value"], how)()),
                    "source_measure": ", ".join(dict.fromkeys(g["source_measure"])),
                    "published": False,
                    "computed": True,
                    "note": f"computed: {how} of {g['la_code'].nunique()} authorities "
                    "(no published figure)",
                }
            )
    return pd.DataFrame(rows, columns=TOTAL_COLUMNS)


def catalogue_frame() -> pd.DataFrame:
    """The packaged catalogue as a table: one row per indicator, its sources'
    keys joined by `` | `` in order of preference.

    Examples
    --------
    >>> frame = catalogue_frame()
    >>> frame.loc[frame["id"] == "idaci_2025", "decimals"].item()
    3
    """
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "id": i.id,
                "label": i.label,
                "topic": i.topic,
                "unit": i.unit,
                "additive": i.additive,
                "polarity": i.polarity,
                "decimals": i.decimals,
                "year_type": i.year_type,
                "reference_date": i.reference_date,
                "description": i.description,
                "headline": i.headline,
                "sources": " | ".join(s.key for s in i.sources),
            }
            for i in read_catalogue()
        ]
    )
