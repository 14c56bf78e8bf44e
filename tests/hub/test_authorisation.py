"""The authorisation matrix: with every service of the IASSN 2021 round (149), no
service's user can read or change another service's return by any URL, form or upload,
and anonymous visitors get nothing but the login page."""

from __future__ import annotations

import random

import pytest

from tests.hub.conftest import full_answers


def _return_urls() -> list[tuple[str, str]]:
    """Every URL of the hub that names a return, as (name, pattern): read from the
    URL configuration, so a new page is covered without editing this test."""
    from lacompare.hub.urls import urlpatterns

    found = []
    for p in urlpatterns:
        route = str(p.pattern)
        if "<int:pk>" in route:
            found.append((p.name, "/" + route))
    return found


def _url(route: str, pk: int) -> str:
    return route.replace("<int:pk>", str(pk)).replace("<str:fmt>", "xlsx")


@pytest.fixture(scope="module")
def network(hub_database, password_hash):
    """All 149 services of the 2021 report, one submitter each, every return filled
    in (so a leak would show figures). Built once: the tests here change nothing."""
    import datetime as dt

    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Membership, Return, Service
    from tests.hub.conftest import HUB_TABLES, demo_services

    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(HUB_TABLES)} RESTART IDENTITY CASCADE")
    services = demo_services()
    now = timezone.now()
    round_ = workflow.create_round(
        None,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        services=services,
    )
    users = {}
    for s in services:
        user = User.objects.create(username=f"user-{s['code']}", password=password_hash)
        Membership.objects.create(
            user=user, service=Service.objects.get(code=s["code"])
        )
        users[s["code"]] = user
    returns = {
        r.service.code: r
        for r in Return.objects.filter(round=round_).select_related("service")
    }
    for i, (code, ret) in enumerate(sorted(returns.items())):
        answers = full_answers()
        answers["population_0_25"] = str(50000 + i)
        workflow.save_return(users[code], ret.pk, answers)
    return round_, users, returns


def test_every_pair_sees_only_its_own_return(network):
    """All 149 × 148 pairs, at the one gate every page uses."""
    from django.http import Http404

    from lacompare.hub.returns import workflow

    _, users, returns = network
    assert len(users) == 149
    leaks = []
    for a, user in users.items():
        visible = set(workflow.visible_returns(user).values_list("pk", flat=True))
        if visible != {returns[a].pk}:
            leaks.append((a, sorted(visible)))
    assert leaks == []
    # The same, asked the other way: of all 148 others' returns, none is reachable.
    everyone = {r.pk for r in returns.values()}
    for a, user in users.items():
        others = everyone - {returns[a].pk}
        assert not workflow.visible_returns(user).filter(pk__in=others).exists()
    # Each change goes through that gate: refused with 404 (never 403: B's return
    # must not even be shown to exist), for three others per service.
    rng = random.Random(8)
    codes = sorted(users)
    for a in codes:
        for b in rng.sample([c for c in codes if c != a], 3):
            user, pk = users[a], returns[b].pk
            for call, extra in (
                (workflow.return_for, ()),
                (workflow.save_return, ({"volunteers": "666"},)),
                (workflow.submit_return, ()),
                (workflow.reopen_return, ("x",)),
                (workflow.accept_return, ()),
            ):
                with pytest.raises(Http404):
                    call(user, pk, *extra)


