"""Statbel real-estate sales per commune: number of sales, median and quartile prices.

SOURCES.md section 6: the quarterly workbook (FR ``Par commune`` / NL ``Per gemeente``) and the
annual one (same sheet names; its other sheets hold totals and are ignored). Three header rows:
a title, the property group (written once over its columns), the field names; blank separator
columns and a trailing formula column are ignored. Statbel restated both on the 565 map.

Blank cells mean two different things. A blank price is suppressed (fewer than 16 sales, or
secondary suppression): NULL with status ``suppressed``. A blank number of sales means no sale:
the file holds no 0 at all, and "all houses" equals "2-3 façades" + "4+ façades" on every row only
when blanks count as 0 (1,652 quarterly rows have exactly one of the two blank), so it is 0.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.filehead import FileHead
from ingestion.files import sha256_of
from ingestion.labels import normalise_label
from ingestion.parsers.statbel_common import (
    cell_text,
    find_columns,
    header_paths,
    long_rows,
    parse_cells,
    read_sheet,
    refnis_code,
    select_communes,
)
from ingestion.signature import Signature, find_row, find_sheet, row_labels

_SHEETS = ("Par commune", "Per gemeente")
_GROUPS: dict[str, tuple[str, ...]] = {
    "houses": (
        "Toutes les maisons avec 2, 3, 4 ou plus de façades (excl. appartements)",
        "Alle huizen met 2, 3, 4 of meer gevels (excl. appartementen)",
    ),
    "houses_2_3_facades": (
        "Maisons avec 2 ou 3 façades (type fermé + type demi-fermé)",
        "Huizen met 2 of 3 gevels (gesloten + halfopen bebouwing)",
    ),
    "houses_4_facades": (
        "Maisons avec 4 ou plus de façades (type ouvert)",
        "Huizen met 4 of meer gevels (open bebouwing)",
    ),
    "apartments": ("Appartements", "Appartementen"),
}
_FIELDS: dict[str, tuple[str, ...]] = {
    "sales": ("nombre transactions", "aantal transacties"),
    "price_median": ("prix médian(€)", "mediaan prijs(€)"),
    "price_q1": ("prix premier quartile(€)", "eerste kwartiel prijs(€)"),
    "price_q3": ("prix troisième quartile(€)", "derde kwartiel prijs(€)"),
}
_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "refnis": (("refnis",),),
    "year": (("année",), ("jaar",)),
    "period": (("période",), ("periode",)),
}
# Every header the parser reads, by its text: the (group, field) of each measure.
IMMO_HEADERS: dict[str, tuple[tuple[str, ...], ...]] = {
    **_KEYS,
    **{
        f"{field}_{group}": tuple((g, f) for g in group_labels for f in field_labels)
        for group, group_labels in _GROUPS.items()
        for field, field_labels in _FIELDS.items()
    },
}
_HEADER_SEARCH_ROWS = 20


def parse_statbel_immo_quarterly(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """Sales and prices per commune and quarter (periods ``2010Q1``...)."""
    return _parse_immo(path, dataset=dataset, sha256=sha256, year=year, map_vintage=map_vintage, quarterly=True)


def parse_statbel_immo_annual(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """Sales and prices per commune and year (periods ``2010``...), sheet ``Per gemeente``.

    Each year's numbers of sales over the communes must add up to the workbook's own ``België``
    sheet (in the real file they do, to the sale, with blanks as 0); ``frame.attrs
    ["reconciliation"]`` holds the outcome per measure and year.
    """
    frame = _parse_immo(path, dataset=dataset, sha256=sha256, year=year, map_vintage=map_vintage, quarterly=False)
    frame.attrs["reconciliation"] = _reconcile_with_country_sheet(path, frame, dataset=dataset)
    return frame


_COUNTRY_SHEETS = ("België", "Belgique")
_COUNTRY_CODE = "01000"
_SALES = tuple(key for key in IMMO_HEADERS if key.startswith("sales_"))


def _reconcile_with_country_sheet(path: Path, frame: pd.DataFrame, *, dataset: str) -> dict[str, dict[str, str]]:
    """Compare each year's commune sales with the Belgium row of the country sheet.

    A commune dropped or read twice, or a year shifted, shows as a difference; the error names
    the country sheet's row and column and both numbers. A year with a suppressed commune count
    cannot be checked and is reported as such.
    """
    file = Path(path).name
    try:
        sheet, sheet_name = read_sheet(path, dataset=dataset, sheet_names=_COUNTRY_SHEETS)
    except ParseError:
        return {key: {"*": "not checked: no België sheet"} for key in _SALES}
    field_row = _find_field_row(sheet, dataset=dataset, file=file, sheet_name=sheet_name)
    wanted = {key: IMMO_HEADERS[key] for key in ("refnis", "year", *_SALES)}
    where = find_columns(
        header_paths(sheet, field_row - 1, field_row), wanted, dataset=dataset, file=f"{file} sheet {sheet_name}",
        header_row=field_row + 1,
    )
    body = sheet.iloc[field_row + 1 :]
    country = body[cell_text(body[sheet.columns[where["refnis"]]]).str.zfill(5) == _COUNTRY_CODE]
    totals = {cell_text(country[sheet.columns[where["year"]]]).at[i]: i for i in country.index}
    outcome: dict[str, dict[str, str]] = {}
    for key in _SALES:
        rows = frame[frame["measure"] == key]
        label = " / ".join(IMMO_HEADERS[key][0])
        values, _ = parse_cells(
            country[sheet.columns[where[key]]], row_numbers=pd.Series(country.index + 1, index=country.index),
            dataset=dataset, file=file, column=label,
        )
        country_sales = pd.Series(np.nan_to_num(values), index=country.index)  # blank = no sale, as for communes
        outcome[key] = {}
        for period, part in rows.groupby("period", sort=True):
            if period not in totals:
                outcome[key][period] = "not checked: no Belgium row for the year"
                continue
            if (part["status"] == "suppressed").any():
                outcome[key][period] = "not checked: a commune count is suppressed"
                continue
            index = totals[period]
            total = float(country_sales.at[index])
            communes = float(part["value"].sum())
            if communes != total:
                raise ParseError(
                    dataset,
                    file,
                    f"sheet {sheet_name!r}, {period}: the communes' sales add up to {communes:,.0f} but the "
                    f"publisher's Belgium row says {total:,.0f} (a commune missing or counted twice?)",
                    row=int(index) + 1,
                    column=label,
                )
            outcome[key][period] = "reconciled"
    return outcome


def _parse_immo(
    path: Path, *, dataset: str, sha256: str | None, year: int | None, map_vintage: int | None, quarterly: bool
) -> pd.DataFrame:
    path = Path(path)
    file = path.name
    sheet, sheet_name = read_sheet(path, dataset=dataset, sheet_names=_SHEETS)
    field_row = _find_field_row(sheet, dataset=dataset, file=file, sheet_name=sheet_name)
    paths = header_paths(sheet, field_row - 1, field_row)
    where = find_columns(paths, IMMO_HEADERS, dataset=dataset, file=file, header_row=field_row + 1)
    column = {key: sheet.columns[i] for key, i in where.items()}

    body = sheet.iloc[field_row + 1 :]
    rows = pd.Series(body.index + 1, index=body.index)  # the sheet's row numbers, as Excel shows them
    no_code = cell_text(body[column["refnis"]]) == ""
    used = [c for key, c in column.items() if key != "refnis"]
    stray = no_code & body[used].notna().any(axis=1)
    if stray.any():
        raise ParseError(dataset, file, "row has figures but no refnis", row=int(rows[stray].iloc[0]), column="refnis")
    body, rows = body[~no_code], rows[~no_code]
    if body.empty:
        raise ParseError(dataset, file, f"sheet {sheet_name!r} has a header but no data rows")
    codes = pd.Series(
        [
            refnis_code(c, int(r), dataset=dataset, file=file, column="refnis")
            for c, r in zip(body[column["refnis"]], rows, strict=True)
        ],
        index=body.index,
    )
    periods = _periods(body, column, rows, quarterly=quarterly, dataset=dataset, file=file)
    if year is not None and str(year) not in set(periods.str[:4]):
        present = sorted(set(periods.str[:4]))
        raise ParseError(
            dataset, file, f"the year argument says {year} but the sheet holds only {present[0]}..{present[-1]}"
        )
    table = pd.DataFrame({"nis_code": codes, "period": periods})
    selection = select_communes(
        table,
        code_column="nis_code",
        row_numbers=rows,
        dataset=dataset,
        file=file,
        map_vintage=map_vintage,
        column_label="refnis",
    )
    kept = selection.rows
    kept_rows = rows.loc[kept.index]
    twice = kept.duplicated(subset=["nis_code", "period"])
    if twice.any():
        first = kept[twice].index[0]
        raise ParseError(
            dataset,
            file,
            f"commune {kept.at[first, 'nis_code']} period {kept.at[first, 'period']} appears twice",
            row=int(rows.loc[first]),
        )

    measures = {}
    for key in IMMO_HEADERS:
        if key in _KEYS:
            continue
        label = " / ".join(IMMO_HEADERS[key][0])
        cells = body.loc[kept.index, column[key]]
        values, hidden = parse_cells(cells, row_numbers=kept_rows, dataset=dataset, file=file, column=label)
        if key.startswith("sales_"):
            empty = cells.isna().to_numpy()  # no sale (module docstring); a `*` stays suppressed
            measures[key] = (np.where(empty, 0.0, values), hidden & ~empty)
        else:
            measures[key] = (values, hidden)
    del sheet, body  # the workbook's cells (34,000 rows of Python objects), no longer read
    long = long_rows(kept["nis_code"].to_numpy(), kept["period"].to_numpy(), measures, dataset=dataset)
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
    result = make_frame(long, source=source, map_vintage=selection.map_vintage)
    result.attrs["dropped"] = dict(selection.dropped)
    return result


def _find_field_row(sheet: pd.DataFrame, *, dataset: str, file: str, sheet_name: str) -> int:
    for position in range(1, min(_HEADER_SEARCH_ROWS, len(sheet))):
        if "refnis" in {normalise_label(v) for v in sheet.iloc[position]}:
            return int(sheet.index[position])
    raise ParseError(
        dataset,
        file,
        f"no header row with a 'refnis' column after the group row in the first {_HEADER_SEARCH_ROWS} rows "
        f"of sheet {sheet_name!r}",
        column="refnis",
    )


def _periods(
    body: pd.DataFrame, column: dict[str, object], rows: pd.Series, *, quarterly: bool, dataset: str, file: str
) -> pd.Series:
    years = cell_text(body[column["year"]])
    labels = cell_text(body[column["period"]]).str.upper()
    bad_year = ~years.str.fullmatch(r"(19|20)\d\d")
    allowed = {"Q1", "Q2", "Q3", "Q4"} if quarterly else {"Y"}
    bad_label = ~labels.isin(allowed)
    for bad, key, expected in ((bad_year, "year", "a year"), (bad_label, "period", " or ".join(sorted(allowed)))):
        if bad.any():
            first = bad[bad].index[0]
            found = body.at[first, column[key]]
            layout = "quarterly" if quarterly else "annual"
            raise ParseError(
                dataset,
                file,
                f"expected {expected} in the {layout} layout, found {found!r}",
                row=int(rows.loc[first]),
                column=IMMO_HEADERS[key][0][0],
            )
    return years + labels if quarterly else years


LAYOUTS = {
    "statbel_immo_quarterly": parse_statbel_immo_quarterly,
    "statbel_immo_annual": parse_statbel_immo_annual,
}


# --------------------------------------------------------------------------------------------
# Signatures: the commune sheet's header, and the period of its first row (Qn or Y)
# --------------------------------------------------------------------------------------------


def _immo_check(quarterly: bool) -> Callable[[FileHead], str | None]:
    layout = "quarterly" if quarterly else "annual"
    expected = {"Q1", "Q2", "Q3", "Q4"} if quarterly else {"Y"}

    def check(head: FileHead) -> str | None:
        sheet = find_sheet(head, _SHEETS)
        if sheet is None:
            found = ", ".join(repr(n) for n in head.sheet_names[:6]) or "none"
            return f"has no sheet {' or '.join(map(repr, _SHEETS))} (sheets: {found})"
        rows = head.rows(sheet)
        field_row = find_row(rows[1:], ["refnis"])
        if field_row is None:
            return f"sheet {sheet!r} has no 'refnis' header row"
        field_row += 1
        labels = row_labels(rows[field_row])
        needed = [("période", "periode"), ("nombre transactions", "aantal transacties")]
        for options in needed:
            if not {normalise_label(o) for o in options} & labels:
                return f"sheet {sheet!r} has no {options[0]!r} header"
        position = next(i for i, c in enumerate(rows[field_row]) if normalise_label(c) in ("période", "periode"))
        first = rows[field_row + 1] if field_row + 1 < len(rows) else ()
        period = str(first[position]).strip().upper() if position < len(first) else ""
        if period not in expected:
            wanted = " or ".join(sorted(expected))
            return f"the first period of sheet {sheet!r} is {period!r}, not {wanted} ({layout} data)"
        return None

    return check


SIGNATURES = {
    "statbel_immo_quarterly": Signature(kinds=frozenset({"xlsx", "xls"}), check=_immo_check(quarterly=True)),
    "statbel_immo_annual": Signature(kinds=frozenset({"xlsx", "xls"}), check=_immo_check(quarterly=False)),
}
