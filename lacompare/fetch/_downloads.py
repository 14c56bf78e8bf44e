"""Fetch a catalogued download (ONS, MHCLG, DWP, Ofsted …): the vintages asked for,
each from its confirmed address or one the user gives."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from lacompare.errors import InputError
from lacompare.fetch._cache import FetchedFile, read_cached, write_fetched
from lacompare.fetch._catalogue import CatalogueEntry
from lacompare.fetch._client import EESClient
from lacompare.fetch._ees_data import period_key


def download(
    client: EESClient, url: str, dest: Path, refresh: bool, **extra: Any
) -> FetchedFile:
    fetched = None if refresh else read_cached(dest, url, None, "download", **extra)
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
    return write_fetched(dest, url, None, "download", **extra)


def file_name(address: str, fallback: str) -> str:
    """A file name for a download: the URL's last segment with an extension (ONS
    puts it in the query: ``file?uri=/…/mye23tablesew.xlsx``).

    Examples
    --------
    >>> file_name("https://www.ons.gov.uk/file?uri=/a/b/mye23tablesew.xlsx", "x")
    'mye23tablesew.xlsx'
    >>> file_name("https://example.org/download", "ro3_2024-25")
    'ro3_2024-25'
    """
    rest = re.sub(r"^[a-z]+://[^/]*", "", address)
    for segment in reversed(re.split(r"[/?=&]", rest)):
        if re.fullmatch(r"[\w.%-]+\.[A-Za-z0-9]{2,5}", segment):
            return re.sub(r"[^\w.-]+", "_", segment)
    return fallback


def pick_files(
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


def fetch_downloads(
    client: EESClient,
    entry: CatalogueEntry,
    periods: list[str] | None,
    version: str | None,
    cache: Path,
    *,
    url: str | None = None,
    refresh: bool = False,
) -> list[FetchedFile]:
    """A download source's files: one per vintage asked for (default the latest)."""
    keys = pick_files(entry, periods, version)
    if url and len(keys) != 1:
        raise InputError(
            f"--url is one file: choose one vintage of {entry.id} "
            "with --years (" + ", ".join(entry.files) + ")"
        )
    files = []
    for key in keys:
        sf = entry.files[key]
        address = url or sf.url
        if not address:
            raise InputError(
                f"{entry.id} {key}: no confirmed download address is "
                "catalogued; give the file with --url URL"
                + (f" (see {entry.landing_page})" if entry.landing_page else "")
            )
        name = file_name(address, f"{entry.id}_{key}")
        dest = cache / entry.id / key / name
        files.append(
            download(
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
    return files
