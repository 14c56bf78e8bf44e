"""Read source files: CSV, XLSX/XLS/ODS and Parquet into tables of text cells."""

from lacompare.sources._dictionary import (
    DictionarySpec,
    MeasureDictionary,
    apply_measure_dictionary,
    read_measure_dictionary,
)
from lacompare.sources._readers import RawTable, cell_text, list_sheets, read_raw
from lacompare.sources.specs import IngestSpec, MeasureSpec, read_spec

__all__ = [
    "RawTable",
    "read_raw",
    "list_sheets",
    "cell_text",
    "IngestSpec",
    "MeasureSpec",
    "read_spec",
    "DictionarySpec",
    "MeasureDictionary",
    "read_measure_dictionary",
    "apply_measure_dictionary",
]
