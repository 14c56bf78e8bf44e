"""Profiles of many authorities at once, and an index page linking them.

``lacompare report la-profile --authority all`` (or a comma-separated list, or
``--region NAME``) compares every authority once (:func:`prepare_profiles`),
writes the files in ``--jobs`` processes (:func:`write_profiles`) and an
``index.html`` listing each authority with a link, its region and its headline
figures.

Examples
--------
>>> batch_names("all"), batch_names("Leeds, York"), batch_names("Leeds")
(['all'], ['Leeds', 'York'], ['Leeds'])
>>> is_batch("Leeds", None), is_batch("all", None), is_batch(None, "London")
(False, True, True)
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.report._profile import ProfileData
    from lacompare.store import Store

__all__ = [
    "ProfileBatch",
    "batch_names",
    "is_batch",
    "select_authorities",
    "write_profile_batch",
    "write_profile_index",
]

#: The folder a batch writes to when ``--out`` is not given.
DEFAULT_FOLDER = Path("la-profiles")
#: The most pieces of a comma-separated list joined back into one name:
#: 'Bournemouth, Christchurch and Poole' is two, and no registry name has more.
_MOST_PIECES = 3


@dataclass
class ProfileBatch:
    """What a batch wrote: the profiles (in index order), the index page, and
    the authorities left out because they have no headline figure."""

    paths: list[Path]
    index: Path
    skipped: list[str] = field(default_factory=list)


def batch_names(authority: str | None) -> list[str]:
    """The pieces of ``--authority``: ``['all']``, or the names between commas.

    A name with a comma of its own ('Bristol, City of') is put back together by
    :func:`select_authorities`, which knows the registry.

    Examples
    --------
    >>> batch_names(" ALL "), batch_names("Leeds,,York,"), batch_names(None)
    (['all'], ['Leeds', 'York'], [])
    """
    text = (authority or "").strip()
    if text.lower() == "all":
        return ["all"]
    return [p.strip() for p in text.split(",") if p.strip()]


def is_batch(authority: str | None, region: str | None) -> bool:
    """Whether the options ask for more than one profile (``all``, a list, or a
    region)."""
    return bool(region) or batch_names(authority) == ["all"] or "," in (authority or "")


def _resolve_list(data: ProfileData, pieces: Sequence[str]) -> list[str]:
    """Store keys for names split at commas, joining pieces back where the joined
    text is an authority's name ('Bristol', ' City of' → 'Bristol, City of').

    The longest join that is a name wins, so 'Bristol, City of' is Bristol, not
    Bristol and then a refused 'City of'. A piece that is no name alone or joined
    is refused with its own message (the nearest names).
    """
    codes: list[str] = []
    i = 0
    while i < len(pieces):
        for n in range(min(_MOST_PIECES, len(pieces) - i), 0, -1):
            text = ", ".join(pieces[i : i + n])
            try:
                codes.append(data.resolve(text))
            except InputError:
                if n == 1:
                    raise
                continue
            i += n
            break
    return list(dict.fromkeys(codes))


def _current(data: ProfileData) -> Any:
    auth = data.authorities
    return auth[auth["valid_to"].isna()] if "valid_to" in auth else auth


def select_authorities(
    data: ProfileData, authority: str | None, region: str | None = None
) -> tuple[list[str], list[str]]:
    """The authorities a batch writes, and those it leaves out (no figures).

    Parameters
    ----------
    data
        Comparisons from :func:`~lacompare.report._profile.prepare_profiles`.
    authority
        ``all``, one name or code, or several separated by commas; ``None`` with
        ``region``: every authority in the region.
    region
        Only authorities in this region (any case: 'london', 'North East').

    Returns
    -------
    (codes, skipped)
        Store keys to write, ordered by name; names of authorities asked for by
        ``all`` or the region that have no headline figure.

    Raises
    ------
    InputError
        A name in the list that is not an authority of today (naming it, with the
        nearest names), an authority named that has no headline figure, or a
        region that does not exist (listing those that do).
    """
    current = _current(data)
    ranked = set(
        data.latest.loc[
            data.latest["value"].notna() & data.latest["rank"].notna(), "la_code"
        ]
    )
    names = batch_names(authority)
    if names and names != ["all"]:
        codes = _resolve_list(data, names)
        empty = [c for c in codes if c not in ranked]
        if empty:
            raise InputError(
                "no figure for any headline measure: "
                + ", ".join(f"{data.name_of(c)} ({c})" for c in empty)
                + "; leave it out or choose other measures (--measure)"
            )
    else:
        codes = current["la_code"].astype(str).tolist()
    if region:
        regions = sorted({str(r) for r in current["region"].dropna()})
        wanted = next((r for r in regions if r.lower() == region.strip().lower()), None)
        if wanted is None:
            raise InputError(
                f"no region {region!r}; choose one of " + ", ".join(regions)
            )
        inside = set(current.loc[current["region"] == wanted, "la_code"])
        codes = [c for c in codes if c in inside]
        if not codes:
            raise InputError(f"none of the authorities named is in {wanted}")
    skipped = [data.name_of(c) for c in codes if c not in ranked]
    codes = [c for c in codes if c in ranked]
    if not codes:
        raise InputError("no authority has a figure for any headline measure")
    return sorted(codes, key=data.name_of), sorted(skipped)


def _headline_cells(data: ProfileData, la_code: str) -> list[str]:
    """Each headline measure's latest value for one authority, as text."""
    from lacompare.formatting import MISSING_SYMBOLS, format_value

    mine = data.latest_of(la_code).set_index("key")
    cells = []
    for spec in data.specs:
        value = mine["value"].get(spec.key) if spec.key in mine.index else None
        reason = (
            mine["missing_reason"].get(spec.key)
            if "missing_reason" in mine and spec.key in mine.index
            else None
        )
        # A reason the key explains prints its symbol; anything else, '–'.
        known = reason if reason in MISSING_SYMBOLS else None
        cells.append(
            format_value(value, spec.unit, data.decimals.get(spec.key, 0), known)
        )
    return cells


