"""Killing the real server (gunicorn, kill -9) mid-submission loses nothing that was
acknowledged: every save answered 'saved' is in PostgreSQL after a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.hub.conftest import PASSWORD, SECRET_KEY


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "LACOMPARE_HUB_DATABASE_URL": url,
        "LACOMPARE_HUB_SECRET_KEY": SECRET_KEY,
        "LACOMPARE_HUB_ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "lacompare.hub.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
        ],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import httpx

    for _ in range(200):
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/login/", timeout=1).status_code
                == 200
            ):
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode()[-2000:])
    raise RuntimeError("the hub did not start")


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the master and every worker, at once
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def _login(base: str, username: str):
    import httpx

    client = httpx.Client(base_url=base, timeout=10)
    client.get("/login/")
    r = client.post(
        "/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert r.status_code == 302, r.text[:500]
    return client


def test_kill_minus_nine_mid_submission_loses_nothing_acknowledged(
    make_round, make_user, hub
):
    pytest.importorskip("gunicorn")
    httpx = pytest.importorskip("httpx")
    from lacompare.hub.returns.models import AuditEntry, Return
    from tests.hub.conftest import demo_services, full_answers

    services = demo_services(8)
    make_round(services)
    for s in services:
        make_user(f"u-{s['code']}", s["code"])
    from tests.hub.conftest import matching_previous

    Return.objects.update(previous=matching_previous(full_answers()))
    returns = {
        r.service.code: r.pk for r in Return.objects.all().select_related("service")
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(hub, port)
    acked: dict[str, list[int]] = {s["code"]: [] for s in services}
    submitted: dict[str, bool] = {}
    stop = threading.Event()

    def submitter(code: str) -> None:
        client = _login(base, f"u-{code}")
        pk = returns[code]
        token = client.cookies["csrftoken"]
        answers = full_answers()
        n = 0
        while not stop.is_set():
            n += 1
            answers["helpline_enquiries"] = str(n)
            try:
                r = client.post(
                    f"/returns/{pk}/autosave",
                    data={**answers, "csrfmiddlewaretoken": token},
                    headers={"X-CSRFToken": token},
                )
            except httpx.TransportError:
                return  # the server died: this save was never acknowledged
            if r.status_code == 200 and r.json()["saved"]:
                acked[code].append(n)
            if n == 10 and code.startswith(("b", "c")):
                # Two services submit early on; their later saves must be refused
                # (409) while the others keep saving until the kill.
                try:
                    r = client.post(
                        f"/returns/{pk}/submit", data={"csrfmiddlewaretoken": token}
                    )
                except httpx.TransportError:
                    return
                submitted[code] = r.status_code == 302

    threads = [threading.Thread(target=submitter, args=(s["code"],)) for s in services]
    try:
        for t in threads:
            t.start()
        deadline = time.time() + 30
        while time.time() < deadline and sum(map(len, acked.values())) < 120:
            time.sleep(0.05)
        _kill(proc)  # mid-stream: requests are in flight
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert sum(map(len, acked.values())) >= 60
        proc = _start(hub, port)  # and the restarted server serves them
        client = _login(base, f"u-{services[0]['code']}")
        assert (
            client.get(f"/returns/{returns[services[0]['code']]}/").status_code == 200
        )
    finally:
        _kill(proc)
    lost = []
    for code, numbers in acked.items():
        if not numbers:
            continue
        ret = Return.objects.get(pk=returns[code])
        saved = int(ret.values["helpline_enquiries"])
        # The last acknowledged save is there (or a later one that committed just
        # before the kill, whose answer never arrived).
        if saved < numbers[-1]:
            lost.append((code, numbers[-1], saved))
        # Each acknowledged save left its audit entry (old → new) in the same commit.
        trail = set(
            AuditEntry.objects.filter(ret=ret, field="helpline_enquiries").values_list(
                "new", flat=True
            )
        )
        missing = [n for n in numbers if str(n) not in trail]
        if missing:
            lost.append((code, "audit", missing[:5]))
        if submitted.get(code):
            assert ret.status == "submitted" and numbers[-1] == 10
    assert lost == []
