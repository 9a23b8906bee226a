"""The embedded sample generator: the publishers' layouts, reproducible bytes, consistent numbers.

The default sample is generated once for the module (years 2019-2025), a small one (2024-2025)
for the reproducibility checks. Files are read back through the pipeline's own parsers (by their
catalog layout id) and, for what the parsers do not keep, directly.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ingestion import geography
from ingestion.catalog import load_catalog
from ingestion.files import sha256_of
from ingestion.summary import reconciliation_summary
from ingestion.parsers import parser_for
from ingestion.sample import DEFAULT_SEED, README_NAME, generate_sample

REPO = Path(__file__).resolve().parents[2]
YEARS = range(2019, 2026)
EXPECTED_FILES = {
    *(f"TF_SOC_POP_STRUCT_{y}.zip" for y in YEARS),
    *(f"employment_counts_{y}.csv" for y in YEARS),
    *(f"schools_{y}.csv" for y in YEARS),
    "TF_PSNL_INC_TAX_MUNTY.zip",
    "FR_immo_statbel_trimestre_par_commune.xlsx",
    "NL_immo_statbel_jaar.xlsx",
    "pop1992-mov_fr.xlsx",
    "interact_taux_V1.csv",
    README_NAME,
}
OLDER_POP_HEADER = (
    "CD_MUNTY_REFNIS|TX_MUNTY_DESCR_NL|TX_MUNTY_DESCR_FR|CD_DSTR_REFNIS|TX_ADM_DSTR_DESCR_NL|TX_ADM_DSTR_DESCR_FR|"
    "CD_PROV_REFNIS|TX_PROV_DESCR_NL|TX_PROV_DESCR_FR|CD_RGN_REFNIS|TX_RGN_DESCR_NL|TX_RGN_DESCR_FR|CD_SEX|CD_NATLTY|"
    "TX_NATLTY_FR|TX_NATLTY_NL|CD_CIV_STS|TX_CIV_STS_FR|TX_CIV_STS_NL|CD_AGE|MS_POPULATION|CD_YEAR"
)
NEWER_POP_HEADER = (
    "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_DSTR_REFNIS|TX_ADM_DSTR_DESCR_NL|TX_ADM_DSTR_DESCR_FR|CD_PROV_REFNIS|"
    "TX_PROV_DESCR_NL|TX_PROV_DESCR_FR|CD_RGN_REFNIS|TX_RGN_DESCR_NL|TX_RGN_DESCR_FR|CD_SEX|CD_NATLTY|TX_NATLTY_FR|"
    "TX_NATLTY_NL|CD_CIV_STS|TX_CIV_STS_FR|TX_CIV_STS_NL|CD_AGE|MS_POPULATION"
)
HERSTAPPE = "73028"
AMOUNTS = (
    "MS_TOT_NET_TAXABLE_INC", "MS_TOT_NET_INC", "MS_REAL_ESTATE_NET_INC", "MS_TOT_NET_MOV_ASS_INC",
    "MS_TOT_NET_VARIOUS_INC", "MS_TOT_NET_PROF_INC", "MS_SEP_TAXABLE_INC", "MS_JOINT_TAXABLE_INC",
    "MS_TOT_DEDUCT_SPEND", "MS_TOT_STATE_TAXES", "MS_TOT_MUNICIP_TAXES", "MS_TOT_SUBURBS_TAXES", "MS_TOT_TAXES",
)


def data_real() -> Path:
    base = os.environ.get("COHESION_SHARED_DIR")
    return (Path(base) if base else REPO.parent / "shared") / "data-real"


def real_file(relative: str) -> Path:
    path = data_real() / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent: the comparison with the real publisher file is skipped")
    return path


def parse(layout: str, path: Path, dataset: str, **kwargs) -> pd.DataFrame:
    return parser_for(layout)(path, dataset=dataset, **kwargs)


def wide(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.pivot_table(index=["nis_code", "period"], columns="measure", values="value", aggfunc="first")


def member_text(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        (info,) = archive.infolist()
        return archive.read(info)


@pytest.fixture(scope="module")
def _other_process_started(tmp_path_factory):
    """Generate the one-year sample with the default seed and the next one in another process,
    with another string-hash seed (no set or dict order may leak into a file). Started before the
    full sample so that the two run side by side."""
    script = (
        "import json, sys\nfrom pathlib import Path\nfrom ingestion.sample import generate_sample\n"
        "out = {}\n"
        "for seed in (int(sys.argv[2]), int(sys.argv[2]) + 1):\n"
        "    r = generate_sample(Path(sys.argv[1]) / str(seed), seed=seed, first_year=2025, last_year=2025)\n"
        "    out[str(seed)] = {f.name: f.sha256 for f in r.files}\n"
        "print(json.dumps(out))\n"
    )
    folder = tmp_path_factory.mktemp("other_process")
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(folder), str(DEFAULT_SEED)],
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def sample(tmp_path_factory, _other_process_started):
    return generate_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A one-year sample, written into a folder that already holds a stale sample file of another
    year and a file of the user's."""
    folder = tmp_path_factory.mktemp("small")
    (folder / "schools_2031.csv").write_text("left over\n", encoding="utf-8")
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")
    return generate_sample(folder, first_year=2025, last_year=2025)


