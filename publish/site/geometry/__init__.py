"""The 565-commune map the site draws (communes_565.geojson, derived by derive.py; see README.md)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

GEOMETRY_FILE = Path(__file__).resolve().parent / "communes_565.geojson"


@cache
def load_geometry() -> dict:
    """The derived FeatureCollection: one feature per commune of the 565 map (WGS84)."""
    return json.loads(GEOMETRY_FILE.read_text(encoding="utf-8"))
