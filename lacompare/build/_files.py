"""Which published file is which: the packaged ``lacompare/sources/known_files.toml``.

Each file under a build folder is recognised by its path relative to the folder, then
by its file name anywhere under it, then by its header signature (CSV headings), and
mapped to how it loads (spec, sheet, options), to a neighbour set, to the measure
dictionary it is (applied to the loads it describes), or to the reason it holds no
authority figures. Nothing is skipped silently: a file that matches nothing
is reported as unknown.

Examples
--------
>>> known = read_known_files()
>>> entry = known.loads_for("cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv")
>>> entry[0].periods[-1], entry[0].min_authorities
('2025', 140)
>>> known.match("somewhere/else/sn_may_2025.xlsx").kind
'neighbours'
"""

from __future__ import annotations

import csv
import json
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from lacompare.errors import SpecError

PACKAGE = Path(__file__).resolve().parents[1]
KNOWN_FILES = PACKAGE / "sources" / "known_files.toml"
SPECS = PACKAGE / "sources" / "specs"

#: Files a data folder carries beside its data: read by people, not loaded.
DOC_NAMES = frozenset({"README.md", "PROVENANCE.md"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xls", ".xlsm", ".ods"})


@dataclass(frozen=True)
class LoadEntry:
    """One load of a known file (one sheet of a workbook)."""

    path: str
    spec: str | None = None
    sheet: str | None = None
    options: str = ""  # JSON of the spec keys merged over the spec
    skip_unresolved: bool = False
    header: tuple[str, ...] = ()
    periods: tuple[str, ...] | None = None
    period_range: tuple[str, str, int] | None = None
    min_authorities: int = 140

    @property
    def id(self) -> str:
        return self.path + (f"[{self.sheet}]" if self.sheet else "")

    def spec_file(self) -> Path | None:
        """The spec's file: in ``sources/specs``, or under ``lacompare/`` with a '/'."""
        if not self.spec:
            return None
        return PACKAGE / self.spec if "/" in self.spec else SPECS / self.spec

    def ingest_spec(self) -> Any:
        """The :class:`~lacompare.sources.specs.IngestSpec` to load with, or None."""
        from lacompare.sources.specs import IngestSpec

        spec_file = self.spec_file()
        if not self.options:
            return spec_file
        data: dict[str, Any] = {}
        if spec_file is not None:
            data = tomllib.loads(spec_file.read_text("utf-8"))
        _merge(data, json.loads(self.options))
        return IngestSpec.from_dict(data, origin=str(spec_file or KNOWN_FILES))


@dataclass(frozen=True)
class NeighbourEntry:
    """A DfE statistical-neighbour file and the set it becomes."""

    path: str
    set_id: str
    label: str | None = None
    valid_for: str | None = None


@dataclass(frozen=True)
class DictionaryEntry:
    """A publisher's measure dictionary and the loads whose measures it describes."""

    path: str
    spec: Any  # lacompare.sources._dictionary.DictionarySpec
    header: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recognised:
    """How one file found under a build folder is to be treated."""

    file: Path
    relative: str
    kind: str  # 'load', 'neighbours', 'dictionary', 'other', 'documentation', 'unknown'
    how: str  # 'path', 'name', 'header' or ''
    loads: tuple[LoadEntry, ...] = ()
    neighbours: NeighbourEntry | None = None
    dictionary: DictionaryEntry | None = None
    reason: str = ""


@dataclass
class KnownFiles:
    """The parsed ``known_files.toml``."""

    loads: list[LoadEntry] = field(default_factory=list)
    neighbours: list[NeighbourEntry] = field(default_factory=list)
    dictionaries: list[DictionaryEntry] = field(default_factory=list)
    other: dict[str, str] = field(default_factory=dict)
    other_sheets: dict[tuple[str, str], str] = field(default_factory=dict)

    def known_paths(self) -> set[str]:
        return (
            {e.path for e in self.loads}
            | {e.path for e in self.neighbours}
            | {d.path for d in self.dictionaries}
            | set(self.other)
        )

    def loads_for(self, path: str) -> list[LoadEntry]:
        return [e for e in self.loads if e.path == path]

    def match(self, relative: str, file: Path | None = None) -> Recognised:
        """Recognise a file by its relative path, its name or its CSV headings."""
        rel = PurePosixPath(relative).as_posix()
        path = file if file is not None else Path(rel)
        if path.name in DOC_NAMES:
            return Recognised(
                path,
                rel,
                "documentation",
                "name",
                reason="documentation (provenance, read me)",
            )
        for key, how in ((rel, "path"), (path.name, "name")):
            found = self._by(key, by_name=how == "name")
            if found is not None:
                return Recognised(path, rel, found[0], how, **found[1])
        if file is not None and path.suffix.lower() == ".csv":
            first = _first_row(file)
            for entry in self.loads:
                if entry.header and set(entry.header) <= first:
                    return Recognised(
                        path,
                        rel,
                        "load",
                        "header",
                        loads=tuple(self.loads_for(entry.path)),
                    )
            for d in self.dictionaries:
                if d.header and set(d.header) <= first:
                    return Recognised(path, rel, "dictionary", "header", dictionary=d)
        return Recognised(
            path,
            rel,
            "unknown",
            "",
            reason="not a file lacompare knows (see "
            "lacompare/sources/known_files.toml)",
        )

    def _by(self, key: str, by_name: bool) -> tuple[str, dict[str, Any]] | None:
        def same(path: str) -> bool:
            return (PurePosixPath(path).name == key) if by_name else path == key

        loads = tuple(e for e in self.loads if same(e.path))
        if loads:
            return "load", {"loads": loads}
        for n in self.neighbours:
            if same(n.path):
                return "neighbours", {"neighbours": n}
        for d in self.dictionaries:
            if same(d.path):
                return "dictionary", {"dictionary": d}
        for path, reason in self.other.items():
            if same(path):
                return "other", {"reason": reason}
        return None


def _first_row(file: Path) -> set[str]:
    try:
        with open(file, newline="", encoding="utf-8-sig", errors="replace") as fh:
            return {c.strip() for c in next(csv.reader(fh), [])}
    except OSError:
        return set()


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


_LOAD_KEYS = {
    "path",
    "spec",
    "sheet",
    "options",
    "skip_unresolved",
    "header",
    "periods",
    "period_range",
    "min_authorities",
}


@cache
def _read(path: Path, version: tuple[int, int] | None = None) -> KnownFiles:
    """The list in ``path``, cached by its ``version`` (modification time and
    size), so a list edited since it was read is read again."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(
            f"cannot read the known-files list: {exc}", file=str(path)
        ) from None
    known = KnownFiles()
    for i, row in enumerate(data.get("load", []), 1):
        bad = set(row) - _LOAD_KEYS
        if bad or "path" not in row:
            raise SpecError(
                f"[[load]] entry {i}: unknown keys {sorted(bad)} or no path",
                file=str(path),
            )
        rng = row.get("period_range")
        known.loads.append(
            LoadEntry(
                path=row["path"],
                spec=row.get("spec"),
                sheet=row.get("sheet"),
                options=json.dumps(row["options"]) if row.get("options") else "",
                skip_unresolved=bool(row.get("skip_unresolved", False)),
                header=tuple(row.get("header", ())),
                periods=tuple(row["periods"]) if "periods" in row else None,
                period_range=(rng[0], rng[1], int(rng[2])) if rng else None,
                min_authorities=int(row.get("min_authorities", 140)),
            )
        )
    for row in data.get("neighbours", []):
        known.neighbours.append(
            NeighbourEntry(
                row["path"], row["set_id"], row.get("label"), row.get("valid_for")
            )
        )
    for i, row in enumerate(data.get("dictionary", []), 1):
        from lacompare.sources import DictionarySpec

        if "path" not in row:
            raise SpecError(f"[[dictionary]] entry {i}: no path", file=str(path))
        known.dictionaries.append(
            DictionaryEntry(
                row["path"],
                DictionarySpec.from_dict(row, origin=str(path)),
                tuple(row.get("header", ())),
            )
        )
    for row in data.get("other", []):
        known.other[row["path"]] = row["reason"]
    for row in data.get("other_sheet", []):
        known.other_sheets[(row["path"], row["sheet"])] = row["reason"]
    return known


def read_known_files(path: str | Path | None = None) -> KnownFiles:
    """The known-files list (the packaged one unless ``path`` is given).

    Examples
    --------
    >>> k = read_known_files()
    >>> len(k.neighbours), ("population/mye23tablesew.xlsx", "MYE1") in k.other_sheets
    (2, True)
    """
    file = Path(path) if path else KNOWN_FILES
    try:
        stat = file.stat()
        version = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = None  # _read says it cannot be read
    return _read(file, version)
