"""Publishers' measure dictionaries: label, unit, polarity and year type of the
measures a load created.

A long table such as DfE's LAIT "big data set" names each measure by a short code
(``LAC``, ``InfMort``); what the code means is in a separate data dictionary. This
module reads such a dictionary (:func:`read_measure_dictionary`, with a
:class:`DictionarySpec` naming its columns) and applies it to the ``measures`` table
for the measures loaded from the files it describes
(:func:`apply_measure_dictionary`). The publisher's words for polarity and year type
are translated with the packaged vocabulary ``lacompare/sources/dictionary_words.csv``;
a word it does not list is reported, never guessed.

What a spec states wins: a field (label, unit, polarity, reference date, description)
stated by the spec of any load of the measure (its ``[measures.*]`` entry or its
``[source]`` default) is kept, and the log lists where the dictionary said otherwise.
Every other field the dictionary gives is set, and the returned frame shows each
value before and after. Measures of the described files with no entry, and entries
that match no loaded measure, are listed in the issue log (counts and the first few).

Examples
--------
>>> import os, tempfile
>>> from lacompare.store import open_store, ingest
>>> d = tempfile.mkdtemp()
>>> data = os.path.join(d, "long.csv")
>>> _ = open(data, "w").write("measure_short,year,area_name,value\\n"
...                          "LAC,2024,Leeds,70\\n")
>>> words = os.path.join(d, "dictionary.csv")
>>> _ = open(words, "w").write("short,name,unit,polarity\\n"
...     "LAC,Children looked after rate,\\"Rate per 10,000\\",Low\\n")
>>> s = open_store(":memory:")
>>> _ = ingest(s, data)
>>> spec = DictionarySpec(key="short", label="name", unit="unit", polarity="polarity")
>>> book = read_measure_dictionary(words, spec)
>>> applied, log = apply_measure_dictionary(s, book, files=[data])
>>> s.con.execute("SELECT label, unit, polarity FROM measures").fetchall()
[('Children looked after rate', 'Rate per 10,000', 'higher-is-worse')]
>>> s.close()
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
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError, SpecError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = [
    "DictionarySpec",
    "MeasureDictionary",
    "apply_measure_dictionary",
    "match_dictionary_spec",
    "read_dictionary_words",
    "read_measure_dictionary",
]

#: The measure fields a dictionary can give, in the store's column order.
FIELDS = ("label", "unit", "polarity", "reference_date", "description")
#: Fields whose publisher's words are translated with ``dictionary_words.csv``.
TRANSLATED = ("polarity", "reference_date")
MATCHES = ("measure", "heading")
#: How many measures or entries an issue message names before "…".
SHOW = 10
#: ``sources.spec`` of a dictionary's row starts with this, so it is never taken
#: for an ingest spec.
SOURCE_KIND = "measure-dictionary"
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
        describes; used when :func:`apply_measure_dictionary` is given no files.

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
        if not any(getattr(self, f) for f in FIELDS):
            raise SpecError(
                "a measure dictionary must name at least one of the "
                f"columns {', '.join(FIELDS)}"
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
        return {f: getattr(self, f) for f in FIELDS if getattr(self, f)}

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


def _first(items: list[str]) -> str:
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
    import duckdb
    import pandas as pd

    from lacompare.sources._readers import read_raw

    path = Path(path)
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
    issues = IssueLog()
    issues.extend(raw.issues)
    missing = {m.strip() for m in spec.missing}
    words = read_dictionary_words()
    location = {"file": str(path), "sheet": raw.sheet}
    records: list[dict[str, Any]] = []
    no_word: dict[tuple[str, str], list[int]] = {}
    for rec in frame.to_dict("records"):
        row = int(rec["row"])
        values: dict[str, Any] = {"row": row}
        for name in wanted:
            text = rec[name]
            text = None if text is None or pd.isna(text) else str(text).strip()
            if text:
                # Line ends inside a cell as '\n' (LAIT's are '\r\r\n').
                text = _LINE_END.sub("\n", text)
            values[name] = None if not text or text in missing else text
        if values["key"] is None:
            if any(values[f] for f in spec.columns()):
                issues.add(
                    "dictionary-blank-key",
                    "a row with no measure id: not used",
                    row=row,
                    column=spec.key,
                    **location,
                )
            continue
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
                        row=row,
                        column=getattr(spec, name),
                        value=word,
                        **location,
                    )
                values[name] = None
                continue
            values[name] = known[word.lower()] or None
            if word and not known[word.lower()]:
                no_word.setdefault((name, word), []).append(row)
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
    entries = _merge_duplicates(records, spec, issues, location)
    columns = [
        "key",
        "row",
        *spec.columns(),
        *(f"{n}_word" for n in TRANSLATED if n in spec.columns()),
    ]
    table = pd.DataFrame(entries, columns=columns, dtype=object)
    return MeasureDictionary(str(path), spec, table, _sha256(path), issues)


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
            f"{_first(listed)}",
            column=getattr(spec, name),
            **location,
        )
    if same:
        issues.add(
            "dictionary-duplicate",
            f"{len(same)} measure ids are listed more than once with the same "
            f"values (the first row is used): {_first(same)}",
            severity="info",
            column=spec.key,
            **location,
        )
    return out


def match_dictionary_spec(path: str | Path, **columns: Any) -> DictionarySpec:
    """The columns of a dictionary file: a known one's (``known_files.toml``,
    recognised by name or headings) with ``columns`` given over them.

    Parameters
    ----------
    path
        The dictionary file.
    **columns
        Any :class:`DictionarySpec` field; ``None`` leaves the known value.

    Examples
    --------
    >>> match_dictionary_spec("my/copy/lait_data_dictionary.csv").unit
    'y_axis_name'
    >>> match_dictionary_spec("glossary.csv", key="id", label="name").label
    'name'
    """
    from lacompare.build import read_known_files

    path = Path(path)
    found = read_known_files().match(path.name, path if path.is_file() else None)
    base: dict[str, Any] = {}
    if found.kind == "dictionary" and found.dictionary is not None:
        base = asdict(found.dictionary.spec)
    base.update({k: v for k, v in columns.items() if v not in (None, (), [])})
    if not base.get("key"):
        raise SpecError(
            "not a measure dictionary lacompare knows: say which column "
            "holds the measure ids (--key) and which the label, unit, "
            "polarity, reference date or description",
            file=str(path),
        )
    return DictionarySpec.from_dict(base, origin=str(path))


# ------------------------------------------------------------------------------------
# Applying a dictionary to a store.


def _sources_for(store: Store, files: list[str | Path]) -> list[int]:
    """The sources loaded from each file: by full path, else by file name."""
    rows = [
        (sid, file.replace("\\", "/"))
        for sid, file in store.con.execute(
            "SELECT source_id, file FROM sources WHERE NOT contains(spec, ?)",
            [f'"kind": "{SOURCE_KIND}"'],
        ).fetchall()
    ]
    found: list[int] = []
    for f in files:
        full = Path(f).resolve().as_posix()
        rel = PurePosixPath(str(f).replace("\\", "/")).as_posix()
        exact = [(sid, file) for sid, file in rows if file == full]
        ends = [(sid, file) for sid, file in rows if file.endswith("/" + rel)]
        named = [
            (sid, file)
            for sid, file in rows
            if PurePosixPath(file).name == PurePosixPath(rel).name
        ]
        hits = exact or ends or named
        if not hits:
            raise InputError(
                "no load of this file in the store: load it first "
                "(lacompare ingest), then its dictionary",
                file=str(f),
            )
        paths = sorted({file for _, file in hits})
        if len(paths) > 1:
            raise InputError(
                f"{len(paths)} loaded files have this name "
                f"({', '.join(paths[:3])}): give the full path",
                file=str(f),
            )
        found.extend(sid for sid, _ in hits)
    return sorted(set(found))


def _stated_by_specs(store: Store, measures: list[str]) -> dict[str, set[str]]:
    """Fields a spec of any load of each measure states (those win)."""
    from lacompare.sources.specs import measure_id

    rows = store.con.execute(
        """SELECT DISTINCT measure, s.spec FROM (
               SELECT DISTINCT measure, source_id FROM observations
               UNION SELECT DISTINCT measure, source_id FROM totals) o
           JOIN sources s USING (source_id)
           WHERE measure IN (SELECT unnest(?))""",
        [measures],
    ).fetchall()
    stated: dict[str, set[str]] = {m: set() for m in measures}
    for measure, text in rows:
        try:
            spec = json.loads(text) if text else None
        except ValueError:
            spec = None  # a source of another kind (snapshot, derived): states nothing
        if not isinstance(spec, dict) or not isinstance(spec.get("measures"), dict):
            continue
        stated[measure] |= {
            f for f in ("unit", "polarity", "reference_date") if spec.get(f)
        }
        for heading, body in spec["measures"].items():
            if not isinstance(body, dict):
                continue
            named = body.get("measure")
            if named != measure and (
                named or measure not in (heading, measure_id(heading))
            ):
                continue
            stated[measure] |= {f for f in FIELDS if body.get(f)}
            if body.get("type") == "category":
                stated[measure].add("unit")  # the store's unit is then 'category'
    return stated


def apply_measure_dictionary(
    store: Store,
    dictionary: MeasureDictionary,
    *,
    files: list[str | Path] | None = None,
    source_ids: list[int] | None = None,
    check: bool = False,
) -> tuple[pd.DataFrame, IssueLog]:
    """Set label, unit, polarity, reference date and description of the measures
    loaded from the files a dictionary describes.

    A value stated by a spec wins over the dictionary: a field that the spec of any
    load of the measure states (``[measures.*]`` or a ``[source]`` default) is kept
    as it is, and the log says where the dictionary differs. The dictionary sets
    every other field it gives (those the store filled by default: the measure id as
    label, a detected unit, ``neutral``), so a later reload keeps them (a reload
    changes only what its spec states). A field the dictionary leaves blank, or
    whose word is unknown, is not touched. All or nothing: on an error the store is
    unchanged. The dictionary is recorded as a source (file, SHA-256, columns) with
    its issues in ``load_issues``; applying it again replaces that record.

    Parameters
    ----------
    store
        An open, writable store.
    dictionary
        From :func:`read_measure_dictionary`.
    files
        The loaded files it describes (full paths or file names); default the
        spec's ``describes``.
    source_ids
        Or the ids of the loads it describes (the build passes these).
    check
        Dry run: return what would change, change nothing.

    Returns
    -------
    applied : pandas.DataFrame
        One row per matched measure and field given: ``measure``, ``key``, ``field``,
        ``before``, ``dictionary``, ``after``, ``action`` (``set``, ``same`` or
        ``spec-wins``).
    issues : IssueLog
        The dictionary's reading issues, then: measures of the described files with
        no entry, entries matching no measure, and values kept because a spec
        states them (each as counts and the first few).

    Examples
    --------
    See the module example.
    """
    import pandas as pd

    spec = dictionary.spec
    if source_ids is None:
        wanted = list(files or spec.describes)
        if not wanted:
            raise InputError(
                "say which loaded file(s) the dictionary describes (--for FILE)",
                file=dictionary.file,
            )
        source_ids = _sources_for(store, wanted)
    issues = IssueLog()
    issues.extend(dictionary.issues)
    where = {"file": dictionary.file, "sheet": spec.sheet}
    con = store.con
    loaded = con.execute(
        """SELECT measure, source_column FROM (
               SELECT DISTINCT measure, source_column FROM observations
               WHERE source_id IN (SELECT unnest($1))
               UNION SELECT DISTINCT measure, source_column FROM totals
               WHERE source_id IN (SELECT unnest($1))) ORDER BY 1, 2""",
        [source_ids],
    ).fetchall()
    files_text = ", ".join(
        Path(r[0]).name
        for r in con.execute(
            "SELECT DISTINCT file FROM sources WHERE source_id IN (SELECT unnest(?)) "
            "ORDER BY 1",
            [source_ids],
        ).fetchall()
    )
    measures = sorted({m for m, _ in loaded})
    by_key: dict[str, list[str]] = {}
    for measure, column in loaded:
        key = measure if spec.match == "measure" else column
        if key is not None and measure not in by_key.setdefault(key, []):
            by_key[key].append(measure)
    entries = {e["key"]: e for e in dictionary.entries.to_dict("records")}
    matched = {m: key for key, ms in by_key.items() if key in entries for m in ms}
    unmatched = [m for m in measures if m not in matched]
    unused = sorted(k for k in entries if k not in by_key)
    if unmatched:
        issues.add(
            "dictionary-unmatched-measure",
            f"{len(unmatched)} of the {len(measures)} measures loaded from "
            f"{files_text} have no entry in the dictionary (label, unit and "
            f"polarity left as loaded): {_first(unmatched)}",
            **where,
        )
    if unused:
        issues.add(
            "dictionary-unused-entry",
            f"{len(unused)} of the dictionary's {len(entries)} entries match no "
            f"measure loaded from {files_text}: {_first(unused)}",
            severity="info",
            column=spec.key,
            **where,
        )
    stated = _stated_by_specs(store, sorted(matched))
    current = {
        r[0]: dict(zip(FIELDS, r[1:], strict=True))
        for r in con.execute(
            f"SELECT measure, {', '.join(FIELDS)} FROM measures "
            "WHERE measure IN (SELECT unnest(?))",
            [sorted(matched)],
        ).fetchall()
    }
    rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    kept: list[str] = []
    for measure in sorted(matched):
        entry = entries[matched[measure]]
        before = current.get(measure, dict.fromkeys(FIELDS))
        update: dict[str, Any] = {"measure": measure}
        for name in spec.columns():
            value = entry.get(name)
            if value is None:
                continue
            old = before[name]
            if name in stated[measure]:
                action, after = "spec-wins", old
                if old != value:
                    kept.append(f"{measure} {name} {old!r} (dictionary: {value!r})")
            else:
                action, after = ("same" if old == value else "set"), value
                if action == "set":
                    update[name] = value
            rows.append(
                {
                    "measure": measure,
                    "key": matched[measure],
                    "field": name,
                    "before": old,
                    "dictionary": value,
                    "after": after,
                    "action": action,
                }
            )
        if len(update) > 1:
            updates.append(update)
    if kept:
        issues.add(
            "dictionary-spec-wins",
            f"{len(kept)} values stated by a spec were kept over the "
            f"dictionary's: {_first(kept)}",
            severity="info",
            **where,
        )
    applied = pd.DataFrame(
        rows,
        columns=["measure", "key", "field", "before", "dictionary", "after", "action"],
        dtype=object,
    )
    if check:
        return applied, issues
    _write(store, dictionary, updates, issues, applied, source_ids)
    return applied, issues


def _write(
    store: Store,
    dictionary: MeasureDictionary,
    updates: list[dict[str, Any]],
    issues: IssueLog,
    applied: pd.DataFrame,
    source_ids: list[int],
) -> None:
    import pandas as pd

    con = store.con
    spec = dictionary.spec
    recorded = json.dumps(
        {
            "kind": SOURCE_KIND,
            "columns": json.loads(spec.to_json()),
            "describes": source_ids,
        },
        sort_keys=True,
    )
    frame = pd.DataFrame(updates, columns=["measure", *FIELDS], dtype=object)
    n_set = int((applied["action"] == "set").sum()) if len(applied) else 0
    note = (
        f"measure dictionary: {applied['measure'].nunique() if len(applied) else 0}"
        f" measures described, {n_set} values set"
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("_dictionary_updates", frame)
        con.execute(f"""
            UPDATE measures SET {
            ", ".join(f"{f} = coalesce(u.{f}, measures.{f})" for f in FIELDS)
        }
            FROM _dictionary_updates u WHERE measures.measure = u.measure""")
        prior = [
            r[0]
            for r in con.execute(
                "SELECT source_id FROM sources WHERE sha256 = ? AND sheet = ? AND spec = ?",
                [dictionary.sha256, spec.sheet or "", recorded],
            ).fetchall()
        ]
        for sid in prior:
            con.execute("DELETE FROM load_issues WHERE source_id = ?", [sid])
            con.execute("DELETE FROM sources WHERE source_id = ?", [sid])
        source_id = con.execute(
            "INSERT INTO sources (file, sheet, sha256, spec, observations, totals, "
            "note) VALUES (?, ?, ?, ?, 0, 0, ?) RETURNING source_id",
            [
                str(Path(dictionary.file).resolve()),
                spec.sheet or "",
                dictionary.sha256,
                recorded,
                note,
            ],
        ).fetchall()[0][0]
        for i in issues:
            con.execute(
                "INSERT INTO load_issues (source_id, kind, severity, message, file, "
                'sheet, "row", "column", value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                [
                    source_id,
                    i.kind,
                    i.severity,
                    i.message,
                    i.file,
                    i.sheet,
                    i.row,
                    i.column,
                    i.value,
                ],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_dictionary_updates")
    dictionary.source_id = int(source_id)
