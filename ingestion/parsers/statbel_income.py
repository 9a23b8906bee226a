"""Statbel fiscal income per commune: the TF_PSNL_INC_TAX_MUNTY panel and the yearly workbook.

SOURCES.md section 5. Both give counts of tax declarations, total net taxable income and
residents; the workbook adds the published median, means and prosperity index.

``declarations_total`` counts every declaration, with and without income (the registry's
definition): in the panel ``MS_NBR_NON_ZERO_INC + MS_NBR_ZERO_INC``, in the workbook
"Aantal aangiften met nul ... inkomen" + "Aantal aangiften (zonder nul-inkomen) / Totaal".
When either part is suppressed (`*`), the sum is suppressed too. The workbook's
``declarations_under_10k`` is the published class "< 10.000 EUR" of the declarations *with*
income (the classes add up to that total), so zero-income declarations are not in it; they are
``declarations_zero_income``. The published means and median are per declaration with income
(Belgium 2022: 254,676,934,997 / 6,774,436 = 37,594).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    check_declared_year,
    find_columns,
    header_paths,
    long_rows,
    parse_cells,
    refuse_first,
    read_sheet,
    read_statbel_text,
    refnis_code,
    refuse_negative_counts,
    select_communes,
)
from ingestion.signature import Signature, Year, find_row, find_sheet, require_columns, row_labels, statbel_header

# --------------------------------------------------------------------------------------------
# TF_PSNL_INC_TAX_MUNTY: one row per commune and income year
# --------------------------------------------------------------------------------------------

_PANEL_PREFIX = "TF_PSNL_INC_TAX_MUNTY"
_PANEL_MEASURES = {
    "net_taxable_income_total": "MS_TOT_NET_TAXABLE_INC",
    "residents": "MS_TOT_RESIDENTS",
    "declarations_zero_income": "MS_NBR_ZERO_INC",
}


def parse_statbel_income_panel(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """Declarations, net taxable income and residents per commune and income year (``CD_YEAR``).

    The panel keeps every year it holds; ``year``, when given, must be one of them. A year
    range in the file name (``..._2005_2013``) must contain every ``CD_YEAR``.
    """
    path = Path(path)
    text = read_statbel_text(path, dataset=dataset, member_prefix=_PANEL_PREFIX)
    file = text.file
    year_col, code_col, non_zero_col, *_ = columns = text.require(
        ("CD_YEAR",),
        ("CD_MUNTY_REFNIS", "CD_REFNIS"),
        ("MS_NBR_NON_ZERO_INC",),
        *((name,) for name in _PANEL_MEASURES.values()),
        expected="TF_PSNL_INC_TAX_MUNTY columns",
    )
    frame = text.columns(columns)
    rows = text.row_numbers(frame)

    years = frame[year_col]
    refuse_first(
        ~years.str.fullmatch(r"(19|20)\d\d"), years, "a year", rows=rows, dataset=dataset, file=file, column=year_col
    )
    _check_panel_years(years, rows, path.name, year, dataset=dataset, file=file, column=year_col)

    selection = select_communes(
        frame, code_column=code_col, row_numbers=rows, dataset=dataset, file=file, map_vintage=map_vintage
    )
    kept = selection.rows
    kept_rows = rows.loc[kept.index]
    _refuse_duplicates(kept, [code_col, year_col], kept_rows, dataset=dataset, file=file)

    cells = {
        column: parse_cells(kept[column], row_numbers=kept_rows, dataset=dataset, file=file, column=column)
        for column in (non_zero_col, *_PANEL_MEASURES.values())
    }
    zero, zero_gap = cells[_PANEL_MEASURES["declarations_zero_income"]]
    non_zero, non_zero_gap = cells[non_zero_col]
    for column, values in ((non_zero_col, non_zero), (_PANEL_MEASURES["declarations_zero_income"], zero)):
        refuse_negative_counts(
            values, kept[code_col].to_numpy(), kept_rows, dataset=dataset, file=file, column=column,
            summed_into="declarations_total",
        )
    measures = {measure: cells[column] for measure, column in _PANEL_MEASURES.items()}
    measures["declarations_total"] = (zero + non_zero, zero_gap | non_zero_gap)
    long = long_rows(kept[code_col].to_numpy(), kept[year_col].to_numpy(), measures, dataset=dataset)
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
    result = make_frame(long, source=source, map_vintage=selection.map_vintage)
    result.attrs["dropped"] = dict(selection.dropped)
    return result


def _check_panel_years(
    years: pd.Series, rows: pd.Series, name: str, year: int | None, *, dataset: str, file: str, column: str
) -> None:
    present = sorted(int(y) for y in years.unique())
    span = re.search(rf"{_PANEL_PREFIX}_((?:19|20)\d\d)_((?:19|20)\d\d)(?!\d)", name, flags=re.IGNORECASE)
    if span:
        low, high = int(span.group(1)), int(span.group(2))
        outside = [y for y in present if not low <= y <= high]
        if outside:
            first = int(np.flatnonzero((years == str(outside[0])).to_numpy())[0])
            raise ParseError(
                dataset,
                file,
                f"the file name says {low}-{high} but {column} says {outside[0]} (row {int(rows.iloc[first])})",
            )
    if year is not None and year not in present:
        raise ParseError(
            dataset, file, f"the year argument says {year} but {column} holds only {present[0]}..{present[-1]}"
        )


def _refuse_duplicates(
    frame: pd.DataFrame, keys: list[str], rows: pd.Series, *, dataset: str, file: str
) -> None:
    twice = frame.duplicated(subset=keys, keep="first")
    if twice.any():
        first = twice.to_numpy().nonzero()[0][0]
        where = ", ".join(f"{k} {frame[k].iloc[first]}" for k in keys)
        raise ParseError(dataset, file, f"{where} appears twice", row=int(rows.iloc[first]))


# --------------------------------------------------------------------------------------------
# fiscYYYY_C_NL.xls / fiscYYYY_C_FR.xls, sheet "Totaal" / "Total"
# --------------------------------------------------------------------------------------------

_FISC_SHEETS = ("Totaal", "Total")
# Every header the parser reads, found by its text (the last one or two header cells of the
# column), NL first. The FR labels are the ones Statbel uses in its FR tables as far as they
# could be checked; a FR workbook that differs fails naming the NL label and needs a line here.
FISC_HEADERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "nis_code": (("NIS code",), ("Code NIS",), ("Code INS",), ("NIS-code",), ("REFNIS",)),
    "declarations_zero_income": (
        ("Aantal aangiften met nul totaal netto belastbaar inkomen",),
        ("Nombre de déclarations avec un revenu total net imposable nul",),
        ("Nombre de déclarations avec revenu total net imposable nul",),
    ),
    "declarations_non_zero": (
        ("Aantal aangiften (zonder nul-inkomen)", "Totaal"),
        ("Nombre de déclarations (sans revenu nul)", "Total"),
        ("Nombre de déclarations (hors revenu nul)", "Total"),
    ),
    "declarations_under_10k": (
        ("Aantal aangiften (zonder nul-inkomen)", "< 10.000 EUR"),
        ("Nombre de déclarations (sans revenu nul)", "< 10.000 EUR"),
        ("Nombre de déclarations (hors revenu nul)", "< 10.000 EUR"),
    ),
    "residents": (("Aantal inwoners",), ("Nombre d'habitants",)),
    "net_taxable_income_total": (("Totaal netto belastbaar inkomen",), ("Revenu total net imposable",)),
    "mean_income_per_declaration": (("Gemiddeld inkomen per aangifte",), ("Revenu moyen par déclaration",)),
    "median_income_per_declaration": (("Mediaan inkomen per aangifte",), ("Revenu médian par déclaration",)),
    "mean_income_per_inhabitant": (("Gemiddeld inkomen per inwoner",), ("Revenu moyen par habitant",)),
    "prosperity_index": (("Welvaartsindex",), ("Indice de richesse",)),
}
_TITLE_YEAR = re.compile(r"(?:inkomstenjaar|inkomensjaar|annee des? revenus?|revenus)\s*:?\s*((?:19|20)\d\d)")
_NAME_YEAR = re.compile(r"fisc_?((?:19|20)\d\d)", flags=re.IGNORECASE)
_HEADER_SEARCH_ROWS = 40


def parse_statbel_fisc_workbook(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """One income year per commune from Statbel's yearly workbook (table C, sheet "Totaal").

    Columns are found by their header text, so a reordered workbook parses and a missing
    column is an error naming it. Codes stored as numbers (``1000.0``) get their leading zero
    back; totals rows and the pseudo-unit 3001 are dropped and counted; `*` is NULL with
    status ``suppressed``.
    """
    path = Path(path)
    file = path.name
    sheet, sheet_name = read_sheet(path, dataset=dataset, sheet_names=_FISC_SHEETS)
    header_row = _find_header_row(sheet, dataset=dataset, file=file, sheet_name=sheet_name)
    paths = header_paths(sheet, header_row, header_row + 1)
    where = find_columns(paths, FISC_HEADERS, dataset=dataset, file=file, header_row=header_row + 1)
    period = str(_fisc_year(sheet.iloc[:header_row], file, year, dataset=dataset))

    body = sheet.iloc[header_row + 2 :]
    rows = pd.Series(body.index + 1, index=body.index)  # the sheet's row numbers, as Excel shows them
    code_cells = body[sheet.columns[where["nis_code"]]]
    value_columns = [sheet.columns[i] for key, i in where.items() if key != "nis_code"]
    no_code = cell_text(code_cells) == ""
    # Footnotes ("* = confidentieel") have no code either; only numbers without a code are wrong.
    numbers = body[value_columns].apply(pd.to_numeric, errors="coerce").notna()
    stray = no_code & numbers.any(axis=1)
    if stray.any():
        raise ParseError(
            dataset, file, "row has figures but no NIS code", row=int(rows[stray].iloc[0]), column="NIS code"
        )
    body, rows, code_cells = body[~no_code], rows[~no_code], code_cells[~no_code]
    if body.empty:
        raise ParseError(dataset, file, f"sheet {sheet_name!r} has a header but no data rows")
    codes = pd.Series(
        [
            refnis_code(c, int(r), dataset=dataset, file=file, column="NIS code")
            for c, r in zip(code_cells, rows, strict=True)
        ],
        index=body.index,
    )
    table = pd.DataFrame({"nis_code": codes})
    selection = select_communes(
        table,
        code_column="nis_code",
        row_numbers=rows,
        dataset=dataset,
        file=file,
        map_vintage=map_vintage,
        column_label="NIS code",
    )
    kept = body.loc[selection.rows.index]
    kept_rows = rows.loc[kept.index]
    kept_codes = selection.rows["nis_code"]
    _refuse_duplicates(selection.rows, ["nis_code"], kept_rows, dataset=dataset, file=file)

    cells = {
        key: parse_cells(
            kept[sheet.columns[i]], row_numbers=kept_rows, dataset=dataset, file=file, column=FISC_HEADERS[key][0][-1]
        )
        for key, i in where.items()
        if key != "nis_code"
    }
    reconciliation = _reconcile_with_country_row(body, codes, rows, cells, where, sheet.columns, dataset=dataset, file=file)
    zero, zero_gap = cells["declarations_zero_income"]
    non_zero, non_zero_gap = cells.pop("declarations_non_zero")
    for key, values in (("declarations_non_zero", non_zero), ("declarations_zero_income", zero)):
        refuse_negative_counts(
            values, kept_codes.to_numpy(), kept_rows, dataset=dataset, file=file, column=FISC_HEADERS[key][0][-1],
            summed_into="declarations_total",
        )
    cells["declarations_total"] = (zero + non_zero, zero_gap | non_zero_gap)
    periods = np.full(len(kept), period, dtype=object)
    long = long_rows(kept_codes.to_numpy(), periods, cells, dataset=dataset)
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
    result = make_frame(long, source=source, map_vintage=selection.map_vintage)
    result.attrs["dropped"] = dict(selection.dropped)
    result.attrs["reconciliation"] = reconciliation
    return result


# Counts and sums that add up over communes to the publisher's own Belgium row (01000).
_RECONCILED = ("declarations_zero_income", "declarations_non_zero", "declarations_under_10k", "residents", "net_taxable_income_total")
# Commune incomes are rounded to the euro: their sum may differ from the Belgium row by a few euro.
_RECONCILE_TOLERANCE = 1e-6


def _reconcile_with_country_row(
    body: pd.DataFrame,
    codes: pd.Series,
    rows: pd.Series,
    cells: Mapping[str, tuple[np.ndarray, np.ndarray]],
    where: Mapping[str, int],
    columns: pd.Index,
    *,
    dataset: str,
    file: str,
) -> dict[str, str]:
    """Check the communes against the publisher's Belgium row, measure by measure.

    A measure with a suppressed commune cannot be checked (its sum is incomplete) and is
    reported as such; a measure whose commune sum differs from the Belgium row is an error
    naming both numbers. Returns, per measure, what was found (for tests and logs).
    """
    country = codes == "01000"
    if not country.any():
        return {key: "not checked: no Belgium row (01000)" for key in _RECONCILED if key in cells}
    country_row = body.loc[country]
    outcome: dict[str, str] = {}
    for key in _RECONCILED:
        if key not in cells or key not in where:
            continue
        values, suppressed = cells[key]
        if suppressed.any():
            outcome[key] = f"not checked: {int(suppressed.sum())} commune(s) suppressed"
            continue
        total_cell = pd.to_numeric(country_row[columns[where[key]]], errors="coerce").iloc[0]
        if pd.isna(total_cell):
            outcome[key] = "not checked: no Belgium total"
            continue
        communes_sum = float(np.sum(values))
        if abs(communes_sum - float(total_cell)) > max(_RECONCILE_TOLERANCE * abs(float(total_cell)), 0.5):
            raise ParseError(
                dataset,
                file,
                f"the communes add up to {communes_sum:,.0f} but the publisher's Belgium row says "
                f"{float(total_cell):,.0f} (a commune missing or counted twice?)",
                row=int(rows.loc[country].iloc[0]),
                column=FISC_HEADERS[key][0][-1],
            )
        outcome[key] = "reconciled"
    return outcome


def _find_header_row(sheet: pd.DataFrame, *, dataset: str, file: str, sheet_name: str) -> int:
    labels = {normalise_label(option[0]) for option in FISC_HEADERS["nis_code"]}
    for position in range(min(_HEADER_SEARCH_ROWS, len(sheet) - 1)):
        if any(normalise_label(v) in labels for v in sheet.iloc[position]):
            return int(sheet.index[position])
    raise ParseError(
        dataset,
        file,
        f"no header row with a NIS code column in the first {_HEADER_SEARCH_ROWS} rows of sheet {sheet_name!r}",
        column="NIS code",
    )


def _fisc_year(titles: pd.DataFrame, file: str, year: int | None, *, dataset: str) -> int:
    sheet_year = None
    for value in titles.to_numpy().ravel():
        match = _TITLE_YEAR.search(normalise_label(value))
        if match:
            sheet_year = int(match.group(1))
            break
    name_match = _NAME_YEAR.search(file)
    declared: Mapping[str, int | None] = {
        "file name": int(name_match.group(1)) if name_match else None,
        "year argument": year,
    }
    if sheet_year is not None:
        check_declared_year(sheet_year, declared, dataset=dataset, file=file, found_where="the sheet title")
        return sheet_year
    known = {k: v for k, v in declared.items() if v is not None}
    if not known:
        raise ParseError(dataset, file, "no income year in the sheet title or the file name; pass year")
    first_source, first_year = next(iter(known.items()))
    check_declared_year(first_year, known, dataset=dataset, file=file, found_where=f"the {first_source}")
    return first_year


LAYOUTS = {
    "statbel_income_panel": parse_statbel_income_panel,
    "statbel_fisc_workbook": parse_statbel_fisc_workbook,
}


# --------------------------------------------------------------------------------------------
# Signatures: how each layout's files are told from any other by their content
# --------------------------------------------------------------------------------------------


def _check_panel(head: FileHead) -> str | None:
    header = statbel_header(head, _PANEL_PREFIX)
    if isinstance(header, str):
        return header
    return require_columns(
        header,
        ("CD_YEAR",),
        ("CD_MUNTY_REFNIS", "CD_REFNIS"),
        ("MS_NBR_NON_ZERO_INC",),
        ("MS_TOT_NET_TAXABLE_INC",),
        what="the TF_PSNL_INC_TAX_MUNTY panel",
    )


def _fisc_header(head: FileHead) -> tuple[str, int] | str:
    """The sheet ``Totaal`` (or ``Total``) and its header row, or why the file has none."""
    sheet = find_sheet(head, _FISC_SHEETS)
    if sheet is None:
        found = ", ".join(repr(n) for n in head.sheet_names[:6]) or "none"
        return f"has no sheet {' or '.join(map(repr, _FISC_SHEETS))} (sheets: {found})"
    rows = head.rows(sheet)
    header = find_row(rows, (option[0] for option in FISC_HEADERS["nis_code"]))
    if header is None:
        return f"sheet {sheet!r} has no 'NIS code' header in its first {len(rows)} rows"
    income = {normalise_label(o[0]) for o in FISC_HEADERS["net_taxable_income_total"]}
    if not income & row_labels(rows[header]):
        return f"sheet {sheet!r} has no 'Totaal netto belastbaar inkomen' header beside its 'NIS code'"
    return sheet, header


def _check_fisc(head: FileHead) -> str | None:
    found = _fisc_header(head)
    return found if isinstance(found, str) else None


def _fisc_content_year(head: FileHead) -> tuple[Year, ...]:
    """The income year in the title rows above the header ("Inkomstenjaar 2022")."""
    found = _fisc_header(head)
    if isinstance(found, str):
        return ()
    sheet, header = found
    for row in head.rows(sheet)[:header]:
        for cell in row:
            match = _TITLE_YEAR.search(normalise_label(cell))
            if match:
                return (Year(int(match.group(1)), f"the title of sheet {sheet!r}"),)
    return ()


SIGNATURES = {
    "statbel_income_panel": Signature(kinds=frozenset({"zip", "text"}), check=_check_panel),
    "statbel_fisc_workbook": Signature(
        kinds=frozenset({"xls", "xlsx"}), check=_check_fisc, year=_fisc_content_year
    ),
}
