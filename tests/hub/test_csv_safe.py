"""The hub's CSVs (a return's template.csv, a service's profile.csv and the file a
round is published from) never start a cell with formula text: a service can type
``=HYPERLINK(...)`` in a comment, and the network's reviewer opens the file."""

from __future__ import annotations

import pytest

from tests.csv_cells import HOSTILE, NEGATIVE, assert_csv_safe, cells
from tests.hub.conftest import full_answers
from tests.hub.test_publish import published_round  # noqa: F401 (a fixture)
from tests.hub.test_upload import _upload

FIELDS = (
    "funding_total",
    "fte_staff",
    "volunteers",
    "helpline_enquiries",
    "tribunal_cases",
    "casework_total",
)


def test_template_csv_for_the_reviewer(leeds, make_user):  # noqa: F811
    from django.test import Client

    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Membership, Return

    client, ret = leeds
    user = Membership.objects.get(service__code="leeds").user
    comments = dict(zip(FIELDS, HOSTILE, strict=True))
    workflow.save_return(
        user, ret.pk, full_answers(volunteers="=1+1", funding_other=NEGATIVE), comments
    )
    # The hub trims comments ('\t=1' is kept as '=1'): plant what it kept.
    kept = Return.objects.get(pk=ret.pk).comments
    reviewer = Client()
    reviewer.force_login(make_user("network", reviewer=True))
    r = reviewer.get(f"/returns/{ret.pk}/template.csv")
    assert r.status_code == 200
    assert_csv_safe(r.content, planted=(*kept.values(), "=1+1"))
    assert NEGATIVE in cells(r.content)


def test_template_csv_round_trips_the_comments(leeds):  # noqa: F811
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Membership, Return

    client, ret = leeds
    user = Membership.objects.get(service__code="leeds").user
    comments = dict(zip(FIELDS, HOSTILE, strict=True))
    workflow.save_return(user, ret.pk, full_answers(), comments)
    before = Return.objects.get(pk=ret.pk)
    data = client.get(f"/returns/{ret.pk}/template.csv").content
    messages, _ = _upload(client, ret, data, "leeds.csv")
    # Uploaded back unchanged: the quote the template added is taken off again,
    # so nothing changes.
    saved = Return.objects.get(pk=ret.pk)
    assert saved.comments == before.comments, messages
    assert saved.comments["funding_total"] == HOSTILE[0]
    assert saved.values == full_answers()
    assert any("0 change(s) saved" in m for m in messages), messages


def test_profile_and_published_csv(published_round, tmp_path):  # noqa: F811
    from django.test import Client

    from lacompare.hub.returns.models import Publication, Return, Service
    from lacompare.hub.returns.publishing import publish_round

    round_, users, _, services = published_round
    code = services[0]["code"]
    # Text the hub holds about a service goes into both files (the published
    # file's authority name is read back by code, so it may be anything).
    service = Service.objects.get(code=code)
    Service.objects.filter(code=code).update(la_names=[HOSTILE[1]])
    publish_round(round_.slug, tmp_path / "s.duckdb", out_dir=tmp_path / "pub")
    published = Publication.objects.latest("at").file
    with open(published, newline="", encoding="utf-8") as fh:
        assert_csv_safe(fh.read(), planted=(HOSTILE[1],))
    Service.objects.filter(code=code).update(la_names=service.la_names)
    Service.objects.filter(code=code).update(region=HOSTILE[0])
    ret = Return.objects.get(round=round_, service__code=code)
    client = Client()
    client.force_login(users[code])
    r = client.get(f"/returns/{ret.pk}/profile.csv")
    assert r.status_code == 200
    assert_csv_safe(r.content, planted=(HOSTILE[0],))


@pytest.mark.parametrize("cell", HOSTILE)
def test_template_function(cell):
    from lacompare.hub.definition import read_round_definition
    from lacompare.hub.returns_file import read_return_upload, write_return_template

    definition = read_round_definition()
    data = write_return_template(
        definition,
        "leeds",
        "Leeds",
        fmt="csv",
        comments={"volunteers": cell},
        values={"volunteers": cell},
    )
    assert_csv_safe(data, planted=(cell,))
    upload = read_return_upload(definition, data, "leeds.csv")
    # Read back as typed (the reader trims surrounding white space, as it always has).
    assert upload.comments["volunteers"] == cell.strip()
    assert upload.values["volunteers"] == cell.strip()
