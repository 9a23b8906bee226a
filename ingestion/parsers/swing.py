"""Swing exports of provincies.incijfers.be (and other `*.incijfers.be` sites), CSV and xlsx.

SOURCES.md sections 10.0-10.3. Reading (two formats, wide and long shapes, footers) is in
:mod:`ingestion.parsers.swing_tables`; this module decides what the values mean:
- every indicator label is looked up in the one label table ``ingestion/reference/swing_labels.csv``
  (:mod:`ingestion.swing_labels`): a label with a measure of the dataset is loaded; a known label
  without a measure is skipped and counted; an unknown label is reported in
  ``frame.attrs["unknown_labels"]`` and never guessed; a file with no known label, or with a label
  mapped to another dataset, is an error;
- `[%]` rates are percent points in CSV and fractions in xlsx, converted to the measure's unit;
- special values `-` no value, `x` suppressed, `?` missing, `nvt` not applicable: never 0;
- pseudo-areas (`Buiten Vlaanderen en Brussel`, `Niet te lokaliseren…`, codes 9999x) are dropped
  and counted;
- areas: with a NIS column (long shape) the code decides and must agree with the name when both
  are given; otherwise Dutch or French names are matched against the 565 communes (exports are
  restated on the 2025 map).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import pandas as pd

from ingestion import geography
from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.filehead import FileHead
from ingestion.files import sha256_of
from ingestion.labels import label_key
from ingestion.names import match_names, normalise_name
from ingestion.parsers.swing_tables import (
    Row,
    Table,
    csv_header,
    long_header,
    number,
    read_csv,
    read_xlsx,
    wide_labels,
    wide_xlsx_labels,
)
from ingestion.signature import Signature
from ingestion.swing_labels import SWING_LABELS_CSV, SwingLabel, swing_labels

SWING_MAP = 565

# Swing's special values (the xlsx legend "Speciale waarden"); none of them is ever 0.
SPECIAL_VALUES: dict[str, str] = {"-": "no_value", "x": "suppressed", "?": "missing", "nvt": "not_applicable"}
PSEUDO_AREAS: frozenset[str] = frozenset(
    {"Buiten Vlaanderen en Brussel", "Niet te lokaliseren", "Niet te lokaliseren - Brussel",
     "Niet te lokaliseren - Vlaanderen"}
)


def is_pseudo_area(name: str) -> bool:
    return name in PSEUDO_AREAS or normalise_name(name).startswith("niet te lokaliseren")


# --- values ---------------------------------------------------------------------------------


def _value(
    cell: object, spec: SwingLabel, *, fractions: bool, dataset: str, file: str, row: int, column: str
) -> tuple[float | None, str]:
    if cell is None or (isinstance(cell, str) and not cell.strip()) or (isinstance(cell, float) and cell != cell):
        return None, "missing"
    if isinstance(cell, str) and cell.strip().lower() in SPECIAL_VALUES:
        return None, SPECIAL_VALUES[cell.strip().lower()]
    value = number(cell)
    if value is None:
        raise ParseError(
            dataset, file,
            f"expected a number (decimal comma) or one of {sorted(SPECIAL_VALUES)}, found {cell!r}",
            row=row, column=column,
        )
    if not spec.percentage:
        return value, "published"
    top = 1.0 if fractions else 100.0
    if not 0 <= value <= top:
        kind = "a fraction between 0 and 1 (xlsx stores [%] as fractions)" if fractions else "a percentage 0–100"
        raise ParseError(dataset, file, f"expected {kind}, found {value}", row=row, column=column)
    percent = value * 100 if fractions else value
    converted = percent if spec.unit == "percent" else percent / 100
    return round(converted, 10), "published"


# --- labels ---------------------------------------------------------------------------------


def _some(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(repr(n) for n in items[:limit])
    return shown + (f", … ({len(items) - limit} more)" if len(items) > limit else "")


def _resolve_labels(labels: Sequence[str], *, dataset: str, file: str) -> tuple[dict[str, SwingLabel], list[str], int]:
    """The labels loaded for ``dataset`` (label -> table row), the unknown ones, and how many
    known labels were skipped (no measure)."""
    table = swing_labels()
    unknown = [label for label in labels if label_key(label) not in table]
    known = {label: table[label_key(label)] for label in labels if label_key(label) in table}
    if not known:
        raise ParseError(
            dataset, file,
            f"none of the file's {len(labels)} indicator label(s) ({_some(list(labels))}) is in the Swing label table "
            f"{SWING_LABELS_CSV.name}; add each with its dataset and measure (or an empty measure and a note): labels "
            "are never guessed",
            row=1,
        )
    foreign = {label: spec for label, spec in known.items() if spec.used and spec.dataset != dataset}
    if foreign:
        label, spec = next(iter(foreign.items()))
        raise ParseError(
            dataset, file,
            f"the label {label!r} is mapped to dataset {spec.dataset} (measure {spec.measure}) in "
            f"{SWING_LABELS_CSV.name}, not to {dataset}: this is a file of dataset {spec.dataset}",
            row=1, column=label,
        )
    used = {label: spec for label, spec in known.items() if spec.used}
    if not used:
        raise ParseError(
            dataset, file,
            f"none of the file's indicator labels feeds a measure of dataset {dataset}: "
            f"{len(known)} known but not used ({_some(list(known))}), {len(unknown)} unknown; see the notes in "
            f"{SWING_LABELS_CSV.name}",
            row=1,
        )
    return used, unknown, len(known) - len(used)


# --- areas ----------------------------------------------------------------------------------


@cache
def _name_keys(vintage: int) -> dict[str, frozenset[str]]:
    """Per commune of a map, the normalised names it may be given (NL, FR and, on 565, DE)."""
    names = geography.commune_names(vintage)
    keys = {
        code: {normalise_name(nl), normalise_name(fr)}
        for code, nl, fr in zip(names["nis_code"], names["name_nl"], names["name_fr"], strict=True)
    }
    if vintage == geography.CURRENT_MAP:
        current = geography.communes_565()
        for code, de in zip(current["nis_code"], current["name_de"], strict=True):
            if isinstance(de, str) and de.strip():
                keys[code].add(normalise_name(de))
    return {code: frozenset(k) for code, k in keys.items()}


def _codes_by_number(
    rows: list[Row], table: Table, *, dataset: str, file: str, map_vintage: int | None
) -> tuple[dict[int, str], int]:
    """Each commune row's code from its NIS column, checked against the map and the name."""
    codes = [row.code for row in rows]
    vintage = map_vintage or geography.detect_map_vintage(
        [c for c in codes if any(geography.is_commune_code(c, v) for v in geography.MAPS)] or codes,
        dataset=dataset, file=file,
    )
    names = _name_keys(vintage)
    found = {}
    for row in rows:
        if not geography.is_commune_code(row.code, vintage):
            raise ParseError(
                dataset, file, f"code {row.code} is not a commune of the {vintage} map", row=row.line,
                column=table.code_column,
            )
        if row.name and normalise_name(row.name) not in names[row.code]:
            raise ParseError(
                dataset, file,
                f"the name {row.name!r} is not commune {row.code} of the {vintage} map "
                f"(NIS column {table.code_column!r}); the code and the name must agree",
                row=row.line, column=table.name_column,
            )
        found[row.line] = row.code
    return found, vintage


