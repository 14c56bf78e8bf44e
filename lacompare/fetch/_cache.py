"""The download cache: each fetched file beside a sidecar (``<file>.json``) recording
its URL, version, date fetched and SHA-256; and the steps that make a cached file ready
to load (take a CSV out of a zip, keep the rows of the years asked for)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lacompare.errors import InputError
from lacompare.fetch._ees_data import period_key
from lacompare.provenance import IssueLog

CACHE_ENV = "LACOMPARE_CACHE"


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def write_fetched(
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


def read_cached(
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


def filter_years(path: Path, years: list[str], issues: IssueLog) -> Path:
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


def unzip_if_needed(path: Path, pattern: str, issues: IssueLog) -> Path:
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
