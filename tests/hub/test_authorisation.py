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
    return (
        route.replace("<int:pk>", str(pk))
        .replace("<str:fmt>", "xlsx")
        .replace("<int:version>", "1")
        .replace("<uidb64>", "MQ")
        .replace("<token>", "not-a-token")
    )


#: Pages open without a login: signing in, and setting a password from a one-time
#: link (an invitation or a reset) or asking for a reset link.
PUBLIC_PAGES = (
    "/login/",
    "/hub.js",
    "/password-reset/",
    "/password-reset/sent",
    "/password-reset/done",
    "/reset/MQ/not-a-token/",
    "/invite/MQ/not-a-token/",
)


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


#: Services of the sub-round whose every ordered pair is tried on every URL × method.
SUB_ROUND = 10
#: Tables whose contents must be byte-for-byte the same after every attack.
GUARDED_TABLES = (
    "returns_return",
    "returns_auditentry",
    "returns_publication",
    "returns_service",
    "returns_membership",
    "returns_round",
)


def _snapshot() -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row's text, per guarded table: any change to any
    return, comment, status, version or audit entry shows up as a different digest."""
    from django.db import connection

    found = {}
    with connection.cursor() as cur:
        for table in GUARDED_TABLES:
            cur.execute(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY "
                f"t.id)), '') FROM {table} t"
            )
            found[table] = tuple(cur.fetchone())
    return found


def _secrets(returns: dict, codes: list[str]) -> dict[str, tuple[str, ...]]:
    """What would show that B's return leaked: its distinctive population figure (set
    in the fixture) and its service's name (raw and HTML-escaped)."""
    from django.utils.html import escape

    return {
        code: (
            str(50000 + codes.index(code)),
            returns[code].service.name,
            escape(returns[code].service.name),
        )
        for code in codes
    }


def _leaked(response, secrets: tuple[str, ...]) -> bool:
    """A request for B's return leaked unless it was refused (404: B's return is not
    even shown to exist; 405: the URL does not take that method) and its body names
    nothing of B. A redirect or 200 counts as a leak whatever it shows."""
    body = response.content.decode(errors="replace")
    return response.status_code not in (404, 405) or any(s in body for s in secrets)


def _attacker(users: dict, returns: dict, code: str):
    """A's logged-in client (CSRF enforced) and its CSRF token, after checking that A
    does see its own return: the refusals below are not a broken login."""
    from django.test import Client
    from django.utils.html import escape

    client = Client(enforce_csrf_checks=True)
    client.force_login(users[code])
    page = client.get(f"/returns/{returns[code].pk}/")
    assert page.status_code == 200, (code, page.status_code)
    assert escape(returns[code].service.name) in page.content.decode()
    return client, client.cookies["csrftoken"].value


def test_leak_detector_sees_a_leak(network):
    """The detector used below is not blind: a reviewer, who may read any return, is
    shown B's figures and name, and that counts as a leak."""
    from django.contrib.auth.models import Group, Permission, User
    from django.test import Client

    _, users, returns = network
    codes = sorted(users)
    secrets = _secrets(returns, codes)
    user, _ = User.objects.get_or_create(username="detector-check")
    group, _ = Group.objects.get_or_create(name="network reviewers")
    group.permissions.add(Permission.objects.get(codename="review_returns"))
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    b = codes[7]
    assert _leaked(client.get(f"/returns/{returns[b].pk}/"), secrets[b])
    assert _leaked(client.get(f"/returns/{returns[b].pk}/template.csv"), secrets[b])


def test_every_pair_of_all_149_is_refused_over_http(network):
    """Every ordered pair (A, B), A ≠ B, of the 149 services (149 × 148 = 22,052
    pairs), one HTTP request each through the whole middleware stack (Django's test
    client, in-process, CSRF enforced): A's submitter either asks for B's return page
    (GET /returns/B/, the read URL) or saves into it through the autosave URL (POST
    /returns/B/autosave with A's valid CSRF token, what the browser's autosave
    sends), alternating by pair (read when A's and B's positions in the sorted list
    add up to an even number), so every attacker both reads and saves and every
    return is both read and saved by about half the others: 10,952 reads and 11,100
    saves.
    Each must be refused with 404 and name nothing of B. One login per attacker,
    reused across its 148 targets; each attacker's requests run in one transaction
    that is checked (no return, comment, status, version or audit entry changed
    anywhere) and then rolled back, so an attack that got through is seen before it
    is undone. Both URLs for every pair (44,104 requests) took 9 minutes on the
    shared 2-CPU development machine (this test, one request a pair: about 5 there),
    too long for CI; every URL, both methods and the upload
    for every pair are covered on a sub-round by the next test, and the gate behind
    all of them for every pair at the action layer above."""
    from django.db import transaction

    _, users, returns = network
    codes = sorted(users)
    secrets = _secrets(returns, codes)
    before = _snapshot()
    leaks, changed, pairs = [], [], 0
    sent = {"read": 0, "save": 0}
    for i, a in enumerate(codes):
        client, token = _attacker(users, returns, a)
        save = {"csrfmiddlewaretoken": token, "volunteers": "666", "reason": "x"}
        with transaction.atomic():
            for j, b in enumerate(codes):
                if b == a:
                    continue
                pairs += 1
                base = f"/returns/{returns[b].pk}/"
                if (i + j) % 2 == 0:
                    kind, r = "read", client.get(base)
                else:
                    kind, r = "save", client.post(base + "autosave", save)
                sent[kind] += 1
                if _leaked(r, secrets[b]):
                    leaks.append((a, b, kind, r.status_code))
            if _snapshot() != before:
                changed.append(a)
            transaction.set_rollback(True)
    summary = (
        f"{pairs:,} ordered pairs, {sent['read'] + sent['save']:,} requests "
        f"({sent['read']:,} reads, {sent['save']:,} saves)"
    )
    assert pairs == 149 * 148, summary
    # Pairs (A, A) are left out and all have an even sum: 10,952 reads, 11,100 saves.
    assert sent == {"read": 10952, "save": 11100}, summary
    assert leaks == [], f"{len(leaks)} leak(s) in {summary}: {leaks[:10]}"
    assert changed == [], f"attacks by {changed[:10]} changed the database ({summary})"
    assert _snapshot() == before