def _area_codes(
    rows: list[Row], table: Table, *, dataset: str, file: str, map_vintage: int | None
) -> tuple[dict[int, str], int]:
    """Per row (by line), the commune code; and the map the codes are on."""
    if table.code_column is not None:
        return _codes_by_number(rows, table, dataset=dataset, file=file, map_vintage=map_vintage)
    if map_vintage not in (None, SWING_MAP):
        raise ParseError(
            dataset, file,
            f"the catalog declares map {map_vintage}, but Swing names are matched on the {SWING_MAP} map only",
        )
    first_row: dict[str, int] = {}
    for row in rows:
        first_row.setdefault(row.name, row.line)
    codes = match_names([row.name for row in rows], dataset=dataset, file=file, rows=first_row,
                        column=table.name_column)
    return {row.line: codes[row.name] for row in rows}, SWING_MAP


# --- shared core ----------------------------------------------------------------------------


def _parse(
    path: Path, table: Table, *, dataset: str, sha256: str | None, year: int | None, map_vintage: int | None
) -> pd.DataFrame:
    file = path.name
    labels = list(dict.fromkeys(col.label for col in table.columns))
    used, unknown, skipped = _resolve_labels(labels, dataset=dataset, file=file)
    kept = [col for col in table.columns if col.label in used]
    seen: dict[tuple[str, str | None], str] = {}
    for col in kept:
        key = (used[col.label].measure or "", col.year)
        if key in seen:
            where = f" year {col.year}" if col.year else ""
            raise ParseError(
                dataset, file, f"measure {key[0]}{where} comes from two columns ({seen[key]} and {col.ref})",
                row=1, column=col.ref,
            )
        seen[key] = col.ref
    rows = list(table.rows)
    if year is not None:
        file_years = sorted({col.year for col in kept if col.year} | {row.year for row in rows if row.year})
        kept = [col for col in kept if col.year in (None, str(year))]
        rows = [row for row in rows if row.year in (None, str(year))]
        if str(year) not in file_years:
            raise ParseError(
                dataset, file, f"the catalog declares year {year} but the file has years {', '.join(file_years)}",
                row=1,
            )

    pseudo = 0
    communes: list[Row] = []
    first_row: dict[tuple[str, str | None], int] = {}
    area_column = table.code_column or table.name_column
    for row in rows:
        if (row.code is not None and geography.is_pseudo_code(row.code)) or (row.name and is_pseudo_area(row.name)):
            pseudo += 1
            continue
        if row.code is None and not row.name:
            raise ParseError(dataset, file, "the row names no area", row=row.line, column=area_column)
        key = (row.code or row.name, row.year)
        if key in first_row:
            what = f"area {key[0]!r}" + (f" year {row.year}" if row.year else "")
            raise ParseError(
                dataset, file, f"{what} appears twice (also row {first_row[key]})", row=row.line, column=area_column
            )
        first_row[key] = row.line
        communes.append(row)
    if not communes:
        raise ParseError(dataset, file, "no commune row found under the header", row=2)
    codes, vintage = _area_codes(communes, table, dataset=dataset, file=file, map_vintage=map_vintage)

    records = []
    for row in communes:
        for col in kept:
            spec = used[col.label]
            cell = row.cells[col.index] if col.index < len(row.cells) else None
            value, status = _value(
                cell, spec, fractions=table.fractions, dataset=dataset, file=file, row=row.line, column=col.ref
            )
            records.append(
                {"nis_code": codes[row.line], "period": col.year or row.year, "measure": spec.measure,
                 "value": value, "unit": spec.unit, "status": status}
            )
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
    frame = make_frame(records, source=source, map_vintage=vintage)
    frame.attrs["dropped"] = {"totals_rows": 0, "pseudo_codes": pseudo}
    frame.attrs["matched_communes"] = len(set(codes.values()))
    frame.attrs["unknown_labels"] = unknown
    frame.attrs["skipped_labels"] = skipped
    return frame


