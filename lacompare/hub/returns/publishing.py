"""Publishing a round: accepted returns into a lacompare store, and benchmark profiles.

The accepted returns are written to a CSV (one row per return, with its return id and
version) and loaded with the ordinary ``lacompare`` ingest, so every published value
is traceable like any other: a value's source row is the CSV row, and the store's
``hub_returns`` table (created by the store's schema) maps that row to the return
id and version it came from.

A service's benchmark profile ranks it in England with the one ranking rule
(:func:`lacompare.derive.rank_with_polarity`): rank 1 is the best figure for a
measure with a polarity, the highest for a neutral one, and the profile says which.
"""

from __future__ import annotations

import statistics
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from lacompare.cells import CsvSafeWriter
from lacompare.errors import InputError
from lacompare.formatting import (
    format_missing,
    format_number,
    format_value,
    missing_key_text,
)
from lacompare.hub.definition import (
    RoundDefinition,
    derive_published_values,
    validate_return,
)
from lacompare.hub.returns.models import AuditEntry, Publication, Return, Round


@dataclass
class PublishResult:
    """What a publication loaded and where."""

    publication: Publication
    file: Path
    spec: Path
    load: Any  # lacompare.store._ingest.IngestResult
    left_out: list[str]
    #: Services whose accepted return was submitted after the round closed.
    late: list[str] = field(default_factory=list)


def _measure_meta(definition: RoundDefinition) -> dict[str, dict[str, Any]]:
    """Each publish measure's label, unit and polarity: the spec's, or those the
    round gives with the measure (which win)."""
    meta: dict[str, dict[str, Any]] = {}
    if definition.publish_spec:
        text = files("lacompare").joinpath(definition.publish_spec).read_text("utf-8")
        meta = tomllib.loads(text).get("measures", {})
    for measure, given in definition.publish_meta.items():
        meta[measure] = {**meta.get(measure, {}), **given}
    return meta


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_spec(definition: RoundDefinition, path: Path) -> None:
    meta = _measure_meta(definition)
    lines = [
        f"# Written by lacompare hub publish for round {definition.slug}.",
        "[source]",
        'la_columns = ["la_code", "local_authority"]',
        f"period = {_toml_str(definition.period)}",
        'exclude_columns = ["return_id", "return_version", "service", "late"]',
    ]
    if definition.as_of:
        lines.append(f"as_of = {_toml_str(definition.as_of)}")
    for measure in definition.publish:
        lines.append(f"\n[measures.{measure}]")
        entry = dict(meta.get(measure, {}))
        entry.pop("measure", None)
        for key in ("label", "unit", "polarity", "reference_date", "type"):
            if key in entry:
                lines.append(f"{key} = {_toml_str(str(entry[key]))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def publish_round(
    round_slug: str,
    db: str | Path,
    *,
    out_dir: str | Path | None = None,
    user: Any = None,
) -> PublishResult:
    """Load a round's accepted returns into the store ``db`` (all or nothing).

    Returns that are not accepted (drafts, or submitted but not reviewed) are left
    out and listed; every service of the round is a row of the load, those without
    an accepted return with no figures (as the network's own list of services has
    them), so the network report can say how many of the round's services
    returned ("24 of 30 (80%)"). An accepted return submitted after the round's
    closing date (an extension, or reopened after it) is published like any
    other, with ``late`` true in the CSV's ``late`` column and the store's
    ``hub_returns`` table, and counted in :attr:`PublishResult.late`. Publishing
    again loads the current accepted versions as a new load; the network report
    uses the latest.
    """
    from lacompare.store import ingest, open_store

    try:
        round_ = Round.objects.get(slug=round_slug)
    except Round.DoesNotExist:
        raise InputError(f"no round {round_slug!r}") from None
    definition = round_.read_definition()
    db = Path(db)
    out = Path(out_dir) if out_dir else db.parent / f"{db.stem}-hub"
    out.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    file = out / f"{round_.slug}-{stamp}.csv"
    spec = out / f"{round_.slug}-{stamp}.toml"
    with transaction.atomic():
        returns = list(
            round_.returns.select_for_update(of=("self",))
            .select_related("service", "round")
            .order_by("service__name")
        )
        accepted = [r for r in returns if r.status == Return.ACCEPTED]
        left_out = [
            f"{r.service.name} ({r.status})"
            for r in returns
            if r.status != Return.ACCEPTED
        ]
        if not accepted:
            raise InputError(f"round {round_slug!r} has no accepted returns to publish")
        published = derive_return_measures(definition, accepted)
        write_published_csv(
            file,
            definition,
            accepted,
            published,
            without=[r for r in returns if r.status != Return.ACCEPTED],
        )
        _write_spec(definition, spec)
        with open_store(db) as store:
            load = ingest(store, file, spec=spec)
            write_return_provenance(store, load.source_id, round_, accepted)
        publication = record_publication(
            round_, accepted, published, db=db, file=file, load=load, user=user
        )
    late = [r.service.name for r in accepted if r.submitted_late]
    return PublishResult(publication, file, spec, load, left_out, late)


