"""``lacompare publish site``: the headline figures as a static web site.

:func:`write_site` writes, into one folder, plain HTML, CSS and JavaScript that
any web server, or a council's intranet folder opened from disk, can host with
no Python behind it:

- ``index.html``: a search box (``site.js`` filters ``search-index.js``, an
  index of the authorities, indicators and regions, in the browser) and the
  lists of indicators and regions;
- ``profiles/``: the la-profile of every current authority (the report's batch
  writer, :func:`~lacompare.report._profile_batch.write_profile_batch`);
- ``indicators/``: a page per headline indicator (hex map, ranking, table);
- ``regions/``: a page per region (each authority over time, with the region
  and England);
- ``authorities.html``: every authority, with its region;
- ``data/headline.csv`` and ``.json``: the headline indicators × areas ×
  periods behind a create-your-own table, described on ``data.html``.

Charts are drawn by ``vega-embed.js``, the vega-embed bundle written once into
the folder (nothing is fetched from a network).

Examples
--------
>>> import tempfile
>>> from lacompare.demo import run_demo
>>> from lacompare.store import open_store
>>> folder = Path(tempfile.mkdtemp())
>>> db = run_demo(folder / "demo").db
>>> with open_store(db, read_only=True) as store:
...     site = write_site(store, folder / "site", authority="Hartlepool, York",
...                       measures=["per_head_2021"])
>>> len(site.profiles), (folder / "site" / "search-index.js").exists()
(2, True)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.errors import InputError
from lacompare.report._profile_words import period_key
from lacompare.report._site_pages import (
    indicator_page,
    region_page,
    site_slug,
)

if TYPE_CHECKING:
    from lacompare.report._profile_data import ProfileData
    from lacompare.store import Store

__all__ = ["Site", "headline_data", "run_site", "write_site"]

#: The site's own files, copied from the package as they are.
ASSETS = ("site.css", "site.js")
#: The columns of ``data/headline.csv`` with what each holds (data.html).
DATA_COLUMNS = {
    "indicator": "the indicator's key in the store (measure[breakdown])",
    "indicator_label": "the indicator's name",
    "unit": "its unit",
    "area_type": "authority, region or england",
    "area_code": "the authority's ONS code (empty for a region and England)",
    "area_name": "the authority's, region's or country's name",
    "region": "the authority's region",
    "period": "the period the figure is for",
    "value": "the figure rounded as the catalogue says (decimals per indicator)",
    "value_unrounded": "the figure as stored, for analysts",
}
_BACK_LINK = (
    '<header>\n<p class="meta"><a href="../index.html">Search all authorities, '
    "indicators and regions</a></p>\n"
)


@dataclass
class Site:
    """What :func:`write_site` wrote: the folder, its index, each kind of
    page, the data files, and authorities left out (no headline figure)."""

    folder: Path
    index: Path
    profiles: list[Path] = field(default_factory=list)
    indicators: list[Path] = field(default_factory=list)
    regions: list[Path] = field(default_factory=list)
    data: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """HTML pages written."""
        return 3 + len(self.profiles) + len(self.indicators) + len(self.regions)


def _env() -> Any:
    from lacompare.report._render import _env as report_env

    return report_env()


def _render(name: str, path: Path, root: str, **context: Any) -> Path:
    page = _env().get_template(f"site/{name}").render(root=root, **context)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _page_name(key: str) -> str:
    """An indicator page's name: its catalogue id (``cla_rate_per_10000``), a
    name a user can guess, else the store key."""
    from lacompare.catalogue import indicator_for_key

    ind = indicator_for_key(key)
    return ind.id if ind is not None else key


def _regions(data: ProfileData) -> dict[str, list[str]]:
    """Each region's current authorities (codes, by name)."""
    auth = data.authorities
    if "valid_to" in auth:
        auth = auth[auth["valid_to"].isna()]
    out: dict[str, list[str]] = {}
    for code, region in zip(auth["la_code"], auth["region"], strict=True):
        if isinstance(region, str) and region:
            out.setdefault(region, []).append(str(code))
    return {r: sorted(out[r], key=data.name_of) for r in sorted(out)}


