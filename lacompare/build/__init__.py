"""Build the national store in one go from a folder of published files (or online).

:func:`build_store` walks a folder, recognises every file (and every sheet of a
workbook) from the packaged list ``lacompare/sources/known_files.toml``, loads each
with its spec, then loads the DfE statistical-neighbour sets, derives rates per 10,000
from counts and the ONS 0-17 population, sums district rows up to counties, applies
the chosen boundary policy, and checks the derived rates against the published ones
(the steps after loading are data too: ``lacompare/build/plan.toml``). Every file is
accounted for: loaded, loaded as neighbours, set aside with the reason it holds no
authority figures, applied as a measure dictionary to the loads it describes, failed
(with the one-line error; the store is unchanged by that file), or unknown (listed,
never skipped silently).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "notes.csv").write_text("a,b\\n1,2\\n")
>>> from lacompare.store import open_store
>>> with open_store(":memory:") as s:
...     r = build_store(s, folder, steps=False)
>>> [(f.relative, f.status) for f in r.files]
[('notes.csv', 'unknown')]
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare._lazy import lazy_exports
from lacompare.build._files import (
    KnownFiles,
    Recognised,
    read_known_files,
)
from lacompare.build._timings import deferred_checkpoints, timed
from lacompare.errors import InputError, LacompareError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    from lacompare.derive import Harmonised, RateAgreement
    from lacompare.store import Store

# The derive steps import pandas; `lacompare --help` must not, so they are imported
# when first used (module __getattr__ for the public names).
_LAZY = {
    "summarise_rate_agreement": "lacompare.derive",
    "derive_upper_tier": "lacompare.derive",
    "is_additive": "lacompare.derive",
    "derive_harmonised": "lacompare.derive",
    "POLICIES": "lacompare.geography.changes",
    "read_changes": "lacompare.geography.changes",
    "apply_measure_dictionary": "lacompare.build._dictionary",
    "match_dictionary_spec": "lacompare.build._dictionary",
    "summarise_coverage": "lacompare.build._coverage",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "BuildResult",
    "FileOutcome",
    "POLICIES",
    "apply_measure_dictionary",
    "build_store",
    "derive_harmonised",
    "derive_upper_tier",
    "is_additive",
    "match_dictionary_spec",
    "read_build_plan",
    "read_changes",
    "read_known_files",
    "summarise_coverage",
    "summarise_rate_agreement",
]

PLAN = Path(__file__).with_name("plan.toml")

Progress = Callable[[str, int, int], None]


@dataclass
class FileOutcome:
    """What the build did with one file (or one sheet of a workbook)."""

    relative: str
    sheet: str | None
    status: str  # loaded, neighbours, dictionary, set-aside, documentation, failed,
    # unknown
    how: str = ""  # recognised by path, name or header
    detail: str = ""
    observations: int = 0
    totals: int = 0
    authorities: int = 0
    periods: list[str] = field(default_factory=list)
    source_id: int | None = None
    #: Where this load's figures differ from another file's for the same keys.
    revisions: list[str] = field(default_factory=list)
    #: Seconds the load took, and per stage (lacompare.store._ingest.STAGES).
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    #: Read, matched (and perhaps parsed) in the build's worker process: its
    #: first stages ran beside the store's work, not in ``seconds``.
    prepared: bool = False

    @property
    def id(self) -> str:
        return self.relative + (f"[{self.sheet}]" if self.sheet else "")


@dataclass
class BuildResult:
    """Everything a build did, for the summary and for tests."""

    files: list[FileOutcome] = field(default_factory=list)
    derived: dict[str, Any] = field(default_factory=dict)
    aggregated: dict[str, Any] = field(default_factory=dict)
    harmonised: list[Harmonised] = field(default_factory=list)
    agreement: dict[str, RateAgreement] = field(default_factory=dict)
    fetched: list[Any] = field(default_factory=list)
    policy: str = "keep"
    seconds: float = 0.0
    #: Seconds of each step that is not one file's load (neighbours, measure
    #: dictionaries, derived rates, district sums, the policy, the catalogue).
    steps: dict[str, float] = field(default_factory=dict)
    issues: IssueLog = field(default_factory=IssueLog)
    #: Seconds the store's process waited for the worker (lacompare.build._prepare).
    worker_wait: float = 0.0
    #: Loads the store's process prepared itself rather than wait, and seconds.
    store_prepared: int = 0
    store_preparing: float = 0.0
    #: The indicator catalogue's refresh (lacompare.catalogue.CatalogueRefresh).
    catalogue: Any = None

    def of_status(self, status: str) -> list[FileOutcome]:
        return [f for f in self.files if f.status == status]

    @property
    def observations(self) -> int:
        return sum(f.observations for f in self.files)

    def timing_lines(self, slowest: int = 10) -> list[str]:
        """Seconds per load stage summed over files, per step after loading, and
        the slowest files (:func:`lacompare.build._timings.timing_lines`)."""
        from lacompare.build._timings import timing_lines

        return timing_lines(self, slowest)

    def summary_lines(self) -> list[str]:
        """Plain text: what loaded, what was set aside and why, what failed."""
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.status] = counts.get(f.status, 0) + 1
        lines = [
            f"built in {self.seconds:.1f} s: "
            + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())),
            f"loaded {self.observations:,} values from "
            f"{len(self.of_status('loaded'))} tables",
        ]
        for status, title in (
            ("failed", "failed (store unchanged by them)"),
            ("unknown", "not recognised (not loaded)"),
            ("set-aside", "set aside: no authority figures"),
        ):
            rows = self.of_status(status)
            if rows:
                lines.append(f"{title}:")
                lines.extend(f"  {f.id}: {f.detail}" for f in rows)
        revised = [f for f in self.files if f.revisions]
        if revised:
            lines.append(
                "figures given by more than one file, differing (the later "
                "load is current; lacompare diff and vintages show them):"
            )
            lines.extend(f"  {f.id}: {r}" for f in revised for r in f.revisions)
        for f in self.of_status("neighbours"):
            lines.append(f"neighbours: {f.id}: {f.detail}")
        for f in self.of_status("dictionary"):
            lines.append(f"{f.id}: {f.detail}")
        if self.catalogue is not None:
            lines.extend(self.catalogue.summary_lines())
        for name, d in self.derived.items():
            lines.append(f"derived {name}: {d.n:,} values")
        for name, d in self.aggregated.items():
            lines.append(
                f"districts summed into counties: {name}: {d.n:,} values; "
                f"{len(d.issues.of_kind('district-absent'))} sums missing a "
                "district, "
                f"{len(d.issues.of_kind('district-missing'))} with a "
                "suppressed district"
            )
        for h in self.harmonised:
            lines.append(
                f"boundary policy {h.policy}: {h.measure}: "
                + (
                    f"{h.derived.n:,} values in {h.derived.measure}"
                    if h.derived is not None
                    else f"{len(h.breaks):,} series breaks flagged"
                    if h.breaks is not None
                    else f"kept as published ({len(h.changes)} changes)"
                )
            )
        for a in self.agreement.values():
            lines.extend(a.summary_lines()[:6])
        for issue in self.issues:
            lines.append(f"{issue.severity}: {issue}")
        return lines


def read_build_plan(path: str | Path | None = None) -> dict[str, Any]:
    """The steps after loading (``plan.toml``): rates, aggregations, harmonising.

    Examples
    --------
    >>> plan = read_build_plan()
    >>> [r["name"] for r in plan["rate"]][0], plan["harmonise"]["measures"][0]
    ('cla_rate_per_10000_derived', 'children_count')
    """
    return tomllib.loads(Path(path or PLAN).read_text("utf-8"))


def _walk(folder: Path, known: KnownFiles) -> list[Recognised]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue  # hidden files and folders (.git, .DS_Store) are not data
        found.append(known.match(rel, path))
    return found


def _apply_dictionary(
    store: Store, rec: Recognised, loaded_ids: dict[str, list[int]], result: BuildResult
) -> FileOutcome:
    """Apply a measure dictionary to the loads it describes (those that loaded)."""
    from lacompare.build._dictionary import apply_measure_dictionary
    from lacompare.sources import read_measure_dictionary

    entry = rec.dictionary
    assert entry is not None
    out = FileOutcome(rec.relative, None, "dictionary", rec.how)
    ids = [i for path in entry.spec.describes for i in loaded_ids.get(path, [])]
    if not ids:
        out.detail = (
            "not applied: none of the files it describes loaded ("
            + ", ".join(entry.spec.describes)
            + ")"
        )
        result.issues.add("dictionary-not-applied", f"{rec.relative}: {out.detail}")
        return out
    try:
        book = read_measure_dictionary(rec.file, entry.spec)
        applied, issues = apply_measure_dictionary(store, book, source_ids=ids)
    except LacompareError as exc:
        out.status, out.detail = "failed", str(exc)
        return out
    out.source_id = book.source_id
    actions = applied["action"].value_counts().to_dict()
    out.detail = (
        f"measure dictionary: {applied['measure'].nunique():,} measures "
        f"matched, {actions.get('set', 0):,} values set, "
        f"{actions.get('same', 0):,} already so, "
        f"{actions.get('spec-wins', 0):,} kept as a spec states"
    )
    result.issues.extend(i for i in issues if i.severity != "info")
    return out


def _fetch_all(
    store: Store, result: BuildResult, progress: Progress | None, client: Any = None
) -> None:
    try:
        from lacompare.fetch import fetch_source, read_catalogue
    except ImportError as exc:  # pragma: no cover - part of the package
        raise InputError(
            "--fetch needs lacompare.fetch.fetch_source, which "
            f"this installation lacks ({exc})"
        ) from None
    ids = list(read_catalogue())
    for i, source_id in enumerate(ids):
        if progress:
            progress(f"fetching {source_id}", i, len(ids))
        try:
            fetched = fetch_source(store, source_id, client=client)
        except LacompareError as exc:
            result.files.append(
                FileOutcome(f"fetch:{source_id}", None, "failed", "catalogue", str(exc))
            )
            continue
        result.fetched.append(fetched)
        for load in getattr(fetched, "loads", []) or []:
            result.files.append(
                FileOutcome(
                    f"fetch:{source_id}:{Path(load.file).name}",
                    load.sheet,
                    "loaded",
                    "catalogue",
                    f"{load.observations:,} values",
                    observations=load.observations,
                    totals=load.totals,
                    authorities=load.authorities,
                    periods=list(load.periods),
                    source_id=load.source_id,
                )
            )


def build_store(
    store: Store,
    source: str | Path | None = None,
    *,
    fetch: bool = False,
    fetch_client: Any = None,
    policy: str = "keep",
    known: KnownFiles | None = None,
    plan: dict[str, Any] | None = None,
    steps: bool = True,
    progress: Progress | None = None,
    parallel: bool | None = None,
) -> BuildResult:
    """Load every recognised file under ``source`` (and/or fetch online) and derive.

    Parameters
    ----------
    store
        An open, writable store.
    source
        A folder of published files (``../shared/data`` or a user's copy of the same
        files, in any layout).
    fetch
        Also fetch every catalogued source online (``lacompare sources``) with
        :func:`lacompare.fetch.fetch_source`.
    fetch_client
        The :class:`lacompare.fetch.EESClient` to fetch with (base URLs,
        retries, timeouts); default: one per source, from the environment.
    policy
        Boundary-change policy for the plan's measures: ``keep``, ``aggregate`` or
        ``flag`` (see :mod:`lacompare.geography.changes`).
    known, plan
        The known-files list and the build plan (default: the packaged ones).
    steps
        Run the steps after loading (neighbours are loaded either way).
    progress
        Called with (what, done, total) as the build goes.
    parallel
        Read, match and parse the next files in a worker process while the
        store writes (:mod:`lacompare.build._prepare`); default: when there are
        at least four loads and a second core. The store takes the loads in the
        same order and each in its own transaction either way.

    Returns
    -------
    BuildResult

    Examples
    --------
    See the module example.
    """
    from lacompare.geography.changes import check_policy

    check_policy(policy)
    if source is None and not fetch:
        raise InputError("give a folder to build from (--from) or --fetch")
    started = time.perf_counter()
    known = known or read_known_files()
    plan = plan if plan is not None else read_build_plan()
    result = BuildResult(policy=policy)
    recs: list[Recognised] = []
    if source is not None:
        folder = Path(source)
        if not folder.is_dir():
            raise InputError("not a folder", file=str(folder))
        recs = _walk(folder, known)
    work = sum(max(1, len(r.loads)) for r in recs)
    with deferred_checkpoints(store.con, result.steps):
        from lacompare.build._load import load_files

        loaded_ids, dictionaries, done = load_files(
            store, recs, known, result, progress, work, parallel
        )
        _apply_dictionaries(
            store, dictionaries, known, loaded_ids, result, progress, (done, work)
        )
        if fetch:
            with timed(result.steps, "fetching"):
                _fetch_all(store, result, progress, fetch_client)
        if steps:
            from lacompare.build._steps import run_steps

            run_steps(store, plan, policy, result, progress)
        from lacompare.catalogue import refresh_catalogue

        # Forced: the loads above may have rewritten measures' polarity, which the
        # catalogue curates (a workforce rate published without one is
        # higher-is-worse).
        with timed(result.steps, "catalogue"):
            result.catalogue = refresh_catalogue(store, force=True)
    if progress:
        progress("done", work, work)
    result.seconds = time.perf_counter() - started
    return result


def _apply_dictionaries(
    store: Store,
    dictionaries: list[Recognised],
    known: KnownFiles,
    loaded_ids: dict[str, list[int]],
    result: BuildResult,
    progress: Progress | None,
    step: tuple[int, int],
) -> None:
    """Apply the measure dictionaries in the order known_files.toml lists them
    (a later dictionary has the last word)."""
    done, work = step
    order = {d.path: i for i, d in enumerate(known.dictionaries)}
    dictionaries.sort(
        key=lambda r: order.get(r.dictionary.path, 0) if r.dictionary else 0
    )
    for rec in dictionaries:
        if progress:
            progress(rec.relative, done, work)
        with timed(result.steps, "measure dictionaries"):
            result.files.append(_apply_dictionary(store, rec, loaded_ids, result))
        done += 1
