"""The fund committee's workbook: a cover sheet (release, the rules in brief, the totals of every
year), the labels of every coded value, and one sheet per fund table, with column headers in
French and Dutch, euros with two decimals, shares as percentages, filters and frozen headers.

Written with every release (``exports/committee/fund_committee.xlsx``, beside the same tables as
CSV) and by ``cohesion whatif``. No Dagster here.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

FUND_TABLES: tuple[str, ...] = ("fund_eligibility", "fund_allocation", "fund_transitions")
# What the release could compute, year by year: the index editions and the fund's years, with the
# reasons for what is missing (a committee must see why a year has no fund before reading one).
EDITION_TABLES: tuple[str, ...] = ("fund_editions", "index_editions")
# Coded columns that get a readable label column beside them ("label FR / label NL").
CODED_COLUMNS: tuple[str, ...] = ("status", "budget_line", "needs_driver", "bound", "change", "nearest_gate", "borderline_gate")
NBSP = "\u00a0"
# CSV for spreadsheets: UTF-8 with a byte-order mark, so that Excel reads the accents right.
CSV_ENCODING = "utf-8-sig"

# Column headers (French, Dutch); a column not listed keeps its technical name in both rows.
HEADERS: Mapping[str, tuple[str, str]] = {
    "nis_code": ("Code INS", "NIS-code"),
    "commune_fr": ("Commune", "Gemeente (FR)"),
    "commune_nl": ("Commune (NL)", "Gemeente"),
    "year": ("Année", "Jaar"),
    "gate_a_indicator": ("Critère A : indicateur", "Criterium A: indicator"),
    "gate_a_proxy": ("Critère A : approximation", "Criterium A: benadering"),
    "gate_a_arrivals_3y": ("Arrivées sur 3 ans", "Aankomsten over 3 jaar"),
    "gate_a_value": ("Arrivées pour 1 000 hab. (3 ans)", "Aankomsten per 1.000 inw. (3 jaar)"),
    "gate_a_threshold": ("Seuil du critère A", "Drempel criterium A"),
    "gate_a_pass": ("Critère A rempli", "Criterium A voldaan"),
    "gate_a_gap": ("Manque pour le seuil A (pour 1 000 hab.)", "Tekort voor drempel A (per 1.000 inw.)"),
    "gate_b_value": ("Rang à l'indice", "Rang in de index"),
    "gate_b_threshold": ("Rang limite du critère B", "Grensrang criterium B"),
    "gate_b_pass": ("Critère B rempli", "Criterium B voldaan"),
    "gate_b_gap": ("Rangs manquants pour le critère B", "Rangen tekort voor criterium B"),
    "eligible": ("Éligible", "Subsidiabel"),
    "gate_a_band_factor": ("Facteur de bande A", "Bandfactor A"),
    "gate_b_band_factor": ("Facteur de bande B", "Bandfactor B"),
    "band_factor": ("Facteur de bande (part de la part pleine)", "Bandfactor (aandeel van het volle aandeel)"),
    "nearest_gate": ("Critère le plus proche (code)", "Dichtste criterium (code)"),
    "nearest_gate_label": ("Critère le plus proche", "Dichtste criterium"),
    "nearest_gate_position": ("Position dans la bande du critère le plus proche", "Positie in de band van het dichtste criterium"),
    "gate_a_probability": ("Probabilité du critère A", "Kans op criterium A"),
    "gate_b_probability": ("Probabilité du critère B", "Kans op criterium B"),
    "eligibility_probability": ("Probabilité d'éligibilité", "Kans op subsidiabiliteit"),
    "borderline": ("Cas limite", "Grensgeval"),
    "borderline_gate": ("Cas limite par (code)", "Grensgeval door (code)"),
    "borderline_gate_label": ("Cas limite par", "Grensgeval door"),
    "reason_fr": ("Raison", "Reden (FR)"),
    "reason_nl": ("Raison (NL)", "Reden"),
    "reason": ("Raison (EN)", "Reden (EN)"),
    "rules_version": ("Version des règles", "Versie van de regels"),
    "budget_line": ("Ligne budgétaire (code)", "Begrotingslijn (code)"),
    "budget_line_label": ("Ligne budgétaire", "Begrotingslijn"),
    "needs_driver": ("Critère de besoin (code)", "Behoeftecriterium (code)"),
    "needs_driver_label": ("Critère de besoin", "Behoeftecriterium"),
    "amount_euro": ("Montant (€)", "Bedrag (€)"),
    "status": ("Statut (code)", "Status (code)"),
    "status_label": ("Statut", "Status"),
    "years_outside": ("Années hors critères", "Jaren buiten de criteria"),
    "grace_year": ("Année de grâce", "Genadejaar"),
    "grace_years": ("Années de grâce prévues", "Voorziene genadejaren"),
    "weight": ("Poids dans la formule", "Gewicht in de formule"),
    "need_intensity": ("Intensité du besoin (score à bornes fixes / 50)", "Behoefte-intensiteit (score met vaste ijkpunten / 50)"),
    "rank_coefficient": ("Coefficient de rang", "Rangcoëfficiënt"),
    "formula_p05_euro": ("Dotation, 5e centile des tirages (€)", "Formulebedrag, 5e percentiel van de trekkingen (€)"),
    "formula_p50_euro": ("Dotation, médiane des tirages (€)", "Formulebedrag, mediaan van de trekkingen (€)"),
    "formula_p95_euro": ("Dotation, 95e centile des tirages (€)", "Formulebedrag, 95e percentiel van de trekkingen (€)"),
    "bound": ("Limite appliquée (code)", "Toegepaste grens (code)"),
    "bound_label": ("Limite appliquée", "Toegepaste grens"),
    "formula_euro": ("Dotation de la formule (€)", "Formulebedrag (€)"),
    "guarantee_euro": ("Garantie de sortie (€)", "Uitstapgarantie (€)"),
    "paid_euro": ("Versé (€)", "Uitbetaald (€)"),
    "before_euro": ("Avant (€)", "Voor (€)"),
    "after_euro": ("Après (€)", "Na (€)"),
    "change_euro": ("Différence (€)", "Verschil (€)"),
    "change_pct": ("Différence (%)", "Verschil (%)"),
    "change": ("Changement (code)", "Wijziging (code)"),
    "change_label": ("Changement", "Wijziging"),
    "scope": ("Périmètre", "Bereik"),
    "computed": ("Calculé", "Berekend"),
    "index_scope": ("Indice utilisé (critère B)", "Gebruikte index (criterium B)"),
    "communes_in_scope": ("Communes du périmètre", "Gemeenten van het bereik"),
    "gate_a_from_indicator": ("Critère A par l'indicateur", "Criterium A via de indicator"),
    "gate_a_from_proxy": ("Critère A par l'approximation", "Criterium A via de benadering"),
    "gate_a_missing": ("Critère A incalculable", "Criterium A niet berekenbaar"),
    "eligible_communes": ("Communes éligibles", "Subsidiabele gemeenten"),
    "budget_euro": ("Budget (€)", "Budget (€)"),
    "guarantees_euro": ("Garanties de sortie (€)", "Uitstapgaranties (€)"),
    "communes_entering": ("Communes entrantes", "Toetredende gemeenten"),
    "communes_in_fund": ("Communes dans le fonds", "Gemeenten in het fonds"),
    "communes_staying": ("Communes en année de grâce", "Gemeenten in een genadejaar"),
    "communes_leaving": ("Communes sortantes", "Uittredende gemeenten"),
    "communes_paid_by_formula": ("Communes payées par la formule", "Gemeenten betaald via de formule"),
    "communes_capped": ("Communes au plafond", "Gemeenten aan het plafond"),
    "communes_floored": ("Communes au plancher", "Gemeenten aan de bodem"),
    "published": ("Publiée", "Gepubliceerd"),
    "domains_used": ("Domaines utilisés", "Gebruikte domeinen"),
    "weight_share": ("Part du poids", "Aandeel van het gewicht"),
    "indicators_used": ("Nombre d'indicateurs", "Aantal indicatoren"),
    "indicators": ("Indicateurs (période de référence)", "Indicatoren (referentieperiode)"),
    "left_out": ("Indicateurs écartés et pourquoi", "Weggelaten indicatoren en waarom"),
    "communes_scored": ("Communes notées", "Gemeenten met een score"),
    "fixed_goalposts_base_year": ("Année de base des bornes fixes", "Basisjaar van de vaste ijkpunten"),
    "methodology_version": ("Version de la méthodologie", "Versie van de methodologie"),
    "column_name": ("Colonne", "Kolom"),
    "value": ("Code", "Code"),
    "label_fr": ("Libellé (FR)", "Label (FR)"),
    "label_nl": ("Libellé (NL)", "Label (NL)"),
    "label_en": ("Libellé (EN)", "Label (EN)"),
    "key": ("Règle", "Regel"),
    "before": ("Avant", "Voor"),
    "after": ("Après", "Na"),
}

SHEET_TITLES: Mapping[str, str] = {
    "value_labels": "Libellés - Labels",
    "fund_summary": "Totaux - Totalen",
    "fund_eligibility": "Éligibilité - Subsidiabiliteit",
    "fund_allocation": "Montants - Bedragen",
    "fund_transitions": "Transitions - Overgangen",
    "whatif_totals": "Totaux - Totalen",
    "whatif_comparison": "Comparaison - Vergelijking",
    "whatif_lines": "Par ligne - Per lijn",
    "whatif_rules": "Règles - Regels",
    "fund_editions": "Années du fonds - Fondsjaren",
    "index_editions": "Éditions de l'indice - Edities",
}

# Excel number formats by column: euros with two decimals, shares as percentages, rates with one
# decimal; anything else keeps Excel's general format.
_EURO = '#,##0.00 "€"'
_FORMATS: Mapping[str, str] = {
    "eligibility_probability": "0%",
    "gate_a_probability": "0%",
    "gate_b_probability": "0%",
    "gate_a_band_factor": "0%",
    "gate_b_band_factor": "0%",
    "band_factor": "0%",
    "nearest_gate_position": "0.00",
    "need_intensity": "0.000",
    "weight_share": "0%",
    "national_share": "0%",
    "gate_a_value": "0.0",
    "gate_a_threshold": "0.0",
    "gate_a_gap": "0.0",
    "change_pct": "0.0",
    "weight": "0.000",
    "rank_coefficient": "0.000",
}
_WIDE_TEXT = ("reason", "reason_fr", "reason_nl", "indicators", "left_out")


def number_format(column: str) -> str | None:
    if column.endswith("_euro"):
        return _EURO
    if column.endswith("_cents"):
        return "#,##0"
    return _FORMATS.get(column)


@dataclass(frozen=True)
class Cover:
    """The cover sheet: (label FR, label NL, value) lines, then small titled tables."""

    lines: Sequence[tuple[str, str, str]]
    tables: Sequence[tuple[str, str, pd.DataFrame]] = field(default_factory=tuple)


def read_fund_tables(database: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The fund tables of a release with commune names, the fund's yearly summary, the editions of
    the index and of the fund, the value labels, and the release metadata."""
    with duckdb.connect(str(database), read_only=True) as con:
        present = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        tables = {}
        for table in FUND_TABLES:
            tables[table] = con.execute(
                f"select t.nis_code, c.name_fr as commune_fr, c.name_nl as commune_nl, t.* exclude (nis_code) "
                f"from {table} t join communes c using (nis_code) order by t.year, t.nis_code"
            ).df()
        for table in ("fund_summary", "value_labels", *EDITION_TABLES):
            if table in present:
                order = {"value_labels": "column_name, value", "index_editions": "year, scope"}.get(table, "year")
                tables[table] = con.execute(f"select * from {table} order by {order}").df()
        release = con.execute("select * from _release").df().iloc[0].astype(str).to_dict()
    return tables, release


