"""The page state in a URL, and the pages rendered on the server without JavaScript.

``/table/profile`` and ``/table/measure`` read the same query string as the
Shiny pages (:func:`page_state`), check what it names against the store
(:func:`check_profile_query`, :func:`check_measure_query`: 404 for what the store
lacks, 400 for a malformed query) and render the core tables with Jinja.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render, _views
from lacompare.errors import LacompareError, StoreBusy

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.dashboard._state import DashboardStore

PAGES = ("profile", "measure", "relationships", "data")
#: Measures the no-JavaScript picker lists at most (a national store has
#: thousands, some with labels of hundreds of characters).
MEASURE_OPTIONS = 200


def page_state(params: Any) -> dict[str, Any]:
    """The page state from a query string (Starlette's ``QueryParams`` or a dict).

    Examples
    --------
    >>> page_state({"page": "measure", "measure": "idaci_average_score"})["measure"]
    'idaci_average_score'
    """

    def one(key: str) -> str | None:
        value = params.get(key)
        return str(value).strip() or None if value is not None else None

    many = (
        params.getlist("m")
        if hasattr(params, "getlist")
        else list(params.get("m") or [])
    )
    page = one("page")
    return {
        "page": page if page in PAGES else "profile",
        "la": one("la"),
        "m": [m for m in many if m],
        "measure": one("measure"),
        "period": one("period"),
        "group": one("group"),
        "highlight": one("highlight"),
        "x": one("x"),
        "y": one("y"),
        "target": one("target"),
        # The profile's trend charts from zero (zero=1), else fitted to the values.
        "zero": "1" if one("zero") in ("1", "true", "on", "yes") else None,
    }


def profile_query(state: dict[str, Any], **extra: Any) -> str:
    """The profile's part of the page state as a query string."""
    return _render.query_string(
        {"la": state["la"], "m": state["m"], "zero": state.get("zero"), **extra}
    )


def measure_query(state: dict[str, Any], **extra: Any) -> str:
    """The explorer's part of the page state as a query string."""
    keys = ("measure", "period", "group", "highlight")
    return _render.query_string({**{k: state[k] for k in keys}, **extra})


#: The explorer's CSV (:func:`lacompare.analysis.compare`'s table): its columns
#: in groups, as the page's "About this download" lists them.
MEASURE_CSV_COLUMNS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("la_code", "la_name"), "the authority: ONS code and name"),
    (
        ("measure", "label", "unit", "polarity"),
        "the measure: its id, name and unit; polarity says whether higher is "
        "better, worse or neither",
    ),
    (("period", "breakdown"), "the period compared and the breakdown ('' = total)"),
    (
        ("value", "missing_reason"),
        "the authority's figure, unrounded (the table rounds it as the catalogue "
        "says); where there is none, why: suppressed [c], not-available [x], "
        "not-applicable [z]…",
    ),
    (
        ("joint_return", "joint_counted"),
        "a figure published jointly for several authorities: with whom, and "
        "whether this row is the one counted (once) among authorities",
    ),
    (
        ("n", "authorities_mean", "authorities_sd"),
        "authorities with a value, their mean and standard deviation",
    ),
    (
        ("neighbour_set", "neighbours_n", "neighbours_mean", "neighbours_median"),
        "the statistical neighbour set used, how many neighbours have a value, "
        "their mean and median",
    ),
    (
        ("region", "region_value", "region_source", "england_value", "england_source"),
        "the region's and England's figures, and whether each is published or "
        "computed from authorities",
    ),
    (
        ("rank", "rank_of", "rank_order", "quartile"),
        "rank among rank_of authorities (rank_order: 1 is the best, or the "
        "highest for a neutral measure) and quartile band A-D",
    ),
    (
        ("z", "flag", "flag_level", "test"),
        "the z-score and the verdict: above, below or within at the 95% or "
        "99.8% level, by the test named",
    ),
    (
        ("lower_95", "upper_95", "lower_998", "upper_998"),
        "funnel limits (derived rates only)",
    ),
)

#: The profile's XLSX: its sheets, as the page's "About this download" lists them.
PROFILE_XLSX_SHEETS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("Headline values",),
        "one row per measure: measure, measure id, period, unit, the authority's "
        "value, neighbours' average, region, England, rank, of authorities, "
        "quartile band, polarity, significantly different and the test; "
        "numbers unrounded",
    ),
    (
        ("Years …",),
        "one sheet per measure: period, the authority's value, significantly "
        "different that year (▲ higher, ▼ lower), neighbours' average, region, "
        "England, lower and upper quartile of authorities",
    ),
    (
        ("Sources",),
        "the files and loads behind every figure",
    ),
)