def parse_swing_csv(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """A Swing CSV export (`;`, decimal comma), wide (`"<label>|<year>"` headers) or long (one row
    per area and year) as a canonical frame.

    ``year`` keeps only that year. ``frame.attrs``: ``dropped`` (pseudo-areas),
    ``matched_communes``, ``unknown_labels`` (labels not in the label table, not loaded) and
    ``skipped_labels`` (how many known labels feed no measure).
    """
    path = Path(path)
    return _parse(path, read_csv(path, dataset), dataset=dataset, sha256=sha256, year=year, map_vintage=map_vintage)


def parse_swing_xlsx(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """A Swing xlsx export: wide (labels row, years row, label in each block's last column) or long."""
    path = Path(path)
    return _parse(path, read_xlsx(path, dataset), dataset=dataset, sha256=sha256, year=year, map_vintage=map_vintage)


LAYOUTS = {"swing_csv": parse_swing_csv, "swing_xlsx": parse_swing_xlsx}


# --- signatures -----------------------------------------------------------------------------


def _csv_labels(head: FileHead) -> list[str] | str:
    if not head.lines:
        return "has no text lines"
    header = csv_header(head.lines[0])
    if len(header) < 2:
        return "its first line has no ';'-separated columns"
    wide = wide_labels(header)
    if wide is not None:
        return list(dict.fromkeys(label for label, _ in wide))
    long = long_header(header)
    if long is not None:
        return [header[i] for i in long.labels]
    return (
        "its header is neither wide ('<area>;<label>|<year>;…') nor long (a name or NIS column, a year column "
        "'jaar'/'perioden', then labels)"
    )


def _xlsx_labels(head: FileHead) -> list[str] | str:
    if not head.sheet_names:
        return head.workbook_problem or "the workbook has no sheet"
    rows = head.rows(head.sheet_names[0])
    wide = wide_xlsx_labels(rows)
    if wide:
        return list(dict.fromkeys(wide))
    for row in rows[:20]:
        long = long_header(list(row))
        if long is not None:
            return [str(row[i]).strip() for i in long.labels]
    return (
        f"its first sheet {head.sheet_names[0]!r} has neither a row of years under a row of indicator labels "
        "nor a long header (a name or NIS column, a year column, then labels)"
    )


def _signature(read: Callable[[FileHead], list[str] | str], kinds: frozenset[str]) -> Signature:
    """A Swing signature: a wide or long header (``read`` returns its labels, or why not)."""

    def datasets(head: FileHead) -> frozenset[str] | None:
        # The label table says whose file it is; unknown labels leave it to the catalog entry.
        found = read(head)
        table = swing_labels()
        known = [] if isinstance(found, str) else [label_key(x) for x in found]
        owners = frozenset(table[key].dataset for key in known if key in table)
        return owners or None

    return Signature.of_header(kinds, read, datasets=datasets)


SIGNATURES = {
    "swing_csv": _signature(_csv_labels, frozenset({"text"})),
    "swing_xlsx": _signature(_xlsx_labels, frozenset({"xlsx"})),
}
