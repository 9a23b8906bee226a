"""The downloader against a local HTTP server: every way a publisher's answer can go wrong."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingestion.archive import RawArchive
from ingestion.catalog import FileSpec, parse_catalog
from ingestion.download import HttpPolicy, download
from ingestion.errors import DownloadError
from ingestion.files import content_problem

FAST = HttpPolicy(connect_timeout=1.0, read_timeout=1.0, retries=2, backoff=0.01)
HTML = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge</body></html>"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    declared_length: int | None = None  # a Content-Length that differs from the body: truncation


class LocalServer:
    """``routes[path]`` is a list of replies served in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                owner.requests.append((self.command, self.path, dict(self.headers)))
                replies = owner.routes.get(self.path) or [Reply(404, b"not found")]
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                time.sleep(reply.delay)
                length = reply.declared_length if reply.declared_length is not None else len(reply.body)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(length))
                    self.end_headers()
                    if self.command != "HEAD" and reply.status != 304:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the timeout tests): expected
                self.close_connection = True

            do_GET = _answer
            do_HEAD = _answer

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == path)


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would swallow the requests meant for the local test server.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    local.thread.start()
    yield local
    local.httpd.shutdown()
    local.httpd.server_close()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def spec_for(url: str, filename: str, *, member: str | None = None, per_year: bool = False) -> FileSpec:
    entry = {
        "id": "thing",
        "layout": "statbel_pop_struct",
        "filename": filename,
        "url": url,
        "years": [2015, 2026] if per_year else None,
        "vintage": "{year}" if per_year else "retrieved",
        "map_vintage": {"..": 565},
    }
    if member is not None:
        entry["member"] = member
    document = {
        "datasets": [
            {
                "id": "statbel_population",
                "publisher": "Statbel",
                "title": "Population",
                "licence": "CC BY 4.0",
                "attribution": "Statbel",
                "landing_page": "https://statbel.example/landing",
                "domain": "demography",
                "cadence": "yearly",
                "files": [entry],
            }
        ]
    }
    return parse_catalog(document).dataset("statbel_population").file("thing")


POP_ZIP = zip_bytes({"TF_SOC_POP_STRUCT_2015.txt": b"CD_REFNIS|MS_POPULATION\r\n11001|19000\r\n"})


def pop_spec(server: LocalServer) -> FileSpec:
    return spec_for(
        server.url("/TF_SOC_POP_STRUCT_{year}.zip"),
        "TF_SOC_POP_STRUCT_{year}.zip",
        member="TF_SOC_POP_STRUCT_{year}.txt",
        per_year=True,
    )


