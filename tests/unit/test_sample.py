"""The embedded sample generator: the publishers' layouts, reproducible bytes, consistent numbers.

The default sample is generated once for the module (years 2019-2025), a small one (2025 only)
for the reproducibility checks. Files are read back through the pipeline's own parsers (by their
catalog layout id) and, for what the parsers do not keep, directly. Like the real files, the
sample's files do not line up: each has its publisher's lag, map and regions, and one schools
delivery is missing; the tests state each file's years and maps exactly.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ingestion import geography
from ingestion.catalog import load_catalog
from ingestion.files import sha256_of
from ingestion.recognise import recognise
from ingestion.summary import reconciliation_summary
from ingestion.parsers import parser_for
from ingestion.sample import DEFAULT_SEED, README_NAME, generate_sample
from ingestion.sample.model import build_model
from ingestion.sample.swing import home_language_csv, newcomers_csv

REPO = Path(__file__).resolve().parents[2]
YEARS = range(2019, 2026)
# Each dataset's years in the default sample (2019-2025), as its publisher's lag puts them.
POPULATION_YEARS = list(YEARS)
INCOME_YEARS = list(range(2019, 2024))  # published two years late
EMPLOYMENT_COUNT_YEARS = list(range(2019, 2025))  # a year late
SCHOOL_YEARS = [2019, 2020, 2021, 2023, 2024, 2025]  # the 2022 delivery is missing
NEWCOMER_YEARS = list(range(2017, 2025))  # first_year - 2 .. last_year - 1
HOME_LANGUAGE_YEARS = list(range(2019, 2025))
NEWCOMERS = "nieuwkomers - gemeenten.csv"
HOME_LANGUAGE = "thuistaal leerlingen - gemeenten.csv"
HOME_LANGUAGE_LABEL = "leerlingen basisonderwijs die thuis geen Nederlands spreken (t.o.v. lln bo) - WP"
PSEUDO_AREAS = [
    "Buiten Vlaanderen en Brussel", "Niet te lokaliseren", "Niet te lokaliseren - Brussel",
    "Niet te lokaliseren - Vlaanderen",
]
# Every file and the catalog entry (dataset, file id, year) its content makes it.
EXPECTED_ENTRIES = {
    **{f"TF_SOC_POP_STRUCT_{y}.zip": ("statbel_population", "pop_struct", y) for y in POPULATION_YEARS},
    **{f"employment_counts_{y}.csv": ("employment", "counts", y) for y in EMPLOYMENT_COUNT_YEARS},
    **{f"schools_{y}.csv": ("schools", "counts", y) for y in SCHOOL_YEARS},
    "TF_PSNL_INC_TAX_MUNTY.zip": ("statbel_income", "panel", None),
    "FR_immo_statbel_trimestre_par_commune.xlsx": ("statbel_real_estate", "quarterly", None),
    "NL_immo_statbel_jaar.xlsx": ("statbel_real_estate", "annual", None),
    "pop1992-mov_fr.xlsx": ("arrivals", "movement", None),
    "interact_taux_V1.csv": ("employment", "onem_rates", None),
    NEWCOMERS: ("arrivals", "newcomers", None),
    HOME_LANGUAGE: ("schools", "home_language", None),
}
EXPECTED_FILES = {*EXPECTED_ENTRIES, README_NAME}
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


@cache
def forward_565(vintage: int) -> dict[str, str]:
    """Commune code on ``vintage`` -> its commune on the 565 map."""
    step = geography.crosswalk_to_565(vintage)
    return dict(zip(step["from_nis"], step["to_nis"], strict=True))


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


def test_every_file_is_recognised_by_its_content_as_its_catalog_entry(sample):
    assert {f.name for f in sample.files} == EXPECTED_FILES
    assert sorted(p.name for p in sample.out_dir.iterdir()) == sorted(EXPECTED_FILES)
    for item in sample.files:
        path = sample.out_dir / item.name
        assert (item.size, item.sha256) == (path.stat().st_size, sha256_of(path))
    catalog = load_catalog()
    found = {}
    for name in EXPECTED_ENTRIES:
        hit = recognise(sample.out_dir / name, catalog)
        assert hit.basis == "content", f"{name}: {hit.describe()}"
        found[name] = (hit.dataset, hit.spec.id, hit.year)
    assert found == EXPECTED_ENTRIES


def test_the_catalog_marks_exactly_the_files_the_sample_writes(sample):
    flagged = {(s.dataset, s.id) for s in load_catalog().files() if s.sample}
    assert flagged == {(dataset, file_id) for dataset, file_id, _ in EXPECTED_ENTRIES.values()}


def test_the_readme_warns_and_says_which_lags_gaps_maps_and_regions_the_sample_has(sample):
    readme = (sample.out_dir / README_NAME).read_text(encoding="utf-8")
    assert readme.startswith("SYNTHETIC SAMPLE - NOT OFFICIAL STATISTICS\n")
    assert "They are NOT official statistics" in readme
    assert f"seed {DEFAULT_SEED}, years 2019-2025" in readme
    flat = " ".join(readme.split())
    for fact in (
        "TF_PSNL_INC_TAX_MUNTY.zip: income years 2019-2023 (published about 2 years late), every year on the 581 map",
        "FR_immo_statbel_trimestre_par_commune.xlsx: 2018Q1-2025Q1; NL_immo_statbel_jaar.xlsx: 2018-2024",
        "employment_counts_{year}.csv: 2019-2024 (a year late), on the 565 map.",
        "interact_taux_V1.csv: 2019-2025, on the 565 map.",
        "schools_{year}.csv: 2019-2021, 2023-2025 (the 2022 delivery is missing), each year on the map in force "
        "(maps 581 in 2019-2024, 565 in 2025).",
        "TF_SOC_POP_STRUCT_{year}.zip: 2019-2025, each year on the map in force on 1 January (maps 581 in "
        "2019-2024, 565 in 2025).",
        "pop1992-mov_fr.xlsx: 2017-2025",
        f"{NEWCOMERS}: 2017-2024 (a year late), a Swing export of provincies.incijfers.be (wide), Flemish "
        "communes only",
        f"{HOME_LANGUAGE}: 2019-2024 (a year late), a Swing export (long, with NIS codes), Flanders and Brussels only",
    ):
        assert fact in flat
    listed = re.findall(r"^  - (.+)$", readme.split("Files:\n", 1)[1], flags=re.M)
    assert listed == sorted(EXPECTED_FILES - {README_NAME})


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


def test_a_one_year_sample_still_writes_every_file_each_at_its_lagged_year(small):
    """2025 only: a lag that leaves a file no year in 2025..2025 gives it its own last year."""
    assert sorted(f.name for f in small.files) == sorted([
        "FR_immo_statbel_trimestre_par_commune.xlsx", "NL_immo_statbel_jaar.xlsx", README_NAME,
        "TF_PSNL_INC_TAX_MUNTY.zip", "TF_SOC_POP_STRUCT_2025.zip", "employment_counts_2024.csv",
        "interact_taux_V1.csv", NEWCOMERS, "pop1992-mov_fr.xlsx", "schools_2025.csv", HOME_LANGUAGE,
    ])
    income = member_text(small.out_dir / "TF_PSNL_INC_TAX_MUNTY.zip").decode("utf-8-sig").split("\r\n")
    assert {line.split("|", 1)[0] for line in income[1:] if line} == {"2023"}
    newcomers = (small.out_dir / NEWCOMERS).read_text(encoding="utf-8").split("\n", 1)[0]
    assert newcomers == '"gemeenten";"nieuwkomers|2023";"nieuwkomers|2024"'
    readme = " ".join((small.out_dir / README_NAME).read_text(encoding="utf-8").split())
    assert "schools_{year}.csv: 2025, each year on the map in force (the 565 map)." in readme


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
    assert len(income_text) == 581 * len(INCOME_YEARS)
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
    # Two years late and, as Statbel's current release, every year restated on the 581 map.
    assert set(frame["map_vintage"]) == {581} and sorted(frame["period"].unique()) == [str(y) for y in INCOME_YEARS]
    assert frame["nis_code"].nunique() == 581 and len(wide(frame)) == 581 * 5
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
    assert len(body) == 565 * 7  # 2018-2024: the annual workbook lags a year
    assert sorted(set(body[2])) == [str(y) for y in range(2018, 2025)]
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
    assert len(herstappe) == 7 and pd.to_numeric(herstappe[6]).isna().all()


def test_prices_are_hidden_for_15_sales_or_fewer_and_a_few_more(sample):
    quarterly = parse(
        "statbel_immo_quarterly", sample.out_dir / "FR_immo_statbel_trimestre_par_commune.xlsx", "statbel_real_estate"
    )
    # 2018Q1-2024Q4 and 2025Q1 only, as Statbel's quarterly file runs to the current year's Q1.
    quarters = [f"{y}Q{q}" for y in range(2018, 2025) for q in range(1, 5)] + ["2025Q1"]
    assert set(quarterly["map_vintage"]) == {565} and sorted(quarterly["period"].unique()) == quarters
    table = wide(quarterly)
    assert len(table) == 565 * 29
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
    assert sorted(annual["period"].unique()) == [str(y) for y in range(2018, 2025)]
    # Complete years only: 2025's first quarter has no annual figure yet.
    summed = sales[sales["year"] != "2025"].groupby(["nis_code", "year", "measure"])["value"].sum()
    yearly = annual[annual["measure"].str.startswith("sales_")].set_index(["nis_code", "period", "measure"])["value"]
    assert summed.sort_index().to_numpy().tolist() == yearly.sort_index().to_numpy().tolist()
    # As in Statbel's file, the communes' sales add up to the België sheet: 4 groups x 7 years.
    assert reconciliation_summary(annual.attrs["reconciliation"]) == "28 reconciled"


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
    # ONEM's rates are current (to 2025); the counts end a year earlier (no 2025 file).
    assert sorted(rates["period"].unique()) == [str(y) for y in YEARS]
    assert not (sample.out_dir / "employment_counts_2025.csv").exists()
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
    path = sample.out_dir / "employment_counts_2024.csv"
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


def test_school_files_have_a_missing_year_and_the_map_of_their_year(sample):
    """No schools_2022.csv (a delivery that never arrived); 2019-2024 on the 581 map, 2025 on 565."""
    assert not (sample.out_dir / "schools_2022.csv").exists()
    maps = {}
    for year in SCHOOL_YEARS:
        table = pd.read_csv(sample.out_dir / f"schools_{year}.csv", dtype=str, keep_default_na=False)
        assert set(table["year"]) == {str(year)}
        maps[year] = (sorted(set(table["map_vintage"])), len(table))
    assert maps == {
        2019: (["581"], 581), 2020: (["581"], 581), 2021: (["581"], 581), 2023: (["581"], 581),
        2024: (["581"], 581), 2025: (["565"], 565),
    }


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


# --- Swing exports of provincies.incijfers.be (Flanders and Brussels only) ------------------------


def swing_communes() -> pd.DataFrame:
    """The communes of Flanders and Brussels on the 565 map, in the exports' (alphabetical) order."""
    current = geography.communes_565()
    return current[current["region_code"].isin(["02000", "04000"])].sort_values("name_nl", ignore_index=True)


