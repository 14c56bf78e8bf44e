"""Do rates recomputed from counts and populations agree with the published rates?

For every authority and period where both a derived rate (``derive_rate``) and the
published rate exist, the difference is compared with the published figure's rounding
(half a unit of its last decimal place: DfE prints CLA rates as whole numbers, so
±0.5). The result lists every pair, how many agree, and those that do not.

Examples
--------
>>> from lacompare.store import open_store
>>> s = open_store(":memory:")
>>> _ = s.write_cells([
...     {"la_code": la, "measure": m, "period": "2024", "value": v}
...     for la, m, v in [("E06000001", "ours", 66.6), ("E06000001", "theirs", 67),
...                      ("E06000002", "ours", 70.2), ("E06000002", "theirs", 72)]
... ], file="x")
>>> a = summarise_rate_agreement(s, "ours", "theirs")
>>> a.n, a.agree, a.differ["la_code"].tolist()
(2, 1, ['E06000002'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.derive._store import registered, resolve_breakdown
from lacompare.provenance import IssueLog
from lacompare.store import current_values

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store


def rounding_of(value: float) -> float:
    """Half a unit of the last decimal place a published value shows.

    Examples
    --------
    >>> rounding_of(67.0), rounding_of(331.5), rounding_of(12.25)
    (0.5, 0.05, 0.005)
    """
    text = repr(round(float(value), 6))
    decimals = (
        0 if text.endswith(".0") else len(text.split(".")[1]) if "." in text else 0
    )
    return 0.5 * 10**-decimals


@dataclass
class RateAgreement:
    """Derived against published rates: one row per authority × period."""

    derived: str
    published: str
    table: Any
    issues: IssueLog = field(default_factory=IssueLog)

    @property
    def n(self) -> int:
        return len(self.table)

    @property
    def agree(self) -> int:
        return int(self.table["agrees"].sum())

    @property
    def differ(self) -> pd.DataFrame:
        return self.table[~self.table["agrees"]].reset_index(drop=True)

    def summary_lines(self) -> list[str]:
        lines = [
            f"{self.derived} against published {self.published}: {self.agree:,} "
            f"of {self.n:,} authority-years agree within rounding"
        ]
        for r in self.differ.head(20).itertuples(index=False):
            lines.append(
                f"  differs: {r.la_name or r.la_code} {r.period}: derived "
                f"{r.derived:.2f}, published {r.published:g}"
            )
        if len(self.differ) > 20:
            lines.append(f"  … and {len(self.differ) - 20} more")
        return lines


def summarise_rate_agreement(
    store: Store,
    derived: str,
    published: str,
    *,
    published_breakdown: str | None = "",
    derived_breakdown: str | None = "",
) -> RateAgreement:
    """Compare a derived rate with the published one, authority by authority.

    Parameters
    ----------
    store
        An open store.
    derived, published
        The two measures.
    published_breakdown, derived_breakdown
        Breakdowns to compare ('' = total; a unique part such as ``'31 March'``).

    Returns
    -------
    RateAgreement
        ``table``: la_code, la_name, period, derived, published, difference,
        tolerance, agrees; ``issues``: one per pair that does not agree.

    Examples
    --------
    See the module example.
    """
    pb = resolve_breakdown(store, published, published_breakdown)
    db = resolve_breakdown(store, derived, derived_breakdown)
    with registered(
        store,
        d=current_values(store, derived, db),
        p=current_values(store, published, pb),
    ) as names:
        table = store.query(
            f"""SELECT d.k AS la_code, a.la_name, d.period, d.value AS derived,
                       p.value AS published
                FROM {names["d"]} d JOIN {names["p"]} p
                     ON p.k = d.k AND p.period = d.period
                LEFT JOIN authorities a ON a.la_code = d.k
                WHERE d.value IS NOT NULL AND p.value IS NOT NULL
                ORDER BY d.period, d.k"""
        )
    table["difference"] = table["derived"] - table["published"]
    table["tolerance"] = [rounding_of(v) for v in table["published"]]
    table["agrees"] = table["difference"].abs() <= table["tolerance"] + 1e-9
    issues = IssueLog()
    for r in table[~table["agrees"]].itertuples(index=False):
        issues.add(
            "rate-differs",
            f"{r.la_name or r.la_code} {r.period}: {derived} "
            f"{r.derived:.3f}, published {published} {r.published:g} "
            f"(difference {r.difference:+.3f}, rounding ±{r.tolerance:g})",
        )
    return RateAgreement(derived, published, table, issues)
