"""The model frame: one row per authority (× year for a panel), one column per
variable, and the table of who was left out and why.

Built in named steps from a plan (:func:`lacompare.analysis._model_plan.
plan_variables`): read each variable's values from the store, widen them to one
column a variable, name every problem of each row (a missing or suppressed value,
two different values, no row, a period outside the authority's life, a value that
cannot be logged, an exclusion asked for), and split the rows kept from those
left out. A missing value is never 0.

Examples
--------
>>> from lacompare.store import open_store
>>> s = open_store(":memory:")
>>> _ = s.write_cells([
...     {"la_code": "E06000001", "measure": "a", "period": "2024", "value": 1.0},
...     {"la_code": "E06000002", "measure": "a", "period": "2024",
...      "missing_reason": "suppressed"}], file="t.csv")
>>> plan, frame, excluded = read_model_frame(
...     s, "a", ["a@2024"], period=None, years=None, log=[], exclude=[])
Traceback (most recent call last):
...
lacompare.errors.InputError: a variable is named twice
>>> _ = s.write_cells([{"la_code": c, "measure": "b", "period": "2024",
...                     "value": 2.0} for c in ("E06000001", "E06000002")],
...                   file="t.csv")
>>> plan, frame, excluded = read_model_frame(
...     s, "a", ["b"], period=None, years=None, log=[], exclude=[])
>>> frame[["la_name", "a", "b"]].values.tolist(), excluded["reason"].tolist()
([['Hartlepool', 1.0, 2.0]], ['a 2024: suppressed'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lacompare.analysis._continuing import registered_recodes
from lacompare.analysis._model_plan import plan_variables, variable_names
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store

_KEY = ["la_code", "year"]


def _join_reasons(acc: np.ndarray, add: np.ndarray) -> np.ndarray:
    both = (acc != "") & (add != "")
    return np.where(both, acc + "; " + add, np.where(acc == "", add, acc))


def read_plan_values(store: Store, plan: pd.DataFrame) -> pd.DataFrame:
    """Each variable's values, by authority and year: ``name, year, la_code,
    n_values, n_distinct, value, missing_reason`` (``value`` is the one value when
    ``n_distinct`` is 1)."""
    wanted = pd.DataFrame(
        {
            "name": plan["name"].astype(str),
            "measure": plan["measure"].astype(str),
            "period": plan["period"].astype(str),
            "year": plan["year"].astype(int),
            "breakdown": plan["breakdown"].astype(str),
            "any_bd": plan["any_breakdown"].astype(bool),
        }
    )
    rel = store.values_relation(
        measures=sorted(set(wanted["measure"])),
        periods=sorted(set(wanted["period"])),
        columns=[
            "la_code",
            "measure",
            "period",
            "breakdown",
            "value",
            "missing_reason",
        ],
    )
    name = f"_model_plan_{id(wanted)}"
    store.con.register(name, wanted)
    try:
        with registered_recodes(store) as recodes:
            return rel.query(
                "o",
                f"""WITH rows AS (
                    SELECT p.name, p.year,
                           coalesce(r.la_code, o.la_code) AS la_code,
                           o.value, o.missing_reason, r.old_code
                    FROM o JOIN {name} p
                      ON o.measure = p.measure AND o.period = p.period
                     AND (p.any_bd OR o.breakdown = p.breakdown)
                    LEFT JOIN {recodes} r ON o.la_code = r.old_code
                    -- An authority's own values first, then those published on
                    -- its old code (a same-area recode), then its missing rows.
                    QUALIFY dense_rank() OVER (
                        PARTITION BY p.name, p.year, coalesce(r.la_code, o.la_code)
                        ORDER BY o.value IS NULL, r.old_code IS NOT NULL) = 1)
                SELECT name, year, la_code,
                       count(value) AS n_values,
                       count(DISTINCT value) AS n_distinct,
                       min(value) AS value,
                       string_agg(DISTINCT missing_reason, ', ') AS missing_reason,
                       min(old_code) FILTER (WHERE value IS NOT NULL)
                           AS continued_from
                FROM rows GROUP BY ALL""",
            ).df()
    finally:
        store.con.unregister(name)


def _widen(long: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One column a variable: the values, and each cell's state (``''`` when it
    has one value; the missing reason, or how many different values)."""
    long["year"] = long["year"].astype(int)
    good = (long["n_values"] > 0) & (long["n_distinct"] == 1)
    wide = long[good].pivot(index=_KEY, columns="name", values="value")
    index = pd.MultiIndex.from_frame(long[_KEY].drop_duplicates().sort_values(_KEY))
    wide = wide.reindex(index=index, columns=names)
    status = (
        long.assign(
            status=np.where(
                long["n_values"] == 0,
                long["missing_reason"].fillna("no value").astype(str),
                np.where(
                    long["n_distinct"] > 1,
                    long["n_distinct"].astype(str) + " different values",
                    "",
                ),
            )
        )
        .pivot(index=_KEY, columns="name", values="status")
        .reindex(index=index, columns=names)
    )
    return wide, status