def test_every_pair_of_a_sub_round_on_every_url_method_and_upload(network):
    """Every ordered pair (A, B), A ≠ B, of SUB_ROUND services (10 × 9 = 90 pairs;
    a fixed random sample of the 149, seed 2021), on every URL that names a return
    (read from the URL configuration, so a new page is covered without editing this
    test; the template in both formats), each by GET and by POST (with A's valid
    CSRF token and a form changing a field and giving a reason; to the upload URL, a
    CSV of the hub's template for B's service) — 11 URLs × 2 methods — plus the
    upload by the other way in: A's own upload URL given B's template, which must be
    refused as naming another service (its redirect back to A's page followed, to
    read the refusal). 24 requests a pair, 2,160 in all. Each
    request for B's return must be refused (404, or 405 for a method the URL does
    not take) and name nothing of B; the upload into A's own return must be
    refused too (A's return not changed). Each attacker runs in one transaction,
    checked (nothing changed in any return or the audit trail) and rolled back."""
    from django.db import transaction

    from lacompare.hub.returns_file import write_return_template

    round_, users, returns = network
    codes = sorted(users)
    secrets = _secrets(returns, codes)
    sample = sorted(random.Random(2021).sample(codes, SUB_ROUND))
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
    urls = []
    for name, route in routes:
        formats = ("xlsx", "csv") if "<str:fmt>" in route else ("",)
        urls += [(name, route, fmt) for fmt in formats]
    definition = round_.read_definition()
    templates = {
        b: write_return_template(
            definition,
            returns[b].service.code,
            returns[b].service.name,
            fmt="csv",
            values={"volunteers": 666},
        )
        for b in sample
    }
    before = _snapshot()
    leaks, changed, requests, pairs = [], [], 0, 0
    for a in sample:
        client, token = _attacker(users, returns, a)
        own = returns[a].pk
        with transaction.atomic():
            for b in sample:
                if b == a:
                    continue
                pairs += 1
                pk = returns[b].pk
                for name, route, fmt in urls:
                    url = route.replace("<int:pk>", str(pk)).replace("<str:fmt>", fmt)
                    for method in ("get", "post"):
                        data = {
                            "csrfmiddlewaretoken": token,
                            "volunteers": "666",
                            "reason": "x",
                        }
                        if name == "upload" and method == "post":
                            data["file"] = _file(templates[b], f"{b}.csv")
                        r = getattr(client, method)(url, data)
                        requests += 1
                        if _leaked(r, secrets[b]):
                            leaks.append((a, b, name, fmt, method, r.status_code))
                # B's template uploaded to A's own return: refused, nothing saved.
                r = client.post(
                    f"/returns/{own}/upload",
                    {
                        "csrfmiddlewaretoken": token,
                        "file": _file(templates[b], f"{b}.csv"),
                    },
                    follow=True,
                )
                requests += 1 + len(r.redirect_chain)
                page = r.content.decode(errors="replace")
                if (
                    [code for _, code in r.redirect_chain] != [302]
                    or r.status_code != 200
                    or "Nothing was saved" not in page
                ):
                    leaks.append((a, b, "own-upload", "csv", "post", r.status_code))
            if _snapshot() != before:
                changed.append(a)
            transaction.set_rollback(True)
    per_pair = 2 * len(urls) + 2
    summary = (
        f"{pairs:,} ordered pairs of {len(sample)} services × ({len(urls)} URLs × "
        f"2 methods + 1 own upload and its redirect) = {requests:,} requests"
    )
    assert pairs == SUB_ROUND * (SUB_ROUND - 1), summary
    assert requests == pairs * per_pair, summary
    assert leaks == [], f"{len(leaks)} leak(s) in {summary}: {leaks[:10]}"
    assert changed == [], f"attacks by {changed[:10]} changed the database ({summary})"
    assert _snapshot() == before


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
            if url in PUBLIC_PAGES:
                assert r.status_code in (200, 405), (url, method, r.status_code)
                assert ret.service.name.encode() not in r.content
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