def swing_lines(path: Path) -> list[str]:
    """The file's lines after checking Swing's CSV flavour: UTF-8 without BOM, LF, final newline."""
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and raw.endswith(b"\n")
    return raw.decode("utf-8").split("\n")[:-1]


@pytest.fixture(scope="module")
def newcomers(sample) -> pd.DataFrame:
    return parse("swing_csv", sample.out_dir / NEWCOMERS, "arrivals")


def test_newcomers_file_is_a_wide_swing_export_of_flemish_counts(sample):
    lines = swing_lines(sample.out_dir / NEWCOMERS)
    assert lines[0] == '"gemeenten";' + ";".join(f'"nieuwkomers|{y}"' for y in NEWCOMER_YEARS)
    assert len(lines) == 1 + 285 + 19 + 4
    rows = [line.split(";") for line in lines[1:]]
    assert all(len(row) == 1 + len(NEWCOMER_YEARS) for row in rows)
    communes = swing_communes()
    # Names exactly as the parser matches them, Flanders and Brussels together in alphabetical
    # order, the four pseudo-areas last.
    assert [row[0] for row in rows] == [f'"{n}"' for n in [*communes["name_nl"], *PSEUDO_AREAS]]
    brussels = set(communes.loc[communes["region_code"] == "04000", "name_nl"])
    assert len(brussels) == 19
    for row in rows:
        name = row[0].strip('"')
        if name in brussels or name in PSEUDO_AREAS:
            assert row[1:] == ['"-"'] * len(NEWCOMER_YEARS), name
        else:  # whole numbers unquoted, or "x" (suppressed) in a few small communes
            assert all(re.fullmatch(r'\d+|"x"', cell) for cell in row[1:]), name
    assert lines[1:3] == ['"Aalst";609;599;641;525;619;774;666;655', '"Aalter";287;312;310;224;292;388;343;339']
    assert '"Herstappe";0;0;1;"x";0;0;0;"x"' in lines
    hidden = {row[0].strip('"'): row.count('"x"') for row in rows if '"x"' in row}
    assert hidden == {"Avelgem": 1, "Herstappe": 2, "Lierde": 2, "Mesen": 2, "Zutendaal": 1}


