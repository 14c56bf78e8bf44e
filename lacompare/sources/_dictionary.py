"""Publishers' measure dictionaries: label, unit, polarity and year type of
measures, read from the publisher's own table.

A long table such as DfE's LAIT "big data set" names each measure by a short code
(``LAC``, ``InfMort``); what the code means is in a separate data dictionary. This
module reads such a dictionary (:func:`read_measure_dictionary`, with a
:class:`DictionarySpec` naming its columns) into one entry per measure id. The
publisher's words for polarity and year type are translated with the packaged
vocabulary ``lacompare/sources/dictionary_words.csv``; a word it does not list is
reported, never guessed. Applying a dictionary to the measures a load created is a
step of the build (:func:`lacompare.build.apply_measure_dictionary`), above the store.

Examples
--------
>>> import os, tempfile
>>> words = os.path.join(tempfile.mkdtemp(), "dictionary.csv")
>>> _ = open(words, "w").write("short,name,unit,polarity\\n"
...     "LAC,Children looked after rate,\\"Rate per 10,000\\",Low\\n")
>>> spec = DictionarySpec(key="short", label="name", unit="unit", polarity="polarity")
>>> book = read_measure_dictionary(words, spec)
>>> book.entries[["key", "label", "unit", "polarity"]].values.tolist()
[['LAC', 'Children looked after rate', 'Rate per 10,000', 'higher-is-worse']]
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError, SpecError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.sources._raw import RawTable

__all__ = [
    "DICTIONARY_FIELDS",
    "DICTIONARY_SOURCE_KIND",
    "DictionarySpec",
    "MeasureDictionary",
    "first_few",
    "read_dictionary_words",
    "read_measure_dictionary",
]

#: The measure fields a dictionary can give, in the store's column order.
DICTIONARY_FIELDS = ("label", "unit", "polarity", "reference_date", "description")
#: Fields whose publisher's words are translated with ``dictionary_words.csv``.
TRANSLATED = ("polarity", "reference_date")
MATCHES = ("measure", "heading")
#: How many measures or entries an issue message names before "…".
SHOW = 10
#: ``sources.spec`` of a dictionary's row starts with this, so it is never taken
#: for an ingest spec.
DICTIONARY_SOURCE_KIND = "measure-dictionary"
_LINE_END = re.compile(r"\r+\n|\r")


@dataclass(frozen=True)
class DictionarySpec:
    """Which columns of a dictionary hold what.

    Parameters
    ----------
    key
        The column whose value is the stored measure id (``match='measure'``) or the
        heading of the column the measure was loaded from (``match='heading'``).
    label, unit, polarity, reference_date, description
        The columns giving each field (``None``: the dictionary does not give it).
    match
        ``measure`` or ``heading``.
    missing
        Cell texts that mean "not stated" in this file, e.g. ``NA`` written by R.
    sheet
        The sheet of a workbook dictionary.
    describes
        The files (paths as in ``known_files.toml``, or names) whose measures it
        describes; used when :func:`lacompare.build.apply_measure_dictionary` is
        given no files.

    Examples
    --------
    >>> DictionarySpec.from_dict({"key": "code", "unit": "units"}).unit
    'units'
    >>> DictionarySpec.from_dict({"unit": "units"})
    Traceback (most recent call last):
    ...
    lacompare.errors.SpecError: a measure dictionary needs `key` (its measure ids)
    """

    key: str
    label: str | None = None
    unit: str | None = None
    polarity: str | None = None
    reference_date: str | None = None
    description: str | None = None
    match: str = "measure"
    missing: tuple[str, ...] = ()
    sheet: str | None = None
    describes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.match not in MATCHES:
            raise SpecError(
                f"match must be one of {', '.join(MATCHES)}, not {self.match!r}"
            )
        if not any(getattr(self, f) for f in DICTIONARY_FIELDS):
            raise SpecError(
                "a measure dictionary must name at least one of the "
                f"columns {', '.join(DICTIONARY_FIELDS)}"
            )

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], origin: str | None = None
    ) -> DictionarySpec:
        """From a ``[[dictionary]]`` entry of ``known_files.toml`` (or flags)."""
        allowed = {f.name for f in fields(cls)}
        bad = set(data) - allowed - {"path", "header"}
        if bad:
            raise SpecError(
                f"unknown key(s) in a measure dictionary: "
                f"{', '.join(sorted(bad))}; allowed: "
                f"{', '.join(sorted(allowed))}",
                file=origin,
            )
        if not data.get("key"):
            raise SpecError(
                "a measure dictionary needs `key` (its measure ids)", file=origin
            )
        body = {k: v for k, v in data.items() if k in allowed}
        for name in ("missing", "describes"):
            value = body.get(name, ())
            if isinstance(value, str):
                value = [value]
            if not all(isinstance(v, str) for v in value):
                raise SpecError(f"{name} must be a list of texts", file=origin)
            body[name] = tuple(value)
        try:
            return cls(**body)
        except SpecError as exc:
            raise SpecError(exc.message, file=origin) from None

    def columns(self) -> dict[str, str]:
        """The dictionary's column for each field it gives."""
        return {f: getattr(self, f) for f in DICTIONARY_FIELDS if getattr(self, f)}

    def to_json(self) -> str:
        data = asdict(self)
        data["missing"], data["describes"] = list(self.missing), list(self.describes)
        return json.dumps(data, sort_keys=True)


