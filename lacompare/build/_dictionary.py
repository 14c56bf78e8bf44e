"""Apply a publisher's measure dictionary to the measures a load created: a step of
the build, above the store (reading a dictionary is lacompare.sources').

:func:`apply_measure_dictionary` sets label, unit, polarity, reference date and
description of the measures loaded from the files a dictionary describes.
:func:`match_dictionary_spec` finds a dictionary file's columns among the known
files (``known_files.toml``).

What a spec states wins: a field (label, unit, polarity, reference date, description)
stated by the spec of any load of the measure (its ``[measures.*]`` entry or its
``[source]`` default) is kept, and the log lists where the dictionary said otherwise.
Every other field the dictionary gives is set, and the returned frame shows each
value before and after. Measures of the described files with no entry, and entries
that match no loaded measure, are listed in the issue log (counts and the first few).

Examples
--------
>>> import os, tempfile
>>> from lacompare.sources import DictionarySpec, read_measure_dictionary
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
>>> s.list_measures()[["label", "unit", "polarity"]].values.tolist()
[['Children looked after rate', 'Rate per 10,000', 'higher-is-worse']]
>>> s.close()
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lacompare.build._files import read_known_files
from lacompare.errors import InputError, SpecError
from lacompare.provenance import IssueLog
from lacompare.sources import (
    DICTIONARY_FIELDS,
    DICTIONARY_SOURCE_KIND,
    DictionarySpec,
    MeasureDictionary,
    first_few,
)

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = ["apply_measure_dictionary", "match_dictionary_spec"]


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


def find_described_sources(store: Store, files: list[str | Path]) -> list[int]:
    """The sources loaded from each file: by full path, else by file name."""
    loads = store.list_sources()
    rows = [
        (int(sid), str(file).replace("\\", "/"))
        for sid, file, spec in zip(
            loads["source_id"], loads["file"], loads["spec"], strict=True
        )
        # A load recorded with no spec is not offered either (as SQL's
        # NOT contains(NULL, ...) is not true).
        if isinstance(spec, str) and f'"kind": "{DICTIONARY_SOURCE_KIND}"' not in spec
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


def read_stated_fields(store: Store, measures: list[str]) -> dict[str, set[str]]:
    """Fields a spec of any load of each measure states (those win)."""
    from lacompare.sources.specs import measure_id

    pairs = _loads_of(store, "source_id", measures=measures)
    specs = dict(
        store.con.execute(
            "SELECT source_id, spec FROM sources WHERE source_id IN (SELECT unnest(?))",
            [sorted({sid for _, sid in pairs})],
        ).fetchall()
    )
    rows = {(measure, specs[sid]) for measure, sid in pairs if sid in specs}
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
            stated[measure] |= {f for f in DICTIONARY_FIELDS if body.get(f)}
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
    spec = dictionary.spec
    if source_ids is None:
        wanted = list(files or spec.describes)
        if not wanted:
            raise InputError(
                "say which loaded file(s) the dictionary describes (--for FILE)",
                file=dictionary.file,
            )
        source_ids = find_described_sources(store, wanted)
    issues = IssueLog()
    issues.extend(dictionary.issues)
    matched = match_entries(store, dictionary, source_ids, issues)
    applied, updates = compare_fields(store, dictionary, matched, issues)
    if check:
        return applied, issues
    write_dictionary(store, dictionary, updates, issues, applied, source_ids)
    return applied, issues


def _loads_of(
    store: Store,
    column: str,
    *,
    measures: list[str] | None = None,
    sources: list[int] | None = None,
) -> set[tuple[Any, Any]]:
    """The distinct (measure, ``column``) pairs of the values and totals kept for
    these measures or loads."""
    pairs = set(
        store.values_relation(
            measures=measures, sources=sources, columns=["measure", column]
        )
        .distinct()
        .fetchall()
    )
    where, params = (
        ("measure", measures) if measures is not None else ("source_id", sources)
    )
    pairs |= set(
        store.con.execute(
            f"SELECT DISTINCT measure, {column} FROM totals "
            f"WHERE {where} IN (SELECT unnest(?))",
            [params],
        ).fetchall()
    )
    return pairs


def match_entries(
    store: Store,
    dictionary: MeasureDictionary,
    source_ids: list[int],
    issues: IssueLog,
) -> dict[str, str]:
    """Each measure of the described loads that has an entry, with its key; logs the
    measures with no entry and the entries that match no measure."""
    spec = dictionary.spec
    where = {"file": dictionary.file, "sheet": spec.sheet}
    # Measures in order, then source columns (a load with none last), as SQL sorts.
    loaded = sorted(
        _loads_of(store, "source_column", sources=source_ids),
        key=lambda r: (r[0], r[1] is None, r[1] or ""),
    )
    files_text = ", ".join(
        Path(r[0]).name
        for r in store.con.execute(
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
    keys = set(dictionary.entries["key"])
    matched = {m: key for key, ms in by_key.items() if key in keys for m in ms}
    unmatched = [m for m in measures if m not in matched]
    unused = sorted(k for k in keys if k not in by_key)
    if unmatched:
        issues.add(
            "dictionary-unmatched-measure",
            f"{len(unmatched)} of the {len(measures)} measures loaded from "
            f"{files_text} have no entry in the dictionary (label, unit and "
            f"polarity left as loaded): {first_few(unmatched)}",
            **where,
        )
    if unused:
        issues.add(
            "dictionary-unused-entry",
            f"{len(unused)} of the dictionary's {len(keys)} entries match no "
            f"measure loaded from {files_text}: {first_few(unused)}",
            severity="info",
            column=spec.key,
            **where,
        )
    return matched


def compare_fields(
    store: Store,
    dictionary: MeasureDictionary,
    matched: dict[str, str],
    issues: IssueLog,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Each matched measure's fields before and after (the frame
    :func:`apply_measure_dictionary` returns) and the updates to make; a field a
    spec states is kept, and the log lists where the dictionary differs."""
    import pandas as pd

    spec = dictionary.spec
    entries = {e["key"]: e for e in dictionary.entries.to_dict("records")}
    stated = read_stated_fields(store, sorted(matched))
    current = {
        r[0]: dict(zip(DICTIONARY_FIELDS, r[1:], strict=True))
        for r in store.con.execute(
            f"SELECT measure, {', '.join(DICTIONARY_FIELDS)} FROM measures "
            "WHERE measure IN (SELECT unnest(?))",
            [sorted(matched)],
        ).fetchall()
    }
    rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    kept: list[str] = []
    for measure in sorted(matched):
        entry = entries[matched[measure]]
        before = current.get(measure, dict.fromkeys(DICTIONARY_FIELDS))
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
            f"dictionary's: {first_few(kept)}",
            severity="info",
            file=dictionary.file,
            sheet=spec.sheet,
        )
    applied = pd.DataFrame(
        rows,
        columns=["measure", "key", "field", "before", "dictionary", "after", "action"],
        dtype=object,
    )
    return applied, updates


def write_dictionary(
    store: Store,
    dictionary: MeasureDictionary,
    updates: list[dict[str, Any]],
    issues: IssueLog,
    applied: pd.DataFrame,
    source_ids: list[int],
) -> None:
    """Set the fields in ``measures`` and record the dictionary as a source, with
    its issues (replacing an earlier record of the same file), all or nothing."""
    import pandas as pd

    con = store.con
    spec = dictionary.spec
    recorded = json.dumps(
        {
            "kind": DICTIONARY_SOURCE_KIND,
            "columns": json.loads(spec.to_json()),
            "describes": source_ids,
        },
        sort_keys=True,
    )
    frame = pd.DataFrame(updates, columns=["measure", *DICTIONARY_FIELDS], dtype=object)
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
            ", ".join(f"{f} = coalesce(u.{f}, measures.{f})" for f in DICTIONARY_FIELDS)
        }
            FROM _dictionary_updates u WHERE measures.measure = u.measure""")
        prior = [
            r[0]
            for r in con.execute(
                "SELECT source_id FROM sources "
                "WHERE sha256 = ? AND sheet = ? AND spec = ?",
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
