"""The one way into the reference tables: the dbt seeds (crosswalks, the measures registry,
arrondissements, German names, ...) and ingestion's own tables under ``ingestion/reference/``.

Every reader goes through here, so that a table is read one way everywhere: codes stay text
("02000" keeps its zero, a code is never a number), an empty cell is "" and never NaN, and a
renamed or missing file fails here, naming it, instead of in whichever reader met it first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from ingestion.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
REFERENCE_DIR = Path(__file__).with_name("reference")


def seed_path(name: str) -> Path:
    """The file of the dbt seed ``name`` (``measures``, ``crosswalk_2024_2025``, ...)."""
    return _existing(SEEDS_DIR / f"{name}.csv", f"dbt seed {name!r}")


def reference_path(name: str) -> Path:
    """The file ``name`` (with its suffix) of ingestion's own reference tables."""
    return _existing(REFERENCE_DIR / name, f"reference table {name!r}")


def seed(name: str) -> pd.DataFrame:
    """The dbt seed ``name``, every column as text (a copy: callers may change it)."""
    return _read(seed_path(name)).copy()


def reference_csv(name: str) -> pd.DataFrame:
    """The reference table ``name`` (``swing_labels.csv``), every column as text (a copy)."""
    return _read(reference_path(name)).copy()


def measure_units(dataset: str) -> dict[str, str]:
    """Measure -> unit for one dataset, from the measures registry (seed ``measures``)."""
    rows = _measures().query("dataset == @dataset")
    return dict(zip(rows["measure"], rows["unit"], strict=True))


@cache
def additive_measures(dataset: str) -> frozenset[str]:
    """The measures of ``dataset`` that may be summed over communes (``additive`` in the seed)."""
    rows = _measures().query("dataset == @dataset")
    return frozenset(rows.loc[rows["additive"].str.lower() == "true", "measure"])


@cache
def measures_by_dataset() -> dict[str, frozenset[str]]:
    """Dataset -> the measures the registry lists for it."""
    return {str(d): frozenset(rows["measure"]) for d, rows in _measures().groupby("dataset")}


def _measures() -> pd.DataFrame:
    return _read(seed_path("measures"))


def _existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{what}: no file {path}")
    return path


@cache
def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)
