"""Fetch official data by name: the DfE EES public data API, release files, and
ONS/MHCLG/DWP/Ofsted downloads, cached and loaded into the store.

Examples
--------
>>> from lacompare.sources.fetch import read_catalogue
>>> "cla" in read_catalogue() and "ons-mye" in read_catalogue()
True
"""

from lacompare.sources.fetch._catalogue import (
    CatalogueEntry,
    SourceFile,
    match_source,
    read_catalogue,
)
from lacompare.sources.fetch._client import (
    DataSetMeta,
    EESApiError,
    EESClient,
    QueryResult,
    criteria_and,
    criteria_not,
    criteria_or,
    read_ees_vocabulary,
    write_ees_csv,
)
from lacompare.sources.fetch._fetch import (
    FetchedFile,
    FetchResult,
    default_cache_dir,
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
