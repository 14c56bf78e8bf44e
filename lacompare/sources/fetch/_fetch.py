"""Fetch a catalogued source: download (or query), cache, and load into the store.

EES sources are queried through the public data API when an API data set is known (by
id, or by its title in the publication's list); otherwise — or when the API says the
data set is not there — the release's data file is downloaded from the content API.
Every file is kept in a cache with a sidecar recording its URL, version, date fetched
and SHA-256, and every load records the same in the store's ``fetches`` table.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError, LacompareError
from lacompare.provenance import IssueLog
from lacompare.sources.fetch._catalogue import CatalogueEntry, match_source
from lacompare.sources.fetch._client import (
    EESApiError,
    EESClient,
    criteria_and,
    period_key,
    read_ees_vocabulary,
    write_ees_csv,
)

if TYPE_CHECKING:
    from lacompare.store import Store

CACHE_ENV = "LACOMPARE_CACHE"

FETCHES_DDL = """
CREATE TABLE IF NOT EXISTS fetches (
    source_id INTEGER,
    catalogue_id VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    version VARCHAR,
    fetched_at TIMESTAMP NOT NULL,
    sha256 VARCHAR NOT NULL,
    file VARCHAR NOT NULL
)
"""


def default_cache_dir() -> Path:
    """Where downloads are kept: ``$LACOMPARE_CACHE`` or the user cache folder.

    Examples
    --------
    >>> default_cache_dir().name in ("fetch", os.environ.get("LACOMPARE_CACHE", ""))
    True
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("lacompare", appauthor=False)) / "fetch"


@dataclass
class FetchedFile:
    """One file fetched: where it came from and where it is now."""

    path: Path
    url: str
    version: str | None
    sha256: str
    fetched_at: str
    method: str
    from_cache: bool = False
    spec: Path | None = None
    sheet: str | None = None
    set_id: str | None = None
    valid_for: str | None = None

    def record(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "version": self.version,
            "sha256": self.sha256,
            "fetched_at": self.fetched_at,
            "method": self.method,
            "file": self.path.name,
        }


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _finish(
    path: Path, url: str, version: str | None, method: str, **extra: Any
) -> FetchedFile:
    """Record a freshly written file's sidecar (``<file>.json``)."""
    fetched = FetchedFile(
        path=path,
        url=url,
        version=version,
        sha256=_sha256(path),
        fetched_at=_now(),
        method=method,
        **extra,
    )
    sidecar = path.with_name(path.name + ".json")
    sidecar.write_text(json.dumps(fetched.record(), indent=2), "utf-8")
    return fetched


def _cached(
    path: Path, url: str, version: str | None, method: str, **extra: Any
) -> FetchedFile | None:
    """A cached file, if its sidecar says it came from this URL and version and its
    bytes still match the recorded SHA-256."""
    sidecar = path.with_name(path.name + ".json")
    if not (path.is_file() and sidecar.is_file()):
        return None
    try:
        rec = json.loads(sidecar.read_text("utf-8"))
    except ValueError:
        return None
    if rec.get("url") != url or rec.get("version") != version:
        return None
    if _sha256(path) != rec.get("sha256"):
        return None
    return FetchedFile(
        path=path,
        url=url,
        version=version,
        sha256=rec["sha256"],
        fetched_at=rec["fetched_at"],
        method=method,
        from_cache=True,
        **extra,
    )


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


def _ensure_fetches(store: Store) -> None:
    store.con.execute(FETCHES_DDL)


def _record_fetch(
    store: Store, entry: CatalogueEntry, fetched: FetchedFile, load: Any
) -> None:
    _ensure_fetches(store)
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


def _filter_years(path: Path, years: list[str], issues: IssueLog) -> Path:
    """Keep the rows of an EES CSV whose period is one of ``years`` (a new file)."""
    from lacompare.cells import normalise_period

    wanted = {period_key(y) for y in years}
    out = path.with_name(
        path.stem
        + "_"
        + "_".join(re.sub(r"\W", "", y) for y in years[:6])
        + path.suffix
    )
    kept = total = 0
    seen: set[str] = set()
    with (
        open(path, newline="", encoding="utf-8-sig") as src,
        open(out, "w", newline="", encoding="utf-8") as dst,
    ):
        reader = csv.DictReader(src)
        if not reader.fieldnames or "time_period" not in reader.fieldnames:
            raise InputError(
                "not an EES data-standard CSV (no time_period column); "
                "cannot choose --years",
                file=str(path),
            )
        # The publisher's rows as published, for ingest to read (see write_ees_csv:
        # not neutralised, or markers such as '-' would change meaning).
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        for row in reader:
            total += 1
            period = normalise_period(row["time_period"], row.get("time_identifier"))
            seen.add(period or "")
            if period_key(period or "") in wanted:
                writer.writerow(row)
                kept += 1
    if kept == 0:
        out.unlink()
        raise InputError(
            f"no rows for {', '.join(years)}; the file has "
            + ", ".join(sorted(p for p in seen if p)),
            file=str(path),
        )
    issues.add(
        "years-selected",
        f"kept {kept:,} of {total:,} rows for {', '.join(years)}",
        severity="info",
        file=str(path),
    )
    return out


