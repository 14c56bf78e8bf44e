"""The regional page: every authority of a region on one indicator over time.

``/region?name=North East&measure=cla_rate_per_10000`` (``highlight=AUTHORITY``
picks one out): a line chart and a table, years as columns, the region's and
England's published figures as rows (a computed one marked †), and how many
authorities the region has. The figures are the create-your-own table's
(:func:`lacompare.dashboard._custom.custom_blocks`), so the downloads are its
CSV and XLSX for the same selection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render
from lacompare.dashboard._custom import (
    CustomQuery,
    authority_table,
    custom_blocks,
    offered_indicators,
    region_members,
)
from lacompare.dashboard._custom_page import block_html, indicator_heading, table_key
from lacompare.dashboard._pages import PageError
from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from lacompare.catalogue import Indicator
    from lacompare.dashboard._custom import Block
    from lacompare.dashboard._state import DashboardStore

#: The indicator a regional page shows when the URL names none.
DEFAULT_INDICATOR = "cla_rate_per_10000"


def region_names(store: DashboardStore) -> list[str]:
    """The regions of the store's authorities, by name."""
    return sorted(set(authority_table(store)["region"].dropna()))


def region_link(region: str | None, indicator: str | None) -> str:
    """The regional page's address for a region and an indicator.

    Examples
    --------
    >>> region_link("North East", "cla_rate_per_10000")
    '/region?name=North+East&measure=cla_rate_per_10000'
    """
    return "/region?" + _render.query_string({"name": region, "measure": indicator})


def choose_region(store: DashboardStore, name: str | None) -> str:
    """The region the URL names (any case), the first one if none; 400 if unknown."""
    regions = region_names(store)
    if not regions:
        raise PageError("the store has no authorities with values yet", 404)
    if not name:
        return regions[0]
    for region in regions:
        if region.lower() == name.strip().lower():
            return region
    raise PageError(f"no region {name!r}; regions: {', '.join(regions)}")


def choose_indicator(store: DashboardStore, key: str | None) -> Indicator:
    """The indicator the URL names (its id, or a store key it reads), else the
    default; 400 for one not in the catalogue or without figures here."""
    from lacompare.catalogue import get_indicator, indicator_for_key

    offered = {ind.id: ind for ind, _ in offered_indicators(store)}
    if not offered:
        raise PageError("the store has none of the catalogue's indicators yet", 404)
    if not key:
        return offered.get(DEFAULT_INDICATOR) or next(iter(offered.values()))
    try:
        ind = get_indicator(key)
    except LacompareError as exc:
        found = indicator_for_key(key)
        if found is None:
            raise PageError(str(exc)) from None
        ind = found
    if ind.id not in offered:
        raise PageError(f"{ind.label} ({ind.id}) has no figures in this store")
    return ind


def region_block(
    store: DashboardStore, region: str, ind: Indicator
) -> tuple[Block, list[str]]:
    """The region's block (every year) and its authorities' keys."""
    members = region_members(store, region)
    query = CustomQuery([ind], members, set(), [region], "all", [region])
    blocks = store.cached(
        ("region-block", region, ind.id), lambda: custom_blocks(store, query)
    )
    return blocks[0], members


def count_text(store: DashboardStore, block: Block, region: str) -> str:
    """How many authorities the region has, and how many have a latest figure."""
    table = authority_table(store).set_index("la_code")
    auth = block.rows[block.rows["area_type"] == "authority"]
    codes = list(dict.fromkeys(auth["area_code"]))
    current = [c for c in codes if bool(table.at[c, "current"])]
    former = [str(table.at[c, "label"]) for c in codes if c not in current]
    text = f"{region} has {len(current)} authorities"
    if block.periods:
        last = block.periods[-1]
        now = auth[(auth["period"] == last) & auth["value"].notna()]
        text += f"; {now['area_code'].nunique()} have a figure for {last}"
    text += "."
    if former:
        text += (
            " Former authorities, shown for the years they have figures: "
            + ", ".join(former)
            + "."
        )
    return text


