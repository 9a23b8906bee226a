"""The one table that says what each Swing indicator label is: ``reference/swing_labels.csv``.

Documented in ``reference/SWING_LABELS.md``. A label in the table is known: with a measure it
is loaded into that dataset and measure; without one it is skipped (and counted). A label not in
the table is unknown: it is reported, never guessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ingestion.errors import CatalogError
from ingestion.labels import label_key
from ingestion.reference import REFERENCE_DIR

SWING_LABELS_CSV = REFERENCE_DIR / "swing_labels.csv"
COLUMNS: tuple[str, ...] = (
    "label", "dataset", "measure", "unit", "percentage", "role", "indicator", "direction", "note",
)
ROLES: frozenset[str] = frozenset({"count", "rate"})


@dataclass(frozen=True)
class SwingLabel:
    """One row of the table. ``percentage``: published as a percentage (percent points in CSV,
    a fraction in xlsx), converted to the measure's unit (percent or share)."""

    label: str
    dataset: str
    measure: str | None  # None: known, not used (``note`` says why)
    unit: str | None
    percentage: bool
    role: str  # count: a numerator the warehouse recomputes rates from; rate: taken as published
    indicator: str | None
    direction: int | None
    note: str

    @property
    def used(self) -> bool:
        return self.measure is not None


def read_swing_labels(path: Path = SWING_LABELS_CSV) -> dict[str, SwingLabel]:
    """The table keyed by label (whitespace collapsed), checked row by row."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise CatalogError(f"{path}: expected the columns {','.join(COLUMNS)}, found {reader.fieldnames}")
            rows = list(reader)
    except OSError as exc:
        raise CatalogError(f"cannot read the Swing label table {path}: {exc.strerror or exc}") from exc
    table: dict[str, SwingLabel] = {}
    for line, row in enumerate(rows, start=2):
        item = _row(row, f"{path.name} line {line}")
        key = label_key(item.label)
        if key in table:
            raise CatalogError(f"{path.name} line {line}: label {item.label!r} is listed twice")
        table[key] = item
    return table


@cache
def swing_labels() -> dict[str, SwingLabel]:
    return read_swing_labels()


def _row(row: dict[str, str], where: str) -> SwingLabel:
    text = {k: (row.get(k) or "").strip() for k in COLUMNS}
    label = (row.get("label") or "").strip()
    if not label or not text["dataset"] or not text["note"]:
        raise CatalogError(f"{where}: label, dataset and note must be filled")
    if text["measure"] and not text["unit"]:
        raise CatalogError(f"{where}: label {label!r} has the measure {text['measure']!r} but no unit")
    if text["percentage"] not in ("true", "false"):
        raise CatalogError(f"{where}: percentage must be true or false, found {text['percentage']!r}")
    if text["role"] not in ROLES:
        raise CatalogError(f"{where}: role must be one of {sorted(ROLES)}, found {text['role']!r}")
    if bool(text["indicator"]) != bool(text["direction"]) or text["direction"] not in ("", "1", "-1"):
        raise CatalogError(f"{where}: an indicator needs a direction (1 or -1) and a direction needs an indicator")
    if text["indicator"] and not text["measure"]:
        raise CatalogError(f"{where}: label {label!r} feeds the indicator {text['indicator']!r} but has no measure")
    return SwingLabel(
        label=label,
        dataset=text["dataset"],
        measure=text["measure"] or None,
        unit=text["unit"] or None,
        percentage=text["percentage"] == "true",
        role=text["role"],
        indicator=text["indicator"] or None,
        direction=int(text["direction"]) if text["direction"] else None,
        note=text["note"],
    )
