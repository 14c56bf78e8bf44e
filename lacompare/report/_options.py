"""Report options: which template takes which, checked in one place.

:func:`check_options` is the one check (``build_report`` and
``write_report`` call it, and so does the command line through
:func:`options_from_flags`, which only maps the CLI's names to the templates'):
an option a template does not take, or a required one left out, stops with one
:class:`~lacompare.errors.InputError` naming the command-line flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lacompare.errors import InputError
from lacompare.report._specs import split_specs

__all__ = ["TEMPLATE_OPTIONS", "FLAGS", "check_options", "options_from_flags"]

#: The options each template's builder takes (Python names).
TEMPLATE_OPTIONS: dict[str, frozenset[str]] = {
    "network": frozenset({"title", "source_id"}),
    "la-profile": frozenset(
        {"authority", "measures", "neighbour_set", "exclude", "labels", "data"}
    ),
    "variation": frozenset({"measure", "factors", "periods", "exclude", "title"}),
    "spend": frozenset(
        {"target", "factors", "folds", "seed", "exclude", "title", "authority"}
    ),
    "scrutiny": frozenset(
        {"authority", "date", "compare_weeks", "neighbour_set", "title"}
    ),
}
#: Options of several la-profiles at once (the command line's batch).
BATCH_OPTIONS = frozenset({"region", "jobs"})
#: The command-line flag of each option.
FLAGS = {
    "authority": "--authority",
    "measure": "--measure",
    "measures": "--measure",
    "neighbour_set": "--neighbour-set",
    "exclude": "--exclude",
    "factors": "--factors",
    "periods": "--periods",
    "target": "--target",
    "folds": "--folds",
    "date": "--date",
    "compare_weeks": "--compare-weeks",
    "region": "--region",
    "jobs": "--jobs",
    "title": "--title",
}
#: What a template cannot run without, and what to say when it is left out.
REQUIRED = {
    "la-profile": (
        "authority",
        "la-profile needs an authority: --authority NAME (a name, ONS or DfE "
        "code; 'all' or a comma-separated list for several) or --region NAME",
    ),
    "variation": (
        "measure",
        "variation needs one --measure (measure, measure[breakdown] or "
        "measure[breakdown]=Label)",
    ),
    "spend": ("target", "spend needs --target M (the spend measure)"),
}


def _given(value: Any) -> bool:
    """Whether an option was given: not None, not an empty text or list."""
    if value is None:
        return False
    return not (isinstance(value, (str, list, tuple)) and len(value) == 0)


def check_options(
    template: str, options: Mapping[str, Any], *, batch: bool = False
) -> dict[str, Any]:
    """The options given (``None`` and empty ones dropped), or an InputError.

    ``batch``: the la-profile of several authorities (``region`` may stand for
    ``authority``, and ``region``, ``jobs`` are allowed).

    Examples
    --------
    >>> check_options("spend", {"target": "m", "folds": None})
    {'target': 'm'}
    >>> check_options("network", {"authority": "Leeds"})
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: network does not take --authority (it takes --title)
    >>> check_options("variation", {"measure": ["a", "b"]})
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: variation needs one --measure (measure, \
measure[breakdown] or measure[breakdown]=Label)
    """
    allowed = TEMPLATE_OPTIONS[template] | (BATCH_OPTIONS if batch else frozenset())
    given = {k: v for k, v in options.items() if _given(v)}
    wrong = [k for k in given if k not in allowed]
    if wrong:
        takes = sorted({FLAGS[k] for k in allowed if k in FLAGS}) or ["no options"]
        raise InputError(
            f"{template} does not take "
            + ", ".join(FLAGS.get(k, k) for k in wrong)
            + f" (it takes {', '.join(takes)})"
        )
    if template in REQUIRED:
        name, message = REQUIRED[template]
        present = given.get(name) or (batch and given.get("region"))
        if not present or (name == "measure" and not isinstance(present, str)):
            raise InputError(message)
    return given


def options_from_flags(template: str, flags: Mapping[str, Any]) -> dict[str, Any]:
    """The template's options from the command line's values (by flag name,
    ``measure`` for ``--measure``), checked by :func:`check_options`.

    ``--measure`` is la-profile's ``measures`` (a list) and variation's
    ``measure`` (one); la-profile ignores ``--title``. For la-profile, ``region``
    and ``jobs`` come back too (the batch's options).

    Examples
    --------
    >>> options_from_flags("variation", {"measure": ["cla_rate"], "title": None})
    {'measure': 'cla_rate'}
    >>> options_from_flags("la-profile", {"region": "London", "jobs": 2})
    {'region': 'London', 'jobs': 2}
    """
    options = dict(flags)
    measures = split_specs(options.pop("measure", None) or [])
    if template == "la-profile":
        options["measures"] = measures
        options.pop("title", None)
    else:
        options["measure"] = measures[0] if len(measures) == 1 else measures
    if options.get("jobs") == 1:
        options.pop("jobs")
    return check_options(template, options, batch=template == "la-profile")
