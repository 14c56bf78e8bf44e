"""The neighbour-sets page: one authority's statistical neighbours in each set.

``/neighbours?la=Leeds`` shows, side by side, the authority's neighbours in
DfE's sets in the store (2021 and 2025 models) and a set computed by lacompare
(the store's own computed set, else one computed on
:data:`lacompare.analysis.neighbours.DEFAULT_RECIPE` without writing it), with
who joined, who left and whose rank moved from one set to the next. It is plain
HTML: it needs no JavaScript. Every figure comes from
:func:`lacompare.analysis.neighbours.neighbour_changes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render
from lacompare.dashboard._pages import PageError
from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from lacompare.analysis.neighbours import NeighbourChanges
    from lacompare.dashboard._state import DashboardStore

#: The authority shown when the address names none.
DEFAULT_AUTHORITY = "Leeds"

_CHANGE_WORDS = {
    "joined": "joined",
    "left": "left",
    "same": "same rank",
}


def set_heading(rec: Any) -> str:
    """A set's column heading: DfE's by model year, a computed one as such.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> set_heading(NS(set_id="dfe-2025", method="published", valid_for="2025-26"))
    'DfE 2025'
    >>> set_heading(NS(set_id="computed", method="computed", valid_for=None))
    'Computed'
    >>> set_heading(NS(set_id="mine", method="computed", valid_for=None))
    'Computed (mine)'
    """
    sid = str(rec.set_id)
    if sid.startswith("dfe-") and sid[4:].isdigit():
        return f"DfE {sid[4:]}"
    if rec.method == "computed":
        return "Computed" if sid == "computed" else f"Computed ({sid})"
    return sid


def change_text(row: Any) -> str:
    """A change in words: joined, left, same rank, or how far it moved.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> change_text(NS(change="closer", places=4, rank_from=9, rank_to=5))
    'moved 9 → 5 (4 places closer)'
    >>> change_text(NS(change="further", places=-1, rank_from=1, rank_to=2))
    'moved 1 → 2 (1 place further)'
    >>> change_text(NS(change="joined", places=None, rank_from=None, rank_to=3))
    'joined'
    """
    if row.change in _CHANGE_WORDS:
        return _CHANGE_WORDS[row.change]
    n = abs(int(row.places))
    word = "closer" if row.change == "closer" else "further"
    return (
        f"moved {int(row.rank_from)} → {int(row.rank_to)} "
        f"({n} place{'s' if n != 1 else ''} {word})"
    )


def authority_choices(state: DashboardStore) -> list[tuple[str, str]]:
    """Authorities with neighbours in any set: (key, name), by name. One that
    ended is named with the year it ended (Cumbria (until 2023)); one recoded
    with no change of area (North Yorkshire, Somerset 2023) is listed once,
    under today's code, as the comparison matches it across the sets."""

    def compute() -> list[tuple[str, str]]:
        import pandas as pd

        with state.store() as store:
            frame = store.query(
                "SELECT DISTINCT n.la_code, coalesce(a.la_name, n.la_code) AS name, "
                "a.valid_to, coalesce(a.successors, '') AS successors "
                "FROM neighbours n LEFT JOIN authorities a USING (la_code)"
            )
        listed = set(frame["la_code"])
        out = []
        for rec in frame.itertuples(index=False):
            after = [c for c in str(rec.successors).split(";") if c]
            gone = not pd.isna(rec.valid_to)
            if gone and len(after) == 1 and after[0] in listed:
                continue
            ended = f" (until {str(rec.valid_to)[:4]})" if gone else ""
            out.append((str(rec.la_code), f"{rec.name}{ended}"))
        return sorted(out, key=lambda pair: pair[1])

    return state.cached(("neighbour-authorities",), compute)


def changes_for(state: DashboardStore, la: str) -> NeighbourChanges:
    """The comparison for an authority, cached by store version."""
    from lacompare.analysis.neighbours import neighbour_changes

    def compute() -> NeighbourChanges:
        with state.store() as store:
            return neighbour_changes(store, la, add_computed=True)

    return state.cached(("neighbour-changes", la.strip().lower()), compute)


