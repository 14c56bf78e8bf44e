"""Load test of the returns hub: concurrent submitters saving and submitting.

    python bench/hub.py [--users 100] [--seconds 60] [--workers 4] [--threads 8]

Against the real server (gunicorn) and PostgreSQL (``LACOMPARE_HUB_DATABASE_URL``'s
server; a fresh database is made and dropped). Each of N submitters logs in, then
saves its draft (the autosave request) again and again for the given time, changing
one figure each time, and submits at the end. Afterwards every save the server
acknowledged is checked in the database (0 lost or corrupted). Reference: a trivial
logged-in page (``/whoami``: session and user lookup, no return) under the same
concurrency, on the same server, in the same run; the ratio is save p95 / reference p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-long-enough-1"
SECRET = "bench-" + "s" * 50


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k] * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--reference-seconds", type=float, default=15)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()

    import httpx
    import psycopg

    from lacompare.hub.settings import DEFAULT_DATABASE_URL

    base_url = os.environ.get("LACOMPARE_HUB_DATABASE_URL") or DEFAULT_DATABASE_URL
    name = f"lacompare_hub_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg.connect(base_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))
    env = {
        **os.environ,
        "LACOMPARE_HUB_DATABASE_URL": url,
        "LACOMPARE_HUB_SECRET_KEY": SECRET,
        "LACOMPARE_HUB_ALLOWED_HOSTS": "127.0.0.1",
        # 100 submitters from one address: the login limit is not what we measure.
        "LACOMPARE_HUB_LOGIN_ATTEMPTS": "1000",
        "LACOMPARE_HUB_LOGIN_ADDRESS_ATTEMPTS": "1000",
    }
    os.environ.update(
        {k: env[k] for k in ("LACOMPARE_HUB_DATABASE_URL", "LACOMPARE_HUB_SECRET_KEY")}
    )
    proc = None
    # Stopped with SIGTERM: still stop the server and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        import importlib

        import lacompare.hub.settings

        importlib.reload(lacompare.hub.settings)  # read the bench database's URL
        from lacompare.hub import setup_django

        setup_django()
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        from lacompare.demo import demo_data_path
        from lacompare.hub.returns.models import AuditEntry, Membership, Return, Service
        from lacompare.hub.returns.workflow import create_round, read_services

        call_command("migrate", verbosity=0)
        services = read_services(demo_data_path(), as_of="2021-03-31")[: args.users]
        now = timezone.now()
        create_round(
            None,
            opens_at=now - dt.timedelta(days=1),
            closes_at=now + dt.timedelta(days=1),
            services=services,
        )
        hashed = make_password(PASSWORD)
        for s in services:
            user = User.objects.create(username=f"u-{s['code']}", password=hashed)
            Membership.objects.create(
                user=user, service=Service.objects.get(code=s["code"])
            )
        pks = {r.service.code: r.pk for r in Return.objects.select_related("service")}
        connections.close_all()

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "lacompare.hub.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--backlog",
                "2048",
                "--timeout",
                "120",
            ],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                httpx.get(base + "/login/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)

        clients: dict[str, httpx.Client] = {}

        def login(code: str) -> None:
            c = httpx.Client(base_url=base, timeout=60)
            c.get("/login/")
            r = c.post(
                "/login/",
                data={
                    "username": f"u-{code}",
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": c.cookies["csrftoken"],
                },
            )
            assert r.status_code == 302, r.text[:300]
            clients[code] = c

        # Log in a few at a time: Argon2 is meant to be slow, and logins are not what
        # this measures.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(login, [s["code"] for s in services]))

        def run(phase_seconds: float, work) -> dict[str, list[float]]:
            lat: dict[str, list[float]] = {"save": [], "submit": [], "reference": []}
            errors: list[str] = []
            start = threading.Barrier(len(services))

            def loop(code: str) -> None:
                start.wait()
                try:
                    work(code, clients[code], time.perf_counter() + phase_seconds, lat)
                except Exception as exc:  # counted, never hidden
                    errors.append(f"{code}: {type(exc).__name__}: {exc}")

            ts = [threading.Thread(target=loop, args=(s["code"],)) for s in services]
            t0 = time.perf_counter()
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            lat["wall"] = [time.perf_counter() - t0]
            lat["errors"] = errors  # type: ignore[assignment]
            return lat

        def reference(code, client, until, lat):
            while time.perf_counter() < until:
                t = time.perf_counter()
                r = client.get("/whoami")
                lat["reference"].append(time.perf_counter() - t)
                assert r.status_code == 200

        acked: dict[str, int] = {}
        sent: dict[str, int] = {}

        def submitter(code, client, until, lat):
            pk = pks[code]
            token = client.cookies["csrftoken"]
            n = 0
            while time.perf_counter() < until:
                n += 1
                sent[code] = n
                data = {
                    "helpline_enquiries": str(n),
                    "volunteers": str(n % 50),
                    "csrfmiddlewaretoken": token,
                }
                if n == 1:
                    data.update(
                        population_0_25="100000",
                        funding_la="150000",
                        funding_social_care="20000",
                        funding_health="25000",
                        funding_other="5000",
                        funding_total="200000",
                        fte_staff="4.5",
                        delivery="In-House",
                        joint_health_and_social_care="no",
                        joint_health_only="no",
                        joint_social_care_only="no",
                    )
                t = time.perf_counter()
                r = client.post(
                    f"/returns/{pk}/autosave", data=data, headers={"X-CSRFToken": token}
                )
                lat["save"].append(time.perf_counter() - t)
                if r.status_code == 200 and r.json()["saved"]:
                    acked[code] = n
                else:
                    raise RuntimeError(f"save {n} answered {r.status_code}")
            t = time.perf_counter()
            r = client.post(
                f"/returns/{pk}/submit", data={"csrfmiddlewaretoken": token}
            )
            lat["submit"].append(time.perf_counter() - t)
            if r.status_code != 302:
                raise RuntimeError(f"submit answered {r.status_code}")

        ref = run(args.reference_seconds, reference)
        load = run(args.seconds, submitter)

        # Every acknowledged value must be in the database, exactly.
        lost, corrupted = [], []
        for code, pk in pks.items():
            ret = Return.objects.get(pk=pk)
            value = ret.values.get("helpline_enquiries")
            if code in acked and value != str(acked[code]):
                lost.append((code, acked[code], value))
            if ret.values.get("volunteers") != str(acked.get(code, 0) % 50):
                corrupted.append((code, ret.values.get("volunteers")))
            if ret.status != "submitted":
                corrupted.append((code, ret.status))
        audit = AuditEntry.objects.filter(field="helpline_enquiries").count()
        saves = len(load["save"])
        print(
            f"hub load test: {len(services)} submitters, {args.seconds:.0f} s, "
            f"gunicorn {args.workers} workers x {args.threads} threads, "
            f"{os.cpu_count()} CPUs, PostgreSQL on loopback"
        )
        print(
            f"{'request':<28}{'n':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
            f"{'per s':>9}"
        )
        for label, key, res in (
            ("reference GET /whoami", "reference", ref),
            ("save (autosave POST)", "save", load),
            ("submit (POST)", "submit", load),
        ):
            v = res[key]
            print(
                f"{label:<28}{len(v):>8}{_pct(v, 50):>10.1f}{_pct(v, 95):>10.1f}"
                f"{_pct(v, 99):>10.1f}{len(v) / res['wall'][0]:>9.0f}"
            )
        ratio = _pct(load["save"], 95) / _pct(ref["reference"], 95)
        print(f"ratio save p95 / reference p95: {ratio:.2f}x")
        print(
            f"acknowledged saves: {saves - len(load['errors'])}; audit entries for the "
            f"changed figure: {audit}; lost: {len(lost)}; corrupted: {len(corrupted)}; "
            f"request errors: {len(load['errors']) + len(ref['errors'])}"
        )
        for line in (lost + corrupted)[:10] + (load["errors"] + ref["errors"])[:10]:
            print("  ", line)
        connections.close_all()
        if lost or corrupted or audit != sum(acked.values()):
            sys.exit(1)
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