@pytest.fixture(scope="module")
def population(sample):
    """Population 2024 (older layout, 581 map) and 2025 (newer layout, 565 map), parsed."""
    return {
        year: wide(parse("statbel_pop_struct", sample.out_dir / f"TF_SOC_POP_STRUCT_{year}.zip", "statbel_population"))
        for year in (2024, 2025)
    }


@pytest.fixture(scope="module")
def movement(sample):
    return parse("statbel_movement", sample.out_dir / "pop1992-mov_fr.xlsx", "arrivals")


# --- files, names, reproducibility ---------------------------------------------------------------


def test_every_file_is_written_under_the_name_the_catalog_matches(sample):
    assert {f.name for f in sample.files} == EXPECTED_FILES
    for item in sample.files:
        path = sample.out_dir / item.name
        assert (item.size, item.sha256) == (path.stat().st_size, sha256_of(path))
    catalog = load_catalog()
    sample_specs = {(s.dataset, s.id) for s in catalog.files() if s.sample}
    matched = set()
    for name in EXPECTED_FILES - {README_NAME}:
        hit = catalog.match_filename(name)
        assert hit is not None and hit.file.sample, f"{name} matches no catalog file marked sample: true"
        matched.add((hit.dataset.id, hit.file.id))
    assert matched == sample_specs
    readme = (sample.out_dir / README_NAME).read_text(encoding="utf-8")
    assert readme.startswith("SYNTHETIC SAMPLE - NOT OFFICIAL STATISTICS")
    assert f"seed {DEFAULT_SEED}, years 2019-2025" in readme


@pytest.fixture(scope="module")
def other_process(_other_process_started) -> dict[str, dict[str, str]]:
    """File name -> sha256 of the one-year sample generated in another process, by seed."""
    out, err = _other_process_started.communicate(timeout=300)
    assert _other_process_started.returncode == 0, err
    return json.loads(out)


def test_the_same_seed_gives_the_same_bytes_in_another_process(small, other_process):
    assert other_process[str(DEFAULT_SEED)] == {f.name: f.sha256 for f in small.files}


def test_another_seed_changes_every_file(small, other_process):
    other = other_process[str(DEFAULT_SEED + 1)]
    assert sorted(other) == [f.name for f in small.files]
    assert [f.name for f in small.files if other[f.name] == f.sha256] == []


def test_years_out_of_order_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"sample years 2026\.\.2025: expected 1994 <= first_year <= last_year"):
        generate_sample(tmp_path, first_year=2026, last_year=2025)


