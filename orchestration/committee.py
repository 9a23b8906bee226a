"""The fund committee's workbook: a cover sheet (release, rules and methodology versions, data
origin) and one sheet per fund table, with column headers in French and Dutch.

Written with every release (``exports/fund_committee.xlsx``) and by ``cohesion whatif``. No
Dagster here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd

FUND_TABLES: tuple[str, ...] = ("fund_eligibility", "fund_allocation", "fund_transitions")
# What the release could compute, year by year: the index editions and the fund's years, with the
# reasons for what is missing (a committee must see why a year has no fund before reading one).
EDITION_TABLES: tuple[str, ...] = ("fund_editions", "index_editions")

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
    "gate_a_gap": ("Écart au seuil A", "Afstand tot drempel A"),
    "gate_b_value": ("Rang à l'indice", "Rang in de index"),
    "gate_b_threshold": ("Rang limite du critère B", "Grensrang criterium B"),
    "gate_b_pass": ("Critère B rempli", "Criterium B voldaan"),
    "gate_b_gap": ("Écart au rang limite", "Afstand tot grensrang"),
    "eligible": ("Éligible", "Subsidiabel"),
    "eligibility_probability": ("Probabilité d'éligibilité", "Kans op subsidiabiliteit"),
    "borderline": ("Cas limite", "Grensgeval"),
    "reason": ("Raison (EN)", "Reden (EN)"),
    "reason_fr": ("Raison", "Reden (FR)"),
    "rules_version": ("Version des règles", "Versie van de regels"),
    "budget_line": ("Ligne budgétaire", "Begrotingslijn"),
    "needs_driver": ("Critère de besoin", "Behoeftecriterium"),
    "amount_cents": ("Montant (centimes d'euro)", "Bedrag (eurocent)"),
    "amount_euro": ("Montant (euro)", "Bedrag (euro)"),
    "status": ("Statut", "Status"),
    "years_outside": ("Années hors critères", "Jaren buiten de criteria"),
    "formula_cents": ("Dotation de la formule (centimes)", "Formulebedrag (eurocent)"),
    "guarantee_cents": ("Garantie de sortie (centimes)", "Uitstapgarantie (eurocent)"),
    "paid_cents": ("Versé (centimes)", "Uitbetaald (eurocent)"),
    "paid_euro": ("Versé (euro)", "Uitbetaald (euro)"),
    "before_cents": ("Avant (centimes)", "Voor (eurocent)"),
    "after_cents": ("Après (centimes)", "Na (eurocent)"),
    "change_cents": ("Différence (centimes)", "Verschil (eurocent)"),
    "change_pct": ("Différence (%)", "Verschil (%)"),
    "change": ("Changement", "Wijziging"),
    "scope": ("Périmètre", "Bereik"),
    "computed": ("Calculé", "Berekend"),
    "index_scope": ("Indice utilisé (critère B)", "Gebruikte index (criterium B)"),
    "communes_in_scope": ("Communes du périmètre", "Gemeenten van het bereik"),
    "gate_a_from_indicator": ("Critère A par l'indicateur", "Criterium A via de indicator"),
    "gate_a_from_proxy": ("Critère A par l'approximation", "Criterium A via de benadering"),
    "gate_a_missing": ("Critère A incalculable", "Criterium A niet berekenbaar"),
    "eligible_communes": ("Communes éligibles", "Subsidiabele gemeenten"),
    "budget_cents": ("Budget versé (centimes)", "Uitbetaald budget (eurocent)"),
    "published": ("Publiée", "Gepubliceerd"),
    "domains_used": ("Domaines utilisés", "Gebruikte domeinen"),
    "weight_share": ("Part du poids", "Aandeel van het gewicht"),
    "indicators_used": ("Nombre d'indicateurs", "Aantal indicatoren"),
    "indicators": ("Indicateurs (période de référence)", "Indicatoren (referentieperiode)"),
    "left_out": ("Indicateurs écartés et pourquoi", "Weggelaten indicatoren en waarom"),
    "communes_scored": ("Communes notées", "Gemeenten met een score"),
    "fixed_goalposts_base_year": ("Année de base des bornes fixes", "Basisjaar van de vaste ijkpunten"),
    "methodology_version": ("Version de la méthodologie", "Versie van de methodologie"),
}

SHEET_TITLES: Mapping[str, str] = {
    "fund_eligibility": "Éligibilité - Subsidiabiliteit",
    "fund_allocation": "Montants - Bedragen",
    "fund_transitions": "Transitions - Overgangen",
    "whatif_comparison": "Comparaison - Vergelijking",
    "fund_editions": "Années du fonds - Fondsjaren",
    "index_editions": "Éditions de l'indice - Edities",
}


def read_fund_tables(database: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The fund tables of a release with commune names, the editions of the index and of the fund,
    and the release metadata."""
    with duckdb.connect(str(database), read_only=True) as con:
        tables = {}
        for table in FUND_TABLES:
            tables[table] = con.execute(
                f"select c.name_fr as commune_fr, c.name_nl as commune_nl, t.* from {table} t "
                "join communes c using (nis_code) order by t.year, t.nis_code"
            ).df()
        present = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        for table in EDITION_TABLES:
            if table in present:
                tables[table] = con.execute(f"select * from {table} order by year" + (", scope" if table == "index_editions" else "")).df()
        release = con.execute("select * from _release").df().iloc[0].astype(str).to_dict()
    return tables, release


