"""Finding indicators by words (typos forgiven), and what a store holds of each."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lacompare.catalogue._model import Indicator, read_catalogue
from lacompare.catalogue._values import period_key

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

#: Columns of :func:`search_indicators` (``kind``: 'indicator' from the catalogue or
#: 'store measure' outside it; ``periods``: how many periods have a value;
#: ``authorities``: how many authorities have one in ``latest_period``).
SEARCH_COLUMNS = [
    "id",
    "label",
    "topic",
    "unit",
    "polarity",
    "decimals",
    "headline",
    "periods",
    "first_period",
    "latest_period",
    "authorities",
    "kind",
    "score",
]
#: Lowest match score (rapidfuzz, 0-100) a search keeps: "lookd after" finds
#: "looked after" (91) while "looked after" does not find "started" (< 70).
MIN_SCORE = 80
#: Score below which a name is not offered as a suggestion for an unknown measure
#: ('pop_0_25' finds population_0_25 at 80; 'funding' finds nothing, not S251 lines).
SUGGEST_SCORE = 80


def _words(text: str) -> str:
    """Lower case, ids' underscores as spaces: 'cla_rate' reads 'cla rate'."""
    return " ".join(str(text).replace("_", " ").lower().split())


def _aligned(text: str) -> str:
    """Words as :func:`match_score` aligns them: each starting after a space, and
    brackets as spaces, so a query matches from the start of a word ('fte' finds
    'social workers (FTE)', not the 'fte' inside 'after').

    Examples
    --------
    >>> _aligned("Social workers (FTE)")
    ' social workers fte'
    """
    return " " + " ".join(re.sub(r"[()\[\]]", " ", _words(text)).split())


def match_score(
    query: str, *, id: str, label: str, description: str = "", topic: str = ""
) -> float:
    """How well ``query`` matches an entry, 0-100, typos forgiven.

    The best alignment of the query within the id, label or topic counts in full,
    within the description at 90% (a word there is weaker evidence).

    Examples
    --------
    >>> label = "Children looked after per 10,000 children"
    >>> match_score("lookd after", id="cla_rate_per_10000", label=label) >= MIN_SCORE
    True
    >>> match_score("turnover", id="cla_rate_per_10000", label=label) < MIN_SCORE
    True
    """
    from rapidfuzz import fuzz

    q = _aligned(query)
    if not q.strip():
        return 100.0
    best = max(fuzz.partial_ratio(q, _aligned(t)) for t in (id, label, topic) if t)
    if description:
        best = max(best, 0.9 * fuzz.partial_ratio(q, _aligned(description)))
    return float(best)


def _topic_matches(wanted: str | None, topic: str) -> bool:
    if not wanted:
        return True
    from rapidfuzz import fuzz

    return (
        wanted.lower() in topic.lower()
        or fuzz.partial_ratio(wanted.lower(), topic.lower()) >= 85
    )


def suggest_indicators(text: str, limit: int = 3) -> list[Indicator]:
    """Catalogue indicators whose id or label is like ``text`` (best first), for an
    unknown measure's error message.

    Examples
    --------
    >>> [i.id for i in suggest_indicators("cla_rate")][:1]
    ['cla_rate_per_10000']
    >>> suggest_indicators("zzzz")
    []
    """
    if len(_words(text)) < 3:  # one or two letters are in every label
        return []
    scored = []
    for n, ind in enumerate(read_catalogue()):
        score = match_score(text, id=ind.id, label=ind.label)
        if score >= SUGGEST_SCORE:
            scored.append((-score, not ind.headline, n, ind))
    scored.sort(key=lambda s: s[:3])
    # Only the near-best: 'cla rate' is all of 'cla_rate_per_10000' but also most
    # of 'vacancy rate', which would only distract.
    best = -scored[0][0] if scored else 0.0
    return [s[-1] for s in scored if -s[0] >= best - 5][:limit]


