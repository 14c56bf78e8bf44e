"""The create-your-own pages: ``/create`` (the form) and ``/table/custom`` (the table).

Both are plain HTML rendered on the server (a GET form, so the URL holds every
choice); ``/create`` adds a small script that filters the indicator list as one
types, and works without it (its Search button reloads the page filtered).
Numbers print through :mod:`lacompare.formatting`: rounded to the catalogue's
decimals, right-aligned, a missing figure as the publisher's symbol with a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render
from lacompare.dashboard._custom import (
    DEFAULT_PERIODS,
    Block,
    CustomQuery,
    authority_table,
    custom_blocks,
    getlist,
    offered_indicators,
    parse_custom_query,
    parse_periods,
)
from lacompare.dashboard._pages import PageError
from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from lacompare.dashboard._state import DashboardStore

#: The years the form offers.
PERIOD_CHOICES = [
    ("latest:1", "The latest year"),
    ("latest:3", "The latest 3 years"),
    ("latest:5", "The latest 5 years"),
    ("latest:10", "The latest 10 years"),
    ("all", "Every year"),
]
#: The download's columns, documented on the page (and in the XLSX notes).
DOWNLOAD_COLUMNS = [
    ("indicator_id", "the catalogue's id of the indicator (measure= in the URL)"),
    ("indicator", "the indicator's name"),
    ("unit", "what the value counts or measures"),
    ("area_type", "authority, region or england"),
    ("area_code", "ONS code (a former authority's own code, or dfe:NNN)"),
    ("area_name", "the authority's, region's or country's name"),
    ("region", "the authority's region"),
    ("period", "the year, as the publisher labels it"),
    (
        "value",
        "rounded to the catalogue's decimal places; a missing figure is the "
        "publisher's symbol ([c], [x], [z], – …, see the key)",
    ),
    ("value_unrounded", "the figure as stored, not rounded (empty when missing)"),
    ("missing_reason", "why a figure is missing, in words"),
    ("published", "true for the publisher's figure, false for one computed"),
    ("computed", "true where lacompare computed a region or England figure"),
    ("source_measure", "the store measure the figure was read from"),
    ("note", "how a region or England figure was obtained"),
]


def custom_query_string(params: Any) -> str:
    """The selection's part of a query string (``measure``, ``la``, ``region``,
    ``group``, ``periods``), each key repeated as given."""
    keys = ("measure", "la", "region", "group", "periods", "period")
    return _render.query_string({k: getlist(params, k) for k in keys})


def cell_text(value: Any, reason: Any, unit: str, decimals: int, mark: bool) -> str:
    """A cell: the number rounded as the catalogue says, or the missing symbol.

    Examples
    --------
    >>> cell_text(183.5909138, None, "per 10,000 children", 1, False)
    '183.6'
    >>> cell_text(float("nan"), "suppressed", "%", 0, False)
    '[c]'
    >>> cell_text(40.26, None, "%", 0, True)
    '40†'
    """
    from lacompare.formatting import format_missing, format_number, is_missing

    if is_missing(value):
        return format_missing(None if is_missing(reason) else reason)
    return format_number(value, unit, decimals) + ("†" if mark else "")


def block_html(block: Block, table_id: str, regions: bool) -> str:
    """One indicator as an accessible table: areas as rows, periods as columns."""
    esc = _render.esc
    ind = block.indicator
    caption = indicator_heading(ind)
    right = ' class="lac-num"'
    head = ['<th scope="col">Area</th>']
    if regions:
        head.append('<th scope="col">Region</th>')
    head += [f'<th scope="col"{right}>{esc(p)}</th>' for p in block.periods]
    # The caption names the table for screen readers; the heading shows it at
    # the page's width (a caption wraps at the table's).
    out = [
        f'<h2 class="lac-table-title" id="{esc(table_id)}-title">{esc(caption)} '
        f'<span class="lac-hint">{esc(ind.year_type)}</span></h2>',
        f'<table id="{esc(table_id)}" class="lac-custom" '
        f'aria-describedby="{esc(table_id)}-notes">',
        f'<caption class="lac-visually-hidden">{esc(caption)}</caption>',
        "<thead><tr>" + "".join(head) + "</tr></thead>",
    ]
    rows = block.rows
    for kind in ("authority", "totals"):
        part = rows[
            (rows["area_type"] == "authority")
            if kind == "authority"
            else (rows["area_type"] != "authority")
        ]
        if not len(part):
            continue
        out.append(f'<tbody class="lac-{kind}">')
        for code, area in part.groupby("area_code", sort=False):
            first = area.iloc[0]
            cells = [f'<th scope="row">{esc(str(first["area_name"]))}</th>']
            if regions:
                cells.append(f"<td>{esc(str(first['region'] or ''))}</td>")
            by_period = area.set_index("period")
            for p in block.periods:
                r = by_period.loc[p]
                text = cell_text(
                    r["value"],
                    r["missing_reason"],
                    ind.unit,
                    ind.decimals,
                    bool(r["computed"]),
                )
                cells.append(f"<td{right}>{esc(text)}</td>")
            out.append(f'<tr data-area="{esc(str(code))}">' + "".join(cells) + "</tr>")
        out.append("</tbody>")
    out.append("</table>")
    notes = "".join(f"<li>{esc(n)}</li>" for n in block.notes)
    out.append(
        f'<div class="lc-table-notes" id="{esc(table_id)}-notes">'
        + (f"<ul>{notes}</ul>" if notes else "")
        + f"<p>{esc(ind.description)}</p></div>"
    )
    return "\n".join(out)


def indicator_heading(ind: Any) -> str:
    """An indicator's name with its unit, once.

    Examples
    --------
    >>> from lacompare.catalogue import get_indicator
    >>> indicator_heading(get_indicator("social_worker_turnover_rate"))
    'Social worker turnover rate (%)'
    >>> indicator_heading(get_indicator("cla_rate_per_10000"))
    'Children looked after per 10,000 children'
    >>> indicator_heading(get_indicator("cla_weekly_unit_cost"))
    'Children looked after weekly unit cost, S251 (£)'
    >>> indicator_heading(get_indicator("population_0_17"))
    'Children aged 0 to 17 (persons)'
    """
    from lacompare.formatting.tables import Column

    label = str(ind.label)
    unit = str(ind.unit or "")
    # A label that already ends with its unit in brackets ("..., S251 (£)")
    # is not given a second one.
    if not unit or unit.lower() in label.lower() or label.rstrip().endswith(")"):
        return label
    return Column("x", label, unit=unit).heading


def table_key(blocks: list[Block]) -> list[str]:
    """The key: each missing symbol shown, once; † where a figure was computed."""
    from lacompare.formatting import missing_key

    reasons = []
    computed = False
    for b in blocks:
        if not len(b.rows):
            continue
        missing = b.rows[b.rows["value"].isna()]
        reasons += [None if r != r else r for r in missing["missing_reason"]]
        computed = computed or bool(b.rows["computed"].astype(bool).any())
    lines = [f"{s} {m}" for s, m in missing_key(reasons)]
    if computed:
        lines.append(
            "† computed by lacompare (no published figure): how is said under the table"
        )
    lines.append(
        "Figures are rounded to the decimal places the catalogue gives each "
        "indicator; the downloads also hold them unrounded."
    )
    return lines


def period_text(periods: str | list[str]) -> str:
    """The years asked for, in words.

    Examples
    --------
    >>> period_text("latest:5"), period_text("all"), period_text(["2023", "2024"])
    ('the latest 5 of each indicator', 'every year', '2023, 2024')
    """
    if periods == "all":
        return "every year"
    if isinstance(periods, str):
        n = int(periods.split(":", 1)[1])
        return (
            "the latest year of each indicator"
            if n == 1
            else (f"the latest {n} of each indicator")
        )
    return ", ".join(periods)


def custom_table_page(store: DashboardStore, params: Any) -> tuple[int, str]:
    """``/table/custom``: the chosen indicators × authorities × years.

    Returns the status and the page: 200, or 400 with the problem in one line
    (an unknown authority or indicator, nothing chosen), never a traceback.
    """
    from markupsafe import Markup

    query = custom_query_string(params)
    context: dict[str, Any] = {"page": "create", "query": query, "downloads": []}
    try:
        q = parse_custom_query(store, params)
        blocks = store.cached(("custom", query), lambda: custom_blocks(store, q))
    except LacompareError as exc:
        status = getattr(exc, "status", 400)
        return status, _render.render_page(
            "custom.html.j2",
            title="Create your own table",
            error=Markup(
                _render.error_html(str(exc))
                + _render.suggestions_html(exc, "/table/custom")
                + '<p><a href="/create">Start again on the Create your own page</a></p>'
            ),
            tables=[],
            **context,
        )
    regions = len({r for b in blocks for r in b.rows.get("region", [])} - {""}) > 1
    tables = [
        Markup(block_html(b, f"custom-table-{i}", regions))
        for i, b in enumerate(blocks, 1)
    ]
    context["downloads"] = [
        ("Download CSV", f"/table/custom.csv?{query}"),
        ("Download Excel (XLSX)", f"/table/custom.xlsx?{query}"),
    ]
    return 200, _render.render_page(
        "custom.html.j2",
        title=table_title(q),
        described="; ".join(q.described),
        period_text=period_text(q.periods),
        tables=tables,
        key=table_key(blocks),
        columns=DOWNLOAD_COLUMNS,
        **context,
    )


def table_title(q: CustomQuery) -> str:
    """The table's title: how many indicators and authorities.

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> table_title(N(indicators=[1, 2], authorities=["a", "b", "c"]))
    'Your table: 2 indicators, 3 authorities'
    """
    n_i, n_a = len(q.indicators), len(q.authorities)
    return (
        f"Your table: {n_i} indicator{'s' if n_i != 1 else ''}, "
        f"{n_a} authorit{'ies' if n_a != 1 else 'y'}"
    )


# ------------------------------------------------------------------ the form


def indicator_items(
    store: DashboardStore, search: str, chosen: set[str]
) -> tuple[list[tuple[str, list[dict[str, Any]]]], int, int]:
    """The indicators the form lists, by topic: those whose name, id, topic or
    unit hold every word searched for, and those already chosen."""
    words = search.lower().split()
    offered = offered_indicators(store)
    topics: dict[str, list[dict[str, Any]]] = {}
    shown = 0
    for ind, periods in offered:
        text = f"{ind.label} {ind.id} {ind.topic} {ind.unit}".lower()
        if words and ind.id not in chosen and not all(w in text for w in words):
            continue
        shown += 1
        span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
        topics.setdefault(ind.topic, []).append(
            {
                "id": ind.id,
                "label": ind.label,
                "unit": ind.unit,
                "periods": span,
                "words": text,
                "checked": ind.id in chosen,
            }
        )
    return list(topics.items()), shown, len(offered)


def authority_items(
    store: DashboardStore, chosen: set[str]
) -> list[tuple[str, list[dict[str, Any]], bool]]:
    """Current authorities by region, for the form's tick boxes (a region with
    one ticked is open)."""
    table = authority_table(store)
    current = table[table["current"]]
    out = []
    for region, part in current.groupby("region"):
        items = [
            {"code": c, "label": lab, "checked": c in chosen}
            for c, lab in zip(part["la_code"], part["label"], strict=True)
        ]
        out.append((str(region), items, any(i["checked"] for i in items)))
    return out


def group_options(store: DashboardStore) -> tuple[list, list]:
    """(value, text) of the regions and, if the store has a neighbour set, of
    each current authority's statistical neighbours."""
    table = authority_table(store)
    regions = [(f"region:{r}", r) for r in sorted(set(table["region"].dropna()))]
    with store.store() as s:
        from lacompare.analysis.neighbours import list_neighbour_sets

        has_set = len(list_neighbour_sets(s)) > 0
    current = table[table["current"]]
    neighbours = (
        [
            (f"neighbours:{c}", f"{n} and its statistical neighbours")
            for c, n in zip(current["la_code"], current["la_name"], strict=True)
        ]
        if has_set
        else []
    )
    return regions, neighbours


