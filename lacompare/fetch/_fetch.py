"""Fetch a catalogued source: download (or query), cache, and load into the store.

EES sources are queried through the public data API when an API data set is known (by
id, or by its title in the publication's list); otherwise — or when the API says the
data set is not there — the release's data file is downloaded from the content API.
Every file is kept in a cache with a sidecar recording its URL, version, date fetched
and SHA-256, and every load records the same in the store's ``fetches`` table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.fetch._cache import FetchedFile, default_cache_dir
from lacompare.fetch._catalogue import CatalogueEntry, match_source
from lacompare.fetch._client import EESClient
from lacompare.fetch._downloads import fetch_downloads
from lacompare.fetch._ees import fetch_ees
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    from lacompare.store import Store

#: The columns of the store's ``fetches`` table (lacompare.store's schema creates it).
FETCH_COLUMNS = (
    "source_id",
    "catalogue_id",
    "method",
    "url",
    "version",
    "fetched_at",
    "sha256",
    "file",
)


@dataclass
class FetchResult:
    """What :func:`fetch_source` fetched and loaded, with its issue log."""

    source: str
    method: str
    files: list[FetchedFile] = field(default_factory=list)
    loads: list[Any] = field(default_factory=list)
    issues: IssueLog = field(default_factory=IssueLog)

    @property
    def observations(self) -> int:
        return sum(int(getattr(r, "observations", 0) or 0) for r in self.loads)

    def summary_lines(self) -> list[str]:
        """Plain-text summary for a terminal or log."""
        lines = []
        for f in self.files:
            how = "from cache" if f.from_cache else "fetched"
            version = f" version {f.version}" if f.version else ""
            lines.append(
                f"{self.source}: {how} {f.url}{version} → {f.path} "
                f"(sha256 {f.sha256[:12]}…)"
            )
        for r in self.loads:
            if hasattr(r, "summary_lines"):
                lines.extend(r.summary_lines())
            else:
                lines.append(f"loaded neighbour set {getattr(r, 'set_id', r)}")
        return lines


def parse_years(text: str | list[str] | None) -> list[str] | None:
    """Periods from ``--years``: ``2024``, ``2021:2025``, ``2023-24,2024-25``.

    Examples
    --------
    >>> parse_years("2021:2023")
    ['2021', '2022', '2023']
    >>> parse_years("2022-23:2024-25")
    ['2022-23', '2023-24', '2024-25']
    >>> parse_years(["2023", "2025"])
    ['2023', '2025']
    """
    if text is None:
        return None
    parts = text if isinstance(text, list) else [text]
    out: list[str] = []
    for part in parts:
        for item in str(part).split(","):
            item = item.strip()
            if not item:
                continue
            if ":" in item:
                lo, hi = (s.strip() for s in item.split(":", 1))
                out.extend(_expand(lo, hi))
            else:
                out.append(item)
    if not out:
        raise InputError("--years needs at least one period (2024, 2021:2025, 2023-24)")
    return out


def _expand(lo: str, hi: str) -> list[str]:
    if re.fullmatch(r"\d{4}", lo) and re.fullmatch(r"\d{4}", hi):
        a, b = int(lo), int(hi)
        if a > b:
            raise InputError(f"--years {lo}:{hi}: the range runs backwards")
        return [str(y) for y in range(a, b + 1)]
    m1 = re.fullmatch(r"(\d{4})([-/])\d{2}", lo)
    m2 = re.fullmatch(r"(\d{4})[-/]\d{2}", hi)
    if m1 and m2:
        a, b, sep = int(m1.group(1)), int(m2.group(1)), m1.group(2)
        if a > b:
            raise InputError(f"--years {lo}:{hi}: the range runs backwards")
        return [f"{y}{sep}{(y + 1) % 100:02d}" for y in range(a, b + 1)]
    raise InputError(
        f"--years {lo}:{hi}: give a range of years (2021:2025) or of "
        "two-year periods (2021-22:2024-25)"
    )


def _record_fetch(
    store: Store, entry: CatalogueEntry, fetched: FetchedFile, load: Any
) -> None:
    source_id = getattr(load, "source_id", None)
    replaced = getattr(load, "replaced", None)
    if replaced:
        store.con.execute("DELETE FROM fetches WHERE source_id = ?", [replaced])
    store.con.execute(
        "INSERT INTO fetches VALUES (?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), ?, ?)",
        [
            source_id,
            entry.id,
            fetched.method,
            fetched.url,
            fetched.version,
            fetched.fetched_at.replace("+00:00", ""),
            fetched.sha256,
            str(fetched.path),
        ],
    )


def _spec_for(entry: CatalogueEntry) -> Any:
    """An ingest spec carrying the catalogue's measure metadata (EES files)."""
    from lacompare.sources.specs import IngestSpec

    spec = IngestSpec.from_dict({"source": {}}, origin=f"catalogue:{entry.id}")
    spec.measures = dict(entry.measures)
    return spec