def headline_data(data: ProfileData) -> pd.DataFrame:
    """The create-your-own table's data: each headline indicator for every
    authority, region and England in every period (:data:`DATA_COLUMNS`).

    ``value`` is rounded to the indicator's decimals; ``value_unrounded`` is
    the figure as stored.
    """
    trends = data.trends.copy()
    trends["period"] = trends["period"].astype(str)
    regions = data.authorities.set_index("la_code")["region"]
    trends["region"] = trends["la_code"].map(regions)
    specs = {s.key: s for s in data.specs}
    own = trends.assign(
        area_type="authority",
        area_code=trends["la_code"],
        area_name=trends["la_code"].map(data.name_of),
    )
    parts = [own]
    for col, kind in (("region_value", "region"), ("england_value", "england")):
        by = ["key", "period"] + (["region"] if kind == "region" else [])
        first = trends.dropna(subset=[col]).groupby(by, sort=False)[col].first()
        area = first.rename("value").reset_index().assign(area_type=kind, area_code="")
        area["area_name"] = area["region"] if kind == "region" else "England"
        if kind == "england":
            area["region"] = ""
        parts.append(area)
    table = pd.concat(parts, ignore_index=True)
    table = table[table["key"].isin(specs)]
    table["indicator"] = table["key"]
    table["indicator_label"] = table["key"].map(lambda k: specs[k].label)
    table["unit"] = table["key"].map(lambda k: specs[k].unit or "")
    table["value_unrounded"] = table["value"]
    table["value"] = [
        round(float(v), data.decimals.get(k, 0)) if pd.notna(v) else None
        for k, v in zip(table["key"], table["value"], strict=True)
    ]
    kinds = {"authority": 0, "region": 1, "england": 2}
    table = table.assign(
        _kind=table["area_type"].map(kinds),
        _period=table["period"].map(lambda p: period_key(str(p))),
    ).sort_values(["indicator", "_kind", "area_name", "_period"])
    return table[list(DATA_COLUMNS)].reset_index(drop=True)


def _write_data(data: ProfileData, folder: Path) -> list[Path]:
    """``data/headline.csv`` and ``data/headline.json`` (columns and rows)."""
    table = headline_data(data)
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "headline.csv"
    table.to_csv(csv, index=False)
    rows = table.astype(object).where(table.notna(), None).to_numpy().tolist()
    payload = {
        "indicators": [
            {
                "key": s.key,
                "label": s.label,
                "unit": s.unit,
                "polarity": s.polarity,
                "decimals": data.decimals.get(s.key, 0),
            }
            for s in data.specs
        ],
        "columns": list(DATA_COLUMNS),
        "rows": rows,
    }
    path = folder / "headline.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return [csv, path]


def _search_entries(
    data: ProfileData,
    profiles: dict[str, str],
    indicators: dict[str, str],
    regions: dict[str, str],
) -> list[dict[str, str]]:
    """The search index: one entry per authority with a profile, indicator and
    region (name, kind, words shown under it, link from the site's root)."""
    auth = data.authorities.set_index("la_code")
    entries = []
    for code, href in sorted(profiles.items(), key=lambda kv: data.name_of(kv[0])):
        region = auth["region"].get(code) if code in auth.index else None
        dfe = auth["dfe_code"].get(code) if "dfe_code" in auth else None
        words = [str(region or ""), code]
        if isinstance(dfe, str) and dfe:
            words.append(f"DfE {dfe}")
        entries.append(
            {
                "kind": "Authority profile",
                "name": data.name_of(code),
                "detail": " · ".join(w for w in words if w),
                "href": href,
            }
        )
    for spec in data.specs:
        entries.append(
            {
                "kind": "Indicator",
                "name": spec.label,
                "detail": " · ".join(w for w in (spec.unit or "", spec.key) if w),
                "href": indicators[spec.key],
            }
        )
    for region, href in regions.items():
        entries.append({"kind": "Region", "name": region, "detail": "", "href": href})
    return entries