def suggestion_text(text: str) -> str:
    """'; catalogue indicators like it: …' for an error message ('' for none).

    Examples
    --------
    >>> print(suggestion_text("cla rate").split(";")[1][:60])
     catalogue indicators like it: Children looked after per 10,
    """
    found = suggest_indicators(text)
    if not found:
        return ""
    return (
        "; catalogue indicators like it: "
        + "; ".join(f"{i.label} ({i.id}, store key {i.sources[0].key})" for i in found)
        + " (lacompare measures WORDS searches them)"
    )


def unknown_measure_hint(text: str, known: list[str]) -> str:
    """The end of an unknown measure's error: what the user probably meant.

    A store measure one slip away from ``text`` ('claa' for 'cla') comes first:
    the user typed an id they know. Then catalogue indicators by label ('cla rate'
    is how people know the CLA rate); nearer raw ids only when the catalogue has
    none. One rule for every command, so each says the same.

    Examples
    --------
    >>> unknown_measure_hint("claa", ["cla", "pop"])
    '; did you mean cla?'
    >>> unknown_measure_hint("cla rate", ["x"]).startswith(
    ...     "; catalogue indicators like it: Children looked after")
    True
    >>> unknown_measure_hint("zzzz", ["a", "b"])
    '; the store has 2 measures (lacompare measures --all searches them)'
    """
    from difflib import get_close_matches

    typo = get_close_matches(text, known, n=3, cutoff=0.85)
    if typo:
        return f"; did you mean {', '.join(typo)}?"
    hint = suggestion_text(text)
    if hint:
        return hint
    near = get_close_matches(text, known, n=3, cutoff=0.6)
    if near:
        return f"; did you mean {', '.join(near)}?"
    return (
        f"; the store has {len(known)} measures (lacompare measures --all "
        "searches them)"
    )


def _period_order(period: str) -> tuple[Any, str]:
    """Sort key: the period's reference day, then its text."""
    import datetime as dt

    from lacompare.cells import period_as_of

    day = period_as_of(period)
    return (day or dt.date.min, period)


def indicator_coverage(store: Store, indicators: list[Indicator]) -> pd.DataFrame:
    """For each indicator: how many periods have a value, the first and latest, and
    how many authorities have a value in the latest (preferred source first, others
    filling gaps, as :func:`~lacompare.catalogue.read_indicator` reads them).

    One query over the store for all of them.
    """
    import pandas as pd

    measures = sorted({s.measure for i in indicators for s in i.sources})
    rows = (
        store.values_relation(
            measures=measures,
            columns=["la_code", "measure", "breakdown", "period", "value", "label"],
        )
        .filter("value IS NOT NULL OR label IS NOT NULL")
        .project("la_code, measure, breakdown, period")
        .distinct()
        .df()
    )
    out = []
    for ind in indicators:
        keys = {(s.measure, s.breakdown) for s in ind.sources}
        mine = rows[
            [
                (m, b) in keys
                for m, b in zip(rows["measure"], rows["breakdown"], strict=True)
            ]
        ]
        periods = {period_key(p, ind.financial_year) for p in mine["period"]}
        ordered = sorted(periods, key=_period_order)
        latest = ordered[-1] if ordered else None
        n_la = (
            mine.loc[
                [period_key(p, ind.financial_year) == latest for p in mine["period"]],
                "la_code",
            ].nunique()
            if latest
            else 0
        )
        out.append(
            {
                "id": ind.id,
                "periods": len(ordered),
                "first_period": ordered[0] if ordered else None,
                "latest_period": latest,
                "authorities": n_la,
            }
        )
    return pd.DataFrame(
        out, columns=["id", "periods", "first_period", "latest_period", "authorities"]
    )


