"""Create your own table: what a ``/table/custom`` URL asks for, and its figures.

A URL names indicators of the catalogue (``measure=ID``, repeated), authorities
(``la=NAME|CODE`` repeated, ``la=all``, ``region=NAME``, or a comparison group
``group=region:NAME|neighbours:AUTHORITY|all``) and years (``periods=latest:5``,
``all`` or a list ``2023,2024``). :func:`parse_custom_query` checks it against
the catalogue and the store (:class:`~lacompare.dashboard._pages.PageError`, 400,
naming what is unknown); :func:`custom_blocks` reads each indicator's figures
through :func:`lacompare.catalogue.read_indicator` and England's and the regions'
through :func:`~lacompare.catalogue.read_indicator_totals` (published figures,
computed ones flagged), one block per indicator, its rows the authorities then
their regions and England, its columns the periods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.dashboard._catalogue import find_authority
from lacompare.dashboard._pages import PageError
from lacompare.errors import InputError, LacompareError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.catalogue import Indicator
    from lacompare.dashboard._state import DashboardStore

#: Years shown when the URL names none: the latest five of each indicator.
DEFAULT_PERIODS = "latest:5"
#: Indicators one table holds at most (each is read over every authority).
MAX_INDICATORS = 30
ENGLAND_CODE = "E92000001"
#: The long frame's columns: one row per indicator, area and period.
LONG_COLUMNS = [
    "indicator_id",
    "indicator",
    "unit",
    "decimals",
    "area_type",
    "area_code",
    "area_name",
    "region",
    "period",
    "value",
    "missing_reason",
    "published",
    "computed",
    "source_measure",
    "note",
]


@dataclass
class CustomQuery:
    """What a create-your-own URL asks for, checked.

    ``authorities``: store keys in the order shown; ``chosen``: those named one
    by one (kept even without a figure); ``described``: the selection in words;
    ``periods``: ``all``, ``latest:N`` or a list of periods.
    """

    indicators: list[Indicator]
    authorities: list[str]
    chosen: set[str]
    described: list[str]
    periods: str | list[str]
    regions: list[str] = field(default_factory=list)
    everyone: bool = False


@dataclass
class Block:
    """One indicator's part of the table: its periods and its long rows."""

    indicator: Indicator
    periods: list[str]
    rows: pd.DataFrame
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ the store


def authority_table(state: DashboardStore) -> pd.DataFrame:
    """Authorities with values: ``la_code, la_name, region, region_code,
    current, label`` (a former one's label says when it ended), by name."""
    import pandas as pd

    def compute() -> pd.DataFrame:
        with state.store() as store:
            held = store.list_authorities(with_values_only=True)
        out = held[["la_code", "la_name", "region", "region_code"]].copy()
        ended = pd.to_datetime(held["valid_to"], errors="coerce")
        out["current"] = ended.isna().to_numpy()
        out["label"] = [
            name if pd.isna(end) else f"{name} (until {end.year})"
            for name, end in zip(held["la_name"], ended, strict=True)
        ]
        return out.sort_values(["la_name", "current"], ascending=[True, False])

    return state.cached(("custom-authorities",), compute)


def indicator_values(state: DashboardStore, indicator_id: str) -> pd.DataFrame:
    """Every authority's values of an indicator (cached by store version)."""
    from lacompare.catalogue import read_indicator

    def compute() -> pd.DataFrame:
        with state.store() as store:
            return read_indicator(store, indicator_id)

    return state.cached(("indicator-values", indicator_id), compute)


def indicator_totals(state: DashboardStore, indicator_id: str) -> pd.DataFrame:
    """England's and the regions' values of an indicator (published first)."""
    from lacompare.catalogue import read_indicator_totals

    def compute() -> pd.DataFrame:
        with state.store() as store:
            return read_indicator_totals(store, indicator_id)

    return state.cached(("indicator-totals", indicator_id), compute)


def indicator_periods(state: DashboardStore, ind: Indicator) -> list[str]:
    """The periods in which any authority has a figure, oldest first."""
    values = indicator_values(state, ind.id)
    return sorted(set(values.loc[values["value"].notna(), "period"].astype(str)))


