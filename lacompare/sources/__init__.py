"""Read source files: CSV, XLSX/XLS/ODS and Parquet into tables of text cells."""

from lacompare._lazy import lazy_exports
from lacompare.sources._dictionary import (
    DICTIONARY_FIELDS,
    DICTIONARY_SOURCE_KIND,
    DictionarySpec,
    MeasureDictionary,
    first_few,
    read_dictionary_words,
    read_measure_dictionary,
)
from lacompare.sources._raw import RawTable, cell_text
from lacompare.sources._readers import drop_kept_tables, list_sheets, read_raw
from lacompare.sources.specs import IngestSpec, MeasureSpec, read_spec

__all__ = [
    "RawTable",
    "read_raw",
    "drop_kept_tables",
    "list_sheets",
    "cell_text",
    "IngestSpec",
    "MeasureSpec",
    "read_spec",
    "DictionarySpec",
    "MeasureDictionary",
    "read_measure_dictionary",
    "read_dictionary_words",
    "DICTIONARY_FIELDS",
    "DICTIONARY_SOURCE_KIND",
    "first_few",
    "check_cut_short",
    "column_letter",
    "isolated_reading",
    "open_workbook",
    "prepare_rows",
    "read_sheets",
    "read_table",
    "resolve_file",
]


# Names later stages use, loaded on first use (lacompare._lazy).
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "check_cut_short": "lacompare.sources._cut_short",
        "column_letter": "lacompare.sources._layout",
        "isolated_reading": "lacompare.sources._workbooks",
        "open_workbook": "lacompare.sources._workbooks",
        "prepare_rows": "lacompare.sources._areas",
        "read_sheets": "lacompare.sources._workbooks",
        "read_table": "lacompare.sources._resolve_file",
        "resolve_file": "lacompare.sources._resolve_file",
    },
)
