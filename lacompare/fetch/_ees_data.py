"""What the EES public data API answers: a data set's meta (ids to labels), a query's
results, and those results written as an EES data-standard CSV for ingest to read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lacompare.errors import InputError, LacompareError
from lacompare.fetch._criteria import read_ees_vocabulary

# --- meta -----------------------------------------------------------------------------


def api_period_to_csv(period: str) -> str:
    """An API period (``2023/2024``) as the data-standard CSV writes it (``202324``).

    Examples
    --------
    >>> api_period_to_csv("2023/2024"), api_period_to_csv("2024")
    ('202324', '2024')
    """
    m = re.fullmatch(r"(\d{4})/(\d{4})", period.strip())
    return f"{m.group(1)}{m.group(2)[2:]}" if m else period.strip()


def period_key(text: str) -> str:
    """A period compared loosely: ``2023-24``, ``2023/24``, ``202324`` and
    ``2023/2024`` are the same key.

    Examples
    --------
    >>> period_key("2023-24") == period_key("2023/2024") == period_key("202324")
    True
    >>> period_key("2024")
    '2024'
    """
    t = text.strip()
    m = re.fullmatch(r"(\d{4})\s*[-/]?\s*(\d{4}|\d{2})", t)
    if m and len(t) > 4:
        return f"{m.group(1)}/{m.group(2)[-2:]}"
    return t


@dataclass
class DataSetMeta:
    """A data set version's metadata with every id resolvable to its label.

    Built from the ``GET /v1/data-sets/{id}/meta`` response.
    """

    filters: dict[str, dict[str, Any]] = field(default_factory=dict)
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    geographic_levels: dict[str, str] = field(default_factory=dict)
    locations: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    time_periods: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> DataSetMeta:
        """Index a meta response.

        Examples
        --------
        >>> m = DataSetMeta.from_json({"filters": [{"id": "f1", "column": "sex",
        ...     "label": "Sex", "options": [{"id": "o1", "label": "Girls"}]}],
        ...     "indicators": [{"id": "i1", "column": "n", "label": "Number",
        ...     "unit": ""}], "geographicLevels": [{"code": "LA", "label":
        ...     "Local authority"}], "locations": [{"level": {"code": "LA"},
        ...     "options": [{"id": "l1", "label": "Leeds", "code": "E08000035",
        ...     "oldCode": "383"}]}], "timePeriods": [{"code": "RY", "period":
        ...     "2024", "label": "2024"}]})
        >>> m.filters["f1"]["options"]["o1"], m.locations[("LA", "l1")]["code"]
        ('Girls', 'E08000035')
        """
        meta = cls()
        for f in body.get("filters") or []:
            meta.filters[f["id"]] = {
                "column": f.get("column") or f["id"],
                "label": f.get("label", ""),
                "hint": f.get("hint"),
                "options": {
                    o["id"]: o.get("label", "") for o in f.get("options") or []
                },
            }
        for i in body.get("indicators") or []:
            meta.indicators[i["id"]] = {
                "column": i.get("column") or i["id"],
                "label": i.get("label", ""),
                "unit": i.get("unit"),
                "decimal_places": i.get("decimalPlaces"),
            }
        for g in body.get("geographicLevels") or []:
            meta.geographic_levels[g["code"]] = g.get("label", g["code"])
        for group in body.get("locations") or []:
            level = group["level"]["code"]
            for o in group.get("options") or []:
                meta.locations[(level, o["id"])] = o
        meta.time_periods = [dict(t) for t in body.get("timePeriods") or []]
        return meta

    def indicator_ids(self, columns: list[str]) -> list[str]:
        """Ids of indicators named by CSV column or id (an unknown name is an error)."""
        by_column = {v["column"]: k for k, v in self.indicators.items()}
        out = []
        for c in columns:
            if c in self.indicators:
                out.append(c)
            elif c in by_column:
                out.append(by_column[c])
            else:
                raise InputError(
                    f"the data set has no indicator {c!r}; it has "
                    + ", ".join(sorted(by_column))
                )
        return out

    def time_periods_matching(self, periods: list[str]) -> list[dict[str, str]]:
        """The data set's time periods (``{period, code}``) that the given match."""
        wanted = {period_key(p) for p in periods}
        found = [
            {"period": t["period"], "code": t["code"]}
            for t in self.time_periods
            if period_key(t["period"]) in wanted
        ]
        if not found:
            have = ", ".join(t.get("label") or t["period"] for t in self.time_periods)
            raise InputError(
                f"no time period {', '.join(periods)} in the data set; it has {have}"
            )
        return found