def test_the_newcomer_names_and_order_are_the_real_exports(sample):
    real = real_file("pinc-abii-nieuwkomers/nieuwkomers - gemeenten.csv")
    ours = [line.split(";", 1)[0] for line in swing_lines(sample.out_dir / NEWCOMERS)]
    theirs = [line.split(";", 1)[0] for line in swing_lines(real)]
    assert ours == theirs and len(ours) == 309


def test_newcomers_parse_and_stay_below_the_immigrations_of_the_movement_workbook(newcomers, movement):
    assert set(newcomers["map_vintage"]) == {565}
    assert sorted(newcomers["period"].unique()) == [str(y) for y in NEWCOMER_YEARS]
    assert newcomers.attrs["matched_communes"] == 304 and newcomers.attrs["dropped"]["pseudo_codes"] == 4
    statuses = newcomers["status"].value_counts().to_dict()
    assert statuses == {"published": 285 * 8 - 8, "no_value": 19 * 8, "suppressed": 8}
    counts = newcomers[newcomers["status"] == "published"].set_index(["nis_code", "period"])["value"]
    # The movement workbook's sheets are on the map of the following 1 January (589, 581 or 565):
    # its immigrations aggregated onto the 565 map, year by year.
    moves = wide(movement)["immigrations"].reset_index()
    maps = movement.attrs["map_vintages"]
    moves["to_565"] = [
        code if maps[period] == 565 else forward_565(maps[period])[code]
        for code, period in zip(moves["nis_code"], moves["period"], strict=True)
    ]
    immigrations = moves.groupby(["to_565", "period"])["immigrations"].sum()
    immigrations.index.names = ["nis_code", "period"]
    paired = pd.concat([counts.rename("newcomers"), immigrations], axis=1, join="inner")
    assert len(paired) == len(counts) == 285 * 8 - 8
    assert (paired["newcomers"] <= paired["immigrations"]).all()
    # A stable share of the immigrations, year after year.
    by_year = paired.groupby(level="period").sum()
    share = (by_year["newcomers"] / by_year["immigrations"]).round(3)
    assert share.to_dict() == {
        "2017": 0.624, "2018": 0.629, "2019": 0.622, "2020": 0.627, "2021": 0.628, "2022": 0.624,
        "2023": 0.626, "2024": 0.625,
    }


