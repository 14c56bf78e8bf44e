"""The web app's CSV download never starts a cell with formula text: measure labels
come from the headings of whatever file was loaded (or uploaded)."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from lacompare.dashboard.app import create_app  # noqa: E402
from tests.csv_cells import HOSTILE, NEGATIVE, assert_csv_safe, cells  # noqa: E402
from tests.hostile_store import hostile_store  # noqa: E402


def test_measure_download_csv(tmp_path):
    db, keys = hostile_store(tmp_path)
    with TestClient(create_app(db)) as client:
        texts = []
        for key in keys:
            page = client.get(f"/download/measure?measure={key}&format=csv")
            assert page.status_code == 200, page.text
            assert_csv_safe(page.text, planted=())
            assert NEGATIVE in cells(page.text)  # Leeds's value, still a number
            texts.append(page.text)
        # Each label (the table's heading) reached its download, quoted.
        for label in HOSTILE[:4]:
            assert any("'" + label in cells(t) for t in texts), label
