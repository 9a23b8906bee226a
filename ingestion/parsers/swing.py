"""Swing exports of provincies.incijfers.be (and other `*.incijfers.be` sites), CSV and xlsx.

SOURCES.md section 10.0 and 10.1 A. A wide table: one row per area, named in Dutch (no NIS code),
one column per indicator and year. Quirks handled here:
- CSV: `;`, quoted text, decimal comma, headers `"<indicator label>|<year>"`;
- xlsx: two header rows (labels, then years as text), and each block's label sits in the block's
  LAST column, so labels attach to the columns on their left; `[%]` rates are fractions;
- special values `-` no value, `x` suppressed, `?` missing, `nvt` not applicable: never 0;
- pseudo-areas (`Buiten Vlaanderen en Brussel`, `Niet te lokaliseren…`) are dropped and counted;
- exports are restated on the 2025 map, so names are matched against the 565 communes.
Only labels mapped for the dataset below become measures; the others are listed in attrs.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from numbers import Number
from pathlib import Path

import pandas as pd
import python_calamine

from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.files import sha256_of
from ingestion.names import match_names, normalise_name

SWING_MAP = 565


@dataclass(frozen=True)
class SwingMeasure:
    """Where one Swing indicator lands. ``percentage``: published as a percentage (percent
    points in CSV, a fraction in xlsx), converted to the measure's unit (percent or share)."""

    measure: str
    unit: str
    percentage: bool = False


# One dict per dataset: Swing label (verbatim, whitespace-normalised on lookup) -> our measure.
# Units must equal dbt_project/seeds/measures.csv (a unit test checks it).
ARRIVALS_LABELS: dict[str, SwingMeasure] = {
    # Agentschap Integratie & Inburgering: adult foreign newcomers (SOURCES.md 10.3, 3.1).
    "nieuwkomers": SwingMeasure("newcomers_adults", "persons"),
}
EMPLOYMENT_LABELS: dict[str, SwingMeasure] = {
    "werkzoekenden zonder werk (jaargemiddelde) [aantal]": SwingMeasure("jobseekers", "persons"),
    "werkzoekendengraad (jaargemiddelde) [%]": SwingMeasure("unemployment_rate", "percent", percentage=True),
}
SCHOOLS_LABELS: dict[str, SwingMeasure] = {
    # WP = by the pupils' commune of residence (SOURCES.md 10.2, 2.1).
    "leerlingen basisonderwijs die thuis geen Nederlands spreken (t.o.v. lln bo) - WP": SwingMeasure(
        "share_home_language_other_primary", "share", percentage=True
    ),
}
SWING_MEASURES: dict[str, dict[str, SwingMeasure]] = {
    "arrivals": ARRIVALS_LABELS,
    "employment": EMPLOYMENT_LABELS,
    "schools": SCHOOLS_LABELS,
}

# Swing's special values (the xlsx legend "Speciale waarden"); none of them is ever 0.
SPECIAL_VALUES: dict[str, str] = {"-": "no_value", "x": "suppressed", "?": "missing", "nvt": "not_applicable"}
PSEUDO_AREAS: frozenset[str] = frozenset(
    {"Buiten Vlaanderen en Brussel", "Niet te lokaliseren", "Niet te lokaliseren - Brussel",
     "Niet te lokaliseren - Vlaanderen"}
)
_YEAR = re.compile(r"^\d{4}$")
_COMMA_NUMBER = re.compile(r"^-?\d+(,\d+)?$")


@dataclass(frozen=True)
class _Column:
    """One indicator x year column; ``label`` is verbatim, ``ref`` is how a user finds it in the file."""

    index: int
    label: str
    year: str
    ref: str


@dataclass(frozen=True)
class _Table:
    """A Swing table read from either format: indicator columns and area rows (file row, name, cells)."""

    columns: tuple[_Column, ...]
    rows: tuple[tuple[int, str, tuple[object, ...]], ...]
    geo_column: str
    fractions: bool  # xlsx stores percentages as fractions, CSV as percent points


def _label_key(label: str) -> str:
    return " ".join(str(label).split())


def is_pseudo_area(name: str) -> bool:
    return name in PSEUDO_AREAS or normalise_name(name).startswith("niet te lokaliseren")


def _excel_column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- reading the two formats ---------------------------------------------------------------


