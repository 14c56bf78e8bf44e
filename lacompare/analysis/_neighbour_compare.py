"""Comparing two neighbour sets, authority by authority."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._neighbour_store import default_set

if TYPE_CHECKING:
    from lacompare.store import Store


@dataclass
class SetComparison:
    """How far two neighbour sets agree.

    ``per_authority``: la_code, la_name, n_a, n_b, shared, jaccard (shared over
    the union), same_first (the nearest neighbour agrees), shared_names;
    authorities in one set only have NaN ``shared``. ``summary``: counts and
    means; ``codes_followed`` lists authorities recoded without a boundary change
    (North Yorkshire, Somerset 2023) matched across the sets.
    """

    set_a: str
    set_b: str
    per_authority: pd.DataFrame
    summary: dict[str, Any]
    codes_followed: pd.DataFrame

    def summary_lines(self) -> list[str]:
        s = self.summary
        lines = [
            f"{self.set_a} vs {self.set_b}: {s['authorities_in_both']} authorities "
            f"in both; {s['only_in_a']} only in {self.set_a}, {s['only_in_b']} only "
            f"in {self.set_b}",
            f"shared neighbours per authority: mean {s['mean_shared']:.2f}, median "
            f"{s['median_shared']:g}, min {s['min_shared']:g}, max "
            f"{s['max_shared']:g}; mean Jaccard {s['mean_jaccard']:.3f}; same "
            f"nearest neighbour for {s['same_first']}",
        ]
        if len(self.codes_followed):
            lines.append(
                "matched across a change of code: "
                + ", ".join(self.codes_followed["la_name"].astype(str))
            )
        return lines


def _continuations(store: Store) -> dict[str, str]:
    """Codes that changed with no change of area: predecessor -> its one successor.

    North Yorkshire and Somerset became unitary in 2023 with new ONS codes; their
    area did not change, so a set keyed the old way matches one keyed the new way.
    """
    frame = store.query("SELECT la_code, predecessors, successors FROM authorities")
    succ = frame.set_index("la_code")["successors"].dropna()
    pred = frame.set_index("la_code")["predecessors"].dropna()
    one = succ[~succ.str.contains(";")]
    mapping = {a: b for a, b in one.items() if pred.get(b) == a}
    # Follow chains (rare) to the last code.
    for _ in range(len(mapping)):
        nxt = {a: mapping.get(b, b) for a, b in mapping.items()}
        if nxt == mapping:
            break
        mapping = nxt
    return mapping


def compare_neighbour_sets(
    store: Store, set_a: str, set_b: str, *, follow_codes: bool = True
) -> SetComparison:
    """Overlap of two neighbour sets, authority by authority.

    Parameters
    ----------
    store
        An open store.
    set_a, set_b
        Set ids.
    follow_codes
        Treat an authority whose ONS code changed without any change of area
        (North Yorkshire, Somerset in 2023) as the same authority in both sets.

    Returns
    -------
    SetComparison

    Examples
    --------
    >>> from lacompare.analysis import load_neighbour_set
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = load_neighbour_set(s, "dfe-2021", "a")
    >>> _ = load_neighbour_set(s, "dfe-2025", "b")
    >>> c = compare_neighbour_sets(s, "a", "b")
    >>> c.summary["authorities_in_both"], c.summary["only_in_b"]
    (151, 2)
    """
    for sid in (set_a, set_b):
        default_set(store, sid)
    mapping = _continuations(store) if follow_codes else {}
    frame = store.query(
        "SELECT set_id, la_code, neighbour_code, rank FROM neighbours "
        "WHERE set_id IN (?, ?)",
        [set_a, set_b],
    )
    followed = sorted(
        set(frame["la_code"]) & set(mapping)
        | set(frame["neighbour_code"]) & set(mapping)
    )
    frame["la_code"] = frame["la_code"].replace(mapping)
    frame["neighbour_code"] = frame["neighbour_code"].replace(mapping)
    a = frame[frame["set_id"] == set_a]
    b = frame[frame["set_id"] == set_b]
    names = store.query("SELECT la_code, la_name FROM authorities").set_index(
        "la_code"
    )["la_name"]
    shared = a.merge(b, on=["la_code", "neighbour_code"])
    shared = shared.assign(name=shared["neighbour_code"].map(names))
    na = a.groupby("la_code").size().rename("n_a")
    nb = b.groupby("la_code").size().rename("n_b")
    per = pd.concat([na, nb], axis=1)
    both = per["n_a"].notna() & per["n_b"].notna()
    count = shared.groupby("la_code").size()
    per["shared"] = count.reindex(per.index).fillna(0).where(both)
    per["jaccard"] = per["shared"] / (per["n_a"] + per["n_b"] - per["shared"])
    first_a = a[a["rank"] == a.groupby("la_code")["rank"].transform("min")]
    first_b = b[b["rank"] == b.groupby("la_code")["rank"].transform("min")]
    same = first_a.merge(first_b, on=["la_code", "neighbour_code"])["la_code"]
    per["same_first"] = per.index.isin(same)
    per["same_first"] = per["same_first"].where(both)
    per["shared_names"] = (
        shared.sort_values("rank_x")
        .groupby("la_code")["name"]
        .agg(lambda s: "; ".join(s.astype(str)))
        .reindex(per.index)
    )
    per.insert(0, "la_name", per.index.map(names))
    per = per.reset_index(names="la_code").sort_values(["la_name", "la_code"])
    per = per.reset_index(drop=True)
    for c in ("n_a", "n_b"):
        per[c] = per[c].astype("Int64")
    inside = per[both.reindex(per["la_code"]).to_numpy()]
    counts = inside["shared"].astype(int).value_counts().sort_index()
    summary = {
        "set_a": set_a,
        "set_b": set_b,
        "authorities_in_both": int(len(inside)),
        "only_in_a": int(per["n_b"].isna().sum()),
        "only_in_b": int(per["n_a"].isna().sum()),
        "mean_shared": float(inside["shared"].mean()) if len(inside) else np.nan,
        "median_shared": float(inside["shared"].median()) if len(inside) else np.nan,
        "min_shared": float(inside["shared"].min()) if len(inside) else np.nan,
        "max_shared": float(inside["shared"].max()) if len(inside) else np.nan,
        "mean_jaccard": float(inside["jaccard"].mean()) if len(inside) else np.nan,
        "same_first": int(inside["same_first"].astype(bool).sum()),
        "shared_counts": {int(k): int(v) for k, v in counts.items()},
    }
    codes = pd.DataFrame(
        {"la_code": followed, "successor": [mapping[c] for c in followed]}
    )
    codes["la_name"] = codes["la_code"].map(names)
    return SetComparison(set_a, set_b, per, summary, codes)