def vintage_note(changes: NeighbourChanges) -> str:
    """Which DfE sets the store holds, said plainly when one is missing."""
    dfe = [
        str(s)
        for s in changes.sets["set_id"]
        if str(s).startswith("dfe-") and str(s)[4:].isdigit()
    ]
    if len(dfe) >= 2:
        return (
            f"DfE's {' and '.join(d[4:] for d in dfe)} statistical neighbour "
            "models are both in this store."
        )
    if len(dfe) == 1:
        other = "2021" if dfe[0] != "dfe-2021" else "2025"
        return (
            f"Only DfE's {dfe[0][4:]} model is in this store, so it is compared "
            f"with the computed set only (load the {other} model: lacompare "
            f"neighbours load dfe-{other} --set-id dfe-{other})."
        )
    return "No DfE statistical neighbour set is in this store."


def side_by_side_html(changes: NeighbourChanges) -> str:
    """The table: one row per neighbour in any set, its rank in each set, and
    what changed between consecutive sets."""
    from lacompare.formatting import format_missing, format_value

    esc = _render.esc
    sets = [r for r in changes.sets.itertuples(index=False) if r.present]
    pairs = list(
        dict.fromkeys(
            zip(changes.changes["from_set"], changes.changes["to_set"], strict=True)
        )
    )
    heads = {r.set_id: set_heading(r) for r in changes.sets.itertuples(index=False)}
    none = format_missing(None)
    cols = "".join(
        f'<th scope="col" class="lac-num">{esc(heads[r.set_id])} rank</th>'
        for r in sets
    )
    cols += "".join(
        f'<th scope="col">Change, {esc(heads[a])} to {esc(heads[b])}</th>'
        for a, b in pairs
    )
    lookup = {
        (row.from_set, row.to_set, row.neighbour_code): change_text(row)
        for row in changes.changes.itertuples(index=False)
    }
    body = []
    for rec in changes.table.to_dict("records"):
        cells = [
            f'<th scope="row">{esc(str(rec["neighbour_name"]))}</th>',
            f"<td>{esc(str(rec['neighbour_region'] or none))}</td>",
        ]
        for r in sets:
            value = rec[r.set_id]
            missing = value is None or value != value  # NA or NaN
            text = none if missing else format_value(int(value), None, 0)
            cells.append(f'<td class="lac-num">{esc(text)}</td>')
        for a, b in pairs:
            text = lookup.get((a, b, rec["neighbour_code"]), "")
            cells.append(f"<td>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = (
        f"{changes.la_name}'s statistical neighbours in each set (rank 1 = "
        f"nearest; {none} = not a neighbour in that set)"
    )
    return (
        f'<div class="lac-table-scroll"><table id="neighbour-sets">'
        f"<caption>{esc(caption)}</caption>"
        f'<thead><tr><th scope="col">Neighbour</th><th scope="col">Region</th>'
        f"{cols}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def changes_html(changes: NeighbourChanges) -> str:
    """What changed from each set to the next, in words: how many neighbours
    both share, who joined, who left, whose rank moved."""
    esc = _render.esc
    heads = {r.set_id: set_heading(r) for r in changes.sets.itertuples(index=False)}
    parts = []
    for pair in changes.pair_summary():
        a, b = heads[pair["from_set"]], heads[pair["to_set"]]
        moved = changes.changes[
            (changes.changes["from_set"] == pair["from_set"])
            & (changes.changes["to_set"] == pair["to_set"])
            & changes.changes["change"].isin(["closer", "further"])
        ]
        items = [
            f"<li>In both: {pair['shared']} of the neighbours.</li>",
            _names_item("Joined", pair["joined"]),
            _names_item("Left", pair["left"]),
            _names_item(
                "Rank moved",
                [
                    f"{r.neighbour_name} ({change_text(r)})"
                    for r in moved.itertuples(index=False)
                ],
            ),
        ]
        parts.append(
            f'<h3>{esc(a)} to {esc(b)}</h3><ul class="lac-changes">'
            + "".join(items)
            + "</ul>"
        )
    return "\n".join(parts)


def _names_item(what: str, names: list[str]) -> str:
    esc = _render.esc
    if not names:
        return f"<li>{esc(what)}: none.</li>"
    inner = "".join(f"<li>{esc(n)}</li>" for n in names)
    return f"<li>{esc(what)} ({len(names)}):<ul>{inner}</ul></li>"


def sets_html(changes: NeighbourChanges) -> str:
    """The sets compared: heading, what each is, and a note for a set
    without this authority (or a computation that could not run)."""
    esc = _render.esc
    items = []
    for rec in changes.sets.itertuples(index=False):
        text = (
            f"<strong>{esc(set_heading(rec))}</strong> "
            f"(<code>{esc(str(rec.set_id))}</code>): {esc(str(rec.label))}"
        )
        if isinstance(rec.valid_for, str) and rec.valid_for:
            text += f", for {esc(rec.valid_for)}"
        if not rec.present:
            text += f'. <span class="lac-note">{esc(str(rec.note))}</span>'
        items.append(f"<li>{text}.</li>")
    out = "<ul>" + "".join(items) + "</ul>"
    if (changes.sets["method"] == "computed").any():
        out += (
            '<p class="lac-note">A computed set is lacompare\'s own, from figures '
            "in this store (z-scores of the variables named, equally weighted, "
            "each authority's nearest by Euclidean distance). It is not DfE's "
            "model, whose inputs are not all published by authority: it shows "
            "how far a set built from today's published figures agrees. Compute "
            "your own with <code>lacompare neighbours compute</code>.</p>"
        )
    return out


#: The download's columns, as the page documents them.
DOWNLOAD_COLUMNS = (
    ("la_code, la_name", "the authority (ONS code and name)"),
    ("neighbour_code, neighbour_name, neighbour_region", "a neighbour in any set"),
    ("rank_<set>", "its rank in that set, 1 = nearest (blank: not a neighbour there)"),
    (
        "change_<a>_to_<b>",
        "from one set to the next: joined, left, closer, further or same",
    ),
    ("places_<a>_to_<b>", "how many places its rank moved (positive = closer)"),
)


def download_html(la_code: str) -> str:
    """The CSV link and what its columns hold."""
    esc = _render.esc
    query = _render.query_string({"la": la_code})
    items = "".join(
        f"<li><code>{esc(name)}</code>: {esc(text)}</li>"
        for name, text in DOWNLOAD_COLUMNS
    )
    return (
        '<ul class="lac-links" aria-label="Downloads">'
        f'<li><a href="/neighbours.csv?{esc(query)}" download>Download the '
        "comparison (CSV)</a></li></ul>"
        "<details><summary>The download's columns</summary>"
        f"<ul>{items}</ul></details>"
    )


def write_neighbours_csv(state: DashboardStore, params: Any, folder: Path) -> Path:
    """``/neighbours.csv?la=NAME``: the side-by-side table as CSV (formula-safe),
    one row per neighbour (columns: :data:`DOWNLOAD_COLUMNS`)."""
    from lacompare.cells import write_csv_safe

    la = str(params.get("la") or "").strip() or DEFAULT_AUTHORITY
    # An unknown authority's error is sent in one line (400) by the endpoint.
    changes = changes_for(state, la)
    path = folder / f"neighbour-sets-{changes.la_code.replace(':', '-')}.csv"
    write_csv_safe(changes.wide(), path)
    return path


def neighbours_page(state: DashboardStore, params: Any) -> tuple[int, str]:
    """``/neighbours?la=NAME``: the authority's neighbour sets side by side.

    Returns the status and the page: 200, or 400 naming an unknown authority
    (with the registry's suggestions), 404 for a store without neighbour sets.
    """
    from markupsafe import Markup

    la = str(params.get("la") or "").strip() or DEFAULT_AUTHORITY
    choices: list[tuple[str, str]] = []
    try:
        choices = authority_choices(state)
        if not choices:
            raise PageError(
                "the store has no statistical neighbour sets (load one: "
                "lacompare neighbours load dfe-2025 --set-id dfe-2025)",
                404,
            )
        changes = changes_for(state, la)
    except LacompareError as exc:
        status = getattr(exc, "status", 400)
        error = _render.error_html(str(exc)) + _render.suggestions_html(
            exc, "/neighbours"
        )
        return status, _render.render_page(
            "neighbours.html.j2",
            title="Statistical neighbour sets compared",
            page="neighbours",
            error=Markup(error),
            choices=choices if status != 503 else [],
            selected="",
            body="",
        )
    body = "\n".join(
        [
            f'<p class="lac-lead">{_render.esc(vintage_note(changes))}</p>',
            download_html(changes.la_code),
            "<h2>The sets</h2>",
            sets_html(changes),
            "<h2>What changed</h2>",
            changes_html(changes)
            or "<p>Only one set has neighbours for this authority: nothing to "
            "compare.</p>",
            "<h2>Side by side</h2>",
            side_by_side_html(changes),
        ]
    )
    return 200, _render.render_page(
        "neighbours.html.j2",
        title=f"Statistical neighbour sets compared: {changes.la_name}",
        page="neighbours",
        choices=choices,
        selected=changes.la_code,
        body=Markup(body),
        error="",
    )
