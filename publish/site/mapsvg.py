"""The 565 communes as SVG path data, projected once per build.

A plain equirectangular projection scaled by the cosine of Belgium's middle latitude: over a
country 280 km wide its distortion is well under the width of a border line at the map's size.
Coordinates are rounded to a tenth of a pixel, and points that round together are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from publish.site.geometry import load_geometry

WIDTH = 800.0
_MID_LATITUDE = math.radians(50.5)


@dataclass(frozen=True)
class MapShapes:
    width: float
    height: float
    paths: dict[str, str]  # nis_code -> SVG path data

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


def _rings(geometry: dict) -> list[list[list[float]]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


# The steps between points are small numbers, mostly the same few hundred: each written once.
@cache
def _number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("0.", ".", 1) if text.startswith("0.") else text.replace("-0.", "-.", 1)


def _relative_path(points: list[tuple[float, float]]) -> str:
    """A closed ring as `M x y` then relative steps: small numbers, about half the bytes."""
    x0, y0 = points[0]
    steps = []
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        dx, dy = _number(round(bx - ax, 1)), _number(round(by - ay, 1))
        steps.append(dx + ("" if dy.startswith("-") else " ") + dy)
    return f"M{_number(x0)} {_number(y0)}l" + " ".join(steps) + "z"


@cache
def map_shapes() -> MapShapes:
    features = load_geometry()["features"]
    cos = math.cos(_MID_LATITUDE)
    points = [(x * cos, -y) for f in features for ring in _rings(f["geometry"]) for x, y in ring]
    min_x, max_x = min(p[0] for p in points), max(p[0] for p in points)
    min_y, max_y = min(p[1] for p in points), max(p[1] for p in points)
    scale = WIDTH / (max_x - min_x)
    height = round((max_y - min_y) * scale, 1)
    paths = {}
    for feature in features:
        parts = []
        for ring in _rings(feature["geometry"]):
            projected = []
            for x, y in ring:
                point = (round((x * cos - min_x) * scale, 1), round((-y - min_y) * scale, 1))
                if not projected or point != projected[-1]:
                    projected.append(point)
            if len(projected) >= 3:
                parts.append(_relative_path(projected))
        paths[feature["properties"]["nis_code"]] = "".join(parts)
    return MapShapes(WIDTH, height, paths)
