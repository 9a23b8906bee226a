"""Statbel's population-movement workbook `pop1992-mov_fr.xlsx` (SOURCES.md 10.3, 3.2).

One sheet per year, named by the bare year. Row 1 is a title, rows 2-4 a three-level header with
merged cells, data from row 5, then a footer (`Source: Statbel…`). Every geography level is mixed
in; totals rows are dropped and counted. Columns are found by their combined header text, never by
position, so a moved column fails loudly instead of filling the wrong measure. Transition sheets
already use the next map's codes (2018 is on the 581 map, 2024 on the 565 map), so the map is
detected per sheet.
"""

from __future__ import annotations

import math
import re
import unicodedata
from numbers import Number
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from ingestion import geography
from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.filehead import FileHead
from ingestion.files import column_letter, sha256_of
from ingestion.signature import Signature

HEADER_ROWS = (1, 2, 3)  # 0-based: rows 2, 3 and 4 of the sheet
FIRST_DATA_ROW = 4  # 0-based: row 5
CODE_HEADER: tuple[str, ...] = ("CODE INS",)
COUNTRY_CODE = "01000"  # the publisher's Belgium row, against which the communes are reconciled
_NATURAL = "MOUVEMENT NATUREL"
_INTERNAL = "MOUVEMENT MIGRATOIRE INTERNE"
_INTERNATIONAL = "MOUVEMENT MIGRATOIRE INTERNATIONAL"
# Measure -> its header path (row 2 / row 3 / row 4, blanks left out), verbatim from the workbook.
# Names and units from dbt_project/seeds/measures.csv; all are persons. Net columns can be
# negative (international_net is a balance, not a count).
MEASURE_HEADERS: dict[str, tuple[str, ...]] = {
    "population_1jan": ("POPULATION AU 1 JANVIER",),
    "births": (_NATURAL, "NAISSANCES"),
    "deaths": (_NATURAL, "DECES"),
    "internal_in": (_INTERNAL, "ENTREES"),
    "internal_out": (_INTERNAL, "SORTIES"),
    "immigrations": (_INTERNATIONAL, "ENTREES", "IMMIGRATIONS"),
    "asylum_register_in": (_INTERNATIONAL, "ENTREES", "CHANGE-MENTS REGISTRE (ENTREES)"),
    "reregistrations": (_INTERNATIONAL, "ENTREES", "REINSCRITS AYANT ETE RAYES"),
    "emigrations": (_INTERNATIONAL, "SORTIES", "EMIGRATIONS"),
    "asylum_register_out": (_INTERNATIONAL, "SORTIES", "CHANGE-MENTS REGISTRE (SORTIES)"),
    "struck_off": (_INTERNATIONAL, "SORTIES", "RAYES D'OFFICE"),
    "international_net": (_INTERNATIONAL, "SOLDE"),
}
UNIT = "persons"
_YEAR_SHEET = re.compile(r"^\s*(\d{4})\s*$")
_CODE = re.compile(r"^\d{4,5}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def normalise_header(text: object) -> str:
    """Upper case, no accents, one space between words, `CHANGE-\\nMENTS` -> `CHANGE-MENTS`."""
    if _blank(text):
        return ""
    value = unicodedata.normalize("NFKD", str(text).replace("\u2019", "'"))
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).upper()
    value = re.sub(r"-\s+", "-", value)
    return " ".join(value.split())


def _blank(cell: object) -> bool:
    if isinstance(cell, float):
        return math.isnan(cell)
    return cell is None or (isinstance(cell, str) and not cell.strip())


def header_paths(grid: pd.DataFrame) -> list[tuple[str, ...]]:
    """The combined header of each column from rows 2-4, undoing the merged cells.

    A merged cell holds its text in its first column only: row-2 labels carry to the right, and
    row-3 labels carry to the right within their row-2 group.
    """
    top = middle = ""
    paths = []
    for c in range(grid.shape[1]):
        cells = [normalise_header(grid.iat[r, c]) if r < grid.shape[0] else "" for r in HEADER_ROWS]
        if cells[0]:
            top, middle = cells[0], ""
        if cells[1]:
            middle = cells[1]
        parts = [p for p in (top, middle, cells[2]) if p]
        deduplicated = tuple(p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1])
        paths.append(deduplicated)
    return paths


def _locate(paths: list[tuple[str, ...]], wanted: tuple[str, ...], *, dataset: str, file: str, sheet: str) -> int:
    hits = [c for c, path in enumerate(paths) if path == wanted]
    if len(hits) == 1:
        return hits[0]
    shown = " / ".join(wanted)
    if not hits:
        raise ParseError(
            dataset, file, f"sheet {sheet!r}: no column headed {shown!r} in header rows 2-4", row=2, column=shown
        )
    raise ParseError(
        dataset, file,
        f"sheet {sheet!r}: several columns headed {shown!r} ({', '.join(column_letter(c) for c in hits)})",
        row=2, column=shown,
    )


