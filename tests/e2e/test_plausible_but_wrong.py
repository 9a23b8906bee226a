"""Inputs that parse and pass every contract yet are wrong, fed through Dagster (issue 13): a
commune's population ×10, an income ×100, one negative population cell, a whole year halved.
Each stops the run with a message naming the dataset, file, commune, measure, both values and
the rule; the published release and every archived file stay byte for byte as they were.

Each case starts from a copy of the good sample run (its archive, working database, published
release and that release's raw tables, the baseline), archives one corrupted sample file as the
newest vintage, and runs only the affected raw asset and its blocking checks in process.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from expectations.plausibility import number
from fixtures.bad_inputs import assert_nothing_changed, lines_of, rewrite_zip_member, run_raw_asset, snapshot
from ingestion.archive import RawArchive
from ingestion.catalog import load_catalog
from ingestion.fetch import fetch
from publish.baseline import published_load
from ingestion.settings import Paths

pytestmark = pytest.mark.e2e

BAD_VINTAGE_AT = "2026-02-01T00:00:00Z"  # later than the sample's retrieval: the bad copy is current
POPULATION_2024 = "TF_SOC_POP_STRUCT_2024.zip"
POPULATION_2025 = "TF_SOC_POP_STRUCT_2025.zip"
INCOME_PANEL = "TF_PSNL_INC_TAX_MUNTY.zip"
EMPLOYMENT_2024 = "employment_counts_2024.csv"
SAINT_GILLES = "21013"
ANTWERP = "11002"


def _change_population(source: Path, target: Path, change) -> None:
    """Rewrite MS_POPULATION cell by cell: ``change(code, people) -> people``."""

    def rewrite(data: bytes) -> bytes:
        lines = lines_of(data)
        header = lines[0].lstrip(b"\xef\xbb\xbf").rstrip(b"\r\n").split(b"|")
        at = header.index(b"MS_POPULATION")
        out = [lines[0]]
        for line in lines[1:]:
            fields = line.rstrip(b"\r\n").split(b"|")
            fields[at] = str(change(fields[0].decode(), int(fields[at]))).encode()
            out.append(b"|".join(fields) + b"\r\n")
        return b"".join(out)

    rewrite_zip_member(source, target, rewrite)


def _archive_bad(data_dir: Path, tmp_path: Path, name: str, corrupt) -> Path:
    folder = tmp_path / "download"
    folder.mkdir(parents=True)
    corrupt(data_dir / "sample" / name, folder / name)
    fetched = fetch(load_catalog(), RawArchive(data_dir / "raw"), source_dir=folder, retrieved_at=BAD_VINTAGE_AT,
                    origin="sample")  # fmt: skip
    assert [item.status for item in fetched.items] == ["stored"], fetched.summary()
    return fetched.stored[0].entry.path.parent


def _published_value(data_dir: Path, dataset: str, code: str, measure: str, period: str) -> float:
    frame = published_load(Paths(data_dir)).frame(dataset)
    row = frame[(frame["nis_code"] == code) & (frame["measure"] == measure) & (frame["period"] == period)]
    (value,) = row["value"].tolist()
    return float(value)


def _line(dataset: str, file: str, where: str, measure: str, period: str, value: float, other: float, when: str,
          rule: str) -> str:  # fmt: skip
    change = (value - other) / abs(other)
    return (
        f"dataset {dataset}, file {file}, {where}, {measure} {period}: {number(value)} against {number(other)} "
        f"{when} ({change:+.1%}); rule {rule}"
    )


def test_a_commune_ten_times_its_population_is_not_published(data_copy: Path, tmp_path: Path):
    # Saint-Gilles' 2025 population ×10 dropped it out of gate A, kept it paid as "staying" and
    # raised its payment to the cap; every check passed.
    before = snapshot(data_copy)
    new_vintage = _archive_bad(
        data_copy, tmp_path, POPULATION_2025,
        lambda s, t: _change_population(s, t, lambda code, n: n * 10 if code == SAINT_GILLES else n),
    )

    run = run_raw_asset("statbel_population", data_copy, POPULATION_2025)

    assert not run.success and "plausibility on raw/statbel_population" in run.failed_checks
    was = _published_value(data_copy, "statbel_population", SAINT_GILLES, "population_total", "2025")
    last_year = _published_value(data_copy, "statbel_population", SAINT_GILLES, "population_total", "2024")
    first = _line(
        "statbel_population", POPULATION_2025, "commune 21013 (Saint-Gilles / Sint-Gillis)", "population_total",
        "2025", was * 10, last_year, "in 2024",
        "year_change: at most ±15% (or ±100) a year (config/plausibility.yml year_change.population_total)",
    )
    (summary,) = [s for s in run.check_summaries if s.startswith("dataset statbel_population, file")]
    assert summary.startswith(first + " (+") and "more implausible value(s), listed in the run report; in all " in summary
    details = next(f["details"] for f in run.report["failures"] if f["what"] == "plausibility on raw/statbel_population")
    published = _line(
        "statbel_population", POPULATION_2025, "commune 21013 (Saint-Gilles / Sint-Gillis)", "population_total",
        "2025", was * 10, was, "in the published load (release " + published_load(Paths(data_copy)).release_id + ")",
        "load_change: at most ±5% (or ±20) from the published load (config/plausibility.yml load_change.*)",
    )
    assert first in details and published in details
    assert any(line.startswith("dataset statbel_population, file TF_SOC_POP_STRUCT_2025.zip, total of Brussels (BE-BRU), "
                               "population_total 2025: ") for line in details)  # fmt: skip
    assert first in run.reason and "\n" not in run.reason
    assert_nothing_changed(before, data_copy, {new_vintage})


def test_an_income_a_hundred_times_too_large_is_not_published(data_copy: Path, tmp_path: Path):
    # Saint-Gilles' 2023 income ×100 published a mean income per inhabitant of 1,573,534.85 EUR.
    before = snapshot(data_copy)

    def times_hundred(source: Path, target: Path) -> None:
        def change(data: bytes) -> bytes:
            out = []
            for line in lines_of(data):
                if line.startswith(b"2023|21013|"):
                    fields = line.split(b"|")
                    fields[4] = f"{float(fields[4]) * 100:.2f}".encode()  # MS_TOT_NET_TAXABLE_INC
                    line = b"|".join(fields)
                out.append(line)
            return b"".join(out)

        rewrite_zip_member(source, target, change)

    new_vintage = _archive_bad(data_copy, tmp_path, INCOME_PANEL, times_hundred)

    run = run_raw_asset("statbel_income", data_copy, INCOME_PANEL)

    assert not run.success and "plausibility on raw/statbel_income" in run.failed_checks
    total = _published_value(data_copy, "statbel_income", SAINT_GILLES, "net_taxable_income_total", "2023")
    total_before = _published_value(data_copy, "statbel_income", SAINT_GILLES, "net_taxable_income_total", "2022")
    residents = _published_value(data_copy, "statbel_income", SAINT_GILLES, "residents", "2023")
    first = _line(
        "statbel_income", INCOME_PANEL, "commune 21013 (Saint-Gilles / Sint-Gillis)", "net_taxable_income_total",
        "2023", round(total * 100, 2), total_before, "in 2022",
        "year_change: at most ±50% (or ±1,000,000) a year (config/plausibility.yml year_change.net_taxable_income_total)",
    )
    (summary,) = [s for s in run.check_summaries if s.startswith("dataset statbel_income, file")]
    assert summary.startswith(first + " (+")
    per_resident = round(total * 100, 2) / residents
    assert number(per_resident) == "1,573,534.85"  # the mean income per inhabitant that was published
    details = next(f["details"] for f in run.report["failures"] if f["what"] == "plausibility on raw/statbel_income")
    assert (
        "dataset statbel_income, file TF_PSNL_INC_TAX_MUNTY.zip, commune 21013 (Saint-Gilles / Sint-Gillis), "
        f"net_taxable_income_total / residents 2023: 1,573,534.85 ({number(round(total * 100, 2))} / "
        f"{number(residents)}) is above the bound 100,000; rule ratio_bounds.income_per_resident: "
        "net_taxable_income_total / residents at most 100,000 (config/plausibility.yml ratio_bounds.income_per_resident)"
    ) in details
    assert_nothing_changed(before, data_copy, {new_vintage})


def test_one_negative_population_cell_is_refused_by_the_parser(data_copy: Path, tmp_path: Path):
    # -2,697 in one of Antwerp's cells lowered its total silently: the sum stayed positive.
    before = snapshot(data_copy)
    seen = []

    def one_negative(code: str, people: int) -> int:
        if code == ANTWERP and people > 0 and not seen:
            seen.append(people)
            return -2697
        return people

    new_vintage = _archive_bad(data_copy, tmp_path, POPULATION_2025, lambda s, t: _change_population(s, t, one_negative))
    with zipfile.ZipFile(new_vintage / POPULATION_2025) as archive:
        lines = archive.read(archive.namelist()[0]).splitlines()
    row = next(i for i, line in enumerate(lines, start=1) if line.endswith(b"|-2697"))

    run = run_raw_asset("statbel_population", data_copy, POPULATION_2025)

    assert run.failed_steps == ("raw__statbel_population",)
    expected = (
        f"dataset statbel_population, file {POPULATION_2025}, row {row}, column 'MS_POPULATION': commune 11002: a count "
        "cannot be negative, found -2697 (1 negative cell(s); they are summed into the commune's totals by "
        "nationality, sex and age, which they would lower silently)"
    )
    assert run.errors == (f"ingestion.errors.ParseError: {expected}",)  # as Dagster records it
    assert run.reason == f"raw__statbel_population: {expected}"  # as the run report says it
    assert_nothing_changed(before, data_copy, {new_vintage})


def test_a_whole_year_halved_is_not_published(data_copy: Path, tmp_path: Path):
    # Every 2024 population cell halved passed every check and doubled the mean arrivals rate.
    before = snapshot(data_copy)
    new_vintage = _archive_bad(
        data_copy, tmp_path, POPULATION_2024, lambda s, t: _change_population(s, t, lambda code, n: n // 2)
    )

    run = run_raw_asset("statbel_population", data_copy, POPULATION_2024)

    assert not run.success and "plausibility on raw/statbel_population" in run.failed_checks
    details = next(f["details"] for f in run.report["failures"] if f["what"] == "plausibility on raw/statbel_population")
    frame = published_load(Paths(data_copy)).frame("statbel_population")
    national = frame[frame["measure"] == "population_total"].groupby("period")["value"].sum()
    halved = _halved_national_total(data_copy / "sample" / POPULATION_2024)
    assert _line(
        "statbel_population", POPULATION_2024, "total of Belgium (BE)", "population_total", "2024", halved,
        float(national["2023"]), "in 2023",
        "total_shift: a national or regional total moves at most ±5% a year (config/plausibility.yml "
        "total_shift.population_total)",
    ) in details
    # Belgium and each region, halved in 2024 and doubled again in 2025: 8 totals; and the communes.
    (summary,) = [s for s in run.check_summaries if s.startswith("dataset statbel_population, file")]
    assert ", 8 total_shift)" in summary and len(details) == 100
    assert sum(line.startswith("dataset statbel_population, file TF_SOC_POP_STRUCT_2024.zip, commune ") for line in details) > 40
    assert_nothing_changed(before, data_copy, {new_vintage})


def _halved_national_total(path: Path) -> float:
    """Belgium's 2024 population once every cell of the file is halved (rounded down)."""
    with zipfile.ZipFile(path) as archive:
        lines = archive.read(archive.namelist()[0]).decode("utf-8-sig").splitlines()
    at = lines[0].split("|").index("MS_POPULATION")
    return float(sum(int(line.split("|")[at]) // 2 for line in lines[1:] if line))


def test_a_reviewed_outlier_is_accepted_and_written_for_dbt(data_copy: Path, tmp_path: Path, monkeypatch):
    # The data team checks the implausible values of a run and lists them: the next run accepts
    # them, says so, and raw.plausibility_exceptions carries them to dbt for the published flag.
    before = snapshot(data_copy)
    new_vintage = _archive_bad(
        data_copy, tmp_path, POPULATION_2025,
        lambda s, t: _change_population(s, t, lambda code, n: n * 3 if code == SAINT_GILLES else n),
    )
    first = run_raw_asset("statbel_population", data_copy, POPULATION_2025)
    assert not first.success
    keys = sorted({(f.code, f.measure, f.period) for f in _findings(data_copy)})
    reviewed = tmp_path / "exceptions.yml"
    reviewed.write_text(yaml.safe_dump({"version": 1, "exceptions": [
        {"dataset": "statbel_population", "nis_code": code, "measure": measure, "period": period,
         "reason": "reception centre opened (checked with the commune)", "reviewed_by": "data team",
         "reviewed_on": "2026-02-02"}
        for code, measure, period in keys
    ]}))
    monkeypatch.setenv("COHESION_PLAUSIBILITY_EXCEPTIONS", str(reviewed))

    again = run_raw_asset("statbel_population", data_copy, POPULATION_2025)

    assert "plausibility on raw/statbel_population" not in again.failed_checks, again.reason
    from fixtures.dagster_runs import materialize_on_copy

    result, _ = materialize_on_copy(data_copy, ["raw", "plausibility_exceptions"])
    assert result.success
    import duckdb

    with duckdb.connect(str(data_copy / "warehouse.duckdb"), read_only=True) as con:
        table = con.execute("select nis_code, measure, period, reviewed_by from raw.plausibility_exceptions order by 1, 2, 3").fetchall()
    assert table == [(code, measure, period, "data team") for code, measure, period in keys]
    assert_nothing_changed(before, data_copy, {new_vintage})


def _findings(data_dir: Path):
    """The plausibility findings of the raw population table as it now is (for the review)."""
    import duckdb

    from expectations.plausibility import check_plausibility
    from expectations.plausibility_config import load_rules

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        frame = con.execute("select * from raw.statbel_population").df()
    published = published_load(Paths(data_dir))
    result = check_plausibility("statbel_population", frame, load_rules(), baseline=published.frame("statbel_population"),
                                baseline_label=published.label)  # fmt: skip
    return result.findings


def test_pseudo_codes_are_counted_in_the_run_report(data_copy: Path, tmp_path: Path):
    # Code 99999 in a file is dropped as a pseudo-code: counted, not silent.
    def with_99999(source: Path, target: Path) -> None:
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        lines.append("99999,565,2024,1,0,10,1,9,12\n")
        target.write_text("".join(lines), encoding="utf-8")

    _archive_bad(data_copy, tmp_path, EMPLOYMENT_2024, with_99999)
    run = run_raw_asset("employment", data_copy, EMPLOYMENT_2024)
    assert run.report["inputs_loaded"]["employment"]["dropped"][EMPLOYMENT_2024] == {"totals_rows": 0, "pseudo_codes": 1}
    assert run.report["inputs_loaded"]["employment"]["vintages"][EMPLOYMENT_2024] == (
        "vintage 2024+" + run.report["inputs_loaded"]["employment"]["vintages"][EMPLOYMENT_2024].split("+")[1].split(" ")[0]
        + f" (the copy supplied last, retrieved {BAD_VINTAGE_AT}; not loaded: 2024 (supplied earlier))"
    )


def test_every_failure_of_a_run_is_in_the_not_published_summary(data_copy: Path, tmp_path: Path):
    # A parse error and a failed check in one run: both are reported (the parse error used to be
    # dropped from the NOT PUBLISHED line whenever a check also failed).
    import dagster as dg

    from fixtures.dagster_runs import materialize_on_copy
    from orchestration.report import build_run_report

    seen = []

    def one_negative(code: str, people: int) -> int:
        if code == ANTWERP and people > 0 and not seen:
            seen.append(people)
            return -2697
        return people

    _archive_bad(data_copy, tmp_path / "a", POPULATION_2025, lambda s, t: _change_population(s, t, one_negative))

    def negative_jobseekers(source: Path, target: Path) -> None:
        text = source.read_text(encoding="utf-8").replace("\n21013,565,2024,", "\n21013,565,2024,-", 1)
        target.write_text(text, encoding="utf-8")

    _archive_bad(data_copy, tmp_path / "b", EMPLOYMENT_2024, negative_jobseekers)
    result, instance = _materialize_two(data_copy)
    report = build_run_report(result, instance, {})
    whats = [f["what"] for f in report["failures"]]
    assert "raw__statbel_population" in whats and "raw_contract on raw/employment" in whats
    assert "raw__statbel_population: dataset statbel_population, file TF_SOC_POP_STRUCT_2025.zip, row" in report["reason"]
    assert "raw_contract on raw/employment: dataset employment: expectation failed" in report["reason"]
    lines = _printed(report)
    assert lines[0] == f"NOT PUBLISHED: {len(report['failures'])} problem(s):"
    assert any(line.startswith("  raw__statbel_population: dataset statbel_population, file TF_SOC_POP_STRUCT_2025.zip")
               for line in lines)  # fmt: skip
    assert any(line.startswith("  raw_contract on raw/employment: dataset employment") for line in lines)


def _materialize_two(data_dir: Path):
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from orchestration.definitions import defs

    local = dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks,
        resources={**defs.resources, "duckdb": DuckDBResource(database=str(data_dir / "warehouse.duckdb"))},
    )
    instance = dg.DagsterInstance.ephemeral()
    result = local.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[dg.AssetKey(["raw", "employment"]), dg.AssetKey(["raw", "statbel_population"])],
        instance=instance, raise_on_error=False, tags={"dagster/partition": "2025"},
    )
    return result, instance


def _printed(report: dict) -> list[str]:
    import contextlib
    import io

    from orchestration.report import print_summary

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_summary(report)
    return out.getvalue().splitlines()
