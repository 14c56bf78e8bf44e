"""The la-profile's expected-spend section: why this authority's expected spend
differs from the average, by the five factors of the spend-variation study.

The model is fitted once for all authorities (with the profiles' other
comparisons) and each profile reads its own row; it is the same model as the spend
report's, so the two never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lacompare.report._reports import Document
    from lacompare.store import Store

#: Spend measures a profile explains, most preferred first: CSC spend per child
#: (DfE's children's social care dashboard, 2024-25).
PROFILE_SPEND_TARGETS = ("csc_expenditure_per_child",)


def prepare_profile_spend(store: Store) -> tuple[Any, str | None]:
    """The expected-spend model for the profiles, or why there is none.

    Returns ``(model, None)`` or ``(None, reason)``: the store may have no spend
    per child, or no factor for it.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> prepare_profile_spend(open_store(":memory:"))[1]
    'no spend per child in the store (csc_expenditure_per_child)'
    """
    from lacompare.analysis import model_spend
    from lacompare.errors import LacompareError

    target = next((t for t in PROFILE_SPEND_TARGETS if store.list_breakdowns(t)), None)
    if target is None:
        return None, (
            "no spend per child in the store (" + ", ".join(PROFILE_SPEND_TARGETS) + ")"
        )
    try:
        return model_spend(store, target), None
    except LacompareError as exc:
        return None, f"the expected-spend model could not be fitted: {exc}"


def add_spend_section(doc: Document, model: Any, la_code: str, name: str) -> bool:
    """Add "Expected spend" to a profile; False when the authority was not modelled.

    A sentence names the factors that raise or lower its expected spend most, a
    chart shows each factor's part, and the limits are stated.
    """
    import pandas as pd

    from lacompare.analysis import (
        contribution_names,
        describe_contributions,
    )
    from lacompare.charts import contribution_chart
    from lacompare.formatting import format_value

    pred = model.predictions
    if la_code not in set(pred["la_code"]):
        return False
    names = contribution_names(model)
    columns = [c for c in names if c in pred.columns]
    row = pred.set_index("la_code").loc[la_code]
    parts = row[columns]
    sec = doc.section("Expected spend: the factors behind it")
    sentence = describe_contributions(
        name,
        parts.rename(index={c: "contribution_" + names[c].lower() for c in columns}),
        "£",
        actual=_number(row.get("actual")),
        expected=_number(row.get("predicted")),
        per=" per child",
    )
    sec.p(
        f"{sentence} The average expected spend per child is "
        f"{format_value(pred['predicted'].mean(), '£')} ({model.n} authorities)."
    )
    frame = pd.DataFrame(
        {
            "factor": [names[c] for c in columns],
            "contribution": parts.to_numpy(dtype=float),
        }
    )
    sec.figure(
        contribution_chart(
            frame, authority=name, measure="spend per child (£)", number_format="$,.0f"
        ),
        caption="Each factor's part of the difference between this "
        "authority's expected spend and the average (Shapley values "
        "of the expected-spend model; see the spend report).",
        name="Expected spend",
    )
    sec.note(
        "An association across authorities, not a cause: the factors do not "
        "set what an authority should spend. The claimant count divides every "
        "year by the mid-2023 population; GDHI is in current prices; recorded "
        "crime is for one year."
    )
    return True


def _number(value: Any) -> float | None:
    """A figure for the sentence, or None when it is missing."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number
