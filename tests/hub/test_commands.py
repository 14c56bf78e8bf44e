"""``lacompare hub`` commands: create a round from the packaged definition and
services, add users, and one-line errors for bad input."""

from __future__ import annotations


def test_create_round_add_users_and_errors(hub, monkeypatch, tmp_path):
    from django.contrib.auth.models import User
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Return, Service

    runner = CliRunner()
    r = runner.invoke(
        app, ["hub", "create-round", "--opens", "2021-05-01", "--closes", "2021-06-30"]
    )
    assert r.exit_code == 0, r.output
    assert "round sendias-2021: 149 returns" in r.output
    cornwall = Service.objects.get(code="cornwall")
    assert cornwall.la_codes == ["E06000052", "E06000053"]  # with Isles of Scilly
    assert cornwall.region == "South West"
    # Last year's figures from the report: Birmingham's 2020 funding per head (0.53)
    # times its population (450,047), and its population per FTE (90,009).
    prev = Return.objects.get(service__code="birmingham").previous
    assert prev == {
        "population_0_25": 450047.0,
        "funding_total": 238525,
        "fte_staff": 5.0,
    }
    # Cornwall gave no 2020 funding: no figure, not zero.
    assert "funding_total" not in Return.objects.get(service=cornwall).previous
    r = runner.invoke(
        app, ["hub", "create-round", "--opens", "2021-05-01", "--closes", "2021-06-30"]
    )
    assert r.exit_code == 1 and "round 'sendias-2021' already exists" in r.output

    monkeypatch.setenv("LACOMPARE_HUB_PASSWORD", "a-long-enough-passphrase-7")
    r = runner.invoke(
        app,
        [
            "hub",
            "add-user",
            "corn-ias",
            "--service",
            "cornwall",
            "--email",
            "ias@cornwall.example",
        ],
    )
    assert r.exit_code == 0, r.output
    user = User.objects.get(username="corn-ias")
    assert workflow.service_of(user) == cornwall and not workflow.is_reviewer(user)
    r = runner.invoke(app, ["hub", "add-user", "net", "--reviewer"])
    assert r.exit_code == 0 and workflow.is_reviewer(User.objects.get(username="net"))
    r = runner.invoke(app, ["hub", "add-user", "x", "--service", "atlantis"])
    assert r.exit_code == 1 and "no service 'atlantis'" in r.output

    bad = tmp_path / "services.csv"
    bad.write_text("service\nLeeds\nAtlantis\n")
    r = runner.invoke(
        app,
        [
            "hub",
            "create-round",
            "--opens",
            "2021-05-01",
            "--closes",
            "2021-06-30",
            "--services",
            str(bad),
        ],
    )
    assert r.exit_code == 1
    assert f"{bad}, row 3, column service: no authority matches 'Atlantis'" in r.output
    r = runner.invoke(app, ["hub", "create-round", "--opens", "May", "--closes", "x"])
    assert (
        r.exit_code == 1
        and "--opens: 'May' is not a day (YYYY-MM-DD, today, or +N days)" in r.output
    )
