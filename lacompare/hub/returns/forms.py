"""The return's web form: the round's fields as text boxes, what the page shows
and what it posts, and the day a date box holds.

Messages come from :func:`lacompare.hub.definition.validate_return`, the same
function that checks an upload.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from lacompare.formatting import format_number, format_value
from lacompare.hub import dates
from lacompare.hub.returns import workflow
from lacompare.hub.returns.models import Return

__all__ = [
    "ReturnForm",
    "shown_answers",
    "initial_answers",
    "posted_answers",
    "form_rows",
    "parse_form_day",
    "previous_figures",
]


class ReturnForm(forms.Form):
    """The round's fields as text boxes (kept as typed), a comment for each, a reason.

    Messages come from :func:`lacompare.hub.definition.validate_return`, the same
    function that checks an upload. Given the return (``ret``), each answer's field
    carries last year's figures as ``field.previous``, a list of ``(label, text)``
    pairs (:func:`previous_figures`), also said at the end of its help text.
    """

    def __init__(
        self, definition: Any, *args: Any, ret: Return | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        given = self.data if self.is_bound else self.initial
        previous = ret.previous if ret is not None else {}
        sources = ret.previous_sources if ret is not None else {}
        for f in definition.fields:
            label = f"{f.label} ({f.unit})" if f.unit else f.label
            if f.type in ("choice", "flag"):
                options = (
                    [(c, c) for c in f.choices]
                    if f.type == "choice"
                    else [("yes", "Yes"), ("no", "No")]
                )
                current = str(given.get(f.name) or "")
                if current and current not in dict(options):
                    # An answer that matches no choice (saved before answers were
                    # normalised, or refused by it) is shown as it is, so the page
                    # never displays "—" for it and a full-form save keeps it.
                    options.append((current, f"{current} (not one of the choices)"))
                widget: forms.Widget = forms.Select(choices=[("", "—"), *options])
            else:
                widget = forms.TextInput(
                    attrs={"inputmode": "decimal"} if f.numeric else {}
                )
            shown = previous_figures(definition, f, previous)
            self.fields[f.name] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                widget=widget,
                help_text=f.help,
            )
            self.fields[f.name].previous = shown  # type: ignore[attr-defined]
            # Where last year's figures came from, shown beside them.
            self.fields[f.name].previous_source = (  # type: ignore[attr-defined]
                sources.get(f.last_year or f.name, "") if shown else ""
            )
            self.fields[f"comment__{f.name}"] = forms.CharField(
                label="Comment",
                required=False,
                max_length=2000,
                widget=forms.TextInput(attrs={"class": "comment"}),
            )
        self.fields["reason"] = forms.CharField(
            label="Reason for the change (kept in the history)",
            required=False,
            max_length=2000,
        )
        #: The answers as this page showed them (JSON): the server leaves alone
        #: every field still showing them (see ``workflow.save_return``).
        self.fields["shown"] = forms.CharField(
            required=False, widget=forms.HiddenInput(attrs={"id": "shown"})
        )

    def clean_shown(self) -> dict[str, str] | None:
        text = self.cleaned_data.get("shown") or ""
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            raise ValidationError("the page's copy of the answers is damaged") from None
        if not isinstance(data, dict):
            raise ValidationError("the page's copy of the answers is damaged")
        return {str(k): "" if v is None else str(v) for k, v in data.items()}

    def split(self) -> tuple[dict[str, str], dict[str, str]]:
        data = self.cleaned_data
        names = self.definition.names
        return (
            {n: data.get(n, "") for n in names if n in self.data},
            {
                n: data.get(f"comment__{n}", "")
                for n in names
                if f"comment__{n}" in self.data
            },
        )

    def show_issues(self, issues: Any) -> None:
        for issue in issues:
            name = issue.column if issue.column in self.fields else None
            if issue.severity == "error":
                self.add_error(name, issue.message)


def previous_figures(
    definition: Any, spec: Any, previous: dict[str, Any]
) -> list[tuple[str, str]]:
    """Last year's figure for a field, as ``[(label, text)]`` (empty without one).

    A field for the round's year shows its own figure of the year before; an
    earlier year's field (``last_year``) what the service returned for that year
    last time, which the return was pre-filled with.

    Examples
    --------
    >>> from lacompare.hub.definition import read_round_definition
    >>> d = read_round_definition()
    >>> prev = {"casework_total": 1020.0, "funding_total": 85000.0}
    >>> previous_figures(d, d.field("casework_total"), prev)
    [('2019-20', '1,020')]
    >>> previous_figures(d, d.field("casework_total_2019_20"), prev)
    [('returned for 2019-20', '1,020')]
    >>> previous_figures(d, d.field("funding_total"), prev)
    [('2019-20', '£85,000')]
    """
    key = spec.last_year or spec.name
    value = previous.get(key)
    if value is None or value == "":
        return []
    if spec.last_year:
        label = f"returned for {spec.year}"
    else:
        label = definition.previous_year or definition.previous_period or "last year"
    return [(label, _figure_text(spec, value))]


def _figure_text(spec: Any, value: Any) -> str:
    if spec.type == "flag" and isinstance(value, (int, float)):
        return "yes" if value else "no"
    if not isinstance(value, (int, float)):
        return str(value)
    decimals = 0 if float(value).is_integer() else 2
    if spec.type == "money":
        return format_value(value, "£", decimals)
    return format_number(value, None, decimals)


def shown_answers(values: dict[str, Any], comments: dict[str, Any]) -> str:
    """The answers a page shows, as the JSON its ``shown`` field carries."""
    data = {k: str(v) for k, v in values.items()}
    data.update({f"comment:{k}": str(v) for k, v in comments.items()})
    return json.dumps(data, sort_keys=True)


def initial_answers(ret: Return) -> dict[str, str]:
    # Answers in the form's terms, so a select shows 'yes' for a stored 'Yes'.
    values = workflow.normalised_answers(ret.round.read_definition(), ret.values)
    data: dict[str, str] = dict(values)
    data.update({f"comment__{k}": v for k, v in ret.comments.items()})
    data["shown"] = shown_answers(values, ret.comments)
    return data


def posted_answers(definition: Any, post: Any) -> dict[str, str]:
    """What a page re-shown after a POST holds: the posted answers, and those as the
    new ``shown`` (they are what the user now sees)."""
    data = {k: post.get(k, "") for k in post}
    values = {n: data[n] for n in definition.names if n in data}
    comments = {
        n: data[f"comment__{n}"] for n in definition.names if f"comment__{n}" in data
    }
    data["shown"] = shown_answers(values, comments)
    return data


def form_rows(form: ReturnForm, issues: Any) -> list[dict[str, Any]]:
    warnings: dict[str, list[str]] = {}
    for issue in issues:
        if issue.severity != "error":
            warnings.setdefault(issue.column or "", []).append(issue.message)
    return [
        {
            "field": form[f.name],
            "comment": form[f"comment__{f.name}"],
            "warnings": warnings.get(f.name, []),
            "previous": form.fields[f.name].previous,  # type: ignore[attr-defined]
        }
        for f in form.definition.fields
    ]


def parse_form_day(text: str, what: str, tz: str) -> Any:
    """A day from a form's date box (YYYY-MM-DD; ``today``/``+N`` also work)."""
    today = dt.datetime.now(dates.zone(tz)).date()
    return dates.parse_day(text, what, today=today)
