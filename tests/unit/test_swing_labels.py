"""The Swing label table (ingestion/reference/swing_labels.csv) agrees with the measures registry,
the catalog and the indicator definitions, and a wrong table is refused naming the line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingestion.catalog import load_catalog
from ingestion.errors import CatalogError
from ingestion.labels import label_key
from ingestion.swing_labels import COLUMNS, SWING_LABELS_CSV, read_swing_labels, swing_labels

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def _seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_used_label_lands_on_a_registered_measure_with_its_unit():
    units = {(r["dataset"], r["measure"]): r["unit"] for r in _seed("measures")}
    used = [x for x in swing_labels().values() if x.used]
    assert {(x.dataset, x.measure): x.unit for x in used} == {
        (x.dataset, x.measure): units.get((x.dataset, x.measure)) for x in used
    }
    assert len(used) == 9


def test_counts_are_additive_and_rates_are_not():
    additive = {(r["dataset"], r["measure"]): r["additive"] for r in _seed("measures")}
    for x in swing_labels().values():
        if x.used:
            assert additive[(x.dataset, x.measure)] == ("true" if x.role == "count" else "false"), x.label


def test_every_dataset_is_a_catalog_dataset_with_a_swing_file():
    catalog = load_catalog()
    swing_datasets = {spec.dataset for spec in catalog.files() if spec.layout.startswith("swing_")}
    assert {x.dataset for x in swing_labels().values()} == swing_datasets == {"arrivals", "employment", "schools"}


def test_indicators_and_directions_are_the_indicator_definitions():
    definitions = {r["indicator"]: int(r["direction"]) for r in _seed("indicator_definitions")}
    fed = {x.label: (x.indicator, x.direction) for x in swing_labels().values() if x.indicator}
    assert fed == {
        "nieuwkomers": ("newcomers_per_1000_3y", 1),
        "werkzoekendengraad (jaargemiddelde) [%]": ("unemployment_rate", 1),
        "werkzoekendengraad 18-24 jaar (jaargemiddelde) [%]": ("youth_unemployment_rate", 1),
        "werkzoekenden zonder werk (jaargemiddelde) [aantal]": ("unemployment_rate", 1),
        "leerlingen basisonderwijs die thuis geen Nederlands spreken (t.o.v. lln bo) - WP": ("language_support_share", 1),
    }
    for indicator, direction in fed.values():
        assert definitions[indicator] == direction


def test_the_mappings_the_index_relies_on():
    table = swing_labels()
    rows = {
        label: (x.dataset, x.measure, x.unit, x.percentage, x.role)
        for label, x in table.items()
        if x.used
    }
    assert rows == {
        "nieuwkomers": ("arrivals", "newcomers_adults", "persons", False, "count"),
        "nieuwkomers niet-EU": ("arrivals", "newcomers_adults_non_eu", "persons", False, "count"),
        "nieuwkomers per 1.000 inwoners 18+ jaar": ("arrivals", "newcomers_per_1000_adults", "per_1000", False, "rate"),
        "nieuwkomers niet-EU per 1.000 inwoners 18+ jaar niet-EU": (
            "arrivals", "newcomers_non_eu_per_1000_adults_non_eu", "per_1000", False, "rate"),
        "werkzoekendengraad (jaargemiddelde) [%]": ("employment", "unemployment_rate", "percent", True, "rate"),
        "werkzoekendengraad 18-24 jaar (jaargemiddelde) [%]": (
            "employment", "unemployment_rate_18_24", "percent", True, "rate"),
        "werkzoekenden zonder werk (jaargemiddelde) [aantal]": ("employment", "jobseekers", "persons", False, "count"),
        "leerlingen basisonderwijs die thuis geen Nederlands spreken (t.o.v. lln bo) - WP": (
            "schools", "share_home_language_other_primary", "share", True, "rate"),
        "leerlingen secundair onderwijs die thuis geen Nederlands spreken (t.o.v. lln so) - WP": (
            "schools", "share_home_language_other_secondary", "share", True, "rate"),
    }
    # Known but not used: each says why.
    unused = [x for x in table.values() if not x.used]
    assert len(unused) == 23 and all(x.note for x in unused)
    assert table[label_key("WZW vorig jaar wonend in een andere  gemeente [aantal] (1)")].label == (
        "WZW vorig jaar wonend in een andere  gemeente [aantal] (1)"  # kept verbatim, two spaces
    )


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


GOOD = ["nieuwkomers", "arrivals", "newcomers_adults", "persons", "false", "count", "", "", "why"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (GOOD[:8] + [""], "swing.csv line 2: label, dataset and note must be filled"),
        (GOOD[:3] + [""] + GOOD[4:], "swing.csv line 2: label 'nieuwkomers' has the measure 'newcomers_adults' but no unit"),
        (GOOD[:4] + ["yes"] + GOOD[5:], "swing.csv line 2: percentage must be true or false, found 'yes'"),
        (GOOD[:5] + ["ratio"] + GOOD[6:], "swing.csv line 2: role must be one of ['count', 'rate'], found 'ratio'"),
        (GOOD[:6] + ["newcomers_per_1000_3y", ""] + GOOD[8:],
         "swing.csv line 2: an indicator needs a direction (1 or -1) and a direction needs an indicator"),
        (GOOD[:2] + ["", ""] + GOOD[4:6] + ["newcomers_per_1000_3y", "1"] + GOOD[8:],
         "swing.csv line 2: label 'nieuwkomers' feeds the indicator 'newcomers_per_1000_3y' but has no measure"),
    ],
)
def test_a_wrong_row_is_refused_naming_its_line(tmp_path, row, message):
    with pytest.raises(CatalogError) as caught:
        read_swing_labels(_write(tmp_path / "swing.csv", [row]))
    assert str(caught.value) == message


def test_a_label_listed_twice_is_refused(tmp_path):
    twice = ["nieuwkomers ", *GOOD[1:]]  # the same label once whitespace is collapsed
    with pytest.raises(CatalogError, match=r"^swing.csv line 3: label 'nieuwkomers' is listed twice$"):
        read_swing_labels(_write(tmp_path / "swing.csv", [GOOD, twice]))


def test_the_shipped_table_has_the_documented_columns():
    with open(SWING_LABELS_CSV, newline="", encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == COLUMNS
    assert len(read_swing_labels()) == 32