def offered_indicators(state: DashboardStore) -> list[tuple[Indicator, list[str]]]:
    """The catalogue's indicators with figures in the store, and their periods
    (numeric ones only: a category such as an Ofsted grade is not a figure).

    One query over the store's values (each measure, breakdown and period with
    a figure), matched to each indicator's sources as
    :func:`~lacompare.catalogue.read_indicator` matches them.
    """
    from lacompare.catalogue import period_key, read_catalogue

    def compute() -> list[tuple[Indicator, list[str]]]:
        with state.store() as store:
            rel = store.values_relation(
                present_only=True, columns=["measure", "breakdown", "period"]
            )
            held = rel.query("v", "SELECT DISTINCT measure, breakdown, period FROM v")
            rows = held.fetchall()
        periods: dict[tuple[str, str], set[str]] = {}
        for measure, breakdown, period in rows:
            periods.setdefault((measure, breakdown or ""), set()).add(str(period))
        out = []
        for ind in read_catalogue():
            if ind.unit == "category":
                continue
            found = {
                period_key(p, ind.financial_year)
                for s in ind.sources
                for p in periods.get((s.measure, s.breakdown), ())
            }
            if found:
                out.append((ind, sorted(found)))
        return out

    return state.cached(("custom-offered",), compute)


# ------------------------------------------------------------------ the query


def getlist(params: Any, key: str) -> list[str]:
    """Every non-empty value of a repeated key (a QueryParams or a dict)."""
    if hasattr(params, "getlist"):
        items = params.getlist(key)
    else:
        raw = params.get(key)
        items = [] if raw is None else [raw] if isinstance(raw, str) else list(raw)
    return [str(i).strip() for i in items if str(i).strip()]


def parse_indicators(params: Any) -> list[Indicator]:
    """The ``measure`` ids as catalogue entries (a store key is read as the
    indicator that reads it); 400 naming an unknown one and near ids."""
    from lacompare.catalogue import get_indicator, indicator_for_key

    out: list[Indicator] = []
    for text in dict.fromkeys(getlist(params, "measure")):
        try:
            ind = get_indicator(text)
        except InputError as exc:
            ind = indicator_for_key(text)
            if ind is None:
                raise PageError(str(exc), 400) from None
        if ind not in out:
            out.append(ind)
    if len(out) > MAX_INDICATORS:
        raise PageError(
            f"{len(out)} indicators: one table holds at most {MAX_INDICATORS}"
        )
    return out


def parse_periods(params: Any) -> str | list[str]:
    """``all``, ``latest:N`` or the list of periods the URL names."""
    tokens = [t.strip() for v in getlist(params, "periods") for t in v.split(",")]
    tokens += getlist(params, "period")
    tokens = [t for t in tokens if t]
    if not tokens:
        return DEFAULT_PERIODS
    if len(tokens) == 1 and tokens[0].lower() in ("all", "latest"):
        return "all" if tokens[0].lower() == "all" else "latest:1"
    if len(tokens) == 1 and tokens[0].lower().startswith("latest:"):
        n = tokens[0].split(":", 1)[1]
        if not n.isdigit() or int(n) < 1:
            raise PageError(f"periods {tokens[0]!r}: write latest:N, N a whole number")
        return f"latest:{int(n)}"
    return list(dict.fromkeys(tokens))


def named_authority(state: DashboardStore, text: str) -> str:
    """An authority's store key; 400 (with the registry's suggestions) if unknown."""
    try:
        return find_authority(state, text)
    except LacompareError as exc:
        page = PageError(str(exc), 400)
        page.suggestions = getattr(exc, "suggestions", ())  # type: ignore[attr-defined]
        page.reason = getattr(exc, "reason", "")  # type: ignore[attr-defined]
        raise page from None


def region_members(state: DashboardStore, name: str) -> list[str]:
    """The store keys of a region's authorities (current ones first)."""
    table = authority_table(state)
    regions = sorted(set(table["region"].dropna()))
    hit = [r for r in regions if r.lower() == name.strip().lower()]
    if not hit:
        raise PageError(f"no region {name!r}; regions: {', '.join(regions)}", 400)
    part = table[table["region"] == hit[0]]
    part = part.sort_values(["current", "la_name"], ascending=[False, True])
    return part["la_code"].tolist()


def neighbour_members(state: DashboardStore, text: str) -> tuple[list[str], str]:
    """An authority and its statistical neighbours (the newest set in the
    store), and the group in words; 400 when the store has no set for it."""
    from lacompare.analysis.neighbours import list_neighbour_sets, neighbours_of

    code = named_authority(state, text)
    with state.store() as store:
        sets = list_neighbour_sets(store)
        if not len(sets):
            raise PageError(
                "the store has no statistical neighbour set "
                "(lacompare neighbours load dfe-2025)"
            )
        newest = sets.sort_values(["valid_for", "created_at"]).iloc[-1]
        try:
            nb = neighbours_of(store, code, str(newest["set_id"]))
        except LacompareError as exc:
            raise PageError(str(exc), 400) from None
    name = str(nb["la_name"].iloc[0])
    words = f"{name} and its {len(nb)} statistical neighbours ({newest['label']})"
    return [code, *nb["neighbour_code"].tolist()], words


