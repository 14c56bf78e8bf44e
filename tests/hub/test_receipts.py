"""Receipts: submitting, accepting and reopening a return each email the service's
users and say on screen a reference (ROUND-SERVICE-N, N the version submitted),
with a printable copy of the return as submitted (HTML; PDF with the pdf extra);
the reason for reopening is shown to the service."""

from __future__ import annotations

import re

import pytest

from tests.hub.conftest import full_answers, matching_previous


@pytest.fixture
def leeds_filled(leeds, make_user):
    """Leeds's complete draft (two users), a reviewer, and a client for each."""
    from django.test import Client

    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Return

    client, ret = leeds
    make_user("leeds-2", "leeds")
    answers = full_answers()
    Return.objects.filter(pk=ret.pk).update(previous=matching_previous(answers))
    workflow.save_return(
        _leeds_user(),
        ret.pk,
        answers,
        {"funding_total": "includes a one-off grant"},
    )
    network = Client()
    network.force_login(make_user("network", reviewer=True))
    return client, network, Return.objects.get(pk=ret.pk)


def _leeds_user():
    from django.contrib.auth.models import User

    return User.objects.get(username="leeds-ias")


def _post(client, url, data=None):
    client.get(url.rsplit("/", 1)[0] + "/")  # a page first: the CSRF cookie
    data = dict(data or {})
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    return client.post(url, data, follow=True)


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_submit_accept_reopen_each_receipted(leeds_filled, smtp_sink):
    from lacompare.hub.returns.models import Receipt

    client, network, ret = leeds_filled
    page = f"/returns/{ret.pk}/"
    r = _post(client, f"{page}submit")
    assert r.status_code == 200
    ref = f"SENDIAS-2021-LEEDS-{ret.version + 1}"
    said = _messages(r)
    assert said[0].startswith("Submitted: the return is locked.")
    assert said[1] == (
        f"Reference {ref}. A receipt was emailed to leeds-2@example.org, "
        "leeds-ias@example.org. The copy as submitted is under Receipts on the "
        "return's page."
    )
    (submit_mail, other) = smtp_sink.messages(2)
    assert smtp_sink.recipients() == {"leeds-ias@example.org", "leeds-2@example.org"}
    assert submit_mail["Subject"] == (f"Receipt {ref}: Leeds's return submitted")
    body = submit_mail.get_content()
    assert f"Reference: {ref}" in body and "submitted by leeds-ias" in body
    copy_link = re.search(r"copy as submitted \(to print or keep\): (\S+)", body)
    assert copy_link.group(1) == f"http://testserver{page}copy/{ret.version + 1}"
    assert "Sam Lee, returns@network.example" in body

    # The printable copy: the answers as submitted, figures grouped.
    copy_path = copy_link.group(1).removeprefix("http://testserver")
    html = client.get(copy_path).content.decode()
    assert ref in html and "£200,000" in html and "includes a one-off grant" in html
    assert "1,200" in html  # helpline enquiries
    assert "Download as PDF" in html

    # Accepted: the same reference (the version submitted), emailed and on screen.
    r = _post(network, f"{page}accept")
    said = _messages(r)
    assert said[0] == "Accepted: it will be in the published report."
    assert said[1].startswith(f"Reference {ref}. A receipt was emailed to")
    accept_mail = smtp_sink.messages(4)[2]
    assert accept_mail["Subject"] == f"Receipt {ref}: Leeds's return accepted"
    assert "It will be in the network's published report." in (
        accept_mail.get_content()
    )

    # Reopened with a reason: emailed, and shown to the service on its page.
    r = _post(network, f"{page}reopen", {"reason": "Funding by source is missing"})
    assert _messages(r)[1].startswith(f"Reference {ref}.")
    reopen_mail = smtp_sink.messages(6)[4]
    assert reopen_mail["Subject"] == f"Receipt {ref}: Leeds's return reopened"
    assert "Reason: Funding by source is missing" in reopen_mail.get_content()
    html = client.get(page).content.decode()
    assert re.search(
        r'id="reopened"><strong>Reopened by the network</strong> on .*: '
        r"Funding by source is missing</div>",
        html,
    )
    assert html.count(ref) == 3  # the receipts table: submit, accept, reopen
    assert list(
        Receipt.objects.filter(ret=ret).order_by("at").values_list("action", flat=True)
    ) == ["submit", "accept", "reopen"]

    # Changed and submitted again: a new reference; the first copy is unchanged.
    from lacompare.hub.returns import workflow

    workflow.save_return(_leeds_user(), ret.pk, {"volunteers": "9"})
    html = client.get(page).content.decode()
    assert "Funding by source is missing" in html  # still a reopened draft
    r = _post(client, f"{page}submit")
    ref2 = f"SENDIAS-2021-LEEDS-{ret.version + 5}"  # 5 versions on
    assert _messages(r)[1].startswith(f"Reference {ref2}.")
    assert "Reopened by the network" not in client.get(page).content.decode()
    first = client.get(copy_path).content.decode()
    assert re.search(r"Volunteers.*?</th><td[^>]*>3</td>", first, re.S)
    second = client.get(f"{page}copy/{ret.version + 5}").content.decode()
    assert re.search(r"Volunteers.*?</th><td[^>]*>9</td>", second, re.S)