def about_download(
    groups: tuple[tuple[tuple[str, ...], str], ...], columns: Any = None
) -> list[tuple[str, str]]:
    """The "About this download" list: (names, meaning) for each group with a
    column in ``columns`` (all when None), then any column no group names.

    Examples
    --------
    >>> about_download(MEASURE_CSV_COLUMNS, ["la_code", "la_name", "extra"])
    [('la_code, la_name', 'the authority: ONS code and name'), ('extra', '')]
    """
    have = None if columns is None else [str(c) for c in columns]
    out = [
        (", ".join(n for n in names if have is None or n in have), meaning)
        for names, meaning in groups
        if have is None or any(n in have for n in names)
    ]
    named = {n for names, _ in groups for n in names}
    return out + [(c, "") for c in (have or []) if c not in named]


def render_table_page(
    page: str, title: str, state: dict[str, Any], **context: Any
) -> str:
    """A server-rendered page: its form, downloads, body or error."""
    return _render.render_page(
        "page.html.j2",
        page=page,
        title=title,
        profile_query=profile_query(state),
        measure_query=measure_query(state),
        app_query=_render.query_string(
            {"page": page, **{k: v for k, v in state.items() if k != "page"}}
        ),
        **{
            "fields": [],
            "hidden": [],
            "downloads": [],
            "about": [],
            "about_what": "",
            "body": "",
            "error": "",
            **context,
        },
    )


