"""Reference dates: the day a value describes, from its period and its measure's
reference date ('31 March', 'mid-year', '30 September', 'January', 'financial year').

Matching periods by the day they describe is what lets a count at 31 March 2024 meet
the mid-2023 population, as DfE's published rates do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from lacompare.cells import period_as_of
from lacompare.errors import InputError

_MONTHS = {
    name: i
    for i, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_MONTH_ABBR = {name[:3]: i for name, i in _MONTHS.items()}
_YEAR = re.compile(r"^((?:19|20)\d{2})$")
_SPAN = re.compile(r"^((?:19|20)\d{2})\s*([-/])\s*((?:19|20)?\d{2})$")
_SIX = re.compile(r"^((?:19|20)\d{2})(\d{2})$")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)")


def _span(period: str) -> tuple[int, str] | None:
    """(first year, separator) of '2023-24' / '2018/19' / '201819'."""
    m = _SPAN.match(period)
    if m:
        return int(m.group(1)), m.group(2)
    m = _SIX.match(period)
    if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
        return int(m.group(1)), "-"
    return None


def _month_day(reference: str) -> tuple[int, int] | None:
    """Month and day named by a reference date such as '31 March' or 'January'."""
    m = _DAY_MONTH.search(reference)
    if m:
        month = _MONTHS.get(m.group(2)) or _MONTH_ABBR.get(m.group(2)[:3])
        if month:
            return month, int(m.group(1))
    for word in re.findall(r"[a-z]+", reference):
        month = _MONTHS.get(word) or _MONTH_ABBR.get(word if len(word) == 3 else "")
        if month:
            # A month alone ('January' census): its middle is near enough.
            return month, 15
    return None


def _safe_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:  # 29 February and friends
        return dt.date(year, month, 28)


def reference_day(period: str, reference_date: str | None = None) -> dt.date | None:
    """The day a value for ``period`` describes, given its measure's reference date.

    * ``mid-year`` (ONS population estimates): 30 June of the year (of the first
      year of a span).
    * a day and month (``31 March``, ``30 September``) or a month (``January``,
      taken as the 15th): that day in a single year; in a span, the day inside it
      (April-March for financial years ``2023-24``, September-August for academic
      years ``2023/24``).
    * ``financial year``: 31 March at its end; ``academic year``: 31 August at its
      end; ``calendar year``: 31 December (so a calendar-year flow is matched with
      that year's mid-year population, as ONS rates are).
    * anything else: :func:`lacompare.cells.period_as_of` (31 March).

    Examples
    --------
    >>> reference_day("2024", "31 March"), reference_day("2023", "mid-year")
    (datetime.date(2024, 3, 31), datetime.date(2023, 6, 30))
    >>> reference_day("2023-24", "financial year"), reference_day("2024", "January")
    (datetime.date(2024, 3, 31), datetime.date(2024, 1, 15))
    >>> reference_day("2023/24", "January"), reference_day("2021", None)
    (datetime.date(2024, 1, 15), datetime.date(2021, 3, 31))
    >>> reference_day("2022", "calendar year")
    datetime.date(2022, 12, 31)
    """
    text = str(period).strip()
    # NaN from a pandas column means 'no reference date'.
    ref = reference_date.strip().lower() if isinstance(reference_date, str) else ""
    if not ref or re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return period_as_of(text)
    single = _YEAR.match(text)
    span = None if single else _span(text)
    if single is None and span is None:
        return period_as_of(text)
    first = int(single.group(1)) if single else span[0]  # type: ignore[index]
    if "mid" in ref and "year" in ref:
        return dt.date(first, 6, 30)
    if "financial" in ref or "fiscal" in ref:
        return dt.date(first + (1 if span else 0), 3, 31)
    if "academic" in ref or "school year" in ref:
        return dt.date(first + (1 if span else 0), 8, 31)
    if "calendar" in ref and single:
        return dt.date(first, 12, 31)
    md = _month_day(ref)
    if md is None:
        return period_as_of(text)
    month, day = md
    if single:
        return _safe_date(first, month, day)
    assert span is not None
    # Financial-year spans ('2023-24') run April-March; academic ('2023/24')
    # September-August.
    start_month = 9 if span[1] == "/" else 4
    return _safe_date(first if month >= start_month else first + 1, month, day)


def decimal_year(day: dt.date) -> float:
    """Time in years for trends: calendar year + (month - 1) / 12 + (day - 1) / 365.

    The same day of the year in successive years is exactly 1 apart, so a slope over
    annual 31 March values is per year, as a spreadsheet on year numbers gives it.

    Examples
    --------
    >>> decimal_year(dt.date(2017, 3, 31)) - decimal_year(dt.date(2013, 3, 31))
    4.0
    """
    return day.year + (day.month - 1) / 12 + (day.day - 1) / 365


def parse_periods(
    spec: str | Sequence[str] | None,
) -> tuple[str, str] | list[str] | None:
    """A window ``'2013:2017'`` as (first, last), or a list of period labels.

    Examples
    --------
    >>> parse_periods("2013:2017"), parse_periods("2021,2022"), parse_periods(None)
    (('2013', '2017'), ['2021', '2022'], None)
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            return None
        if ":" in text:
            first, _, last = text.partition(":")
            if not first.strip() or not last.strip():
                raise InputError(f"periods {spec!r}: write FIRST:LAST, e.g. 2013:2017")
            return first.strip(), last.strip()
        return [p.strip() for p in text.split(",") if p.strip()]
    return [str(p).strip() for p in spec]


def select_periods(
    available: Sequence[str],
    spec: str | Sequence[str] | None,
    reference_date: str | None = None,
) -> list[str]:
    """The periods of ``available`` that a window or list names, in date order.

    A window ``FIRST:LAST`` keeps every period whose reference day lies between
    those of FIRST and LAST (inclusive); a list keeps exactly those labels.

    Examples
    --------
    >>> select_periods(["2012", "2013", "2017", "2018"], "2013:2017")
    ['2013', '2017']
    >>> select_periods(["2015-16", "2016-17"], "2016-17:2016-17", "financial year")
    ['2016-17']
    """
    parsed = parse_periods(spec)

    def key(p: str) -> tuple[dt.date, str]:
        return (reference_day(p, reference_date) or dt.date.max, p)

    ordered = sorted(set(available), key=key)
    if parsed is None:
        return ordered
    if isinstance(parsed, list):
        unknown = [p for p in parsed if p not in set(available)]
        if unknown and len(unknown) == len(parsed):
            raise InputError(
                f"no values for period(s) {', '.join(unknown)}; "
                f"available: {_show(ordered)}"
            )
        return [p for p in ordered if p in set(parsed)]
    lo = reference_day(parsed[0], reference_date)
    hi = reference_day(parsed[1], reference_date)
    if lo is None or hi is None:
        raise InputError(
            f"periods {parsed[0]}:{parsed[1]}: not periods lacompare "
            "can place in time (use years like 2013 or 2013-14)"
        )
    chosen = [
        p
        for p in ordered
        if (d := reference_day(p, reference_date)) is not None and lo <= d <= hi
    ]
    if not chosen:
        raise InputError(
            f"no values in periods {parsed[0]}:{parsed[1]}; available: {_show(ordered)}"
        )
    return chosen


def _show(periods: Sequence[str]) -> str:
    if len(periods) <= 6:
        return ", ".join(periods) or "none"
    return f"{periods[0]} … {periods[-1]} ({len(periods)})"
