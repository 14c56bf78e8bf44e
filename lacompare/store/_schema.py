"""The store's tables, as DuckDB DDL.

One row of ``observations`` is one value for one authority, measure, period and
breakdown, traceable to its source file, sheet, row and column.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

POLARITIES = ("higher-is-better", "higher-is-worse", "neutral")

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
        note VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS observations (
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
        CHECK (value IS NOT NULL OR missing_reason IS NOT NULL OR label IS NOT NULL)
    )
    """,
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
]
