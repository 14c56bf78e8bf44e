"""What the Shiny pages share: the choices a page opens with, and small UI parts.

:func:`page_choices_for` reads the page state of a request (a shared link's
query string) against the store's lists: the picked authority, measures,
period, group and so on, each the link's choice when the store has it, else the
default; what a link names that the store lacks is said in ``problems``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render, _views
from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from lacompare.dashboard._state import DashboardStore

#: Seconds between a session's looks at the store for loads by other processes.
WATCH_SECONDS = 3.0


def key_labels(frame: Any, key: str, label: str) -> dict[str, str]:
    """``{key: label}`` from two columns of a frame."""
    return dict(zip(frame[key].astype(str), frame[label].astype(str), strict=True))


def only(choices: dict[str, str], *keys: Any) -> dict[str, str]:
    """The chosen options alone.

    Selectize inputs carry only their chosen options in the page; the full
    lists follow over the websocket (update_selectize) once the session starts:
    htmltools would take a second to render 450 measures' options.
    """
    return {k: choices[k] for k in keys if k in choices}


def failure(exc: Exception) -> Any:
    """An error as the output's HTML (role=alert)."""
    from shiny import ui

    return ui.HTML(_render.error_html(str(exc)))


def download_links(
    view: str,
    what: str,
    query: str,
    formats: tuple[str, ...],
    extra: tuple[tuple[str, str] | None, ...] = (),
) -> Any:
    """Download links for a view in each format, its no-JavaScript table, and
    ``extra`` (text, address) links (None ones left out)."""
    from shiny import ui

    items = [
        ui.tags.li(
            ui.tags.a(
                f"Download {what} ({fmt.upper()})",
                href=f"/download/{view}?{query}&format={fmt}",
                download="",
            )
        )
        for fmt in formats
    ]
    items.append(
        ui.tags.li(
            ui.tags.a(
                "Table view (works without JavaScript)", href=f"/table/{view}?{query}"
            )
        )
    )
    items += [
        ui.tags.li(ui.tags.a(text, href=href)) for text, href in filter(None, extra)
    ]
    return ui.tags.ul(
        *items, class_="lac-downloads", **{"aria-label": "Downloads and views"}
    )


@dataclass
class Shared:
    """What a session's page servers share: the store, the store version the
    session has shown, and the step that refreshes every picker's list."""

    store: DashboardStore
    version: Any
    refresh_choices: Callable[[], None] = lambda: None


@dataclass
class PageChoices:
    """The options a page opens with and what is picked in each."""

    la_choices: dict[str, str]
    m_choices: dict[str, str]
    la: str | None = None
    picked: list[str] = field(default_factory=list)
    measure: str | None = None
    periods: list[str] = field(default_factory=list)
    period: str | None = None
    groups: dict[str, str] = field(default_factory=dict)
    group: str = _views.ENGLAND
    highlight: str = ""
    targets: dict[str, str] = field(default_factory=dict)
    x: str | None = None
    y: str | None = None
    target: str | None = None
    problems: list[str] = field(default_factory=list)


def pick_authority(
    store: DashboardStore, wanted: str | None, la_choices: dict[str, str]
) -> tuple[str | None, list[str]]:
    """The authority a link names, resolved any way the registry knows
    (la=St.Helens), else the first; a name that resolves to nothing is said, not
    replaced silently by another authority."""
    problems: list[str] = []
    la = wanted
    if la and la not in la_choices:
        try:
            la = _views.find_authority(store, la)
        except LacompareError as exc:
            problems.append(f"la={wanted}: {exc}")
        if la not in la_choices:
            if not problems:
                name = _views.authority_name(store, str(la))
                problems.append(f"la={wanted}: {name} has no values in this store")
            la = None
    return la or next(iter(la_choices), None), problems


def pick_measures(store: DashboardStore, state: dict[str, Any], c: PageChoices) -> None:
    """The profile's measures, the explorer's measure and period, and the
    measures a link names that the store lacks (into ``c.problems``)."""
    m_choices = c.m_choices
    c.picked = [m for m in state["m"] if m in m_choices] or [
        m for m in _views.default_profile_measures(store) if m in m_choices
    ]
    named = [(k, state[k]) for k in ("measure", "x", "y", "target")]
    for key, value in named + [("m", m) for m in state["m"]]:
        if value and value not in m_choices:
            c.problems.append(f"{key}={value}: no measure {value!r} in the store")
    # With none asked for, the explorer opens on the first headline indicator
    # (children looked after), not the alphabetically first measure.
    c.measure = (
        state["measure"]
        if state["measure"] in m_choices
        else next(iter(c.picked), next(iter(m_choices), None))
    )
    if c.measure:
        c.periods = list(reversed(_views.catalogue_entry(store, c.measure)["periods"]))
    c.period = (
        state["period"]
        if state["period"] in c.periods
        else (c.periods[0] if c.periods else None)
    )


def pick_relationship(
    store: DashboardStore, state: dict[str, Any], c: PageChoices
) -> None:
    """The two measures of the scatter and the spend measure to model."""
    m_choices = c.m_choices
    c.targets = {k: m_choices[k] for k in _views.spend_targets(store)}
    c.x = (
        state["x"]
        if state["x"] in m_choices
        else _context_measure(c.picked) or next(iter(m_choices), None)
    )
    y_default = [k for k in c.targets if k != c.x] or [k for k in m_choices if k != c.x]
    c.y = (
        state["y"] if state["y"] in m_choices else (y_default[0] if y_default else None)
    )
    c.target = (
        state["target"] if state["target"] in c.targets else next(iter(c.targets), None)
    )


def _context_measure(keys: list[str]) -> str | None:
    """The first of the headline keys the catalogue files under Context
    (deprivation): the scatter's default across, spend per child being up."""
    from lacompare.catalogue import indicator_for_key

    for key in keys:
        ind = indicator_for_key(key)
        if ind is not None and ind.topic == "Context":
            return key
    return None


def page_choices_for(store: DashboardStore, state: dict[str, Any]) -> PageChoices:
    """Every picker's options and choice for a request's page state."""
    la_choices = key_labels(_views.authority_choices(store), "la_code", "la_name")
    m_choices = key_labels(_views.measure_catalogue(store), "key", "label")
    c = PageChoices(la_choices, m_choices)
    c.la, c.problems = pick_authority(store, state["la"], la_choices)
    pick_measures(store, state, c)
    c.groups = dict(_views.group_choices(store))
    c.group = state["group"] if state["group"] in c.groups else _views.ENGLAND
    c.highlight = state["highlight"] if state["highlight"] in la_choices else ""
    pick_relationship(store, state, c)
    return c