def derive_return_measures(
    definition: RoundDefinition, accepted: list[Return]
) -> dict[int, dict[str, Any]]:
    """Each accepted return's publish measures, by return id; a return that no
    longer passes the round's checks stops the publication."""
    published: dict[int, dict[str, Any]] = {}
    for r in accepted:
        values, log = validate_return(
            definition, r.values, previous=r.previous, comments=r.comments
        )
        if log.errors():
            raise InputError(
                f"return {r.pk} ({r.service.name}) has errors: {log.errors()[0]}"
            )
        published[r.pk] = derive_published_values(definition, values, r.previous)
    return published


def write_published_csv(
    file: Path,
    definition: RoundDefinition,
    accepted: list[Return],
    published: dict[int, dict[str, Any]],
    without: list[Return] | None = None,
) -> None:
    """The CSV that is loaded: one row per accepted return, with its id, version,
    service, authority, whether it was late, and its publish measures; then a row
    with no figures for each service ``without`` an accepted return (after them,
    so an accepted return's row number stays its provenance)."""
    with file.open("w", newline="", encoding="utf-8") as fh:
        # Service names and codes are the hub's text: no formulas in the file.
        writer = CsvSafeWriter(fh)
        writer.writerow(
            [
                "return_id",
                "return_version",
                "service",
                "la_code",
                "local_authority",
                "late",
                *definition.publish,
            ]
        )
        for r in accepted:
            measures = published[r.pk]
            writer.writerow(
                [
                    r.pk,
                    r.version,
                    r.service.code,
                    r.service.la_codes[0],
                    r.service.la_names[0],
                    "true" if r.submitted_late else "false",
                    *(
                        "" if measures[m] is None else _cell(measures[m])
                        for m in definition.publish
                    ),
                ]
            )
        for r in without or []:
            writer.writerow(
                [
                    "",
                    "",
                    r.service.code,
                    r.service.la_codes[0],
                    r.service.la_names[0],
                    "",
                    *("" for _ in definition.publish),
                ]
            )


def write_return_provenance(
    store: Any, source_id: int, round_: Round, accepted: list[Return]
) -> None:
    """Map each row of the load to the return and version it came from (the
    store's ``hub_returns`` table; CSV row 2 is the first return)."""
    store.con.executemany(
        "INSERT INTO hub_returns (source_id, source_row, round, return_id, "
        "return_version, service, la_code, late) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                source_id,
                i + 2,
                round_.slug,
                r.pk,
                r.version,
                r.service.code,
                r.service.la_codes[0],
                r.submitted_late,
            ]
            for i, r in enumerate(accepted)
        ],
    )


def record_publication(
    round_: Round,
    accepted: list[Return],
    published: dict[int, dict[str, Any]],
    *,
    db: Path,
    file: Path,
    load: Any,
    user: Any,
) -> Publication:
    """Keep the publication in the hub: which load, which versions; each return's
    published figures and a line in its history; the round's publication time."""
    from lacompare.store import file_sha256

    publication = Publication.objects.create(
        round=round_,
        store=str(db.resolve()),
        file=str(file.resolve()),
        sha256=file_sha256(file),
        source_id=load.source_id,
        returns=len(accepted),
        versions={str(r.pk): r.version for r in accepted},
    )
    for r in accepted:
        r.published_version = r.version
        r.published_values = published[r.pk]
        r.save(update_fields=["published_version", "published_values"])
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                ret=r,
                user=user if getattr(user, "pk", None) else None,
                username=getattr(user, "username", "") or "system",
                action="publish",
                field="",
                new=f"load {load.source_id}",
                reason=f"published to {db.name}",
                version=r.version,
            )
            for r in accepted
        ]
    )
    round_.published_at = publication.at
    round_.save(update_fields=["published_at"])
    return publication


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return repr(round(value, 10))
    return str(value)


@dataclass
class ProfileRow:
    """One measure of a service's benchmark profile."""

    measure: str
    label: str
    unit: str
    value: float | None
    region_median: float | None
    region_n: int
    england_median: float | None
    england_n: int
    #: Rank in England by :func:`lacompare.derive.rank_with_polarity`: 1 = the
    #: best figure for a measure with a polarity, the highest for a neutral one.
    rank: int | None
    polarity: str = "neutral"

    @property
    def rank_order(self) -> str:
        """What rank 1 means for this measure: ``1 = best`` or ``1 = highest``."""
        return "1 = highest" if self.polarity == "neutral" else "1 = best"

    def _text(self, value: float | None) -> str:
        if value is None:
            return format_missing(PROFILE_MISSING)
        # Counts (persons, cases) whole; pounds per head and FTE to the penny/0.01.
        decimals = 2 if self.unit in _TWO_DECIMALS else 0
        return format_number(value, self.unit, decimals)

    @property
    def value_text(self) -> str:
        """The service's figure as the profile page prints it (two decimals for £
        per head and FTE, whole otherwise)."""
        return self._text(self.value)

    @property
    def region_median_text(self) -> str:
        return self._text(self.region_median)

    @property
    def england_median_text(self) -> str:
        return self._text(self.england_median)


