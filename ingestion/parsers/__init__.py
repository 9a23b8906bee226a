"""Parsers, one module per publisher layout; :func:`parser_for` finds the one for a layout id.

Every parser returns the canonical frame of :mod:`ingestion.canonical`. Modules are imported on
first use so that importing :mod:`ingestion` stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

import pandas as pd

from ingestion.errors import CatalogError

Parser = Callable[..., pd.DataFrame]

_MODULES: tuple[str, ...] = (
    "statbel_population",
    "statbel_income",
    "statbel_real_estate",
    "statbel_movement",
    "onem",
    "swing",
    "canonical_csv",
)


@cache
def layouts() -> dict[str, Parser]:
    """Every layout id the code can parse, mapped to its parser."""
    registry: dict[str, Parser] = {}
    for name in _MODULES:
        module = importlib.import_module(f"ingestion.parsers.{name}")
        overlap = set(registry) & set(module.LAYOUTS)
        if overlap:
            raise RuntimeError(f"layout(s) {sorted(overlap)} defined twice (again in {name})")
        registry.update(module.LAYOUTS)
    return registry


def parser_for(layout: str) -> Parser:
    try:
        return layouts()[layout]
    except KeyError:
        raise CatalogError(f"no parser for layout {layout!r}; known: {sorted(layouts())}") from None
