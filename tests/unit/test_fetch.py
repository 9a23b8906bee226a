"""fetch: from a folder, offline, online; and has_update for the sensor."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ingestion.archive import RawArchive
from ingestion.catalog import Catalog, load_catalog, parse_catalog
from ingestion.download import HttpPolicy
from ingestion.errors import ArchiveError
from ingestion.fetch import fetch, has_update

FIXED = "2025-03-01T10:00:00Z"
FAST = HttpPolicy(connect_timeout=1.0, read_timeout=1.0, retries=1, backoff=0.01)
DATA_REAL = Path(__file__).resolve().parents[3] / "shared" / "data-real"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def tree(root: Path) -> dict[str, str]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would swallow the requests meant for the local test server.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


POP_HEADER = "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_SEX|CD_NATLTY|CD_AGE|MS_POPULATION"


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "sample"
    folder.mkdir()
    population = zip_bytes({"TF_SOC_POP_STRUCT_2025.txt": f"{POP_HEADER}\r\n21001|A|A|M|BEL|30|2\r\n".encode()})
    (folder / "TF_SOC_POP_STRUCT_2025.zip").write_bytes(population)
    (folder / "interact_taux_V1.csv").write_bytes(b"jaar;maand;level;zonegeog;graad;diff1an\n2025;13;5;92094;6.00;\n")
    (folder / "schools_2024.csv").write_bytes(b"nis_code,map_vintage,year,pupils\n21001,581,2024,1500\n")
    (folder / "README.txt").write_bytes(b"what the generator wrote")
    return folder


def test_source_dir_recognises_the_files_by_content(tmp_path: Path, catalog: Catalog, sample_dir: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    report = fetch(catalog, archive, source_dir=sample_dir, retrieved_at=FIXED, origin="sample")
    assert [(i.dataset, i.file_id, i.year, i.status) for i in report.items] == [
        (None, None, None, "unmatched"),
        ("statbel_population", "pop_struct", 2025, "stored"),
        ("employment", "onem_rates", None, "stored"),
        ("schools", "counts", 2024, "stored"),
    ]
    readme = report.unmatched[0]
    assert readme.line() == "unmatched (not in the catalog) README.txt: a text file that matches none of the 13 layouts"
    # Each layout that reads text files says why not; the others are counted, on the console.
    assert readme.details() == [
        "canonical_csv: its header does not start with nis_code,map_vintage,year (found 'what the generator wrote')",
        "onem_rates: its header has no jaar, maand, level, zonegeog, graad, diff1an (ONEM's header is "
        "jaar;maand;level;zonegeog;graad;diff1an)",
        "statbel_income_panel: its first line has no '|'-separated columns ('what the generator wrote')",
        "statbel_pop_struct: its first line has no '|'-separated columns ('what the generator wrote')",
        "statbel_pop_totals: its header has no Refnis (code) and Population columns",
        "statbel_refnis: its first line has no '|'-separated columns ('what the generator wrote')",
        "swing_csv: its first line has no ';'-separated columns",
        "(6 layout(s) expect another kind of file than a text file)",
    ]
    assert len(readme.verdicts) == 13 and readme.verdicts[0].line() == (
        "canonical_csv: its header does not start with nis_code,map_vintage,year (found 'what the generator wrote')"
    )
    summary = report.summary().splitlines()
    assert summary[1:3] == [readme.line(), "    " + readme.details()[0]]
    assert sorted(str(e.path.relative_to(tmp_path / "raw")) for e in archive.entries()) == [
        "employment/2025-03-01/interact_taux_V1.csv",
        "schools/2024/schools_2024.csv",
        "statbel_population/2025/TF_SOC_POP_STRUCT_2025.zip",
    ]
    assert {(e.origin, e.recognised_by) for e in archive.entries()} == {("sample", "content")}
    assert report.ok


def test_a_renamed_file_is_recognised_and_archived_under_its_own_name(tmp_path: Path, catalog: Catalog,
                                                                      sample_dir: Path) -> None:  # fmt: skip
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "file1.zip").write_bytes((sample_dir / "TF_SOC_POP_STRUCT_2025.zip").read_bytes())
    (folder / "copy of the rates.csv").write_bytes((sample_dir / "interact_taux_V1.csv").read_bytes())
    archive = RawArchive(tmp_path / "raw")
    report = fetch(catalog, archive, source_dir=folder, retrieved_at=FIXED)
    assert [(i.dataset, i.file_id, i.year, i.filename, i.status) for i in report.items] == [
        ("employment", "onem_rates", None, "copy of the rates.csv", "stored"),
        ("statbel_population", "pop_struct", 2025, "file1.zip", "stored"),
    ]
    assert report.items[1].reason == (
        "archived as vintage 2025; recognised by its content as statbel_population/pop_struct (layout "
        "statbel_pop_struct, year 2025 from the zip member TF_SOC_POP_STRUCT_2025.txt), the catalog's name is "
        "'TF_SOC_POP_STRUCT_2025.zip'"
    )
    assert sorted(str(e.path.relative_to(tmp_path / "raw")) for e in archive.entries()) == [
        "employment/2025-03-01/copy of the rates.csv",
        "statbel_population/2025/file1.zip",
    ]


def test_a_file_whose_name_promises_another_file_is_what_its_content_says(tmp_path: Path, catalog: Catalog,
                                                                          sample_dir: Path) -> None:  # fmt: skip
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "interact_taux_V1.csv").write_bytes((sample_dir / "schools_2024.csv").read_bytes())
    (item,) = fetch(catalog, RawArchive(tmp_path / "raw"), source_dir=folder, retrieved_at=FIXED).items
    assert (item.dataset, item.file_id, item.year, item.status) == ("schools", "counts", 2024, "stored")
    assert item.reason == (
        "archived as vintage 2024; recognised by its content as schools/counts (layout canonical_csv, year 2024 from "
        "the year column (row 2)), the catalog's name is 'schools_2024.csv' (its name is that of employment/onem_rates)"
    )


def test_a_renamed_per_year_file_without_a_year_is_refused(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "population.zip").write_bytes(zip_bytes({"table.txt": f"{POP_HEADER}\r\n21001|A|A|M|BEL|30|2\r\n".encode()}))
    archive = RawArchive(tmp_path / "raw")
    (item,) = fetch(catalog, archive, source_dir=folder).items
    assert (item.status, item.reason) == (
        "failed",
        "is statbel_population/pop_struct, one file per year (TF_SOC_POP_STRUCT_{year}.zip), but neither its "
        "content nor its name says which year; name it as the publisher does, or give the year (cohesion parse "
        "--year); nothing was archived",
    )
    assert archive.entries() == ()


def test_a_year_in_the_content_that_contradicts_the_name_is_refused(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    content = zip_bytes({"TF_SOC_POP_STRUCT_2024.txt": f"{POP_HEADER}\r\n21001|A|A|M|BEL|30|2\r\n".encode()})
    (folder / "TF_SOC_POP_STRUCT_2025.zip").write_bytes(content)
    archive = RawArchive(tmp_path / "raw")
    (item,) = fetch(catalog, archive, source_dir=folder).items
    assert (item.status, item.reason) == (
        "failed",
        "is statbel_population/pop_struct, but the zip member TF_SOC_POP_STRUCT_2024.txt says 2024 and the file "
        "name says 2025; nothing was archived",
    )
    assert archive.entries() == ()


def test_two_different_files_for_one_catalog_file_are_both_refused(tmp_path: Path, catalog: Catalog,
                                                                   sample_dir: Path) -> None:  # fmt: skip
    folder = tmp_path / "downloads"
    folder.mkdir()
    rates = (sample_dir / "interact_taux_V1.csv").read_bytes()
    (folder / "interact_taux_V1.csv").write_bytes(rates)
    (folder / "rates (1).csv").write_bytes(rates.replace(b"6.00", b"6.10"))
    archive = RawArchive(tmp_path / "raw")
    report = fetch(catalog, archive, source_dir=folder)
    assert [(i.filename, i.status) for i in report.items] == [("interact_taux_V1.csv", "failed"), ("rates (1).csv", "failed")]
    assert report.items[0].reason == (
        "the folder holds 2 different files that are employment/onem_rates ('interact_taux_V1.csv', "
        "'rates (1).csv'); keep one; nothing was archived"
    )
    assert archive.entries() == ()


def test_real_files_are_refused_into_the_sample_archive_and_nothing_is_archived(
    tmp_path: Path, catalog: Catalog, sample_dir: Path
) -> None:
    archive = RawArchive(tmp_path / "raw")
    fetch(catalog, archive, source_dir=sample_dir, retrieved_at=FIXED, origin="sample")
    before = tree(tmp_path / "raw")
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "interact_taux_V1.csv").write_bytes(RATES)
    with pytest.raises(ArchiveError) as caught:
        fetch(catalog, archive, source_dir=folder)
    assert str(caught.value) == (
        f"the archive {tmp_path / 'raw'} holds the synthetic sample (3 files); real files cannot be mixed with it: "
        "use another COHESION_DATA_DIR"
    )
    with pytest.raises(ArchiveError, match="holds the synthetic sample"):
        fetch(catalog, archive, dataset="employment")  # a download would mix them too
    assert tree(tmp_path / "raw") == before


def test_source_dir_twice_changes_nothing(tmp_path: Path, catalog: Catalog, sample_dir: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    fetch(catalog, archive, source_dir=sample_dir, retrieved_at=FIXED)
    before = tree(tmp_path / "raw")
    again = fetch(catalog, archive, source_dir=sample_dir, retrieved_at="2025-04-01T10:00:00Z")
    assert again.items[0].status == "unmatched"
    assert [i.status for i in again.items] == ["unmatched", "unchanged", "unchanged", "unchanged"]
    assert again.items[1].reason == "same bytes as vintage 2025"
    assert tree(tmp_path / "raw") == before


def test_source_dir_refuses_a_saved_challenge_page(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    challenge = b"<!DOCTYPE html><html><body>Verify you are human</body></html>"
    (folder / "TF_SOC_POP_STRUCT_2026.zip").write_bytes(challenge)
    archive = RawArchive(tmp_path / "raw")
    report = fetch(catalog, archive, source_dir=folder)
    (item,) = report.items
    assert (item.status, item.reason) == (
        "failed",
        f"{folder / 'TF_SOC_POP_STRUCT_2026.zip'} is an HTML page, not the expected zip file; nothing was archived",
    )
    assert archive.entries() == ()


def test_source_dir_with_a_filter_names_what_is_missing(tmp_path: Path, catalog: Catalog, sample_dir: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    report = fetch(catalog, archive, source_dir=sample_dir, dataset="statbel_population", year=2026)
    # A misnamed file could be the one the user meant: unmatched names are always listed.
    assert [i.filename for i in report.unmatched] == ["README.txt"]
    (item,) = report.missing
    assert (item.status, item.filename) == ("missing", "TF_SOC_POP_STRUCT_2026.zip")
    assert item.reason == (
        f"no file in {sample_dir} is statbel_population/pop_struct (named like 'TF_SOC_POP_STRUCT_2026.zip')"
    )
    with pytest.raises(ArchiveError, match=r"^1 file\(s\) not available:\nmissing   statbel_population/pop_struct"):
        report.raise_for_problems()


def test_offline_reports_what_the_archive_holds(tmp_path: Path, catalog: Catalog, sample_dir: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    empty = fetch(catalog, archive, dataset="employment", mode="offline")
    assert [(i.file_id, i.status) for i in empty.items] == [
        ("onem_rates", "missing"),
        ("vdab_jobseekers", "missing"),
        ("counts", "missing"),
    ]
    assert empty.items[0].reason == "not in the archive (offline: nothing was downloaded)"
    with pytest.raises(ArchiveError, match=r"^3 file\(s\) not available:"):
        fetch(catalog, archive, dataset="employment", mode="offline", strict=True)

    fetch(catalog, archive, source_dir=sample_dir, retrieved_at=FIXED)
    held = fetch(catalog, archive, dataset="statbel_population", mode="offline")
    assert [(i.year, i.status, i.reason) for i in held.items] == [(2025, "unchanged", "archived as vintage 2025")]
    entry = held.items[0].entry
    assert entry is not None and entry.sha256 == tree(sample_dir)["TF_SOC_POP_STRUCT_2025.zip"]
    missing_year = fetch(catalog, archive, dataset="statbel_population", year=2024, mode="offline")
    assert [(i.year, i.status) for i in missing_year.items] == [(2024, "missing")]


@pytest.mark.real
def test_the_real_files_are_recognised_and_pass_the_checks(tmp_path: Path, catalog: Catalog) -> None:
    if not DATA_REAL.is_dir():
        pytest.skip(f"real publisher files not found at {DATA_REAL}")
    archive = RawArchive(tmp_path / "raw")
    stored = set()
    for folder in sorted(p for p in DATA_REAL.iterdir() if p.is_dir()):
        report = fetch(catalog, archive, source_dir=folder, retrieved_at=FIXED)
        assert not report.failed, report.summary()
        stored |= {(i.dataset, i.file_id, i.year) for i in report.stored}
    assert stored == {
        ("statbel_population", "pop_struct", 2015),
        ("statbel_population_totals", "pop_density", None),
        ("statbel_real_estate", "quarterly", None),
        ("statbel_real_estate", "annual", None),
        ("statbel_income", "panel", None),
        ("statbel_income", "fisc_workbook_xls", 2022),
        ("statbel_refnis", "refnis", None),
        ("statbel_refnis", "crosswalk_2018_2019", None),
        ("statbel_refnis", "crosswalk_2024_2025", None),
        ("arrivals", "newcomers", None),
        ("arrivals", "newcomers_non_eu", None),
        ("arrivals", "newcomers_rate", None),
        ("arrivals", "newcomers_non_eu_rate", None),
        ("employment", "vdab_jobseekers", None),
        ("schools", "home_language", None),
    }
    # Archived under their own names, renamed or not.
    names = {e.filename for e in archive.entries()}
    assert {"TF_PSNL_INC_TAX_MUNTY_2005_2013.zip", "Pop_density_en.xlsx", "TU_COM_REFNIS.txt"} <= names


# ---- online and has_update, against a local server ----------------------------------------------


class _Server:
    """Serves ``routes[path] = (status, headers, body)``; records each request's headers."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                owner.seen.append((self.command, self.path, dict(self.headers)))
                status, headers, body = owner.routes.get(self.path, (404, {}, b"not found"))
                if_none_match = self.headers.get("If-None-Match")
                if if_none_match and if_none_match == headers.get("ETag"):
                    status, body = 304, b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

            do_GET = _answer
            do_HEAD = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"


