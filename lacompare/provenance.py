"""The issue log: every coercion, rejection or set-aside row leaves a trace.

Each step of the data's path returns its data *and* an :class:`IssueLog`;
nothing is dropped or altered silently (the digital-land pattern).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

SEVERITIES = ("info", "warning", "error")


def format_location(
    file: object = None,
    sheet: object = None,
    row: int | None = None,
    column: object = None,
) -> str:
    """Where something is, as a user reads it: file, sheet, row, column.

    Examples
    --------
    >>> format_location("a.xlsx", "Table 1", 12, "C")
    "a.xlsx, sheet 'Table 1', row 12, column C"
    """
    parts = []
    if file:
        parts.append(str(file))
    if sheet:
        parts.append(f"sheet {sheet!r}")
    if row is not None:
        parts.append(f"row {row}")
    if column:
        parts.append(f"column {column}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Issue:
    """One thing worth telling the user about a value, row or file.

    Examples
    --------
    >>> Issue("unresolved-authority", "no authority called 'Atlantis'",
    ...       file="a.csv", row=3, column="la", value="Atlantis").where()
    'a.csv, row 3, column la'
    """

    kind: str
    message: str
    severity: str = "warning"
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def where(self) -> str:
        return format_location(self.file, self.sheet, self.row, self.column)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


@dataclass
class IssueLog:
    """An ordered collection of :class:`Issue` records.

    Examples
    --------
    >>> log = IssueLog()
    >>> log.add("total-row", "set aside 'England'", severity="info", row=2)
    >>> len(log), log.counts()
    (1, {'total-row': 1})
    """

    issues: list[Issue] = field(default_factory=list)

    def add(self, kind: str, message: str, **where: object) -> None:
        self.issues.append(Issue(kind, message, **where))  # type: ignore[arg-type]

    def extend(self, other: Iterable[Issue]) -> None:
        self.issues.extend(other)

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    def of_kind(self, kind: str) -> list[Issue]:
        return [i for i in self.issues if i.kind == kind]

    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def counts(self) -> dict[str, int]:
        return dict(Counter(i.kind for i in self.issues))

    def to_records(self) -> list[dict[str, object]]:
        return [asdict(i) for i in self.issues]
