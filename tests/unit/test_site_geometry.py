"""The committed 565-commune map (publish/site/geometry): one shape per current commune, and the
communes merged on 1 January 2025 drawn as the union of their 581-map parts."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from ingestion import geography
from publish.site.geometry import load_geometry
from publish.site.geometry.derive import communes_581, merger_map

SOURCE = ("geo-topojson-bmesuere", "belgium.json")


def test_the_map_has_one_feature_per_current_commune():
    features = load_geometry()["features"]
    codes = [f["properties"]["nis_code"] for f in features]
    assert len(features) == 565
    assert len(set(codes)) == 565
    assert set(codes) == set(geography.map_codes(565))
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") and shape(f["geometry"]).area > 0 for f in features)


def test_merged_communes_name_their_parts_as_the_crosswalk_seed_does():
    merged = {f["properties"]["nis_code"]: f["properties"]["merged_from"] for f in load_geometry()["features"]}
    crosswalk = geography.crosswalk_2024_2025()
    expected = crosswalk.groupby("to_nis")["from_nis"].apply(sorted).to_dict()
    assert {code: parts for code, parts in merged.items() if parts} == expected
    assert merged["11002"] == ["11002", "11007"]  # Antwerpen keeps its code and takes in Borsbeek


@pytest.mark.real
def test_merged_areas_equal_the_sum_of_their_parts(data_real):
    parts = communes_581(data_real.joinpath(*SOURCE))
    assert len(parts) == 581
    mergers = merger_map()
    features = {f["properties"]["nis_code"]: shape(f["geometry"]) for f in load_geometry()["features"]}
    for code, merged_from in ((c, sorted(o for o, n in mergers.items() if n == c)) for c in set(mergers.values())):
        total = sum(parts[old].area for old in merged_from)
        # Parts share their borders exactly (TopoJSON arcs): only the 5-decimal rounding differs.
        assert features[code].area == pytest.approx(total, rel=1e-3), code
    unchanged = [c for c in parts if c not in mergers]
    assert len(unchanged) == 581 - 30
    assert all(features[c].area == pytest.approx(parts[c].area, rel=1e-3) for c in unchanged)
