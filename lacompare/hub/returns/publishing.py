"""Publishing a round: accepted returns into a lacompare store, and benchmark profiles.

The accepted returns are written to a CSV (one row per return, with its return id and
version) and loaded with the ordinary ``lacompare`` ingest, so every published value
is traceable like any other: observations.source_row is the CSV row, and the store's
``hub_returns`` table maps that row to the return id and version it came from.
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
from lacompare.hub.definition import (
    RoundDefinition,
    derive_published_values,
    validate_return,
)
from lacompare.hub.returns.models import AuditEntry, Publication, Return, Round

_PROVENANCE_DDL = """
CREATE TABLE IF NOT EXISTS hub_returns (
    source_id INTEGER NOT NULL,
    source_row BIGINT NOT NULL,
    round VARCHAR NOT NULL,
    return_id BIGINT NOT NULL,
    return_version INTEGER NOT NULL,
    service VARCHAR NOT NULL,
    la_code VARCHAR NOT NULL,
    late BOOLEAN
)
"""
#: A store published to before late returns were flagged gains the column (NULL
#: for its earlier loads: not known then).
_PROVENANCE_LATE = "ALTER TABLE hub_returns ADD COLUMN IF NOT EXISTS late BOOLEAN"


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
    if not definition.publish_spec:
        return {}
    text = files("lacompare").joinpath(definition.publish_spec).read_text("utf-8")
    return tomllib.loads(text).get("measures", {})


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
    out and listed. An accepted return submitted after the round's closing date (an
    extension, or reopened after it) is published like any other, with ``late`` true
    in the CSV's ``late`` column and the store's ``hub_returns`` table, and counted
    in :attr:`PublishResult.late`. Publishing again loads the current accepted
    versions as a new load; the network report uses the latest.
    """
    from lacompare.store import file_sha256, ingest, open_store

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
        published: dict[int, dict[str, Any]] = {}
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
                values, log = validate_return(
                    definition, r.values, previous=r.previous, comments=r.comments
                )
                if log.errors():
                    raise InputError(
                        f"return {r.pk} ({r.service.name}) has errors: "
                        f"{log.errors()[0]}"
                    )
                measures = derive_published_values(definition, values, r.previous)
                published[r.pk] = measures
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
        _write_spec(definition, spec)
        with open_store(db) as store:
            load = ingest(store, file, spec=spec)
            store.con.execute(_PROVENANCE_DDL)
            store.con.execute(_PROVENANCE_LATE)
            store.con.executemany(
                "INSERT INTO hub_returns (source_id, source_row, round, return_id, "
                "return_version, service, la_code, late) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        load.source_id,
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
    late = [r.service.name for r in accepted if r.submitted_late]
    return PublishResult(publication, file, spec, load, left_out, late)


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
    rank: int | None  # 1 = highest in England


def read_profile(ret: Return) -> list[ProfileRow]:
    """A published return's figures against its region's and England's medians."""
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
        everyone = [p.published_values.get(measure) for p in peers]
        england = [v for v in everyone if isinstance(v, (int, float))]
        region = [
            p.published_values.get(measure)
            for p in peers
            if p.service.region == ret.service.region
        ]
        region = [v for v in region if isinstance(v, (int, float))]
        rank = (
            1 + sum(v > mine for v in england)
            if isinstance(mine, (int, float))
            else None
        )
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
                rank,
            )
        )
    return rows