def group_members(state: DashboardStore, group: str) -> tuple[list[str], str, bool]:
    """A comparison group's authorities, in words, and whether it is everyone."""
    kind, _, name = group.partition(":")
    kind = kind.strip().lower()
    if kind in ("all", "england") and not name:
        return [], "all authorities", True
    if kind == "region" and name:
        members = region_members(state, name)
        return members, f"the authorities of {_region_name(state, name)}", False
    if kind in ("neighbours", "neighbours-of") and name:
        members, words = neighbour_members(state, name)
        return members, words, False
    raise PageError(
        f"comparison group {group!r}: choose all, region:NAME or neighbours:AUTHORITY"
    )


def _region_name(state: DashboardStore, name: str) -> str:
    table = authority_table(state)
    for region in set(table["region"].dropna()):
        if region.lower() == name.strip().lower():
            return str(region)
    return name


def parse_authorities(
    state: DashboardStore, params: Any
) -> tuple[list[str], set[str], list[str], bool]:
    """The authorities a URL names: keys in order, those named one by one, the
    selection in words, and whether it is all of them."""
    keys: list[str] = []
    chosen: set[str] = set()
    described: list[str] = []
    everyone = False
    names = authority_table(state).set_index("la_code")["label"]
    for text in getlist(params, "la"):
        if text.lower() in ("all", "england"):
            everyone = True
            continue
        code = named_authority(state, text)
        chosen.add(code)
        keys.append(code)
        described.append(str(names.get(code, code)))
    for name in getlist(params, "region"):
        keys += region_members(state, name)
        described.append(f"the authorities of {_region_name(state, name)}")
    for group in getlist(params, "group"):
        if group.lower() in ("", "none"):
            continue
        members, words, every = group_members(state, group)
        keys += members
        everyone = everyone or every
        if not every:
            described.append(words)
            if group.lower().startswith("neighbours"):
                chosen.add(members[0])
    if everyone:
        table = authority_table(state)
        keys += table.sort_values(["current", "la_name"], ascending=[False, True])[
            "la_code"
        ].tolist()
        described.insert(0, "all authorities")
    return list(dict.fromkeys(keys)), chosen, described, everyone


def parse_custom_query(state: DashboardStore, params: Any) -> CustomQuery:
    """The URL's indicators, authorities and periods, checked (400 if not)."""
    indicators = parse_indicators(params)
    keys, chosen, described, everyone = parse_authorities(state, params)
    if not indicators:
        raise PageError("choose at least one indicator (measure=ID)")
    if not keys:
        raise PageError(
            "choose at least one authority (la=NAME, region=NAME or la=all)"
        )
    table = authority_table(state).set_index("la_code")
    regions = list(
        dict.fromkeys(str(table.at[k, "region"]) for k in keys if k in table.index)
    )
    return CustomQuery(
        indicators,
        keys,
        chosen,
        described,
        parse_periods(params),
        [r for r in regions if r and r != "nan"],
        everyone,
    )


# ------------------------------------------------------------------ the figures


def choose_periods(
    available: list[str], wanted: str | list[str], ind: Indicator
) -> list[str]:
    """The periods of ``available`` (oldest first) that ``wanted`` asks for.

    Examples
    --------
    >>> from lacompare.catalogue import get_indicator
    >>> ind = get_indicator("cla_rate_per_10000")
    >>> choose_periods(["2022", "2023", "2024"], "latest:2", ind)
    ['2023', '2024']
    >>> choose_periods(["2022", "2023"], ["2023", "2019"], ind)
    ['2023']
    """
    from lacompare.catalogue import period_key

    if wanted == "all":
        return list(available)
    if isinstance(wanted, str):
        n = int(wanted.split(":", 1)[1])
        return list(available[-n:])
    keys = {period_key(p, ind.financial_year) for p in wanted}
    return [p for p in available if p in keys]