#: Units a profile prints to two decimals (a count or a share is whole).
_TWO_DECIMALS = ("£ per head", "FTE")
#: Why a profile has no figure: not given, or it could not be worked out (x/0).
PROFILE_MISSING = "not-available"


def profile_key() -> str:
    """The key to the symbol a profile prints for a missing figure."""
    return missing_key_text([PROFILE_MISSING])


def _numbers(values: list[Any]) -> list[float]:
    return [v for v in values if isinstance(v, (int, float))]


def rank_in_england(mine: Any, england: list[float], polarity: str) -> int | None:
    """A service's rank among England's figures (its own among them), with the
    one ranking rule; ``None`` without a figure. 3 among 3, 5 and 9 ranks 3 for a
    neutral or higher-is-better measure, 1 for a higher-is-worse one.
    """
    from lacompare.derive import rank_with_polarity

    if not isinstance(mine, (int, float)):
        return None
    # Ties share the best rank, so adding the service's own figure once more
    # leaves its rank as it is among England's.
    return int(rank_with_polarity([*england, mine], polarity)[-1])


def read_profile(ret: Return) -> list[ProfileRow]:
    """A published return's figures against its region's and England's medians,
    and its rank in England (:class:`ProfileRow`)."""
    if ret.published_values is None:
        raise InputError("this return has not been published")
    definition = ret.round.read_definition()
    meta = _measure_meta(definition)
    peers = list(
        ret.round.returns.filter(published_values__isnull=False).select_related(
            "service"
        )
    )
    rows = []
    for measure in definition.publish:
        info = meta.get(measure, {})
        if info.get("type") == "category" or str(info.get("unit", "")).startswith(
            "flag"
        ):
            continue
        mine = ret.published_values.get(measure)
        england = _numbers([p.published_values.get(measure) for p in peers])
        region = _numbers(
            [
                p.published_values.get(measure)
                for p in peers
                if p.service.region == ret.service.region
            ]
        )
        polarity = str(info.get("polarity") or "neutral")
        rows.append(
            ProfileRow(
                measure,
                info.get("label", measure),
                info.get("unit", ""),
                mine if isinstance(mine, (int, float)) else None,
                statistics.median(region) if region else None,
                len(region),
                statistics.median(england) if england else None,
                len(england),
                rank_in_england(mine, england, polarity),
                polarity,
            )
        )
    return rows


#: The profile's casework section: each figure's published measure stem and label.
CASEWORK_STEMS = {
    "casework": "Casework cases (all levels)",
    "helpline": "Helpline enquiries",
    "tribunal_supported": "SEND tribunal cases supported",
    "tribunal_attended": "SEND tribunal hearings attended directly",
}


def change_words(first: Any, last: Any, since: str = "") -> str:
    """'up 48% since 2018-19' (or down, or unchanged); '' without both figures.

    Examples
    --------
    >>> change_words(100, 148, "2018-19"), change_words(50, 40)
    ('up 48% since 2018-19', 'down 20%')
    """
    if not isinstance(first, (int, float)) or not isinstance(last, (int, float)):
        return ""
    if not first:
        return ""
    change = 100 * (last - first) / first
    after = f" since {since}" if since else ""
    if round(change) == 0:
        return "unchanged" + after
    word = "up" if change > 0 else "down"
    return f"{word} {format_value(abs(change), '%', 0)}{after}"


def _years_of(definition: RoundDefinition) -> list[tuple[str, str]]:
    """(year the measure ends in, financial-year label) for the round's years."""
    return [(f"20{label[-2:]}", label) for label in definition.years]


def read_casework_profile(ret: Return) -> dict[str, Any]:
    """What a published return's profile says besides its table: casework, helpline
    and tribunal over the round's years with the change since the first (the
    service's, and England's over the services that gave every year), joint
    funding as a share of its budget, and the round's return rate ('24 of 149
    (16%)': services with a published return, of all the round's services)."""
    definition = ret.round.read_definition()
    years = _years_of(definition)
    mine = ret.published_values or {}
    peers = [
        p.published_values
        for p in ret.round.returns.filter(published_values__isnull=False)
    ]
    rows = []
    for stem, label in CASEWORK_STEMS.items():
        keys = [f"{stem}_{y}" for y, _ in years]
        if not years or keys[0] not in definition.publish:
            continue
        full = [p for p in peers if all(p.get(k) is not None for k in keys)]
        totals = [sum(p[k] for p in full) if full else None for k in keys]
        rows.append(
            {
                "label": label,
                "values": [_figure(mine.get(k)) for k in keys],
                "change": change_words(mine.get(keys[0]), mine.get(keys[-1])),
                "england": change_words(totals[0], totals[-1]),
                "england_n": len(full),
            }
        )
    returned = len(peers)
    services = ret.round.returns.count()
    share = 100 * returned / services if services else 0.0
    joint = mine.get("share_joint_2021")
    return {
        "years": [label for _, label in years],
        "rows": rows,
        "return_rate": f"{returned} of {services} ({format_value(share, '%', 0)})",
        "joint_share": "" if joint is None else format_value(joint, "%", 0),
    }


def _figure(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return format_missing(PROFILE_MISSING)
    return format_number(value, None, 0)
