"""The demo: the SENDIAS network's 2021 returns, loaded, matched and summarised.

``run_demo`` builds a fresh store from the packaged IASSN 2021 rows (see
``data/PROVENANCE.md``) and writes the regional tables and a one-page report.
Two rows cover two authorities each: 'Cornwall (& Isle of Scilly)' and
'Tower Hamlets (& City)'. Each is one service, so it is counted once, under its
lead authority (Cornwall; Tower Hamlets); the Isles of Scilly and the City of
London have no row of their own, and the load's issue log says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.report import NETWORK_MEASURES

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import IngestResult

DEMO_FILE = "iassn_2021_services.csv"
DEMO_SPEC = "iassn_2021.toml"

#: The numeric columns of the demo file, in the file's order: the figures the
#: network report reads (one list, kept by lacompare.report).
DEMO_MEASURES = NETWORK_MEASURES


@dataclass
class DemoResult:
    """Where the demo wrote its files, and the tables it wrote."""

    out: Path
    db: Path
    regional_summary: Path
    delivery_counts: Path
    report: Path
    load: IngestResult
    summary: pd.DataFrame
    counts: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def demo_data_path() -> Path:
    """Path of the packaged demo CSV (inside the installed package).

    Examples
    --------
    >>> demo_data_path().name
    'iassn_2021_services.csv'
    """
    with as_file(files("lacompare.demo").joinpath("data", DEMO_FILE)) as path:
        return Path(path)


def _spec_path() -> Path:
    with as_file(files("lacompare.demo").joinpath("data", DEMO_SPEC)) as path:
        return Path(path)


def run_demo(
    out: str | Path = "lacompare-demo", progress: Callable[[str], None] | None = None
) -> DemoResult:
    """Build the demo store and write its tables and report into ``out``.

    Parameters
    ----------
    out
        Folder to write ``demo.duckdb``, ``regional_summary.csv``,
        ``delivery_counts.csv`` and ``report.html`` into (created if needed).
    progress
        Called with a short message at each step (the CLI shows a progress bar).

    Examples
    --------
    >>> import tempfile
    >>> result = run_demo(tempfile.mkdtemp())
    >>> result.load.observations > 2000
    True
    >>> sorted(p.name for p in result.out.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['delivery_counts.csv', 'demo.duckdb', 'regional_summary.csv',
     'report.html']
    """
    from lacompare.analysis import summarise_by_group
    from lacompare.cells import write_csv_safe
    from lacompare.report import count_delivery, write_demo_report
    from lacompare.store import ingest, open_store

    say = progress or (lambda message: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    say("Loading the SENDIAS 2021 returns")
    with open_store(db) as store:
        load = ingest(store, demo_data_path(), spec=_spec_path())
        say("Summarising by region")
        summary = summarise_by_group(store, DEMO_MEASURES, source_id=load.source_id)
        summary = summary[
            ["region", "measure", "n", "mean", "median", "sd", "min", "max"]
        ]
        counts = count_delivery(store, load.source_id)
        units = dict(
            store.con.execute(
                "SELECT measure, coalesce(unit, '') FROM measures"
            ).fetchall()
        )
        labels = dict(
            store.con.execute(
                "SELECT measure, coalesce(label, measure) FROM measures"
            ).fetchall()
        )
    notes = [i.message for i in load.issues.of_kind("authority-note")]
    say("Writing tables and report")
    regional_summary = out / "regional_summary.csv"
    write_csv_safe(summary, regional_summary)
    delivery_counts = out / "delivery_counts.csv"
    write_csv_safe(counts, delivery_counts)
    report = out / "report.html"
    write_demo_report(report, summary, counts, units, labels, load, notes)
    return DemoResult(
        out, db, regional_summary, delivery_counts, report, load, summary, counts, notes
    )
