"""Fetch an EES source: query the public data API for a data set's version, or
download the release's data file from the content API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lacompare.errors import InputError, LacompareError
from lacompare.fetch._cache import (
    FetchedFile,
    filter_years,
    read_cached,
    unzip_if_needed,
    write_fetched,
)
from lacompare.fetch._catalogue import CatalogueEntry
from lacompare.fetch._client import EESApiError, EESClient
from lacompare.fetch._criteria import criteria_and, read_ees_vocabulary
from lacompare.fetch._ees_data import write_ees_csv
from lacompare.provenance import IssueLog


def find_data_set(
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


def fetch_ees_api(
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
    return write_fetched(path, url, pinned, "ees-api")


def fetch_ees_release(
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
    fetched = (
        None if refresh else read_cached(dest, url, release_version, "ees-release")
    )
    if fetched is None:
        client.download_release_file(str(release["id"]), str(info["id"]), dest)
        fetched = write_fetched(dest, url, release_version, "ees-release")
    issues.add(
        "ees-release",
        f"release {release.get('title', release_version)!r}, "
        f"file {info.get('fileName', info['id'])}",
        severity="info",
    )
    path = unzip_if_needed(fetched.path, pattern, issues)
    if years:
        path = filter_years(path, years, issues)
    if path != fetched.path:
        fetched.path = path
    return fetched


def fetch_ees(
    client: EESClient,
    entry: CatalogueEntry,
    periods: list[str] | None,
    version: str | None,
    cache: Path,
    issues: IssueLog,
    *,
    file: str | None = None,
    data_set: str | None = None,
    refresh: bool = False,
) -> FetchedFile:
    """An EES source's file: from the API when a data set is known and held there,
    else the release's data file (``file`` overrides the catalogue's glob)."""
    ds = data_set or find_data_set(client, entry, issues)
    fetched = None
    if ds:
        try:
            fetched = fetch_ees_api(client, entry, ds, periods, version, cache, issues)
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
        fetched = fetch_ees_release(
            client,
            entry,
            file or entry.release_file,
            periods,
            None if ds else version,
            cache,
            refresh,
            issues,
        )
    return fetched
