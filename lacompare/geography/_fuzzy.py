"""The guarded fuzzy step: RapidFuzz over the registry's names and aliases, with a
threshold, a margin over the next authority and agreement on the words that tell
authorities apart."""

from __future__ import annotations

from datetime import date
from functools import cache

from rapidfuzz import fuzz, process

from ._choose import Match, _choose, _lineage, _resolve_keys
from ._normalise import (
    ParsedName,
    normalise_name,
)
from ._registry import Registry, registry

#: Minimum RapidFuzz ratio (0-100) for a fuzzy match.
FUZZY_THRESHOLD = 90.0
#: Minimum lead of the best fuzzy candidate over the next different authority.
FUZZY_MARGIN = 5.0
# Words that distinguish neighbouring authorities: a fuzzy match must agree on all of
# them, so 'East Sussex' can never become 'West Sussex' however close the spelling.
_QUALIFIERS = frozenset(
    {"north", "south", "east", "west", "central", "mid", "inner", "outer", "greater"}
)


@cache
def _fuzzy_choices() -> tuple[list[str], list[tuple[str, ...]], list[frozenset[str]]]:
    """Name keys, their entity keys and each key's qualifier set, for RapidFuzz."""
    reg = registry()
    targets: dict[str, tuple[str, ...]] = {
        name: tuple(keys) for name, keys in reg.by_name.items()
    }
    for row in reg.aliases.items():
        alias_key, alias = row
        if alias.kind == "variant":
            base = normalise_name(alias_key)
            targets.setdefault(base, tuple(_lineage(reg, alias.target)))
    names = sorted(targets)
    return names, [targets[n] for n in names], [_qualifiers(n) for n in names]


def _qualifiers(key: str) -> frozenset[str]:
    words = set(key.split())
    return frozenset((words & _QUALIFIERS) | {w for w in words if w.isdigit()})


def _fuzzy(
    query: str, parsed: ParsedName, day: date | None
) -> tuple[Match | None, tuple[str, ...]]:
    reg = registry()
    names, targets, quals = _fuzzy_choices()
    key = parsed.base
    if not key:
        return None, ()
    ranked = _ranked(key)
    candidates = tuple(
        f"{reg.describe(_pick_display(reg, group, day))}: {score:.0f}"
        for group, (score, _) in ranked[:3]
    )
    if not ranked:
        return None, candidates
    top_group, (top, idx) = ranked[0]
    runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
    if (
        len(key) >= 4
        and top >= FUZZY_THRESHOLD
        and top - runner_up >= FUZZY_MARGIN
        and quals[idx] == _qualifiers(key)
    ):
        match = _resolve_keys(
            query,
            targets[idx],
            day,
            parsed.hint,
            "fuzzy",
            round(float(top), 1),
            f"fuzzy match to {names[idx]!r}",
        )
        return match, candidates
    return None, candidates


def _ranked(key: str) -> list[tuple[frozenset[str], tuple[float, int]]]:
    """The authorities nearest a normalised name, best first: (entity keys, (score,
    index into the fuzzy choices)); a name and its aliases count once."""
    names, targets, _ = _fuzzy_choices()
    found = process.extract(key, names, scorer=fuzz.ratio, limit=12)
    best: dict[frozenset[str], tuple[float, int]] = {}
    for _, score, idx in found:
        group = frozenset(targets[idx])
        if group not in best or score > best[group][0]:
            best[group] = (score, idx)
    return sorted(best.items(), key=lambda kv: -kv[1][0])


def _pick_display(reg: Registry, group: frozenset[str], day: date | None) -> str:
    ent = _choose(reg, sorted(group), day, None)
    return ent.key if ent is not None else sorted(group)[0]