def archived_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_404_is_not_retried_and_says_what_to_do(server: LocalServer, tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    with pytest.raises(DownloadError) as caught:
        download(pop_spec(server), archive, year=2015, policy=FAST)
    message = str(caught.value)
    url = server.url("/TF_SOC_POP_STRUCT_2015.zip")
    assert message == (
        f"statbel_population/thing (TF_SOC_POP_STRUCT_2015.zip) from {url}: HTTP 404 Not Found; "
        "check the URL in ingestion/catalog.yml (the file may have moved or not be published yet), "
        "or download the file by hand and ingest its folder with --source-dir"
    )
    assert "\n" not in message
    assert server.hits("/TF_SOC_POP_STRUCT_2015.zip") == 1
    assert archived_files(tmp_path / "raw") == []


def test_500_then_200_is_retried_and_archived(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/TF_SOC_POP_STRUCT_2015.zip"] = [Reply(500, b"oops"), Reply(200, POP_ZIP)]
    archive = RawArchive(tmp_path / "raw")
    result = download(pop_spec(server), archive, year=2015, policy=FAST, retrieved_at="2025-03-01T10:00:00Z")
    assert (result.status, result.attempts, result.http_status) == ("stored", 2, 200)
    assert server.hits("/TF_SOC_POP_STRUCT_2015.zip") == 2
    assert result.entry.path.read_bytes() == POP_ZIP
    assert (result.entry.vintage, result.entry.origin, result.entry.size) == ("2015", "download", len(POP_ZIP))
    assert archived_files(tmp_path / "raw") == [
        "statbel_population/2015/TF_SOC_POP_STRUCT_2015.zip",
        "statbel_population/2015/TF_SOC_POP_STRUCT_2015.zip.meta.json",
    ]


def test_500_every_time_gives_up_after_the_retries(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/TF_SOC_POP_STRUCT_2015.zip"] = [Reply(503, b"busy")]
    with pytest.raises(DownloadError, match=r"failed after 3 attempt\(s\): HTTP 503 Service Unavailable$"):
        download(pop_spec(server), RawArchive(tmp_path / "raw"), year=2015, policy=FAST)
    assert server.hits("/TF_SOC_POP_STRUCT_2015.zip") == 3


def test_truncated_body_is_an_error_and_nothing_is_archived(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/TF_SOC_POP_STRUCT_2015.zip"] = [Reply(200, POP_ZIP[:10], declared_length=len(POP_ZIP))]
    with pytest.raises(DownloadError) as caught:
        download(pop_spec(server), RawArchive(tmp_path / "raw"), year=2015, policy=FAST)
    assert str(caught.value).endswith(
        f"failed after 3 attempt(s): the body was truncated: received 10 of {len(POP_ZIP)} bytes (Content-Length)"
    )
    assert archived_files(tmp_path / "raw") == []


@pytest.mark.parametrize("filename", ["TF_SOC_POP_STRUCT_{year}.zip", "NL_immo_statbel_jaar_{year}.xlsx"])
def test_html_page_instead_of_a_zip_or_workbook(server: LocalServer, tmp_path: Path, filename: str) -> None:
    path = "/" + filename.replace("{year}", "2015")
    server.routes[path] = [Reply(200, HTML, {"Content-Type": "text/html; charset=utf-8"})]
    spec = spec_for(server.url("/" + filename), filename, per_year=True)
    with pytest.raises(DownloadError) as caught:
        download(spec, RawArchive(tmp_path / "raw"), year=2015, policy=FAST, landing_page="https://statbel.example/p")
    assert str(caught.value) == (
        f"statbel_population/thing ({path[1:]}) from {server.url(path)}: the server answered with an HTML "
        "page instead of the file (probably a browser challenge or an error page). Download it by hand in "
        "a browser from https://statbel.example/p, put it in a folder under its original name and ingest "
        "that folder with --source-dir"
    )
    assert server.hits(path) == 1  # a content problem is not retried
    assert archived_files(tmp_path / "raw") == []


def test_server_slower_than_the_read_timeout(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/TF_SOC_POP_STRUCT_2015.zip"] = [Reply(200, POP_ZIP, delay=1.0)]
    policy = HttpPolicy(connect_timeout=1.0, read_timeout=0.2, retries=1, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download(pop_spec(server), RawArchive(tmp_path / "raw"), year=2015, policy=policy)
    assert str(caught.value).endswith("failed after 2 attempt(s): no answer within 0.2 s (read timeout)")
    assert time.monotonic() - started < 0.9
    assert archived_files(tmp_path / "raw") == []


def test_empty_body_is_an_error_without_retry(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/TF_SOC_POP_STRUCT_2015.zip"] = [Reply(200, b"")]
    with pytest.raises(DownloadError) as caught:
        download(pop_spec(server), RawArchive(tmp_path / "raw"), year=2015, policy=FAST)
    assert str(caught.value).endswith("the server answered HTTP 200 with an empty body (0 bytes)")
    assert server.hits("/TF_SOC_POP_STRUCT_2015.zip") == 1
    assert archived_files(tmp_path / "raw") == []


def test_zip_without_the_expected_member(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/TF_SOC_POP_STRUCT_2015.zip"] = [Reply(200, zip_bytes({"TF_SOC_POP_STRUCT_2014.txt": b"x"}))]
    with pytest.raises(DownloadError) as caught:
        download(pop_spec(server), RawArchive(tmp_path / "raw"), year=2015, policy=FAST)
    assert str(caught.value).endswith(
        "the downloaded file holds no file named 'TF_SOC_POP_STRUCT_2015.txt' "
        "(it holds: TF_SOC_POP_STRUCT_2014.txt); nothing was archived"
    )
    assert archived_files(tmp_path / "raw") == []


def test_304_on_a_conditional_request_downloads_nothing(server: LocalServer, tmp_path: Path) -> None:
    path = "/TF_SOC_POP_STRUCT_2015.zip"
    validators = {"ETag": '"v1"', "Last-Modified": "Sat, 01 Mar 2025 10:00:00 GMT"}
    server.routes[path] = [Reply(200, POP_ZIP, validators), Reply(304)]
    archive = RawArchive(tmp_path / "raw")
    first = download(pop_spec(server), archive, year=2015, policy=FAST)
    second = download(pop_spec(server), archive, year=2015, policy=FAST)
    assert (first.status, second.status, second.http_status) == ("stored", "not_modified", 304)
    assert second.entry == first.entry
    sent = server.requests[-1][2]
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', "Sat, 01 Mar 2025 10:00:00 GMT")
    assert len(archive.entries()) == 1


def test_same_bytes_without_validators_add_nothing(server: LocalServer, tmp_path: Path) -> None:
    path = "/interact_taux_V1.csv"
    server.routes[path] = [Reply(200, b"jaar;maand;level;zonegeog;graad;diff1an\n2025;6;5;92094;6.00;\n")]
    spec = spec_for(server.url(path), "interact_taux_V1.csv")
    archive = RawArchive(tmp_path / "raw")
    first = download(spec, archive, policy=FAST, retrieved_at="2025-03-01T10:00:00Z")
    again = download(spec, archive, policy=FAST, retrieved_at="2025-03-02T10:00:00Z")
    assert (first.status, again.status) == ("stored", "unchanged")
    assert again.entry.vintage == first.entry.vintage == "2025-03-01"
    assert len(archive.entries()) == 1


def test_connection_refused_is_retried_then_reported(tmp_path: Path) -> None:
    server = LocalServer()  # bound but never serving: take its port, then close it
    url = server.url("/interact_taux_V1.csv")
    server.httpd.server_close()
    with pytest.raises(
        DownloadError,
        match=r"failed after 3 attempt\(s\): connection failed: Failed to establish a new connection: "
        r"\[Errno \d+\] Connection refused$",
    ):
        download(spec_for(url, "interact_taux_V1.csv"), RawArchive(tmp_path / "raw"), policy=FAST)


@pytest.mark.parametrize(
    ("filename", "content", "member", "problem"),
    [
        ("a.csv", b"", None, "is empty (0 bytes)"),
        ("a.csv", b"\xef\xbb\xbf\n  <!DOCTYPE HTML>\n<html>", None, "is an HTML page, not the expected csv file"),
        (
            "a.zip",
            b"%PDF-1.7 not a zip",
            None,
            "is not a zip archive (it starts with b'%PDF-1.7'), so it cannot be the expected zip file",
        ),
        ("a.zip", b"PK\x03\x04" + b"\0" * 40, None, "is a damaged zip archive (File is not a zip file)"),
        (
            "a.xlsx",
            zip_bytes({"data.txt": b"1"}),
            None,
            "is a zip archive but not an Excel workbook (no [Content_Types].xml)",
        ),
        (
            "a.xls",
            zip_bytes({"[Content_Types].xml": b"<x/>"}),
            None,
            "is not a legacy Excel (OLE2) workbook (it is a zip: an .xlsx saved as .xls?)",
        ),
        ("a.zip", zip_bytes({"dir/TU_COM_REFNIS.TXT": b"1"}), "tu_com_refnis*.txt", None),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, None, None),
        ("a.csv", b'"gemeenten";"x|2014"\n"Aalst";1\n', None, None),
    ],
)
def test_content_checks(tmp_path: Path, filename: str, content: bytes, member: str | None, problem: str | None) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    assert content_problem(path, filename, member=member) == problem
