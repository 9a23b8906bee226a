"""The canonical frame every parser returns (DESIGN.md, "Canonical frames").

One row per commune x period x measure. Suppressed values are NULL with status
``suppressed``, never 0. Parsers build rows with :func:`make_frame`, which enforces the
columns, their order and their types, so every downstream step can rely on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.errors import ParseError

CANONICAL_COLUMNS: tuple[str, ...] = (
    "dataset",
    "nis_code",
    "map_vintage",
    "period",
    "measure",
    "value",
    "unit",
    "status",
    "source_file",
    "file_sha256",
)

# A raw table (ingestion/load.py) adds which catalog file and archived vintage each row comes
# from; dbt's staging ranks files by them.
RAW_EXTRA_COLUMNS: tuple[str, ...] = ("file_id", "vintage")
RAW_COLUMNS: tuple[str, ...] = CANONICAL_COLUMNS + RAW_EXTRA_COLUMNS

MAP_VINTAGES: frozenset[int] = frozenset({589, 581, 565})

# Status vocabulary. "published" is a number as the publisher printed it; the others say
# why the value is NULL (or was not taken as is). Never map any of them to 0.
STATUSES: frozenset[str] = frozenset(
    {
        "published",  # the publisher's value
        "suppressed",  # hidden by the publisher for privacy (`*`, `x`, blank price, `<10`)
        "missing",  # the publisher says the value is missing (`?`)
        "not_applicable",  # `nvt`
        "no_value",  # `-`: no value exists
        "estimated",  # our estimate, never presented as published
        "imputed",
    }
)

# Statuses whose value must be NULL.
NULL_STATUSES: frozenset[str] = frozenset({"suppressed", "missing", "not_applicable", "no_value"})

# The columns that hold one value per file (the dataset, the file's name and checksum) are
# categories: as text, pandas kept a copy of the value on every row (the real files' quarterly
# real-estate workbook: 77 of its 130 MB); as a category, one byte a row. Written to DuckDB they
# are text again (orchestration/warehouse.py).
PER_FILE_COLUMNS: tuple[str, ...] = ("dataset", "source_file", "file_sha256")

_DTYPES = {
    "nis_code": "string",
    "map_vintage": "int16",
    "period": "string",
    "measure": "string",
    "value": "float64",
    "unit": "string",
    "status": "string",
    **dict.fromkeys(PER_FILE_COLUMNS, "category"),
}


@dataclass(frozen=True)
class SourceFile:
    """Identity of one archived file: what every canonical row points back to."""

    dataset: str
    path: str
    sha256: str

    @property
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


def make_frame(
    rows: pd.DataFrame | Iterable[Mapping[str, object]],
    *,
    source: SourceFile,
    map_vintage: int,
) -> pd.DataFrame:
    """Type and order a parser's rows as a canonical frame.

    ``rows`` needs ``nis_code``, ``period``, ``measure``, ``value``, ``unit`` and ``status``;
    the dataset, map vintage and file identity are filled from the arguments.
    """
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if map_vintage not in MAP_VINTAGES:
        raise ParseError(
            source.dataset, source.name, f"map vintage {map_vintage} is not one of {sorted(MAP_VINTAGES)}"
        )
    required = ["nis_code", "period", "measure", "value", "unit", "status"]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ParseError(source.dataset, source.name, f"parser produced no column(s) {missing}")
    value = pd.to_numeric(frame["value"], errors="raise").astype(_DTYPES["value"])
    typed = {c: frame[c].reset_index(drop=True).astype(_DTYPES[c]) for c in ("nis_code", "period", "measure", "unit", "status")}
    bad_status = sorted(set(typed["status"].dropna().unique()) - STATUSES)
    if bad_status:
        raise ParseError(source.dataset, source.name, f"unknown status value(s) {bad_status}")
    valued_gap = typed["status"].isin(NULL_STATUSES).to_numpy() & value.notna().to_numpy()
    if valued_gap.any():
        raise ParseError(source.dataset, source.name, "a suppressed or missing cell carries a value; it must be NULL")
    # Sorted on the three key columns alone, and the other columns taken in that order: sorting the
    # whole frame moved every text column (two of them 40-64 characters long) through Arrow's take.
    keys = pd.DataFrame({k: typed[k] for k in ("nis_code", "period", "measure")}).sort_values(
        ["nis_code", "period", "measure"], kind="stable"
    )
    order = keys.index.to_numpy()
    n = len(order)
    # The columns that hold one value are made whole, never sorted.
    out = pd.DataFrame(
        {
            "dataset": per_file_column(source.dataset, n),
            "nis_code": keys["nis_code"].reset_index(drop=True),
            "map_vintage": pd.Series(np.full(n, map_vintage, dtype=_DTYPES["map_vintage"])),
            "period": keys["period"].reset_index(drop=True),
            "measure": keys["measure"].reset_index(drop=True),
            "value": pd.Series(value.to_numpy()[order], dtype=_DTYPES["value"]),
            "unit": typed["unit"].take(order).reset_index(drop=True),
            "status": typed["status"].take(order).reset_index(drop=True),
            "source_file": per_file_column(source.name, n),
            "file_sha256": per_file_column(source.sha256, n),
        }
    )
    out.attrs = dict(frame.attrs)
    return out


def per_file_column(value: str, rows: int) -> pd.Series:
    """A column holding ``value`` on each of ``rows`` rows, as a category (PER_FILE_COLUMNS)."""
    return pd.Series(pd.Categorical.from_codes(np.zeros(rows, dtype=np.int8), categories=pd.Index([value], dtype="str")))


def concat_files(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of several files as one, each category column keeping the categories of them all
    (pd.concat turns categories that differ into text)."""
    categorical = [c for c in frames[0].columns if isinstance(frames[0][c].dtype, pd.CategoricalDtype)]
    for column in categorical:
        union = pd.api.types.union_categoricals([f[column] for f in frames]).categories
        frames = [f.assign(**{column: f[column].cat.set_categories(union)}) for f in frames]
    return pd.concat(frames, ignore_index=True)


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DTYPES.items()})[list(CANONICAL_COLUMNS)]
