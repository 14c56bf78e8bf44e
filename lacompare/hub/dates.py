"""Round dates as whole days in the round's time zone (nothing here needs Django).

A round opens at 00:00 of its opening day and closes at 23:59:59 of its closing day,
in the round's time zone (Europe/London unless the round says otherwise), whatever
the server's clock zone is and on either side of a change to or from summer time.
An extension's date is a closing day too.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lacompare.errors import InputError

DEFAULT_TIME_ZONE = "Europe/London"


def zone(name: str = DEFAULT_TIME_ZONE) -> ZoneInfo:
    """The time zone ``name`` (an IANA name); an error naming it if unknown.

    Examples
    --------
    >>> zone().key
    'Europe/London'
    >>> try:
    ...     zone("Mars/Olympus")
    ... except InputError as err:
    ...     print(err)
    unknown time zone 'Mars/Olympus' (give an IANA name such as Europe/London)
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {name!r} (give an IANA name such as Europe/London)"
        ) from None


def parse_day(text: str, what: str, *, today: dt.date | None = None) -> dt.date:
    """A day as the coordinator gives it: ``YYYY-MM-DD``, ``today``, or ``+N`` /
    ``-N`` days from today (``today`` in the round's zone, given by the caller).

    Examples
    --------
    >>> parse_day("2021-06-30", "--closes")
    datetime.date(2021, 6, 30)
    >>> parse_day("+30", "--closes", today=dt.date(2026, 12, 6))
    datetime.date(2027, 1, 5)
    >>> parse_day("today", "--opens", today=dt.date(2026, 12, 6))
    datetime.date(2026, 12, 6)
    >>> try:
    ...     parse_day("30/06/2021", "--closes")
    ... except InputError as err:
    ...     print(err)
    --closes: '30/06/2021' is not a day (YYYY-MM-DD, today, or +N days)
    """
    text = text.strip()
    base = today or dt.datetime.now(zone()).date()
    if text.lower() == "today":
        return base
    if text[:1] in "+-" and text[1:].isdigit():
        return base + dt.timedelta(days=int(text))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{what}: {text!r} is not a day (YYYY-MM-DD, today, or +N days)"
        ) from None


def opening_moment(day: dt.date, tz: str = DEFAULT_TIME_ZONE) -> dt.datetime:
    """00:00 of ``day`` in ``tz``.

    Examples
    --------
    >>> opening_moment(dt.date(2026, 6, 1)).isoformat()
    '2026-06-01T00:00:00+01:00'
    >>> opening_moment(dt.date(2026, 12, 1)).isoformat()
    '2026-12-01T00:00:00+00:00'
    """
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone(tz))


def closing_moment(day: dt.date, tz: str = DEFAULT_TIME_ZONE) -> dt.datetime:
    """23:59:59 of ``day`` in ``tz``.

    Examples
    --------
    >>> closing_moment(dt.date(2026, 10, 25)).isoformat()   # BST ended that night
    '2026-10-25T23:59:59+00:00'
    >>> closing_moment(dt.date(2026, 3, 29)).isoformat()    # BST began that night
    '2026-03-29T23:59:59+01:00'
    """
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone(tz))


def round_moments(
    opens: dt.date, closes: dt.date, tz: str = DEFAULT_TIME_ZONE
) -> tuple[dt.datetime, dt.datetime]:
    """A round's opening and closing moments for two whole days.

    Examples
    --------
    >>> a, b = round_moments(dt.date(2021, 5, 1), dt.date(2021, 6, 30))
    >>> a.isoformat(), b.isoformat()
    ('2021-05-01T00:00:00+01:00', '2021-06-30T23:59:59+01:00')
    >>> try:
    ...     round_moments(dt.date(2021, 6, 30), dt.date(2021, 5, 1))
    ... except InputError as err:  # doctest: +NORMALIZE_WHITESPACE
    ...     print(err)
    the round must close on or after the day it opens
    (opens 2021-06-30, closes 2021-05-01)
    """
    if closes < opens:
        raise InputError(
            "the round must close on or after the day it opens "
            f"(opens {opens}, closes {closes})"
        )
    return opening_moment(opens, tz), closing_moment(closes, tz)


def day_of(moment: dt.datetime, tz: str = DEFAULT_TIME_ZONE) -> dt.date:
    """The day ``moment`` falls on in ``tz`` (what a date form shows).

    Examples
    --------
    >>> day_of(dt.datetime(2026, 5, 31, 23, 0, tzinfo=dt.timezone.utc))
    datetime.date(2026, 6, 1)
    """
    return moment.astimezone(zone(tz)).date()