def _lifecycle(frame: pd.DataFrame, periods: np.ndarray) -> np.ndarray:
    """' (authority from …)' or ' (abolished …)' where a period is outside its life."""
    from lacompare.cells import period_as_of

    unique = {p: period_as_of(p) if p else None for p in set(periods)}
    dates = pd.to_datetime(pd.Series(periods, dtype=object).map(unique))
    start = pd.to_datetime(frame["valid_from"])
    end = pd.to_datetime(frame["valid_to"])
    before = (start.notna() & dates.notna() & (dates < start)).to_numpy()
    after = (end.notna() & dates.notna() & (dates > end)).to_numpy()
    start_text = start.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    end_text = end.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    return np.where(
        before,
        " (authority from " + start_text + ")",
        np.where(after, " (abolished " + end_text + ")", ""),
    )


def _variable_reasons(
    frame: pd.DataFrame,
    status: pd.DataFrame,
    plan: pd.DataFrame,
    name: str,
    split: np.ndarray,
) -> np.ndarray:
    """Why each row has no usable value of one variable (``''``: it has one);
    ``split`` says, for a successor of a split with no row, that the value was
    published for its predecessor only."""
    col = frame[name].to_numpy(dtype=float)
    missing = np.isnan(col)
    # The period each row read (a panel year may have none loaded).
    periods = frame["year"].map(plan[plan["name"] == name].set_index("year")["period"])
    has_period = periods.notna().to_numpy()
    per = periods.fillna("").astype(str).to_numpy(dtype=object)
    years = frame["year"].astype(str).to_numpy(dtype=object)
    state = status[name].reset_index(drop=True).fillna("no row")
    state = state.astype(str).to_numpy(dtype=object)
    text = np.where(
        has_period,
        name + " " + per + ": " + state,
        name + ": no period loaded for " + years,
    )
    text = np.where(
        (state == "no row") & (split != ""),
        name + " " + per + ": " + split,
        text + _lifecycle(frame, per),
    )
    reasons = np.where(missing, text, "")
    log_of = plan.drop_duplicates("name").set_index("name")["transform"]
    if log_of[name] == "log":
        bad = ~missing & (col <= 0)
        reasons = _join_reasons(
            reasons, np.where(bad, f"{name}: value ≤ 0, cannot take the log", "")
        )
    return reasons


def _exclusion_reasons(
    store: Store, frame: pd.DataFrame, exclude: Sequence[str]
) -> np.ndarray:
    """The reason each row's authority was asked to be left out (``''``: none)."""
    from lacompare.analysis._exclusions import resolve_exclusions

    gone = resolve_exclusions(store, exclude).set_index("la_code")["reason"]
    why = frame["la_code"].map(gone)
    return np.where(why.notna(), why.astype(object), "")