def _periods(data: ProfileData, key: str) -> str:
    """The periods a measure's latest figures are from ('2025', '2024, 2025')."""
    from lacompare.report._profile_words import period_key

    periods = {str(p) for p in data.latest_for(key)["period"].dropna()}
    return ", ".join(sorted(periods, key=period_key))


_PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lacompare">
<title>{title}</title>
<style>
  body {{ font-family: Arial, Helvetica, "Liberation Sans", "DejaVu Sans", sans-serif;
         color: #0b0c0c; line-height: 1.45; max-width: 72rem; margin: 0 auto;
         padding: 1.5rem 1rem 3rem; }}
  a {{ color: #1d70b8; }}
  a:focus {{ outline: 3px solid #ffdd00; background: #ffdd00; color: #0b0c0c; }}
  h1 {{ font-size: 1.9rem; line-height: 1.2; margin: 0 0 0.4rem; }}
  p.meta, p.note {{ color: #505a5f; font-size: 0.92rem; }}
  .lc-table {{ overflow-x: auto; }}
  table {{ border-collapse: collapse; width: 100%; font-size: 0.92rem;
          font-variant-numeric: tabular-nums; }}
  caption {{ text-align: left; font-weight: bold; padding: 0 0 0.4rem; }}
  th, td {{ border-bottom: 1px solid #b1b4b6; padding: 0.28rem 0.45rem;
           vertical-align: top; }}
  thead th {{ background: #f3f2f1; text-align: left;
              border-bottom: 2px solid #0b0c0c; }}
  tbody th {{ text-align: left; font-weight: normal; }}
  td.num, th.num {{ text-align: right; }}
  thead th.num span {{ display: block; font-weight: normal; color: #505a5f; }}
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="meta">{meta}</p>
</header>
<main>
<div class="lc-table">
<table>
<caption>{caption}</caption>
<thead><tr><th scope="col">Authority</th><th scope="col">Region</th>{heads}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</div>
{notes}
</main>
</body>
</html>
"""


def write_profile_index(
    data: ProfileData,
    written: Sequence[Path] | dict[str, Path],
    out_dir: str | Path,
    *,
    skipped: Sequence[str] = (),
    fmt: str = "html",
) -> Path:
    """Write ``index.html`` in ``out_dir``: each authority with a link to its
    profile, its region and its headline figures (latest period).

    Parameters
    ----------
    data
        The comparisons the profiles were written from.
    written
        The profiles written: ``la_code → path``, or paths named
        ``profile-<la_code>.<fmt>`` (as :func:`write_profiles` names them).
    out_dir
        The folder holding the profiles; links are relative to it.
    skipped
        Names of authorities left out for want of figures (listed in a note).
    fmt
        The profiles' format (said in the page).

    Returns
    -------
    Path
        The index page.
    """
    out = Path(out_dir)
    if not isinstance(written, dict):
        written = {Path(p).stem.removeprefix("profile-"): Path(p) for p in written}
    auth = data.authorities.set_index("la_code")
    heads = "".join(
        f'<th scope="col" class="num">{html.escape(s.label)}'
        f"<span>{html.escape(_periods(data, s.key))}</span></th>"
        for s in data.specs
    )
    rows = []
    for code in sorted(written, key=data.name_of):
        path = Path(written[code])
        try:
            href = path.relative_to(out).as_posix()
        except ValueError:
            href = path.resolve().as_uri()
        region = auth["region"].get(code) if code in auth.index else None
        cells = "".join(
            f'<td class="num">{html.escape(c)}</td>'
            for c in _headline_cells(data, code)
        )
        rows.append(
            f'<tr><th scope="row"><a href="{html.escape(href)}">'
            f"{html.escape(data.name_of(code))}</a></th>"
            f"<td>{html.escape(str(region or ''))}</td>{cells}</tr>"
        )
    from lacompare.formatting.tables import MISSING_SYMBOLS

    # Say what each symbol in the table means (only those that appear).
    shown = {c for r in rows for c in MISSING_SYMBOLS.values() if f">{c[0]}<" in r}
    legend = "; ".join(
        f"{html.escape(sym)} {html.escape(meaning)}" for sym, meaning in sorted(shown)
    )
    notes = [
        '<p class="note">Each figure is the authority\'s value at the '
        "measure's latest period (shown under its name); – no figure"
        + (f"; {legend}" if legend else "")
        + ". Rank, quartile band, "
        "neighbours, region and England are in each profile.</p>"
    ]
    if skipped:
        notes.append(
            '<p class="note">No profile (no figure for any headline '
            "measure): " + html.escape(", ".join(skipped)) + ".</p>"
        )
    meta = (
        f"{len(written)} profiles ({fmt.upper()}) on {len(data.specs)} headline "
        "measures"
        + (
            f"; statistical neighbours: {data.neighbour_label}"
            if data.neighbour_label
            else ""
        )
        + "."
    )
    page = _PAGE.format(
        title="Authority profiles",
        meta=html.escape(meta),
        caption="Authorities and their headline figures",
        heads=heads,
        rows="\n".join(rows),
        notes="\n".join(notes),
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def write_profile_batch(
    store: Store | None,
    out_dir: str | Path,
    *,
    authority: str | None = "all",
    region: str | None = None,
    fmt: str = "html",
    jobs: int = 1,
    measures: Sequence[str] | str | None = None,
    neighbour_set: str | None = None,
    exclude: Sequence[str] | str | None = None,
    data: ProfileData | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ProfileBatch:
    """Profiles of several authorities in one folder, with an index page.

    The comparisons are made once for every authority; the files are written in
    ``jobs`` processes (:func:`~lacompare.report._profile.write_profiles`).

    Parameters
    ----------
    store
        An open store (read only); not read when ``data`` is given.
    out_dir
        The folder to write (created if need be).
    authority, region
        Which authorities: see :func:`select_authorities`.
    fmt
        ``html``, ``pdf`` or ``xlsx`` for the profiles; the index is HTML.
    jobs
        Processes writing the files.
    measures, neighbour_set, exclude
        As for :func:`~lacompare.report._profile.prepare_profiles`.
    data
        Comparisons already made (then the store may be closed first, so the
        processes that write the files are not forked holding it).
    progress
        Called with (files written, files to write) after each file.

    Returns
    -------
    ProfileBatch
        The files written and the authorities left out.

    Examples
    --------
    >>> import tempfile
    >>> from lacompare.demo import run_demo
    >>> from lacompare.store import open_store
    >>> folder = Path(tempfile.mkdtemp())
    >>> db = run_demo(folder / "demo").db
    >>> with open_store(db, read_only=True) as store:
    ...     batch = write_profile_batch(store, folder / "p", region="north east",
    ...                                 measures=["per_head_2021"])
    >>> len(batch.paths) > 1 and "Authority profiles" in batch.index.read_text()
    True
    """
    from lacompare.report._profile import prepare_profiles, write_profiles

    out = Path(out_dir)
    if out.suffix.lower() in (".html", ".pdf", ".xlsx"):
        raise InputError(
            f"--out {out} names a file: profiles of several "
            "authorities go in a folder (e.g. --out la-profiles)"
        )
    if fmt == "pdf":
        from lacompare.report._pdf import require_weasyprint

        require_weasyprint()
    if data is None:
        if store is None:
            raise InputError("write_profile_batch needs a store or prepared data")
        data = prepare_profiles(
            store, measures, neighbour_set=neighbour_set, exclude=exclude
        )
    codes, skipped = select_authorities(data, authority, region)
    paths = write_profiles(
        None, out, codes, fmt, jobs=max(1, jobs), data=data, progress=progress
    )
    index = write_profile_index(
        data, dict(zip(codes, paths, strict=True)), out, skipped=skipped, fmt=fmt
    )
    return ProfileBatch(paths, index, skipped)


def run_batch(
    console: Any,
    db: str | Path | None,
    out: str | Path | None,
    fmt: str,
    options: dict[str, Any],
    *,
    region: str | None = None,
    jobs: int = 1,
) -> ProfileBatch:
    """``lacompare report la-profile`` for several authorities: compare once
    with the store open, close it, write the files with a progress bar, and
    print what was written.

    ``options`` are :func:`~lacompare.report._options.options_from_flags`' for
    la-profile (``authority``, ``measures``, ``neighbour_set``, ``exclude``).
    """
    from contextlib import ExitStack

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from lacompare.report._profile import prepare_profiles
    from lacompare.report._reports import open_report_store

    folder = Path(out) if out is not None else DEFAULT_FOLDER
    if folder.suffix.lower() in (".html", ".pdf", ".xlsx"):
        raise InputError(
            f"--out {folder} names a file: profiles of several "
            "authorities go in a folder (e.g. --out la-profiles)"
        )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Comparing every authority", total=None)
        with ExitStack() as stack:
            store, _ = open_report_store(stack, "la-profile", db)
            data = prepare_profiles(
                store,
                options.get("measures"),
                neighbour_set=options.get("neighbour_set"),
                exclude=options.get("exclude"),
            )
        # Checked before any file is written: a bad name costs no work.
        select_authorities(data, options.get("authority"), region)
        bar.update(task, description="Writing profiles")

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        batch = write_profile_batch(
            None,
            folder,
            authority=options.get("authority"),
            region=region,
            fmt=fmt,
            jobs=jobs,
            data=data,
            progress=step,
        )
    size = sum(p.stat().st_size for p in batch.paths)
    console.print(
        f"wrote {len(batch.paths)} profiles ({fmt.upper()}, "
        f"{size / 1024**2:,.1f} MB) in {folder}",
        markup=False,
        soft_wrap=True,
    )
    console.print(f"index: {batch.index}", markup=False, soft_wrap=True)
    if batch.skipped:
        # The index lists them all; a terminal gets the first few.
        more = len(batch.skipped) - 10
        console.print(
            "no figures, so no profile: "
            + ", ".join(batch.skipped[:10])
            + (f" and {more} more (listed in the index)" if more > 0 else ""),
            markup=False,
            soft_wrap=True,
        )
    return batch
