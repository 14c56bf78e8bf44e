"""The EES public data API's query criteria (facets under nested ``and``/``or``/``not``)
and the packaged EES vocabulary (level codes, time identifiers, query defaults)."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from lacompare.errors import InputError

FACETS = ("filters", "geographicLevels", "locations", "timePeriods")
COMPARATORS = ("eq", "notEq", "in", "notIn", "gt", "gte", "lt", "lte")
CONDITIONS = ("and", "or", "not")


@functools.cache
def read_ees_vocabulary() -> dict[str, Any]:
    """The packaged EES vocabulary: level codes, time identifiers, query defaults.

    Examples
    --------
    >>> v = read_ees_vocabulary()
    >>> v["geographic_levels"]["LA"], v["time_identifiers"]["RY"]
    ('Local authority', 'Reporting year')
    """
    path = Path(__file__).with_name("ees_vocabulary.toml")
    return tomllib.loads(path.read_text("utf-8"))


# --- query criteria -------------------------------------------------------------------


def _check_criteria(node: Any, path: str = "criteria") -> None:
    if not isinstance(node, dict) or not node:
        raise InputError(
            f"{path}: a criterion is a non-empty object (facets or and/or/not)"
        )
    conditions = [k for k in node if k in CONDITIONS]
    if conditions:
        if len(node) != 1:
            raise InputError(
                f"{path}: '{conditions[0]}' must be the only key of its object"
            )
        key = conditions[0]
        sub = node[key]
        if key == "not":
            _check_criteria(sub, f"{path}.not")
            return
        if not isinstance(sub, list) or not sub:
            raise InputError(f"{path}.{key}: needs a non-empty list of criteria")
        for i, item in enumerate(sub):
            _check_criteria(item, f"{path}.{key}[{i}]")
        return
    for facet, comparisons in node.items():
        if facet not in FACETS:
            raise InputError(
                f"{path}: unknown facet {facet!r}; facets are " + ", ".join(FACETS)
            )
        if not isinstance(comparisons, dict) or not comparisons:
            raise InputError(
                f"{path}.{facet}: give comparisons such as "
                "{'in': [...]} or {'eq': ...}"
            )
        for op in comparisons:
            if op not in COMPARATORS:
                raise InputError(
                    f"{path}.{facet}: unknown comparator {op!r}; use "
                    + ", ".join(COMPARATORS)
                )


def criteria_and(*criteria: dict[str, Any]) -> dict[str, Any]:
    """All of the criteria (SQL ``AND``); facets or nested conditions.

    Examples
    --------
    >>> criteria_and({"geographicLevels": {"eq": "LA"}},
    ...              criteria_not({"filters": {"in": ["pVAkV"]}}))["and"][1]
    {'not': {'filters': {'in': ['pVAkV']}}}
    """
    node = {"and": list(criteria)}
    _check_criteria(node)
    return node


def criteria_or(*criteria: dict[str, Any]) -> dict[str, Any]:
    """Any of the criteria (SQL ``OR``).

    Examples
    --------
    >>> criteria_or({"timePeriods": {"eq": {"period": "2024", "code": "RY"}}},
    ...             {"timePeriods": {"eq": {"period": "2023", "code": "RY"}}})["or"][1]
    {'timePeriods': {'eq': {'period': '2023', 'code': 'RY'}}}
    """
    node = {"or": list(criteria)}
    _check_criteria(node)
    return node


def criteria_not(criterion: dict[str, Any]) -> dict[str, Any]:
    """The criterion must be false (SQL ``NOT``).

    Examples
    --------
    >>> criteria_not({"geographicLevels": {"in": ["NAT"]}})
    {'not': {'geographicLevels': {'in': ['NAT']}}}
    """
    node = {"not": criterion}
    _check_criteria(node)
    return node
