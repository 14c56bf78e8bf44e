"""A collection round's form: its fields, validation rules and publish mapping.

The definition is data (a TOML file such as ``rounds/sendias_2021.toml``); this module
reads it, parses what a service typed or uploaded, and checks a return against the
rules. The web form and the upload both call :func:`validate_return`, so they give
the same messages. Nothing here needs Django.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from lacompare.errors import InputError
from lacompare.formatting import format_number
from lacompare.hub.expressions import (
    derive_published_value,
    expression_names,
)
from lacompare.provenance import IssueLog

FIELD_TYPES = ("integer", "number", "money", "flag", "choice", "text")
RULE_KINDS = ("sum", "change", "at_most_one", "revised")
#: Flag answers as people type them (case-insensitive).
_FLAG_WORDS = dict.fromkeys(("1", "yes", "y", "true"), 1.0)
_FLAG_WORDS.update(dict.fromkeys(("0", "no", "n", "false"), 0.0))
#: What a ``[publish.measures.X]`` may say of its measure besides its ``value``.
_MEASURE_META = ("label", "unit", "polarity", "reference_date", "type")
#: Totals are compared to the pound (or unit): typed pence must not fail a sum.
_SUM_TOLERANCE = 0.5


@dataclass(frozen=True)
class FieldSpec:
    """One question of the return."""

    name: str
    label: str
    type: str
    unit: str = ""
    required: bool = False
    min: float | None = None
    max: float | None = None
    warn_above: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    #: The year the figure is for ("" = the round's own year).
    year: str = ""
    #: The field of last year's return holding the same figure (pre-fills this one).
    last_year: str | None = None

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "number", "money", "flag")


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: ``sum``, ``change`` or ``at_most_one``."""

    kind: str
    fields: tuple[str, ...]
    total: str | None = None
    threshold_percent: float | None = None


