"""The dataset catalog: the shipped file is valid, and a wrong one is refused with a clear message."""

from __future__ import annotations

import copy
import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingestion.catalog import (
    DEFAULT_CATALOG_PATH,
    KNOWN_LAYOUTS,
    Catalog,
    YearRange,
    load_catalog,
    parse_catalog,
)
from ingestion.errors import CatalogError

MEASURES = Path(__file__).resolve().parents[2] / "dbt_project/seeds/measures.csv"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def minimal(**file_overrides: Any) -> dict[str, Any]:
    entry = {
        "id": "pop_struct",
        "layout": "statbel_pop_struct",
        "filename": "TF_SOC_POP_STRUCT_{year}.zip",
        "url": "https://example.org/TF_SOC_POP_STRUCT_{year}.zip",
        "years": [2015, 2026],
        "vintage": "{year}",
        "map_vintage": {"..2018": 589, "2019..2024": 581, "2025..": 565},
        **file_overrides,
    }
    return {
        "datasets": [
            {
                "id": "statbel_population",
                "publisher": "Statbel",
                "title": "Population",
                "licence": "CC BY 4.0",
                "attribution": "Statbel",
                "landing_page": "https://example.org",
                "domain": "demography",
                "cadence": "yearly",
                "files": [entry],
            }
        ]
    }


def test_the_shipped_catalog_has_the_eight_datasets(catalog: Catalog) -> None:
    assert catalog.ids == (
        "statbel_refnis", "statbel_population", "statbel_population_totals", "statbel_income", "statbel_real_estate",
        "arrivals", "employment", "schools",
    )
    assert catalog.raw_dataset_ids == catalog.ids[1:]  # the REFNIS code lists are the map's reference
    assert catalog.path == DEFAULT_CATALOG_PATH
    assert {spec.layout for spec in catalog.files()} <= KNOWN_LAYOUTS


def test_every_dataset_with_measures_is_in_the_catalog(catalog: Catalog) -> None:
    with open(MEASURES, newline="", encoding="utf-8") as handle:
        datasets = {row["dataset"] for row in csv.DictReader(handle)}
    assert datasets <= set(catalog.ids)


def test_the_sample_files_are_the_generator_s_names(catalog: Catalog) -> None:
    sample = {spec.filename for spec in catalog.files() if spec.sample}
    assert sample == {
        "TF_SOC_POP_STRUCT_{year}.zip",
        "nieuwkomers - gemeenten.csv",
        "flanders_youth.csv",
        "TF_PSNL_INC_TAX_MUNTY.zip",
        "FR_immo_statbel_trimestre_par_commune.xlsx",
        "NL_immo_statbel_jaar.xlsx",
        "pop1992-mov_fr.xlsx",
        "interact_taux_V1.csv",
        "employment_counts_{year}.csv",
        "schools_{year}.csv",
    }
    for name in ("employment_counts_{year}.csv", "schools_{year}.csv"):
        (spec,) = [s for s in catalog.files() if s.filename == name]
        assert (spec.layout, spec.url, spec.vintage) == ("canonical_csv", None, "{year}")


def test_map_vintage_follows_the_mergers(catalog: Catalog) -> None:
    pop = catalog.dataset("statbel_population").file("pop_struct")
    assert [pop.map_vintage_for(y) for y in (2015, 2018, 2019, 2024, 2025, 2030)] == [589, 589, 581, 581, 565, 565]
    # The movement workbook's sheet of the year before a merger already uses the new codes.
    movement = catalog.dataset("arrivals").file("movement")
    assert [movement.map_vintage_for(y) for y in (2017, 2018, 2023, 2024)] == [589, 581, 581, 565]
    assert catalog.dataset("statbel_real_estate").file("quarterly").map_vintage_for(2010) == 565


