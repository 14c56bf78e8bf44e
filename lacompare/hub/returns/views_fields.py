"""The return page's questions as GOV.UK Design System form groups: for each field
its input, the ids its ``aria-describedby`` names (only of elements the template
writes), its error and warning messages, last year's figure, the live total it
shows and its comment box.

The markup is written by the templates themselves (``hub/return_field.html``), not
by a form-rendering package: the form class belongs to the round's definition
(:mod:`lacompare.hub.returns.forms`), and the page needs more than a widget (the
sum of a total's parts as one types, last year's figure, a comment per question).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from lacompare.formatting import format_number
from lacompare.hub.returns.forms import form_rows

__all__ = ["field_groups", "error_summary"]

_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")


def _grouped(text: str) -> str:
    """A plain number with thousands separators (``150000`` → ``150,000``); any
    other text unchanged, so a wrong answer is shown exactly as given.

    Examples
    --------
    >>> _grouped("150000"), _grouped("4.5"), _grouped("abc"), _grouped("")
    ('150,000', '4.5', 'abc', '')
    """
    match = _PLAIN_NUMBER.fullmatch(text.strip())
    if not match:
        return text
    decimals = len(match.group(1) or "")
    return format_number(float(text), None, decimals)


def _affixes(spec: Any) -> tuple[str, str]:
    """The prefix and suffix shown in the input box: ``£`` before money, the unit
    after a number (a flag or a choice has none)."""
    if not spec.numeric or spec.type == "flag":
        return "", ""
    if spec.unit == "£":
        return "£", ""
    return "", spec.unit


def field_groups(form: Any, issues: Any) -> list[dict[str, Any]]:
    """One dict per question of the return page, in the round's order.

    Each has the bound ``field`` and ``comment``, ``spec`` (the round's field),
    ``errors`` and ``warnings`` (messages), ``value`` (numbers grouped with
    thousands separators), ``prefix``/``suffix``, ``choices`` for a select,
    ``previous`` (last year's ``(label, value_text)`` pairs when the form field
    carries them), ``sum_parts`` (the ids whose sum a total shows as one types) and
    ``describedby`` (the ids of the hint, previous, live sum, error and warning
    elements the template writes for it).
    """
    definition = form.definition
    parts_of = {
        rule.total: rule.fields
        for rule in definition.rules
        if rule.kind == "sum" and rule.total
    }
    groups = []
    for row in form_rows(form, issues):
        field = row["field"]
        spec = definition.field(field.name)
        auto_id = field.auto_id
        widget = field.field.widget
        value = "" if field.value() is None else str(field.value())
        previous = list(getattr(field.field, "previous", None) or [])
        sum_parts = [form[p].auto_id for p in parts_of.get(field.name, ())]
        ids = {
            "hint": bool(field.help_text),
            "previous": bool(previous),
            "sum": bool(sum_parts),
            "error": bool(field.errors),
            "warning": bool(row["warnings"]),
        }
        prefix, suffix = _affixes(spec)
        groups.append(
            {
                **row,
                "spec": spec,
                "errors": list(field.errors),
                "value": _grouped(value) if spec.numeric else value,
                "prefix": prefix,
                "suffix": suffix,
                "select": isinstance(widget, forms.Select),
                "choices": list(getattr(widget, "choices", ())),
                "previous": previous,
                "previous_source": getattr(field.field, "previous_source", ""),
                "sum_parts": " ".join(sum_parts),
                "describedby": " ".join(
                    f"{auto_id}-{k}" for k, on in ids.items() if on
                ),
            }
        )
    return groups


def error_summary(form: Any) -> list[dict[str, str]]:
    """The error summary's items: each field error linking to its input
    (``href="#id_<field>"``), then errors of no one field (no link)."""
    items = [
        {"href": f"#{form[name].auto_id}", "text": str(message)}
        for name, messages in form.errors.items()
        if name != "__all__" and name in form.fields
        for message in messages
    ]
    items += [{"href": "", "text": str(m)} for m in form.non_field_errors()]
    return items
