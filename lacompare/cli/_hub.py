"""``lacompare hub``: run the returns hub (Django on PostgreSQL) from the command line.

The commands are module-level functions of the ``hub`` group; :func:`register`
adds the group to the application. Django is imported only when a hub command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types.
import datetime as dt
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import console as _console
from lacompare.cli._common import friendly

hub_app = typer.Typer(
    name="hub",
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="The returns hub: services submit their annual return online; the network "
    "checks it and publishes the national report. Configure with "
    "LACOMPARE_HUB_DATABASE_URL (PostgreSQL) and LACOMPARE_HUB_SECRET_KEY.",
)


def _django() -> None:
    try:
        import django  # noqa: F401
    except ModuleNotFoundError:
        from lacompare.errors import LacompareError

        raise LacompareError(
            "the hub needs Django: pip install 'lacompare[hub]'"
        ) from None
    from lacompare.hub import setup_django

    setup_django()


def _open_text(r: Any) -> str:
    """A round's dates in its own zone, as the coordinator gave them."""
    from lacompare.hub import dates

    tz = dates.zone(r.time_zone)
    now = dt.datetime.now(tz)
    state = (
        "open now"
        if r.opens_at <= now <= r.closes_at
        else ("not open yet" if now < r.opens_at else "closed")
    )
    return (
        f"opens {r.opens_at.astimezone(tz):%Y-%m-%d %H:%M}, closes "
        f"{r.closes_at.astimezone(tz):%Y-%m-%d %H:%M:%S} ({r.time_zone}; {state})"
    )


@hub_app.command("migrate")
@friendly
def migrate() -> None:
    """Create or update the hub's tables in PostgreSQL.

    Example: [bold]LACOMPARE_HUB_DATABASE_URL=postgresql://u:p@127.0.0.1/hub
    lacompare hub migrate[/]
    """
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@hub_app.command(
    "manage",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
@friendly
def manage(ctx: typer.Context) -> None:
    """Run any Django management command (createsuperuser, check --deploy, …).

    Example: [bold]lacompare hub manage createsuperuser[/]
    """
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lacompare hub manage", *ctx.args])


@hub_app.command("serve")
@friendly
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Processes.")] = 2,
    threads: Annotated[int, typer.Option("--threads", help="Threads per process.")] = 8,
) -> None:
    """Serve the hub with gunicorn (a real WSGI server).

    Example: [bold]lacompare hub serve --host 0.0.0.0 --port 8000[/]
    """
    env = dict(os.environ)
    if not env.get("LACOMPARE_HUB_SECRET_KEY"):
        # All workers must sign sessions with one key; without a configured key,
        # make one for this server's life (sessions end when it stops).
        env["LACOMPARE_HUB_SECRET_KEY"] = secrets.token_urlsafe(50)
        _console(stderr=True).print(
            "note: LACOMPARE_HUB_SECRET_KEY is not set; using a key for this run only"
        )
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "lacompare.hub.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "10",
        "--access-logfile",
        "-",
    ]
    os.execve(sys.executable, args, env)


@hub_app.command("create-round")
@friendly
def create_round_cmd(
    definition: Annotated[
        Path | None,
        typer.Argument(
            help="Round definition TOML (default: the packaged SENDIAS 2021 round)."
        ),
    ] = None,
    opens: Annotated[
        str,
        typer.Option(
            "--opens",
            help="Opening day: YYYY-MM-DD, today or +N days (opens at 00:00).",
        ),
    ] = "",
    closes: Annotated[
        str,
        typer.Option(
            "--closes",
            help="Closing day: YYYY-MM-DD or +N days from today (closes at 23:59:59).",
        ),
    ] = "",
    time_zone: Annotated[
        str,
        typer.Option(
            "--time-zone", help="The zone the days are in (default Europe/London)."
        ),
    ] = "Europe/London",
    services: Annotated[
        Path | None,
        typer.Option(
            "--services",
            help="CSV of services (column service or local_authority; "
            "default: the 149 services of the IASSN 2021 report).",
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="CSV of last year's figures: a service column and "
            "the round's field names.",
        ),
    ] = None,
) -> None:
    """Create a collection round and an empty return for each service.

    The dates are whole days in the round's time zone: it opens at 00:00 of the
    opening day and closes at 23:59:59 of the closing day.

    Example: [bold]lacompare hub create-round --opens today --closes +60[/]
    """
    _django()
    from lacompare.demo import demo_data_path
    from lacompare.errors import InputError
    from lacompare.hub import dates
    from lacompare.hub.definition import read_round_definition
    from lacompare.hub.returns import workflow

    if not opens or not closes:
        raise InputError("give --opens and --closes")
    today = dt.datetime.now(dates.zone(time_zone)).date()
    opens_at, closes_at = dates.round_moments(
        dates.parse_day(opens, "--opens", today=today),
        dates.parse_day(closes, "--closes", today=today),
        time_zone,
    )
    d = read_round_definition(definition)
    rows = workflow.read_services(services or demo_data_path(), as_of=d.as_of)
    if previous is not None:
        prev = workflow.read_previous(previous, d, rows)
    elif services is None:
        prev = workflow.read_demo_previous(rows)
    else:
        prev = {}
    r = workflow.create_round(
        definition,
        opens_at=opens_at,
        closes_at=closes_at,
        services=rows,
        previous=prev,
        time_zone=time_zone,
    )
    _console().print(
        f"round {r.slug}: {r.returns.count()} returns, {_open_text(r)}",
        markup=False,
    )