class PageError(LacompareError):
    """A page's query cannot be answered: the message and the HTTP status.

    404 when what the query names (an authority, measure, period, region or
    neighbour group) is not in the store, 400 when the query itself is malformed.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@contextmanager
def missing_is_404() -> Iterator[None]:
    """Turn a failed look-up of what the URL names into a 404."""
    try:
        yield
    except (PageError, StoreBusy):
        raise  # a store being written is not a page that is missing
    except LacompareError as exc:
        page = PageError(str(exc), 404)
        # A refused authority's suggestions go with it, for the page to link.
        page.suggestions = getattr(exc, "suggestions", ())  # type: ignore[attr-defined]
        page.reason = getattr(exc, "reason", "")  # type: ignore[attr-defined]
        raise page from None


def check_profile_query(store: DashboardStore, state: dict[str, Any]) -> str:
    """The ONS code of the profile's authority; :class:`PageError` (404) if the
    authority or a measure is not in the store, (400) if a measure is named twice.
    """
    with missing_is_404():
        code = _views.find_authority(store, state["la"])
        for key in state["m"]:
            _views.catalogue_entry(store, key)
    if len(set(state["m"])) < len(state["m"]):
        raise PageError("a measure is named twice: " + ", ".join(state["m"]))
    return code


def check_measure_query(store: DashboardStore, state: dict[str, Any]) -> None:
    """Check the explorer's measure, period, group and highlight against the
    store: :class:`PageError` 404 for what is not there, 400 for a malformed group.
    """
    with missing_is_404():
        entry = _views.catalogue_entry(store, state["measure"])
        if state["period"] and state["period"] not in entry["periods"]:
            raise LacompareError(
                f"{entry['label']} has no values for period {state['period']!r}; "
                f"periods: {', '.join(entry['periods'])}"
            )
        if state["highlight"]:
            _views.find_authority(store, state["highlight"])
    group = state["group"]
    if not group or group == _views.ENGLAND:
        return
    kind, _, name = group.partition(":")
    if kind not in ("region", "neighbours") or not name:
        raise PageError(
            f"comparison group {group!r}: choose england, region:NAME "
            "or neighbours:AUTHORITY"
        )
    if group not in dict(_views.group_choices(store)):
        what = "region" if kind == "region" else "neighbour group for"
        raise PageError(f"no {what} {name!r} in the store", 404)


def region_page_link(region: str | None, key: str | None) -> tuple[str, str] | None:
    """A link to the regional page for a measure key (its catalogue indicator)
    and a region (None: the page's first); None if the key is in no indicator.

    Examples
    --------
    >>> region_page_link("North East", "cla_rate_per_10000")[1]
    '/region?name=North+East&measure=cla_rate_per_10000'
    >>> region_page_link("North East", "no_such_measure") is None
    True
    """
    from lacompare.catalogue import indicator_for_key, read_catalogue

    ids = {ind.id for ind in read_catalogue()}
    ind_id = key if key in ids else None
    if ind_id is None and key:
        found = indicator_for_key(key)
        ind_id = found.id if found else None
    if ind_id is None:
        return None
    where = region or "a region"
    return (
        f"Every authority in {where} over time (regional page)",
        "/region?" + _render.query_string({"name": region, "measure": ind_id}),
    )


def authority_region(store: DashboardStore, code: str | None) -> str | None:
    """The region of an authority's store key, if the store knows it."""
    if not code:
        return None
    choices = _views.authority_choices(store)
    hit = choices.loc[choices["la_code"] == code, "region"]
    return str(hit.iloc[0]) if len(hit) and isinstance(hit.iloc[0], str) else None


def _downloads(what: str, view: str, query: Any, formats: tuple[str, ...]) -> list:
    return [
        (f"Download {what} ({fmt.upper()})", f"/download/{view}?{query(fmt)}")
        for fmt in formats
    ]


# ------------------------------------------------------------------ the profile


def profile_table_page(store: DashboardStore, params: Any) -> tuple[int, str]:
    """``/table/profile``: one authority's profile as tables and text.

    Returns the HTTP status and the page: 200, or 404/400 with the error in one
    line when the query names something the store lacks or is malformed.
    """
    from markupsafe import Markup

    state = page_state(params)
    choices = _views.authority_choices(store)
    fields = [
        {
            "id": "la",
            "name": "la",
            "label": "Authority",
            "value": state["la"],
            "choices": list(zip(choices["la_code"], choices["la_name"], strict=True)),
        }
    ]
    hidden = [("m", m) for m in state["m"]] + [("zero", "1")] * bool(state["zero"])
    form = {"fields": fields, "hidden": hidden}
    try:
        if not state["la"]:
            if not len(choices):
                raise PageError(
                    "the store has no values yet: load a file on "
                    "the Data page (or lacompare ingest)",
                    404,
                )
            state["la"] = str(choices["la_code"].iloc[0])
        code = check_profile_query(store, state)
        fields[0]["value"] = code
        with missing_is_404():
            # The authority exists; a profile can still find no value for it.
            doc = _views.profile_document(
                store, code, state["m"] or None, zero=bool(state["zero"])
            )
        body = store.cached(
            ("profile-html", tuple(state["m"]), code, False, state["zero"]),
            lambda: _render.document_html(doc, interactive=False),
        )
        first = (state["m"] or _views.default_profile_measures(store) or [None])[0]
        link = region_page_link(authority_region(store, code), first)
        return 200, render_table_page(
            "profile",
            doc.title,
            state,
            **form,
            action="/table/profile",
            body=Markup(body),
            links=[link] if link else [],
            downloads=_downloads(
                "the profile",
                "profile",
                lambda fmt: profile_query(state, format=fmt),
                ("pdf", "xlsx"),
            ),
            about=about_download(PROFILE_XLSX_SHEETS),
            about_what="The XLSX has a sheet per table of the profile; the main ones:",
        )
    except LacompareError as exc:
        status = getattr(exc, "status", 400)  # PageError's, or StoreBusy's 503
        # A refused name offers the authorities meant, never shows another one.
        return status, render_table_page(
            "profile",
            "Authority profile",
            state,
            **form,
            action="/table/profile",
            error=Markup(
                _render.error_html(str(exc))
                + _render.suggestions_html(exc, "/table/profile")
            ),
        )


# ------------------------------------------------------------ the measure table


def measure_options(
    cat: Any, search: str, current: str | None
) -> list[tuple[str, str]]:
    """(key, label) of the measures the no-JS picker offers: those whose label or
    key holds every word of ``search`` (no search: the headline measures first),
    at most :data:`MEASURE_OPTIONS`, the current measure always among them.

    Examples
    --------
    >>> import pandas as pd
    >>> cat = pd.DataFrame({"key": ["a", "cla"], "label": ["Alpha", "CLA rate"]})
    >>> measure_options(cat, "rate", None)
    [('cla', 'CLA rate')]
    """
    words = search.lower().split()
    text = (cat["label"].astype(str) + " " + cat["key"].astype(str)).str.lower()
    hit = cat[[all(w in t for w in words) for t in text]] if words else cat
    keys = list(hit["key"])
    if not words:
        headline = [k for _, k in _views.read_headline_measures() if k in set(keys)]
        keys = list(dict.fromkeys(headline + keys))
    keys = keys[:MEASURE_OPTIONS]
    if current and current not in keys and current in set(cat["key"]):
        keys.insert(0, current)
    labels = dict(zip(cat["key"], cat["label"], strict=True))
    return [(k, str(labels[k])) for k in keys]


def measure_fields(
    cat: pd.DataFrame, search: str, measure: str | None
) -> list[dict[str, Any]]:
    """The no-JS explorer's first fields: the search words and the measure."""
    return [
        {
            "id": "q",
            "name": "q",
            "label": "Search the measures",
            "value": search,
            "hint": "Words from the measure's name; Show lists those that match.",
        },
        {
            "id": "measure",
            "name": "measure",
            "label": "Measure",
            "value": measure,
            "choices": measure_options(cat, search, measure),
        },
    ]


def choose_measure(
    store: DashboardStore,
    cat: pd.DataFrame,
    search: str,
    state: dict[str, Any],
    fields: list[dict[str, Any]],
) -> pd.Series:
    """The measure the query names, or the search's first match; the catalogue
    entry, with the measure field set to it (404 when nothing matches)."""
    if not state["measure"] and not len(cat):
        raise PageError(_views.NO_MEASURES, 404)
    hits = measure_options(cat, search, None)
    if search and not hits:
        raise PageError(f"no measure matches {search!r}", 404)
    if not state["measure"] or (search and state["measure"] not in dict(hits)):
        # A search picks its first match, as the list now offers.
        state["measure"] = str(hits[0][0])
    fields[1]["value"] = state["measure"]
    fields[1]["choices"] = measure_options(cat, search, state["measure"])
    check_measure_query(store, state)
    entry = _views.catalogue_entry(store, state["measure"])
    fields[1]["value"] = entry["key"]
    if entry["key"] not in [k for k, _ in fields[1]["choices"]]:
        fields[1]["choices"].insert(0, (entry["key"], entry["label"]))
    return entry


def period_group_fields(
    store: DashboardStore, state: dict[str, Any], entry: pd.Series
) -> list[dict[str, Any]]:
    """The no-JS explorer's period and comparison-group fields."""
    return [
        {
            "id": "period",
            "name": "period",
            "label": "Period",
            "value": state["period"] or entry["periods"][-1],
            "choices": [(p, p) for p in reversed(entry["periods"])],
        },
        {
            "id": "group",
            "name": "group",
            "label": "Comparison group",
            "value": state["group"] or _views.ENGLAND,
            "choices": _views.group_choices(store),
        },
    ]


def measure_table_page(store: DashboardStore, params: Any) -> tuple[int, str]:
    """``/table/measure``: one measure across authorities as a ranked table.

    Returns the HTTP status and the page, as :func:`profile_table_page`.
    """
    from markupsafe import Markup

    state = page_state(params)
    cat = _views.measure_catalogue(store)
    search = str(params.get("q") or "").strip()
    fields = measure_fields(cat, search, state["measure"])
    try:
        entry = choose_measure(store, cat, search, state, fields)
        fields += period_group_fields(store, state, entry)
        with missing_is_404():
            view = _views.measure_view(
                store,
                state["measure"],
                state["period"],
                state["group"],
                state["highlight"],
            )
        body = store.cached(
            ("measure-html", state["measure"], view.period, view.group),
            lambda: _render.table_fragment(_views.measure_table(view), "measure-table"),
        )
        notes = "".join(f'<p class="lac-note">{_render.esc(n)}</p>' for n in view.notes)
        region = (
            view.group.split(":", 1)[1]
            if view.group.startswith("region:")
            else authority_region(store, _highlight_code(view))
        )
        link = region_page_link(region, state["measure"])
        return 200, render_table_page(
            "measure",
            view.title,
            state,
            fields=fields,
            action="/table/measure",
            body=Markup(body + notes),
            links=[link] if link else [],
            downloads=_downloads(
                "the table",
                "measure",
                lambda fmt: measure_query(state, format=fmt),
                ("csv", "xlsx"),
            ),
            about=about_download(MEASURE_CSV_COLUMNS, view.shown.columns),
            about_what="The CSV has one row per authority shown; its columns:",
        )
    except LacompareError as exc:
        status = getattr(exc, "status", 400)  # PageError's, or StoreBusy's 503
        return status, render_table_page(
            "measure",
            "Measure explorer",
            state,
            fields=fields,
            action="/table/measure",
            error=Markup(_render.error_html(str(exc))),
        )


def _highlight_code(view: Any) -> str | None:
    """The code of the view's highlighted authority, if any."""
    if not view.highlight:
        return None
    hit = view.table.loc[view.table["la_name"] == view.highlight, "la_code"]
    return str(hit.iloc[0]) if len(hit) else None