def test_urls_and_file_names_per_year(catalog: Catalog) -> None:
    pop = catalog.dataset("statbel_population").file("pop_struct")
    assert pop.url_for(2025).endswith("/TF_SOC_POP_STRUCT_2025.zip")
    assert pop.filename_for(2025) == "TF_SOC_POP_STRUCT_2025.zip"
    assert pop.member_for(2025) == "TF_SOC_POP_STRUCT_2025.txt"
    assert pop.vintage_for(2025) == "2025"
    rates = catalog.dataset("employment").file("onem_rates")
    assert rates.vintage_for(retrieved_at=datetime(2025, 3, 1, 12, tzinfo=UTC)) == "2025-03-01"
    with pytest.raises(CatalogError, match=r"^statbel_population/pop_struct: the URL needs a year"):
        pop.url_for()


def test_a_file_without_url_says_how_to_supply_it(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as caught:
        catalog.dataset("schools").file("counts").url_for(2024)
    assert str(caught.value) == (
        "schools/counts: 'schools_{year}.csv' has no public URL. Supplied by the data team in the "
        "canonical layout; ingest it with --source-dir."
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TF_SOC_POP_STRUCT_2015.zip", ("statbel_population", "pop_struct", 2015)),
        ("tf_soc_pop_struct_2026.ZIP", ("statbel_population", "pop_struct", 2026)),
        ("TF_PSNL_INC_TAX_MUNTY.zip", ("statbel_income", "panel", None)),
        ("fisc2022_C_NL.xls", ("statbel_income", "fisc_workbook_xls", 2022)),
        ("fisc2023_C_NL.xlsx", ("statbel_income", "fisc_workbook", 2023)),
        ("FR_immo_statbel_trimestre_par_commune.xlsx", ("statbel_real_estate", "quarterly", None)),
        ("NL_immo_statbel_jaar.xlsx", ("statbel_real_estate", "annual", None)),
        ("pop1992-mov_fr.xlsx", ("arrivals", "movement", None)),
        ("nieuwkomers - gemeenten.csv", ("arrivals", "newcomers", None)),
        ("interact_taux_V1.csv", ("employment", "onem_rates", None)),
        ("employment_counts_2024.csv", ("employment", "counts", 2024)),
        ("schools_2019.csv", ("schools", "counts", 2019)),
        ("/some/folder/TU_COM_REFNIS.zip", ("statbel_refnis", "refnis", None)),
        ("gemeentenbe2018_gemeentenbe2024 archief.xlsx", ("statbel_refnis", "crosswalk_2018_2019", None)),
    ],
)
def test_match_filename(catalog: Catalog, name: str, expected: tuple[str, str, int | None]) -> None:
    match = catalog.match_filename(name)
    assert match is not None
    dataset, spec, year = match
    assert (dataset.id, spec.id, year) == expected


@pytest.mark.parametrize(
    "name", ["TF_SOC_POP_STRUCT_15.zip", "TF_SOC_POP_STRUCT_2015.zip.part", "notes.txt", "schools_2024.xlsx"]
)
def test_match_filename_ignores_other_names(catalog: Catalog, name: str) -> None:
    assert catalog.match_filename(name) is None