def test_home_language_file_is_a_long_swing_export_with_nis_codes_and_a_footer(sample):
    lines = swing_lines(sample.out_dir / HOME_LANGUAGE)
    assert lines[0] == f'"NIS";"gemeenten";"jaar";"{HOME_LANGUAGE_LABEL}"'
    assert lines[-2:] == ["", '"Geen selecties"']
    body = [line.split(";") for line in lines[1:-2]]
    assert len(body) == 304 * len(HOME_LANGUAGE_YEARS)
    communes = swing_communes()
    expected_keys = [
        (f'"{code}"', f'"{name}"', str(year))
        for code, name in zip(communes["nis_code"], communes["name_nl"], strict=True)
        for year in HOME_LANGUAGE_YEARS
    ]
    assert [tuple(row[:3]) for row in body] == expected_keys
    assert all(re.fullmatch(r"\d{1,2},\d", row[3]) for row in body)  # percent points, decimal comma
    for line in ('"41002";"Aalst";2023;26,4', '"41002";"Aalst";2024;25,5', '"21001";"Anderlecht";2024;83,0',
                 '"73028";"Herstappe";2024;0,0'):
        assert line in lines


def test_home_language_parses_as_shares_of_the_565_map(sample):
    frame = parse("swing_csv", sample.out_dir / HOME_LANGUAGE, "schools")
    assert set(frame["map_vintage"]) == {565} and set(frame["status"]) == {"published"}
    assert sorted(frame["period"].unique()) == [str(y) for y in HOME_LANGUAGE_YEARS]
    assert frame.attrs["matched_communes"] == 304 and len(frame) == 304 * 6
    value = frame.set_index(["nis_code", "period"])["value"]
    assert value[("41002", "2023")] == pytest.approx(0.264) and value[("21001", "2024")] == pytest.approx(0.83)