@dataclass(frozen=True)
class RoundDefinition:
    """A round's form, as read from its TOML file."""

    slug: str
    title: str
    period: str
    fields: tuple[FieldSpec, ...]
    rules: tuple[Rule, ...]
    publish: dict[str, str] = field(default_factory=dict)
    publish_spec: str | None = None
    as_of: str | None = None
    previous_period: str | None = None
    #: The financial year the return is about, the one before, and the years asked
    #: for multi-year figures (oldest first), e.g. 2020-21, 2019-20.
    year: str = ""
    previous_year: str = ""
    years: tuple[str, ...] = ()
    #: Label, unit or polarity given with a publish measure (for one the spec lacks).
    publish_meta: dict[str, dict[str, str]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def packaged_round(name: str = "sendias_2021") -> Path:
    """Path of a round definition shipped with lacompare.

    Examples
    --------
    >>> packaged_round().name
    'sendias_2021.toml'
    """
    return Path(str(files("lacompare.hub").joinpath("rounds", f"{name}.toml")))


def read_round_definition(
    path: str | Path | None = None, *, data: dict[str, Any] | None = None
) -> RoundDefinition:
    """Read and check a round definition (TOML file, or its parsed ``data``).

    Parameters
    ----------
    path
        The TOML file (default: the packaged SENDIAS 2021 round).
    data
        The parsed TOML instead of a file (as stored with a round in the hub).

    Examples
    --------
    >>> d = read_round_definition()
    >>> d.slug, d.field("funding_total").unit, len(d.rules) > 2
    ('sendias-2021', '£', True)
    """
    where = str(path) if path is not None else "round definition"
    if data is None:
        path = Path(path) if path is not None else packaged_round()
        where = str(path)
        data = _read_toml(path)
    head = data.get("round") or {}
    for key in ("slug", "title", "period"):
        if not head.get(key):
            raise InputError(f"[round] needs {key}", file=where)
    fields = parse_fields(data.get("fields") or [], where)
    names = [f.name for f in fields]
    publish_raw = data.get("publish") or {}
    return RoundDefinition(
        slug=str(head["slug"]),
        title=str(head["title"]),
        period=str(head["period"]),
        fields=fields,
        rules=parse_rules(data.get("rules") or [], names, where),
        publish=parse_publish(publish_raw, names, where),
        publish_spec=publish_raw.get("spec"),
        as_of=head.get("as_of"),
        previous_period=head.get("previous_period"),
        year=str(head.get("year") or ""),
        previous_year=str(head.get("previous_year") or ""),
        years=tuple(str(y) for y in head.get("years") or ()),
        publish_meta={
            m: {k: str(v) for k, v in spec.items() if k in _MEASURE_META}
            for m, spec in (publish_raw.get("measures") or {}).items()
        },
        raw=data,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(
            f"cannot read the round definition: {exc.strerror}", file=str(path)
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None


def parse_fields(items: list[dict[str, Any]], where: str) -> tuple[FieldSpec, ...]:
    """The round's ``[[fields]]``: each named, typed, and named once."""
    fields: list[FieldSpec] = []
    for i, raw in enumerate(items, start=1):
        name = raw.get("name")
        if not name or not str(name).isidentifier():
            raise InputError(
                f"field {i} needs a name made of letters, digits and _", file=where
            )
        kind = raw.get("type", "number")
        if kind not in FIELD_TYPES:
            raise InputError(
                f"field {name}: type {kind!r} is not one of {', '.join(FIELD_TYPES)}",
                file=where,
            )
        if kind == "choice" and not raw.get("choices"):
            raise InputError(f"field {name}: a choice needs choices", file=where)
        fields.append(
            FieldSpec(
                name=name,
                label=raw.get("label", name),
                type=kind,
                unit=raw.get("unit", ""),
                required=bool(raw.get("required", False)),
                min=raw.get("min"),
                max=raw.get("max"),
                warn_above=raw.get("warn_above"),
                choices=tuple(raw.get("choices", ())),
                help=raw.get("help", ""),
                year=str(raw.get("year", "")),
                last_year=raw.get("last_year"),
            )
        )
    if not fields:
        raise InputError("the round has no [[fields]]", file=where)
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise InputError("field names repeat", file=where)
    for f in fields:
        if f.last_year is not None and f.last_year not in names:
            # Last year's figures are kept under this round's names (see seeding).
            raise InputError(
                f"field {f.name}: last_year {f.last_year!r} is not a field", file=where
            )
    return tuple(fields)


def parse_rules(
    items: list[dict[str, Any]], names: list[str], where: str
) -> tuple[Rule, ...]:
    """The round's ``[[rules]]``, each of a known kind over known fields."""
    rules: list[Rule] = []
    for raw in items:
        kind = raw.get("kind")
        if kind == "sum":
            rule = Rule("sum", tuple(raw.get("parts", ())), total=raw.get("total"))
            used = [rule.total, *rule.fields]
        elif kind == "change":
            rule = Rule(
                "change",
                (raw.get("field"),),
                threshold_percent=float(raw.get("threshold_percent", 0)),
            )
            used = list(rule.fields)
        elif kind in ("at_most_one", "revised"):
            rule = Rule(kind, tuple(raw.get("fields", ())))
            used = list(rule.fields)
        else:
            raise InputError(
                f"rule kind {kind!r} is not one of {', '.join(RULE_KINDS)}", file=where
            )
        unknown = [u for u in used if u not in names]
        if unknown:
            raise InputError(
                f"{kind} rule names unknown fields: {', '.join(map(str, unknown))}",
                file=where,
            )
        rules.append(rule)
    return tuple(rules)


def parse_publish(
    publish_raw: dict[str, Any], names: list[str], where: str
) -> dict[str, str]:
    """The ``[publish.measures]``: measure to expression, over known fields."""
    publish = {
        m: spec["value"] for m, spec in (publish_raw.get("measures") or {}).items()
    }
    for measure, expr in publish.items():
        for name in expression_names(expr):
            if name.removeprefix("previous.") not in names:
                raise InputError(
                    f"publish measure {measure}: unknown field {name}", file=where
                )
    return publish


# --- values -------------------------------------------------------------------------


#: Spaces people put inside numbers ("1 020", "£ 85,000"), non-breaking ones included.
_NUMBER_SPACES = re.compile(r"(?<=[\d£,.])[\s\u00a0\u202f]+(?=[\d,.])|(?<=£)\s+")


def _choice_key(text: str) -> str:
    """A choice as compared: case, spaces, hyphens and underscores ignored, so
    'In house', 'in-house' and 'IN_HOUSE' all mean 'In-House'."""
    return re.sub(r"[\s\-_]+", "", text).casefold()


def _plain_number(value: float) -> str:
    """A number as the form keeps it: no separators, no '.0' on a whole number."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def normalise_field_value(spec: FieldSpec, raw: object) -> tuple[str, str | None]:
    """One answer in the form's own terms: ``(text, None)``, or ``(given, problem)``.

    The single normaliser for every way an answer arrives (upload, form POST and
    autosave all save through it), so a value an upload accepted is one the form can
    show: a choice becomes the round's own spelling of it, a flag ``yes``/``no``, a
    number plain digits (``£``, thousands separators, spaces inside the number and a
    trailing ``%`` on a percentage field dropped). Text that matches nothing is kept
    as given (never lost) with a problem naming what would do.

    Examples
    --------
    >>> d = read_round_definition()
    >>> normalise_field_value(d.field("delivery"), " in house ")
    ('In-House', None)
    >>> normalise_field_value(d.field("joint_health_only"), "Yes")
    ('yes', None)
    >>> normalise_field_value(d.field("funding_la"), "£85,000")
    ('85000', None)
    >>> normalise_field_value(d.field("helpline_enquiries"), "1 020")
    ('1020', None)
    >>> normalise_field_value(d.field("fte_staff"), 4.50)
    ('4.5', None)
    >>> normalise_field_value(d.field("delivery"), "Both")
    ('Both', 'must be one of: In-House, Outsourced')
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return "", None
    text = " ".join(str(raw).split())
    if text == "":
        return "", None
    if spec.type == "text":
        return text, None
    if spec.type == "choice":
        key = _choice_key(text)
        for choice in spec.choices:
            if _choice_key(choice) == key:
                return choice, None
        return text, f"must be one of: {', '.join(spec.choices)}"
    if spec.type == "flag":
        word = text.casefold()
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            word = str(int(raw)) if float(raw).is_integer() else text
        if isinstance(raw, bool):
            word = "yes" if raw else "no"
        if word in _FLAG_WORDS:
            return ("yes" if _FLAG_WORDS[word] else "no"), None
        return text, "must be yes or no"
    from lacompare.cells import parse_cell

    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        cell = parse_cell(raw)
    else:
        cell = parse_cell(_NUMBER_SPACES.sub("", text))
    if cell.value is None:
        return text, f"{text!r} is not a number"
    if cell.unit == "%" and spec.unit != "%":
        unit = spec.unit or "units"
        return text, f"{text!r} is a percentage; give the number of {unit}"
    if cell.unit == "£" and spec.type != "money":
        return text, f"{text!r} is an amount of money; give a number"
    if spec.type == "integer" and not float(cell.value).is_integer():
        return text, "must be a whole number"
    return _plain_number(cell.value), None


def parse_field_value(spec: FieldSpec, raw: object) -> tuple[Any, str | None]:
    """Parse one answer: ``(value, None)`` or ``(None, message)``; blank is ``None``.

    Numbers may be typed with commas or a £ sign; a flag takes yes/no or 1/0. The
    answer is first put in the form's terms by :func:`normalise_field_value`, so the
    two never disagree on what is valid.

    Examples
    --------
    >>> d = read_round_definition()
    >>> parse_field_value(d.field("funding_la"), "£12,500")
    (12500.0, None)
    >>> parse_field_value(d.field("volunteers"), "2.5")[1]
    'must be a whole number'
    >>> parse_field_value(d.field("joint_health_only"), "Yes")
    (1.0, None)
    """
    text, problem = normalise_field_value(spec, raw)
    if problem:
        return None, problem
    if text == "":
        return None, None
    if spec.type in ("text", "choice"):
        return text, None
    if spec.type == "flag":
        return _FLAG_WORDS[text], None
    return float(text), None


def validate_return(
    definition: RoundDefinition,
    raw_values: dict[str, Any],
    *,
    previous: dict[str, Any] | None = None,
    comments: dict[str, str] | None = None,
    for_submit: bool = True,
) -> tuple[dict[str, Any], IssueLog]:
    """Parse and check a return against the round's fields and rules.

    Parameters
    ----------
    definition
        The round's form.
    raw_values
        Field name to what the service gave (text or a number; blank for none).
    previous
        The service's figures the year before (parsed), for ``change`` rules.
    comments
        Field name to the service's comment (a big change needs one).
    for_submit
        When false (a draft), missing required answers are not errors.

    Returns
    -------
    (values, issues)
        Parsed values (``None`` where blank or unparsable) and an issue log whose
        ``column`` is the field name; errors block submission, warnings ask for a
        check. Every message is the same whether the return came from the form or an
        upload (the upload adds the file, sheet and row).

    Examples
    --------
    >>> d = read_round_definition()
    >>> _, log = validate_return(d, {"funding_la": "100", "funding_social_care": "0",
    ...     "funding_health": "0", "funding_other": "0", "funding_total": "90"},
    ...     for_submit=False)
    >>> [str(i) for i in log]
    ['column funding_total: Total funding (£90) must equal the sum of its parts (£100)']
    """
    log = IssueLog()
    values: dict[str, Any] = {}
    for spec in definition.fields:
        value, problem = parse_field_value(spec, raw_values.get(spec.name))
        values[spec.name] = value
        if problem:
            log.add(
                "invalid",
                f"{spec.label}: {problem}",
                severity="error",
                column=spec.name,
                value=str(raw_values.get(spec.name)),
            )
        elif value is None:
            if spec.required and for_submit:
                log.add(
                    "required",
                    f"{spec.label} is required",
                    severity="error",
                    column=spec.name,
                )
        elif spec.numeric and spec.type != "flag":
            check_field_range(spec, value, log)
    for rule in definition.rules:
        if rule.kind == "sum" and rule.total is not None:
            check_sum(definition, rule, values, log)
        elif rule.kind == "change":
            check_change(definition, rule, values, previous or {}, comments or {}, log)
        elif rule.kind == "at_most_one":
            check_at_most_one(definition, rule, values, log)
        elif rule.kind == "revised":
            check_revised(definition, rule, values, previous or {}, comments or {}, log)
    return values, log


def _fmt(value: float) -> str:
    """A limit or total in a message: whole, or to two decimals; grouped."""
    return format_number(value, None, 0 if float(value).is_integer() else 2)


def check_field_range(spec: FieldSpec, value: float, log: IssueLog) -> None:
    """A number below its field's minimum or above its maximum is an error; above
    its ``warn_above``, a warning."""
    if spec.min is not None and value < spec.min:
        message, severity = f"{spec.label} must be at least {_fmt(spec.min)}", "error"
    elif spec.max is not None and value > spec.max:
        message, severity = f"{spec.label} must be at most {_fmt(spec.max)}", "error"
    elif spec.warn_above is not None and value > spec.warn_above:
        message = f"{spec.label} is above {_fmt(spec.warn_above)}: please check it"
        severity = "warning"
    else:
        return
    kind = "range" if severity == "error" else "check"
    log.add(kind, message, severity=severity, column=spec.name, value=str(value))


def check_sum(
    definition: RoundDefinition, rule: Rule, values: dict[str, Any], log: IssueLog
) -> None:
    """A total must equal the sum of its parts (to the pound), when all are given."""
    assert rule.total is not None
    total = values.get(rule.total)
    parts = [values.get(p) for p in rule.fields]
    if total is None or any(p is None for p in parts):
        return
    added = sum(parts)
    if abs(total - added) <= _SUM_TOLERANCE:
        return
    spec = definition.field(rule.total)
    pound = "£" if spec.unit == "£" else ""
    log.add(
        "sum",
        f"{spec.label} ({pound}{_fmt(total)}) must equal the "
        f"sum of its parts ({pound}{_fmt(added)})",
        severity="error",
        column=rule.total,
        value=str(total),
    )


def check_change(
    definition: RoundDefinition,
    rule: Rule,
    values: dict[str, Any],
    previous: dict[str, Any],
    comments: dict[str, str],
    log: IssueLog,
) -> None:
    """A change on last year above the rule's threshold needs a comment."""
    name = rule.fields[0]
    now, before = values.get(name), previous.get(name)
    if now is None or before in (None, 0):
        return
    change = 100 * (now - float(before)) / float(before)
    if abs(change) <= (rule.threshold_percent or 0) or (
        (comments.get(name) or "").strip()
    ):
        return
    spec = definition.field(name)
    log.add(
        "change",
        f"{spec.label} changed by {change:+.0f}% on last "
        f"year ({_fmt(float(before))}): more than "
        f"{rule.threshold_percent:g}% needs a comment",
        severity="error",
        column=name,
        value=str(now),
    )


def check_revised(
    definition: RoundDefinition,
    rule: Rule,
    values: dict[str, Any],
    previous: dict[str, Any],
    comments: dict[str, str],
    log: IssueLog,
) -> None:
    """An earlier year's figure that differs from what the service returned for
    that year last time (its field's ``last_year``) needs a comment."""
    for name in rule.fields:
        spec = definition.field(name)
        now = values.get(name)
        before = previous.get(spec.last_year or name)
        if not isinstance(before, (int, float)) or not isinstance(now, (int, float)):
            continue
        if abs(now - before) <= _SUM_TOLERANCE or (comments.get(name) or "").strip():
            continue
        log.add(
            "revised",
            f"{spec.label} ({_fmt(now)}) differs from last year's return "
            f"({_fmt(float(before))}): say why in the comment",
            severity="error",
            column=name,
            value=str(now),
        )


def check_at_most_one(
    definition: RoundDefinition, rule: Rule, values: dict[str, Any], log: IssueLog
) -> None:
    """At most one of the rule's flags may be yes."""
    chosen = [n for n in rule.fields if values.get(n) == 1.0]
    if len(chosen) > 1:
        labels = [definition.field(n).label for n in chosen]
        log.add(
            "exclusive",
            "only one of these can be yes: " + "; ".join(labels),
            severity="error",
            column=chosen[-1],
        )


def derive_published_values(
    definition: RoundDefinition,
    values: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every publish measure of a return (``None`` where it cannot be worked out).

    Examples
    --------
    >>> d = read_round_definition()
    >>> out = derive_published_values(d, {"funding_total": 200000.0,
    ...     "population_0_25": 100000.0}, {"funding_total": 160000.0})
    >>> out["per_head_2021"], out["funding_change_2020_21"], out["per_head_2020"]
    (2.0, 125.0, None)
    """
    return {
        m: derive_published_value(e, values, previous)
        for m, e in definition.publish.items()
    }
