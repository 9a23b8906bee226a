"""Parsers, one module per publisher layout; :func:`parser_for` finds the one for a layout id.

Every parser returns the canonical frame of :mod:`ingestion.canonical`. Every module also exports
``SIGNATURES`` (:class:`ingestion.signature.Signature` per layout id): how its files are
recognised by their content; :func:`signatures` collects them, reference layouts included.
Modules are imported on first use so that importing :mod:`ingestion` stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from ingestion.errors import CatalogError

if TYPE_CHECKING:
    from ingestion.signature import Signature

Parser = Callable[..., pd.DataFrame]

_MODULES: tuple[str, ...] = (
    "statbel_population",
    "statbel_pop_totals",
    "statbel_income",
    "statbel_real_estate",
    "statbel_movement",
    "onem",
    "swing",
    "canonical_csv",
)
# Reference tables (code lists, crosswalks): recognised like the others, read by their own functions.
_REFERENCE_MODULES: tuple[str, ...] = ("statbel_refnis",)


@cache
def layouts() -> dict[str, Parser]:
    """Every layout id the code can parse, mapped to its parser."""
    return _collect(_MODULES, "LAYOUTS", "layout(s)")


@cache
def reference_layouts() -> dict[str, Callable[..., pd.DataFrame]]:
    """Layouts of reference tables (not canonical frames), mapped to their reader."""
    registry: dict[str, Callable[..., pd.DataFrame]] = {}
    for name in _REFERENCE_MODULES:
        registry.update(importlib.import_module(f"ingestion.parsers.{name}").REFERENCE_LAYOUTS)
    return registry


@cache
def signatures() -> dict[str, Signature]:
    """Every layout's signature, by layout id (canonical and reference layouts)."""
    return _collect((*_MODULES, *_REFERENCE_MODULES), "SIGNATURES", "signature(s) of")


def _collect(modules: tuple[str, ...], attribute: str, what: str) -> dict:
    """The union of the ``attribute`` dicts of ``modules``; a key two modules define is an error."""
    registry: dict = {}
    for name in modules:
        found = getattr(importlib.import_module(f"ingestion.parsers.{name}"), attribute)
        overlap = set(registry) & set(found)
        if overlap:
            raise RuntimeError(f"{what} {sorted(overlap)} defined twice (again in {name})")
        registry.update(found)
    return registry


def parser_for(layout: str) -> Parser:
    try:
        return layouts()[layout]
    except KeyError:
        raise CatalogError(f"no parser for layout {layout!r}; known: {sorted(layouts())}") from None