def test_home_language_follows_the_language_support_counts_of_the_schools_files(sample):
    """Recomputed from schools_2023.csv (581 map, aggregated onto 565) wherever no count is hidden;
    2022 has a share although its schools delivery is missing."""
    schools = pd.read_csv(sample.out_dir / "schools_2023.csv", dtype=str, keep_default_na=False)
    hidden = schools[["pupils", "pupils_language_support"]].isin(["x", ""]).any(axis=1)
    schools["to_565"] = schools["nis_code"].map(forward_565(581))
    dirty = set(schools.loc[hidden, "to_565"])
    clean = schools[~schools["to_565"].isin(dirty)]
    totals = clean.assign(
        pupils=clean["pupils"].astype(int), support=clean["pupils_language_support"].astype(int)
    ).groupby("to_565")[["pupils", "support"]].sum()
    lines = swing_lines(sample.out_dir / HOME_LANGUAGE)[1:-2]
    published = {row[0].strip('"'): row[3] for row in (line.split(";") for line in lines) if row[2] == "2023"}
    assert sum(line.split(";")[2] == "2022" for line in lines) == 304
    codes = [code for code in totals.index if code in published]
    # Every commune but Herstappe, whose few pupils are hidden ("x") in the schools file.
    assert sorted(set(published) - set(codes)) == [HERSTAPPE] and len(codes) == 303
    # More children speak another language at home than need support: 1 - (1 - s)^2, plus 10 points
    # in Brussels, whose Dutch-language schools draw many French-speaking families.
    support = totals.loc[codes, "support"].to_numpy() / totals.loc[codes, "pupils"].to_numpy()
    brussels = np.array([code.startswith("21") for code in codes])
    share = np.clip(1 - (1 - support) ** 2 + 0.10 * brussels, 0.0, 0.98)
    expected = {code: f"{100 * s:.1f}".replace(".", ",") for code, s in zip(codes, share, strict=True)}
    assert {code: published[code] for code in codes} == expected


def test_the_swing_files_are_the_same_bytes_from_the_same_seed(sample):
    model = build_model(DEFAULT_SEED, 2019, 2025)
    assert newcomers_csv(model) == (sample.out_dir / NEWCOMERS).read_bytes()
    assert home_language_csv(model) == (sample.out_dir / HOME_LANGUAGE).read_bytes()
    other = build_model(DEFAULT_SEED + 1, 2019, 2025)
    assert newcomers_csv(other) != (sample.out_dir / NEWCOMERS).read_bytes()


def test_a_member_written_in_pieces_has_the_bytes_of_one_written_whole(tmp_path):
    # The population zips are streamed (write_zip_stream); their bytes, and so the archive's
    # checksums, must be those write_zip gives the whole text.
    from ingestion.sample.files import write_zip, write_zip_stream

    rng = np.random.default_rng(5)
    rows = rng.integers(0, 99999, (20000, 3))
    text = b"\xef\xbb\xbf" + b"".join(f"{code}|M|BEL|{age}|{n}\r\n".encode() for code, age, n in rows)
    cuts = np.sort(rng.choice(len(text), 40, replace=False)).tolist()
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    for level in (1, 6):
        write_zip(tmp_path / "whole.zip", [("member.txt", text)], level=level)
        write_zip_stream(tmp_path / "pieces.zip", "member.txt", iter(pieces), level=level)
        assert (tmp_path / "pieces.zip").read_bytes() == (tmp_path / "whole.zip").read_bytes()