def _code(cell: object) -> str | None:
    """A REFNIS code as 5-character text, or None when the cell holds no code."""
    if isinstance(cell, Number) and not isinstance(cell, bool) and not _blank(cell):
        return str(int(cell)).zfill(5) if float(cell).is_integer() else None
    if isinstance(cell, str) and _CODE.match(cell.strip()):
        return cell.strip().zfill(5)
    return None


def _number(cell: object) -> float | None:
    if _blank(cell):
        return None
    if isinstance(cell, Number) and not isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, str):
        text = cell.replace("\u00a0", "").replace(" ", "").strip()
        if _NUMBER.match(text):
            return float(text)
    return None


def _detect(codes: list[str], *, dataset: str, file: str) -> int:
    """The sheet's map, detected on the codes some map knows, so that an unknown code is then
    reported with its row rather than as a detection failure."""
    known = [c for c in codes if any(geography.is_commune_code(c, v) for v in geography.MAPS)]
    return geography.detect_map_vintage(known or codes, dataset=dataset, file=file)


def _parse_sheet(
    grid: pd.DataFrame, *, sheet: str, source: SourceFile, map_vintage: int | None
) -> tuple[pd.DataFrame, dict[str, int]]:
    dataset, file = source.dataset, source.name
    if grid.shape[0] <= FIRST_DATA_ROW:
        raise ParseError(
            dataset, file, f"sheet {sheet!r} has {grid.shape[0]} rows; expected a title, header rows 2-4 and data"
        )
    paths = header_paths(grid)
    code_col = _locate(paths, CODE_HEADER, dataset=dataset, file=file, sheet=sheet)
    columns = {m: _locate(paths, h, dataset=dataset, file=file, sheet=sheet) for m, h in MEASURE_HEADERS.items()}

    # The cells as one object array: the same objects as grid.iat gives, at a tenth of its cost per cell.
    cells = grid.to_numpy(dtype=object)
    communes: list[tuple[int, str]] = []
    pseudo_rows: list[int] = []
    country_row: int | None = None
    totals = pseudo = 0
    for r in range(FIRST_DATA_ROW, grid.shape[0]):
        cell = cells[r, code_col]
        code = _code(cell)
        if code is None:
            if _blank(cell) or all(_number(cells[r, c]) is None for c in columns.values()):
                continue  # blank or footer row (`Source: Statbel…`)
            raise ParseError(
                dataset, file, f"sheet {sheet!r}: expected a 5-digit code INS, found {cell!r}",
                row=r + 1, column=column_letter(code_col),
            )
        if geography.is_pseudo_code(code):
            pseudo += 1
            pseudo_rows.append(r)
        elif geography.is_aggregate_code(code):
            totals += 1
            if code == COUNTRY_CODE:
                country_row = r
        else:
            communes.append((r, code))
    if not communes:
        raise ParseError(dataset, file, f"sheet {sheet!r}: no commune row from row {FIRST_DATA_ROW + 1}")

    codes = [code for _, code in communes]
    vintage = map_vintage or _detect(codes, dataset=dataset, file=f"{file} sheet {sheet}")
    records: dict[str, list] = {"nis_code": [], "period": [], "measure": [], "value": [], "unit": [], "status": []}
    seen: dict[str, int] = {}
    for r, code in communes:
        if not geography.is_commune_code(code, vintage):
            raise ParseError(
                dataset, file, f"sheet {sheet!r}: code {code} is not a commune of the {vintage} map",
                row=r + 1, column=column_letter(code_col),
            )
        if code in seen:
            raise ParseError(
                dataset, file, f"sheet {sheet!r}: code {code} appears twice (also row {seen[code]})",
                row=r + 1, column=column_letter(code_col),
            )
        seen[code] = r + 1
        for measure, c in columns.items():
            cell = cells[r, c]
            if _blank(cell):
                value, status = None, "missing"  # never 0: a blank is not a published zero
            else:
                value = _number(cell)
                if value is None:
                    raise ParseError(
                        dataset, file,
                        f"sheet {sheet!r}, {' / '.join(MEASURE_HEADERS[measure])}: expected a number, found {cell!r}",
                        row=r + 1, column=column_letter(c),
                    )
                status = "published"
            for column, item in zip(records.values(), (code, sheet, measure, value, UNIT, status), strict=True):
                column.append(item)
    frame = make_frame(pd.DataFrame(records), source=source, map_vintage=vintage)
    reconciled = _reconcile_with_country_row(
        cells, [r for r, _ in communes], pseudo_rows, country_row, columns, sheet=sheet, dataset=dataset, file=file
    )
    return frame, {"totals_rows": totals, "pseudo_codes": pseudo}, reconciled


def _column_sum(cells: np.ndarray, rows: list[int], column: int) -> float | None:
    """The sum of a column over rows; None when a cell is blank (the sum would be partial)."""
    numbers = [_number(cells[r, column]) for r in rows]
    return None if any(n is None for n in numbers) else float(sum(numbers))