def _unzip_if_needed(path: Path, pattern: str, issues: IssueLog) -> Path:
    """Release files may come zipped: take the matching CSV out."""
    if not zipfile.is_zipfile(path):
        return path
    import fnmatch

    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
        pat = (pattern or "*.csv").lower()
        hits = [n for n in names if fnmatch.fnmatch(Path(n).name.lower(), pat)]
        if len(hits) != 1:
            raise InputError(
                f"{len(hits)} CSV files in the zip match {pat!r}: "
                + ", ".join(names[:30]),
                file=str(path),
            )
        out = path.with_name(Path(hits[0]).name)
        with zf.open(hits[0]) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    issues.add(
        "unzipped", f"took {hits[0]} from the zip", severity="info", file=str(path)
    )
    return out


# --- EES ------------------------------------------------------------------------------


def _find_data_set(
    client: EESClient, entry: CatalogueEntry, issues: IssueLog
) -> str | None:
    """The API data set id for an entry: from the catalogue, or by title."""
    if entry.data_set_id:
        return entry.data_set_id
    if not entry.data_set_title:
        issues.add(
            "no-api-data-set",
            f"{entry.id}: no API data set is catalogued; using the release file",
            severity="info",
        )
        return None
    pubs = [
        p
        for p in client.publications(search=entry.title)
        if p.get("slug") == entry.publication
    ]
    if not pubs:
        issues.add(
            "no-api-data-set",
            f"publication {entry.publication!r} has no API "
            "data sets; using the release file",
            severity="info",
        )
        return None
    want = entry.data_set_title.strip().lower()
    for ds in client.data_sets(pubs[0]["id"]):
        if str(ds.get("title", "")).strip().lower() == want:
            return str(ds["id"])
    issues.add(
        "no-api-data-set",
        f"publication {entry.publication!r} has no API data "
        f"set titled {entry.data_set_title!r}; using the release file",
        severity="info",
    )
    return None


def _fetch_ees_api(
    client: EESClient,
    entry: CatalogueEntry,
    data_set_id: str,
    years: list[str] | None,
    version: str | None,
    cache: Path,
    issues: IssueLog,
) -> FetchedFile:
    summary = client.data_set(data_set_id)
    latest = (summary.get("latestVersion") or {}).get("version")
    if version:
        # Resolve a wildcard (2.*) to the version it means, and pin that.
        pinned = str(client.version(data_set_id, version).get("version") or version)
    else:
        pinned = str(latest or "")
    if not pinned:
        raise LacompareError(f"EES API data set {data_set_id} has no published version")
    if latest and pinned != latest:
        change = client.changes(data_set_id, latest)
        counts = {
            k: sum(len(v or []) for v in (change.get(k) or {}).values())
            for k in ("majorChanges", "minorChanges")
        }
        issues.add(
            "newer-version",
            f"data set {data_set_id}: loading pinned version "
            f"{pinned}; the latest is {latest} ({counts['majorChanges']} major, "
            f"{counts['minorChanges']} minor change(s) in {latest})",
            severity="warning",
        )
    meta = client.meta(data_set_id, pinned)
    levels = list(read_ees_vocabulary()["query"]["geographic_levels"])
    parts: list[dict[str, Any]] = [{"geographicLevels": {"in": levels}}]
    if years:
        parts.append({"timePeriods": {"in": meta.time_periods_matching(years)}})
    result = client.query(data_set_id, criteria=criteria_and(*parts), version=pinned)
    for w in result.warnings:
        issues.add(
            "ees-warning",
            f"EES API: {w.get('message', '')} ({w.get('code', '')})",
            severity="warning",
        )
    if not result.results:
        raise InputError(
            f"the EES API query of {data_set_id} (version {pinned}) "
            "returned no results" + (f" for {', '.join(years)}" if years else "")
        )
    name = f"{entry.id}_{data_set_id[:8]}_v{pinned}"
    if years:
        name += "_" + "_".join(re.sub(r"\W", "", y) for y in years[:6])
    path = write_ees_csv(result.to_records(meta), cache / entry.id / f"{name}.csv")
    issues.add(
        "ees-query",
        f"{result.total_results:,} results over {result.pages} "
        f"page(s) from data set {data_set_id} version {pinned}",
        severity="info",
    )
    url = f"{client.api_url}/data-sets/{data_set_id}/query?dataSetVersion={pinned}"
    return _finish(path, url, pinned, "ees-api")