def create_page(store: DashboardStore, params: Any) -> tuple[int, str]:
    """``/create``: the form, its fields filled from the URL (a search keeps
    what is ticked)."""
    from markupsafe import Markup

    search = str(params.get("q") or "").strip()
    chosen_m = set(getlist(params, "measure"))
    chosen_la = set(getlist(params, "la"))
    groups = getlist(params, "group")
    try:
        periods = parse_periods(params)
        topics, shown, total = indicator_items(store, search, chosen_m)
        regions = authority_items(store, chosen_la)
        region_groups, neighbour_groups = group_options(store)
        error = ""
    except LacompareError as exc:
        status = getattr(exc, "status", 400)
        return status, _render.render_page(
            "custom.html.j2",
            title="Create your own table",
            page="create",
            query="",
            downloads=[],
            tables=[],
            error=Markup(_render.error_html(str(exc))),
        )
    if not total:
        error = Markup(
            _render.error_html(
                "the store has none of the catalogue's indicators yet: "
                "load files on the Data page (or lacompare build)"
            )
        )
    choices = list(PERIOD_CHOICES)
    if not isinstance(periods, str) or periods not in dict(choices):
        text = periods if isinstance(periods, str) else ",".join(periods)
        choices.insert(0, (text, f"As in the address: {text}"))
        periods = text
    return 200, _render.render_page(
        "create.html.j2",
        title="Create your own table",
        page="create",
        search=search,
        topics=topics,
        shown_count=shown,
        total_count=total,
        regions=regions,
        group=groups[0]
        if groups
        else ("all" if "all" in {c.lower() for c in chosen_la} else ""),
        region_groups=region_groups,
        neighbour_groups=neighbour_groups,
        period_choices=choices,
        periods=periods or DEFAULT_PERIODS,
        error=error,
    )


def check_custom(store: DashboardStore, params: Any) -> CustomQuery:
    """The query of a download, checked as the page checks it."""
    q = parse_custom_query(store, params)
    if not q.indicators:
        raise PageError("choose at least one indicator (measure=ID)")
    return q