def test_files_of_other_years_from_an_earlier_run_are_removed(small):
    assert not (small.out_dir / "schools_2031.csv").exists()
    assert (small.out_dir / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert "notes.txt" not in {f.name for f in small.files}


# --- population (TF_SOC_POP_STRUCT) ---------------------------------------------------------------


def test_population_files_use_statbels_container_and_both_layouts(sample):
    for year, header, suffix in ((2024, OLDER_POP_HEADER, "|2024\r\n"), (2025, NEWER_POP_HEADER, "\r\n")):
        path = sample.out_dir / f"TF_SOC_POP_STRUCT_{year}.zip"
        with zipfile.ZipFile(path) as archive:
            assert [(i.filename, i.date_time) for i in archive.infolist()] == [
                (f"TF_SOC_POP_STRUCT_{year}.txt", (1980, 1, 1, 0, 0, 0))
            ]
        raw = member_text(path)
        assert raw.startswith(b"\xef\xbb\xbf" + header.encode() + b"\r\n")
        assert raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(suffix.encode())
        # Brussels has no province: three empty fields between arrondissement and region.
        brussels = re.search(rb"\r\n21004\|Brussel\|Bruxelles\|21000\|[^|]*\|[^|]*\|\|\|\|04000\|", raw)
        assert brussels is not None
        # Children are never married; zero-count cells are absent.
        assert re.search(rb"\|20\|Mari\xc3\xa9\|Gehuwd\|(?:[0-9]|1[0-7])\|", raw) is None
        assert re.search(rb"\|0" + re.escape(suffix.encode()), raw) is None


def test_the_older_population_header_is_the_real_files(sample):
    real = member_text(real_file("statbel-population/TF_SOC_POP_STRUCT_2015.zip"))
    first_line = real.split(b"\r\n", 1)[0]
    assert first_line == b"\xef\xbb\xbf" + OLDER_POP_HEADER.encode()


def test_population_parses_and_adds_up(population):
    p24, p25 = population[2024], population[2025]
    assert 11_500_000 <= p25["population_total"].sum() <= 11_900_000
    assert len(p24) == 581 and len(p25) == 565
    for frame in (p24, p25):
        total = frame["population_total"]
        assert (frame["population_belgian"] + frame["population_non_belgian"] == total).all()
        assert (frame["population_male"] + frame["population_female"] == total).all()
        bands = [c for c in frame.columns if c.startswith("population_age_")]
        assert len(bands) == 7 and (frame[bands].sum(axis=1) == total).all()
    herstappe = p25.loc[(HERSTAPPE, "2025"), "population_total"]
    assert 50 <= herstappe <= 150
    share = p25["population_non_belgian"] / p25["population_total"]
    codes = p25.index.get_level_values("nis_code")
    brussels, flemish = share[codes.str.startswith("21")], share[codes.str[0].isin(list("1347"))]
    assert brussels.mean() > 0.25 > 0.12 > flemish.mean()


def test_population_grows_slowly_and_smoothly(population):
    p24 = population[2024]["population_total"].droplevel("period")
    p25 = population[2025]["population_total"].droplevel("period")
    forward = geography.crosswalk_to_565(581).set_index("from_nis")["to_nis"]
    p24_on_565 = p24.groupby(forward.reindex(p24.index).to_numpy()).sum()
    growth = p25 / p24_on_565.reindex(p25.index) - 1
    assert 0.002 < p25.sum() / p24.sum() - 1 < 0.01
    assert growth[p25 > 5_000].abs().max() < 0.05


# --- population movement (pop1992-mov_fr.xlsx) ---------------------------------------------------


def test_movement_sheets_use_the_next_years_map(movement):
    assert movement.attrs["map_vintages"] == {
        "2017": 589, "2018": 581, "2019": 581, "2020": 581, "2021": 581, "2022": 581, "2023": 581,
        "2024": 565, "2025": 565,
    }  # fmt: skip
    # Per sheet: Belgium, 3 regions, 10 provinces and 43 arrondissements (on every map).
    assert movement.attrs["dropped"]["totals_rows"] == 9 * 57
    # Every measure of every sheet adds up to the sheet's Belgium row: 12 measures x 9 sheets.
    assert reconciliation_summary(movement.attrs["reconciliation"]) == "108 reconciled"


def test_population_on_1_january_equals_the_population_files(movement, population):
    counts = wide(movement)["population_1jan"]
    # Same map: 2025 sheet and 2025 file, both on 565.
    p25 = population[2025]["population_total"].droplevel("period")
    assert counts.xs("2025", level="period").sort_index().equals(p25.sort_index())
    # Transition sheet 2024 is on the 565 map; the 2024 file is on 581: aggregate forward.
    p24 = population[2024]["population_total"].droplevel("period")
    forward = geography.crosswalk_to_565(581).set_index("from_nis")["to_nis"]
    p24_on_565 = p24.groupby(forward.reindex(p24.index).to_numpy()).sum()
    assert counts.xs("2024", level="period").sort_index().equals(p24_on_565.sort_index())


def test_population_on_31_december_is_the_next_years(sample, population):
    sheet = pd.read_excel(sample.out_dir / "pop1992-mov_fr.xlsx", sheet_name="2025", header=None, engine="calamine")
    assert str(sheet.iat[1, 22]).startswith("POPULATION AU 31 DECEMBRE")
    assert sheet.iat[0, 0] == "Mouvement de la population en 2025"
    assert str(sheet.iat[len(sheet) - 1, 0]).startswith("Source: Statbel")
    rows = sheet.iloc[4:]
    communes = rows[rows[0].astype(str).isin(geography.map_codes(565))]
    start = communes.set_index(0)[2].astype(float)
    december = communes.set_index(0)[22].astype(float)
    balance = communes.set_index(0)[18].astype(float) + communes.set_index(0)[19].astype(float)
    assert ((december - start) == balance).all()  # total balance + statistical adjustment
    p25 = population[2025]["population_total"].droplevel("period")
    assert start.sort_index().equals(p25.sort_index().astype(float))


def test_immigration_is_realistic(movement):
    counts = wide(movement)
    assert (counts["immigrations"] >= 0).all()
    rate = counts["immigrations"] / counts["population_1jan"]
    by_year = counts.groupby(level="period")[["immigrations", "population_1jan"]].sum()
    national = by_year["immigrations"] / by_year["population_1jan"]
    assert national.between(0.009, 0.02).all()  # 2022 peaks, as the real year did
    codes = counts.index.get_level_values("nis_code")
    assert rate[codes.str.startswith("21")].mean() > 2 * national.mean()


# --- income (TF_PSNL_INC_TAX_MUNTY) --------------------------------------------------------------


@pytest.fixture(scope="module")
def income_text(sample) -> pd.DataFrame:
    raw = member_text(sample.out_dir / "TF_PSNL_INC_TAX_MUNTY.zip")
    assert raw.startswith(b"\xef\xbb\xbfCD_YEAR|CD_MUNTY_REFNIS|") and raw.count(b"\n") == raw.count(b"\r\n")
    return pd.read_csv(io.BytesIO(raw), sep="|", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_income_header_is_the_real_files(income_text):
    real = member_text(real_file("statbel-income/TF_PSNL_INC_TAX_MUNTY_2005_2013.zip"))
    header = real.decode("utf-8-sig").split("\r\n", 1)[0].split("|")
    assert list(income_text.columns) == header and len(header) == 41


def test_income_identities_hold_to_the_cent_and_small_counts_are_starred(income_text):
    assert len(income_text) == 581 * 7
    starred = income_text[(income_text == "*").any(axis=1)]
    assert HERSTAPPE in set(starred["CD_MUNTY_REFNIS"])
    # A star hides an amount and its count together.
    assert ((income_text["MS_REAL_ESTATE_NET_INC"] == "*") == (income_text["MS_NBR_REAL_ESTATE_NET_INC"] == "*")).all()
    full = income_text[(income_text != "*").all(axis=1)]
    cents = {c: (full[c].astype(float) * 100).round().astype(np.int64) for c in AMOUNTS}
    net = cents["MS_REAL_ESTATE_NET_INC"] + cents["MS_TOT_NET_MOV_ASS_INC"] + cents["MS_TOT_NET_VARIOUS_INC"]
    assert (net + cents["MS_TOT_NET_PROF_INC"] == cents["MS_TOT_NET_INC"]).all()
    assert (cents["MS_TOT_NET_INC"] - cents["MS_TOT_DEDUCT_SPEND"] == cents["MS_TOT_NET_TAXABLE_INC"]).all()
    assert (cents["MS_SEP_TAXABLE_INC"] + cents["MS_JOINT_TAXABLE_INC"] == cents["MS_TOT_NET_TAXABLE_INC"]).all()
    taxes = cents["MS_TOT_STATE_TAXES"] + cents["MS_TOT_MUNICIP_TAXES"] + cents["MS_TOT_SUBURBS_TAXES"]
    assert (taxes == cents["MS_TOT_TAXES"]).all()
    brussels = full["CD_RGN_REFNIS"] == "04000"
    assert (full.loc[brussels, "CD_PROV_REFNIS"] == "").all() and (full.loc[~brussels, "CD_PROV_REFNIS"] != "").all()


def test_income_round_trips_and_residents_match_the_population(sample, population):
    frame = parse("statbel_income_panel", sample.out_dir / "TF_PSNL_INC_TAX_MUNTY.zip", "statbel_income")
    assert set(frame["map_vintage"]) == {581} and sorted(frame["period"].unique()) == [str(y) for y in YEARS]
    hidden = frame[frame["status"] == "suppressed"]
    assert set(hidden["measure"]) == {"declarations_zero_income", "declarations_total"}
    # Residents of income year 2023 are counted on 1 January 2024 (the 581-map population file).
    residents = wide(frame)["residents"].xs("2023", level="period")
    p24 = population[2024]["population_total"].droplevel("period")
    ratio = (residents / p24.reindex(residents.index))[p24 > 1_000]
    assert ratio.between(0.99, 1.0).all()
    declarations = wide(frame)
    mean = declarations["net_taxable_income_total"] / (declarations["declarations_total"] - declarations[
        "declarations_zero_income"])
    assert mean.xs("2022", level="period").median() == pytest.approx(36_000, rel=0.15)


# --- real estate -------------------------------------------------------------------------------


def first_rows(path: Path, sheet: str, rows: int) -> list[list[object]]:
    """The first rows of a sheet as openpyxl streams them (fast even for the real 34,000-row file)."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in book[sheet].iter_rows(max_row=rows, values_only=True)]
    finally:
        book.close()


@pytest.fixture(scope="module")
def annual_communes(sample) -> pd.DataFrame:
    path = sample.out_dir / "NL_immo_statbel_jaar.xlsx"
    return pd.read_excel(path, sheet_name="Per gemeente", header=None, engine="calamine", dtype=object)


def test_real_estate_headers_are_the_real_files(sample):
    ours = sample.out_dir / "FR_immo_statbel_trimestre_par_commune.xlsx"
    real = real_file("statbel-immo/FR_immo_statbel_trimestre_par_commune.xlsx")
    assert first_rows(ours, "Par commune", 3) == first_rows(real, "Par commune", 3)
    ours, real = sample.out_dir / "NL_immo_statbel_jaar.xlsx", real_file("statbel-immo/NL_immo_statbel_jaar.xlsx")
    sheets = ["België", "Per gewest", "Per provincie", "Per arrondissement", "Per gemeente"]
    assert openpyxl.load_workbook(ours, read_only=True).sheetnames == sheets
    for name in sheets:
        mine, theirs = first_rows(ours, name, 4), first_rows(real, name, 4)
        assert mine[:3] == theirs[:3]
        assert mine[3][:2] == theirs[3][:2] and mine[3][3] == theirs[3][3] == "Y"  # same first unit, as text


def test_real_estate_cells_are_text_counts_and_prices_with_blanks(annual_communes):
    body = annual_communes.iloc[3:]
    assert len(body) == 565 * 8
    assert body[0].map(type).eq(str).all() and body[2].map(type).eq(str).all() and set(body[3]) == {"Y"}
    for first in (5, 10, 15, 20):
        count = pd.to_numeric(body[first])
        median, q1, q3 = (pd.to_numeric(body[first + k]) for k in (1, 2, 3))
        assert (count.dropna() > 0).all()  # no sale is an empty cell, never 0
        assert median[count.isna() | (count <= 15)].isna().all()
        shown = median.notna()
        assert (q1[shown] < median[shown]).all() and (median[shown] < q3[shown]).all()
        assert (median[shown] % 1 == 0).all()
        assert (median.isna() == q1.isna()).all() and (median.isna() == q3.isna()).all()
        assert body[first - 1].isna().all()  # the blank separator column before each group
    assert body[[24, 25, 26]].isna().all().all()
    # The trailing formula column: a running commune counter, whose cached value calamine reads.
    assert (body[27].astype(int) == body[0].rank(method="dense").astype(int)).all()
    houses = pd.to_numeric(body[5]).fillna(0)
    assert (houses == pd.to_numeric(body[10]).fillna(0) + pd.to_numeric(body[15]).fillna(0)).all()
    herstappe = body[body[0] == HERSTAPPE]
    assert len(herstappe) == 8 and pd.to_numeric(herstappe[6]).isna().all()


def test_prices_are_hidden_for_15_sales_or_fewer_and_a_few_more(sample):
    quarterly = parse(
        "statbel_immo_quarterly", sample.out_dir / "FR_immo_statbel_trimestre_par_commune.xlsx", "statbel_real_estate"
    )
    assert set(quarterly["map_vintage"]) == {565} and quarterly["period"].nunique() == 32
    table = wide(quarterly)
    assert len(table) == 565 * 32
    secondary = 0
    for group in ("houses", "houses_2_3_facades", "houses_4_facades", "apartments"):
        sales, median = table[f"sales_{group}"], table[f"price_median_{group}"]
        assert median[sales <= 15].isna().all()
        secondary += int((median.isna() & (sales > 15)).sum())
    assert 0 < secondary < 0.05 * (table["sales_houses"] > 15).sum() * 4
    hidden = quarterly[quarterly["status"] == "suppressed"]
    assert hidden["measure"].str.startswith("price_").all()
    sales = quarterly[quarterly["measure"].str.startswith("sales_")].copy()
    sales["year"] = sales["period"].str[:4]
    annual = parse("statbel_immo_annual", sample.out_dir / "NL_immo_statbel_jaar.xlsx", "statbel_real_estate")
    assert sorted(annual["period"].unique()) == [str(y) for y in range(2018, 2026)]
    summed = sales.groupby(["nis_code", "year", "measure"])["value"].sum()
    yearly = annual[annual["measure"].str.startswith("sales_")].set_index(["nis_code", "period", "measure"])["value"]
    assert summed.sort_index().to_numpy().tolist() == yearly.sort_index().to_numpy().tolist()
    # As in Statbel's file, the communes' sales add up to the België sheet: 4 groups x 8 years.
    assert reconciliation_summary(annual.attrs["reconciliation"]) == "32 reconciled"


# --- ONEM rates and employment counts --------------------------------------------------------------


def test_onem_file_has_the_reported_layout(sample):
    raw = (sample.out_dir / "interact_taux_V1.csv").read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"jaar";"maand";"level";"zonegeog";"graad";"diff1an"\r\n')
    table = pd.read_csv(io.BytesIO(raw), sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert raw.count(b'"') == 12  # quoted in the header only
    assert table["graad"].str.fullmatch(r"\d+\.\d\d").all()
    assert set(table["level"]) == {"1", "2", "3", "4", "5"}
    assert set(table.loc[table["level"] == "1", "zonegeog"]) == {"99"}
    assert set(table["maand"].astype(int)) == set(range(1, 14))
    assert set(table.loc[table["level"] == "5", "zonegeog"]) == geography.map_codes(565)
    assert (table.loc[table["jaar"] == "2019", "diff1an"] == "").all()
    assert table.loc[table["jaar"] == "2020", "diff1an"].str.fullmatch(r"-?\d+\.\d\d").all()


def test_onem_rates_agree_with_the_employment_counts(sample):
    rates = parse("onem_rates", sample.out_dir / "interact_taux_V1.csv", "employment")
    assert set(rates["map_vintage"]) == {565} and len(rates) == 565 * 7
    counts = parse("canonical_csv", sample.out_dir / "employment_counts_2024.csv", "employment", year=2024)
    assert set(counts["map_vintage"]) == {565}
    table = wide(counts).xs("2024", level="period")
    rate = rates[rates["period"] == "2024"].set_index("nis_code")["value"]
    big = table["active_population"] > 2_000
    computed = 100 * table["jobseekers"] / table["active_population"]
    assert (computed[big] - rate.reindex(computed.index)[big]).abs().max() < 0.05
    codes = rate.index
    assert rate[codes.str.startswith("21")].mean() > 2 * rate[codes.str[0].isin(list("1347"))].mean()


def test_employment_counts_suppress_small_counts(sample, population):
    path = sample.out_dir / "employment_counts_2025.csv"
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "nis_code,map_vintage,year,jobseekers,jobseekers_under_25,active_population,active_population_under_25,"
        "employed_20_64,population_20_64"
    )
    counts = parse("canonical_csv", path, "employment")
    hidden = counts[counts["status"] == "suppressed"]
    assert HERSTAPPE in set(hidden["nis_code"])
    assert (counts.loc[counts["status"] == "published", "value"] >= 5).all()
    table = wide(counts)
    assert (table["employed_20_64"] <= table["population_20_64"]).all()


def test_school_files_follow_the_map_of_their_year_and_the_population(sample, population):
    early = parse("canonical_csv", sample.out_dir / "schools_2019.csv", "schools", year=2019)
    late = parse("canonical_csv", sample.out_dir / "schools_2025.csv", "schools", year=2025)
    assert set(early["map_vintage"]) == {581} and set(late["map_vintage"]) == {565}
    statuses = late.groupby("measure")["status"].agg(set)
    assert "missing" in statuses["pupils_language_support"] and "suppressed" in set(late["status"])
    missing = set(late.loc[late["status"] == "missing", "nis_code"])
    assert missing == {"63001", "63012", "63013", "63023", "63040", "63048", "63061", "63067", "63087"}
    young = wide(late)["population_18_24"].droplevel("period")
    assert young.sort_index().equals(population[2025]["population_age_18_24"].droplevel("period").sort_index())
    table = wide(late)
    assert (table["pupils_delayed"].dropna() <= table["pupils"].reindex(table["pupils_delayed"].dropna().index)).all()
