"""Derive the 565-commune map from the 581-commune TopoJSON (bmesuere/belgium-topojson, in
``../shared/data-real/geo-topojson-bmesuere/belgium.json``) by dissolving the communes merged on
1 January 2025, as the crosswalk seed ``dbt_project/seeds/crosswalk_2024_2025.csv`` lists them.

    .venv/bin/python -m publish.site.geometry.derive [--source belgium.json] [--out communes_565.geojson]

The TopoJSON is already simplified (quantized to about 25 m); coordinates are written with 5
decimals (about 1 m), so the derived file adds no visible error. Needs shapely (test extra).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ingestion.reference import seed
from publish.site.geometry import GEOMETRY_FILE

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data-real" / "geo-topojson-bmesuere" / "belgium.json"
DECIMALS = 5


def merger_map() -> dict[str, str]:
    """581-map code -> 565-map code for the communes merged in 2025 (others keep their code)."""
    crosswalk = seed("crosswalk_2024_2025").query("change == 'merger'")
    return dict(zip(crosswalk["from_nis"], crosswalk["to_nis"], strict=True))


def _decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs as absolute longitude/latitude (delta-decoded, then un-quantized)."""
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        # A negative index ~i is arc i walked backwards (TopoJSON specification).
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def communes_581(source: Path):
    """{581-map code: shapely geometry} from the TopoJSON's ``municipalities`` object."""
    from shapely.geometry import MultiPolygon, Polygon

    topology = json.loads(source.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    shapes = {}
    for geometry in topology["objects"]["municipalities"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        parts = [Polygon(_ring(rings[0], arcs), [_ring(r, arcs) for r in rings[1:]]) for rings in polygons]
        shapes[geometry["properties"]["nis"]] = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    return shapes


def dissolve(shapes: dict, mergers: dict[str, str]) -> dict:
    """{565-map code: geometry}: every merged group unioned into one shape."""
    from shapely import make_valid
    from shapely.ops import unary_union

    groups: dict[str, list] = {}
    for code, shape in shapes.items():
        groups.setdefault(mergers.get(code, code), []).append(make_valid(shape))
    return {
        code: _polygonal(parts[0] if len(parts) == 1 else unary_union(parts)) for code, parts in sorted(groups.items())
    }


def _polygonal(shape):
    """The areas of a shape only: repairing a self-touching ring can leave a stray line or point."""
    from shapely.geometry import MultiPolygon

    if shape.geom_type in ("Polygon", "MultiPolygon"):
        return shape
    polygons = [g for part in shape.geoms for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon"]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _rounded(coordinates):
    if isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0], DECIMALS), round(coordinates[1], DECIMALS)]
    return [_rounded(c) for c in coordinates]


def feature_collection(communes: dict, mergers: dict[str, str]) -> dict:
    from shapely.geometry import mapping

    merged_from: dict[str, list[str]] = {}
    for old, new in sorted(mergers.items()):
        merged_from.setdefault(new, []).append(old)
    features = []
    for code, shape in communes.items():
        geometry = mapping(shape)
        features.append(
            {
                "type": "Feature",
                "properties": {"nis_code": code, "merged_from": merged_from.get(code, [])},
                "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the 581-commune TopoJSON (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=GEOMETRY_FILE, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    mergers = merger_map()
    collection = feature_collection(dissolve(communes_581(args.source), mergers), mergers)
    args.out.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(collection['features'])} communes written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
