"""Uploads through the web app (issue 14): capped in size, workbooks measured and
read in a child process, so no file takes the server down and a failed upload
changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("shiny")
from starlette.applications import Starlette  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from lacompare.dashboard._state import DashboardStore  # noqa: E402
from lacompare.dashboard._upload import UploadLimit  # noqa: E402
from lacompare.errors import InputError  # noqa: E402
from tests import hostile_workbooks as hostile  # noqa: E402


@pytest.fixture
def state(tmp_path: Path):
    state = DashboardStore(tmp_path / "s.duckdb")
    yield state
    state.close()


def _sources(state: DashboardStore) -> int:
    with state.store() as s:
        return int(s.con.execute("SELECT count(*) FROM sources").fetchone()[0])


def _good_load_works(state: DashboardStore, tmp_path: Path) -> None:
    """The next upload after a refused one loads (the handler keeps serving)."""
    good = tmp_path / "0.csv"
    good.write_text("local_authority,n\nLeeds,1\nYork,2\n", encoding="utf-8")
    result = state.load(good, "good.csv", period="2021")
    assert result.observations == 2 and _sources(state) == 1


def test_the_far_cell_workbook_is_refused_and_changes_nothing(state, tmp_path):
    upload = tmp_path / "0.xlsx"  # where the web server saved it
    upload.write_bytes(hostile.far_cells_xlsx())
    with pytest.raises(InputError) as err:
        state.load(upload, "s.xlsx", period="2021")
    assert str(err.value) == (
        "s.xlsx, sheet 'Sheet1': the sheet spans 1,048,576 rows × 16,384 columns "
        "(declared A1:XFD1048576); lacompare reads at most 10,000,000 cells (set "
        "LACOMPARE_WORKBOOK_MAX_CELLS to raise it)"
    )
    assert _sources(state) == 0 and state.version == 0
    assert not any(state.uploads_folder().glob("*/s.xlsx"))
    _good_load_works(state, tmp_path)


def test_a_reader_abort_is_an_error_and_the_server_carries_on(
    state, tmp_path, monkeypatch
):
    """With the limits lifted, python-calamine aborts on the file: in the child
    process the web app reads uploads in, not in the server."""
    for key, value in hostile.NO_LIMITS.items():
        monkeypatch.setenv(key, value)
    upload = tmp_path / "0.xlsx"
    upload.write_bytes(hostile.far_cells_xlsx())
    with pytest.raises(InputError) as err:
        state.load(upload, "s.xlsx", period="2021")
    assert str(err.value).startswith("s.xlsx: the spreadsheet reader "), err.value
    assert "nothing was loaded" in str(err.value)
    assert _sources(state) == 0
    _good_load_works(state, tmp_path)


@pytest.mark.parametrize(
    "make, name",
    [
        (hostile.far_cells_ods, "s.ods"),
        (lambda: hostile.zip_bomb_xlsx(200), "bomb.xlsx"),
    ],
    ids=["ods", "zip-bomb"],
)
def test_other_hostile_workbooks_are_refused(make, name, state, tmp_path):
    upload = tmp_path / ("0" + Path(name).suffix)
    upload.write_bytes(make())
    with pytest.raises(InputError, match=rf"^{name}, sheet 'Data': "):
        state.load(upload, name, period="2021")
    assert _sources(state) == 0


def test_an_upload_over_the_cap_is_refused_before_it_is_read(
    state, tmp_path, monkeypatch
):
    upload = tmp_path / "0.csv"
    upload.write_text("local_authority,n\n" + "Leeds,1\n" * 300, encoding="utf-8")
    state.max_upload_bytes = 1000
    with pytest.raises(
        InputError,
        match=r"^big\.csv: the file is 2,418 bytes; the "
        "web app accepts at most 1,000 bytes",
    ):
        state.load(upload, "big.csv", period="2021")
    state.max_upload_bytes = None
    monkeypatch.setenv("LACOMPARE_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(InputError, match="set LACOMPARE_MAX_UPLOAD_MB to raise it"):
        state.load(upload, "big.csv", period="2021")
    assert _sources(state) == 0


class _Limit:
    max_upload_bytes = 1000


def _echo_app() -> Starlette:
    async def upload(request):
        body = await request.body()
        return PlainTextResponse(f"got {len(body)}")

    return Starlette(
        routes=[Route("/session/s/upload/{job}", upload, methods=["POST"])]
    )


def test_upload_limit_refuses_a_large_body_as_it_arrives():
    client = TestClient(UploadLimit(_echo_app(), _Limit()))
    assert client.post("/session/s/upload/1", content=b"x" * 999).text == "got 999"
    declared = client.post("/session/s/upload/1", content=b"x" * 5000)
    assert declared.status_code == 413
    assert declared.text.startswith(
        "error: the file is 5,000 bytes; the web app accepts at most 1,000 bytes"
    )

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(10):
            yield b"x" * 600

    streamed = client.post("/session/s/upload/1", content=chunks())
    assert streamed.status_code == 413, streamed.text
    assert "accepts at most 1,000 bytes" in streamed.text
    assert client.post("/session/s/upload/1", content=b"ok").text == "got 2"


def test_the_web_app_caps_uploads(tmp_path, monkeypatch):
    from lacompare.dashboard.app import create_app

    monkeypatch.setenv("LACOMPARE_MAX_UPLOAD_MB", "1")
    with TestClient(create_app(tmp_path / "s.duckdb")) as client:
        r = client.post("/session/abc/upload/def", content=b"x" * (2 << 20))
        assert r.status_code == 413
        assert "the web app accepts at most 1.0 MB" in r.text
        assert client.get("/healthz").text == "ok"
