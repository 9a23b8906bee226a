"""Safe streaming download of one catalog file into the raw archive.

Every request has a connect and a read timeout. Timeouts, connection errors, truncated bodies
and 5xx answers are retried with exponential backoff; 4xx answers are not (retrying cannot fix a
wrong URL). A request is conditional on the latest archived copy (ETag / Last-Modified), so an
unchanged file costs a 304 and nothing is downloaded. The body goes to a temporary file outside
the archive and is checked (size, kind, expected zip member, not an HTML page) before the
archive copies it in; nothing partial or wrong is ever archived.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, TypeVar

import requests
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.exceptions import ReadTimeoutError

from ingestion.archive import ArchiveEntry, RawArchive
from ingestion.catalog import FileSpec
from ingestion.errors import DownloadError
from ingestion.files import content_problem, unpacked_problem

T = TypeVar("T")
_CHUNK = 1 << 16


@dataclass(frozen=True)
class HttpPolicy:
    """How patient to be with a publisher's server."""

    connect_timeout: float = 10.0  # seconds to open the connection
    read_timeout: float = 60.0  # seconds of silence allowed between bytes
    retries: int = 3  # further attempts after the first
    backoff: float = 1.0  # seconds before the first retry, doubled for each next one
    user_agent: str = "cohesion-warehouse/0.1 (open-data ingestion; python-requests)"

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


DEFAULT_POLICY = HttpPolicy()


@dataclass(frozen=True)
class DownloadResult:
    """``stored``: new bytes archived; ``unchanged``: the archive already held these bytes;
    ``not_modified``: the server answered 304 and nothing was downloaded."""

    status: Literal["stored", "unchanged", "not_modified"]
    url: str
    entry: ArchiveEntry
    http_status: int
    attempts: int


class TransientError(Exception):
    """A failure worth another attempt (5xx, timeout, dropped or truncated connection)."""


@dataclass(frozen=True)
class _Body:
    status: int
    size: int
    sha256: str
    etag: str | None
    last_modified: str | None


def new_session() -> requests.Session:
    """A session without urllib3's own retries: :func:`with_retries` owns the retry policy."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def conditional_headers(entry: ArchiveEntry | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from an archived copy, so an unchanged file costs a 304."""
    headers: dict[str, str] = {}
    if entry is not None and entry.etag:
        headers["If-None-Match"] = entry.etag
    if entry is not None and entry.last_modified:
        headers["If-Modified-Since"] = entry.last_modified
    return headers