def _read_csv(path: Path, dataset: str) -> _Table:
    file = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(dataset, file, f"not UTF-8 text (byte {exc.start}); expected a Swing CSV export") from None
    if not text.strip():
        raise ParseError(
            dataset, file, 'the file is empty; expected a header "gemeenten";"<indicator>|<year>";…', row=1
        )
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = [cell.strip() for cell in lines[0]]
    if len(header) < 2:
        raise ParseError(
            dataset,
            file,
            f"the header is one single column {lines[0][0][:80] if lines[0] else ''!r}; expected ';'-separated "
            "columns \"gemeenten\";\"<indicator>|<year>\";… (is the delimiter ';'?)",
            row=1,
        )
    if "|" in header[0]:
        raise ParseError(
            dataset,
            file,
            f"column 1 must name the areas (for example 'gemeenten'), found the indicator column {header[0]!r}",
            row=1,
            column=header[0],
        )
    columns = []
    for index, text_ in enumerate(header[1:], start=1):
        label, _, year = text_.rpartition("|")
        if not label or not _YEAR.match(year.strip()):
            raise ParseError(
                dataset, file, f"expected a header '<indicator label>|<year>', found {text_!r}", row=1, column=text_
            )
        columns.append(_Column(index, label, year.strip(), text_))
    rows = []
    for offset, cells in enumerate(lines[1:]):
        line = offset + 2
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise ParseError(
                dataset, file, f"expected {len(header)} ';'-separated fields as in the header, found {len(cells)}",
                row=line,
            )
        rows.append((line, cells[0].strip(), tuple(cells)))
    return _Table(tuple(columns), tuple(rows), header[0], fractions=False)


def _year_text(cell: object) -> str | None:
    if isinstance(cell, Number) and not isinstance(cell, bool) and not _is_blank(cell) and float(cell).is_integer():
        cell = str(int(cell))
    return cell.strip() if isinstance(cell, str) and _YEAR.match(cell.strip()) else None


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    return isinstance(cell, str) and not cell.strip()


def _read_xlsx(path: Path, dataset: str) -> _Table:
    file = path.name
    try:
        sheet = pd.read_excel(path, sheet_name=0, header=None, dtype=object, engine="calamine")
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        raise ParseError(dataset, file, f"not a readable xlsx workbook ({exc}); expected a Swing xlsx export") from None
    if sheet.empty:
        raise ParseError(dataset, file, "the workbook's first sheet is empty; expected a Swing table", row=1)
    grid = sheet.to_numpy(dtype=object)
    # The years row: every filled cell right of column A is a year (as text in Swing exports).
    year_row = next(
        (
            r
            for r in range(min(len(grid), 20))
            if any(_year_text(c) for c in grid[r, 1:])
            and all(_year_text(c) or _is_blank(c) for c in grid[r, 1:])
        ),
        None,
    )
    if year_row is None or year_row == 0:
        raise ParseError(
            dataset, file,
            "no header row of years (2014, 2015, …) under a row of indicator labels in the first 20 rows",
            row=1,
        )
    label_row = year_row - 1
    year_cols = [c for c in range(1, grid.shape[1]) if _year_text(grid[year_row, c])]
    columns = []
    pending: list[int] = []
    # Swing writes each block's label in its LAST column: labels attach to the columns on their left.
    for c in year_cols:
        pending.append(c)
        label = grid[label_row, c]
        if _is_blank(label):
            continue
        years = [int(_year_text(grid[year_row, p]) or 0) for p in pending]
        if years != sorted(set(years)):
            raise ParseError(
                dataset, file,
                f"the years under label {label!r} are not increasing ({years}); expected each block's label in "
                f"its last column (columns {_excel_column(pending[0])}–{_excel_column(c)})",
                row=label_row + 1, column=_excel_column(c),
            )
        for p in pending:
            columns.append(_Column(p, str(label), str(_year_text(grid[year_row, p])), _excel_column(p)))
        pending = []
    if pending:
        raise ParseError(
            dataset, file,
            f"columns {_excel_column(pending[0])}–{_excel_column(pending[-1])} have years but no indicator label in "
            f"row {label_row + 1} (a block's label is in its last column)",
            row=label_row + 1, column=_excel_column(pending[-1]),
        )
    rows = []
    end = len(grid)
    for r in range(year_row + 1, len(grid)):
        name = grid[r, 0]
        if _is_blank(name):
            end = r  # a blank row ends the table; the legend, sources and footnotes follow
            break
        rows.append((r + 1, str(name).strip(), tuple(grid[r])))
    # The footer holds text only; a named row with numbers below the gap is a table cut in two.
    for r in range(end + 1, len(grid)):
        if not _is_blank(grid[r, 0]) and any(_number(grid[r, c]) is not None for c in year_cols):
            raise ParseError(
                dataset, file, f"row {r + 1} ({grid[r, 0]!r}) holds numbers below the blank row {end + 1} that "
                "ends the table; remove the blank row",
                row=r + 1, column="A",
            )
    geo = grid[label_row, 0] if not _is_blank(grid[label_row, 0]) else "A"
    return _Table(tuple(columns), tuple(rows), str(geo), fractions=True)


# --- values ---------------------------------------------------------------------------------


def _number(cell: object) -> float | None:
    if _is_blank(cell):
        return None
    if isinstance(cell, Number) and not isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, str) and _COMMA_NUMBER.match(cell.strip()):
        return float(cell.strip().replace(",", "."))
    return None


