"""The publishers' own files, end to end: every real file of ../shared/data-real copied into one
folder, as a new user would, then `cohesion run --source-dir FOLDER` in a fresh data folder.

The release must publish what the files support and say what they do not: the assertions are
published truths computed here from the files themselves (population totals, a commune's share of
non-Belgians, the fiscal workbook's Belgium row, a commune's sales), and the editions the files
allow. Subsets of the files publish what they can (tests/e2e/test_real_subsets.py).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from fixtures.real_runs import CliRun, run_cli_on
from ingestion.errors import CohesionError

pytestmark = [pytest.mark.e2e, pytest.mark.real]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, data_real_files) -> CliRun:
    return run_cli_on(data_real_files, tmp_path_factory.mktemp("real"))


def _population_2015(folder: Path) -> tuple[int, dict[str, int], dict[str, int]]:
    """Total, residents and non-Belgian residents per commune, summed from the raw text."""
    total: dict[str, int] = {}
    foreign: dict[str, int] = {}
    with zipfile.ZipFile(folder / "statbel-population" / "TF_SOC_POP_STRUCT_2015.zip") as archive:
        with archive.open(archive.namelist()[0]) as handle:
            rows = csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig"), delimiter="|")
            header = next(rows)
            code, nationality, people = (header.index(c) for c in ("CD_MUNTY_REFNIS", "CD_NATLTY", "MS_POPULATION"))
            for row in rows:
                total[row[code]] = total.get(row[code], 0) + int(row[people])
                if row[nationality] == "ETR":
                    foreign[row[code]] = foreign.get(row[code], 0) + int(row[people])
    return sum(total.values()), total, foreign


def test_the_real_files_publish_a_release_from_publishers_files(real_run):
    assert real_run.code == 0, real_run.output[-3000:]
    assert real_run.report["published"], real_run.report.get("reason")
    (origin,) = real_run.query("select data_origin from _release")[0]
    assert origin.startswith("publishers' files: ")
    assert {"statbel_population", "statbel_income", "statbel_real_estate", "arrivals", "employment", "schools"} <= set(
        origin.removeprefix("publishers' files: ").split(", ")
    )
    assert real_run.query("select count(*) from communes") == [(565,)]
    assert real_run.query("select count(*) from _sources where origin = 'sample'") == [(0,)]


def test_no_real_data_file_is_left_unmatched(real_run):
    # Every statistics file of the folder is recognised by its content; only reference files the
    # warehouse does not load (dictionaries, geometry, other code lists) are reported unmatched.
    unmatched = {line.split()[1] for line in real_run.output.splitlines() if line.startswith("unmatched")}
    for data_file in (
        "TF_PSNL_INC_TAX_MUNTY_2005_2013.zip", "Pop_density_en.xlsx", "nieuwkomers niet-EU - gemeenten.csv",
        "fisc2022_C_NL.xls", "unemployment_jobseekers_data.xlsx", "flanders_youth.csv",
    ):
        assert not any(data_file.startswith(name) for name in unmatched), real_run.output[:4000]
    # The run report keeps, for each file, where it went, and for an unmatched one each layout's verdict.
    refnis = next(i for i in real_run.report["inputs"] if i["file"] == "REFNIS_2019.csv")
    assert refnis["status"] == "unmatched" and refnis["dataset"] is None
    assert refnis["layouts"]["onem_rates"].startswith("its header has no jaar, maand, level")
    archived = {name for (name,) in real_run.query("select file from _sources")}
    assert {
        "TF_SOC_POP_STRUCT_2015.zip", "TF_PSNL_INC_TAX_MUNTY_2005_2013.zip", "Pop_density_en.xlsx", "fisc2022_C_NL.xls",
        "nieuwkomers - gemeenten.csv", "nieuwkomers niet-EU - gemeenten.csv",
        "nieuwkomers per 1.000 inwoners 18_ jaar - gemeenten.csv",
        "nieuwkomers niet-EU per 1.000 inwoners 18_ jaar niet-EU -%2.csv",
        "unemployment_jobseekers_data.xlsx", "flanders_youth.csv",
        "FR_immo_statbel_trimestre_par_commune.xlsx", "NL_immo_statbel_jaar.xlsx",
    } <= archived


def test_the_2015_population_and_saint_gilles_share_of_non_belgians(real_run, data_real):
    total, residents, foreign = _population_2015(data_real)
    assert total == 11_209_044
    assert real_run.query(
        "select sum(denominator) from commune_indicators where indicator = 'share_non_belgian' and year = 2015"
    ) == [(11_209_044,)]
    value, numerator, denominator, source = real_run.query(
        "select value, numerator, denominator, source_file from commune_indicators "
        "where nis_code = '21013' and indicator = 'share_non_belgian' and year = 2015"
    )[0]
    assert (numerator, denominator) == (foreign["21013"], residents["21013"]) == (24_317, 50_472)
    assert value == pytest.approx(0.4818, abs=1e-4)
    assert source == "TF_SOC_POP_STRUCT_2015.zip"


def test_the_2022_fiscal_totals_match_the_workbook_s_belgium_row(real_run):
    # Statbel's own Belgium row of fisc2022_C_NL.xls: 11,697,557 inhabitants, 254,676,934,997 EUR
    # of net taxable income (communes are rounded to the euro: 2 EUR apart in all), 501,410 +
    # 6,774,436 declarations. The communes, harmonised onto the 565 map, add up to it.
    income, residents = real_run.query(
        "select sum(numerator), sum(denominator) from commune_indicators "
        "where indicator = 'mean_income_per_inhabitant' and year = 2022"
    )[0]
    assert residents == 11_697_557
    assert abs(income - 254_676_934_997) <= 5
    # Herstappe's and Voeren's zero-income counts are `*`: their declarations are NULL, never 0,
    # so the published declarations are the Belgium row minus those two communes (2,713).
    declarations, suppressed = real_run.query(
        "select sum(denominator), list(nis_code order by nis_code) filter (where value is null) "
        "from commune_indicators where indicator = 'mean_income_per_declaration' and year = 2022"
    )[0]
    assert suppressed == ["73028", "73109"]
    assert declarations == 501_410 + 6_774_436 - 2_713
    mean, source = real_run.query(
        "select value, source_file from commune_indicators "
        "where nis_code = '11001' and indicator = 'mean_income_per_declaration' and year = 2022"
    )[0]
    assert source == "fisc2022_C_NL.xls" and 30_000 < mean < 60_000


def test_a_commune_s_real_estate_sales_and_population(real_run):
    # Sint-Gillis 2019 in NL_immo_statbel_jaar.xlsx: 47 houses and 380 flats sold; Pop_density 2019:
    # 50,267 inhabitants.
    value, numerator, denominator = real_run.query(
        "select value, numerator, denominator from commune_indicators "
        "where nis_code = '21013' and indicator = 'sales_per_1000_inhabitants' and year = 2019"
    )[0]
    assert (numerator, denominator) == (427, 50_267)
    assert value == pytest.approx(1000 * 427 / 50_267)
    # Antwerpen on the 565 map = Antwerpen + Borsbeek of the 581 map in Pop_density 2019.
    assert real_run.query(
        "select denominator from commune_indicators where nis_code = '11002' "
        "and indicator = 'sales_per_1000_inhabitants' and year = 2019"
    ) == [(525_935 + 10_854,)]


def test_the_editions_table_lists_what_the_files_allow_and_why_not_the_rest(real_run):
    published = dict(
        real_run.query("select scope, list(year order by year) from index_editions where published group by scope")
    )
    # National: income 2013 (lag 2 and 3), housing, diversity and demography 2015 -> 2015, 2016.
    assert published["BE"] == [2015, 2016]
    # Flanders adds VDAB jobseekers, newcomers and the home language of pupils.
    assert published["BE-VLG"][0] <= 2016 and published["BE-VLG"][-1] == 2024
    indicators, left_out = real_run.query(
        "select indicators, left_out from index_editions where scope = 'BE' and year = 2016"
    )[0]
    assert "mean_income_per_declaration (2013)" in indicators and "share_non_belgian (2015)" in indicators
    assert "unemployment_rate: covers BE-VLG only" in left_out
    assert "school_delay_rate: no value in any file" in left_out
    assert "arrivals_per_1000_3y: no value in any file" in left_out
    reason = real_run.query("select reason from index_editions where scope = 'BE' and year = 2020")[0][0]
    assert reason.endswith("an edition needs at least 3 domains and 50% of the weight")
    # Every value used carries its reference period.
    assert real_run.query(
        "select count(*) from cohesion_index_contributions where reference_period is null or reference_period > year"
    ) == [(0,)]
    assert real_run.query("select count(*) from cohesion_index where score is not null and year = 2016")[0][0] > 500


def test_the_fund_has_no_real_year_and_says_why(real_run):
    # Gate A needs arrivals for every commune, or the proxy (non-Belgians in Y - 3 and Y): the
    # files hold population by nationality for 2015 only, and arrivals for Flanders only.
    assert real_run.query("select count(*) from fund_eligibility") == [(0,)]
    assert real_run.query("select count(*) from fund_editions where computed") == [(0,)]
    reason = real_run.query("select reason from fund_editions where year = 2016")[0][0]
    assert "needs population by nationality for 2013 and 2016; the archive holds it for 2015" in reason


def test_a_flemish_fund_runs_on_the_real_newcomers(real_run, tmp_path, monkeypatch):
    """A rules file whose scope is Flanders and whose gate A is the newcomers' rate, through
    `cohesion whatif` (which never touches the release): method 2 says why it cannot pay on these
    files, method 1's archived rules compute the fund."""
    import yaml

    from publish.whatif import run_whatif

    monkeypatch.setenv("COHESION_DATA_DIR", str(real_run.data_dir))
    config = Path(__file__).resolve().parents[2] / "config"

    def flemish(rules_file: Path, path: Path, *, drivers_by_population: bool) -> Path:
        rules = yaml.safe_load(rules_file.read_text())
        rules["scope"] = ["BE-VLG"]
        rules["gate_a"].update(indicator="newcomers_per_1000_3y", allow_proxy=False)
        if drivers_by_population:
            for line in rules["budget_lines"]:
                if line["needs_driver"] in ("children_3_17", "children_0_2"):
                    line["needs_driver"] = "population"  # what a data team can share them by on these files
        path.write_text(yaml.safe_dump(rules), encoding="utf-8")
        return path

    # Method 2 weighs need by the fixed-goalpost score, which needs every indicator of the
    # methodology's fixed set: the real files lack several, so no edition has one, and whatif says so.
    method2 = flemish(config / "fund_rules.yml", tmp_path / "flemish2.yml", drivers_by_population=True)
    with pytest.raises(CohesionError) as refused:
        run_whatif(method2, real_run.data_dir / "warehouse.duckdb")
    assert "the fund cannot be computed for any year" in str(refused.value)
    assert "has no fixed-goalpost score" in str(refused.value)

    archived = config / "archive" / "fund_rules_2025.2.yml"  # method 1: gate B by rank, no need intensity
    # The real files hold population by age for 2015 only: the schools and crèches lines cannot be
    # shared by children for the fund's years, and whatif says so rather than paying nobody.
    with pytest.raises(CohesionError) as refused:
        run_whatif(flemish(archived, tmp_path / "flemish1.yml", drivers_by_population=False), real_run.data_dir / "warehouse.duckdb")
    assert str(refused.value).endswith(
        "holds fund inputs the rules cannot use: split_budget_lines needs_profile: line 'schools' has a budget but "
        "every commune in the fund has children_3_17 = 0"
    )
    result = run_whatif(flemish(archived, tmp_path / "flemish1.yml", drivers_by_population=True), real_run.data_dir / "warehouse.duckdb")
    assert result.years and set(result.years) <= set(range(2016, 2025))
    eligible = result.eligibility.loc[result.eligibility["eligible"]]
    assert len(eligible) > 0 and set(result.eligibility["region_code"]) == {"02000"}  # Flemish communes only
    assert set(result.eligibility["gate_a_indicator"].dropna()) == {"newcomers_per_1000_3y"}


def test_real_files_are_refused_by_an_archive_holding_the_sample(data_copy, data_real, capsys):
    """`cohesion run --source-dir` with real files on a data folder of the sample: one line, and
    the archive and the published release stay byte for byte as they were."""
    from ingestion.files import sha256_of
    from cli import main as cli

    published = data_copy / "published" / "cohesion.duckdb"
    before = {p: sha256_of(p) for p in sorted((data_copy / "raw").rglob("*")) if p.is_file()}
    release = sha256_of(published)
    code = cli.main(["run", "--source-dir", str(data_real / "statbel-population")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "\n" not in err
    assert err == (
        f"cohesion run: the archive {data_copy / 'raw'} holds the synthetic sample ({len(before) // 2} files); "
        "real files cannot be mixed with it: use another COHESION_DATA_DIR"
    )
    assert {p: sha256_of(p) for p in sorted((data_copy / "raw").rglob("*")) if p.is_file()} == before
    assert sha256_of(published) == release