def test_copy_pdf_or_html_only(leeds_filled, monkeypatch):
    from lacompare.hub.returns import receipts, workflow

    client, network, ret = leeds_filled
    ret, _ = workflow.submit_return(_leeds_user(), ret.pk)
    url = f"/returns/{ret.pk}/copy/{ret.version}"
    if receipts.pdf_problem() is None:
        r = client.get(url + ".pdf")
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
        assert f"SENDIAS-2021-LEEDS-{ret.version}.pdf" in r["Content-Disposition"]
    # Without the pdf extra: the page says so, and offers printing instead.
    monkeypatch.setattr(
        receipts, "pdf_problem", lambda: "PDF output needs WeasyPrint: install …"
    )
    html = client.get(url).content.decode()
    assert "PDF copies are not available on this hub" in html
    assert "print this page" in html
    assert client.get(url + ".pdf").status_code == 404


def test_another_service_cannot_see_the_copy(leeds_filled, make_user):
    from django.test import Client

    from lacompare.hub.returns import workflow

    client, network, ret = leeds_filled
    ret, _ = workflow.submit_return(_leeds_user(), ret.pk)
    york = Client()
    york.force_login(make_user("york-ias", "york"))
    url = f"/returns/{ret.pk}/copy/{ret.version}"
    assert york.get(url).status_code == 404
    assert york.get(url + ".pdf").status_code == 404
    assert network.get(url).status_code == 200
    assert client.get(f"/returns/{ret.pk}/copy/{ret.version + 7}").status_code == 404


def test_submit_without_a_mail_server_says_so(leeds_filled, no_mail_server):
    from lacompare.hub.returns.models import Receipt

    client, network, ret = leeds_filled
    r = _post(client, f"/returns/{ret.pk}/submit")
    assert r.status_code == 200
    said = _messages(r)
    assert said[0].startswith("Submitted")
    assert said[1] == (
        f"Reference SENDIAS-2021-LEEDS-{ret.version + 1}. No receipt was emailed: "
        "no mail server is configured: set LACOMPARE_HUB_EMAIL_HOST (and "
        "LACOMPARE_HUB_EMAIL_PORT) to send email; nothing was sent. The copy as "
        "submitted is under Receipts on the return's page."
    )
    receipt = Receipt.objects.get()
    assert receipt.emailed_to == [] and "no mail server" in receipt.mail_error
    assert (
        "not emailed: no mail server"
        in client.get(f"/returns/{ret.pk}/").content.decode()
    )
