"""A SYNTHETIC case-level extract for demos and tests: no real personal data.

Every row is invented by a seeded random generator from the parameters in
``data/synthetic_teams.csv``; every identifier says so (``SYN-C000123``,
``Synthetic worker CIN-1-03``) and every row has ``synthetic = yes``, which the
loader carries into the store and the reports print. The same seed gives the
same extract.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "generate_extract",
    "write_synthetic_extract",
    "read_synthetic_teams",
    "SyntheticTeam",
]


@dataclass(frozen=True)
class SyntheticTeam:
    """One team type's parameters for the generator."""

    team_type: str
    teams: int
    workers_per_team: int
    mean_caseload: float | None
    mean_duration_days: float | None
    case_types: tuple[tuple[str, float], ...]
    follows: str | None
    family_size: float


@cache
def read_synthetic_teams() -> tuple[SyntheticTeam, ...]:
    """The generator's team parameters (invented; see the file's header).

    Examples
    --------
    >>> [t.follows for t in read_synthetic_teams() if t.team_type == "IRO"]
    ['CLA']
    """
    text = (
        resources.files("lacompare.snapshot")
        .joinpath("data", "synthetic_teams.csv")
        .read_text(encoding="utf-8")
    )
    rows = csv.DictReader(
        line for line in text.splitlines() if not line.startswith("#")
    )
    out = []
    for r in rows:
        spec = r["case_types"].strip()
        follows = spec.split(":", 1)[1] if spec.startswith("follows:") else None
        types = (
            ()
            if follows
            else tuple(
                (part.split(":")[0], float(part.split(":")[1]))
                for part in spec.split("|")
            )
        )
        out.append(
            SyntheticTeam(
                r["team_type"],
                int(r["teams"]),
                int(r["workers_per_team"]),
                float(r["mean_caseload"]) if r["mean_caseload"] else None,
                float(r["mean_duration_days"]) if r["mean_duration_days"] else None,
                types,
                follows,
                float(r["family_size"]),
            )
        )
    return tuple(out)


def generate_extract(
    seed: int = 1,
    date: str | dt.date = "2024-10-04",
    *,
    months: int = 24,
    scale: float = 1.0,
) -> pd.DataFrame:
    """Generate a SYNTHETIC extract of cases open at some time in the ``months``
    before ``date`` (cases still open at ``date`` have no end date).

    Parameters
    ----------
    seed
        Random seed: the same seed gives the same extract.
    date
        The extract's date.
    months
        How far back the cases reach (enough for 13 monthly snapshots and the
        quarter before the first).
    scale
        Multiplies every team's number of workers (0.2 for a small test file).

    Examples
    --------
    >>> x = generate_extract(seed=7, scale=0.2)
    >>> bool(x["synthetic"].eq("yes").all()), x["case_id"].iloc[0][:4]
    (True, 'SYN-')
    >>> x.equals(generate_extract(seed=7, scale=0.2))
    True
    """
    import numpy as np
    import pandas as pd

    from lacompare.snapshot._read import parse_date

    rng = np.random.default_rng(seed)
    end = parse_date(date)
    window = int(months * 30.44)
    ids = _Ids()
    teams = read_synthetic_teams()
    rows: list[dict[str, object]] = []
    for spec in (t for t in teams if t.follows is None):
        rows += _team_type_cases(rng, spec, end, window, scale, ids)
    base = pd.DataFrame(rows)
    extra = [
        _following_cases(rng, base, spec, scale)
        for spec in teams
        if spec.follows is not None
    ]
    out = pd.concat([base, *extra], ignore_index=True)
    out.insert(0, "synthetic", "yes")
    return out.sort_values(["start_date", "case_id"], kind="stable", ignore_index=True)


@dataclass
class _Ids:
    """The last child and family numbered (identifiers run on across teams)."""

    child: int = 0
    family: int = 0


def _worker_name(team_type: str, team_no: int, w: int) -> str:
    return f"Synthetic worker {_short(team_type)}-{team_no}-{w:02d}"


