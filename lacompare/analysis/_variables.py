"""How an analysis names a variable: ``measure``, ``measure[breakdown]``,
``measure@period`` or ``measure[breakdown]@period``.

One grammar for every analysis that reads measures from the store (``lacompare
model``, ``correlate``, ``test``), so a variable written for one is read the same
way by the others. Stdlib only: the command modules import it at start-up.

Examples
--------
>>> parse_variable("rate_per_10000[31 March]@2024")
Variable(measure='rate_per_10000', breakdown='31 March', period='2024')
>>> split_variables("idaci, rate[age=0-4, sex=all]@2021")
['idaci', 'rate[age=0-4, sex=all]@2021']
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lacompare.errors import InputError

_SPEC = re.compile(
    r"^\s*(?P<measure>[^@\[\]]+?)\s*(?:\[(?P<breakdown>[^\]]*)\])?"
    r"\s*(?:@\s*(?P<period>.+?))?\s*$"
)
# Commas split a list of variables, except inside a [breakdown].
_SPLIT = re.compile(r",(?![^\[]*\])")


class Variable(NamedTuple):
    """A variable as written: its measure id, and the breakdown and period it
    names (None where it names none, so the caller's default applies)."""

    measure: str
    breakdown: str | None
    period: str | None

    @property
    def name(self) -> str:
        """The variable written back in one canonical spelling.

        Examples
        --------
        >>> parse_variable(" rate [31 March] @ 2024 ").name
        'rate[31 March]@2024'
        """
        text = self.measure
        if self.breakdown is not None:
            text += f"[{self.breakdown}]"
        if self.period is not None:
            text += f"@{self.period}"
        return text


def parse_variable(spec: str) -> Variable:
    """Read ``measure[breakdown]@period`` (breakdown and period optional).

    Parameters
    ----------
    spec
        The variable as the user wrote it.

    Returns
    -------
    Variable

    Raises
    ------
    InputError
        If ``spec`` has no measure or unbalanced brackets.

    Examples
    --------
    >>> parse_variable("idaci_average_score")
    Variable(measure='idaci_average_score', breakdown=None, period=None)
    >>> parse_variable("rate[]").breakdown  # the total (empty) breakdown
    ''
    """
    match = _SPEC.match(str(spec))
    if not match or not match.group("measure"):
        raise InputError(
            f"cannot read variable {spec!r}: write measure, "
            "measure@period or measure[breakdown]@period"
        )
    return Variable(
        match.group("measure"), match.group("breakdown"), match.group("period")
    )


def split_variables(text: str | None) -> list[str]:
    """A comma-separated list of variables; commas inside ``[...]`` stay.

    Examples
    --------
    >>> split_variables("a,b[x=1, y=2]@2021,,")
    ['a', 'b[x=1, y=2]@2021']
    >>> split_variables(None)
    []
    """
    if not text:
        return []
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]