def labelled(frame: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
    """Each coded column followed by its label in French and Dutch ("fr / nl")."""
    if labels is None or labels.empty:
        return frame
    out = frame.copy()
    for column in CODED_COLUMNS:
        if column not in out:
            continue
        known = labels[labels["column_name"] == column]
        text = dict(zip(known["value"], known["label_fr"] + " / " + known["label_nl"], strict=True))
        out.insert(out.columns.get_loc(column) + 1, f"{column}_label", out[column].map(text))
    return out


def in_euros(frame: pd.DataFrame) -> pd.DataFrame:
    """Cent columns as euros, for readers (the CSV beside the workbook keeps the exact cents)."""
    out = frame.copy()
    for column in [c for c in out.columns if c.endswith("_cents")]:
        out[column] = out[column] / 100
        out = out.rename(columns={column: column.removesuffix("_cents") + "_euro"})
    return out


def for_reading(frame: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
    """A table as the committee reads it: labels beside codes, euros, the French reason first."""
    out = in_euros(labelled(frame, labels))
    reasons = [c for c in ("reason_fr", "reason_nl", "reason") if c in out]
    if reasons:
        out = out[[c for c in out.columns if c not in reasons] + reasons]
    return out


def _width(column: str, frame: pd.DataFrame) -> int:
    if column in _WIDE_TEXT:
        return 90
    header = max(len(h) for h in HEADERS.get(column, (column, column)))
    sample = frame[column].head(200).astype(str).str.len().max() if len(frame) else 0
    return int(min(max(header * 0.8, sample or 0, 8) + 2, 50))


def _cell(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _column_cells(series: pd.Series) -> list:
    """A column's values as cells take them (``_cell`` of each, for the whole column at once):
    Python scalars, None where the value is missing."""
    values = [_cell(v) for v in series.to_numpy(dtype=object)] if series.dtype == object else series.tolist()
    missing = series.isna().to_numpy()
    return [None if gone else value for value, gone in zip(values, missing)] if missing.any() else values


def _write_rows(ws, first_row: int, frame: pd.DataFrame, styles: list) -> None:
    """``frame``'s rows from ``first_row`` on, each cell with its column's style. Plain numbers and
    strings go straight to write_number and write_string (write() sends a string starting with
    "=" or "{" or holding a ":" to its formula or link checks, so those still go through it):
    the cells are write()'s, at a fraction of its cost per cell (a workbook has 250,000)."""
    write, write_number, write_string = ws.write, ws.write_number, ws.write_string
    columns = [_column_cells(frame[c]) for c in frame.columns]
    for row, values in enumerate(zip(*columns), start=first_row):
        for col, (value, style) in enumerate(zip(values, styles)):
            kind = value.__class__
            if kind is float or kind is int:
                write_number(row, col, value, style)
            elif kind is str and value and value[0] not in "={" and ":" not in value:
                write_string(row, col, value, style)
            else:
                write(row, col, value, style)


def write_workbook(path: Path, tables: Mapping[str, pd.DataFrame], cover: Cover) -> Path:
    """Write a cover sheet, then ``tables`` (sheet key -> frame), each with two header rows (FR,
    NL), frozen, filtered, formatted.

    XlsxWriter writes the workbook, but most rows of a table, which it would write cell by cell (a
    quarter of a million cells, 2 s), are written as the same XML at once (``_rows_xml``) into
    its sheet after it closes; a table holding a value that XlsxWriter writes other than as a
    plain cell (a formula, a link, a control character, an infinite number) is all written by
    XlsxWriter."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    workbook = xlsxwriter.Workbook(str(staging), {"constant_memory": True, "nan_inf_to_errors": True})
    formats: dict[str, object] = {}

    def fmt(spec: str | None):
        if spec is None:
            return None
        if spec not in formats:
            formats[spec] = workbook.add_format({"num_format": spec})
        return formats[spec]

    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 14})
    warning = workbook.add_format({"bold": True, "font_color": "#C00000"})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    header_nl = workbook.add_format({"italic": True, "bg_color": "#F2F2F2", "text_wrap": True, "valign": "top"})

    sheet = workbook.add_worksheet("Couverture - Voorblad")
    sheet.set_column(0, 1, 42)
    sheet.set_column(2, 12, 18)
    sheet.write(0, 0, "Fonds local de cohésion - Lokaal cohesiefonds", title)
    row = 2
    for fr, nl, value in cover.lines:
        style = warning if fr.startswith("ATTENTION") else None
        sheet.write_row(row, 0, [fr, nl, value], style)
        row += 1
    for title_fr, title_nl, frame in cover.tables:
        row += 1
        sheet.write_row(row, 0, [title_fr, title_nl], bold)
        row += 1
        columns = list(frame.columns)
        sheet.write_row(row, 0, [HEADERS.get(c, (c, c))[0] for c in columns], header)
        sheet.write_row(row + 1, 0, [HEADERS.get(c, (c, c))[1] for c in columns], header_nl)
        row += 2
        _write_rows(sheet, row, frame, [fmt(number_format(c)) for c in columns])
        row += len(frame)

    later: dict[str, tuple[list[list], list]] = {}  # sheet part -> its table's cells and styles
    for number, (key, frame) in enumerate(tables.items(), start=2):
        ws = workbook.add_worksheet(SHEET_TITLES.get(key, key)[:31])
        columns = list(frame.columns)
        styles = [fmt(number_format(c)) for c in columns]
        for col, column in enumerate(columns):
            ws.set_column(col, col, _width(column, frame), styles[col])
        ws.write_row(0, 0, [HEADERS.get(c, (c, c))[0] for c in columns], header)
        ws.write_row(1, 0, [HEADERS.get(c, (c, c))[1] for c in columns], header_nl)
        ws.freeze_panes(2, 3 if columns[:3] == ["nis_code", "commune_fr", "commune_nl"] else 0)
        ws.autofilter(1, 0, max(len(frame) + 1, 1), len(columns) - 1)
        cells = [_column_cells(frame[c]) for c in columns]
        if len(frame) > _FIRST_ROWS and all(_plain_cells(values) for values in cells):
            # XlsxWriter numbers a style when a row using it is written, so its first rows are
            # written here, in order, for the styles to keep their numbers.
            _write_rows(ws, 2, frame.iloc[:_FIRST_ROWS], styles)
            later[f"xl/worksheets/sheet{number}.xml"] = ([values[_FIRST_ROWS:] for values in cells], styles)
        else:
            _write_rows(ws, 2, frame, styles)
    workbook.close()
    try:
        _add_rows(staging, path, later)
    finally:
        staging.unlink(missing_ok=True)
    return path


# Cells XlsxWriter writes as they are: numbers (finite), booleans, blanks and text that is no
# formula ("=..."), no link ("http://...", "mailto:"...) and holds no control character nor
# XlsxWriter's escape of one (_xHHHH_), no rich-text markup, nothing long enough to be cut. (The
# tests of a text are broader than XlsxWriter's own: a table that fails them is only slower.)
_NOT_PLAIN_START = ("=", "{", "<", "ftp", "http", "mailto:", "internal:", "external:", "file:")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPED_CHARACTER = re.compile("_x[0-9a-fA-F]{4}_")
_LONGEST_PLAIN_TEXT = 16_000  # XlsxWriter cuts text at 32,767 UTF-16 units


# A table's rows XlsxWriter writes itself (see write_workbook); its third flushes the second.
_FIRST_ROWS = 2


def _plain_cells(values: list) -> bool:
    for value in values:
        kind = value.__class__
        if kind is str:
            if (
                len(value) > _LONGEST_PLAIN_TEXT
                or value.startswith(_NOT_PLAIN_START)
                or _CONTROL_CHARACTERS.search(value)
                or ("_x" in value and _ESCAPED_CHARACTER.search(value))
            ):
                return False
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif not (value is None or kind is int or kind is bool):
            return False
    return True


def _rows_xml(cells: list[list], styles: list, first_row: int) -> tuple[str, int]:
    """The <row> elements of a table's cells (column by column, from 0-based ``first_row``) as
    XlsxWriter writes them in constant-memory mode, and the 1-based number of the last row with a
    cell (0 for none): a cell's style is its column's number format (``styles``, formats of the closed
    workbook); a missing value is a blank cell with that style, or no cell without one; text is
    inline, with &, < and > escaped and xml:space="preserve" when it starts or ends with a space."""
    from xlsxwriter.utility import xl_col_to_name

    columns = []
    for col, (values, style) in enumerate(zip(cells, styles, strict=True)):
        letter = xl_col_to_name(col)
        s = "" if style is None else f' s="{style.xf_index}"'
        column = []
        for row, value in enumerate(values, start=first_row + 1):
            kind = value.__class__
            if value is None or value == "":
                column.append(f'<c r="{letter}{row}"{s}/>' if s else "")
            elif kind is str:
                if "&" in value or "<" in value or ">" in value:
                    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                # (str.isspace is the \s of XlsxWriter's whitespace test)
                space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                column.append(f'<c r="{letter}{row}"{s} t="inlineStr"><is><t{space}>{value}</t></is></c>')
            elif kind is bool:
                column.append(f'<c r="{letter}{row}"{s} t="b"><v>{1 if value else 0}</v></c>')
            else:
                column.append(f'<c r="{letter}{row}"{s}><v>{value:.16G}</v></c>')
        columns.append(column)
    rows, last = [], 0
    for row, row_cells in enumerate(zip(*columns), start=first_row + 1):
        content = "".join(row_cells)
        if content:
            rows.append(f'<row r="{row}">{content}</row>')
            last = row
    return "".join(rows), last


def _add_rows(staging: Path, path: Path, later: Mapping[str, tuple[list[list], list]]) -> None:
    """Copy the workbook ``staging`` to ``path``, each sheet of ``later`` with the rest of its
    table's rows after those XlsxWriter wrote, and its dimension to the last of them."""
    import zipfile

    temporary = path.with_name(f".{path.name}.rows.tmp")
    try:
        with zipfile.ZipFile(staging) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename in later:
                    xml = data.decode("utf-8")
                    rows, last = _rows_xml(*later[info.filename], first_row=2 + _FIRST_ROWS)
                    head, tail = xml.split("</sheetData>")
                    dimension = re.search(r'<dimension ref="A1:([A-Z]+)([0-9]+)"/>', head)
                    last = max(last, int(dimension.group(2)))
                    head = head.replace(dimension.group(0), f'<dimension ref="A1:{dimension.group(1)}{last}"/>')
                    data = f"{head}{rows}</sheetData>{tail}".encode()
                target.writestr(info, data)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def release_lines(release: Mapping[str, str]) -> list[tuple[str, str, str]]:
    lines = [
        ("Publication", "Publicatie", release.get("release_id", "")),
        ("Créée le", "Aangemaakt op", release.get("created_at", "")),
        ("Version des règles du fonds", "Versie van de fondsregels", release.get("rules_version", "")),
        ("Version de la méthodologie", "Versie van de methodologie", release.get("methodology_version", "")),
        ("Version du code", "Versie van de code", release.get("code_version", "")),
        ("Origine des données", "Herkomst van de gegevens", release.get("data_origin", "")),
    ]
    if release.get("fund_diff_summary"):
        lines.append(("Changements depuis la publication précédente", "Wijzigingen sinds de vorige publicatie", release["fund_diff_summary"]))
    if release.get("data_origin") == "synthetic sample":
        lines.append(
            (
                "ATTENTION : données synthétiques de test, pas des statistiques officielles",
                "OPGELET: synthetische testgegevens, geen officiële statistieken",
                "",
            )
        )
    return lines


def _labels(labels: pd.DataFrame | None, column: str, value: str) -> tuple[str, str]:
    """The French and Dutch labels of a coded value (the code itself when it has none)."""
    if labels is not None:
        hit = labels[(labels["column_name"] == column) & (labels["value"] == value)]
        if len(hit):
            return hit["label_fr"].iloc[0], hit["label_nl"].iloc[0]
    return value, value


def rules_lines(rules, labels: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    """The fund rules in brief, as a committee checks them: budget, gates, cap, floor, lines,
    transitions. Amounts are written the Belgian French way (the value column serves both
    languages)."""
    from kernels.fund_reasons import money, percent

    def euros(cents: int) -> str:
        return money(cents, "fr")

    budget = ", ".join(f"{year}{NBSP}: {euros(cents)}" for year, cents in rules.budget.by_year_cents)
    if rules.budget.default_cents is not None:
        budget += f" ; autres années / andere jaren{NBSP}: {euros(rules.budget.default_cents)}"
    a, b, alloc, t = rules.gate_a, rules.gate_b, rules.allocation, rules.transitions
    proxy = f"{a.proxy_indicator}" if a.allow_proxy else "non / neen"
    lines = [
        ("Règles du fonds (résumé)", "Fondsregels (samenvatting)", f"version {rules.version}, {rules.adopted}"),
        ("Périmètre", "Bereik", ", ".join(rules.scope)),
        ("Budget par année", "Budget per jaar", budget),
        (
            "Critère A : arrivées sur 3 ans pour 1 000 hab. au moins égales à la référence",
            "Criterium A: aankomsten over 3 jaar per 1.000 inw. minstens gelijk aan de referentie",
            f"{a.indicator} ; référence/referentie {percent(a.national_weight, 'fr')} national(e) + "
            f"{percent(a.regional_weight, 'fr')} régional(e)/gewestelijk ; minimum {a.min_arrivals} arrivées/aankomsten ; "
            f"approximation/benadering{NBSP}: {proxy}",
        ),
        (
            "Critère B : rang à l'indice parmi les communes remplissant A",
            "Criterium B: rang in de index onder de gemeenten die A halen",
            f"premier/eerste {b.top_fraction} ({b.cutoff_rounding})",
        ),
        (
            "Plafond par commune (part du budget de l'année)"
            if alloc.cap_of == "whole_budget"
            else "Plafond par commune (part du budget de la formule)",
            "Plafond per gemeente (aandeel van het budget van het jaar)"
            if alloc.cap_of == "whole_budget"
            else "Plafond per gemeente (aandeel van het formulebudget)",
            percent(alloc.cap_share, "fr"),
        ),
        ("Plancher par commune", "Bodem per gemeente", euros(alloc.floor_cents)),
        (
            "Poids dans la formule",
            "Gewicht in de formule",
            {
                "need_intensity": "population x intensité du besoin (score à bornes fixes / "
                f"{alloc.need_intensity_divisor:g}) x facteur de bande / bevolking x behoefte-intensiteit x bandfactor",
                "need_intensity_x_rank_coefficient": "population x intensité du besoin x coefficient de rang x facteur de bande"
                " / bevolking x behoefte-intensiteit x rangcoëfficiënt x bandfactor",
                "score_x_rank_coefficient": "population x score x coefficient de rang / bevolking x score x rangcoëfficiënt",
            }[alloc.weight],
        ),
    ]
    if alloc.uses_rank_coefficient:
        lines.append(
            (
                "Coefficient de rang (du premier au dernier)",
                "Rangcoëfficiënt (van eerste tot laatste)",
                f"{alloc.coefficient_first:g} → {alloc.coefficient_last:g}".replace(".", ","),
            )
        )
    if rules.bands is not None:
        lines.append(
            (
                "Bandes d'entrée progressive (la part monte de 0 au seuil à la part pleine)",
                "Ingroeibanden (het aandeel stijgt van 0 op de drempel tot het volle aandeel)",
                f"A{NBSP}: {percent(rules.bands.gate_a_share, 'fr')} du seuil / van de drempel ; "
                f"B{NBSP}: {rules.bands.gate_b_ranks} rangs / rangen",
            )
        )
    p = rules.probability
    lines.append(
        (
            "Probabilité d'éligibilité : tirages, cas limite entre",
            "Kans op subsidiabiliteit: trekkingen, grensgeval tussen",
            ("rang à l'indice + bruit de Poisson sur les arrivées / indexrang + Poisson-ruis op de aankomsten"
             if p.arrival_noise == "poisson" else "rang à l'indice / indexrang")
            + f" ; {percent(p.borderline_low, 'fr')} – {percent(p.borderline_high, 'fr')}",
        )
    )
    for line in rules.budget_lines:
        (line_fr, line_nl), (driver_fr, driver_nl) = (
            _labels(labels, "budget_line", line.name), _labels(labels, "needs_driver", line.needs_driver)
        )
        lines.append(
            (f"Ligne : {line_fr} (selon : {driver_fr})", f"Lijn: {line_nl} (volgens: {driver_nl})", percent(line.national_share, "fr"))
        )
    lines.append(
        (
            "Sortie : après n années hors critères, garantie (part de la dernière dotation)",
            "Uittrede: na n jaar buiten de criteria, garantie (aandeel van de laatste toelage)",
            f"n = {t.exit_after_years_outside}, {percent(t.exit_guarantee_share, 'fr')}",
        )
    )
    return lines


def release_cover(release: Mapping[str, str], tables: Mapping[str, pd.DataFrame], rules=None) -> Cover:
    """The cover of a release's workbook: the release, the rules it used (when ``rules`` is that
    version), and the totals of every year."""
    labels = tables.get("value_labels")
    lines = release_lines(release)
    if rules is not None and rules.version == release.get("rules_version"):
        lines += [("", "", ""), *rules_lines(rules, labels)]
    summary = tables.get("fund_summary")
    totals = () if summary is None else (("Totaux par année", "Totalen per jaar", in_euros(summary.drop(columns=["rules_version"]))),)
    return Cover(lines, totals)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """CSV as spreadsheets open it: UTF-8 with a byte-order mark (Excel then reads é, ë and ü
    right), comma-separated, written whole before it takes its name."""
    temporary = path.with_name(f".{path.name}.tmp")
    frame.to_csv(temporary, index=False, encoding=CSV_ENCODING)
    temporary.replace(path)
    return path


def add_byte_order_mark(path: Path) -> None:
    """Prefix a UTF-8 file written by DuckDB with the byte-order mark."""
    temporary = path.with_name(f".{path.name}.bom")
    with path.open("rb") as source, temporary.open("wb") as target:
        target.write(b"\xef\xbb\xbf")
        shutil.copyfileobj(source, target, 1 << 20)
    temporary.replace(path)


def export_release_workbook(database: Path, out_dir: Path, rules_file: Path | None = None) -> Path:
    """The committee workbook and the fund tables as CSV (cents, commune names), from a release
    file. ``rules_file`` defaults to the current config/fund_rules.yml; the cover summarises it
    only when its version is the release's."""
    from kernels import warehouse as kernels

    tables, release = read_fund_tables(database)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        write_csv(frame, out_dir / f"{name}.csv")
    labels = tables.get("value_labels")
    sheets = {k: for_reading(v, labels) for k, v in tables.items() if k != "fund_summary"}
    # The labels come after the tables they explain.
    sheets = {k: v for k, v in sheets.items() if k != "value_labels"} | ({"value_labels": labels} if labels is not None else {})
    rules = kernels.fund_rules(rules_file)
    return write_workbook(out_dir / "fund_committee.xlsx", sheets, release_cover(release, tables, rules))
