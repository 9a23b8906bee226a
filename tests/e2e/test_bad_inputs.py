"""The bad inputs of issue 6, each fed through Dagster: the run stops with one line that names the
dataset, the file or the failed expectation and the offending row, column or code; the published
release and every archived file stay byte for byte as they were.

Each case starts from a copy of the good sample run, corrupts one sample file and archives it as
the newest vintage (as a hand download would be), then runs only the affected raw asset and its
blocking check in process, which takes seconds instead of the minutes of a whole run. Files that
cannot be what their name says (HTML, a truncated zip, nothing at all) are refused by `fetch`;
for those the test also forces the file into the archive by hand, to show that the parser would
still stop it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.bad_inputs import (
    Before,
    RawRun,
    assert_nothing_changed,
    digests,
    lines_of,
    rewrite_zip_member,
    run_raw_asset,
    snapshot,
)
from ingestion.archive import RawArchive
from ingestion.catalog import load_catalog
from ingestion.fetch import fetch

pytestmark = pytest.mark.e2e

# Later than the sample's retrieval time (ingestion.sample.archive.SAMPLE_RETRIEVED_AT), so the corrupted
# file becomes the newest vintage, the one the raw asset reads.
BAD_VINTAGE_AT = "2026-02-01T00:00:00Z"

POPULATION_2024 = "TF_SOC_POP_STRUCT_2024.zip"  # older layout: CD_MUNTY_REFNIS and CD_YEAR
INCOME_PANEL = "TF_PSNL_INC_TAX_MUNTY.zip"
REAL_ESTATE = "FR_immo_statbel_trimestre_par_commune.xlsx"
EMPLOYMENT_2024 = "employment_counts_2024.csv"  # canonical CSV, 565 map
SCHOOLS_2024 = "schools_2024.csv"  # canonical CSV, 581 map


# --- corruptions: each writes a broken copy of `source` to `target` ------------------------------


Corrupt = Callable[[Path, Path], None]


def truncated_download(source: Path, target: Path) -> None:
    # A connection cut halfway: the zip's central directory, at the end, never arrived.
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def semicolon_delimiter(source: Path, target: Path) -> None:
    # Excel in a Belgian locale saves "CSV" with semicolons.
    target.write_bytes(source.read_bytes().replace(b",", b";"))


def drop_residents_column(source: Path, target: Path) -> None:
    def change(data: bytes) -> bytes:
        rows = [line.rstrip(b"\r\n").split(b"|") for line in lines_of(data)]
        drop = rows[0].index(b"MS_TOT_RESIDENTS")
        return b"".join(b"|".join(r[:drop] + r[drop + 1 :]) + b"\r\n" for r in rows)

    rewrite_zip_member(source, target, change)


def rename_sales_header(source: Path, target: Path) -> None:
    # Statbel rewords a header: "nombre transactions" becomes "nombre de transactions".
    def change(xml: bytes) -> bytes:
        changed = xml.replace("<t>nombre transactions</t>".encode(), "<t>nombre de transactions</t>".encode())
        assert changed != xml
        return changed

    rewrite_zip_member(source, target, change, member="xl/sharedStrings.xml")


def resave_as_cp1252(source: Path, target: Path) -> None:
    # Opened and saved again on a Windows machine: latin-1 (cp1252), no BOM. cp1252 rather than
    # strict latin-1 because the names hold a typographic apostrophe latin-1 lacks.
    rewrite_zip_member(source, target, lambda data: data.decode("utf-8-sig").encode("cp1252"))


def duplicate_saint_gilles_2022(source: Path, target: Path) -> None:
    def change(data: bytes) -> bytes:
        lines = lines_of(data)
        at = next(i for i, line in enumerate(lines) if line.startswith(b"2022|21013|"))
        return b"".join(lines[: at + 1] + [lines[at]] + lines[at + 1 :])

    rewrite_zip_member(source, target, change)


def repeat_saint_gilles_block(source: Path, target: Path) -> None:
    # Saint-Gilles' rows appear twice, as when two extracts are pasted together.
    def change(data: bytes) -> bytes:
        lines = lines_of(data)
        block = [line for line in lines if line.startswith(b"21013|")]
        at = max(i for i, line in enumerate(lines) if line.startswith(b"21013|"))
        return b"".join(lines[: at + 1] + block + lines[at + 1 :])

    rewrite_zip_member(source, target, change)


def transpose_saint_gilles_code(source: Path, target: Path) -> None:
    # 21013 typed as 21031: a code that is no commune on any map.
    text = source.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^21013,", "21031,", text)
    assert changed != text
    target.write_text(changed, encoding="utf-8")


def negative_jobseekers(source: Path, target: Path) -> None:
    text = source.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^(21013,565,2024,)\d+,", r"\g<1>-12,", text)
    assert changed != text
    target.write_text(changed, encoding="utf-8")


def drop_saint_gilles(source: Path, target: Path) -> None:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("21013,")]
    assert len(kept) == len(lines) - 1
    target.write_text("".join(kept), encoding="utf-8")


def html_challenge_page(source: Path, target: Path) -> None:
    # What a browser challenge or a maintenance page delivers under the workbook's URL.
    target.write_text(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><title>Just a moment...</title></head>\n"
        "<body><p>Checking your browser before accessing statbel.fgov.be.</p></body></html>\n",
        encoding="utf-8",
    )


def empty_file(source: Path, target: Path) -> None:
    target.write_bytes(b"")


def year_2023_inside(source: Path, target: Path) -> None:
    # The 2024 file (by its name and member) whose CD_YEAR column says 2023 on every row.
    def change(data: bytes) -> bytes:
        changed = re.sub(rb"\|2024(\r?\n|$)", rb"|2023\1", data)
        assert changed != data
        return changed

    rewrite_zip_member(source, target, change)


# --- the cases -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BadInput:
    name: str
    dataset: str
    file: str  # the sample file that is corrupted
    corrupt: Corrupt
    message: tuple[str, ...]  # fragments of the one-line message: the error raised or the check's summary
    refused_by_fetch: tuple[str, ...] = ()  # fragments of fetch's reason, when fetch refuses the file
    report_gap: str | None = None  # why the run report's reason lacks the message (a known defect)
    not_caught: str | None = None  # why the pipeline lets this input through (a known gap; strict xfail)


ARCHIVED: tuple[BadInput, ...] = (
    BadInput(
        "wrong delimiter",
        "employment",
        EMPLOYMENT_2024,
        semicolon_delimiter,
        message=(f"file {EMPLOYMENT_2024}", "row 1", "nis_code;map_vintage;year", "(is the delimiter a comma?)"),
    ),
    BadInput(
        "missing column",
        "statbel_income",
        INCOME_PANEL,
        drop_residents_column,
        message=(f"file {INCOME_PANEL}", "column 'MS_TOT_RESIDENTS': column is missing"),
    ),
    BadInput(
        "renamed column",
        "statbel_real_estate",
        REAL_ESTATE,
        rename_sales_header,
        message=(f"file {REAL_ESTATE}", "row 3", "/ nombre transactions': header not found"),
    ),
    BadInput(
        "latin-1 where UTF-8 is declared",
        "statbel_income",
        INCOME_PANEL,
        resave_as_cp1252,
        message=(f"file {INCOME_PANEL}", "row 2", "byte b'\\x92' is not UTF-8", "latin-1/cp1252"),
    ),
    BadInput(
        "duplicate commune rows",
        "statbel_income",
        INCOME_PANEL,
        duplicate_saint_gilles_2022,
        message=(f"file {INCOME_PANEL}", "row 411", "CD_MUNTY_REFNIS 21013, CD_YEAR 2022 appears twice"),
    ),
    BadInput(
        "duplicate commune rows in the population file",
        "statbel_population",
        POPULATION_2024,
        repeat_saint_gilles_block,
        message=(f"file {POPULATION_2024}", "the combination CD_MUNTY_REFNIS 21013", "appears twice"),
    ),
    BadInput(
        "unknown NIS code",
        "employment",
        EMPLOYMENT_2024,
        transpose_saint_gilles_code,
        message=(f"file {EMPLOYMENT_2024}", "row 81, column 'nis_code'", "code 21031 is not a commune of the 565 map"),
    ),
    BadInput(
        "negative count",
        "employment",
        EMPLOYMENT_2024,
        negative_jobseekers,
        message=("expect_column_values_to_be_between on 'value'", 'unit=="persons"', "1 unexpected (e.g. -12.0)"),
    ),
    BadInput(
        "missing commune",
        "schools",
        SCHOOLS_2024,
        drop_saint_gilles,
        message=("expect_column_distinct_values_to_equal_set on 'nis_code'", 'period=="2024"', "1 missing (21013); 0 unexpected"),
    ),
)

REFUSED: tuple[BadInput, ...] = (
    BadInput(
        "truncated zip",
        "statbel_population",
        POPULATION_2024,
        truncated_download,
        message=(f"file {POPULATION_2024}", "is not a readable zip archive (truncated or corrupt", "download it again"),
        refused_by_fetch=("is a damaged zip archive",),
    ),
    BadInput(
        "HTML page instead of a workbook",
        "statbel_real_estate",
        REAL_ESTATE,
        html_challenge_page,
        message=(f"file {REAL_ESTATE}", "cannot be read as an Excel workbook"),
        refused_by_fetch=("is an HTML page, not the expected xlsx file",),
    ),
    BadInput(
        "empty file",
        "employment",
        EMPLOYMENT_2024,
        empty_file,
        message=(f"file {EMPLOYMENT_2024}", "row 1", "the file is empty; expected the header nis_code,"),
        refused_by_fetch=("is empty (0 bytes)",),
    ),
    BadInput(
        "year disagrees with the file name",
        "statbel_population",
        POPULATION_2024,
        year_2023_inside,
        message=(f"file {POPULATION_2024}", "the file name says 2024 but CD_YEAR (row 2) says 2023"),
        # Files are recognised by their content, which reads the year too: the disagreement
        # stops the file before it is archived.
        refused_by_fetch=("says 2024", "CD_YEAR (row 2) says 2023"),
    ),
)


def _params(cases: tuple[BadInput, ...]) -> list:
    """One test per case; a known gap is a strict xfail, so that closing it is noticed."""
    return [
        pytest.param(
            case,
            id=case.name.replace(" ", "_"),
            marks=[pytest.mark.xfail(strict=True, reason=case.not_caught)] if case.not_caught else [],
        )
        for case in cases
    ]


# --- running the raw asset of one dataset --------------------------------------------------------


def _corrupt(case: BadInput, data_dir: Path, download: Path) -> Path:
    download.mkdir()
    bad_file = download / case.file
    case.corrupt(data_dir / "sample" / case.file, bad_file)
    return bad_file


def _assert_stopped(case: BadInput, run: RawRun, before: Before, data_dir: Path, new_vintage: Path) -> None:
    assert not run.success, f"{case.name} was not caught: raw/{case.dataset} and its check passed"
    assert "published/release" not in run.materialized
    # The step of raw/<dataset> failed, or its raw contract did (the plausibility check may fail too:
    # a negative count is also far from the year before).
    failed_check = f"raw_contract on raw/{case.dataset}"
    assert run.failed_steps == (f"raw__{case.dataset}",) or failed_check in run.failed_checks
    message = " | ".join(run.errors + run.check_summaries)
    assert f"dataset {case.dataset}" in message, message
    for fragment in case.message:
        assert fragment in message, message

    assert_nothing_changed(before, data_dir, {new_vintage})
    assert new_vintage.is_dir()  # one new vintage only, the bad file's

    # What `cohesion run` prints after NOT PUBLISHED: one line with the same facts.
    assert "\n" not in run.reason
    reported = case.dataset in run.reason and all(fragment in run.reason for fragment in case.message)
    if case.report_gap is not None:
        assert not reported, f"the run report now names the problem: remove report_gap from {case.name!r}"
        pytest.xfail(f"{case.report_gap}: {run.reason}")
    assert reported, run.reason


@pytest.mark.parametrize("case", _params(ARCHIVED))
def test_bad_input_stops_the_run_and_changes_nothing_published_or_archived(case: BadInput, data_copy: Path, tmp_path):
    before = snapshot(data_copy)
    bad_file = _corrupt(case, data_copy, tmp_path / "download")
    archive = RawArchive(data_copy / "raw")
    # A corrupted sample file is still a sample file: the archive never mixes sample and real.
    fetched = fetch(load_catalog(), archive, source_dir=bad_file.parent, retrieved_at=BAD_VINTAGE_AT, origin="sample")
    assert [item.status for item in fetched.items] == ["stored"], fetched.summary()

    run = run_raw_asset(case.dataset, data_copy, case.file)

    _assert_stopped(case, run, before, data_copy, fetched.stored[0].entry.path.parent)


@pytest.mark.parametrize("case", _params(REFUSED))
def test_file_that_is_not_what_its_name_says_is_refused_by_fetch_and_by_the_parser(
    case: BadInput, data_copy: Path, tmp_path
):
    before = snapshot(data_copy)
    bad_file = _corrupt(case, data_copy, tmp_path / "download")
    catalog = load_catalog()
    archive = RawArchive(data_copy / "raw")

    fetched = fetch(catalog, archive, source_dir=bad_file.parent, retrieved_at=BAD_VINTAGE_AT, origin="sample")

    assert [item.status for item in fetched.items] == ["failed"], fetched.summary()
    line = fetched.failed[0].line()
    assert line.startswith(f"failed    {case.dataset}/") and case.file in line, line
    assert line.endswith("; nothing was archived"), line
    for fragment in case.refused_by_fetch:
        assert fragment in line, line
    assert digests(data_copy / "raw") == before.archived

    # Copied into the archive by hand all the same, it is still stopped, by the parser.
    match = catalog.match_filename(case.file)
    stored = archive.store(bad_file, spec=match.file, year=match.year, origin="sample", retrieved_at=BAD_VINTAGE_AT)
    run = run_raw_asset(case.dataset, data_copy, case.file)

    _assert_stopped(case, run, before, data_copy, stored.entry.path.parent)
