"""Reading a Swing export (provincies.incijfers.be) into one table, whatever its format and shape.

Two formats (CSV: `;`, quoted text, decimal comma; xlsx: numbers as numbers, [%] as fractions) and
two shapes:

- wide: one row per area, one column per indicator and year. CSV headers are
  ``"<label>|<year>"``; an xlsx has a row of labels over a row of years, each block's label in
  its LAST column (labels attach to the columns on their left);
- long: one row per area and year: an optional NIS column (``NIS``, ``niscode``, ``geoitem
  code``, ``gebiedscode``, ``code``), a name column (``gemeenten``, ``gemeente``, ``naam``,
  ``geoitem``), a year column (``jaar``, ``perioden``, ``periode``), then one column per label.

Blank lines are skipped, and so are footer lines (``Geen selecties``, ``Bron…``, ``Datum
export…``, ``Voetnoot…``, ``Eenheid…``, the legend), which may only follow the data. What the
values mean is decided in :mod:`ingestion.parsers.swing`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Number
from pathlib import Path

import pandas as pd
import python_calamine

from ingestion.errors import ParseError
from ingestion.files import column_letter
from ingestion.labels import normalise_label

CODE_HEADERS: frozenset[str] = frozenset(
    {"nis", "niscode", "nis code", "nis-code", "geoitem code", "gebiedscode", "code"}
)
NAME_HEADERS: frozenset[str] = frozenset({"gemeenten", "gemeente", "naam", "geoitem"})
YEAR_HEADERS: frozenset[str] = frozenset({"jaar", "perioden", "periode"})
FOOTER_STARTS: tuple[str, ...] = (
    "geen selecties", "bron", "datum export", "voetnoot", "eenheid", "speciale waarden", "provincies.incijfers.be",
)
YEAR = re.compile(r"^\d{4}$")
_COMMA_NUMBER = re.compile(r"^-?\d+(,\d+)?$")
_HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class Column:
    """One indicator column (wide: one indicator x year; long: one indicator, ``year`` None).
    ``label`` is verbatim; ``ref`` is how a user finds the column in the file."""

    index: int
    label: str
    year: str | None
    ref: str


@dataclass(frozen=True)
class Row:
    """One area row: its line in the file, name, NIS code (long shape with a NIS column) and
    year (long shape), and every cell."""

    line: int
    name: str
    code: str | None
    year: str | None
    cells: tuple[object, ...]


@dataclass(frozen=True)
class Table:
    shape: str  # wide or long
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    name_column: str | None  # the header of the column naming the areas, for messages
    code_column: str | None
    year_column: str | None
    fractions: bool  # xlsx stores percentages as fractions, CSV as percent points


@dataclass(frozen=True)
class LongHeader:
    """Where the key columns of a long header are; every other column is an indicator label."""

    code: int | None
    name: int | None
    year: int
    labels: tuple[int, ...]


def is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    return isinstance(cell, str) and not cell.strip()


def number(cell: object) -> float | None:
    """A number, from a numeric cell or text with a decimal comma; None otherwise."""
    if is_blank(cell):
        return None
    if isinstance(cell, Number) and not isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, str) and _COMMA_NUMBER.match(cell.strip()):
        return float(cell.strip().replace(",", "."))
    return None


def year_text(cell: object) -> str | None:
    if isinstance(cell, Number) and not isinstance(cell, bool) and not is_blank(cell) and float(cell).is_integer():
        cell = str(int(cell))
    return cell.strip() if isinstance(cell, str) and YEAR.match(cell.strip()) else None


def long_header(cells: Sequence[object]) -> LongHeader | None:
    """The key columns of a long header, or None when the header is not long (no year column,
    or no NIS and no name column, or no column left for an indicator)."""
    names = [normalise_label(c) for c in cells]
    year = next((i for i, n in enumerate(names) if n in YEAR_HEADERS), None)
    code = next((i for i, n in enumerate(names) if n in CODE_HEADERS), None)
    name = next((i for i, n in enumerate(names) if n in NAME_HEADERS), None)
    if year is None or (code is None and name is None):
        return None
    labels = tuple(i for i in range(len(names)) if i not in (year, code, name))
    return LongHeader(code, name, year, labels) if labels else None


def wide_labels(cells: Sequence[object]) -> list[tuple[str, str]] | None:
    """The (label, year) of each column right of the first in a wide CSV header, or None when a
    column is not ``<label>|<year>``."""
    found = []
    for text in cells[1:]:
        label, _, year = str(text).strip().rpartition("|")
        if not label or not YEAR.match(year.strip()):
            return None
        found.append((label, year.strip()))
    return found if found and "|" not in str(cells[0]) else None


def is_footer(cells: Sequence[object]) -> bool:
    """A Swing footer line: it starts with a footer word and holds no number after that."""
    first = normalise_label(cells[0]) if cells else ""
    return first.startswith(FOOTER_STARTS) and all(number(c) is None for c in cells[1:])


def csv_header(line: str) -> list[str]:
    """The cells of a Swing CSV header line (`;`, quoted)."""
    return [cell.strip() for cell in next(csv.reader([line], delimiter=";"), [])]


# --- CSV ----------------------------------------------------------------------------------------


def read_csv(path: Path, dataset: str) -> Table:
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
    body = list(enumerate(lines[1:], start=2))
    long = long_header(header)
    if long is not None:
        return _long_table(header, long, body, dataset=dataset, file=file, fractions=False, refs=header)
    return _wide_csv(header, body, dataset=dataset, file=file)


def _wide_csv(header: list[str], body: list[tuple[int, list[str]]], *, dataset: str, file: str) -> Table:
    if "|" in header[0]:
        raise ParseError(
            dataset,
            file,
            f"column 1 must name the areas (for example 'gemeenten'), found the indicator column {header[0]!r}",
            row=1,
            column=header[0],
        )
    columns = []
    for index, text in enumerate(header[1:], start=1):
        label, _, year = text.rpartition("|")
        if not label or not YEAR.match(year.strip()):
            raise ParseError(
                dataset, file, f"expected a header '<indicator label>|<year>', found {text!r}", row=1, column=text
            )
        columns.append(Column(index, label, year.strip(), text))
    rows = [
        Row(line, cells[0].strip(), None, None, tuple(cells))
        for line, cells in _data_lines(body, len(header), dataset=dataset, file=file)
    ]
    return Table("wide", tuple(columns), tuple(rows), header[0], None, None, fractions=False)


def _data_lines(
    body: Sequence[tuple[int, Sequence[object]]], width: int, *, dataset: str, file: str, ragged_ok: bool = False
) -> list[tuple[int, Sequence[object]]]:
    """The data lines: blank lines and the footer left out; a data line after a footer line is an
    error (the footer comes last), and so is a line with another number of fields."""
    data = []
    footer: int | None = None
    for line, cells in body:
        if all(is_blank(c) for c in cells):
            continue
        if is_footer(cells):
            footer = footer or line
            continue
        if footer is not None:
            raise ParseError(
                dataset, file, f"a data row follows the footer line {footer}; the footer must come after the data",
                row=line,
            )
        if len(cells) != width and not ragged_ok:
            raise ParseError(
                dataset, file, f"expected {width} ';'-separated fields as in the header, found {len(cells)}", row=line
            )
        data.append((line, cells))
    return data


def _long_table(
    header: Sequence[object],
    key: LongHeader,
    body: Sequence[tuple[int, Sequence[object]]],
    *,
    dataset: str,
    file: str,
    fractions: bool,
    refs: Sequence[str],
    ragged_ok: bool = False,
) -> Table:
    labels = [str(header[i]).strip() for i in key.labels]
    blank = [refs[i] for i, label in zip(key.labels, labels, strict=True) if not label]
    if blank:
        raise ParseError(dataset, file, "an indicator column has no label in the header", row=1, column=blank[0])
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise ParseError(dataset, file, f"the label {twice[0]!r} heads two columns", row=1, column=twice[0])
    columns = tuple(Column(i, str(header[i]).strip(), None, refs[i]) for i in key.labels)
    year_ref = refs[key.year]
    rows = []
    for line, cells in _data_lines(body, len(header), dataset=dataset, file=file, ragged_ok=ragged_ok):
        cell = lambda i: cells[i] if i is not None and i < len(cells) else None  # noqa: E731
        year = year_text(cell(key.year))
        if year is None:
            raise ParseError(dataset, file, f"expected a year, found {cell(key.year)!r}", row=line, column=year_ref)
        code = None
        if key.code is not None:
            raw = cell(key.code)
            code = _code_text(raw)
            if code is None:
                raise ParseError(
                    dataset, file, f"expected a NIS code, found {raw!r}", row=line, column=refs[key.code]
                )
        name = "" if key.name is None or is_blank(cell(key.name)) else str(cell(key.name)).strip()
        rows.append(Row(line, name, code, year, tuple(cells)))
    name_ref = refs[key.name] if key.name is not None else None
    code_ref = refs[key.code] if key.code is not None else None
    return Table("long", columns, tuple(rows), name_ref, code_ref, year_ref, fractions=fractions)


def _code_text(cell: object) -> str | None:
    if isinstance(cell, Number) and not isinstance(cell, bool) and not is_blank(cell) and float(cell).is_integer():
        cell = str(int(cell))
    text = str(cell).strip() if cell is not None else ""
    return text.zfill(5) if text.isdigit() and len(text) <= 5 else None


# --- xlsx ---------------------------------------------------------------------------------------


def read_xlsx(path: Path, dataset: str) -> Table:
    file = path.name
    try:
        sheet = pd.read_excel(path, sheet_name=0, header=None, dtype=object, engine="calamine")
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        raise ParseError(dataset, file, f"not a readable xlsx workbook ({exc}); expected a Swing xlsx export") from None
    if sheet.empty:
        raise ParseError(dataset, file, "the workbook's first sheet is empty; expected a Swing table", row=1)
    grid = sheet.to_numpy(dtype=object)
    for r in range(min(len(grid), _HEADER_SEARCH_ROWS)):
        key = long_header(list(grid[r]))
        if key is not None:
            refs = [column_letter(c) for c in range(grid.shape[1])]
            body = [(line, list(grid[line - 1])) for line in range(r + 2, len(grid) + 1)]
            return _long_table(list(grid[r]), key, body, dataset=dataset, file=file, fractions=True, refs=refs)
    return _wide_xlsx(grid, dataset=dataset, file=file)


def wide_years_row(rows: Sequence[Sequence[object]]) -> int | None:
    """The row of years of a wide xlsx: every filled cell right of column A is a year."""
    for r, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        rest = list(row[1:])
        if any(year_text(c) for c in rest) and all(year_text(c) or is_blank(c) for c in rest):
            return r
    return None


def _wide_xlsx(grid, *, dataset: str, file: str) -> Table:  # noqa: ANN001 - a numpy object grid
    year_row = wide_years_row(grid)
    if year_row is None or year_row == 0:
        raise ParseError(
            dataset, file,
            "no header row of years (2014, 2015, …) under a row of indicator labels in the first 20 rows",
            row=1,
        )
    label_row = year_row - 1
    year_cols = [c for c in range(1, grid.shape[1]) if year_text(grid[year_row, c])]
    columns = []
    pending: list[int] = []
    # Swing writes each block's label in its LAST column: labels attach to the columns on their left.
    for c in year_cols:
        pending.append(c)
        label = grid[label_row, c]
        if is_blank(label):
            continue
        years = [int(year_text(grid[year_row, p]) or 0) for p in pending]
        if years != sorted(set(years)):
            raise ParseError(
                dataset, file,
                f"the years under label {label!r} are not increasing ({years}); expected each block's label in "
                f"its last column (columns {column_letter(pending[0])}–{column_letter(c)})",
                row=label_row + 1, column=column_letter(c),
            )
        for p in pending:
            columns.append(Column(p, str(label), str(year_text(grid[year_row, p])), column_letter(p)))
        pending = []
    if pending:
        raise ParseError(
            dataset, file,
            f"columns {column_letter(pending[0])}–{column_letter(pending[-1])} have years but no indicator label in "
            f"row {label_row + 1} (a block's label is in its last column)",
            row=label_row + 1, column=column_letter(pending[-1]),
        )
    rows = []
    end = len(grid)
    for r in range(year_row + 1, len(grid)):
        name = grid[r, 0]
        if is_blank(name):
            end = r  # a blank row ends the table; the legend, sources and footnotes follow
            break
        rows.append(Row(r + 1, str(name).strip(), None, None, tuple(grid[r])))
    # The footer holds text only; a named row with numbers below the gap is a table cut in two.
    for r in range(end + 1, len(grid)):
        if not is_blank(grid[r, 0]) and any(number(grid[r, c]) is not None for c in year_cols):
            raise ParseError(
                dataset, file, f"row {r + 1} ({grid[r, 0]!r}) holds numbers below the blank row {end + 1} that "
                "ends the table; remove the blank row",
                row=r + 1, column="A",
            )
    geo = grid[label_row, 0] if not is_blank(grid[label_row, 0]) else "A"
    return Table("wide", tuple(columns), tuple(rows), str(geo), None, None, fractions=True)


def wide_xlsx_labels(rows: Sequence[Sequence[object]]) -> list[str] | None:
    """The labels of a wide xlsx from its first rows (as in a file head), or None."""
    year_row = wide_years_row(rows)
    if year_row is None or year_row == 0:
        return None
    return [str(c).strip() for c in rows[year_row - 1][1:] if not is_blank(c)]