def _split_kept(
    frame: pd.DataFrame, reasons: np.ndarray, names: list[str], panel: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows with no problem, and ``la_code, la_name, [year,] reason`` of the
    others."""
    frame = frame.assign(_reason=reasons)
    cols = ["la_code", "la_name"] + (["year"] if panel else []) + ["reason"]
    excluded = (
        frame[frame["_reason"] != ""]
        .rename(columns={"_reason": "reason"})[cols]
        .sort_values(cols[:-1])
        .reset_index(drop=True)
    )
    kept = frame[frame["_reason"] == ""].drop(columns=["_reason"])
    kept = kept.sort_values(_KEY).reset_index(drop=True)
    keep_cols = ["la_code", "la_name", "region"] + (["year"] if panel else []) + names
    return kept[keep_cols], excluded


def assemble(
    store: Store, plan: pd.DataFrame, exclude: Sequence[str], panel: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wide model frame and the table of what was left out and why.

    Rows are authorities (× years for a panel) with a row for any variable; a
    row with any problem goes to ``excluded`` with every problem named.
    """
    names = variable_names(plan)
    long = read_plan_values(store, plan)
    wide, status = _widen(long.drop(columns="continued_from"), names)
    auth = store.query(
        "SELECT la_code, la_name, region, valid_from, valid_to FROM authorities"
    )
    frame = wide.reset_index().merge(auth, on="la_code", how="left")
    la_names = auth.set_index("la_code")["la_name"].to_dict()
    reasons = np.full(len(frame), "", dtype=object)
    for name in names:
        split = _split_reasons(frame, long, name, la_names)
        reasons = _join_reasons(
            reasons, _variable_reasons(frame, status, plan, name, split)
        )
    reasons = _join_reasons(reasons, _exclusion_reasons(store, frame, exclude))
    kept, excluded = _split_kept(frame, reasons, names, panel)
    _note_continued(plan, long, kept, la_names)
    return kept, excluded


def _split_reasons(
    frame: pd.DataFrame, long: pd.DataFrame, name: str, la_names: dict[str, str]
) -> np.ndarray:
    """For each row, ``'published for Northamptonshire only (split …)'`` when the
    authority was split from a predecessor that has a value of ``name`` for the
    row's year and it has none of its own ('' elsewhere)."""
    from lacompare.analysis._continuing import split_reason

    mine = long[(long["name"] == name) & (long["n_values"] > 0)]
    with_value = mine.groupby(mine["year"].astype(int))["la_code"].agg(set)
    out = np.full(len(frame), "", dtype=object)
    rows = zip(frame["la_code"], frame["year"], strict=True)
    for i, (code, year) in enumerate(rows):
        have = with_value.get(int(year), set())
        if code not in have:
            out[i] = split_reason(code, have, la_names)
    return out


def _note_continued(
    plan: pd.DataFrame,
    long: pd.DataFrame,
    kept: pd.DataFrame,
    la_names: dict[str, str],
) -> None:
    """Add a ``continued`` column to the plan: for each variable, the same-area
    recodes whose old code gave a value to an authority kept ('' for none)."""
    from lacompare.analysis._continuing import continued_note

    used = long[long["continued_from"].notna()]
    used = used[used["la_code"].isin(set(kept["la_code"]))]
    notes = {
        name: continued_note(
            zip(rows["la_code"], rows["continued_from"], strict=True), la_names
        )
        for name, rows in used.groupby("name")
    }
    plan["continued"] = [notes.get(n, "") for n in plan["name"]]


def read_model_frame(
    store: Store,
    target: str,
    factors: Sequence[str],
    *,
    period: str | None,
    years: list[int] | None,
    log: Sequence[str],
    exclude: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The plan of the variables, the model frame and who was left out (a panel
    when ``years`` is given)."""
    if not factors:
        raise InputError("name at least one factor")
    plan = plan_variables(
        store,
        [("target", target)] + [("factor", f) for f in factors],
        period=period,
        years=years,
        log=log,
    )
    frame, excluded = assemble(store, plan, exclude, panel=years is not None)
    return plan, frame, excluded
