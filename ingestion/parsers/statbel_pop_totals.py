"""Statbel's population per commune on 1 January (the population-density table), xlsx or CSV.

**xlsx** (SOURCES.md 4.2, ``Pop_density_en.xlsx``; Statbel also publishes ``_nl`` and ``_fr``):
one sheet per year, named by the year. Row 1 is a title ("Population density by municipality
1st January 2019"), row 2 the header ``Refnis | Municipality FR | Municipality NL | Population |
Size in km² | Population / km²`` (Dutch or French in the other versions), then Belgium, the
regions, provinces, arrondissements and communes, all mixed. Columns are found by their header
text (any position; extra empty columns, as in the 2024 sheet, are ignored); sheets not named by a
year are ignored.

**CSV** (no real file seen; this is the shape we accept): the same table as text, one row per
unit and year::

    Refnis;Municipality NL;Population;Year
    01000;België;11431406;2019
    11002;Antwerpen;525935;2019

- the delimiter is ``;``, ``,``, ``|`` or a tab (whichever splits the header line), UTF-8 with
  or without a BOM;
- a code column (``Refnis``, ``NIS code``, ``Code INS``, ``niscode``, ...), a population column
  (``Population``, ``Bevolking``, ``Inwoners``, ``Habitants``, ...) and a year column (``Year``,
  ``Jaar``, ``Année``); without a year column the file name must carry the year
  (``Pop_density_2024.csv``); other columns (names, area, density) are ignored;
- codes with or without their leading zero (``1000`` is ``01000``); populations are whole
  numbers without thousands separators.

Per year: totals rows (country, regions, provinces, arrondissements) and pseudo codes are dropped
and counted; the commune map (589/581/565) is detected from the codes, so a 2025 sheet lands on
the 565 map; the communes must add up to the table's own Belgium row (01000) and to each region
row (02000 Flemish, 03000 Walloon, 04000 Brussels: the communes whose code lies in the region), or
the parse fails naming both numbers. The measure is ``population_total`` (persons), period the year.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine

from ingestion import geography
from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.filehead import FileHead
from ingestion.files import sha256_of
from ingestion.labels import normalise_label
from ingestion.parsers.statbel_common import measure_units
from ingestion.signature import Signature, year_of

MEASURE = "population_total"
CODE_HEADERS: frozenset[str] = frozenset(
    {"refnis", "code refnis", "refnis code", "refnis-code", "nis code", "nis-code", "code nis", "code ins", "niscode",
     "nis"}
)
POPULATION_HEADERS: frozenset[str] = frozenset(
    {"population", "bevolking", "inwoners", "aantal inwoners", "habitants", "nombre d'habitants",
     "population totale", "totale bevolking"}
)
YEAR_HEADERS: frozenset[str] = frozenset({"year", "jaar", "annee", "jahr"})
COUNTRY = "01000"
# The table's own region rows, and which communes each totals.
REGION_ROWS: dict[str, str] = {"02000": "BE-VLG", "03000": "BE-WAL", "04000": "BE-BRU"}
DELIMITERS: tuple[str, ...] = (";", ",", "|", "\t")
_HEADER_SEARCH_ROWS = 10
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_WHOLE = re.compile(r"^\d+(\.0+)?$")


@dataclass
class _Year:
    """The rows of one year (a sheet, or a year's rows of a CSV): code, population, file row."""

    year: int
    where: str  # "sheet '2019'" or "year 2019", for messages
    column: str  # the population column as the file names it
    code_column: str  # the code column as the file names it
    rows: list[tuple[str, object, int]] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------------


def _header_positions(cells: Sequence[object]) -> tuple[int, int, int | None] | None:
    names = [normalise_label(c) for c in cells]
    code = next((i for i, n in enumerate(names) if n in CODE_HEADERS), None)
    population = next((i for i, n in enumerate(names) if n in POPULATION_HEADERS), None)
    if code is None or population is None:
        return None
    return code, population, next((i for i, n in enumerate(names) if n in YEAR_HEADERS), None)


def _code(cell: object, row: int, *, dataset: str, file: str, column: str) -> str | None:
    """A REFNIS code as 5-character text (pseudo codes keep theirs), None for a blank cell."""
    if cell is None or (isinstance(cell, str) and not cell.strip()) or (isinstance(cell, float) and cell != cell):
        return None
    text = str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell).strip()
    if not text.isdigit() or len(text) > 5:
        raise ParseError(dataset, file, f"expected a REFNIS code, found {cell!r}", row=row, column=column)
    return text if geography.is_pseudo_code(text) else text.zfill(5)


