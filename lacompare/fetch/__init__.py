"""Fetch official data by name: the DfE EES public data API, release files, and
ONS/MHCLG/DWP/Ofsted downloads, cached and loaded into the store.

Fetching downloads and then loads (lacompare.store's ingest, a neighbour set through
lacompare.analysis), so it is a stage of its own above both, not part of sources.

Examples
--------
>>> from lacompare.fetch import read_catalogue
>>> "cla" in read_catalogue() and "ons-mye" in read_catalogue()
True
"""

from lacompare.fetch._cache import FetchedFile, default_cache_dir
from lacompare.fetch._catalogue import (
    CatalogueEntry,
    SourceFile,
    match_source,
    read_catalogue,
)
from lacompare.fetch._client import EESApiError, EESClient
from lacompare.fetch._criteria import (
    criteria_and,
    criteria_not,
    criteria_or,
    read_ees_vocabulary,
)
from lacompare.fetch._ees_data import DataSetMeta, QueryResult, write_ees_csv
from lacompare.fetch._fetch import (
    FetchResult,
    fetch_source,
    parse_years,
    read_fetches,
)

__all__ = [
    "CatalogueEntry",
    "SourceFile",
    "read_catalogue",
    "match_source",
    "DataSetMeta",
    "EESApiError",
    "EESClient",
    "QueryResult",
    "criteria_and",
    "criteria_or",
    "criteria_not",
    "read_ees_vocabulary",
    "write_ees_csv",
    "FetchedFile",
    "FetchResult",
    "default_cache_dir",
    "fetch_source",
    "parse_years",
    "read_fetches",
]
