"""Our own documented CSV layout, for datasets no national publisher offers as a file.

Documented for users in `ingestion/CANONICAL_CSV.md`. One row per commune and year, one column per
measure of the dataset in `dbt_project/seeds/measures.csv`:

    nis_code,map_vintage,year,<measure>,<measure>,...

A cell is a number with a dot decimal, empty (missing) or `x` (suppressed). Anything else is an
error naming the row and column: this file is typed by people, so we are strict.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from ingestion import geography
from ingestion.canonical import MAP_VINTAGES, SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.filehead import FileHead
from ingestion.files import sha256_of
from ingestion.reference import measure_units, measures_by_dataset, seed_path
from ingestion.signature import Signature, Year, year_of

KEY_COLUMNS: tuple[str, ...] = ("nis_code", "map_vintage", "year")
SUPPRESSED = "x"
_CODE = re.compile(r"^\d{5}$")
_YEAR = re.compile(r"^\d{4}$")
# A plain decimal number: no thousands separator, no decimal comma, no exponent.
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _read(path: Path, dataset: str) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(dataset, path.name, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    if not text.strip():
        raise ParseError(
            dataset, path.name, f"the file is empty; expected the header {','.join(KEY_COLUMNS)},<measure>,...", row=1
        )
    return list(csv.reader(io.StringIO(text), delimiter=","))


def _check_header(header: list[str], units: dict[str, str], dataset: str, file: str) -> list[str]:
    """The measure columns, after checking the key columns and every measure name."""
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        raise ParseError(
            dataset,
            file,
            f"the header is one single column {header[0][:80]!r}; expected comma-separated columns "
            f"{','.join(KEY_COLUMNS)},<measure>,... (is the delimiter a comma?)",
            row=1,
        )
    for position, name in enumerate(KEY_COLUMNS):
        if position >= len(header) or header[position] != name:
            found = header[position] if position < len(header) else "nothing"
            raise ParseError(
                dataset,
                file,
                f"column {position + 1} must be {name!r}, found {found!r}; the header starts "
                f"{','.join(KEY_COLUMNS)}",
                row=1,
                column=name,
            )
    measures = header[len(KEY_COLUMNS) :]
    if not measures:
        raise ParseError(dataset, file, f"no measure column; expected some of {sorted(units)}", row=1)
    for name in measures:
        if name not in units:
            raise ParseError(
                dataset,
                file,
                f"unknown measure {name!r} for dataset {dataset}; expected one of {sorted(units)}",
                row=1,
                column=name,
            )
    repeated = sorted({name for name in measures if measures.count(name) > 1})
    if repeated:
        raise ParseError(dataset, file, f"measure column {repeated[0]!r} appears twice", row=1, column=repeated[0])
    return measures


def _cell(text: str, *, dataset: str, file: str, row: int, column: str) -> tuple[float | None, str]:
    if text == "":
        return None, "missing"
    if text == SUPPRESSED:
        return None, "suppressed"
    if _NUMBER.match(text):
        return float(text), "published"
    raise ParseError(
        dataset,
        file,
        f"expected a number with a dot decimal (1234.5), an empty cell or 'x', found {text!r}",
        row=row,
        column=column,
    )


def parse_canonical_csv(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """Parse a file in our canonical CSV layout (see `ingestion/CANONICAL_CSV.md`).

    The map vintage is the file's own `map_vintage` column (one value for the whole file);
    ``map_vintage`` and ``year``, when given, must agree with the file.
    """
    path = Path(path)
    file = path.name
    units = measure_units(dataset)
    if not units:
        raise ParseError(dataset, file, f"dataset {dataset!r} has no measure in {seed_path('measures').name}")
    rows = _read(path, dataset)
    header = [cell.strip() for cell in rows[0]]
    measures = _check_header(header, units, dataset, file)
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))

    records: list[dict[str, object]] = []
    vintage: int | None = None
    vintage_row = 0
    seen: dict[tuple[str, str], int] = {}
    totals = pseudo = 0
    for offset, raw in enumerate(rows[1:]):
        line = offset + 2
        cells = [cell.strip() for cell in raw]
        if not any(cells):
            continue
        if len(cells) != len(header):
            raise ParseError(
                dataset, file, f"expected {len(header)} comma-separated fields as in the header, found {len(cells)}",
                row=line,
            )
        code, declared, period = cells[0], cells[1], cells[2]
        if not _CODE.match(code):
            raise ParseError(
                dataset, file, f"expected a 5-digit NIS code (with leading zeros), found {code!r}",
                row=line, column="nis_code",
            )
        if declared not in {str(v) for v in MAP_VINTAGES}:
            raise ParseError(
                dataset, file, f"expected a map vintage among {sorted(MAP_VINTAGES)}, found {declared!r}",
                row=line, column="map_vintage",
            )
        if vintage is None:
            vintage, vintage_row = int(declared), line
            if map_vintage is not None and map_vintage != vintage:
                raise ParseError(
                    dataset, file, f"the catalog declares map {map_vintage} but the file declares map {vintage}",
                    row=line, column="map_vintage",
                )
        elif int(declared) != vintage:
            raise ParseError(
                dataset, file,
                f"mixed map vintages: {declared} here, {vintage} on row {vintage_row}; a file is on one map",
                row=line, column="map_vintage",
            )
        if not _YEAR.match(period):
            raise ParseError(dataset, file, f"expected a 4-digit year, found {period!r}", row=line, column="year")
        if year is not None and period != str(year):
            raise ParseError(
                dataset, file, f"the catalog declares year {year} but the file has year {period}",
                row=line, column="year",
            )
        if geography.is_pseudo_code(code):
            pseudo += 1
            continue
        if geography.is_aggregate_code(code):
            totals += 1
            continue
        if not geography.is_commune_code(code, vintage):
            raise ParseError(
                dataset, file, f"code {code} is not a commune of the {vintage} map", row=line, column="nis_code"
            )
        if (code, period) in seen:
            raise ParseError(
                dataset, file, f"commune {code} year {period} already appears on row {seen[(code, period)]}",
                row=line, column="nis_code",
            )
        seen[(code, period)] = line
        for position, measure in enumerate(measures, start=len(KEY_COLUMNS)):
            value, status = _cell(cells[position], dataset=dataset, file=file, row=line, column=measure)
            records.append(
                {"nis_code": code, "period": period, "measure": measure, "value": value,
                 "unit": units[measure], "status": status}
            )

    if vintage is None:
        raise ParseError(dataset, file, "the file has a header but no data row", row=2)
    frame = make_frame(records, source=source, map_vintage=vintage) if records else make_frame(
        pd.DataFrame(columns=["nis_code", "period", "measure", "value", "unit", "status"]),
        source=source, map_vintage=vintage,
    )
    frame.attrs["dropped"] = {"totals_rows": totals, "pseudo_codes": pseudo}
    return frame


LAYOUTS = {"canonical_csv": parse_canonical_csv}


# --- signature: the key columns, and measures of one dataset -------------------------------------


def _header(head: FileHead) -> list[str]:
    return [cell.strip() for cell in next(csv.reader(head.lines[:1], delimiter=","), [])]


def _check_canonical(head: FileHead) -> str | None:
    header = _header(head)
    if header[: len(KEY_COLUMNS)] != list(KEY_COLUMNS):
        found = ",".join(header[: len(KEY_COLUMNS)]) or "nothing"
        return f"its header does not start with {','.join(KEY_COLUMNS)} (found {found!r})"
    return None


def _canonical_datasets(head: FileHead) -> frozenset[str] | None:
    """The datasets whose measures include every measure column of the file."""
    measures = set(_header(head)[len(KEY_COLUMNS) :])
    return frozenset(d for d, known in measures_by_dataset().items() if measures and measures <= known)


def _canonical_year(head: FileHead) -> tuple[Year, ...]:
    if len(head.lines) < 2:
        return ()
    first = next(csv.reader(head.lines[1:2], delimiter=","), [])
    position = KEY_COLUMNS.index("year")
    found = year_of(first[position]) if position < len(first) else None
    return (Year(found, "the year column (row 2)"),) if found is not None else ()


SIGNATURES = {
    "canonical_csv": Signature(
        kinds=frozenset({"text"}), check=_check_canonical, year=_canonical_year, datasets=_canonical_datasets
    )
}
