"""Reference frames: Statbel's TU_COM_REFNIS and the PinC merger crosswalks (SOURCES.md 1.1, 2),
checked against each other, against the geography module and against the crosswalk seeds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ingestion import geography
from ingestion.parsers.statbel_refnis import active_on, parse_crosswalk_workbook, parse_refnis_list

pytestmark = pytest.mark.real
SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
WORKBOOKS = {
    "crosswalk_2018_2019": "gemeentenbe2018_gemeentenbe2024 archief.xlsx",
    "crosswalk_2024_2025": "gemeentenbe2024_gemeentenbe.xlsx",
}


@pytest.fixture(scope="module")
def refnis(data_real: Path) -> pd.DataFrame:
    return parse_refnis_list(data_real / "statbel-refnis" / "TU_COM_REFNIS.txt")


@pytest.fixture(scope="module")
def crosswalks(data_real: Path) -> dict[str, pd.DataFrame]:
    folder = data_real / "pinc-gebiedsniveaus"
    return {seed: parse_crosswalk_workbook(folder / name) for seed, name in WORKBOOKS.items()}


def _changes(frame: pd.DataFrame) -> dict[str, str]:
    changed = frame[frame["from_nis"] != frame["to_nis"]]
    return dict(zip(changed["from_nis"], changed["to_nis"], strict=True))


def test_refnis_list_shape_and_types(refnis):
    assert len(refnis) == 2_769
    assert refnis["level"].value_counts().sort_index().to_dict() == {1: 3, 2: 11, 3: 48, 4: 2_707}
    assert refnis["code"].str.fullmatch(r"\d{5}").all()
    regions = refnis[refnis["level"] == 1]
    assert list(regions["code"]) == ["02000", "03000", "04000"] and regions["parent"].isna().all()
    # Brussels has no province: its arrondissement hangs straight under the region.
    assert set(refnis.loc[refnis["code"] == "21000", "parent"]) == {"04000"}


def test_581_communes_are_active_and_open_ended(refnis):
    communes = refnis[refnis["level"] == 4]
    assert (communes["valid_to"] == pd.Timestamp("9999-12-31")).sum() == 581
    assert len(active_on(communes, "2024-12-31")) == 581


def test_refnis_maps_agree_with_the_geography_module(refnis):
    communes = refnis[refnis["level"] == 4]
    assert set(active_on(communes, "2019-01-01")["code"]) == geography.map_codes(581)
    assert set(active_on(communes, "2018-12-31")["code"]) == geography.map_codes(589)


def test_2019_changes_26_codes_ended_and_18_new(refnis):
    communes = refnis[refnis["level"] == 4]
    ended = communes[communes["valid_to"] == pd.Timestamp("2018-12-31")]
    started = communes[communes["valid_from"] == pd.Timestamp("2019-01-01")]
    assert (len(ended), len(started)) == (26, 18)
    assert {"54007", "12030"} <= set(ended["code"]) and {"57096", "12041"} <= set(started["code"])


def test_crosswalk_2024_2025(crosswalks):
    frame = crosswalks["crosswalk_2024_2025"]
    assert len(frame) == 591
    assert len(_changes(frame)) == 29
    assert frame["to_nis"].nunique() == 575
    assert _changes(frame)["11007"] == "11002" and _changes(frame)["82005"] == "82039"
    targets = set(frame["to_nis"]) - geography.PSEUDO_CODES
    assert targets == geography.map_codes(565)
    assert frame.attrs["from_label"] == "gemeentenbe2024"


def test_crosswalk_2018_2019_agrees_with_refnis(crosswalks, refnis):
    frame = crosswalks["crosswalk_2018_2019"]
    assert len(frame) == 599
    changes = _changes(frame)
    assert len(changes) == 26
    assert (changes["12030"], changes["54007"], changes["55022"]) == ("12041", "57096", "58001")
    ended = refnis[(refnis["level"] == 4) & (refnis["valid_to"] == pd.Timestamp("2018-12-31"))]
    assert set(changes) == set(ended["code"])


@pytest.mark.parametrize("seed", sorted(WORKBOOKS))
def test_crosswalk_seed_agrees_exactly_with_the_workbook(seed, crosswalks):
    path = SEEDS / f"{seed}.csv"
    assert path.is_file(), f"the seed {path.name} is missing from dbt_project/seeds"
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    workbook = dict(zip(crosswalks[seed]["from_nis"], crosswalks[seed]["to_nis"], strict=True))
    # Every code the workbook changes is in the seed, with the same target ...
    seeded = dict(zip(rows["from_nis"], rows["to_nis"], strict=True))
    missing = {code: target for code, target in _changes(crosswalks[seed]).items() if seeded.get(code) != target}
    assert missing == {}
    # ... and every seed row (unchanged codes such as Antwerpen 11002 included) is the workbook's.
    wrong = {code: target for code, target in seeded.items() if workbook.get(code) != target}
    assert wrong == {}
