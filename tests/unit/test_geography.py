from __future__ import annotations

import pytest

from ingestion import geography
from ingestion.errors import ParseError


def test_three_maps_have_their_official_commune_counts():
    assert [len(geography.map_codes(v)) for v in (589, 581, 565)] == [589, 581, 565]


def test_current_communes_have_names_arrondissement_province_and_region():
    communes = geography.communes_565()
    assert len(communes) == 565
    assert communes["nis_code"].is_unique
    assert communes["region_code"].value_counts().to_dict() == {"02000": 285, "03000": 261, "04000": 19}
    brussels = communes[communes["region_code"] == "04000"]
    assert brussels["province_code"].isna().all()
    assert communes["arrondissement_code"].nunique() == 43
    eupen = communes.set_index("nis_code").loc["63023"]
    assert (eupen["name_de"], eupen["arrondissement_name_fr"]) == ("Eupen", "Arrondissement de Verviers")


def test_crosswalk_2019_maps_mergers_and_hainaut_renumberings():
    forward = geography.crosswalk_to_565(589).set_index("from_nis")
    assert forward.loc["44036", "to_nis"] == "44085"  # Lovendegem into Lievegem
    assert forward.loc["54007", "to_nis"] == "57096"  # Mouscron renumbered, not merged
    assert forward.loc["54007", "sources_in_target"] == 1
    assert forward.loc["44029", "to_nis"] == "44084"  # Knesselare into Aalter (2019)
    assert forward.loc["44001", "to_nis"] == "44084"
    # Zwijndrecht crosses a province in 2025 and every 589 code lands on one 565 commune
    assert forward.loc["11056", "to_nis"] == "46030"
    assert set(forward["to_nis"]) == set(geography.map_codes(565))


def test_crosswalk_2025_counts_thirty_communes_into_fourteen():
    forward = geography.crosswalk_to_565(581)
    merged = forward[forward["sources_in_target"] > 1]
    assert (len(merged), merged["to_nis"].nunique()) == (30, 14)
    assert forward.set_index("from_nis").loc["11007", "to_nis"] == "11002"


@pytest.mark.parametrize(
    ("codes", "vintage"),
    [(["11007", "21004"], 581), (["46030", "21004"], 565), (["12030", "21004", "01000", "99991"], 589)],
)
def test_detect_map_vintage_ignores_totals_and_pseudo_codes(codes, vintage):
    assert geography.detect_map_vintage(codes, dataset="d", file="f.txt") == vintage


def test_detect_map_vintage_names_unknown_and_mixed_codes():
    with pytest.raises(ParseError, match=r"dataset d, file f.txt: 1 code\(s\) are communes of no map: 12345"):
        geography.detect_map_vintage(["12345", "21004"], dataset="d", file="f.txt")
    with pytest.raises(ParseError, match="several commune maps are mixed"):
        geography.detect_map_vintage(["12030", "46030"], dataset="d", file="f.txt")


def test_old_communes_keep_their_names():
    names = geography.commune_names(589).set_index("nis_code")
    assert names.loc["12034", "name_nl"] == "Sint-Amands"
    assert names.loc["73083", "name_fr"] == "Tongres"
