"""The EES API client and ``lacompare fetch``, against a local server on 127.0.0.1
that replays recorded responses (tests/unit/fetch/recorded/, shaped as the API
documents)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from lacompare.errors import InputError, LacompareError
from lacompare.fetch import (
    EESApiError,
    EESClient,
    criteria_and,
    criteria_not,
    criteria_or,
    fetch_source,
    read_catalogue,
    read_fetches,
)

RECORDED = Path(__file__).with_name("recorded")
DS = "7f6b3a2e-5c1d-4e8f-9a0b-1c2d3e4f5a6b"
PUB = "d7329101-f275-4acc-b9ad-08d7b6d4b4e7"
RELEASE = "5b1f8c3e-2d4a-4e6b-9c8d-7a6b5c4d3e2f"
CLA_FILE = "3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f"


def _recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def _matches(criteria: dict | None, result: dict) -> bool:
    """The part of the query language the recording exercises: and/or/not over
    geographicLevels and timePeriods facets."""
    if not criteria:
        return True
    if "and" in criteria:
        return all(_matches(c, result) for c in criteria["and"])
    if "or" in criteria:
        return any(_matches(c, result) for c in criteria["or"])
    if "not" in criteria:
        return not _matches(criteria["not"], result)
    ok = True
    if "geographicLevels" in criteria:
        ok &= result["geographicLevel"] in criteria["geographicLevels"]["in"]
    if "timePeriods" in criteria:
        ok &= result["timePeriod"] in criteria["timePeriods"]["in"]
    return ok


class Replay:
    """Routes, plus scripted faults consumed first: (status, headers, body, delay)."""

    def __init__(self) -> None:
        self.faults: dict[tuple[str, str], list[tuple]] = {}
        self.requests: list[tuple[str, str, dict | None]] = []
        self.api_data_sets = True
        self.files: dict[str, bytes] = {}

    def answer(self, method: str, path: str, query: dict, body: dict | None):
        self.requests.append((method, path, body))
        queued = self.faults.get((method, path))
        if queued:
            return queued.pop(0)
        api = "/statistics/v1/"
        if path == api + "publications":
            if not self.api_data_sets:
                return (
                    200,
                    {},
                    json.dumps(
                        {
                            "paging": {
                                "page": 1,
                                "pageSize": 40,
                                "totalResults": 0,
                                "totalPages": 0,
                            },
                            "results": [],
                        }
                    ).encode(),
                    0,
                )
            return 200, {}, _recorded("publications.json"), 0
        if path == f"{api}publications/{PUB}/data-sets":
            return 200, {}, _recorded("data_sets.json"), 0
        if path == f"{api}data-sets/{DS}":
            return 200, {}, _recorded("data_set.json"), 0
        if path in (
            f"{api}data-sets/{DS}/versions/1.0",
            f"{api}data-sets/{DS}/versions/1.*",
        ):
            return 200, {}, _recorded("version_1.0.json"), 0
        if path == f"{api}data-sets/{DS}/versions/1.1/changes":
            return 200, {}, _recorded("changes_1.1.json"), 0
        if path == f"{api}data-sets/{DS}/meta":
            return 200, {}, _recorded("meta.json"), 0
        if path == f"{api}data-sets/{DS}/query" and method == "POST":
            body = body or {}
            periods = [
                tp
                for c in (body.get("criteria") or {}).get("and", [])
                for tp in c.get("timePeriods", {}).get("in", [])
            ]
            if any(tp["code"] not in ("RY", "AY", "FY", "CY") for tp in periods):
                return 400, {}, _recorded("query_400.json"), 0
            rows = [
                r
                for r in json.loads(_recorded("query_results.json"))["results"]
                if _matches(body.get("criteria"), r)
            ]
            size, page = int(body.get("pageSize", 1000)), int(body.get("page", 1))
            pages = max(1, -(-len(rows) // size))
            warnings = [] if rows else [json.loads(_recorded("query_warning.json"))]
            return (
                200,
                {},
                json.dumps(
                    {
                        "paging": {
                            "page": page,
                            "pageSize": size,
                            "totalResults": len(rows),
                            "totalPages": pages,
                        },
                        "results": rows[(page - 1) * size : page * size],
                        "warnings": warnings,
                    }
                ).encode(),
                0,
            )
        if path == (
            "/content/api/publications/"
            "children-looked-after-in-england-including-adoptions/releases/latest"
        ):
            return 200, {}, _recorded("release_latest.json"), 0
        if path == f"/content/api/releases/{RELEASE}/files/{CLA_FILE}":
            return (
                200,
                {"Content-Type": "text/csv"},
                _recorded("cla_release_file.csv"),
                0,
            )
        if path in self.files:
            return 200, {}, self.files[path], 0
        return (
            404,
            {},
            json.dumps(
                {
                    "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
                    "title": "Not Found",
                    "status": 404,
                }
            ).encode(),
            0,
        )


@pytest.fixture
def server():
    replay = Replay()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, headers, payload, delay = replay.answer(
                method, url.path, parse_qs(url.query), body
            )
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host = f"http://127.0.0.1:{httpd.server_address[1]}"
    replay.api = f"{host}/statistics/v1"
    replay.content = f"{host}/content/api"
    replay.host = host
    yield replay
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(server):
    waits: list[float] = []
    c = EESClient(
        server.api,
        server.content,
        timeout=2,
        retries=3,
        backoff=0.01,
        sleep=waits.append,
    )
    c.recorded_waits = waits
    yield c
    c.close()


def test_meta_resolves_ids_to_labels(client):
    meta = client.meta(DS, "1.1")
    assert meta.indicators["rT5kQ"]["column"] == "rate_per_10000"
    assert meta.filters["pT7xQ"]["options"]["a31Mr"].startswith("Children looked after")
    assert meta.locations[("LA", "lCl01")]["oldCode"] == "201"
    assert meta.indicator_ids(["children_count", "rT5kQ"]) == ["cC9nB", "rT5kQ"]
    with pytest.raises(InputError, match="no indicator 'nope'"):
        meta.indicator_ids(["nope"])
    assert meta.time_periods_matching(["2025"]) == [{"period": "2025", "code": "RY"}]


def test_query_pages_over_several_pages_and_keeps_suppression(client, server):
    meta = client.meta(DS)
    result = client.query(
        DS,
        criteria=criteria_and({"geographicLevels": {"in": ["NAT", "LA"]}}),
        version="1.1",
        page_size=3,
    )
    posts = [r for r in server.requests if r[0] == "POST"]
    assert [p[2]["page"] for p in posts] == [1, 2, 3]
    assert result.pages == 3 and result.total_results == 8 == len(result.results)
    records = result.to_records(meta)
    hartlepool = [
        r
        for r in records
        if r["la_name"] == "Hartlepool" and r["time_period"] == "2025"
    ][0]
    assert hartlepool["new_la_code"] == "E06000001"
    assert hartlepool["old_la_code"] == "805"
    assert hartlepool["time_identifier"] == "Reporting year"
    assert hartlepool["geographic_level"] == "Local authority"
    assert hartlepool["children_count"] == "332"  # values arrive as strings
    values = {
        (v["la_name"], v["time_period"], v["indicator"]): v
        for v in result.parse_values(meta)
    }
    city = values[("City of London", "2025", "children_count")]
    assert city["value"] is None and city["missing_reason"] == "suppressed"
    assert values[("City of London", "2024", "children_count")]["value"] == 7.0
    scilly = values[("Isles of Scilly", "2025", "rate_per_10000")]
    assert scilly["value"] is None and scilly["raw"] == "z"
    assert scilly["missing_reason"] not in (None, "unparsed")


def test_query_with_no_results_keeps_the_warning(client):
    result = client.query(
        DS, criteria=criteria_and({"geographicLevels": {"in": ["REG"]}})
    )
    assert result.results == []
    assert result.warnings[0]["code"] == "QueryNoResults"


def test_validation_error_400_is_one_clear_line(client):
    with pytest.raises(EESApiError) as info:
        client.query(
            DS,
            criteria=criteria_and(
                {"geographicLevels": {"in": ["LA"]}},
                {"timePeriods": {"in": [{"period": "2025", "code": "XX"}]}},
            ),
        )
    err = info.value
    assert err.status == 400 and "\n" not in str(err)
    assert (
        "criteria.and[1].timePeriods.in[0].code: Must be a valid time period "
        "code. (AllowedValue)" in str(err)
    )
    assert client.recorded_waits == []  # a 400 is not retried


def test_503_then_success_is_retried(client, server):
    path = f"/statistics/v1/data-sets/{DS}/meta"
    server.faults[("GET", path)] = [
        (
            503,
            {},
            b'{"title": "Service Unavailable", "status": 503, "type": "about:blank"}',
            0,
        )
    ] * 2
    meta = client.meta(DS)
    assert "cC9nB" in meta.indicators
    assert client.recorded_waits == [0.01, 0.02]  # exponential backoff
    assert sum(1 for r in server.requests if r[1] == path) == 3


def test_429_honours_retry_after(client, server):
    path = f"/statistics/v1/data-sets/{DS}"
    server.faults[("GET", path)] = [(429, {"Retry-After": "7"}, b"", 0)]
    assert client.data_set(DS)["latestVersion"]["version"] == "1.1"
    assert client.recorded_waits == [7.0]


def test_timeout_is_retried_then_gives_up_clearly(server):
    path = f"/statistics/v1/data-sets/{DS}"
    waits: list[float] = []
    with EESClient(
        server.api, timeout=0.3, retries=1, backoff=0.01, sleep=waits.append
    ) as c:
        server.faults[("GET", path)] = [(200, {}, _recorded("data_set.json"), 1.0)]
        # The slow answer timed out; the retry did not.
        assert c.data_set(DS)["id"] == DS
        assert waits == [0.01]
        server.faults[("GET", path)] = [(200, {}, b"{}", 1.0)] * 2
        with pytest.raises(
            LacompareError,
            match=r"no response within 0.3 s; gave up "
            r"after 2 attempt\(s\)",
        ):
            c.data_set(DS)


def test_not_found_names_the_url(client):
    with pytest.raises(
        EESApiError, match="EES API 404 at .*/data-sets/nope: Not Found"
    ):
        client.data_set("nope")


def test_criteria_builders_nest_and_validate():
    nested = criteria_and(
        {"geographicLevels": {"eq": "LA"}},
        criteria_or(
            {"timePeriods": {"gte": {"period": "2021", "code": "RY"}}},
            criteria_not({"filters": {"in": ["a31Mr"]}}),
        ),
    )
    assert nested["and"][1]["or"][1] == {"not": {"filters": {"in": ["a31Mr"]}}}
    with pytest.raises(InputError, match="unknown facet 'area'"):
        criteria_and({"area": {"eq": "x"}})
    with pytest.raises(InputError, match="unknown comparator 'like'"):
        criteria_or({"filters": {"like": "x"}})
    with pytest.raises(InputError, match="non-empty list"):
        criteria_and()


def test_catalogue_lists_every_source_with_metadata():
    cat = read_catalogue()
    assert {
        "cla",
        "cin",
        "csww",
        "ehcp",
        "s251",
        "ro3",
        "rsx",
        "ons-mye",
        "iod2019",
        "low-income",
        "ofsted",
        "stat-neighbours",
    } <= set(cat)
    for entry in cat.values():
        row = entry.describe()
        assert all(
            row[k]
            for k in ("publisher", "reference_date", "units", "geography", "licence")
        )
        for f in entry.files.values():
            assert f.url == "" or f.url_status == "confirmed"
    assert cat["ro3"].units == "£ thousand"


def test_fetch_uses_the_api_and_pins_the_version(server, store, tmp_path):
    with EESClient(server.api, server.content, backoff=0.01) as c:
        result = fetch_source(
            store, "cla", years="2024:2025", version="1.0", cache_dir=tmp_path, client=c
        )
    assert result.method == "ees-api"
    fetched = result.files[0]
    assert fetched.version == "1.0" and "dataSetVersion=1.0" in fetched.url
    post = [r for r in server.requests if r[0] == "POST"][0][2]
    assert post["criteria"]["and"][1]["timePeriods"]["in"] == [
        {"period": "2024", "code": "RY"},
        {"period": "2025", "code": "RY"},
    ]
    newer = [i for i in result.issues if i.kind == "newer-version"][0]
    assert "latest is 1.1 (0 major, 2 minor change(s) in 1.1)" in newer.message
    sidecar = json.loads(
        fetched.path.with_name(fetched.path.name + ".json").read_text()
    )
    assert sidecar["sha256"] == fetched.sha256 and sidecar["version"] == "1.0"
    rows = dict(
        store.con.execute(
            "SELECT measure, value FROM observations WHERE la_code = 'E06000001' "
            "AND period = '2025'"
        ).fetchall()
    )
    assert rows == {
        "cla_children": 332.0,
        "cla_rate_per_10000": 157.0,
        "cla_population_0_17": 21090.0,
    }
    unit, polarity = store.con.execute(
        "SELECT unit, polarity FROM measures WHERE measure = 'cla_rate_per_10000'"
    ).fetchone()
    assert (unit, polarity) == ("per 10,000 children", "neutral")


def test_fetch_falls_back_to_the_release_file(server, store, tmp_path):
    server.api_data_sets = False
    with EESClient(server.api, server.content, backoff=0.01) as c:
        result = fetch_source(store, "cla", years="2025", cache_dir=tmp_path, client=c)
    assert result.method == "ees-release"
    assert [i.kind for i in result.issues][:1] == ["no-api-data-set"]
    assert result.files[0].url.endswith(f"/releases/{RELEASE}/files/{CLA_FILE}")
    assert result.files[0].version == "2025"
    periods = {
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT period FROM observations"
        ).fetchall()
    }
    assert periods == {"2025"}
    city = store.con.execute(
        "SELECT value, missing_reason, raw FROM observations WHERE la_code = "
        "'E09000001' AND measure = 'cla_children'"
    ).fetchone()
    assert city == (None, "suppressed", "c")
    log = read_fetches(store)
    assert list(log["catalogue_id"]) == ["cla"]
    assert list(log["method"]) == ["ees-release"]
    # A second fetch of the same release file comes from the cache.
    with EESClient(server.api, server.content, backoff=0.01) as c:
        again = fetch_source(None, "cla", years="2025", cache_dir=tmp_path, client=c)
    assert again.files[0].from_cache and again.files[0].sha256 == result.files[0].sha256


def test_fetch_download_source_needs_a_url_when_none_is_confirmed(store, tmp_path):
    with pytest.raises(InputError, match="ro3 2023-24: no confirmed download address"):
        fetch_source(store, "ro3", years="2023-24", cache_dir=tmp_path)
    with pytest.raises(InputError, match="ro3 has no vintage 2019-20"):
        fetch_source(store, "ro3", years="2019-20", cache_dir=tmp_path)
    with pytest.raises(InputError, match="no source called 'cla2'"):
        fetch_source(store, "cla2")


@pytest.mark.shared
def test_fetch_download_loads_with_the_catalogued_spec(
    server, store, tmp_path, shared_data
):
    xlsx = (
        shared_data
        / "deprivation"
        / "File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"
    )
    server.files["/media/iod/File_11.xlsx"] = xlsx.read_bytes()
    with EESClient(backoff=0.01) as c:
        result = fetch_source(
            store,
            "iod2019",
            url=f"{server.host}/media/iod/File_11.xlsx",
            cache_dir=tmp_path,
            client=c,
        )
    load = result.loads[0]
    assert load.authorities == 151 and load.sheet == "IDACI"
    assert result.files[0].path.name == "File_11.xlsx"


def test_cli_fetch_into_a_store(server, tmp_path):
    from typer.testing import CliRunner

    from lacompare.cli import app

    db = tmp_path / "s.duckdb"
    args = [
        "fetch",
        "cla",
        "--years",
        "2024:2025",
        "--db",
        str(db),
        "--cache",
        str(tmp_path / "cache"),
        "--base-url",
        server.api,
        "--content-url",
        server.content,
    ]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "8 results over 1 page(s)" in out.output
    from lacompare.store import open_store

    with open_store(db, read_only=True) as s:
        got = s.con.execute(
            "SELECT period, value FROM observations WHERE la_code = 'E06000001' "
            "AND measure = 'cla_rate_per_10000' ORDER BY period"
        ).fetchall()
        url, version = s.con.execute("SELECT url, version FROM fetches").fetchone()
    assert got == [("2024", 164.0), ("2025", 157.0)]
    assert version == "1.1" and url.startswith(server.api)
    # A bad version: the API's 400 or 404 is one line, no traceback.
    server.faults[("GET", f"/statistics/v1/data-sets/{DS}/versions/9.9")] = [
        (404, {}, b'{"title": "Not Found", "status": 404, "type": "about:blank"}', 0)
    ]
    bad = CliRunner().invoke(app, args + ["--version", "9.9"])
    assert bad.exit_code == 1
    assert "EES API 404" in bad.output and "Traceback" not in bad.output


def test_cli_sources_lists_the_catalogue():
    from typer.testing import CliRunner

    from lacompare.cli import app

    out = CliRunner().invoke(app, ["sources", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    ro3 = [r for r in rows if r["source"] == "ro3"][0]
    assert ro3["units"] == "£ thousand" and "MHCLG" in ro3["publisher"]
    bad = CliRunner().invoke(app, ["sources", "--format", "xml"])
    assert bad.exit_code == 1 and "--format must be one of" in bad.output


def test_build_fetch_loads_what_it_can_and_lists_the_rest(
    server, tmp_path, monkeypatch
):
    # `lacompare build --fetch` runs fetch_source for every catalogued source; here
    # the replay server knows only the CLA data set, so CLA loads and every other
    # source is listed as failed with its reason, never silently skipped.
    import httpx

    from lacompare.build import build_store
    from lacompare.store import open_store

    class LoopbackOnly(httpx.HTTPTransport):
        # Sources with a confirmed address on the internet must not be fetched by
        # a test: they fail here as they would offline.
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.host != "127.0.0.1":
                raise httpx.ConnectError("offline test", request=request)
            return super().handle_request(request)

    monkeypatch.setenv("LACOMPARE_CACHE", str(tmp_path / "cache"))
    with (
        open_store(tmp_path / "s.duckdb") as store,
        EESClient(server.api, server.content, retries=0, transport=LoopbackOnly()) as c,
    ):
        result = build_store(store, fetch=True, fetch_client=c, steps=False)
        got = store.con.execute(
            "SELECT value FROM observations WHERE la_code = 'E06000001' AND "
            "measure = 'cla_rate_per_10000' AND period = '2025'"
        ).fetchall()
    assert got == [(157.0,)]
    outcomes = {f.relative: f for f in result.files}
    loaded = [p for p, f in outcomes.items() if f.status == "loaded"]
    assert loaded and all(p.startswith("fetch:cla:") for p in loaded)
    failed = {p.split(":")[1] for p, f in outcomes.items() if f.status == "failed"}
    assert failed == set(read_catalogue()) - {"cla"}
    assert all(f.detail for f in outcomes.values() if f.status == "failed")
