"""Periods as tables print them, and the date an authority is looked up on."""

from __future__ import annotations

import datetime as dt
import re

_YEAR = re.compile(r"^(19|20)\d{2}$")
_SPAN = re.compile(r"^((?:19|20)\d{2})\s*[-/]\s*((?:19|20)?\d{2})$")
_SIX = re.compile(r"^((?:19|20)\d{2})(\d{2})$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Three-year spans of academic or financial years, as LAIT prints them: 2013/14-15/16.
_SPAN_OF_SPANS = re.compile(r"^((?:19|20)\d{2})[-/]\d{2}\s*-\s*\d{2}[-/](\d{2})$")
# A note after the period: 2016-17 (OT) outturn, 2018 (Rev) revised, 2020 (Final).
_NOTE = re.compile(r"\s*\([A-Za-z ]{1,20}\)$")
# ISO 8601 intervals of one year, as ONS's Explore Local Statistics files print them:
# 2019-01-01/P1Y is calendar year 2019, 2019-04-01/P1Y financial year 2019-20.
_ISO_YEAR = re.compile(r"^((?:19|20)\d{2})-(01|04)-01/P1Y$")


def normalise_period(text: str | None, identifier: str | None = None) -> str | None:
    """A period label in one spelling per kind of year.

    Financial years print as ``2023-24``, academic years as ``2018/19``, single
    years as ``2023``. EES six-digit codes (``201819``) use ``time_identifier``;
    ISO 8601 one-year intervals (ONS) starting 1 January are calendar years and
    starting 1 April financial years.

    Examples
    --------
    >>> normalise_period("201819", "Academic year")
    '2018/19'
    >>> normalise_period("202324", "Financial year")
    '2023-24'
    >>> normalise_period("2021.0"), normalise_period(" 2016-17 ")
    ('2021', '2016-17')
    >>> normalise_period("2019-01-01/P1Y"), normalise_period("2019-04-01/P1Y")
    ('2019', '2019-20')
    """
    if text is None:
        return None
    text = str(text).strip()
    if re.fullmatch(r"(19|20)\d{2}\.0", text):
        text = text[:4]
    interval = _ISO_YEAR.match(text)
    if interval:
        start = int(interval.group(1))
        return (
            str(start)
            if interval.group(2) == "01"
            else f"{start}-{(start + 1) % 100:02d}"
        )
    kind = (identifier or "").lower()
    six = _SIX.match(text)
    if six and int(six.group(2)) == (int(six.group(1)) + 1) % 100:
        sep = "-" if "financial" in kind or "tax" in kind else "/"
        return f"{six.group(1)}{sep}{six.group(2)}"
    return text or None


def period_as_of(period: str | None) -> dt.date | None:
    """The date on which a period's authorities are looked up.

    A year is taken at 31 March (the DfE reporting date); a two-year span at the
    31 March that ends it; a date as itself.

    Examples
    --------
    >>> period_as_of("2023"), period_as_of("2020-21"), period_as_of("2018/19")
    (datetime.date(2023, 3, 31), datetime.date(2021, 3, 31), datetime.date(2019, 3, 31))
    >>> period_as_of("2024-10-04")
    datetime.date(2024, 10, 4)
    >>> period_as_of("2013/14-15/16"), period_as_of("2016-17 (OT)"), period_as_of("0")
    (datetime.date(2016, 3, 31), datetime.date(2017, 3, 31), None)
    """
    if not period:
        return None
    text = _NOTE.sub("", period.strip())
    spans = _SPAN_OF_SPANS.match(text)
    if spans:
        start = int(spans.group(1))
        end = start - start % 100 + int(spans.group(2))
        return dt.date(end + 100 if end < start else end, 3, 31)
    if _ISO.match(text):
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return None
    if _YEAR.match(text):
        return dt.date(int(text), 3, 31)
    span = _SPAN.match(text) or _SIX.match(text)
    if span:
        start = int(span.group(1))
        return dt.date(start + 1, 3, 31)
    return None