def _value(
    cell: object, spec: SwingMeasure, *, fractions: bool, dataset: str, file: str, row: int, column: str
) -> tuple[float | None, str]:
    if _is_blank(cell):
        return None, "missing"
    if isinstance(cell, str) and cell.strip().lower() in SPECIAL_VALUES:
        return None, SPECIAL_VALUES[cell.strip().lower()]
    number = _number(cell)
    if number is None:
        raise ParseError(
            dataset, file,
            f"expected a number (decimal comma) or one of {sorted(SPECIAL_VALUES)}, found {cell!r}",
            row=row, column=column,
        )
    if not spec.percentage:
        return number, "published"
    top = 1.0 if fractions else 100.0
    if not 0 <= number <= top:
        kind = "a fraction between 0 and 1 (xlsx stores [%] as fractions)" if fractions else "a percentage 0–100"
        raise ParseError(dataset, file, f"expected {kind}, found {number}", row=row, column=column)
    percent = number * 100 if fractions else number
    converted = percent if spec.unit == "percent" else percent / 100
    return round(converted, 10), "published"


# --- shared core ----------------------------------------------------------------------------


def _some(items: dict[str, None] | list[str], limit: int = 3) -> str:
    names = list(items)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def _parse(
    path: Path, table: _Table, *, dataset: str, sha256: str | None, year: int | None, map_vintage: int | None
) -> pd.DataFrame:
    file = path.name
    if dataset not in SWING_MEASURES:
        raise ParseError(
            dataset, file, f"no Swing label mapping for dataset {dataset!r}; mapped: {sorted(SWING_MEASURES)}"
        )
    if map_vintage not in (None, SWING_MAP):
        raise ParseError(
            dataset, file,
            f"the catalog declares map {map_vintage}, but Swing names are matched on the {SWING_MAP} map only",
        )
    mapping = {_label_key(k): v for k, v in SWING_MEASURES[dataset].items()}
    labels = dict.fromkeys(col.label for col in table.columns)
    kept = [col for col in table.columns if _label_key(col.label) in mapping]
    if not kept:
        raise ParseError(
            dataset, file,
            f"none of the file's {len(labels)} indicator(s) ({_some(labels)}) is mapped for dataset {dataset}; "
            f"mapped labels: {list(mapping)}",
            row=1,
        )
    seen: dict[tuple[str, str], str] = {}
    for col in kept:
        key = (mapping[_label_key(col.label)].measure, col.year)
        if key in seen:
            raise ParseError(
                dataset, file,
                f"measure {key[0]} year {col.year} comes from two columns ({seen[key]} and {col.ref})",
                row=1, column=col.ref,
            )
        seen[key] = col.ref
    if year is not None:
        file_years = sorted({col.year for col in kept})
        kept = [col for col in kept if col.year == str(year)]
        if not kept:
            raise ParseError(
                dataset, file, f"the catalog declares year {year} but the file has years {', '.join(file_years)}",
                row=1,
            )

    pseudo = 0
    communes: list[tuple[int, str, tuple[object, ...]]] = []
    first_row: dict[str, int] = {}
    for line, name, cells in table.rows:
        if is_pseudo_area(name):
            pseudo += 1
            continue
        if name in first_row:
            raise ParseError(
                dataset, file, f"area {name!r} appears twice (also row {first_row[name]})", row=line,
                column=table.geo_column,
            )
        first_row[name] = line
        communes.append((line, name, cells))
    if not communes:
        raise ParseError(dataset, file, "no commune row found under the header", row=2)
    codes = match_names(
        [n for _, n, _ in communes], dataset=dataset, file=file, rows=first_row, column=table.geo_column
    )

    records = []
    for line, name, cells in communes:
        for col in kept:
            spec = mapping[_label_key(col.label)]
            value, status = _value(
                cells[col.index], spec, fractions=table.fractions, dataset=dataset, file=file, row=line, column=col.ref
            )
            records.append(
                {"nis_code": codes[name], "period": col.year, "measure": spec.measure, "value": value,
                 "unit": spec.unit, "status": status}
            )
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
    frame = make_frame(records, source=source, map_vintage=SWING_MAP)
    frame.attrs["dropped"] = {"totals_rows": 0, "pseudo_codes": pseudo}
    frame.attrs["matched_communes"] = len(codes)
    frame.attrs["unmapped_labels"] = [label for label in labels if _label_key(label) not in mapping]
    return frame


def parse_swing_csv(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """A Swing CSV export (`;`, decimal comma, `"<label>|<year>"` headers) as a canonical frame.

    ``year`` keeps only that year's columns. ``frame.attrs``: ``dropped`` (pseudo-areas),
    ``matched_communes`` and ``unmapped_labels`` (indicators of the file with no measure).
    """
    path = Path(path)
    return _parse(path, _read_csv(path, dataset), dataset=dataset, sha256=sha256, year=year, map_vintage=map_vintage)


def parse_swing_xlsx(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """A Swing xlsx export (labels row, years row, label in each block's last column)."""
    path = Path(path)
    return _parse(path, _read_xlsx(path, dataset), dataset=dataset, sha256=sha256, year=year, map_vintage=map_vintage)


LAYOUTS = {"swing_csv": parse_swing_csv, "swing_xlsx": parse_swing_xlsx}
