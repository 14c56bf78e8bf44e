"""The la-profile's sentences: how one authority compares on one measure, in
plain English, from :func:`~lacompare.analysis.compare`'s row.

A neutral measure is described as higher or lower, never better or worse;
quartile bands are :data:`lacompare.derive.BANDS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lacompare.derive import BANDS
from lacompare.formatting import MISSING_SYMBOLS, format_value
from lacompare.report._specs import MeasureSpec
from lacompare.report._words import join_words, possessive, sentence_label

__all__ = [
    "joint_sentence",
    "polarity_text",
    "profile_sentences",
    "quarter_cell",
    "quarter_phrase",
]

_NEUTRAL_QUARTERS = ("highest", "second-highest", "second-lowest", "lowest")
_POLAR_QUARTERS = ("best", "second-best", "second-worst", "worst")
_POLAR = ("higher-is-better", "higher-is-worse")


def period_key(period: str) -> tuple[int, str]:
    """A period's sort key: its year first (``2021-22`` after ``2020``)."""
    digits = "".join(ch for ch in str(period)[:4] if ch.isdigit())
    return (int(digits) if len(digits) == 4 else 0, str(period))


def _is_num(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _compare_word(a: Any, b: Any, decimals: int) -> str:
    ra, rb = round(float(a), decimals), round(float(b), decimals)
    return "higher" if ra > rb else "lower" if ra < rb else "the same"


def _judgement(word: str, polarity: str) -> str:
    """'(better)' / '(worse)' for a higher or lower value of a measure with a
    polarity; nothing for neutral measures or equal values."""
    if polarity not in ("higher-is-better", "higher-is-worse") or word == "the same":
        return ""
    good = (word == "higher") == (polarity == "higher-is-better")
    return " (better)" if good else " (worse)"


def quarter_phrase(band: str | None, polarity: str) -> str | None:
    """'the highest quarter' / 'the best quarter (band A)' for a quartile band.

    Examples
    --------
    >>> quarter_phrase("A", "neutral"), quarter_phrase("D", "higher-is-worse")
    ('the highest quarter', 'the worst quarter (band D)')
    """
    if not isinstance(band, str) or band not in BANDS:
        return None
    i = BANDS.index(band)
    if polarity in ("higher-is-better", "higher-is-worse"):
        return f"the {_POLAR_QUARTERS[i]} quarter (band {band})"
    return f"the {_NEUTRAL_QUARTERS[i]} quarter"


def quarter_cell(band: str | None, polarity: str) -> str:
    """The quartile band as a table prints it."""
    if not isinstance(band, str) or band not in BANDS:
        return "–"
    i = BANDS.index(band)
    if polarity in ("higher-is-better", "higher-is-worse"):
        return f"{band}: {_POLAR_QUARTERS[i]} quarter"
    return f"{_NEUTRAL_QUARTERS[i].capitalize()} quarter"


def polarity_text(polarity: str) -> str:
    """'Higher is better', 'Higher is worse' or 'Neutral'."""
    return {
        "higher-is-better": "Higher is better",
        "higher-is-worse": "Higher is worse",
    }.get(polarity, "Neutral")


def _missing_words(reason: Any) -> str:
    if isinstance(reason, str) and reason in MISSING_SYMBOLS:
        symbol, meaning = MISSING_SYMBOLS[reason]
        return f"{meaning}, {symbol}"
    return "not in the store" if reason in (None, "no-value") else str(reason)


def profile_sentences(
    row: Mapping[str, Any],
    name: str,
    spec: MeasureSpec,
    decimals: int,
    trend: pd.DataFrame | None = None,
) -> list[str]:
    """Plain-English sentences about one authority on one measure.

    ``row`` is a row of :func:`~lacompare.analysis.compare`'s table; ``trend``
    has ``period, value, england_value`` rows for the authority. Sentences say
    higher or lower, and only for a measure with a polarity better or worse.

    Examples
    --------
    >>> spec = MeasureSpec("cla_rate", label="Rate of children looked after",
    ...                    unit=None, polarity="higher-is-worse")
    >>> row = {"value": 85.0, "period": "2025", "neighbours_mean": 72.4,
    ...        "neighbours_n": 10, "region": "Yorkshire and The Humber",
    ...        "region_value": 77, "region_source": "published", "england_value": 67,
    ...        "england_source": "published", "rank": 120, "rank_of": 151,
    ...        "quartile": "D", "polarity": "higher-is-worse", "flag": "within",
    ...        "test": "|z| > 1.96 (95%) / 3.09 (99.8%) against 151 authorities",
    ...        "z": 0.4}
    >>> text = profile_sentences(row, "Leeds", spec, 0)[0]
    >>> print(text)  # doctest: +NORMALIZE_WHITESPACE
    Leeds's rate of children looked after (85 in 2025) is higher (worse) than its
    statistical neighbours' average (72) and in the worst quarter (band D) of
    authorities (ranked 120 of 151, where 1 is the best).
    """
    label = sentence_label(spec.label)
    if not _is_num(row.get("value")):
        period = row.get("period") or "the latest period"
        return [
            f"{name} has no figure for {label} in {period} "
            f"({_missing_words(row.get('missing_reason'))})."
        ]
    sentences = [
        neighbour_sentence(row, name, spec, decimals),
        joint_sentence(row),
        area_sentence(row, spec, decimals),
        significance_sentence(row),
        trend_sentence(trend, spec, decimals),
    ]
    return [s for s in sentences if s]


def joint_sentence(row: Mapping[str, Any]) -> str:
    """The flag of a joint return (compare's ``joint_return``): one published
    figure for several authorities, counted once among them.

    Examples
    --------
    >>> joint_sentence({"joint_return": "joint return with Kingston upon Thames "
    ...                 "(Achieving for Children)"})  # doctest: +NORMALIZE_WHITESPACE
    'The figure is a joint return with Kingston upon Thames (Achieving for
    Children): one figure is published for both, and counted once among
    authorities.'
    """
    note = row.get("joint_return")
    if not isinstance(note, str) or not note:
        return ""
    both = "both" if " and " not in note.split(" (")[0] else "all of them"
    return (
        f"The figure is a {note}: one figure is published for {both}, and counted "
        "once among authorities."
    )


def neighbour_sentence(
    row: Mapping[str, Any], name: str, spec: MeasureSpec, decimals: int
) -> str:
    """The value against the statistical neighbours' average, and its quarter
    and rank among authorities."""
    value, polarity = row.get("value"), spec.polarity
    period = row.get("period") or "the latest period"
    # A label that names its own year ("…, 2019") gets no second, different one.
    dated = re.search(r"\b(19|20)\d\d\b", spec.label) is not None
    shown = format_value(value, spec.unit, decimals)
    head = f"{possessive(name)} {sentence_label(spec.label)} ({shown}" + (
        ")" if dated else f" in {period})"
    )
    nb: Any = row.get("neighbours_mean")
    quarter = quarter_phrase(row.get("quartile"), polarity)
    rank: Any = row.get("rank")
    rank_of: Any = row.get("rank_of")
    first = "best" if polarity in _POLAR else "highest"
    ranked = (
        f" (ranked {int(rank)} of {int(rank_of)}, where 1 is the {first})"
        if _is_num(rank) and _is_num(rank_of)
        else ""
    )
    if _is_num(nb):
        word = _compare_word(value, nb, decimals)
        verb = (
            "is the same as"
            if word == "the same"
            else f"is {word}{_judgement(word, polarity)} than"
        )
        nb_text = format_value(nb, spec.unit, decimals)
        text = f"{head} {verb} its statistical neighbours' average ({nb_text})"
        if quarter:
            text += f" and in {quarter} of authorities{ranked}"
        return text + "."
    if quarter:
        return f"{head} is in {quarter} of authorities{ranked}."
    return f"{head}."


def area_sentence(row: Mapping[str, Any], spec: MeasureSpec, decimals: int) -> str:
    """'It is above Yorkshire and The Humber (77) and above England (67).'"""
    value, parts = row.get("value"), []
    for v, source, what in (
        (row.get("region_value"), row.get("region_source"), row.get("region")),
        (row.get("england_value"), row.get("england_source"), "England"),
    ):
        if not _is_num(v) or not what:
            continue
        word = _compare_word(value, v, decimals)
        computed = isinstance(source, str) and source.startswith("computed")
        area = (
            f"the average of authorities in {what}"
            if computed
            else (f"the {what} figure" if what != "England" else "England")
        )
        shown = format_value(v, spec.unit, decimals)
        if word == "the same":
            parts.append(f"the same as {area} ({shown})")
        else:
            parts.append(f"{'above' if word == 'higher' else 'below'} {area} ({shown})")
    return f"It is {join_words(parts)}." if parts else ""


def significance_sentence(row: Mapping[str, Any]) -> str:
    """Whether the value is significantly different, by the test compare chose
    (funnel limits for a derived rate, a z-score otherwise)."""
    flag, test = row.get("flag"), str(row.get("test") or "")
    level = row.get("flag_level")
    funnel = test.startswith("funnel")
    if flag in ("above", "below"):
        direction = "higher" if flag == "above" else "lower"
        if funnel:
            return (
                f"It is significantly {direction} than England's rate for an "
                f"area of its size: outside the {level} funnel limits."
            )
        z: Any = row.get("z")
        ztext = f"z = {float(z):.1f}; " if _is_num(z) else ""
        return (
            f"It is significantly {direction} than the average of "
            f"authorities ({ztext}significant at the {level} level)."
        )
    if flag == "within":
        if funnel:
            return (
                "It is within the 95% funnel limits around England's rate: "
                "not significantly different."
            )
        return (
            "The difference from the average of authorities is not "
            "statistically significant (|z| below 1.96)."
        )
    return ""


def _movement(a: Any, b: Any, spec: MeasureSpec, decimals: int) -> str:
    """'rose from 70 to 85', 'fell from …', 'stayed at 85'."""
    word = _compare_word(b, a, decimals)
    shown_a = format_value(a, spec.unit, decimals)
    shown_b = format_value(b, spec.unit, decimals)
    if word == "the same":
        return "stayed at " + shown_b
    return f"{'rose' if word == 'higher' else 'fell'} from {shown_a} to {shown_b}"


def trend_sentence(trend: pd.DataFrame | None, spec: MeasureSpec, decimals: int) -> str:
    """How the value moved between the first and last periods, and England's."""
    if trend is None or not len(trend):
        return ""
    t = trend.dropna(subset=["value"]).sort_values(
        "period", key=lambda s: s.map(period_key)
    )
    if len(t) < 2:
        return ""
    a, b = t.iloc[0], t.iloc[-1]
    text = f"Between {a['period']} and {b['period']} it " + _movement(
        a["value"], b["value"], spec, decimals
    )
    ea, eb = a.get("england_value"), b.get("england_value")
    if _is_num(ea) and _is_num(eb):
        text += "; England " + _movement(ea, eb, spec, decimals)
    return text + "."