def _team_type_cases(
    rng: Any, spec: SyntheticTeam, end: dt.date, window: int, scale: float, ids: _Ids
) -> list[dict[str, object]]:
    """Cases of every worker of every team of a team type that holds its own."""
    import numpy as np

    codes = [c for c, _ in spec.case_types]
    weights = np.array([w for _, w in spec.case_types])
    weights = weights / weights.sum()
    rows: list[dict[str, object]] = []
    for team_no in range(1, spec.teams + 1):
        team = f"Synthetic {spec.team_type} team {team_no}"
        workers = max(1, round(spec.workers_per_team * scale))
        for w in range(1, workers + 1):
            worker = _worker_name(spec.team_type, team_no, w)
            rows += _worker_cases(
                rng, spec, (codes, weights), team, worker, end, window, ids
            )
    return rows


def _worker_cases(
    rng: Any,
    spec: SyntheticTeam,
    case_types: tuple[list[str], Any],
    team: str,
    worker: str,
    end: dt.date,
    window: int,
    ids: _Ids,
) -> list[dict[str, object]]:
    """One worker's cases, in families, open at some time in the window."""
    codes, weights = case_types
    duration = spec.mean_duration_days or 180.0
    # A worker's load varies: some carry far more than others.
    target = (spec.mean_caseload or 10) * rng.gamma(6.0, 1 / 6.0)
    span = window + 3 * int(duration)
    n = int(rng.poisson(target / duration * span))
    starts = rng.integers(-span, 1, size=n)
    lengths = rng.exponential(duration, size=n).astype(int) + 1
    rows: list[dict[str, object]] = []
    k = 0
    while k < n:
        size = 1 + int(rng.poisson(spec.family_size - 1)) if spec.family_size > 1 else 1
        ids.family += 1
        for j in range(k, min(n, k + size)):
            start = end + dt.timedelta(days=int(starts[k]))
            stop = start + dt.timedelta(days=int(lengths[j]))
            if stop < end - dt.timedelta(days=window):
                continue
            ids.child += 1
            rows.append(
                {
                    "case_id": f"SYN-{ids.child:06d}",
                    "child_id": f"SYN-C{ids.child:06d}",
                    "family_id": f"SYN-F{ids.family:06d}",
                    "case_type": str(rng.choice(codes, p=weights)),
                    "team": team,
                    "team_type": spec.team_type,
                    "worker": worker,
                    "start_date": start,
                    "end_date": stop if stop <= end else None,
                }
            )
        k += size
    return rows


def _following_cases(
    rng: Any, base: pd.DataFrame, spec: SyntheticTeam, scale: float
) -> pd.DataFrame:
    """A team type that follows another's cases (IROs follow children looked
    after): a copy of each followed case, given to one of its workers."""
    followed = base[base["case_type"] == spec.follows]
    workers = [
        _worker_name(spec.team_type, team, w)
        for team in range(1, spec.teams + 1)
        for w in range(1, max(1, round(spec.workers_per_team * scale)) + 1)
    ]
    picks = rng.integers(0, len(workers), size=len(followed))
    return followed.assign(
        case_id=[f"{c}-{_short(spec.team_type)}" for c in followed["case_id"]],
        team_type=spec.team_type,
        worker=[workers[p] for p in picks],
        team=[
            f"Synthetic {spec.team_type} team {workers[p].split('-')[-2]}"
            for p in picks
        ],
    )


def _short(team_type: str) -> str:
    words = [w for w in team_type.replace("-", " ").split() if w]
    return "".join(w[0] for w in words).upper() if len(words) > 1 else team_type


def write_synthetic_extract(
    out: str | Path,
    seed: int = 1,
    date: str | dt.date = "2024-10-04",
    *,
    months: int = 24,
    scale: float = 1.0,
) -> Path:
    """Write :func:`generate_extract`'s SYNTHETIC extract as CSV.

    Examples
    --------
    >>> import tempfile, os
    >>> p = write_synthetic_extract(os.path.join(tempfile.mkdtemp(), "x.csv"),
    ...                             scale=0.2)
    >>> p.read_text().splitlines()[0]
    'synthetic,case_id,child_id,family_id,case_type,team,team_type,worker,start_date,end_date'
    """
    from lacompare.cells import write_csv_safe

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv_safe(generate_extract(seed, date, months=months, scale=scale), out)
    return out