@dataclass
class QueryResult:
    """Every page of one query: results, warnings and paging."""

    results: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    pages: int
    total_results: int
    version: str | None = None

    def to_records(self, meta: DataSetMeta) -> list[dict[str, str]]:
        """Results as rows of the EES data-standard CSV: ids resolved to labels.

        Values stay the strings the API sent (``"c"``, ``"1,234"`` …), exactly as a
        release CSV prints them, so the store parses them with the same rules.
        """
        vocab = read_ees_vocabulary()
        levels = vocab["geographic_levels"]
        idents = vocab["time_identifiers"]
        rows = []
        for r in self.results:
            loc = r.get("locations") or {}
            nat, reg, la = (
                _location(meta, level, loc.get(level)) for level in ("NAT", "REG", "LA")
            )
            tp = r["timePeriod"]
            row = {
                "time_period": api_period_to_csv(tp["period"]),
                "time_identifier": idents.get(tp["code"], tp["code"]),
                "geographic_level": levels.get(
                    r["geographicLevel"], r["geographicLevel"]
                ),
                "country_code": nat.get("code", ""),
                "country_name": nat.get("label", ""),
                "region_code": reg.get("code", ""),
                "region_name": reg.get("label", ""),
                "new_la_code": la.get("code", ""),
                "old_la_code": la.get("oldCode", ""),
                "la_name": la.get("label", ""),
            }
            for fid, oid in (r.get("filters") or {}).items():
                f = meta.filters.get(fid)
                if f is None or oid not in f["options"]:
                    raise LacompareError(
                        f"EES API result names filter option "
                        f"{fid}={oid}, which the data set's "
                        "meta lacks"
                    )
                row[f["column"]] = f["options"][oid]
            for iid, raw in (r.get("values") or {}).items():
                ind = meta.indicators.get(iid)
                row[ind["column"] if ind else iid] = "" if raw is None else str(raw)
            rows.append(row)
        return rows

    def parse_values(self, meta: DataSetMeta) -> list[dict[str, Any]]:
        """One record per value: parsed by :func:`lacompare.cells.parse_cell`.

        A suppression symbol is kept as ``missing_reason`` (never 0) with the raw text.
        """
        from lacompare.cells import parse_cell

        out = []
        for rec in self.to_records(meta):
            for ind in meta.indicators.values():
                if ind["column"] not in rec:
                    continue
                raw = rec[ind["column"]]
                cell = parse_cell(raw if raw != "" else None)
                out.append(
                    {
                        "time_period": rec["time_period"],
                        "geographic_level": rec["geographic_level"],
                        "new_la_code": rec["new_la_code"],
                        "la_name": rec["la_name"],
                        "indicator": ind["column"],
                        "raw": raw,
                        "value": cell.value,
                        "missing_reason": cell.missing,
                    }
                )
        return out


def _location(meta: DataSetMeta, level: str, key: str | None) -> dict[str, Any]:
    if key is None:
        return {}
    found = meta.locations.get((level, key))
    if found is None:
        raise LacompareError(
            f"EES API result names location {level} {key!r}, which "
            "the data set's meta lacks"
        )
    return found


def write_ees_csv(records: list[dict[str, str]], path: str | Path) -> Path:
    """Write rows as an EES data-standard CSV (``lacompare ingest`` reads it unaided).

    Examples
    --------
    >>> import tempfile, os
    >>> p = write_ees_csv([{"time_period": "2024", "la_name": "Leeds", "n": "c"}],
    ...                   os.path.join(tempfile.mkdtemp(), "x.csv"))
    >>> p.read_text().splitlines()
    ['time_period,la_name,n', '2024,Leeds,c']
    """
    import csv

    path = Path(path)
    columns: list[str] = []
    for rec in records:
        for k in rec:
            if k not in columns:
                columns.append(k)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        # Not lacompare.cells.CsvSafeWriter: this is the cache of the publisher's
        # data that ingest reads next, and must hold it as published (a '-' marker
        # quoted as "'-" would no longer read as missing). Outputs made from it are
        # neutralised when written.
        writer = csv.DictWriter(fh, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    return path