def request_headers(policy: HttpPolicy, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # identity: Content-Length then counts the bytes we store, which is how truncation is seen.
    return {"User-Agent": policy.user_agent, "Accept-Encoding": "identity", **(extra or {})}


def with_retries(attempt: Callable[[], T], *, policy: HttpPolicy, what: str) -> tuple[T, int]:
    """Run ``attempt`` until it succeeds, retrying transient failures with exponential backoff.

    Returns the result and the number of attempts. Raises :class:`DownloadError` naming
    ``what`` (the file and URL) and the last failure once the retries are spent.
    """
    total = policy.retries + 1
    last = ""
    for number in range(1, total + 1):
        try:
            return attempt(), number
        except TransientError as exc:
            last = str(exc)
        except requests.ConnectTimeout:
            last = f"could not connect within {policy.connect_timeout:g} s (connect timeout)"
        except requests.Timeout:
            last = f"no answer within {policy.read_timeout:g} s (read timeout)"
        except requests.ConnectionError as exc:
            last = _connection_reason(exc, policy)
        except requests.RequestException as exc:
            raise DownloadError(f"{what}: {exc}") from exc
        if number < total:
            time.sleep(policy.backoff * 2 ** (number - 1))
    raise DownloadError(f"{what}: failed after {total} attempt(s): {last}")


def check_status(response: requests.Response, what: str) -> None:
    """Raise on an answer that is neither a success nor a 304: 5xx is transient, 4xx is not."""
    code = response.status_code
    if code >= 500:
        raise TransientError(f"HTTP {code} {response.reason}")
    if code >= 400 or (code >= 300 and code != 304):
        raise DownloadError(
            f"{what}: HTTP {code} {response.reason}; check the URL in ingestion/catalog.yml "
            "(the file may have moved or not be published yet), or download the file by hand "
            "and ingest its folder with --source-dir"
        )


def download(
    spec: FileSpec,
    archive: RawArchive,
    *,
    year: int | None = None,
    policy: HttpPolicy = DEFAULT_POLICY,
    session: requests.Session | None = None,
    retrieved_at: datetime | str | None = None,
    conditional: bool = True,
    progress: bool | None = None,
    landing_page: str | None = None,
    max_unpacked_bytes: int | None = None,
) -> DownloadResult:
    """Download ``spec`` (for ``year``) into ``archive`` and return what happened.

    ``progress`` shows a tqdm bar; by default only when stderr is a terminal. ``landing_page``
    is named in the message when the publisher answers with an HTML page. A file that unpacks
    beyond ``max_unpacked_bytes`` (its dataset's catalog limit) is refused before it is archived.
    """
    file_year = year if spec.per_year else None
    url = spec.url_for(file_year)
    filename = spec.filename_for(file_year)
    what = f"{spec.label} ({filename}) from {url}"
    latest = archive.latest(spec.dataset, spec.id, file_year) if conditional else None
    headers = request_headers(policy, conditional_headers(latest))
    show = sys.stderr.isatty() if progress is None else progress
    own_session = session is None
    http = session if session is not None else new_session()
    handle, temp_name = tempfile.mkstemp(prefix="cohesion-download-", suffix=".part")
    os.close(handle)
    temp = Path(temp_name)

    def attempt() -> _Body | None:
        response = http.get(url, headers=headers, stream=True, timeout=policy.timeout)
        with response:
            check_status(response, what)
            if response.status_code == 304:
                return None
            return _stream(response, temp, what=what, label=filename, show=show)

    try:
        body, attempts = with_retries(attempt, policy=policy, what=what)
        if body is None:
            if latest is None:
                raise DownloadError(f"{what}: HTTP 304 Not Modified to an unconditional request")
            return DownloadResult("not_modified", url, latest, 304, attempts)
        problem = content_problem(temp, filename, member=spec.member_for(file_year))
        if problem is not None:
            raise DownloadError(_content_message(what, problem, landing_page or url))
        too_big = unpacked_problem(temp, spec.dataset, max_unpacked_bytes)
        if too_big is not None:
            raise DownloadError(f"{what}: the file {too_big}; nothing was archived")
        result = archive.store(
            temp,
            spec=spec,
            year=file_year,
            origin="download",
            url=url,
            retrieved_at=retrieved_at,
            etag=body.etag,
            last_modified=body.last_modified,
            expected_sha256=body.sha256,
        )
        status: Literal["stored", "unchanged"] = "stored" if result.created else "unchanged"
        return DownloadResult(status, url, result.entry, body.status, attempts)
    finally:
        temp.unlink(missing_ok=True)
        if own_session:
            http.close()


def _stream(response: requests.Response, temp: Path, *, what: str, label: str, show: bool) -> _Body:
    expected = _content_length(response)
    hasher = hashlib.sha256()
    size = 0
    with open(temp, "wb") as out, tqdm(
        total=expected, unit="B", unit_scale=True, unit_divisor=1024, desc=label, disable=not show, leave=False
    ) as bar:
        try:
            for chunk in response.iter_content(_CHUNK):
                out.write(chunk)
                hasher.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
        except requests.exceptions.ChunkedEncodingError as exc:
            # urllib3 drops the partial chunk; its byte counter says how far the server got.
            raise TransientError(_truncated(max(size, response.raw.tell()), expected)) from exc
    if expected is not None and size != expected:
        raise TransientError(_truncated(size, expected))
    if size == 0:
        # An empty answer is a publisher-side problem, not a network one: no retry.
        raise DownloadError(f"{what}: the server answered HTTP {response.status_code} with an empty body (0 bytes)")
    return _Body(
        status=response.status_code,
        size=size,
        sha256=hasher.hexdigest(),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def _content_length(response: requests.Response) -> int | None:
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None  # the length is of the encoded body; urllib3 still checks it
    value = response.headers.get("Content-Length")
    return int(value) if value and value.isdigit() else None


def _truncated(size: int, expected: int | None) -> str:
    total = f" of {expected}" if expected is not None else ""
    return f"the body was truncated: received {size}{total} bytes (Content-Length)"


def _is_read_timeout(exc: BaseException) -> bool:
    return any(isinstance(arg, ReadTimeoutError) for arg in exc.args)


def _connection_reason(exc: requests.ConnectionError, policy: HttpPolicy) -> str:
    if _is_read_timeout(exc):
        return f"no data for {policy.read_timeout:g} s (read timeout)"
    # requests wraps urllib3's MaxRetryError, whose .reason holds what the socket said.
    cause = exc.args[0] if exc.args else exc
    text = str(getattr(cause, "reason", cause))
    return f"connection failed: {text.split('): ', 1)[-1]}"


def _content_message(what: str, problem: str, where: str) -> str:
    if problem.startswith("is an HTML page"):
        return (
            f"{what}: the server answered with an HTML page instead of the file (probably a browser "
            f"challenge or an error page). Download it by hand in a browser from {where}, put it in "
            "a folder under its original name and ingest that folder with --source-dir"
        )
    return f"{what}: the downloaded file {problem}; nothing was archived"