def test_unknown_layout_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yml"
    path.write_text(yaml.safe_dump(minimal(layout="statbel_pop_sturct")), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert str(caught.value) == (
        f"catalog {path}, dataset statbel_population, file pop_struct: unknown layout 'statbel_pop_sturct'; "
        f"known layouts: {', '.join(sorted(KNOWN_LAYOUTS))}"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"map_vintage": {"..2019": 589, "2019..": 581}}, "map_vintage ranges overlap"),
        ({"map_vintage": {"..": 600}}, "map_vintage 600 for '..' is not one of [565, 581, 589]"),
        ({"map_vintage": {"2019-2024": 581}}, "map_vintage range '2019-2024' is not one of"),
        ({"vintage": "yearly"}, "vintage must be '{year}' or 'retrieved', found 'yearly'"),
        ({"filename": "TF_SOC_POP_STRUCT.zip"}, "with vintage '{year}' the filename must contain {year}"),
        ({"years": [2026, 2015]}, "years must be null or [first, last] with first <= last, found [2026, 2015]"),
        ({"url": "ftp://example.org/{year}.zip"}, "url must start with https:// or http://"),
        ({"member": "x.txt", "filename": "x_{year}.csv"}, "member is only meaningful for a .zip file"),
        ({"sample": "yes"}, "sample must be true or false, found 'yes'"),
        ({"coverage": "flanders"}, "coverage must be 'national' or a list of distinct regions among ['BE-VLG', "
                                   "'BE-WAL', 'BE-BRU'], found 'flanders'"),
        ({"coverage": ["BE-VLG", "BE-VLG"]}, "coverage must be 'national' or a list of distinct regions"),
        ({"coverage": []}, "coverage must be 'national' or a list of distinct regions"),
        ({"signature": {"labels": []}}, "signature must list labels or name a member"),
        ({"signature": {"labels": [""]}}, "signature labels must be a list of non-empty texts, found ['']"),
        ({"signature": {"colour": "red"}}, "unknown signature field(s) ['colour']; allowed: ['labels', 'member']"),
        ({"signature": ["nieuwkomers"]}, "signature must be a mapping with labels and/or member"),
        ({"colour": "red"}, "unknown field(s) ['colour']"),
    ],
)
def test_invalid_file_entries_are_rejected(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(minimal(**change))
    assert str(caught.value).startswith("catalog, dataset statbel_population, file pop_struct: ")
    assert message in str(caught.value)


def test_missing_field_and_bad_dataset_are_rejected() -> None:
    document = minimal()
    del document["datasets"][0]["files"][0]["map_vintage"]
    with pytest.raises(CatalogError, match=r"file pop_struct: missing field\(s\) \['map_vintage'\]$"):
        parse_catalog(document)
    document = minimal()
    document["datasets"][0]["id"] = "Statbel Weather"
    with pytest.raises(CatalogError, match=r"dataset id must be lower_snake_case text, found 'Statbel Weather'$"):
        parse_catalog(document)
    document = minimal()
    document["datasets"][0]["cadence"] = "daily"
    with pytest.raises(CatalogError, match=r"cadence must be one of \['irregular', 'monthly', 'quarterly', 'yearly'\]"):
        parse_catalog(document)


def test_two_files_with_one_name_are_rejected() -> None:
    document = minimal()
    twin = copy.deepcopy(document["datasets"][0]["files"][0])
    twin["id"] = "pop_twin"
    document["datasets"][0]["files"].append(twin)
    twins = r"statbel_population/pop_twin and statbel_population/pop_struct have the same file name"
    with pytest.raises(CatalogError, match=twins):
        parse_catalog(document)


def test_unknown_dataset_and_file_lookups_list_what_exists(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match=r"^unknown dataset 'weather'; the catalog has: statbel_refnis, statbel_pop"):
        catalog.dataset("weather")
    with pytest.raises(CatalogError, match=r"^dataset schools has no file 'pupils'; its files are: home_language, counts"):
        catalog.dataset("schools").file("pupils")


def test_a_catalog_that_is_not_yaml_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yml"
    path.write_text("datasets: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=rf"^catalog {path} is not valid YAML"):
        load_catalog(path)
    with pytest.raises(CatalogError, match=r"^cannot read the catalog .*absent.yml"):
        load_catalog(tmp_path / "absent.yml")


def test_coverage_and_signatures_of_the_shipped_catalog(catalog: Catalog) -> None:
    national = {spec.label for spec in catalog.files() if spec.national}
    regional = {spec.label: spec.coverage for spec in catalog.files() if not spec.national}
    assert regional == {
        "arrivals/newcomers": ("BE-VLG", "BE-BRU"),
        "arrivals/newcomers_non_eu": ("BE-VLG", "BE-BRU"),
        "arrivals/newcomers_rate": ("BE-VLG", "BE-BRU"),
        "arrivals/newcomers_non_eu_rate": ("BE-VLG", "BE-BRU"),
        "employment/vdab_jobseekers": ("BE-VLG",),
        "schools/home_language": ("BE-VLG", "BE-BRU"),
    }
    assert "statbel_population_totals/pop_density" in national and "employment/onem_rates" in national
    # Every Swing entry is picked by its labels, which the Swing label table knows.
    from ingestion.labels import label_key
    from ingestion.swing_labels import swing_labels

    for spec in catalog.files():
        if spec.layout.startswith("swing_"):
            assert spec.signature is not None and spec.signature.labels, spec.label
            for label in spec.signature.labels:
                assert swing_labels()[label_key(label)].dataset == spec.dataset, (spec.label, label)
    totals = catalog.dataset("statbel_population_totals").file("pop_density")
    assert (totals.layout, totals.vintage, totals.years, totals.kind) == ("statbel_pop_totals", "retrieved",
                                                                          YearRange(2019, 2025), "xlsx")  # fmt: skip
    assert [totals.map_vintage_for(y) for y in (2018, 2019, 2024, 2025)] == [589, 581, 581, 565]
    assert totals.url.endswith("/5.11%20Bevolkingsdichtheid/Pop_density_nl.xlsx")
    assert catalog.dataset("statbel_population_totals").licence == "CC BY 4.0"


def test_the_catalog_s_coverage_is_national_unless_listed() -> None:
    spec = parse_catalog(minimal()).files()[0]
    assert spec.national and spec.coverage == ("BE-VLG", "BE-WAL", "BE-BRU")
    spec = parse_catalog(minimal(coverage=["BE-BRU", "BE-VLG"])).files()[0]
    assert not spec.national and spec.coverage == ("BE-VLG", "BE-BRU")  # in the order messages use
    assert parse_catalog(minimal(coverage=["BE-BRU", "BE-VLG", "BE-WAL"])).files()[0].national


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ((), "catalog: unknown field(s) ['colour']; allowed: ['datasets']"),
        (("datasets", 0), "catalog, dataset statbel_population: unknown field(s) ['colour']; allowed: ['attribution', "
         "'cadence', 'domain', 'files', 'id', 'landing_page', 'licence', 'max_unpacked_mb', 'publisher', 'title']"),
        (("datasets", 0, "files", 0, "signature"), "catalog, dataset statbel_population, file pop_struct: unknown "
         "signature field(s) ['colour']; allowed: ['labels', 'member']"),
    ],
)
def test_an_unknown_field_at_any_level_is_refused_in_one_line(where: tuple, message: str) -> None:
    document = minimal(signature={"member": "TF_SOC_POP_STRUCT_*"})
    node = document
    for part in where:
        node = node[part]
    node["colour"] = "red"
    with pytest.raises(CatalogError) as caught:
        parse_catalog(document)
    assert str(caught.value) == message


def test_a_loaded_catalog_cannot_be_changed(catalog: Catalog) -> None:
    from pydantic import ValidationError

    spec = catalog.dataset("statbel_population").file("pop_struct")
    with pytest.raises(ValidationError, match="frozen"):
        spec.url = "https://example.org/elsewhere.zip"
    with pytest.raises(ValidationError, match="frozen"):
        catalog.datasets = ()
    assert spec.url_for(2025).endswith("/TF_SOC_POP_STRUCT_2025.zip") and len(catalog.datasets) == 8


def test_the_catalog_reads_the_same_with_libyaml_and_pyyaml():
    # load_catalog reads with libyaml when it is there (speed): it must give PyYAML's document.
    import yaml

    from ingestion.catalog import DEFAULT_CATALOG_PATH, _yaml_document

    text = DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")
    assert _yaml_document(text) == yaml.safe_load(text)
