"""The store's tables, as DuckDB DDL.

One row of ``observations`` is one value for one authority, measure, period and
breakdown, traceable to its source file, sheet, row and column. It is a view over
the two forms values are kept in:

* ``observation_cells``: one row per value. Small loads, derived measures and
  everything else written value by value.
* ``observation_rows`` with ``observation_columns``: one row per row of a large
  file, its values in lists by column. Writing 38 M values this way takes about a
  third of the time one row per value takes (README, Performance); a read that
  filters on authority, measure or period is about as fast, a scan of every value
  up to ~3x slower.

Every value ever loaded is kept. A superseded vintage's values move to
``superseded_cells`` and ``superseded_rows`` (the same columns), so however many
vintages a store keeps, reading the current values reads no more than before.
Within the current tables a value can still be superseded one by one (another
source gave its key later, or the file gave it twice): ``superseded_by`` is then
the load that did (by position in ``observation_rows``). ``observations`` shows the
current values; ``observation_vintages`` all of them, with ``superseded_by`` (see
:mod:`lacompare.store._vintages`). Both are plain filters on the tables' own
columns, so a filter on authority, measure or period still reaches the tables.
"""

from __future__ import annotations

from lacompare.sources.specs import POLARITIES

SCHEMA_VERSION = 3

#: The columns of ``observations``, one row per value wherever it is kept.
OBSERVATION_COLUMNS = (
    "la_code, measure, period, breakdown, value, missing_reason, "
    "label, raw, source_id, source_row, source_column"
)


#: A large load's value at column ``c`` of row ``r`` is current: most rows have no
#: superseded value at all (a NULL list).
_ROW_CURRENT = "(r.superseded_by IS NULL OR r.superseded_by[c.position] IS NULL)"
#: The columns of a large load's row, kept or superseded.
ROW_COLUMNS = (
    "source_id, source_row, la_code, period, breakdown, cell_values, "
    "missing_reasons, labels, raws, superseded_by, row_superseded_by"
)


def _opened(period: str) -> str:
    """The columns of ``observations`` from a large load's row ``r`` and column
    ``c``: each value is its row's list item at the column's position."""
    return (
        f"r.la_code, c.measure, {period} AS period, r.breakdown, "
        "r.cell_values[c.position] AS value, "
        "r.missing_reasons[c.position] AS missing_reason, "
        "r.labels[c.position] AS label, r.raws[c.position] AS raw, r.source_id, "
        "r.source_row, c.source_column"
    )


def _view(name: str, every_vintage: bool) -> str:
    """The view over both forms: the current values, or every value ever loaded
    with the load that superseded it.

    A large load's period is its row's unless its column names one: two branches,
    so a filter on period reaches the rows' own column.
    """
    if every_vintage:
        cells = (
            f"SELECT {OBSERVATION_COLUMNS}, superseded_by FROM observation_cells "
            f"UNION ALL SELECT {OBSERVATION_COLUMNS}, superseded_by FROM "
            "superseded_cells"
        )
        rows = (
            f"(SELECT {ROW_COLUMNS} FROM observation_rows UNION ALL "
            f"SELECT {ROW_COLUMNS} FROM superseded_rows)"
        )
        # A value another load superseded before its whole vintage was keeps
        # saying which.
        extra, rows_where = (
            ", coalesce(r.superseded_by[c.position], "
            "r.row_superseded_by) AS superseded_by",
            "",
        )
    else:
        cells = (
            f"SELECT {OBSERVATION_COLUMNS} FROM observation_cells "
            "WHERE superseded_by IS NULL"
        )
        rows = "observation_rows"
        extra, rows_where = "", f" AND {_ROW_CURRENT}"
    return f"""
    CREATE OR REPLACE VIEW {name} AS
    {cells}
    UNION ALL
    SELECT {_opened("r.period")}{extra} FROM {rows} r
    JOIN observation_columns c USING (source_id) WHERE c.period IS NULL{rows_where}
    UNION ALL
    SELECT {_opened("c.period")}{extra} FROM {rows} r
    JOIN observation_columns c USING (source_id) WHERE c.period IS NOT NULL{rows_where}
    """