def test_no_url_form_or_upload_crosses_services(network):
    """Every return URL, GET and POST (with a valid CSRF token), from each service
    against another: the services in a random cycle, so each is attacker once and
    target once (the gate itself is checked for every pair above)."""
    from django.test import Client
    from django.utils.html import escape

    from lacompare.hub.returns.models import AuditEntry, Return
    from lacompare.hub.returns_file import write_return_template

    round_, users, returns = network
    before = {r.pk: (r.version, dict(r.values), r.status) for r in Return.objects.all()}
    audit_before = AuditEntry.objects.count()
    rng = random.Random(2021)
    codes = sorted(users)
    cycle = codes[:]
    rng.shuffle(cycle)
    target_of = {a: cycle[(i + 1) % len(cycle)] for i, a in enumerate(cycle)}
    routes = _return_urls()
    assert {n for n, _ in routes} >= {
        "return",
        "autosave",
        "submit",
        "upload",
        "template",
        "history",
        "reopen",
        "accept",
        "profile",
        "profile-csv",
    }
    definition = round_.read_definition()
    leaks = []
    requests = 0
    for a in codes:
        client = Client(enforce_csrf_checks=True)
        client.force_login(users[a])
        own = returns[a]
        page = client.get(f"/returns/{own.pk}/")
        assert page.status_code == 200
        assert escape(returns[a].service.name) in page.content.decode()
        token = client.cookies["csrftoken"].value
        for b in [target_of[a]]:
            target = returns[b]
            secret = f"{50000 + codes.index(b)}"
            names = (target.service.name, escape(target.service.name))
            for name, route in routes:
                url = _url(route, target.pk)
                for method in ("get", "post"):
                    data = {
                        "csrfmiddlewaretoken": token,
                        "volunteers": "666",
                        "reason": "x",
                    }
                    if name == "upload" and method == "post":
                        data["file"] = _file(
                            write_return_template(
                                definition,
                                target.service.code,
                                b,
                                fmt="csv",
                                values={"volunteers": 666},
                            ),
                            "b.csv",
                        )
                    r = getattr(client, method)(url, data)
                    requests += 1
                    body = r.content.decode(errors="replace")
                    if (
                        r.status_code not in (404, 405)
                        or secret in body
                        or any(n in body for n in names)
                    ):
                        leaks.append((a, b, name, method, r.status_code))
        # A's own upload naming B's service is refused, and changes nothing anywhere.
        b = rng.choice([c for c in codes if c != a])
        r = client.post(
            f"/returns/{own.pk}/upload",
            {
                "csrfmiddlewaretoken": token,
                "file": _file(
                    write_return_template(
                        definition, b, b, fmt="csv", values={"volunteers": 666}
                    ),
                    "x.csv",
                ),
            },
        )
        assert r.status_code == 302
    assert leaks == []
    assert requests == 149 * len(routes) * 2
    after = {r.pk: (r.version, dict(r.values), r.status) for r in Return.objects.all()}
    assert after == before
    assert AuditEntry.objects.count() == audit_before


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_anonymous_visitors_see_only_the_login_page(network):
    from django.test import Client

    from lacompare.hub.urls import urlpatterns

    round_, _, returns = network
    ret = next(iter(returns.values()))
    client = Client()
    seen = []
    for p in urlpatterns:
        route = "/" + str(p.pattern)
        url = _url(route, ret.pk).replace("<slug:slug>", round_.slug)
        for method in ("get", "post"):
            r = getattr(client, method)(url, {"volunteers": "1"})
            seen.append((url, method, r.status_code))
            if url in ("/login/", "/hub.js"):
                continue
            assert r.status_code == 302, (url, method, r.status_code)
            assert r["Location"].startswith("/login/"), (url, r["Location"])
            assert ret.service.name.encode() not in r.content
    login = client.get("/login/")
    assert login.status_code == 200 and b"Sign in" in login.content
    assert ret.service.name.encode() not in login.content
    assert len(seen) == 2 * len(urlpatterns)


def test_reviewer_sees_all_submitter_pages_refuse_reviewer_actions(network):
    from django.contrib.auth.models import Group, Permission, User
    from django.test import Client

    round_, users, returns = network
    reviewer = Client()
    user, _ = User.objects.get_or_create(username="network")
    group, _ = Group.objects.get_or_create(name="network reviewers")
    group.permissions.add(Permission.objects.get(codename="review_returns"))
    user.groups.add(group)
    reviewer.force_login(user)
    page = reviewer.get(f"/rounds/{round_.slug}/").content.decode()
    assert "149 services" in page
    for ret in list(returns.values())[:10]:
        assert reviewer.get(f"/returns/{ret.pk}/").status_code == 200
    submitter = Client()
    submitter.force_login(next(iter(users.values())))
    assert submitter.get(f"/rounds/{round_.slug}/").status_code == 404
    assert submitter.post(f"/rounds/{round_.slug}/remind").status_code == 404
    assert submitter.get("/admin/returns/return/").status_code == 302  # admin login