def check_highlight(
    store: DashboardStore, region: str, text: str | None
) -> tuple[str | None, str]:
    """The authority to pick out (any name or code; 400 if unknown), and a
    note when it is not in the region (then nothing is picked out)."""
    from lacompare.dashboard._custom import named_authority

    if not text:
        return None, ""
    code = named_authority(store, text)
    table = authority_table(store)
    part = table[(table["region"] == region) & table["current"]]
    if code in set(part["la_code"]):
        return code, ""
    name = table.loc[table["la_code"] == code, "label"]
    shown = str(name.iloc[0]) if len(name) else code
    return None, (
        f'<p class="lac-note" role="status">{_render.esc(shown)} is not one of '
        f"{_render.esc(region)}'s authorities, so none is picked out.</p>"
    )


def form_fields(
    store: DashboardStore, region: str, ind: Indicator, highlight: str | None
) -> dict[str, Any]:
    """The form's choices: regions, indicators by topic, the region's authorities."""
    topics: dict[str, list[tuple[str, str]]] = {}
    for each, _ in offered_indicators(store):
        topics.setdefault(each.topic, []).append((each.id, each.label))
    table = authority_table(store)
    part = table[(table["region"] == region) & table["current"]]
    return {
        "regions": region_names(store),
        "region": region,
        "topics": list(topics.items()),
        "indicator": ind.id,
        "authorities": list(zip(part["la_code"], part["la_name"], strict=True)),
        "highlight": highlight or "",
    }


def region_page(store: DashboardStore, params: Any) -> tuple[int, str]:
    """``/region``: the region's authorities on one indicator over time.

    Returns the status and the page: 200, or 400 naming an unknown region,
    indicator or authority in one line.
    """
    from markupsafe import Markup

    name = str(params.get("name") or params.get("region") or "").strip() or None
    key = str(params.get("measure") or "").strip() or None
    highlight = str(params.get("highlight") or "").strip() or None
    try:
        region = choose_region(store, name)
        ind = choose_indicator(store, key)
        highlight, said = check_highlight(store, region, highlight)
        fields = form_fields(store, region, ind, highlight)
        block, _ = region_block(store, region, ind)
        body = said + region_body(store, block, region, ind, highlight)
    except LacompareError as exc:
        status = getattr(exc, "status", 400)
        return status, _render.render_page(
            "region.html.j2",
            title="Regions",
            page="region",
            error=Markup(_render.error_html(str(exc))),
            regions=region_names(store) if status != 503 else [],
            links=[],
            body="",
        )
    query = _render.query_string(
        {"region": region, "measure": ind.id, "periods": "all"}
    )
    links = [
        ("Download CSV", f"/table/custom.csv?{query}"),
        ("Download Excel (XLSX)", f"/table/custom.xlsx?{query}"),
        ("Add indicators or authorities (Create your own)", f"/create?{query}"),
    ]
    return 200, _render.render_page(
        "region.html.j2",
        title=f"{ind.label}: {region}",
        page="region",
        links=links,
        body=Markup(body),
        **fields,
    )


def region_body(
    store: DashboardStore,
    block: Block,
    region: str,
    ind: Indicator,
    highlight: str | None,
) -> str:
    """The count, the chart, the table and its key."""
    from lacompare.charts import region_chart

    parts = [
        f'<p class="lac-count">{_render.esc(count_text(store, block, region))}</p>'
    ]
    if block.periods and block.rows["value"].notna().any():

        def chart_html() -> str:
            chart = region_chart(
                block.rows,
                measure=indicator_heading(ind),
                region=region,
                periods=block.periods,
                decimals=ind.decimals,
                highlight=highlight,
            )
            return _render.figure_html(chart, number=1, fig_id="region-figure-1")

        parts.append(
            store.cached(("region-chart", region, ind.id, highlight), chart_html)
        )
    table = block_html(block, "region-table", regions=False)
    parts.append(f'<div class="lac-table-scroll">{table}</div>')
    key = "".join(f"<li>{_render.esc(line)}</li>" for line in table_key([block]))
    parts.append(f'<div class="lac-key"><h2>Key</h2><ul>{key}</ul></div>')
    return "\n".join(parts)