@pytest.fixture
def server() -> Iterator[_Server]:
    local = _Server()
    thread = threading.Thread(target=local.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield local
    local.httpd.shutdown()
    local.httpd.server_close()


def local_catalog(server: _Server) -> Catalog:
    def entry(file_id: str, filename: str, url: str | None, **more: Any) -> dict[str, Any]:
        return {"id": file_id, "layout": "onem_rates", "filename": filename, "url": url, "years": None,
                "vintage": "retrieved", "map_vintage": {"..": 565}, **more}

    return parse_catalog(
        {
            "datasets": [
                {
                    "id": "employment",
                    "publisher": "ONEM/RVA",
                    "title": "Rates",
                    "licence": "terms",
                    "attribution": "ONEM",
                    "landing_page": "https://onem.example",
                    "domain": "employment",
                    "cadence": "monthly",
                    "files": [
                        entry("rates", "interact_taux_V1.csv", server.url("/interact_taux_V1.csv")),
                        entry("gone", "moved.csv", server.url("/moved.csv")),
                        entry("manual", "manual.csv", None, note="Ask the data team for manual.csv."),
                    ],
                }
            ]
        }
    )


RATES = b"jaar;maand;level;zonegeog;graad;diff1an\n2025;13;5;92094;6.00;\n"


def test_online_fetch_reports_each_file(tmp_path: Path, server: _Server) -> None:
    server.routes["/interact_taux_V1.csv"] = (200, {"ETag": '"r1"'}, RATES)
    catalog = local_catalog(server)
    archive = RawArchive(tmp_path / "raw")
    report = fetch(catalog, archive, policy=FAST, retrieved_at=FIXED)
    statuses = [(i.file_id, i.status) for i in report.items]
    assert statuses == [("rates", "stored"), ("gone", "failed"), ("manual", "missing")]
    assert report.items[0].reason == "downloaded, archived as vintage 2025-03-01"
    assert "HTTP 404 Not Found" in report.items[1].reason
    assert report.items[2].reason == "no public URL: Ask the data team for manual.csv."
    again = fetch(catalog, archive, dataset="employment", policy=FAST)
    first = again.items[0]
    assert (first.status, first.reason) == ("unchanged", "not modified since vintage 2025-03-01 (HTTP 304)")
    assert len(archive.entries()) == 1


def test_has_update_asks_the_server_conditionally(tmp_path: Path, server: _Server) -> None:
    catalog = local_catalog(server)
    rates = catalog.dataset("employment").file("rates")
    archive = RawArchive(tmp_path / "raw")
    server.routes["/interact_taux_V1.csv"] = (200, {"ETag": '"r1"'}, RATES)
    assert has_update(rates, archive, policy=FAST)  # nothing archived yet
    fetch(catalog, archive, dataset="employment", policy=FAST, retrieved_at=FIXED)
    assert not has_update(rates, archive, policy=FAST)  # 304
    assert server.seen[-1][0] == "HEAD" and server.seen[-1][2]["If-None-Match"] == '"r1"'
    server.routes["/interact_taux_V1.csv"] = (200, {"ETag": '"r2"'}, RATES + b"2026;1;5;92094;6.10;\n")
    assert has_update(rates, archive, policy=FAST)
    assert not has_update(catalog.dataset("employment").file("gone"), archive, policy=FAST)  # 404: not published
    assert not has_update(catalog.dataset("employment").file("manual"), archive, policy=FAST)  # no URL to poll


def test_has_update_without_validators_compares_the_bytes(tmp_path: Path, server: _Server) -> None:
    catalog = local_catalog(server)
    rates = catalog.dataset("employment").file("rates")
    archive = RawArchive(tmp_path / "raw")
    server.routes["/interact_taux_V1.csv"] = (200, {}, RATES)
    fetch(catalog, archive, dataset="employment", policy=FAST, retrieved_at=FIXED)
    assert not has_update(rates, archive, policy=FAST)
    assert [m for m, p, _ in server.seen[-2:]] == ["HEAD", "GET"]
    server.routes["/interact_taux_V1.csv"] = (200, {}, RATES.replace(b"6.00", b"6.01"))
    assert has_update(rates, archive, policy=FAST)