DDL = [
    """
    CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)
    """,
    """
    CREATE TABLE IF NOT EXISTS authorities (
        la_code VARCHAR PRIMARY KEY,
        former_codes VARCHAR,
        dfe_code VARCHAR,
        la_name VARCHAR NOT NULL,
        region VARCHAR,
        region_code VARCHAR,
        london_region VARCHAR,
        la_type VARCHAR,
        valid_from DATE,
        valid_to DATE,
        predecessors VARCHAR,
        successors VARCHAR,
        change_date DATE,
        change_note VARCHAR
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS measures (
        measure VARCHAR PRIMARY KEY,
        label VARCHAR,
        unit VARCHAR,
        polarity VARCHAR NOT NULL DEFAULT 'neutral'
            CHECK (polarity IN {POLARITIES!r}),
        reference_date VARCHAR,
        description VARCHAR
    )
    """,
    """
    CREATE SEQUENCE IF NOT EXISTS source_ids START 1
    """,
    """
    CREATE TABLE IF NOT EXISTS sources (
        source_id INTEGER PRIMARY KEY DEFAULT nextval('source_ids'),
        file VARCHAR NOT NULL,
        sheet VARCHAR NOT NULL DEFAULT '',
        sha256 VARCHAR NOT NULL,
        spec VARCHAR NOT NULL DEFAULT '',
        loaded_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        observations BIGINT,
        totals BIGINT,
        note VARCHAR,
        source_key VARCHAR,
        superseded_by INTEGER,
        superseded_at TIMESTAMP
    )
    """,
    # Version 3: which source a load is a vintage of (a load by ingest: the file's
    # name, see lacompare.store._vintages), and the later vintage that replaced it.
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS source_key VARCHAR",
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS superseded_by INTEGER",
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS superseded_at TIMESTAMP",
    """
    CREATE TABLE IF NOT EXISTS observation_cells (
        la_code VARCHAR NOT NULL,
        measure VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        breakdown VARCHAR NOT NULL DEFAULT '',
        value DOUBLE,
        missing_reason VARCHAR,
        label VARCHAR,
        raw VARCHAR,
        source_id INTEGER NOT NULL,
        source_row BIGINT,
        source_column VARCHAR,
        superseded_by INTEGER,
        CHECK (value IS NOT NULL OR missing_reason IS NOT NULL OR label IS NOT NULL)
    )
    """,
    # Version 3: NULL while the value is current, else the load that superseded it.
    "ALTER TABLE observation_cells ADD COLUMN IF NOT EXISTS superseded_by INTEGER",
    # A large load keeps one row per row of its file, each column's values in lists
    # at the column's position in observation_columns.
    """
    CREATE TABLE IF NOT EXISTS observation_rows (
        source_id INTEGER NOT NULL,
        source_row BIGINT,
        la_code VARCHAR NOT NULL,
        period VARCHAR,
        breakdown VARCHAR NOT NULL DEFAULT '',
        cell_values DOUBLE[],
        missing_reasons VARCHAR[],
        labels VARCHAR[],
        raws VARCHAR[],
        superseded_by INTEGER[],
        row_superseded_by INTEGER
    )
    """,
    # Version 3: by position, as the values; NULL while every value is current.
    # row_superseded_by: the later vintage that superseded the whole row (set as
    # the row moves to superseded_rows).
    "ALTER TABLE observation_rows ADD COLUMN IF NOT EXISTS superseded_by INTEGER[]",
    "ALTER TABLE observation_rows ADD COLUMN IF NOT EXISTS row_superseded_by INTEGER",
    # Version 3: superseded vintages, out of the way of every read of current values.
    "CREATE TABLE IF NOT EXISTS superseded_cells AS FROM observation_cells LIMIT 0",
    "CREATE TABLE IF NOT EXISTS superseded_rows AS FROM observation_rows LIMIT 0",
    """
    CREATE TABLE IF NOT EXISTS observation_columns (
        source_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        measure VARCHAR NOT NULL,
        period VARCHAR,
        source_column VARCHAR,
        PRIMARY KEY (source_id, position)
    )
    """,
    # The views are replaced on every open, so a store always reads with this
    # version's definitions.
    _view("observations", every_vintage=False),
    _view("observation_vintages", every_vintage=True),
    """
    CREATE TABLE IF NOT EXISTS totals (
        area_code VARCHAR,
        area_name VARCHAR NOT NULL,
        measure VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        breakdown VARCHAR NOT NULL DEFAULT '',
        value DOUBLE,
        missing_reason VARCHAR,
        raw VARCHAR,
        source_id INTEGER NOT NULL,
        source_row BIGINT,
        source_column VARCHAR,
        members INTEGER,
        members_sum DOUBLE,
        check_result VARCHAR
    )
    """,
    # Joint returns (lacompare.store._ingest_totals): each member's copy of a row
    # that gave one figure for several authorities ('North Northamptonshire / West
    # Northamptonshire'), by the copy's source, row and authority. ``members``: the
    # group's codes, ';'-separated, the counted one first; ``counted``: whether a
    # distribution counts the figure under this member (one per group). Stores made
    # before it gain the empty table on open (their joint rows stay in totals).
    """
    CREATE TABLE IF NOT EXISTS joint_returns (
        source_id INTEGER NOT NULL,
        source_row BIGINT,
        period VARCHAR NOT NULL,
        la_code VARCHAR NOT NULL,
        members VARCHAR NOT NULL,
        partnership VARCHAR,
        area_name VARCHAR,
        counted BOOLEAN NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS neighbour_sets (
        set_id VARCHAR PRIMARY KEY,
        label VARCHAR,
        method VARCHAR NOT NULL,
        source VARCHAR,
        params VARCHAR,
        valid_for VARCHAR,
        created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS neighbours (
        set_id VARCHAR NOT NULL,
        la_code VARCHAR NOT NULL,
        neighbour_code VARCHAR NOT NULL,
        rank INTEGER NOT NULL,
        distance DOUBLE,
        closeness VARCHAR
    )
    """,
    # The indicator catalogue (lacompare.catalogue), refreshed from its packaged
    # file by the catalogue package: kept in the store so SQL and exports see the
    # curated ids, labels and polarity beside the raw measures.
    f"""
    CREATE TABLE IF NOT EXISTS indicators (
        indicator_id VARCHAR PRIMARY KEY,
        label VARCHAR NOT NULL,
        topic VARCHAR NOT NULL,
        unit VARCHAR,
        additive BOOLEAN NOT NULL DEFAULT false,
        polarity VARCHAR NOT NULL CHECK (polarity IN {POLARITIES!r}),
        decimals INTEGER NOT NULL,
        year_type VARCHAR,
        reference_date VARCHAR,
        description VARCHAR,
        headline BOOLEAN NOT NULL DEFAULT false,
        position INTEGER NOT NULL
    )
    """,
    # Each indicator's store measures in order of preference (rank 1 first).
    """
    CREATE TABLE IF NOT EXISTS indicator_sources (
        indicator_id VARCHAR NOT NULL,
        rank INTEGER NOT NULL,
        measure VARCHAR NOT NULL,
        breakdown VARCHAR NOT NULL DEFAULT '',
        published BOOLEAN NOT NULL,
        note VARCHAR,
        PRIMARY KEY (indicator_id, rank)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS load_issues (
        source_id INTEGER NOT NULL,
        kind VARCHAR NOT NULL,
        severity VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        file VARCHAR,
        sheet VARCHAR,
        "row" BIGINT,
        "column" VARCHAR,
        value VARCHAR
    )
    """,
    # Tables other stages write, created here so every store has them. Derive
    # (lacompare.derive): the inputs each derived value was computed from.
    """
    CREATE TABLE IF NOT EXISTS derived_inputs (
        source_id INTEGER NOT NULL,
        measure VARCHAR NOT NULL,
        level VARCHAR NOT NULL,          -- 'authority' (la_code) or 'total' (area code)
        la_code VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        breakdown VARCHAR NOT NULL DEFAULT '',
        role VARCHAR NOT NULL,
        input_measure VARCHAR NOT NULL,
        input_period VARCHAR,
        input_breakdown VARCHAR,
        input_value DOUBLE,
        input_missing_reason VARCHAR
    )
    """,
    # Derive (lacompare.derive harmonise): where a boundary change breaks a series.
    """
    CREATE TABLE IF NOT EXISTS series_breaks (
        measure VARCHAR NOT NULL,
        la_code VARCHAR NOT NULL,
        change_id VARCHAR NOT NULL,
        change_date DATE NOT NULL,
        kind VARCHAR NOT NULL,
        side VARCHAR NOT NULL,          -- 'predecessor' or 'successor'
        last_period_before VARCHAR,
        first_period_after VARCHAR,
        note VARCHAR
    )
    """,
    # Snapshot (lacompare.snapshot): an authority's figures on a date, and its
    # headcount and budget lines.
    """
    CREATE TABLE IF NOT EXISTS snapshot_values (
        la_code VARCHAR NOT NULL,
        snapshot_date DATE NOT NULL,
        measure VARCHAR NOT NULL,
        breakdown VARCHAR NOT NULL DEFAULT '',
        label VARCHAR,
        unit VARCHAR NOT NULL,
        value DOUBLE,
        missing_reason VARCHAR,
        half_width DOUBLE NOT NULL DEFAULT 0,
        decimals INTEGER NOT NULL DEFAULT 0,
        raw VARCHAR,
        note VARCHAR,
        synthetic BOOLEAN NOT NULL DEFAULT false,
        source_id INTEGER NOT NULL,
        source_row INTEGER,
        source_column VARCHAR,
        PRIMARY KEY (la_code, snapshot_date, measure, breakdown)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS resource_lines (
        la_code VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        as_of VARCHAR NOT NULL,
        position INTEGER NOT NULL,
        section VARCHAR NOT NULL DEFAULT '',
        line VARCHAR NOT NULL,
        amount DOUBLE,
        missing_reason VARCHAR,
        row_role VARCHAR NOT NULL DEFAULT 'item',
        unit VARCHAR NOT NULL,
        raw VARCHAR,
        source_id INTEGER NOT NULL,
        source_row INTEGER,
        level INTEGER,
        PRIMARY KEY (la_code, kind, as_of, position)
    )
    """,
    # Stores made before budget lines had an outline level.
    "ALTER TABLE resource_lines ADD COLUMN IF NOT EXISTS level INTEGER",
    # Fetch (lacompare.fetch): where and when each downloaded file came from.
    """
    CREATE TABLE IF NOT EXISTS fetches (
        source_id INTEGER,
        catalogue_id VARCHAR NOT NULL,
        method VARCHAR NOT NULL,
        url VARCHAR NOT NULL,
        version VARCHAR,
        fetched_at TIMESTAMP NOT NULL,
        sha256 VARCHAR NOT NULL,
        file VARCHAR NOT NULL
    )
    """,
    # Hub (lacompare.hub returns publishing): the return each published value came
    # from.
    """
    CREATE TABLE IF NOT EXISTS hub_returns (
        source_id INTEGER NOT NULL,
        source_row BIGINT NOT NULL,
        round VARCHAR NOT NULL,
        return_id BIGINT NOT NULL,
        return_version INTEGER NOT NULL,
        service VARCHAR NOT NULL,
        la_code VARCHAR NOT NULL,
        late BOOLEAN
    )
    """,
    # A store published to before late returns were flagged gains the column (NULL
    # for its earlier loads: not known then).
    "ALTER TABLE hub_returns ADD COLUMN IF NOT EXISTS late BOOLEAN",
]
