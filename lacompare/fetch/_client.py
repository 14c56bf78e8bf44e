"""A client for DfE's "Explore education statistics" (EES) public data API, v1.

It speaks the documented endpoints (publications, data sets, versions, ``changes``,
``meta`` and the ``query`` POST with nested ``and``/``or``/``not`` criteria), pages
through results, keeps the API's warnings, and retries what is worth retrying (429 and
5xx, honouring ``Retry-After``; timeouts; dropped connections) with exponential
backoff. No key is needed. The release-file endpoints of the EES *content* API are
here too: they are the fallback for data sets that are not API-enabled.

Reference: the API's OpenAPI document, ``openapi-v1.json`` in
dfe-analytical-services/explore-education-statistics (see catalogue.toml).
"""

from __future__ import annotations

import email.utils
import fnmatch
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError, LacompareError
from lacompare.fetch._criteria import _check_criteria, read_ees_vocabulary
from lacompare.fetch._ees_data import DataSetMeta, QueryResult

if TYPE_CHECKING:
    import httpx

API_URL = "https://api.education.gov.uk/statistics/v1"
CONTENT_URL = "https://content.explore-education-statistics.service.gov.uk/api"
#: Environment variables that point the client elsewhere (a mirror, a test server).
API_URL_ENV = "LACOMPARE_EES_API_URL"
CONTENT_URL_ENV = "LACOMPARE_EES_CONTENT_URL"

#: Responses worth asking again for: rate limited, or the server's trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The longest single wait, whatever Retry-After asks for.
MAX_WAIT = 120.0
USER_AGENT = "lacompare (https://github.com/; DfE EES public data API client)"