def authority_rows(
    state: DashboardStore, query: CustomQuery, ind: Indicator, periods: list[str]
) -> pd.DataFrame:
    """The authorities' rows of one indicator: one per authority and period,
    NaN with the publisher's reason where there is no figure."""
    import pandas as pd

    values = indicator_values(state, ind.id)
    values = values[values["period"].isin(periods)]
    table = authority_table(state).set_index("la_code")
    grid = pd.DataFrame(
        [(k, p) for k in query.authorities for p in periods],
        columns=["la_code", "period"],
    )
    out = grid.merge(values, on=["la_code", "period"], how="left")
    known = out["la_code"].isin(table.index)
    out["area_name"] = [
        str(table.at[c, "label"]) if ok else c
        for c, ok in zip(out["la_code"], known, strict=True)
    ]
    out["region"] = [
        str(table.at[c, "region"]) if ok else ""
        for c, ok in zip(out["la_code"], known, strict=True)
    ]
    # A former authority in a group (Cumbria in the North West) is shown only
    # in the years it has a figure; one named in the URL always.
    has = out.groupby("la_code")["value"].transform(lambda v: v.notna().any())
    current = out["la_code"].map(table["current"]).fillna(True).astype(bool)
    keep = has | current | out["la_code"].isin(query.chosen)
    out = out[keep.to_numpy()]
    return pd.DataFrame(
        {
            "area_type": "authority",
            "area_code": out["la_code"],
            "area_name": out["area_name"],
            "region": out["region"],
            "period": out["period"],
            "value": out["value"].astype(float),
            "missing_reason": out["missing_reason"].where(out["value"].isna()),
            "published": out["published"].astype("boolean"),
            "computed": False,
            "source_measure": out["source_measure"],
            "note": "",
        }
    )


def total_rows(
    state: DashboardStore, query: CustomQuery, ind: Indicator, periods: list[str]
) -> pd.DataFrame:
    """The regions' and England's rows: published figures, else computed ones
    (``computed`` True, the note saying how)."""
    import pandas as pd

    totals = indicator_totals(state, ind.id)
    totals = totals[totals["period"].isin(periods)]
    table = authority_table(state)
    codes = table.drop_duplicates("region").set_index("region")["region_code"]
    regions = sorted(codes.index.dropna()) if query.everyone else query.regions
    areas = [("region", str(codes[r]), r) for r in regions if r in codes.index]
    areas.append(("england", ENGLAND_CODE, "England"))
    rows = []
    for kind, code, name in areas:
        for period in periods:
            hit = totals[(totals["area_code"] == code) & (totals["period"] == period)]
            got = hit.iloc[0] if len(hit) else None
            rows.append(
                {
                    "area_type": kind,
                    "area_code": code,
                    "area_name": name,
                    "region": name if kind == "region" else "",
                    "period": period,
                    "value": float(got["value"]) if got is not None else float("nan"),
                    "missing_reason": None,
                    "published": bool(got["published"]) if got is not None else pd.NA,
                    "computed": bool(got["computed"]) if got is not None else False,
                    "source_measure": got["source_measure"] if got is not None else "",
                    "note": str(got["note"]) if got is not None else "",
                }
            )
    return pd.DataFrame(rows)


def custom_blocks(state: DashboardStore, query: CustomQuery) -> list[Block]:
    """One block per indicator: its periods and rows (authorities, then the
    regions and England); an indicator with none of the periods asked for
    keeps an empty block whose note says which periods it has."""
    import pandas as pd

    blocks = []
    for ind in query.indicators:
        available = indicator_periods(state, ind)
        periods = choose_periods(available, query.periods, ind)
        notes = []
        if not periods:
            notes.append(
                f"{ind.label} has no figures for the periods asked for; "
                f"its periods: {', '.join(available) or 'none'}."
            )
        parts = [
            authority_rows(state, query, ind, periods),
            total_rows(state, query, ind, periods),
        ]
        rows = pd.concat([p for p in parts if len(p)], ignore_index=True)
        if len(rows):
            rows.insert(0, "indicator_id", ind.id)
            rows.insert(1, "indicator", ind.label)
            rows.insert(2, "unit", ind.unit)
            rows.insert(3, "decimals", ind.decimals)
        computed = rows[rows["computed"].astype(bool)] if len(rows) else rows
        for note in dict.fromkeys(computed["note"] if len(computed) else []):
            notes.append(f"† {note}.")
        blocks.append(Block(ind, periods, rows, notes))
    return blocks


def long_frame(blocks: list[Block]) -> pd.DataFrame:
    """Every block's rows in one frame (:data:`LONG_COLUMNS`)."""
    import pandas as pd

    parts = [b.rows[LONG_COLUMNS] for b in blocks if len(b.rows)]
    if not parts:
        return pd.DataFrame(columns=LONG_COLUMNS)
    return pd.concat(parts, ignore_index=True)
