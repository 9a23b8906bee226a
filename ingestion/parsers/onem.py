"""ONEM/RVA published unemployment rate per commune, `interact_taux_V1.csv` (SOURCES.md 10.1, 1.2).

One long table for every level and month: `jaar;maand;level;zonegeog;graad;diff1an`. We keep the
communes (level 5, where `zonegeog` is the NIS code) and the annual average (`maand` 13). ONEM
restated every period on the 2025 map. Higher levels are totals rows (ONEM's own zone codes, not
NIS), dropped and counted; monthly commune rows are left for a monthly frame and counted.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from ingestion import geography
from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.filehead import FileHead
from ingestion.files import sha256_of
from ingestion.signature import Signature

HEADER: tuple[str, ...] = ("jaar", "maand", "level", "zonegeog", "graad", "diff1an")
COMMUNE_LEVEL = "5"
ANNUAL_MONTH = "13"
MEASURE = "unemployment_rate"
UNIT = "percent"  # dbt_project/seeds/measures.csv
_CODE = re.compile(r"^\d{5}$")
_YEAR = re.compile(r"^\d{4}$")


def _read_rows(path: Path, dataset: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows as text; the header is checked for ONEM's exact columns."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(dataset, path.name, f"not UTF-8 text (byte {exc.start}); expected ONEM's UTF-8 CSV") from None
    if not text.strip():
        raise ParseError(dataset, path.name, f"the file is empty; expected the header {';'.join(HEADER)}", row=1)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = [cell.strip().lower() for cell in rows[0]]
    if len(header) == 1 and header[0] != HEADER[0]:
        raise ParseError(
            dataset,
            path.name,
            f"the header is one single column {rows[0][0][:80]!r}; expected ';'-separated columns "
            f"{';'.join(HEADER)} (is the delimiter ';'?)",
            row=1,
        )
    missing = [name for name in HEADER if name not in header]
    if missing:
        raise ParseError(
            dataset,
            path.name,
            f"no column {missing[0]!r} in the header {';'.join(rows[0])!r}; expected {';'.join(HEADER)}",
            row=1,
            column=missing[0],
        )
    return header, rows[1:]


def parse_onem_rates(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """Yearly unemployment rate (percent, annual average) per commune.

    ``year`` keeps only that year (an error if the file has no annual rows for it).
    ``frame.attrs``: ``dropped`` (totals rows of levels 1-4, pseudo codes) and ``ignored``
    (``monthly_rows``: commune rows of months 1-12, ``other_years``: annual rows of other years).
    """
    path = Path(path)
    header, body = _read_rows(path, dataset)
    col = {name: header.index(name) for name in HEADER}
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))

    records: list[dict[str, object]] = []
    record_rows: list[int] = []
    totals = pseudo = monthly = other_years = 0
    years_seen: set[str] = set()
    for offset, cells in enumerate(body):
        line = offset + 2  # line 1 is the header
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ParseError(
                dataset, path.name, f"expected {len(header)} ';'-separated fields, found {len(cells)}", row=line
            )
        value_of = {name: cells[i].strip() for name, i in col.items()}
        if value_of["level"] != COMMUNE_LEVEL:
            totals += 1
            continue
        code = value_of["zonegeog"]
        if geography.is_pseudo_code(code):
            pseudo += 1
            continue
        if value_of["maand"] != ANNUAL_MONTH:
            monthly += 1
            continue
        period = value_of["jaar"]
        if not _YEAR.match(period):
            raise ParseError(dataset, path.name, f"expected a 4-digit year, found {period!r}", row=line, column="jaar")
        years_seen.add(period)
        if year is not None and period != str(year):
            other_years += 1
            continue
        if not _CODE.match(code):
            raise ParseError(
                dataset, path.name, f"expected a 5-digit NIS code at level 5, found {code!r}",
                row=line, column="zonegeog",
            )
        rate = value_of["graad"]
        if rate == "":
            value, status = None, "missing"  # never 0: a blank rate is unknown
        else:
            try:
                value, status = float(rate), "published"
            except ValueError:
                raise ParseError(
                    dataset, path.name, f"expected a number like 6.00, found {rate!r}", row=line, column="graad"
                ) from None
        records.append(
            {"nis_code": code, "period": period, "measure": MEASURE, "value": value, "unit": UNIT, "status": status}
        )
        record_rows.append(line)

    if year is not None and str(year) not in years_seen:
        found = ", ".join(sorted(years_seen)) or "none"
        raise ParseError(
            dataset, path.name, f"the catalog declares year {year} but the file's annual commune rows are for {found}"
        )
    if not records:
        raise ParseError(dataset, path.name, "no commune row (level 5) with the annual average (maand 13)")

    codes = [str(r["nis_code"]) for r in records]
    # Detect on the codes some map knows, so an unknown code is reported below with its row.
    known = [c for c in codes if any(geography.is_commune_code(c, v) for v in geography.MAPS)]
    vintage = map_vintage or geography.detect_map_vintage(known or codes, dataset=dataset, file=path.name)
    for code, line in zip(codes, record_rows, strict=True):
        if not geography.is_commune_code(code, vintage):
            raise ParseError(
                dataset, path.name, f"code {code} is not a commune of the {vintage} map", row=line, column="zonegeog"
            )
    frame = pd.DataFrame.from_records(records)
    duplicated = frame.duplicated(["nis_code", "period"], keep=False)
    if duplicated.any():
        first = int(duplicated.to_numpy().argmax())
        raise ParseError(
            dataset,
            path.name,
            f"commune {codes[first]} has several annual rows for {frame['period'].iloc[first]}",
            row=record_rows[first],
        )
    result = make_frame(frame, source=source, map_vintage=vintage)
    result.attrs["dropped"] = {"totals_rows": totals, "pseudo_codes": pseudo}
    result.attrs["ignored"] = {"monthly_rows": monthly, "other_years": other_years}
    return result


LAYOUTS = {"onem_rates": parse_onem_rates}


def _check_onem(head: FileHead) -> str | None:
    if not head.lines:
        return "has no text lines"
    found = [cell.strip().strip('"').lower() for cell in head.lines[0].split(";")]
    missing = [name for name in HEADER if name not in found]
    return f"its header has no {', '.join(missing)} (ONEM's header is {';'.join(HEADER)})" if missing else None


SIGNATURES = {"onem_rates": Signature(kinds=frozenset({"text"}), check=_check_onem)}