class EESApiError(LacompareError):
    """The API answered with an error (a 4xx/5xx problem-details body).

    ``errors`` keeps the API's aggregated validation errors
    (``{message, path, code, detail}``), and the message shows them on one line.

    Examples
    --------
    >>> str(EESApiError(400, "Invalid.", [{"message": "Bad code.",
    ...     "path": "timePeriods.in[0].code", "code": "AllowedValue"}]))
    'EES API 400: Invalid. — timePeriods.in[0].code: Bad code. (AllowedValue)'
    """

    def __init__(
        self,
        status: int,
        title: str,
        errors: list[dict[str, Any]] | None = None,
        *,
        url: str = "",
        detail: str | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.errors = errors or []
        self.url = url
        self.detail = detail
        parts = []
        for e in self.errors:
            where = f"{e['path']}: " if e.get("path") else ""
            code = f" ({e['code']})" if e.get("code") else ""
            parts.append(f"{where}{e.get('message', '')}{code}")
        if detail:
            parts.append(detail)
        text = f"EES API {status}" + (f" at {url}" if url else "") + f": {title}"
        if parts:
            text += " — " + "; ".join(parts)
        super().__init__(text)


# --- the client -----------------------------------------------------------------------


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class EESClient:
    """Talk to the EES public data API (and the content API's release files).

    Parameters
    ----------
    api_url, content_url
        Base URLs (default: the live service, or ``LACOMPARE_EES_API_URL`` /
        ``LACOMPARE_EES_CONTENT_URL``).
    timeout
        Seconds to wait for each response.
    retries
        How many times to ask again after a 429, a 5xx, a timeout or a dropped
        connection.
    backoff
        First wait in seconds; doubles each retry (``Retry-After`` wins when given).
    sleep
        How to wait (tests pass a recorder).

    Examples
    --------
    >>> client = EESClient(api_url="http://127.0.0.1:9/statistics/v1", retries=0)
    >>> client.api_url
    'http://127.0.0.1:9/statistics/v1'
    >>> client.publications(search="Children looked after")  # doctest: +SKIP
    """

    def __init__(
        self,
        api_url: str | None = None,
        content_url: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = (api_url or os.environ.get(API_URL_ENV) or API_URL).rstrip("/")
        self.content_url = (
            content_url or os.environ.get(CONTENT_URL_ENV) or CONTENT_URL
        ).rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self._transport = transport
        self._http: httpx.Client | None = None
        #: Every wait made before a retry, in seconds (for the issue log and tests).
        self.waits: list[float] = []

    def __enter__(self) -> EESClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            import httpx

            self._http = httpx.Client(
                timeout=self.timeout,
                transport=self._transport,
                follow_redirects=True,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            )
        return self._http

    # -- transport with retries --

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        """One request, retried on 429/5xx/timeouts; 4xx become :class:`EESApiError`."""
        import httpx

        last = ""
        for attempt in range(self.retries + 1):
            wait = self.backoff * (2**attempt)
            try:
                response = self.http.request(
                    method,
                    url,
                    params=_clean_params(params),
                    content=None if body is None else json.dumps(body),
                    headers=None
                    if body is None
                    else {"Content-Type": "application/json"},
                )
            except httpx.TimeoutException:
                last = f"no response within {self.timeout:g} s"
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__}: {exc})"
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise _api_error(response)
                last = f"HTTP {response.status_code}"
                after = _retry_after(response)
                if after is not None:
                    wait = after
            if attempt == self.retries:
                break
            wait = min(wait, MAX_WAIT)
            self.waits.append(wait)
            self.sleep(wait)
        raise LacompareError(
            f"{method} {url}: {last}; gave up after {self.retries + 1} attempt(s)"
        )

    def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        base: str | None = None,
    ) -> Any:
        url = f"{base or self.api_url}/{path.lstrip('/')}"
        return _json(self.request("GET", url, params=params))

    def _pages(
        self, path: str, params: dict[str, Any] | None = None, page_size: int = 20
    ) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            body = self.get_json(
                path, {**(params or {}), "page": page, "pageSize": page_size}
            )
            yield from body.get("results") or []
            paging = body.get("paging") or {}
            if page >= int(paging.get("totalPages") or 1):
                return
            page += 1

    # -- documented endpoints --

    def publications(self, search: str | None = None) -> list[dict[str, Any]]:
        """``GET /v1/publications`` (every page): ``{id, title, slug, summary,
        lastPublished}`` for publications with API data sets."""
        return list(self._pages("publications", {"search": search}, page_size=40))

    def publication(self, publication_id: str) -> dict[str, Any]:
        """``GET /v1/publications/{publicationId}``."""
        return self.get_json(f"publications/{publication_id}")

    def data_sets(self, publication_id: str) -> list[dict[str, Any]]:
        """``GET /v1/publications/{publicationId}/data-sets`` (every page)."""
        return list(
            self._pages(f"publications/{publication_id}/data-sets", page_size=20)
        )

    def data_set(self, data_set_id: str) -> dict[str, Any]:
        """``GET /v1/data-sets/{dataSetId}``: summary and ``latestVersion``."""
        return self.get_json(f"data-sets/{data_set_id}")

    def versions(self, data_set_id: str) -> list[dict[str, Any]]:
        """``GET /v1/data-sets/{dataSetId}/versions`` (every page)."""
        return list(self._pages(f"data-sets/{data_set_id}/versions", page_size=20))

    def version(self, data_set_id: str, version: str) -> dict[str, Any]:
        """``GET /v1/data-sets/{dataSetId}/versions/{version}`` (wildcards like
        ``2.*`` resolve to a version)."""
        return self.get_json(f"data-sets/{data_set_id}/versions/{version}")

    def changes(self, data_set_id: str, version: str) -> dict[str, Any]:
        """``GET /v1/data-sets/{dataSetId}/versions/{version}/changes``: what the
        version changed relative to the one before (``majorChanges``,
        ``minorChanges``)."""
        return self.get_json(f"data-sets/{data_set_id}/versions/{version}/changes")

    def meta(self, data_set_id: str, version: str | None = None) -> DataSetMeta:
        """``GET /v1/data-sets/{dataSetId}/meta`` as a :class:`DataSetMeta`."""
        return DataSetMeta.from_json(
            self.get_json(f"data-sets/{data_set_id}/meta", {"dataSetVersion": version})
        )

    def query(
        self,
        data_set_id: str,
        *,
        criteria: dict[str, Any] | None = None,
        indicators: list[str] | None = None,
        version: str | None = None,
        sorts: list[dict[str, str]] | None = None,
        page_size: int | None = None,
    ) -> QueryResult:
        """``POST /v1/data-sets/{dataSetId}/query``, every page.

        ``criteria`` is a facets object or nested ``and``/``or``/``not`` (see
        :func:`criteria_and`); ``version`` pins ``dataSetVersion``.
        """
        if criteria is not None:
            _check_criteria(criteria)
        size = page_size or int(read_ees_vocabulary()["query"]["page_size"])
        url = f"{self.api_url}/data-sets/{data_set_id}/query"
        results: list[dict[str, Any]] = []
        warnings: list[dict[str, Any]] = []
        page, pages, total = 1, 1, 0
        while True:
            body: dict[str, Any] = {"page": page, "pageSize": size}
            if criteria is not None:
                body["criteria"] = criteria
            if indicators:
                body["indicators"] = indicators
            if sorts:
                body["sorts"] = sorts
            reply = _json(
                self.request("POST", url, params={"dataSetVersion": version}, body=body)
            )
            results.extend(reply.get("results") or [])
            for w in reply.get("warnings") or []:
                if w not in warnings:
                    warnings.append(w)
            paging = reply.get("paging") or {}
            pages = int(paging.get("totalPages") or 1)
            total = int(paging.get("totalResults") or len(results))
            if page >= pages:
                break
            page += 1
        if len(results) != total:
            raise LacompareError(
                f"EES API query of {data_set_id}: {total:,} results "
                f"promised, {len(results):,} received over {pages} "
                "page(s)"
            )
        return QueryResult(results, warnings, pages, total, version)

    def download_csv(
        self, data_set_id: str, dest: str | Path, version: str | None = None
    ) -> Path:
        """``GET /v1/data-sets/{dataSetId}/csv``: the whole data set as CSV."""
        response = self.request(
            "GET",
            f"{self.api_url}/data-sets/{data_set_id}/csv",
            params={"dataSetVersion": version},
        )
        return _write(response.content, dest)

    # -- content API: release files (the fallback) --

    def release(
        self, publication_slug: str, release_slug: str | None = None
    ) -> dict[str, Any]:
        """A release of a publication (the latest unless ``release_slug``), with its
        ``downloadFiles``."""
        which = release_slug or "latest"
        return self.get_json(
            f"publications/{publication_slug}/releases/{which}", base=self.content_url
        )

    def release_file(self, release: dict[str, Any], pattern: str) -> dict[str, Any]:
        """The one data file of a release whose file name (or name) matches a glob."""
        files = [
            f
            for f in release.get("downloadFiles") or []
            if str(f.get("type", "Data")).lower() == "data"
        ]
        names = [f"{f.get('fileName', '')} ({f.get('name', '')})" for f in files]
        if not pattern:
            if len(files) == 1:
                return files[0]
            raise InputError(
                f"release {release.get('title', release.get('slug'))!r} "
                f"has {len(files)} data files; choose one with --file "
                "GLOB: " + "; ".join(names)
            )
        pat = pattern.lower()
        hits = [
            f
            for f in files
            if fnmatch.fnmatch(str(f.get("fileName", "")).lower(), pat)
            or fnmatch.fnmatch(str(f.get("name", "")).lower(), pat)
        ]
        if len(hits) != 1:
            raise InputError(
                f"{len(hits)} data files of release "
                f"{release.get('title', release.get('slug'))!r} match "
                f"{pattern!r}; its data files are: " + "; ".join(names)
            )
        return hits[0]

    def download_release_file(
        self, release_id: str, file_id: str, dest: str | Path
    ) -> tuple[Path, str]:
        """``GET {content}/releases/{releaseId}/files/{fileId}``; returns the path and
        the URL."""
        url = f"{self.content_url}/releases/{release_id}/files/{file_id}"
        return _write(self.request("GET", url).content, dest), url

    def download(self, url: str, dest: str | Path) -> Path:
        """Any file (ONS, MHCLG, DfE downloads), with the same retries."""
        return _write(self.request("GET", url).content, dest)


def _clean_params(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    return {k: v for k, v in params.items() if v is not None} or None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise LacompareError(
            f"{response.request.method} {response.request.url}: "
            "the answer is not JSON (is the URL an EES API?)"
        ) from None


def _api_error(response: httpx.Response) -> EESApiError:
    url = str(response.request.url)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        stripped = response.text.strip()
        text = stripped.splitlines()[0][:200] if stripped else ""
        return EESApiError(
            response.status_code,
            response.reason_phrase or "error",
            url=url,
            detail=text or None,
        )
    return EESApiError(
        int(body.get("status") or response.status_code),
        str(body.get("title") or response.reason_phrase or "error"),
        body.get("errors") or [],
        url=url,
        detail=body.get("detail"),
    )


def _write(content: bytes, dest: str | Path) -> Path:
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(content)
    tmp.replace(dest)
    return dest