def _write_assets(folder: Path, charts: bool) -> None:
    from importlib.resources import files

    source = files("lacompare.report").joinpath("templates", "site")
    for name in ASSETS:
        (folder / name).write_text(
            source.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    if charts:
        from lacompare.charts import vega_embed_bundle

        (folder / "vega-embed.js").write_text(vega_embed_bundle(), encoding="utf-8")


def _link_profiles(paths: Sequence[Path]) -> None:
    """Give each profile a link back to the site's search page."""
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if "../index.html" not in text:
            path.write_text(text.replace("<header>\n", _BACK_LINK, 1), encoding="utf-8")


def write_site(
    store: Store | None,
    out_dir: str | Path,
    *,
    authority: str | None = "all",
    region: str | None = None,
    jobs: int = 1,
    measures: Sequence[str] | str | None = None,
    neighbour_set: str | None = None,
    data: ProfileData | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Site:
    """Write the static site of the store's headline figures into ``out_dir``.

    Parameters
    ----------
    store
        An open store (read only); not read when ``data`` is given.
    out_dir
        The folder to write (created if need be; files of an earlier site in
        it are overwritten).
    authority, region
        Whose profiles to write: ``all`` (default), names separated by commas,
        or the authorities of a region (as ``report la-profile``). The
        indicator and region pages always cover every authority.
    jobs
        Processes writing the profiles.
    measures, neighbour_set
        As for :func:`~lacompare.report.prepare_profiles` (default: the
        catalogue's headline indicators; the store's default neighbour set).
    data
        Comparisons already made (then the store may be closed first).
    progress
        Called with (step, done, total) as the profiles and pages are written.

    Returns
    -------
    Site
        The files written.
    """
    from lacompare.report._profile_batch import write_profile_batch
    from lacompare.report._profile_data import prepare_profiles

    out = Path(out_dir)
    if out.suffix.lower() in (".html", ".htm"):
        raise InputError(f"{out} names a file: a site goes in a folder (e.g. site)")
    if data is None:
        if store is None:
            raise InputError("write_site needs a store or prepared data")
        data = prepare_profiles(store, measures, neighbour_set=neighbour_set)
    out.mkdir(parents=True, exist_ok=True)

    def step(done: int, total: int) -> None:
        if progress is not None:
            progress("Writing profiles", done, total)

    batch = write_profile_batch(
        None,
        out / "profiles",
        authority=authority,
        region=region,
        jobs=jobs,
        data=data,
        progress=step,
    )
    _link_profiles(batch.paths)
    site = Site(out, out / "index.html", batch.paths, skipped=batch.skipped)
    profiles = {
        p.stem.removeprefix("profile-"): p.relative_to(out).as_posix()
        for p in batch.paths
    }
    _write_pages(data, out, site, profiles, progress)
    return site


def _write_pages(
    data: ProfileData,
    out: Path,
    site: Site,
    profiles: dict[str, str],
    progress: Callable[[str, int, int], None] | None,
) -> None:
    """The indicator, region, list and data pages, the assets and the index."""
    common = {
        "made": dt.date.today().strftime("%-d %B %Y"),
        "neighbours": data.neighbour_label,
    }
    up = {code: f"../{href}" for code, href in profiles.items()}
    indicators: dict[str, str] = {}
    total = len(data.specs) + len(_regions(data))
    for n, spec in enumerate(data.specs, start=1):
        href = f"indicators/{site_slug(_page_name(spec.key))}.html"
        page = indicator_page(data, spec, up)
        site.indicators.append(
            _render("indicator.html.j2", out / href, "../", page=page, **common)
        )
        indicators[spec.key] = href
        if progress is not None:
            progress("Writing indicator and region pages", n, total)
    regions: dict[str, str] = {}
    for n, (name, codes) in enumerate(
        _regions(data).items(), start=len(indicators) + 1
    ):
        href = f"regions/{site_slug(name)}.html"
        page = region_page(data, name, codes, up)
        site.regions.append(
            _render("region.html.j2", out / href, "../", page=page, **common)
        )
        regions[name] = href
        if progress is not None:
            progress("Writing indicator and region pages", n, total)
    site.data = _write_data(data, out / "data")
    _write_assets(out, charts=True)
    entries = _search_entries(data, profiles, indicators, regions)
    (out / "search-index.js").write_text(
        "window.LACOMPARE_SITE_INDEX = "
        + json.dumps(entries, ensure_ascii=False).replace("</", "<\\/")
        + ";\n",
        encoding="utf-8",
    )
    specs = [(s, indicators[s.key]) for s in data.specs]
    lists = {"indicators": specs, "regions": list(regions.items())}
    _render("data.html.j2", out / "data.html", "", columns=DATA_COLUMNS, **common)
    _render(
        "authorities.html.j2",
        out / "authorities.html",
        "",
        regions=[
            (name, regions[name], [(data.name_of(c), profiles.get(c)) for c in codes])
            for name, codes in _regions(data).items()
        ],
        **common,
    )
    _render(
        "index.html.j2",
        site.index,
        "",
        count=len(profiles),
        skipped=site.skipped,
        **lists,
        **common,
    )


def run_site(
    console: Any,
    db: str | Path | None,
    out: str | Path,
    *,
    authority: str | None = "all",
    region: str | None = None,
    jobs: int = 1,
    measures: Sequence[str] | str | None = None,
    neighbour_set: str | None = None,
) -> Site:
    """``lacompare publish site``: compare with the store open, close it,
    write the site with a progress bar, and print what was written."""
    from contextlib import ExitStack

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from lacompare.report._profile_data import prepare_profiles
    from lacompare.report._reports import open_report_store

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
            data = prepare_profiles(store, measures, neighbour_set=neighbour_set)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        site = write_site(
            None,
            out,
            authority=authority,
            region=region,
            jobs=jobs,
            data=data,
            progress=step,
        )
    console.print(
        f"wrote {site.pages} pages ({len(site.profiles)} profiles, "
        f"{len(site.indicators)} indicators, {len(site.regions)} regions) "
        f"and {len(site.data)} data files in {site.folder}",
        markup=False,
        soft_wrap=True,
    )
    console.print(f"open: {site.index}", markup=False, soft_wrap=True)
    if site.skipped:
        console.print(
            f"no figures, so no profile: {len(site.skipped)} authorities "
            "(listed on the index page)",
            markup=False,
            soft_wrap=True,
        )
    return site