def _store_measures(store: Store, words: str, sources: set[str]) -> pd.DataFrame:
    """Raw store measures outside the catalogue whose id or label matches."""
    import pandas as pd

    held = store.values_relation(columns=["measure"]).distinct()
    with_values = {r[0] for r in held.fetchall()}
    meta = store.query(
        "SELECT measure, label, unit, polarity, description FROM measures"
    )
    meta = meta[meta["measure"].isin(with_values)]
    meta = meta[~meta["measure"].isin(sources)]
    scores = [
        match_score(words, id=m, label=str(lb or ""), description=str(d or ""))
        for m, lb, d in zip(
            meta["measure"], meta["label"], meta["description"], strict=True
        )
    ]
    meta = meta.assign(score=scores)
    meta = meta[meta["score"] >= MIN_SCORE]
    if meta.empty:
        return pd.DataFrame(columns=SEARCH_COLUMNS)
    counts = (
        store.values_relation(
            measures=meta["measure"].tolist(),
            columns=["la_code", "measure", "period", "value", "label"],
        )
        .query(
            "v",
            "SELECT measure, period, count(DISTINCT la_code) AS n FROM v "
            "WHERE value IS NOT NULL OR label IS NOT NULL GROUP BY ALL",
        )
        .df()
    )
    rows = []
    for r in meta.itertuples(index=False):
        mine = counts[counts["measure"] == r.measure]
        ordered = sorted(mine["period"], key=_period_order)
        latest = ordered[-1] if ordered else None
        rows.append(
            {
                "id": r.measure,
                "label": r.label if isinstance(r.label, str) else "",
                "topic": "",
                "unit": r.unit if isinstance(r.unit, str) else "",
                "polarity": r.polarity,
                "decimals": None,
                "headline": False,
                "periods": len(ordered),
                "first_period": ordered[0] if ordered else None,
                "latest_period": latest,
                "authorities": int(mine.loc[mine["period"] == latest, "n"].sum())
                if latest
                else 0,
                "kind": "store measure",
                "score": round(r.score, 1),
            }
        )
    return pd.DataFrame(rows, columns=SEARCH_COLUMNS)


def search_indicators(
    words: str = "",
    topic: str | None = None,
    store: Store | None = None,
    include_store: bool = False,
) -> pd.DataFrame:
    """Catalogue indicators matching ``words`` in their id, label, topic or
    description (typos forgiven), best match first, then headline indicators.

    Parameters
    ----------
    words
        Free text ('' lists every indicator).
    topic
        Keep only indicators of this topic (part of its name will do).
    store
        With a store, each indicator says how many periods and authorities it
        has values for; indicators the store has no value for are kept (0).
    include_store
        Also search the store's measures outside the catalogue (``kind`` 'store
        measure'): reachable, but not offered by default.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SEARCH_COLUMNS`.

    Examples
    --------
    >>> found = search_indicators("lookd after")
    >>> "cla_rate_per_10000" in set(found["id"])
    True
    >>> set(search_indicators(topic="workforce")["topic"])
    {'Workforce'}
    """
    import pandas as pd

    rows = []
    for n, ind in enumerate(read_catalogue()):
        if not _topic_matches(topic, ind.topic):
            continue
        score = match_score(
            words,
            id=ind.id,
            label=ind.label,
            description=ind.description,
            topic=ind.topic,
        )
        if score < MIN_SCORE:
            continue
        rows.append((ind, score, n))
    rows.sort(key=lambda r: (-r[1], not r[0].headline, r[2]))
    found = pd.DataFrame(
        [
            {
                "id": i.id,
                "label": i.label,
                "topic": i.topic,
                "unit": i.unit,
                "polarity": i.polarity,
                "decimals": i.decimals,
                "headline": i.headline,
                "kind": "indicator",
                "score": round(score, 1),
            }
            for i, score, _ in rows
        ],
        columns=[
            c
            for c in SEARCH_COLUMNS
            if c not in ("periods", "first_period", "latest_period", "authorities")
        ],
    )
    if store is not None and len(rows):
        cover = indicator_coverage(store, [r[0] for r in rows])
        found = found.merge(cover, on="id", how="left")
    else:
        found = found.assign(
            periods=None, first_period=None, latest_period=None, authorities=None
        )
    found = found[SEARCH_COLUMNS]
    for col in ("periods", "authorities"):
        found[col] = found[col].astype("Int64")
    if include_store and store is not None and not topic:
        sources = {s.measure for i in read_catalogue() for s in i.sources}
        extra = _store_measures(store, words, sources)
        if len(extra):
            extra = extra.sort_values("score", ascending=False, kind="stable")
            extra = extra.astype({"periods": "Int64", "authorities": "Int64"})
            found = (
                pd.concat([found, extra], ignore_index=True) if len(found) else extra
            )
    return found.reset_index(drop=True)
