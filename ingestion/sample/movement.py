"""Synthetic `pop1992-mov_fr.xlsx`: Statbel's population-movement workbook (SOURCES.md 10.3, 3.2).

One sheet per year (first_year - 2)..last_year named by the bare year: a title in row 1, a
three-row header (rows 2-4, merged cells, texts verbatim), data from row 5 with every geography
level mixed in (Belgium, regions, provinces, arrondissements, each followed by its communes),
then a footer. A sheet uses the map of the following 1 January, as the real transition sheets
do (2018 is on the 581 map, 2024 on 565). The population on 1 January of each commune equals
the population file's total for that year aggregated onto the sheet's map, and the population on
31 December equals the next year's: the movements and the statistical adjustment close the gap.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from ingestion.geography import map_for_year
from ingestion.sample.files import XlsxBook
from ingestion.sample.geo import map_geography
from ingestion.sample.model import SampleModel

FILE_NAME = "pop1992-mov_fr.xlsx"
FOOTER = "Source: Statbel (Direction générale Statistique - Statistics Belgium)"
# Header rows 2-4, columns A-Y, exactly as the real file has them (SOURCES.md 10.3, 3.2).
ROW2: tuple[str | None, ...] = (
    "CODE INS", "LIEU DE RESIDENCE", "POPULATION AU 1 JANVIER", "MOUVEMENT NATUREL", None, None,
    "MOUVEMENT MIGRATOIRE INTERNE", None, None, "MOUVEMENT MIGRATOIRE INTERNATIONAL", None, None, None, None,
    None, None, "TOTAL DES MOUVEMENTS DE POPULATION", None, None, "AJUSTEMENT STATISTIQUE",
    "CHANGEMENTS DE NATIONALITE", None, "POPULATION AU 31 DECEMBRE (SOIT AU 1/1 DE L'ANNEE SUIVANTE)",
    "ACCROISSEMENT", None,
)
ROW3: tuple[str | None, ...] = (None,) * 9 + ("ENTREES", None, None, "SORTIES", None, None, "SOLDE") + (None,) * 9
ROW4: tuple[str | None, ...] = (
    None, None, None, "NAISSANCES", "DECES", "SOLDE", "ENTREES", "SORTIES", "SOLDE", "IMMIGRATIONS",
    "CHANGE-MENTS REGISTRE (ENTREES)", "REINSCRITS AYANT ETE RAYES", "EMIGRATIONS",
    "CHANGE-MENTS REGISTRE (SORTIES)", "RAYES D'OFFICE", None, "ENTREES", "SORTIES", "SOLDE", None,
    "BELGE EN NON-BELGE", "NON-BELGE EN BELGE", None, "TOTAL", "INDICE",
)
MERGES = ("D2:F2", "G2:I2", "J2:P2", "J3:L3", "M3:O3")
_WIDTHS = {0: 10.0, 1: 32.0} | {c: 12.0 for c in range(2, 25)}
CREATED = datetime(2025, 9, 15, 8, 0, 0)


def sheet_map(year: int) -> int:
    """The map of a year's sheet: the one in force on the following 1 January."""
    return map_for_year(year + 1)


def movement_columns(model: SampleModel, year: int, vintage: int) -> np.ndarray:
    """Columns C-X (integers) per commune of ``vintage`` for ``year``; shape (commune, 22)."""
    geo = map_geography(vintage)
    f = {k: geo.aggregate(v) for k, v in model.flows[year].items()}
    start = geo.aggregate(model.population[year])
    end = geo.aggregate(model.population[year + 1])
    natural = f["births"] - f["deaths"]
    internal = f["internal_in"] - f["internal_out"]
    entries = f["immigrations"] + f["asylum_register_in"] + f["reregistrations"]
    exits = f["emigrations"] + f["asylum_register_out"] + f["struck_off"]
    total_in = f["births"] + f["internal_in"] + entries
    total_out = f["deaths"] + f["internal_out"] + exits
    columns = np.stack(
        [
            start, f["births"], f["deaths"], natural, f["internal_in"], f["internal_out"], internal,
            f["immigrations"], f["asylum_register_in"], f["reregistrations"], f["emigrations"],
            f["asylum_register_out"], f["struck_off"], entries - exits, total_in, total_out, total_in - total_out,
            f["adjustment"], f["to_non_belgian"], f["to_belgian"], end, end - start,
        ],
        axis=1,
    )
    if not np.array_equal(start + columns[:, 16] + f["adjustment"], end):
        raise RuntimeError(f"sample movement {year}: population on 31 December does not follow from the movements")
    return columns


def _row(code: str, name: str, values: np.ndarray) -> list[object]:
    numbers = [int(v) for v in values]
    index = round(numbers[-2] / numbers[0] * 100, 2) if numbers[0] else None
    return [code, name, *numbers, index]


def write_movement(model: SampleModel, out_dir: Path) -> list[Path]:
    book = XlsxBook(created=CREATED, creator="cohesion-warehouse", title="SYNTHETIC SAMPLE - not official statistics")
    for year in range(model.start_year, model.last_year + 1):
        vintage = sheet_map(year)
        geo = map_geography(vintage)
        values = movement_columns(model, year, vintage)
        names = geo.communes["name_fr"].tolist()
        codes = geo.codes
        sheet = book.add_sheet(str(year), widths=_WIDTHS, merges=MERGES)
        sheet.append([f"Mouvement de la population en {year}"])
        for header in (ROW2, ROW3, ROW4):
            sheet.append(list(header))
        for unit in geo.units:
            sheet.append(_row(unit.code, unit.name_fr, values[unit.members].sum(axis=0)))
            if unit.level == "arrondissement":
                for i in unit.members:
                    sheet.append(_row(codes[i], names[i], values[i]))
        sheet.append([])
        sheet.append([FOOTER])
    path = out_dir / FILE_NAME
    book.save(path)
    return [path]