def _reconcile_with_country_row(
    cells: np.ndarray,
    commune_rows: list[int],
    pseudo_rows: list[int],
    country_row: int | None,
    columns: dict[str, int],
    *,
    sheet: str,
    dataset: str,
    file: str,
) -> dict[str, str]:
    """Check every measure's commune rows against the publisher's own Belgium row (01000).

    A commune dropped, read twice or shifted by a row shows here as a difference; the error names
    both numbers and the Belgium row's cell. Rows without a commune (pseudo codes) may belong to
    the national total, so a sum that matches only with them counts as reconciled. A measure with
    a blank commune cell cannot be checked and is reported as such. Returns what was found, per
    measure (``frame.attrs["reconciliation"]``).
    """
    if country_row is None:
        return {measure: "not checked: no Belgium row (01000)" for measure in columns}
    outcome: dict[str, str] = {}
    for measure, c in columns.items():
        total = _number(cells[country_row, c])
        communes = _column_sum(cells, commune_rows, c)
        if total is None or communes is None:
            outcome[measure] = "not checked: " + ("no Belgium total" if total is None else "a commune cell is blank")
            continue
        if communes == total:
            outcome[measure] = "reconciled"
            continue
        with_pseudo = _column_sum(cells, commune_rows + pseudo_rows, c)
        if pseudo_rows and with_pseudo == total:
            outcome[measure] = f"reconciled with {len(pseudo_rows)} row(s) without a commune"
            continue
        raise ParseError(
            dataset,
            file,
            f"sheet {sheet!r}, {' / '.join(MEASURE_HEADERS[measure])}: the communes ({len(commune_rows)} rows) add up to "
            f"{communes:,.0f} but the publisher's Belgium row (01000) says {total:,.0f} "
            "(a commune missing, counted twice or shifted?)",
            row=country_row + 1,
            column=column_letter(c),
        )
    return outcome


def parse_statbel_movement(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """Births, deaths, internal and international moves per commune, one period per year sheet.

    ``year`` parses only that sheet (an error if absent); without it every year sheet is parsed
    and the map vintage is detected per sheet. Each sheet's communes must add up to its Belgium
    row, measure by measure. ``frame.attrs``: ``dropped`` (summed over sheets), ``map_vintages``
    (sheet -> map), ``ignored_sheets`` (sheets not named by a year) and ``reconciliation``
    (sheet -> measure -> outcome).
    """
    path = Path(path)
    file = path.name
    try:
        workbook = pd.ExcelFile(path, engine="calamine")
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        raise ParseError(
            dataset, file, f"not a readable xlsx workbook ({exc}); expected Statbel's pop1992-mov_fr.xlsx"
        ) from None
    with workbook:
        names = [str(n) for n in workbook.sheet_names]
        year_sheets = [n for n in names if _YEAR_SHEET.match(n)]
        if not year_sheets:
            raise ParseError(dataset, file, f"no sheet named by a year; sheets: {', '.join(names) or 'none'}")
        if year is not None:
            wanted = [n for n in year_sheets if n.strip() == str(year)]
            if not wanted:
                raise ParseError(
                    dataset, file,
                    f"the catalog declares year {year} but the workbook has no sheet {year}; year sheets: "
                    f"{year_sheets[0].strip()}–{year_sheets[-1].strip()}",
                )
            year_sheets = wanted
        source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
        frames = []
        dropped = {"totals_rows": 0, "pseudo_codes": 0}
        vintages: dict[str, int] = {}
        reconciliation: dict[str, dict[str, str]] = {}
        for name in year_sheets:
            grid = workbook.parse(name, header=None, dtype=object)
            frame, sheet_dropped, reconciled = _parse_sheet(
                grid, sheet=name.strip(), source=source, map_vintage=map_vintage
            )
            frames.append(frame)
            vintages[name.strip()] = int(frame["map_vintage"].iloc[0])
            reconciliation[name.strip()] = reconciled
            for key, count in sheet_dropped.items():
                dropped[key] += count
    result = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    result = result.sort_values(["nis_code", "period", "measure"], kind="stable").reset_index(drop=True)
    result.attrs = {
        "dropped": dropped,
        "map_vintages": vintages,
        "ignored_sheets": [n for n in names if not _YEAR_SHEET.match(n)],
        "reconciliation": reconciliation,
    }
    return result


LAYOUTS = {"statbel_movement": parse_statbel_movement}


# --- signature: a year sheet whose header rows 2-4 name the code and the international moves ---


def _check_movement(head: FileHead) -> str | None:
    year_sheets = [n for n in head.sheet_names if _YEAR_SHEET.match(n)]
    if not year_sheets:
        found = ", ".join(repr(n) for n in head.sheet_names[:6]) or "none"
        return f"has no sheet named by a year (sheets: {found})"
    rows = head.rows(year_sheets[-1])
    headers = {normalise_header(cell) for r in HEADER_ROWS if r < len(rows) for cell in rows[r]}
    for wanted in (CODE_HEADER[0], _INTERNATIONAL):
        if wanted not in headers:
            return f"sheet {year_sheets[-1]!r} has no {wanted!r} header in rows 2-4"
    return None


SIGNATURES = {"statbel_movement": Signature(kinds=frozenset({"xlsx", "xls"}), check=_check_movement)}