@hub_app.command("round-dates")
@friendly
def round_dates(
    round_slug: Annotated[str, typer.Argument(help="The round.")],
    opens: Annotated[
        str | None,
        typer.Option("--opens", help="New opening day (YYYY-MM-DD, today, +N)."),
    ] = None,
    closes: Annotated[
        str | None,
        typer.Option("--closes", help="New closing day (YYYY-MM-DD, +N)."),
    ] = None,
) -> None:
    """Move a round's opening or closing day (whole days in its time zone).

    Example: [bold]lacompare hub round-dates sendias-2021 --closes +14[/]
    """
    _django()
    from lacompare.errors import InputError
    from lacompare.hub import dates
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Round

    if opens is None and closes is None:
        raise InputError("give --opens, --closes or both")
    r = Round.objects.filter(slug=round_slug).first()
    today = dt.datetime.now(
        dates.zone(r.time_zone if r else dates.DEFAULT_TIME_ZONE)
    ).date()
    r = workflow.set_round_dates(
        round_slug,
        opens=dates.parse_day(opens, "--opens", today=today) if opens else None,
        closes=dates.parse_day(closes, "--closes", today=today) if closes else None,
    )
    _console().print(f"round {r.slug}: {_open_text(r)}", markup=False)


@hub_app.command("extend")
@friendly
def extend(
    round_slug: Annotated[str, typer.Argument(help="The round.")],
    service: Annotated[str, typer.Argument(help="The service code.")],
    until: Annotated[
        str,
        typer.Option("--until", help="New closing day (YYYY-MM-DD or +N days)."),
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (kept in the return's history).")
    ],
) -> None:
    """Give one service a later closing day for its return.

    Example: [bold]lacompare hub extend sendias-2021 leeds --until +7 --reason
    "staff illness"[/]
    """
    _django()
    from lacompare.errors import InputError
    from lacompare.hub import dates
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Round, Service

    r = Round.objects.filter(slug=round_slug).first()
    if r is None:
        raise InputError(f"no round {round_slug!r}")
    from django.db.models import Q

    # The code, or the service's name (any case): 'Leeds' finds leeds.
    s = Service.objects.filter(
        Q(code__iexact=service) | Q(name__iexact=service), returns__round=r
    ).first()
    if s is None:
        codes = ", ".join(
            Service.objects.filter(returns__round=r)
            .order_by("code")
            .values_list("code", flat=True)[:20]
        )
        raise InputError(
            f"no service {service!r} in round {r.slug} (codes: {codes}, …)"
        )
    today = dt.datetime.now(dates.zone(r.time_zone)).date()
    day = dates.parse_day(until, "--until", today=today)
    workflow.grant_extension(None, r, s, day, reason)
    _console().print(
        f"{s.name} may change its return until {day:%d %B %Y} 23:59:59 ({r.time_zone})",
        markup=False,
    )


@hub_app.command("add-user")
@friendly
def add_user(
    username: Annotated[str, typer.Argument(help="Login name.")],
    email: Annotated[str, typer.Option("--email", help="Email for reminders.")] = "",
    service: Annotated[
        str | None,
        typer.Option("--service", help="The service code this user submits for."),
    ] = None,
    reviewer: Annotated[
        bool,
        typer.Option("--reviewer", help="A network reviewer (sees every return)."),
    ] = False,
) -> None:
    """Add a submitter (--service CODE) or a network reviewer (--reviewer).

    The password is read from LACOMPARE_HUB_PASSWORD or asked for.

    Example: [bold]lacompare hub add-user leeds-ias --email ias@leeds.example
    --service leeds[/]
    """
    _django()
    from lacompare.errors import InputError
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.accounts import service_for

    if bool(service) == reviewer:
        raise InputError("give either --service CODE or --reviewer")
    if service:
        # Before the password is asked for; the error lists every service code.
        service = service_for(service).code
    password = os.environ.get("LACOMPARE_HUB_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    workflow.add_user(
        username, password, email=email, service_code=service, reviewer=reviewer
    )
    _console().print(f"added {username}", markup=False)


@hub_app.command("remind")
@friendly
def remind(
    round_slug: Annotated[str, typer.Argument(help="The round.")],
    status: Annotated[
        str,
        typer.Option(
            "--status",
            help="Which services: outstanding (not submitted; the default), "
            "not-started, draft or late.",
        ),
    ] = "outstanding",
) -> None:
    """Email a reminder to each user of each service in a status, with the link to
    its return, their login name and the network's contact (LACOMPARE_HUB_URL,
    LACOMPARE_HUB_CONTACT, LACOMPARE_HUB_EMAIL_HOST). Services with no user are
    listed as having no one to remind. Each reminder is logged per service.

    Example: [bold]lacompare hub remind sendias-2021 --status not-started[/]
    """
    _django()
    from lacompare.errors import InputError
    from lacompare.hub.returns import chasing
    from lacompare.hub.returns.models import Round

    r = Round.objects.filter(slug=round_slug).first()
    if r is None:
        known = ", ".join(Round.objects.values_list("slug", flat=True)) or "none"
        raise InputError(f"no round {round_slug!r} (rounds: {known})")
    result = chasing.send_reminders(r, status)
    console = _console()
    console.print(result.summary(), markup=False, soft_wrap=True)
    for name, to in result.sent:
        console.print(
            f"  reminded {name}: {', '.join(to)}", markup=False, soft_wrap=True
        )
    for name in result.no_one:
        console.print(f"  no one to remind at {name} (no user)", markup=False)


@hub_app.command("invite")
@friendly
def invite(
    username: Annotated[str, typer.Argument(help="Login name.")],
    email: Annotated[str, typer.Option("--email", help="Where to send the link.")],
    service: Annotated[
        str | None,
        typer.Option("--service", help="The service code this user submits for."),
    ] = None,
    reviewer: Annotated[
        bool,
        typer.Option("--reviewer", help="A network reviewer (sees every return)."),
    ] = False,
) -> None:
    """Invite a user: they get an email with a one-time link to choose their own
    password (valid LACOMPARE_HUB_INVITE_DAYS, default 14), their login name and
    the network's contact. Inviting again sends a new link.

    Example: [bold]lacompare hub invite leeds-ias --email ias@leeds.example
    --service leeds[/]
    """
    _django()
    from lacompare.hub.returns.accounts import invite_user

    user = invite_user(username, email, service_code=service, reviewer=reviewer)
    _console().print(f"invited {user.username} ({email})", markup=False)


@hub_app.command("import-users")
@friendly
def import_users(
    users_csv: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns service (code or name), name, email "
            "(and optionally username; default: the email address)."
        ),
    ],
) -> None:
    """Create a user for each row of a CSV and email each an invitation to choose
    a password (as [bold]invite[/] does). All or nothing: a row with an unknown
    service (the error lists the codes), a bad email or a login name twice stops
    the import with every bad row named, and nothing is created.

    Example: [bold]lacompare hub import-users users.csv[/]
    """
    _django()
    from lacompare.hub.returns.accounts import import_users as import_rows
    from lacompare.hub.returns.accounts import read_user_rows

    result = import_rows(read_user_rows(users_csv), file=users_csv.name)
    console = _console()
    for username, email, service in result.invited:
        console.print(f"invited {username} ({email}) for {service}", markup=False)
    for row, username, why in result.skipped:
        console.print(f"row {row}: {username} not invited: {why}", markup=False)
    console.print(
        f"{len(result.invited)} invited, {len(result.skipped)} left alone",
        markup=False,
    )


