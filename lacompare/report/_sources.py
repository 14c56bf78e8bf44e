"""Where a report's figures came from: the loads behind each measure shown
(:class:`SourceTracker`) and the Sources table every output ends with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.formatting.tables import Column, ReportTable

if TYPE_CHECKING:
    from lacompare.store import Store


@dataclass
class SourceTracker:
    """Collects the loads a report's figures came from."""

    store: Store
    uses: list[tuple[str, str | None, Sequence[str] | None]] = field(
        default_factory=list
    )
    source_ids: set[int] = field(default_factory=set)
    extra: list[dict[str, Any]] = field(default_factory=list)

    def use(
        self,
        measure: str,
        breakdown: str | None = "",
        periods: Sequence[str] | None = None,
    ) -> None:
        """Record that the report shows ``measure`` (its breakdown, periods)."""
        self.uses.append((measure, breakdown, list(periods) if periods else None))

    def use_source(self, source_id: int) -> None:
        """Record a whole load (e.g. a table of services' returns)."""
        self.source_ids.add(int(source_id))

    def use_neighbours(self, set_id: str | None) -> None:
        """Record a neighbour set (listed with its own source)."""
        if not set_id:
            return
        rows = self.store.query(
            "SELECT set_id, label, method, source, valid_for, "
            "created_at FROM neighbour_sets WHERE set_id = ?",
            [set_id],
        )
        pairs = self.store.con.execute(
            "SELECT count(*) FROM neighbours WHERE set_id = ?", [set_id]
        ).fetchall()[0][0]
        for r in rows.itertuples():
            self.extra.append(
                {
                    "file": Path(str(r.source)).name
                    if r.source
                    else f"neighbour set {r.set_id}",
                    "sheet": "",
                    "loaded_at": r.created_at,
                    "what": f"Statistical neighbours: {r.label or r.set_id} "
                    f"({r.method}, valid for {r.valid_for or 'unstated'})",
                    "values": int(pairs),
                    "sha256": "",
                }
            )

    def frame(self) -> pd.DataFrame:
        """One row per load: file, sheet, loaded_at, what it gave, values, sha256."""
        measures_of = self.loads()
        rows = [_load_row(r, measures_of) for r in self._source_rows(measures_of)]
        rows += [_extra_row(e) for e in self.extra]
        cols = ["file", "sheet", "loaded_at", "what", "values", "sha256", "path"]
        return pd.DataFrame(rows, columns=cols)

    def loads(self) -> dict[int, set[str]]:
        """The loads (``source_id``) behind the figures used, each with the
        measures it gave (empty for a whole load recorded by :meth:`use_source`)."""
        out: dict[int, set[str]] = {}
        for measure, breakdown, periods in self.uses:
            for sid in self._source_ids(measure, breakdown, periods):
                out.setdefault(sid, set()).add(measure)
        for sid in self.source_ids:
            out.setdefault(sid, set())
        return out

    def _source_ids(
        self, measure: str, breakdown: str | None, periods: Sequence[str] | None
    ) -> set[int]:
        """The loads holding a measure's values or totals (its breakdown, periods)."""
        values = self.store.values_relation(
            measures=measure,
            breakdowns=breakdown,
            periods=list(periods) if periods else None,
            columns=["source_id"],
        )
        ids = {int(r[0]) for r in values.distinct().fetchall() if r[0] is not None}
        cond, params = ["measure = ?"], [measure]
        if breakdown is not None:
            cond.append("breakdown = ?")
            params.append(breakdown)
        if periods:
            cond.append("period IN (SELECT unnest(?))")
            params.append(list(periods))
        totals = self.store.con.execute(
            "SELECT DISTINCT source_id FROM totals WHERE " + " AND ".join(cond),
            params,
        ).fetchall()
        return ids | {int(r[0]) for r in totals if r[0] is not None}

    def _source_rows(self, loads: dict[int, set[str]]) -> list[Any]:
        if not loads:
            return []
        sources = self.store.list_sources()
        return list(sources[sources["source_id"].isin(list(loads))].itertuples())


def _load_row(r: Any, measures_of: dict[int, set[str]]) -> dict[str, Any]:
    """A Sources row for one load (``list_sources``' row)."""
    measures = sorted(measures_of[int(r.source_id)])
    what = (
        ", ".join(measures[:8])
        + (f" and {len(measures) - 8} more" if len(measures) > 8 else "")
        if measures
        else "all its measures"
    )
    count = r.observations
    return {
        "file": Path(str(r.file)).name,
        "sheet": r.sheet or "",
        "loaded_at": pd.Timestamp(r.loaded_at).strftime("%Y-%m-%d %H:%M"),
        "what": what,
        "values": None if pd.isna(count) else int(count),
        "sha256": str(r.sha256)[:12],
        "path": str(r.file),
    }


def _extra_row(e: dict[str, Any]) -> dict[str, Any]:
    """A Sources row for a neighbour set."""
    loaded = e["loaded_at"]
    return {
        **e,
        "loaded_at": pd.Timestamp(loaded).strftime("%Y-%m-%d %H:%M")
        if loaded is not None
        else "",
        "path": "",
    }


def sources_table(frame: pd.DataFrame) -> ReportTable:
    """The Sources section's table (file, sheet, load time, measures, values)."""

    shown = frame.assign(values=pd.to_numeric(frame["values"], errors="coerce"))
    return ReportTable(
        "Sources of the figures in this report",
        shown,
        [
            Column("file", "File", role="label"),
            Column("sheet", "Sheet", role="text"),
            Column("loaded_at", "Loaded", role="text"),
            Column("what", "Measures used", role="text"),
            Column("values", "Values loaded", role="rate", decimals=0),
            Column("sha256", "SHA-256 (first 12)", role="text"),
        ],
        name="Sources",
    )
