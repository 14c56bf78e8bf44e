"""Measure specs: ``measure[breakdown]=Label`` as the user writes it, checked
against the store (:func:`resolve_measure`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lacompare.errors import InputError
from lacompare.report._words import sentence_label

if TYPE_CHECKING:
    from lacompare.store import Store

_SPEC = re.compile(
    r"^\s*(?P<measure>[^\[\]=@]+?)\s*(?:\[(?P<breakdown>[^\]]*)\])?"
    r"\s*(?:=\s*(?P<label>.+?))?\s*$"
)


@dataclass(frozen=True)
class MeasureSpec:
    """A measure of the store, one of its breakdowns, and how to label it."""

    measure: str
    breakdown: str = ""
    label: str = ""
    unit: str | None = None
    polarity: str = "neutral"

    @property
    def key(self) -> str:
        """``measure`` or ``measure[breakdown]``."""
        return f"{self.measure}[{self.breakdown}]" if self.breakdown else self.measure


def parse_measure_spec(text: str) -> tuple[str, str | None, str | None]:
    """Split ``measure[breakdown]=Label`` into its three parts (None when absent).

    Examples
    --------
    >>> parse_measure_spec("rate_per_10000[looked after on 31 March]=CLA rate")
    ('rate_per_10000', 'looked after on 31 March', 'CLA rate')
    >>> parse_measure_spec("pop_0_25")
    ('pop_0_25', None, None)
    """
    m = _SPEC.match(text or "")
    if not m:
        raise InputError(
            f"cannot read measure {text!r}: write measure, "
            "measure[breakdown] or measure[breakdown]=Label"
        )
    return m["measure"], m["breakdown"], m["label"]


_SPLIT = re.compile(r",(?![^\[]*\])")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*\s*(\[.*\])?\s*(=.*)?$")


def split_specs(text: str | Sequence[str] | None) -> list[str]:
    """Measure specs from a comma-separated list (or a list of such strings).

    Commas inside ``[breakdown]`` and inside a label (``=Rate per 10,000``) do
    not split.

    Examples
    --------
    >>> split_specs("a,b[x=1, y=2]=Rate per 10,000 children, c")
    ['a', 'b[x=1, y=2]=Rate per 10,000 children', 'c']
    """
    if text is None:
        return []
    items = [text] if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        pieces = [p.strip() for p in _SPLIT.split(item)]
        merged: list[str] = []
        for piece in pieces:
            if merged and "=" in merged[-1].split("]")[-1] and not _ID.match(piece):
                merged[-1] += "," + piece
            elif piece:
                merged.append(piece)
        out += [m for m in merged if m]
    return out


def _humanise(measure: str) -> str:
    text = measure.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def resolve_measure(store: Store, text: str, label: str | None = None) -> MeasureSpec:
    """A measure spec checked against the store: the measure exists, the
    breakdown is one of its own (a unique part of one is enough), and a label.

    A measure whose only rows have one breakdown gets that breakdown; one with
    several and no total row needs ``[breakdown]``.
    """
    measure, bd_text, own_label = parse_measure_spec(text)
    breakdown = match_breakdown(store, measure, bd_text)
    stored_label, unit, polarity = _measure_row(store, measure)
    text_label = label or own_label or _catalogue_name(measure, breakdown)
    if not text_label:
        base = (
            stored_label
            if stored_label and stored_label != measure
            else _humanise(measure)
        )
        if breakdown:
            value = breakdown.split("=", 1)[-1].strip()
            base = f"{base}: {sentence_label(value)}"
        text_label = base
    return MeasureSpec(measure, breakdown, text_label, unit, polarity)


def _catalogue_name(measure: str, breakdown: str) -> str | None:
    """The indicator catalogue's label for a key it reads (the store's labels are
    the publishers': ``turnover_rate_fte_%``), else None."""
    from lacompare.catalogue import catalogue_label

    found = catalogue_label(f"{measure}[{breakdown}]" if breakdown else measure)
    return None if found is None else found[0]


def match_breakdown(store: Store, measure: str, text: str | None) -> str:
    """The breakdown of ``measure`` that ``text`` names (a unique part of one is
    enough); with no text, the total ('') or the measure's only breakdown.

    An InputError names the measures the store has when it lacks ``measure``,
    and the breakdowns when one must be chosen.
    """
    from lacompare.derive import breakdowns_of, resolve_breakdown

    available = breakdowns_of(store, measure)
    if not available:
        from lacompare.catalogue import unknown_measure_hint

        known = store.values_relation(columns=["measure"]).distinct().fetchall()
        raise InputError(
            f"measure {measure!r} has no values in the store"
            + unknown_measure_hint(measure, [r[0] for r in known])
        )
    if text is not None:
        return resolve_breakdown(store, measure, text) or ""
    if "" in available:
        return ""
    if len(available) == 1:
        return available[0]
    shown = "; ".join(available[:6])
    raise InputError(
        f"measure {measure!r} has several breakdowns and no "
        f"total; name one as {measure}[text], from: {shown}"
    )


def _measure_row(store: Store, measure: str) -> tuple[str, str | None, str]:
    """The measure's stored label ('' when none), unit and polarity."""
    meta = store.query(
        "SELECT label, unit, coalesce(polarity, 'neutral') AS "
        "polarity FROM measures WHERE measure = ?",
        [measure],
    )
    if not len(meta):
        return "", None, "neutral"
    row = meta.iloc[0]
    label = row["label"] if isinstance(row["label"], str) else ""
    unit = row["unit"] if isinstance(row["unit"], str) else None
    return label, unit, str(row["polarity"])