@hub_app.command("publish")
@friendly
def publish(
    round_slug: Annotated[str, typer.Argument(help="The round.")],
    db: Annotated[Path, typer.Option("--db", help="The lacompare store to load into.")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Where to keep the published CSV and its spec "
            "(default: DB-hub/ beside the store).",
        ),
    ] = None,
) -> None:
    """Load the round's accepted returns into a lacompare store.

    Then: [bold]lacompare report network --db store.duckdb[/]

    Example: [bold]lacompare hub publish sendias-2021 --db store.duckdb[/]
    """
    _django()
    from lacompare.hub.returns.publishing import publish_round

    result = publish_round(round_slug, db, out_dir=out_dir)
    console = _console()
    for line in result.load.summary_lines():
        console.print(line, markup=False)
    console.print(
        f"published {result.publication.returns} accepted returns as "
        f"load {result.load.source_id} ({result.file})",
        markup=False,
    )
    if result.late:
        console.print(
            f"{len(result.late)} of them late (submitted after the round "
            "closed; flagged late): "
            + ", ".join(result.late[:10])
            + (" …" if len(result.late) > 10 else ""),
            markup=False,
        )
    if result.left_out:
        console.print(
            f"left out {len(result.left_out)} not accepted: "
            + ", ".join(result.left_out[:10])
            + (" …" if len(result.left_out) > 10 else ""),
            markup=False,
        )


def register(app: typer.Typer) -> None:
    """Add the ``hub`` command group to ``app``."""
    app.add_typer(hub_app, name="hub")
