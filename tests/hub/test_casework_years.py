"""What the network report needs (issue 21, item 5): the return asks casework,
helpline and tribunal (supported, and attended directly) for three consecutive
years, with last year's figures beside each field, pre-filled from the last round's
accepted return of the same service or from the network's CSV, editable with a
comment; the network report and each service's profile publish the casework and
tribunal section, the return rate "N of 149 (x%)" and joint funding's share.
All on PostgreSQL."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.hub.conftest import demo_services, full_answers

#: Three years of each figure, oldest first, as the service types them.
YEARS = ("2018-19", "2019-20", "2020-21")
THREE_YEARS = {
    "casework_total": ("casework_total_2018_19", "casework_total_2019_20"),
    "helpline_enquiries": ("helpline_enquiries_2018_19", "helpline_enquiries_2019_20"),
    "tribunal_cases": ("tribunal_cases_2018_19", "tribunal_cases_2019_20"),
    "tribunal_attended": ("tribunal_attended_2018_19", "tribunal_attended_2019_20"),
}


def _last_round_definition(tmp_path: Path) -> Path:
    """The same form a year earlier (2020: its years 2017-18 to 2019-20)."""
    from lacompare.hub.definition import packaged_round

    text = packaged_round().read_text("utf-8")
    for new, old in (
        ("_2017_18", "_2018_19"),
        ("_2018_19", "_2019_20"),
        ("2017-18", "2018-19"),
        ("2018-19", "2019-20"),
        ("2019-20", "2020-21"),
    ):
        text = text.replace(old, new)
    text = text.replace('slug = "sendias-2021"', 'slug = "sendias-2020"')
    text = text.replace('period = "2021"', 'period = "2020"')
    text = text.replace(
        "services' annual return, 2021", "services' annual return, 2020"
    )
    path = tmp_path / "sendias_2020.toml"
    path.write_text(text, "utf-8")
    return path


def _years(casework: tuple[int, int, int], **more: int) -> dict[str, str]:
    """A full return whose casework total is given for each of the three years
    (the levels of the last year add up to it), tribunal and helpline likewise."""
    first, second, last = casework
    answers = full_answers(
        casework_information=last - 2 * (last // 3),
        casework_advice=last // 3,
        casework_support=last // 3,
        casework_total=last,
        casework_total_2019_20=second,
        casework_total_2018_19=first,
        helpline_enquiries=1200,
        helpline_enquiries_2019_20=1100,
        helpline_enquiries_2018_19=1000,
        tribunal_cases=12,
        tribunal_cases_2019_20=10,
        tribunal_cases_2018_19=8,
        tribunal_attended=6,
        tribunal_attended_2019_20=5,
        tribunal_attended_2018_19=4,
    )
    answers.update({k: str(v) for k, v in more.items()})
    return answers


def test_form_asks_three_years_with_last_years_figures_beside(make_user, hub, tmp_path):
    """Leeds accepted a return last round; York is new to the hub and has the
    network's CSV. Each field shows last year's figure, the earlier years come
    pre-filled, and changing one needs a comment."""
    from django.test import Client
    from django.utils import timezone

    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import AuditEntry, Return

    services = [s for s in demo_services() if s["code"] in ("leeds", "york")]
    now = timezone.now()
    import datetime as dt

    # Last year's round: Leeds returned 900 cases for 2018-19 and 1,020 for 2019-20.
    last = workflow.create_round(
        _last_round_definition(tmp_path),
        opens_at=now - dt.timedelta(days=2),
        closes_at=now + dt.timedelta(days=1),
        services=services,
    )
    leeds_user = make_user("leeds-ias", "leeds")
    reviewer = make_user("network", reviewer=True)
    old = Return.objects.get(round=last, service__code="leeds")
    old_answers = full_answers(
        casework_total_2018_19=900,
        tribunal_cases=14,
        tribunal_cases_2018_19=11,
        helpline_enquiries_2018_19=990,
        tribunal_attended=7,
    )
    old_answers["casework_total"] = "1020"
    old_answers.update(
        casework_information="520", casework_advice="300", casework_support="200"
    )
    workflow.save_return(leeds_user, old.pk, old_answers)
    old, issues = workflow.submit_return(leeds_user, old.pk)
    assert old.status == "submitted", [str(i) for i in issues]
    workflow.accept_return(reviewer, old.pk)

    # This year's round; the network's CSV has York's (and Leeds's) figures.
    csv_file = tmp_path / "previous.csv"
    csv_file.write_text(
        "service,population_0_25,funding_total,casework_total,tribunal_cases\n"
        "York,50000,120000,640,3\nLeeds,1,1,1,1\n",
        "utf-8",
    )
    from lacompare.hub.definition import read_round_definition

    definition = read_round_definition()
    round_ = workflow.create_round(
        None,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        services=services,
        previous=workflow.read_previous(csv_file, definition, services),
    )
    leeds = Return.objects.get(round=round_, service__code="leeds")
    york = Return.objects.get(round=round_, service__code="york")
    # Pre-filled from last round's accepted return (over the network's CSV) ...
    assert leeds.values["casework_total_2019_20"] == "1020"
    assert leeds.values["casework_total_2018_19"] == "900"
    assert leeds.values["tribunal_cases_2019_20"] == "14"
    assert leeds.values["tribunal_cases_2018_19"] == "11"
    assert leeds.values["tribunal_attended_2019_20"] == "7"
    assert "casework_total" not in leeds.values  # this year's is the service's own
    assert not leeds.started  # still "not started" for chasing
    # ... or, without one, from the network's CSV; the history says which.
    assert york.values == {
        "casework_total_2019_20": "640",
        "tribunal_cases_2019_20": "3",
    }
    assert (
        AuditEntry.objects.filter(
            ret=leeds, action="prefill", field="casework_total_2019_20", new="1020"
        )
        .get()
        .reason.endswith(
            "your accepted return for SENDIAS services' annual return, 2020"
        )
    )
    assert "the network's figures" in (
        AuditEntry.objects.get(ret=york, field="casework_total_2019_20").reason
    )

    client = Client()
    client.force_login(leeds_user)
    page = client.get(f"/returns/{leeds.pk}/")
    assert page.status_code == 200
    form = page.context["form"]
    # Three years of casework and helpline, two tribunal figures for each year.
    for this_year, earlier in THREE_YEARS.items():
        for name in (this_year, *earlier):
            assert name in form.fields, name
    labels = {n: str(form.fields[n].label) for n in form.fields}
    for year in YEARS:
        assert any(
            "tribunal cases supported" in v and year in v for v in labels.values()
        ), year
        assert any(
            "hearings attended directly" in v and year in v for v in labels.values()
        ), year
    # Last year's figures beside each field: field.previous, and the help text.
    assert form.fields["casework_total"].previous == [("2019-20", "1,020")]
    assert form.fields["casework_total_2019_20"].previous == [
        ("returned for 2019-20", "1,020")
    ]
    assert form.fields["casework_total_2018_19"].previous == [
        ("returned for 2018-19", "900")
    ]
    assert form.fields["tribunal_cases"].previous == [("2019-20", "14")]
    assert form.fields["funding_total"].previous == [
        ("2019-20", f"£{float(old_answers['funding_total']):,.0f}")
    ]
    assert form.fields["casework_total"].previous_source.startswith(
        "your accepted return"
    )
    text = " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", page.content.decode())).split()
    )
    assert "Last year: 2019-20: 1,020 (from your accepted return" in text
    assert "returned for 2018-19: 900" in text
    assert text.count("Last year: 2019-20: 1,020") == 1  # shown once, not in the hint
    york_form = _form_of(york, make_user("york-ias", "york"))
    assert york_form.fields["casework_total"].previous == [("2019-20", "640")]
    assert york_form.fields["casework_total"].previous_source == "the network's figures"

    # Editable: a changed earlier year needs a comment before the return goes in.
    answers = {
        **full_answers(tribunal_attended=6),
        **leeds.values,
        "casework_total_2019_20": "1000",
    }
    result = workflow.save_return(leeds_user, leeds.pk, answers)
    assert [i.column for i in result.issues.errors()] == ["casework_total_2019_20"]
    assert "differs from last year's return (1,020): say why in the comment" in (
        result.issues.errors()[0].message
    )
    ret, issues = workflow.submit_return(leeds_user, leeds.pk)
    assert ret.status == "draft"
    workflow.save_return(
        leeds_user,
        leeds.pk,
        {},
        {"casework_total_2019_20": "last year's count missed March"},
    )
    ret, issues = workflow.submit_return(leeds_user, leeds.pk)
    assert ret.status == "submitted", [str(i) for i in issues]
    assert ret.values["casework_total_2019_20"] == "1000"


def _form_of(ret, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get(f"/returns/{ret.pk}/").context["form"]


@pytest.fixture
def network_round(make_round, make_user):
    """All 149 services of the 2021 report; six accepted returns with three years
    of casework, their funding split by source, two of them jointly commissioned."""
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Return

    services = demo_services()
    round_ = make_round(services)
    reviewer = make_user("network", reviewer=True)
    chosen = services[::25][:6]
    casework = [
        (100, 120, 150),
        (200, 210, 290),
        (50, 60, 70),
        (300, 330, 420),
        (80, 90, 120),
        (40, 44, 48),
    ]
    health = [0, 25000, 0, 50000, 0, 0]
    joint = ["no", "yes", "no", "yes", "no", "no"]
    for s, years, h, j in zip(chosen, casework, health, joint, strict=True):
        user = make_user(f"u-{s['code']}", s["code"])
        ret = Return.objects.get(round=round_, service__code=s["code"])
        prev = ret.previous
        total = round(prev.get("funding_total", 150000.0))
        answers = _years(
            years,
            population_0_25=int(prev.get("population_0_25", 100000)),
            funding_la=total - 20000 - h - 5000,
            funding_social_care=20000,
            funding_health=h,
            funding_other=5000,
            funding_total=total,
            fte_staff=prev.get("fte_staff") or 4.0,
            joint_health_and_social_care=j,
            joint_health_only="no",
        )
        workflow.save_return(user, ret.pk, answers)
        ret, issues = workflow.submit_return(user, ret.pk)
        assert ret.status == "submitted", [str(i) for i in issues]
        workflow.accept_return(reviewer, ret.pk)
    return round_, chosen, casework


def test_network_report_shows_casework_three_years_and_return_rate(
    network_round, tmp_path
):
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns.models import Return
    from lacompare.hub.returns.publishing import publish_round

    round_, chosen, casework = network_round
    db = tmp_path / "store.duckdb"
    result = publish_round(round_.slug, db)
    assert result.publication.returns == 6 and len(result.left_out) == 143
    out = tmp_path / "network.html"
    r = CliRunner().invoke(
        app, ["report", "network", "--db", str(db), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", out.read_text())).split())
    # The return rate: the round's six accepted of its 149 services.
    assert f"Return rate: 6 of 149 ({round(100 * 6 / 149)}%)" in text
    assert "A national data report from 6 services' returns" in text
    assert (
        "6 services' returns were matched to their local authorities. None of them "
        "was late."
    ) in text
    # Casework and tribunal over the three years, with the change since the first.
    assert "Casework and tribunal" in text
    first = sum(c[0] for c in casework)
    last = sum(c[2] for c in casework)
    change = round(100 * (last - first) / first)
    assert (
        f"Casework across the 6 services that gave all 3 years was up {change}% "
        f"since 2018-19: from {first:,} cases in 2018-19 to {last:,} in 2020-21"
    ) in text
    assert f"Casework was up {change}% since 2018-19 across the 6 services" in text
    table = re.search(
        r"Casework, helpline and tribunal, 2018-19 to 2020-21.*?</table>",
        out.read_text(),
        re.S,
    ).group(0)
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table, re.S)
    ]
    for heading in (*YEARS, "Change since 2018-19 (%)"):
        assert heading in cells, (heading, cells[:8])
    row = cells.index("SEND tribunal cases supported")
    assert cells[row + 1 : row + 6] == ["6", "48", "60", "72", "50"]
    row = cells.index("SEND tribunal hearings attended directly")
    assert cells[row + 1 : row + 6] == ["6", "24", "30", "36", "50"]
    # Joint funding as a share of the budget, over the jointly commissioned.
    shares = []
    for s in chosen:
        values = Return.objects.get(round=round_, service__code=s["code"]).values
        if values["joint_health_and_social_care"] == "yes":
            total = float(values["funding_total"])
            shares.append(100 * (float(values["funding_health"]) + 20000) / total)
    assert (
        f"Among the 2 jointly commissioned services that gave their funding by "
        f"source, joint funding (health and social care) was {min(shares):.0f}%–"
        f"{max(shares):.0f}% of the budget"
    ) in text
    assert "Funding by source" in text


def test_profile_shows_casework_years_and_return_rate(network_round, tmp_path):
    from django.test import Client

    from lacompare.hub.returns.models import Membership, Return
    from lacompare.hub.returns.publishing import publish_round

    round_, chosen, casework = network_round
    publish_round(round_.slug, tmp_path / "s.duckdb")
    code = chosen[1]["code"]
    ret = Return.objects.get(round=round_, service__code=code)
    client = Client()
    client.force_login(Membership.objects.get(service__code=code).user)
    page = client.get(f"/returns/{ret.pk}/profile")
    assert page.status_code == 200
    text = " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", page.content.decode())).split()
    )
    assert "Casework and tribunal, 2018-19 to 2020-21" in text
    assert f"Return rate: 6 of 149 ({round(100 * 6 / 149)}%)" in text
    first, second, last = casework[1]
    mine = round(100 * (last - first) / first)
    england = round(
        100
        * (sum(c[2] for c in casework) - sum(c[0] for c in casework))
        / sum(c[0] for c in casework)
    )
    assert "Your change since 2018-19" in text
    assert (
        f"Casework cases (all levels) {first} {second} {last} up {mine}% "
        f"up {england}% (6)"
    ) in text
    assert "SEND tribunal hearings attended directly 4 5 6 up 50% up 50% (6)" in text
    # Its joint funding's share of its budget; counts printed whole in the table.
    values = ret.values
    joint = (
        100
        * (float(values["funding_health"]) + float(values["funding_social_care"]))
        / float(values["funding_total"])
    )
    assert f"Joint funding (health and social care) is {joint:.0f}% of your budget" in (
        text
    )
    assert f"Casework cases (all levels), 2020-21 (cases) {last} " in text