def _read_xlsx(path: Path, *, dataset: str, year: int | None) -> tuple[list[_Year], list[str]]:
    file = path.name
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every broken file
        raise ParseError(dataset, file, f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})") from exc
    sheets = [(name, year_of(name)) for name in book.sheet_names]
    year_sheets = [(name, y) for name, y in sheets if y is not None]
    if not year_sheets:
        raise ParseError(dataset, file, f"no sheet named by a year; sheets: {', '.join(book.sheet_names) or 'none'}")
    if year is not None:
        chosen = [(name, y) for name, y in year_sheets if y == year]
        if not chosen:
            raise ParseError(
                dataset, file, f"the catalog declares year {year} but the workbook has no sheet {year}; year sheets: "
                f"{', '.join(name for name, _ in year_sheets)}",
            )
        year_sheets = chosen
    years = [_read_sheet(book, name, y, dataset=dataset, file=file) for name, y in year_sheets]
    ignored = [name for name, y in sheets if y is None]
    return years, ignored


def _read_sheet(book: python_calamine.CalamineWorkbook, name: str, year: int, *, dataset: str, file: str) -> _Year:
    try:
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise ParseError(dataset, file, f"sheet {name!r} cannot be read ({type(exc).__name__}: {exc})") from exc
    where = f"sheet {name!r}"
    for r, row in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        positions = _header_positions(row)
        if positions is not None:
            break
    else:
        raise ParseError(
            dataset, file,
            f"{where}: no header row with a 'Refnis' and a 'Population' column in its first {_HEADER_SEARCH_ROWS} rows",
            column="Refnis",
        )
    code_at, population_at, _ = positions
    for title_row, title in enumerate(grid[:r], start=1):
        for cell in title:
            stated = _YEAR_IN_TEXT.search(str(cell))
            if stated and int(stated.group(1)) != year:
                raise ParseError(
                    dataset, file, f"{where}: the title says {stated.group(1)} but the sheet is named {year}",
                    row=title_row,
                )
    code_label, column = str(row[code_at]).strip(), str(row[population_at]).strip()
    found = _Year(year, where, column, code_label)
    for number, cells in enumerate(grid[r + 1 :], start=r + 2):
        code = _code(cells[code_at] if code_at < len(cells) else None, number, dataset=dataset, file=file,
                     column=code_label)
        value = cells[population_at] if population_at < len(cells) else None
        if code is None:
            if _number(value) is not None:
                raise ParseError(dataset, file, f"{where}: a population without a {code_label}", row=number,
                                 column=column)
            continue  # a blank row or a footnote
        found.rows.append((code, value, number))
    return found