def write_workbook(
    path: Path,
    tables: Mapping[str, pd.DataFrame],
    cover: Sequence[tuple[str, str, str]],
) -> Path:
    """Write ``tables`` (sheet key -> frame) after a cover sheet of (label FR, label NL, value)."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "nan_inf_to_errors": True})
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True})
    header_nl = workbook.add_format({"italic": True, "bg_color": "#F2F2F2", "text_wrap": True})
    sheet = workbook.add_worksheet("Couverture - Voorblad")
    sheet.set_column(0, 1, 38)
    sheet.set_column(2, 2, 60)
    sheet.write_row(0, 0, ["", "", "Fonds local de cohésion - Lokaal cohesiefonds"], bold)
    for row, (fr, nl, value) in enumerate(cover, start=2):
        sheet.write_row(row, 0, [fr, nl, value])
    for key, frame in tables.items():
        ws = workbook.add_worksheet(SHEET_TITLES.get(key, key)[:31])
        columns = list(frame.columns)
        ws.write_row(0, 0, [HEADERS.get(c, (c, c))[0] for c in columns], header)
        ws.write_row(1, 0, [HEADERS.get(c, (c, c))[1] for c in columns], header_nl)
        ws.freeze_panes(2, 0)
        ws.set_column(0, len(columns) - 1, 16)
        for row, values in enumerate(frame.itertuples(index=False), start=2):
            ws.write_row(row, 0, [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in values])
    workbook.close()
    return path


def release_cover(release: Mapping[str, str]) -> list[tuple[str, str, str]]:
    cover = [
        ("Publication", "Publicatie", release.get("release_id", "")),
        ("Créée le", "Aangemaakt op", release.get("created_at", "")),
        ("Version des règles du fonds", "Versie van de fondsregels", release.get("rules_version", "")),
        ("Version de la méthodologie", "Versie van de methodologie", release.get("methodology_version", "")),
        ("Version du code", "Versie van de code", release.get("code_version", "")),
        ("Origine des données", "Herkomst van de gegevens", release.get("data_origin", "")),
    ]
    if release.get("data_origin") == "synthetic sample":
        cover.append(
            (
                "ATTENTION : données synthétiques de test, pas des statistiques officielles",
                "OPGELET: synthetische testgegevens, geen officiële statistieken",
                "",
            )
        )
    return cover


def with_euro(frame: pd.DataFrame) -> pd.DataFrame:
    """Euro columns beside the cent columns, for readers (cents stay the exact amounts)."""
    out = frame.copy()
    if "amount_cents" in out:
        out["amount_euro"] = out["amount_cents"] / 100
    if "paid_cents" in out:
        out["paid_euro"] = out["paid_cents"] / 100
    return out


def export_release_workbook(database: Path, out_dir: Path) -> Path:
    """The committee workbook and the fund tables as CSV, from a release file."""
    tables, release = read_fund_tables(database)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out_dir / f"{name}.csv", index=False)
    return write_workbook(out_dir / "fund_committee.xlsx", {k: with_euro(v) for k, v in tables.items()}, release_cover(release))