@dataclass
class MeasureDictionary:
    """A dictionary read and translated: one entry per key.

    ``entries`` has columns ``key``, ``row`` (the file row of its first entry) and
    one per field given, holding the value the store would take (polarity and
    reference date already translated; ``None`` = not stated or not usable).
    ``words`` keeps the publisher's own word for each translated field.
    """

    file: str
    spec: DictionarySpec
    entries: pd.DataFrame
    sha256: str
    issues: IssueLog = field(default_factory=IssueLog)
    #: The dictionary's row in ``sources`` once applied to a store.
    source_id: int | None = None

    def __len__(self) -> int:
        return len(self.entries)


@cache
def _words_text() -> str:
    return (
        resources.files("lacompare.sources")
        .joinpath("dictionary_words.csv")
        .read_text("utf-8")
    )


def read_dictionary_words() -> dict[str, dict[str, str]]:
    """The publishers' words for polarity and year type, and what the store holds.

    Returns ``{field: {word (lower case): value}}``; an empty value means the word
    states nothing the store can hold.

    Examples
    --------
    >>> words = read_dictionary_words()
    >>> polarity, year = words["polarity"], words["reference_date"]
    >>> polarity["low"], polarity[""], year["annual"], year["financial year"]
    ('higher-is-worse', 'neutral', '', 'financial year')
    """
    from lacompare.sources.specs import POLARITIES

    body = "".join(
        line
        for line in _words_text().splitlines(keepends=True)
        if not line.startswith("# ")
    )
    out: dict[str, dict[str, str]] = {f: {} for f in TRANSLATED}
    for i, row in enumerate(csv.DictReader(io.StringIO(body)), 2):
        name, word, value = row["field"], row["word"].strip(), row["value"].strip()
        if name not in out or (name == "polarity" and value not in POLARITIES):
            raise SpecError(
                f"row {i}: field must be one of {', '.join(TRANSLATED)} "
                f"and a polarity one of {', '.join(POLARITIES)}",
                file="lacompare/sources/dictionary_words.csv",
            )
        out[name][word.lower()] = value
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def first_few(items: list[str]) -> str:
    shown = ", ".join(items[:SHOW])
    return shown + (f" … ({len(items) - SHOW} more)" if len(items) > SHOW else "")


def read_measure_dictionary(
    path: str | Path, spec: DictionarySpec
) -> MeasureDictionary:
    """Read a publisher's measure dictionary (CSV, XLSX/ODS or Parquet).

    Parameters
    ----------
    path
        The dictionary file.
    spec
        Which column holds the key and which the label, unit, polarity, reference
        date (year type) and description.

    Returns
    -------
    MeasureDictionary
        One entry per key (texts stripped, line ends inside a cell written as
        ``\\n``), and the issue log: rows with no key; polarity or year
        type words not in ``dictionary_words.csv`` (that field is not used); keys
        listed twice (the same values: one entry; different values: that field is
        not used, and both rows are named).

    Raises
    ------
    InputError
        The file cannot be read, or a column the spec names is not in it.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(p, "w").write("code,pol\\nA,Low\\nB,Sideways\\nA,Low\\n")
    >>> book = read_measure_dictionary(p, DictionarySpec(key="code", polarity="pol"))
    >>> book.entries[["key", "polarity"]].values.tolist()
    [['A', 'higher-is-worse'], ['B', None]]
    >>> [i.kind for i in book.issues]
    ['dictionary-unknown-word', 'dictionary-duplicate']
    """
    import pandas as pd

    path = Path(path)
    frame, raw = _read_columns(path, spec)
    issues = IssueLog()
    issues.extend(raw.issues)
    location = {"file": str(path), "sheet": raw.sheet}
    records = _parse_entries(frame, spec, issues, location)
    entries = _merge_duplicates(records, spec, issues, location)
    columns = [
        "key",
        "row",
        *spec.columns(),
        *(f"{n}_word" for n in TRANSLATED if n in spec.columns()),
    ]
    table = pd.DataFrame(entries, columns=columns, dtype=object)
    return MeasureDictionary(str(path), spec, table, _sha256(path), issues)


def _read_columns(path: Path, spec: DictionarySpec) -> tuple[pd.DataFrame, RawTable]:
    """The key and field columns of a dictionary file, one row per file row."""
    import duckdb

    from lacompare.sources._readers import read_raw

    con = duckdb.connect()
    try:
        raw = read_raw(con, path, sheet=spec.sheet, relation="_dictionary")
        wanted = {"key": spec.key, **spec.columns()}
        for name, column in wanted.items():
            if column not in raw.headers:
                raise InputError(
                    f"no column {column!r} (the dictionary's {name}); "
                    f"its columns are {', '.join(raw.headers)}",
                    file=str(path),
                    sheet=raw.sheet,
                    row=raw.header_row,
                    column=column,
                )
        picks = ", ".join(
            f'c{raw.headers.index(c)} AS "{n}"' for n, c in wanted.items()
        )
        frame = con.execute(
            f"SELECT {raw.row_sql} AS row, {picks} FROM _dictionary ORDER BY 1"
        ).fetchdf()
    finally:
        con.close()
    return frame, raw


