"""``lacompare hub import-users users.csv`` (issue 21, Deliver item 7): a user per
row, linked to its service (by code or name), each emailed an invitation with a
working link; an unknown service names its row and lists the service codes, and
nothing is created if any row is wrong; ``add-user`` lists the codes too."""

from __future__ import annotations

from tests.hub.conftest import demo_services
from tests.hub.test_accounts import NEW_PASSWORD, _link, _set_password


def _round_of(make_round, codes: tuple[str, ...]) -> None:
    make_round([s for s in demo_services() if s["code"] in codes])


def _write(tmp_path, text: str):
    path = tmp_path / "users.csv"
    # As Excel saves "CSV UTF-8": a byte-order mark and CRLF line ends.
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    return path


def test_import_users_invites_each_row_with_a_working_link(
    make_round, make_user, smtp_sink, tmp_path
):
    from django.contrib.auth.models import User
    from django.test import Client
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns import workflow

    _round_of(make_round, ("leeds", "york", "wakefield"))
    make_user("york-old", "york")  # has a password: left alone
    path = _write(
        tmp_path,
        "Service,Name,Email,Username\n"
        "leeds,Sam Lee,Sam.Lee@Leeds.example,\n"
        "York,Ana Roe,ana@york.example,\n"
        "\n"
        "wakefield,Kim Poe,kim@wakefield.example,\n"
        "york,Old Hand,old@york.example,york-old\n",
    )
    r = CliRunner().invoke(app, ["hub", "import-users", str(path)])
    assert r.exit_code == 0, r.output
    assert "invited sam.lee@leeds.example (sam.lee@leeds.example) for Leeds" in r.output
    assert "row 6: york-old not invited: has a password already" in r.output
    assert "3 invited, 1 left alone" in r.output

    sam = User.objects.get(username="sam.lee@leeds.example")
    assert (sam.first_name, sam.last_name) == ("Sam", "Lee")
    assert not sam.has_usable_password()
    assert workflow.service_of(sam).code == "leeds"
    assert workflow.service_of(User.objects.get(username="ana@york.example")).code == (
        "york"
    )  # found by its name, in another case
    mails = smtp_sink.messages(3)
    assert sorted(to for m in mails for to in [m["To"]]) == [
        "ana@york.example",
        "kim@wakefield.example",
        "sam.lee@leeds.example",
    ]
    sams = next(m for m in mails if m["To"] == "sam.lee@leeds.example")
    body = sams.get_content()
    assert "Your login name: sam.lee@leeds.example" in body and "for Leeds" in body
    assert "returns@network.example" in body  # the network's contact

    # The link in the email lets Sam choose a password and sign in.
    client = Client()
    form, done = _set_password(client, _link(sams))
    assert "sam.lee@leeds.example" in form.content.decode()
    assert done.status_code == 302
    r = client.post(
        "/login/",
        {"username": "sam.lee@leeds.example", "password": NEW_PASSWORD},
        follow=True,
    )
    assert r.context["user"].username == "sam.lee@leeds.example"


def test_an_unknown_service_names_the_row_lists_codes_and_creates_no_one(
    make_round, smtp_sink, tmp_path
):
    from django.contrib.auth.models import User
    from typer.testing import CliRunner

    from lacompare.cli import app

    _round_of(make_round, ("leeds", "york"))
    path = _write(
        tmp_path,
        "service,name,email\n"
        "leeds,Sam Lee,sam@leeds.example\n"
        "Leedz,Ana Roe,ana@leeds.example\n"
        "york,Kim Poe,not-an-address\n"
        "leeds,Sam Lee again,SAM@leeds.example\n",
    )
    r = CliRunner().invoke(app, ["hub", "import-users", str(path)])
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert "nothing was created" in out
    assert (
        "users.csv, row 3, column service: no service 'Leedz' (did you mean leeds?)"
        in out
    )
    assert "users.csv, row 4, column email: 'not-an-address' is not an email" in out
    assert "users.csv, row 5: sam@leeds.example is on row 2 too" in out
    assert "the service codes are: leeds, york" in out
    assert "Traceback" not in r.output
    assert User.objects.count() == 0 and smtp_sink.messages() == []

    # A missing column is named, in one line.
    bad = _write(tmp_path, "service,email\nleeds,sam@leeds.example\n")
    r = CliRunner().invoke(app, ["hub", "import-users", str(bad)])
    assert r.exit_code == 1 and "users.csv, row 1: missing column(s) name" in r.output


def test_no_mail_server_creates_no_one(make_round, no_mail_server, tmp_path):
    from django.contrib.auth.models import User
    from typer.testing import CliRunner

    from lacompare.cli import app

    _round_of(make_round, ("leeds",))
    path = _write(tmp_path, "service,name,email\nleeds,Sam Lee,sam@leeds.example\n")
    r = CliRunner().invoke(app, ["hub", "import-users", str(path)])
    assert r.exit_code == 1 and "no mail server is configured" in r.output
    assert User.objects.count() == 0


def test_add_user_with_an_unknown_service_lists_the_codes(make_round, monkeypatch):
    from django.contrib.auth.models import User
    from typer.testing import CliRunner

    from lacompare.cli import app

    _round_of(make_round, ("leeds", "york"))
    monkeypatch.setenv("LACOMPARE_HUB_PASSWORD", "a-long-enough-passphrase-7")
    runner = CliRunner()
    r = runner.invoke(app, ["hub", "add-user", "x", "--service", "Leeds City"])
    out = " ".join(r.output.split())
    assert r.exit_code == 1
    assert (
        "no service 'Leeds City' (did you mean leeds?); the codes are: leeds, york"
        in out
    )
    assert not User.objects.filter(username="x").exists()
    # The service's name works as well as its code.
    r = runner.invoke(app, ["hub", "add-user", "y", "--service", "York"])
    assert r.exit_code == 0, r.output
