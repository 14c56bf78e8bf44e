"""Mapping specs: how a table that lacompare cannot read unaided maps to measures.

A spec is a small TOML file (or the equivalent command-line flags)::

    [source]
    sheet = "Table 3"           # workbook sheet
    header_row = 4              # 1-based row of the column headings
    layout = "wide"             # ees | long | wide (default: detected)
    la_columns = ["LA code", "Local authority"]   # codes first, then names
    period = "2021"             # one period for every row ...
    period_column = "year"      # ... or a column holding it
    exclude_columns = ["region"]
    keep_rows = { geography = ["Region", "County or Unitary Authority"] }
    area_lookup = "csp_upper_tier"  # sum smaller areas into their authority ...
    area_column = "CSP code"        # ... keyed by this column's codes

    [measures."Population 0-25"]  # keyed by the column heading (wide tables)
    measure = "pop_0_25"          # stored measure id (default: heading in snake_case)
    unit = "persons"
    polarity = "neutral"          # higher-is-better | higher-is-worse | neutral
    reference_date = "mid-year"
    type = "number"               # number | category
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from lacompare.errors import SpecError

LAYOUTS = ("ees", "long", "wide")
VALUE_TYPES = ("number", "category")
POLARITIES = ("higher-is-better", "higher-is-worse", "neutral")


@dataclass
class MeasureSpec:
    """What one value column (or one measure of a long table) means."""

    measure: str | None = None
    label: str | None = None
    unit: str | None = None
    polarity: str | None = None
    reference_date: str | None = None
    description: str | None = None
    period: str | None = None
    type: str = "number"


@dataclass
class IngestSpec:
    """How to read one table; every field is optional (``None`` = detect).

    Examples
    --------
    >>> spec = IngestSpec.from_dict({"source": {"period": "2021"},
    ...     "measures": {"pop 0-25": {"unit": "persons"}}})
    >>> spec.period, spec.measures["pop 0-25"].unit
    ('2021', 'persons')
    """

    sheet: str | None = None
    header_row: int | None = None
    header_rows: int = 1
    layout: str | None = None
    la_columns: list[str] | None = None
    period: str | None = None
    period_column: str | None = None
    breakdown_columns: list[str] | None = None
    measure_column: str | None = None
    value_column: str | None = None
    columns: list[str] | None = None
    exclude_columns: list[str] = field(default_factory=list)
    as_of: str | None = None
    unit: str | None = None
    polarity: str | None = None
    reference_date: str | None = None
    # Markers that mean something else in this table (marker → reason), e.g. legacy
    # DfE SFRs print 'x' for suppressed where markers.csv reads 'not available'.
    markers: dict[str, str] = field(default_factory=dict)
    # Keep only rows whose column holds one of these texts (heading → texts): files
    # that mix geography levels in one column (see lacompare.sources._areas).
    keep_rows: dict[str, list[str]] = field(default_factory=dict)
    # Sum rows of smaller areas into their authority by a lookup shipped as data.
    area_lookup: str | None = None
    area_column: str | None = None
    measures: dict[str, MeasureSpec] = field(default_factory=dict)
    origin: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str | None = None) -> IngestSpec:
        unknown = set(data) - {"source", "measures"}
        if unknown:
            raise SpecError(
                f"unknown section(s): {', '.join(sorted(unknown))}; "
                "a spec has [source] and [measures.*]",
                file=origin,
            )
        source = dict(data.get("source", {}))
        allowed = {f.name for f in fields(cls)} - {"measures", "origin"}
        bad = set(source) - allowed
        if bad:
            raise SpecError(
                f"unknown key(s) in [source]: {', '.join(sorted(bad))}; "
                f"allowed: {', '.join(sorted(allowed))}",
                file=origin,
            )
        for key in ("la_columns", "breakdown_columns", "columns", "exclude_columns"):
            value = source.get(key)
            if isinstance(value, str):
                source[key] = [value]
            elif value is not None and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                raise SpecError(
                    f"[source] {key} must be a list of column headings", file=origin
                )
        for key in ("header_row", "header_rows"):
            if key in source and (not isinstance(source[key], int) or source[key] < 1):
                raise SpecError(
                    f"[source] {key} must be a whole number from 1", file=origin
                )
        for key in ("period", "as_of"):
            if key in source and source[key] is not None:
                source[key] = str(source[key])
        if source.get("layout") not in (None, *LAYOUTS):
            raise SpecError(
                f"[source] layout must be one of {', '.join(LAYOUTS)}", file=origin
            )
        if source.get("polarity") not in (None, *POLARITIES):
            raise SpecError(
                f"[source] polarity must be one of {', '.join(POLARITIES)}", file=origin
            )
        keep = source.get("keep_rows")
        if keep is not None and not (
            isinstance(keep, dict)
            and all(
                isinstance(v, list) and all(isinstance(t, str) for t in v)
                for v in keep.values()
            )
        ):
            raise SpecError(
                "[source] keep_rows must be a table of column heading = "
                "[texts to keep]",
                file=origin,
            )
        if "markers" in source:
            from lacompare.cells import reasons_of

            markers = source["markers"]
            if not isinstance(markers, dict) or not all(
                isinstance(v, str) for v in markers.values()
            ):
                raise SpecError(
                    '[source] markers must be a table of marker = "reason"', file=origin
                )
            try:
                reasons_of(markers)
            except ValueError as exc:
                raise SpecError(f"[source] markers: {exc}", file=origin) from None
        measures: dict[str, MeasureSpec] = {}
        for heading, body in (data.get("measures") or {}).items():
            if not isinstance(body, dict):
                raise SpecError(f"[measures.{heading!r}] must be a table", file=origin)
            allowed_m = {f.name for f in fields(MeasureSpec)}
            bad = set(body) - allowed_m
            if bad:
                raise SpecError(
                    f"unknown key(s) in [measures.{heading!r}]: "
                    f"{', '.join(sorted(bad))}",
                    file=origin,
                )
            body = {k: (str(v) if k == "period" else v) for k, v in body.items()}
            spec = MeasureSpec(**body)
            if spec.type not in VALUE_TYPES:
                raise SpecError(
                    f"[measures.{heading!r}] type must be number or category",
                    file=origin,
                )
            if spec.polarity not in (None, *POLARITIES):
                raise SpecError(
                    f"[measures.{heading!r}] polarity must be one of "
                    f"{', '.join(POLARITIES)}",
                    file=origin,
                )
            measures[str(heading)] = spec
        return cls(**source, measures=measures, origin=origin)

    def to_json(self) -> str:
        """A canonical text form, stored with each source so a reload is recognised."""
        data = asdict(self)
        data.pop("origin", None)
        return json.dumps(data, sort_keys=True)


def read_spec(path: str | Path) -> IngestSpec:
    """Read a TOML mapping spec.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.toml")
    >>> _ = open(p, "w").write('[source]\\nperiod = 2021\\n')
    >>> read_spec(p).period
    '2021'
    """
    path = Path(path)
    if not path.exists():
        raise SpecError("spec file not found", file=str(path))
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"not valid TOML: {exc}", file=str(path)) from None
    return IngestSpec.from_dict(data, origin=str(path))


def measure_id(heading: str) -> str:
    """A measure id from a column heading: lower case, words joined by '_'.

    Examples
    --------
    >>> measure_id("Population 0-25 (2021)")
    'population_0_25_2021'
    >>> measure_id("pop_0_25")
    'pop_0_25'
    """
    text = re.sub(r"[^0-9a-zA-Z]+", "_", heading.strip().lower()).strip("_")
    return text or "value"
