"""The catalogue of fetchable sources (``lacompare/fetch/catalogue.toml``)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lacompare.errors import InputError, SpecError
from lacompare.sources.specs import POLARITIES, MeasureSpec

CATALOGUE = Path(__file__).resolve().parent / "catalogue.toml"
# The ingest specs a catalogued download loads with ship with lacompare.sources.
SPECS = Path(__file__).resolve().parents[1] / "sources" / "specs"
METHODS = ("ees", "download")
LOADERS = ("ingest", "neighbours")
_DESCRIBE = (
    "title",
    "publisher",
    "collection",
    "reference_date",
    "units",
    "geography",
    "licence",
    "note",
    "landing_page",
)


@dataclass
class SourceFile:
    """One downloadable vintage of a ``download`` source."""

    key: str
    url: str = ""
    url_status: str = ""
    spec: str = ""
    sheet: str | None = None
    set_id: str | None = None

    @property
    def spec_path(self) -> Path | None:
        return SPECS / self.spec if self.spec else None


@dataclass
class CatalogueEntry:
    """A source lacompare knows how to fetch, and how it loads."""

    id: str
    title: str
    publisher: str
    reference_date: str
    units: str
    geography: str
    licence: str
    method: str
    collection: str = ""
    note: str = ""
    landing_page: str = ""
    publication: str = ""
    data_set_title: str = ""
    data_set_id: str = ""
    release_file: str = ""
    loader: str = "ingest"
    files: dict[str, SourceFile] = field(default_factory=dict)
    measures: dict[str, MeasureSpec] = field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        """One row for ``lacompare sources``."""
        how = (
            f"EES API / release file ({self.publication})"
            if self.method == "ees"
            else "download (" + ", ".join(self.files) + ")"
        )
        return {
            "source": self.id,
            "title": self.title,
            "publisher": self.publisher,
            "reference_date": self.reference_date,
            "units": self.units,
            "geography": self.geography,
            "fetched_by": how,
            "licence": self.licence,
            "note": self.note,
        }


def _entry(key: str, body: dict[str, Any], origin: str) -> CatalogueEntry:
    where = f"[sources.{key}]"
    missing = [
        k
        for k in (
            "title",
            "publisher",
            "reference_date",
            "units",
            "geography",
            "licence",
            "method",
        )
        if not body.get(k)
    ]
    if missing:
        raise SpecError(f"{where} lacks {', '.join(missing)}", file=origin)
    if body["method"] not in METHODS:
        raise SpecError(
            f"{where} method must be one of {', '.join(METHODS)}", file=origin
        )
    loader = body.get("loader", "ingest")
    if loader not in LOADERS:
        raise SpecError(
            f"{where} loader must be one of {', '.join(LOADERS)}", file=origin
        )
    if body["method"] == "ees" and not body.get("publication"):
        raise SpecError(
            f"{where} an EES source needs its publication slug", file=origin
        )
    files = {}
    for fkey, fbody in (body.get("files") or {}).items():
        sf = SourceFile(key=str(fkey), **fbody)
        if sf.spec and not sf.spec_path.is_file():  # type: ignore[union-attr]
            raise SpecError(
                f"{where} files.{fkey}: no spec {sf.spec} in lacompare/sources/specs",
                file=origin,
            )
        if loader == "ingest" and not sf.spec:
            raise SpecError(f"{where} files.{fkey} needs a spec", file=origin)
        files[sf.key] = sf
    if body["method"] == "download" and not files:
        raise SpecError(f"{where} a download source needs [files.*]", file=origin)
    measures = {}
    for heading, mbody in (body.get("measures") or {}).items():
        spec = MeasureSpec(**mbody)
        if spec.polarity not in (None, *POLARITIES):
            raise SpecError(
                f"{where} measures.{heading}: polarity must be one of "
                + ", ".join(POLARITIES),
                file=origin,
            )
        measures[str(heading)] = spec
    known = set(CatalogueEntry.__dataclass_fields__) - {"id"}
    extra = set(body) - known
    if extra:
        raise SpecError(
            f"{where} unknown key(s): {', '.join(sorted(extra))}", file=origin
        )
    plain = {k: v for k, v in body.items() if k not in ("files", "measures")}
    return CatalogueEntry(id=key, **plain, files=files, measures=measures)


@functools.cache
def _read(path: str) -> dict[str, CatalogueEntry]:
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML: {exc}", file=path) from None
    return {
        key: _entry(key, body, path)
        for key, body in (data.get("sources") or {}).items()
    }


def read_catalogue(path: str | Path | None = None) -> dict[str, CatalogueEntry]:
    """The sources ``lacompare fetch`` knows, by id (in catalogue order).

    Examples
    --------
    >>> cat = read_catalogue()
    >>> cat["cla"].publication
    'children-looked-after-in-england-including-adoptions'
    >>> cat["cla"].measures["rate_per_10000"].unit
    'per 10,000 children'
    >>> cat["ro3"].files["2024-25"].spec
    'mhclg_ro3_2024_25.toml'
    """
    return dict(_read(str(Path(path or CATALOGUE).resolve())))


def match_source(
    name: str, catalogue: dict[str, CatalogueEntry] | None = None
) -> CatalogueEntry:
    """The catalogue entry called ``name`` (an unknown name lists the known ones).

    Examples
    --------
    >>> match_source("CLA").id
    'cla'
    """
    catalogue = catalogue or read_catalogue()
    key = name.strip().lower()
    if key in catalogue:
        return catalogue[key]
    raise InputError(
        f"no source called {name!r}; lacompare can fetch: "
        + ", ".join(catalogue)
        + " (see lacompare sources)"
    )