def sniff_delimiter(line: str) -> str | None:
    """The delimiter that splits a header line into the most columns (at least two)."""
    counts = {d: len(next(csv.reader([line], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 1 else None


def _read_csv(path: Path, *, dataset: str, year: int | None) -> list[_Year]:
    file = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(dataset, file, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ParseError(
            dataset, file, "the file is empty; expected a header with Refnis and Population columns", row=1
        )
    delimiter = sniff_delimiter(lines[0])
    header = next(csv.reader([lines[0]], delimiter=delimiter or ";"))
    positions = _header_positions(header) if delimiter else None
    if positions is None:
        raise ParseError(
            dataset, file, f"the header {lines[0][:80]!r} has no Refnis (code) and Population columns "
            f"(delimiter ';', ',', '|' or tab)", row=1,
        )
    code_at, population_at, year_at = positions
    name_years = {int(y) for y in _YEAR_IN_TEXT.findall(file)}
    if year_at is None and len(name_years) != 1:
        raise ParseError(
            dataset, file, "no year: the file has no Year (Jaar, Année) column and its name no single year "
            "(for example Pop_density_2024.csv)", row=1,
        )
    by_year: dict[int, _Year] = {}
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if number == 1 or not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ParseError(
                dataset, file, f"expected {len(header)} {delimiter!r}-separated fields as in the header, "
                f"found {len(cells)}", row=number,
            )
        if year_at is None:
            row_year = next(iter(name_years))
        else:
            row_year = year_of(cells[year_at])
            if row_year is None:
                raise ParseError(dataset, file, f"expected a year, found {cells[year_at]!r}", row=number,
                                 column=header[year_at])
        code = _code(cells[code_at], number, dataset=dataset, file=file, column=header[code_at])
        if code is None:
            raise ParseError(dataset, file, "the row has no code", row=number, column=header[code_at])
        part = by_year.setdefault(
            row_year, _Year(row_year, f"year {row_year}", header[population_at].strip(), header[code_at].strip())
        )
        part.rows.append((code, cells[population_at], number))
    if not by_year:
        raise ParseError(dataset, file, "the file has a header but no data row", row=2)
    if year is not None:
        if year not in by_year:
            raise ParseError(
                dataset, file, f"the catalog declares year {year} but the file has years "
                f"{', '.join(map(str, sorted(by_year)))}",
            )
        return [by_year[year]]
    return [by_year[y] for y in sorted(by_year)]


# --- one year -----------------------------------------------------------------------------------


def _number(cell: object) -> float | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float)):
        return None if cell != cell else float(cell)
    text = str(cell).strip() if cell is not None else ""
    return float(text) if _WHOLE.match(text) else None


def _population(cell: object, row: int, *, dataset: str, file: str, column: str, where: str) -> int:
    value = _number(cell)
    if value is None or value < 0 or not float(value).is_integer():
        raise ParseError(
            dataset, file, f"{where}: expected the population (a whole number), found {cell!r}", row=row, column=column
        )
    return int(value)


@dataclass(frozen=True)
class _Parsed:
    frame: pd.DataFrame
    map_vintage: int
    dropped: dict[str, int]
    reconciliation: dict[str, str]


def _parse_year(part: _Year, *, source: SourceFile, map_vintage: int | None) -> _Parsed:
    dataset, file = source.dataset, source.name
    communes: dict[str, tuple[int, int]] = {}
    totals: dict[str, tuple[int, int]] = {}
    dropped = {"totals_rows": 0, "pseudo_codes": 0}
    for code, cell, row in part.rows:
        if geography.is_pseudo_code(code):
            dropped["pseudo_codes"] += 1
            continue
        value = _population(cell, row, dataset=dataset, file=file, column=part.column, where=part.where)
        if geography.is_aggregate_code(code):
            dropped["totals_rows"] += 1
            totals.setdefault(code, (value, row))
            continue
        if code in communes:
            raise ParseError(
                dataset, file, f"{part.where}: code {code} appears twice (also row {communes[code][1]})", row=row,
                column=part.code_column,
            )
        communes[code] = (value, row)
    if not communes:
        raise ParseError(dataset, file, f"{part.where}: no commune row")
    vintage = map_vintage or geography.detect_map_vintage(
        [c for c in communes if any(geography.is_commune_code(c, v) for v in geography.MAPS)] or list(communes),
        dataset=dataset, file=f"{file} {part.where}",
    )
    for code, (_, row) in communes.items():
        if not geography.is_commune_code(code, vintage):
            raise ParseError(
                dataset, file, f"{part.where}: code {code} is not a commune of the {vintage} map", row=row,
                column=part.code_column,
            )
    reconciliation = _reconcile(part, communes, totals, dataset=dataset, file=file)
    unit = measure_units(dataset).get(MEASURE)
    if unit is None:
        raise LookupError(f"measure {MEASURE!r} of dataset {dataset} is missing from measures.csv")
    records = [
        {"nis_code": code, "period": str(part.year), "measure": MEASURE, "value": float(value), "unit": unit,
         "status": "published"}
        for code, (value, _) in communes.items()
    ]
    frame = make_frame(records, source=source, map_vintage=vintage)
    return _Parsed(frame, vintage, dropped, reconciliation)


def _reconcile(
    part: _Year, communes: dict[str, tuple[int, int]], totals: dict[str, tuple[int, int]], *, dataset: str, file: str
) -> dict[str, str]:
    """The communes against the table's own Belgium row and each region row."""
    outcome: dict[str, str] = {}
    wanted = {COUNTRY: ("Belgium", None), **{code: (region, region) for code, region in REGION_ROWS.items()}}
    for code, (name, region) in wanted.items():
        if code not in totals:
            outcome[code] = f"not checked: no {name} row ({code})"
            continue
        members = [v for c, (v, _) in communes.items() if region is None or geography.iso_region(c) == region]
        total, row = totals[code]
        if sum(members) != total:
            raise ParseError(
                dataset, file,
                f"{part.where}: the {len(members)} communes of {name} ({code}) add up to {sum(members):,} but the "
                f"table's own {name} row says {total:,} (a commune missing, counted twice or in the wrong region?)",
                row=row, column=part.column,
            )
        outcome[code] = "reconciled"
    return outcome


# --- the layout -------------------------------------------------------------------------------


def parse_statbel_pop_totals(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """Residents per commune on 1 January, one period per year (see the module docstring).

    ``year`` keeps only that year. ``frame.attrs``: ``dropped`` (summed over years),
    ``map_vintages`` (year -> map), ``ignored_sheets`` and ``reconciliation`` (year -> totals
    row code -> outcome).
    """
    path = Path(path)
    head = FileHead(path)
    if head.kind in ("xlsx", "xls"):
        years, ignored = _read_xlsx(path, dataset=dataset, year=year)
    else:
        years, ignored = _read_csv(path, dataset=dataset, year=year), []
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
    parsed = {part.year: _parse_year(part, source=source, map_vintage=map_vintage) for part in years}
    frames = [p.frame for p in parsed.values()]
    result = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    result = result.sort_values(["nis_code", "period", "measure"], kind="stable").reset_index(drop=True)
    result.attrs = {
        "dropped": {k: sum(p.dropped[k] for p in parsed.values()) for k in ("totals_rows", "pseudo_codes")},
        "map_vintages": {str(y): p.map_vintage for y, p in parsed.items()},
        "ignored_sheets": ignored,
        "reconciliation": {str(y): p.reconciliation for y, p in parsed.items()},
    }
    return result


LAYOUTS = {"statbel_pop_totals": parse_statbel_pop_totals}


# --- signature ----------------------------------------------------------------------------------


def _check(head: FileHead) -> str | None:
    if head.kind == "text":
        line = head.lines[0] if head.lines else ""
        delimiter = sniff_delimiter(line)
        header = next(csv.reader([line], delimiter=delimiter), []) if delimiter else []
        if _header_positions(header) is None:
            return "its header has no Refnis (code) and Population columns"
        return None
    year_sheets = [n for n in head.sheet_names if year_of(n) is not None]
    if not year_sheets:
        found = ", ".join(repr(n) for n in head.sheet_names[:6]) or "none"
        return f"has no sheet named by a year (sheets: {found})"
    rows = head.rows(year_sheets[0])[:_HEADER_SEARCH_ROWS]
    if not any(_header_positions(row) for row in rows):
        return f"sheet {year_sheets[0]!r} has no header with a 'Refnis' and a 'Population' column"
    return None


SIGNATURES = {"statbel_pop_totals": Signature(kinds=frozenset({"xlsx", "xls", "text"}), check=_check)}