def _parse_entries(
    frame: pd.DataFrame,
    spec: DictionarySpec,
    issues: IssueLog,
    location: dict[str, Any],
) -> list[dict[str, Any]]:
    """Each row with a key as an entry: texts cleaned, words translated."""
    missing = {m.strip() for m in spec.missing}
    words = read_dictionary_words()
    wanted = ["key", *spec.columns()]
    records: list[dict[str, Any]] = []
    no_word: dict[tuple[str, str], list[int]] = {}
    for rec in frame.to_dict("records"):
        values = _cell_texts(rec, wanted, missing)
        if values["key"] is None:
            if any(values[f] for f in spec.columns()):
                issues.add(
                    "dictionary-blank-key",
                    "a row with no measure id: not used",
                    row=values["row"],
                    column=spec.key,
                    **location,
                )
            continue
        _translate_words(values, spec, words, issues, location, no_word)
        records.append(values)
    for (name, word), rows in no_word.items():
        issues.add(
            "dictionary-word-states-nothing",
            f"{len(rows)} entries give {name.replace('_', ' ')} {word!r}, which "
            "names nothing the store can hold (see "
            "lacompare/sources/dictionary_words.csv): not set for them",
            severity="info",
            column=getattr(spec, name),
            value=word,
            **location,
        )
    return records


def _cell_texts(
    rec: dict[str, Any], wanted: list[str], missing: set[str]
) -> dict[str, Any]:
    """A row's texts, stripped; blank or a "not stated" marker is ``None``."""
    import pandas as pd

    values: dict[str, Any] = {"row": int(rec["row"])}
    for name in wanted:
        text = rec[name]
        text = None if text is None or pd.isna(text) else str(text).strip()
        if text:
            # Line ends inside a cell as '\n' (LAIT's are '\r\r\n').
            text = _LINE_END.sub("\n", text)
        values[name] = None if not text or text in missing else text
    return values


def _translate_words(
    values: dict[str, Any],
    spec: DictionarySpec,
    words: dict[str, dict[str, str]],
    issues: IssueLog,
    location: dict[str, Any],
    no_word: dict[tuple[str, str], list[int]],
) -> None:
    """Polarity and year type words as the store holds them (in ``values``); the
    publisher's word kept as ``<field>_word``. An unknown word is reported and the
    field left unset; a word that states nothing is counted in ``no_word``."""
    for name in TRANSLATED:
        if name not in spec.columns():
            continue
        word = values[name] or ""
        values[f"{name}_word"] = values[name]
        known = words[name]
        if word.lower() not in known:
            if word:
                issues.add(
                    "dictionary-unknown-word",
                    f"{word!r} is not a {name.replace('_', ' ')} lacompare "
                    "knows (lacompare/sources/dictionary_words.csv): "
                    f"{values['key']}'s {name.replace('_', ' ')} is not set",
                    row=values["row"],
                    column=getattr(spec, name),
                    value=word,
                    **location,
                )
            values[name] = None
            continue
        values[name] = known[word.lower()] or None
        if word and not known[word.lower()]:
            no_word.setdefault((name, word), []).append(values["row"])


def _merge_duplicates(
    records: list[dict[str, Any]],
    spec: DictionarySpec,
    issues: IssueLog,
    location: dict[str, Any],
) -> list[dict[str, Any]]:
    """One entry per key; a field the repeats disagree on is not used."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        by_key.setdefault(rec["key"], []).append(rec)
    same: list[str] = []
    conflicts: dict[str, list[str]] = {}
    out = []
    for key, recs in by_key.items():
        first = dict(recs[0])
        if len(recs) > 1:
            rows = ", ".join(str(r["row"]) for r in recs)
            differ = [
                f
                for f in spec.columns()
                if len({r.get(f"{f}_word", r[f]) for r in recs}) > 1
            ]
            for name in differ:
                shown = " / ".join(repr(r.get(f"{name}_word", r[name])) for r in recs)
                conflicts.setdefault(name, []).append(f"{key!r} (rows {rows}: {shown})")
                first[name] = None
            if not differ:
                same.append(f"{key} (rows {rows})")
        out.append(first)
    for name, listed in conflicts.items():
        what = name.replace("_", " ")
        issues.add(
            "dictionary-conflict",
            f"{len(listed)} measure ids are listed more than once with "
            f"different {what}s, so their {what} is not set: "
            f"{first_few(listed)}",
            column=getattr(spec, name),
            **location,
        )
    if same:
        issues.add(
            "dictionary-duplicate",
            f"{len(same)} measure ids are listed more than once with the same "
            f"values (the first row is used): {first_few(same)}",
            severity="info",
            column=spec.key,
            **location,
        )
    return out
