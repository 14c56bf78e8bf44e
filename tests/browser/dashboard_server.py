"""The web app's test server and the real files its browser tests load.

A ``lacompare serve`` process on a free port of 127.0.0.1, stopped by its fixture;
its output is printed if it fails to start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "lacompare" / "sources" / "specs"
CLA = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
IDACI = "deprivation/idaci2019_upper_tier_la_summary.csv"
SPEND = "spend/csc_spending_per_child_2024_25_dashboard_derived.csv"
#: The CLA breakdown the profile tests use (as the store spells it).
CLA_31_MARCH = "population_type=Children looked after on 31 March each year"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``lacompare serve`` process on 127.0.0.1."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("w")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lacompare",
                "serve",
                *args,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
        self._wait()

    def output(self) -> str:
        if not self._out.closed:  # stop() closes it; the log is still there
            self._out.flush()
        return self.log.read_text(errors="replace")

    def _wait(self, timeout: float = 90) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).text == "ok":
                    # The first page builds the vega-embed bundle: warm it here.
                    httpx.get(f"{self.url}/assets/vega-embed.js", timeout=60)
                    return
            except httpx.HTTPError:
                time.sleep(0.25)
        self.stop()
        pytest.fail(f"lacompare serve did not start; its output:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()
