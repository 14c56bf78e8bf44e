"""Benchmark: ``lacompare serve`` under load on loopback.

Starts the web app as a subprocess (``python -m lacompare serve``) on a free port
of 127.0.0.1 over a generated store (``bench/analysis.py``'s: 153 authorities ×
450 measures × 15 years, with a neighbour set) or ``--db``, then:

1. warm-up: each page once, one at a time (cold times: the first request for an
   authority builds its profile; later ones are served from the app's cache
   until a load changes the store);
2. load: ``--clients`` concurrent clients (default 50) for ``--seconds`` (default
   30), each requesting pages in turn: the profile table of one of
   ``--authorities`` authorities (``/table/profile``), the measure explorer's
   table for a measure × comparison group (``/table/measure``), and the Shiny
   page itself (``/?page=…``, built per request from the query string);
3. reference: the same clients for the same time against ``/healthz`` (a
   one-line response from the same server: the cost of the HTTP stack alone).

Prints p50/p95/p99/max latency, requests per second and errors for each, and the
ratio of the pages' p95 to the reference's. Target: pages p95 < 150 ms with 0
errors.

The clients are Debian's ``wrk`` (``apt-get install wrk``; ``--client wrk``, the
default when it is installed): a C load generator whose 2 threads leave the
machine's CPU to the server. ``--client httpx`` runs them as Python asyncio
clients instead, which on a 2-core machine take about as much CPU as the server
and so measure the client as much as the app. Run from the repository root::

    PYTHONPATH=. python3 bench/web.py
    PYTHONPATH=. python3 bench/web.py --db my.duckdb --clients 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET_P95 = 0.150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    out = log.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lacompare",
            "serve",
            "--db",
            str(db),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).text == "ok":
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.25)
    proc.terminate()
    raise SystemExit(f"lacompare serve did not start:\n{log.read_text()}")


def pick_pages(db: Path, n_authorities: int) -> list[str]:
    """Page paths: profiles of n authorities on three headline measures (the
    dashboard's defaults where the store has them, else three with a polarity),
    the explorer for those measures × (England + each region), the Shiny pages."""
    from urllib.parse import urlencode

    from lacompare.dashboard._views import measure_key, read_headline_measures
    from lacompare.store import open_store

    with open_store(db, read_only=True) as store:
        # The dashboard's default headline measures where the store has them
        # (a national store: CLA, CIN rates…), else three with a polarity.
        have = store.query(
            "SELECT DISTINCT measure, breakdown FROM observations "
            "WHERE value IS NOT NULL"
        )
        keys = {
            measure_key(m, b)
            for m, b in zip(have["measure"], have["breakdown"], strict=True)
        }
        by_slot: dict[str, str] = {}
        for slot, key in read_headline_measures():
            if key in keys:
                by_slot.setdefault(slot, key)
        polar = list(by_slot.values())[:3]
        polar = (
            polar
            or store.query(
                "SELECT measure FROM measures WHERE polarity <> 'neutral' "
                "AND measure IN (SELECT DISTINCT measure FROM observations) "
                "ORDER BY measure LIMIT 3"
            )["measure"].tolist()
        )
        # Authorities with a value for the first measure (abolished ones have
        # none in recent releases, and their profile is rightly a 404).
        first = polar[0]
        measure, _, breakdown = first.partition("[")
        las = store.query(
            "SELECT DISTINCT la_code FROM observations WHERE measure = ? "
            "AND breakdown = ? AND value IS NOT NULL ORDER BY la_code",
            [measure, breakdown[:-1] if breakdown else ""],
        )["la_code"]
        regions = store.query(
            "SELECT DISTINCT region FROM authorities WHERE region IS NOT NULL "
            "AND la_code IN (SELECT la_code FROM observations) ORDER BY 1"
        )["region"].tolist()
    step = max(1, len(las) // n_authorities)
    chosen = list(las[::step][:n_authorities])
    pages = [
        f"/table/profile?{urlencode([('la', la)] + [('m', m) for m in polar])}"
        for la in chosen
    ]
    for measure in polar:
        for group in ["england", *[f"region:{r}" for r in regions]]:
            query = urlencode({"measure": measure, "group": group})
            pages.append(f"/table/measure?{query}")
    pages += [f"/?{urlencode({'page': 'profile', 'la': la})}" for la in chosen[:5]]
    pages += [f"/?{urlencode({'page': 'measure', 'measure': m})}" for m in polar]
    return pages


async def load(
    url: str, paths: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker(k: int) -> None:
            i = k
            while time.perf_counter() < stop:
                path = paths[i % len(paths)]
                i += clients
                t0 = time.perf_counter()
                try:
                    r = await client.get(path)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {path}")
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__} {path}")
                latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(clients)))
        elapsed = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed}


WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("LACOMPARE_BENCH_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %f %f %f %f %f %d\\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e6, latency:percentile(95) / 1e6,
    latency:percentile(99) / 1e6, latency.max / 1e6,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def load_wrk(
    url: str, paths: list[str], clients: int, seconds: float, work: Path
) -> dict[str, Any]:
    """The same load from ``wrk``: 2 threads, ``clients`` connections."""
    listed = work / "paths.txt"
    listed.write_text("\n".join(paths) + "\n")
    script = work / "paths.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds:.0f}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LACOMPARE_BENCH_PATHS": str(listed)},
    )
    fields = next(
        line for line in out.stdout.splitlines() if line.startswith("RESULT")
    ).split()[1:]
    n, elapsed, p50, p95, p99, worst, errors = fields
    return {
        "n": int(n),
        "elapsed": float(elapsed),
        "q": {
            "p50": float(p50),
            "p95": float(p95),
            "p99": float(p99),
            "max": float(worst),
        },
        "errors": [f"{errors} non-2xx or socket errors"] if int(errors) else [],
    }


def quantiles(values: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": qs[49], "p95": qs[94], "p99": qs[98], "max": max(values)}


def summary(result: dict[str, Any]) -> tuple[int, dict[str, float]]:
    if "q" in result:  # wrk measured it
        return result["n"], result["q"]
    return len(result["latencies"]), quantiles(result["latencies"])


def line(name: str, result: dict[str, Any]) -> str:
    n, q = summary(result)
    rate = n / result["elapsed"]
    return (
        f"{name:<28} {n:>7,} {rate:>8.0f}/s "
        f"{q['p50'] * 1000:>8.1f} {q['p95'] * 1000:>8.1f} {q['p99'] * 1000:>8.1f} "
        f"{q['max'] * 1000:>8.1f} {len(result['errors']):>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        type=Path,
        help="serve this store (default: "
        "generate bench/analysis.py's store in a temp folder)",
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--authorities", type=int, default=20)
    parser.add_argument(
        "--client",
        choices=("wrk", "httpx"),
        default=None,
        help="load generator (default: wrk when installed)",
    )
    args = parser.parse_args()
    import shutil

    client = args.client or ("wrk" if shutil.which("wrk") else "httpx")

    with tempfile.TemporaryDirectory(prefix="lacompare-bench-web-") as folder:
        work = Path(folder)
        db = args.db
        if db is None:
            sys.path.insert(0, str(HERE))
            from analysis import build_store

            db = work / "bench.duckdb"
            t0 = time.perf_counter()
            build_store(db)
            print(f"generated store {db.name} in {time.perf_counter() - t0:.1f} s")
        pages = pick_pages(db, args.authorities)
        proc, url = start_server(db, work / "serve.log")
        try:
            import httpx

            cold = []
            for path in pages:
                t0 = time.perf_counter()
                r = httpx.get(url + path, timeout=300)
                cold.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(
                        f"warm-up: {r.status_code} for {path}: {r.text[:300]}"
                    )
            print(
                f"warm-up: {len(pages)} pages, one at a time: median "
                f"{statistics.median(cold) * 1000:.0f} ms, max "
                f"{max(cold) * 1000:.0f} ms (first requests, building the cache)"
            )
            print(
                f"load: {args.clients} clients × {args.seconds:.0f} s on "
                f"127.0.0.1 (server pid {proc.pid}; clients: {client})"
            )
            if client == "wrk":
                pages_run = load_wrk(url, pages, args.clients, args.seconds, work)
                ref_run = load_wrk(url, ["/healthz"], args.clients, args.seconds, work)
            else:
                pages_run = asyncio.run(load(url, pages, args.clients, args.seconds))
                ref_run = asyncio.run(
                    load(url, ["/healthz"], args.clients, args.seconds)
                )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        f"{'':<28} {'requests':>7} {'rate':>10} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>7}"
    )
    print(line("pages (profile, explorer)", pages_run))
    print(line("reference: /healthz", ref_run))
    p95 = summary(pages_run)[1]["p95"]
    ref95 = summary(ref_run)[1]["p95"]
    met = p95 < TARGET_P95 and not pages_run["errors"]
    print(
        f"ratio (pages p95 / reference p95): {p95 / ref95:.1f}x; target p95 < "
        f"{TARGET_P95 * 1000:.0f} ms with 0 errors: {'met' if met else 'NOT met'}"
    )
    for err in sorted(set(pages_run["errors"]))[:10]:
        print(f"  error: {err}")


if __name__ == "__main__":
    main()
