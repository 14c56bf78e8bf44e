"""The build's steps after loading (``plan.toml``): derived rates, district sums,
the boundary policy and the rate-agreement check."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lacompare.build._timings import timed
from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from lacompare.build import BuildResult
    from lacompare.store import Store

Progress = Callable[[str, int, int], None]


def _has(store: Store, measure: str) -> bool:
    """Whether the store holds any value (or missing value) of ``measure``."""
    rows = store.values_relation(measures=measure, columns=["la_code"]).limit(1)
    return bool(rows.fetchall())


def run_steps(
    store: Store,
    plan: dict[str, Any],
    policy: str,
    result: BuildResult,
    progress: Progress | None,
) -> None:
    """The steps after loading, as the plan gives them: rates derived from counts
    and populations, districts summed into counties, the boundary policy, and
    the derived rates checked against the published ones. A step that cannot
    run is noted in ``result.issues``, never fatal."""
    rates = plan.get("rate", [])
    aggregates = plan.get("aggregate", [])
    total = len(rates) * 2 + len(aggregates) + 1
    step = 0

    def tick(what: str) -> None:
        nonlocal step
        if progress:
            progress(what, step, total)
        step += 1

    with timed(result.steps, "derived rates"):
        _derive_rates(store, rates, result, tick)
    with timed(result.steps, "district sums"):
        _sum_districts(store, aggregates, result, tick)
    tick(f"boundary policy {policy}")
    with timed(result.steps, f"boundary policy {policy}"):
        _harmonise(store, plan, policy, result)
    with timed(result.steps, "rate agreement"):
        _check_agreement(store, rates, result, tick)


def _derive_rates(
    store: Store, rates: list[dict[str, Any]], result: BuildResult, tick: Any
) -> None:
    """Rates per 10,000 (or as the plan says) from counts and populations."""
    from lacompare.derive import MAX_LAG_DAYS, derive_rate

    for r in rates:
        tick(f"deriving {r['name']}")
        if not (_has(store, r["count"]) and _has(store, r["population"])):
            result.issues.add(
                "step-skipped",
                f"{r['name']}: no {r['count']} or {r['population']} in the store",
                severity="info",
            )
            continue
        try:
            result.derived[r["name"]] = derive_rate(
                store,
                r["count"],
                r["population"],
                per=r.get("per", 10_000),
                name=r["name"],
                breakdown=r.get("count_breakdown"),
                label=r.get("label"),
                max_lag_days=r.get("max_lag_days", MAX_LAG_DAYS),
            )
        except LacompareError as exc:
            result.issues.add("step-failed", f"{r['name']}: {exc}")


def _sum_districts(
    store: Store, aggregates: list[dict[str, Any]], result: BuildResult, tick: Any
) -> None:
    """District rows summed into the counties they sat in."""
    from lacompare.derive import derive_upper_tier

    for a in aggregates:
        tick(f"summing districts of {a['measure']}")
        if not _has(store, a["measure"]):
            result.issues.add(
                "step-skipped", f"{a['measure']}: not in the store", severity="info"
            )
            continue
        try:
            d = derive_upper_tier(store, a["measure"], name=a.get("name"))
            result.aggregated[d.measure] = d
        except LacompareError as exc:
            result.issues.add("step-failed", f"districts of {a['measure']}: {exc}")


def _harmonise(
    store: Store, plan: dict[str, Any], policy: str, result: BuildResult
) -> None:
    """The boundary policy on the plan's measures."""
    from lacompare.derive import derive_harmonised

    for measure in plan.get("harmonise", {}).get("measures", []):
        if not _has(store, measure):
            continue
        try:
            result.harmonised.append(derive_harmonised(store, measure, policy=policy))
        except LacompareError as exc:
            result.issues.add("step-failed", f"policy {policy} on {measure}: {exc}")


def _check_agreement(
    store: Store, rates: list[dict[str, Any]], result: BuildResult, tick: Any
) -> None:
    """The derived rates against the published ones."""
    from lacompare.derive import summarise_rate_agreement

    for r in rates:
        # A rate with no published counterpart (crime per 1,000) has nothing to check.
        published = r.get("published")
        tick(f"checking {r['name']} against {published or 'no published rate'}")
        if (
            published is None
            or r["name"] not in result.derived
            or not _has(store, published)
        ):
            continue
        try:
            result.agreement[r["name"]] = summarise_rate_agreement(
                store,
                r["name"],
                r["published"],
                published_breakdown=r.get("published_breakdown", ""),
            )
        except LacompareError as exc:
            result.issues.add("step-failed", f"agreement of {r['name']}: {exc}")