def fetch_source(
    store: Store | None,
    source_id: str,
    years: list[str] | str | None = None,
    version: str | None = None,
    cache_dir: str | Path | None = None,
    *,
    file: str | None = None,
    url: str | None = None,
    data_set: str | None = None,
    api_url: str | None = None,
    content_url: str | None = None,
    client: EESClient | None = None,
    refresh: bool = False,
) -> FetchResult:
    """Fetch a catalogued source, cache it, and load it into ``store``.

    Parameters
    ----------
    store
        An open store, or ``None`` to download and cache only.
    source_id
        A catalogue id (``lacompare sources`` lists them): ``cla``, ``ro3`` …
    years
        Periods to fetch (``["2024"]``, ``"2021:2025"``, ``"2023-24"``); default: the
        latest file (downloads) or every period (EES).
    version
        EES API: the ``dataSetVersion`` to pin (``1.2``, ``2.*``); EES release file:
        the release slug (``2024``); downloads: the vintage key.
    cache_dir
        Download folder (default :func:`default_cache_dir`).
    file
        Glob choosing an EES release's data file (overrides the catalogue's).
    url
        The file to download, where the catalogue has no confirmed URL.
    data_set
        EES API data set id to use (overrides the catalogue).
    api_url, content_url
        EES API and content API base URLs (a mirror or a test server).
    client
        An :class:`EESClient` to use (its retry settings, transport).
    refresh
        Download again even when the cache holds the same URL and version.

    Returns
    -------
    FetchResult
        The files fetched (URL, version, SHA-256, date), each load's result, and an
        issue log.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:  # doctest: +SKIP
    ...     r = fetch_source(s, "cla", years="2024:2025")
    ...     r.observations > 0
    True
    """
    entry = match_source(source_id)
    periods = parse_years(years) if years is not None else None
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    issues = IssueLog()
    own = client is None
    client = client or EESClient(api_url, content_url)
    try:
        if entry.method == "ees":
            fetched = fetch_ees(
                client,
                entry,
                periods,
                version,
                cache,
                issues,
                file=file,
                data_set=data_set,
                refresh=refresh,
            )
            result = FetchResult(entry.id, fetched.method, [fetched], issues=issues)
        else:
            files = fetch_downloads(
                client, entry, periods, version, cache, url=url, refresh=refresh
            )
            result = FetchResult(entry.id, "download", files, issues=issues)
    finally:
        if own:
            client.close()
    if store is not None:
        _load(store, entry, result)
    return result


def _load(store: Store, entry: CatalogueEntry, result: FetchResult) -> None:
    from lacompare.store import ingest

    for fetched in result.files:
        if entry.loader == "neighbours":
            from lacompare.analysis import load_neighbour_set

            load = load_neighbour_set(
                store,
                fetched.path,
                fetched.set_id or f"{entry.id}-{fetched.valid_for}",
                valid_for=fetched.valid_for,
                replace=True,
            )
        else:
            spec = fetched.spec if fetched.spec else _spec_for(entry)
            load = ingest(store, fetched.path, spec=spec, sheet=fetched.sheet)
            result.issues.extend(load.issues)
        result.loads.append(load)
        _record_fetch(store, entry, fetched, load)


def read_fetches(store: Store) -> Any:
    """The store's fetch log (URL, version, date, SHA-256 of each fetched file).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     list(read_fetches(s).columns)[:4]
    ['source_id', 'catalogue_id', 'method', 'url']
    """
    if "fetches" not in store.tables():
        # A store made before fetching, opened read-only: nothing fetched yet.
        import pandas as pd

        return pd.DataFrame(columns=list(FETCH_COLUMNS))
    return store.query("SELECT * FROM fetches ORDER BY fetched_at, source_id")


__all__ = ["FetchResult", "fetch_source", "parse_years", "read_fetches"]