def _fetch_ees_release(
    client: EESClient,
    entry: CatalogueEntry,
    pattern: str,
    years: list[str] | None,
    version: str | None,
    cache: Path,
    refresh: bool,
    issues: IssueLog,
) -> FetchedFile:
    release = client.release(entry.publication, version)
    info = client.release_file(release, pattern)
    release_version = str(release.get("slug") or release.get("title") or "latest")
    name = re.sub(r"[^\w.-]+", "_", str(info.get("fileName") or f"{info['id']}.csv"))
    dest = cache / entry.id / release_version / name
    url = f"{client.content_url}/releases/{release['id']}/files/{info['id']}"
    fetched = None if refresh else _cached(dest, url, release_version, "ees-release")
    if fetched is None:
        client.download_release_file(str(release["id"]), str(info["id"]), dest)
        fetched = _finish(dest, url, release_version, "ees-release")
    issues.add(
        "ees-release",
        f"release {release.get('title', release_version)!r}, "
        f"file {info.get('fileName', info['id'])}",
        severity="info",
    )
    path = _unzip_if_needed(fetched.path, pattern, issues)
    if years:
        path = _filter_years(path, years, issues)
    if path != fetched.path:
        fetched.path = path
    return fetched


# --- downloads ------------------------------------------------------------------------


def _download(
    client: EESClient, url: str, dest: Path, refresh: bool, **extra: Any
) -> FetchedFile:
    fetched = None if refresh else _cached(dest, url, None, "download", **extra)
    if fetched is not None:
        return fetched
    if url.startswith("file://"):
        local = Path(url[len("file://") :])
        if not local.is_file():
            raise InputError("no such file", file=str(local))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, dest)
    else:
        client.download(url, dest)
    return _finish(dest, url, None, "download", **extra)


def _file_name(address: str, fallback: str) -> str:
    """A file name for a download: the URL's last segment with an extension (ONS
    puts it in the query: ``file?uri=/…/mye23tablesew.xlsx``).

    Examples
    --------
    >>> _file_name("https://www.ons.gov.uk/file?uri=/a/b/mye23tablesew.xlsx", "x")
    'mye23tablesew.xlsx'
    >>> _file_name("https://example.org/download", "ro3_2024-25")
    'ro3_2024-25'
    """
    rest = re.sub(r"^[a-z]+://[^/]*", "", address)
    for segment in reversed(re.split(r"[/?=&]", rest)):
        if re.fullmatch(r"[\w.%-]+\.[A-Za-z0-9]{2,5}", segment):
            return re.sub(r"[^\w.-]+", "_", segment)
    return fallback


def _pick_files(
    entry: CatalogueEntry, years: list[str] | None, version: str | None
) -> list[str]:
    keys = list(entry.files)
    wanted = years or ([version] if version else None)
    if not wanted:
        return keys[-1:]
    picked = [k for k in keys if any(period_key(k) == period_key(y) for y in wanted)]
    missing = [
        y for y in wanted if not any(period_key(k) == period_key(y) for k in keys)
    ]
    if missing:
        raise InputError(
            f"{entry.id} has no vintage {', '.join(missing)}; it has " + ", ".join(keys)
        )
    return picked


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
            result = FetchResult(entry.id, "ees", issues=issues)
            ds = data_set or _find_data_set(client, entry, issues)
            fetched = None
            if ds:
                try:
                    fetched = _fetch_ees_api(
                        client, entry, ds, periods, version, cache, issues
                    )
                except EESApiError as exc:
                    # Only a data set the API does not hold falls back; a pinned
                    # version that is not there is the user's to correct.
                    if exc.status != 404 or data_set or version:
                        raise
                    issues.add(
                        "no-api-data-set",
                        f"{exc}; using the release file",
                        severity="warning",
                    )
            if fetched is None:
                fetched = _fetch_ees_release(
                    client,
                    entry,
                    file or entry.release_file,
                    periods,
                    None if ds else version,
                    cache,
                    refresh,
                    issues,
                )
            result.method = fetched.method
            result.files.append(fetched)
        else:
            result = FetchResult(entry.id, "download", issues=issues)
            keys = _pick_files(entry, periods, version)
            if url and len(keys) != 1:
                raise InputError(
                    f"--url is one file: choose one vintage of {entry.id} "
                    "with --years (" + ", ".join(entry.files) + ")"
                )
            for key in keys:
                sf = entry.files[key]
                address = url or sf.url
                if not address:
                    raise InputError(
                        f"{entry.id} {key}: no confirmed download address is "
                        "catalogued; give the file with --url URL"
                        + (f" (see {entry.landing_page})" if entry.landing_page else "")
                    )
                name = _file_name(address, f"{entry.id}_{key}")
                dest = cache / entry.id / key / name
                result.files.append(
                    _download(
                        client,
                        address,
                        dest,
                        refresh,
                        spec=sf.spec_path,
                        sheet=sf.sheet,
                        set_id=sf.set_id,
                        valid_for=key,
                    )
                )
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
            from lacompare.analysis.neighbours import load_neighbour_set

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
    _ensure_fetches(store)
    return store.query("SELECT * FROM fetches ORDER BY fetched_at, source_id")


__all__ = [
    "FetchResult",
    "FetchedFile",
    "fetch_source",
    "default_cache_dir",
    "parse_years",
    "read_fetches",
]
