"""Synthetic `schools_{year}.csv` in the canonical CSV layout (`ingestion/CANONICAL_CSV.md`).

Pupils counted by commune of residence, drawn from the residents aged 6-17 of the population
files; delay, early leaving and language support rise with the latent need and the non-Belgian
share. Each year is on the map then in force (589 before 2019, 581 to 2024, 565 from 2025), as
the data team delivers them. Counts below 5 are `x`; language support is empty (missing) in the
German-speaking Community, whose figures the data team is assumed not to receive. One delivery in
the middle of the range never arrived: that year has no file (``ingestion.sample.years.missing_school_year``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ingestion.geography import map_for_year
from ingestion.sample.geo import map_geography
from ingestion.sample.labour import SMALL, german_speaking_communes
from ingestion.sample.model import SampleModel, foreign_share, stream
from ingestion.sample.years import school_years

SCHOOL_MEASURES: tuple[str, ...] = (
    "pupils", "pupils_delayed", "pupils_language_support", "early_leavers", "population_18_24",
)


def school_counts(model: SampleModel, year: int) -> dict[str, np.ndarray]:
    """Every measure per base commune for ``year``."""
    c = model.communes
    rng = stream(model.seed, "schools", year)
    pupils = rng.binomial(model.age_total(year, 6, 17), 0.985)
    population_18_24 = model.age_total(year, 18, 24)
    language = np.clip(0.04 + 0.9 * foreign_share(c, year) + 0.05 * c.brussels, 0, 0.8)
    return {
        "pupils": pupils,
        "pupils_delayed": rng.binomial(pupils, np.clip(0.18 * np.exp(0.3 * c.need), 0.05, 0.6)),
        "pupils_language_support": rng.binomial(pupils, language),
        "early_leavers": rng.binomial(population_18_24, np.clip(0.07 * np.exp(0.35 * c.need), 0.01, 0.4)),
        "population_18_24": population_18_24,
    }


def schools_csv(model: SampleModel, year: int) -> bytes:
    vintage = map_for_year(year)
    geo = map_geography(vintage)
    counts = {m: geo.aggregate(v) for m, v in school_counts(model, year).items()}
    german = german_speaking_communes()
    lines = [",".join(("nis_code", "map_vintage", "year", *SCHOOL_MEASURES))]
    for i, code in enumerate(geo.codes):
        cells = []
        for measure in SCHOOL_MEASURES:
            value = int(counts[measure][i])
            if measure == "pupils_language_support" and code in german:
                cells.append("")
            else:
                cells.append("x" if value < SMALL else str(value))
        lines.append(",".join((code, str(vintage), str(year), *cells)))
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_schools(model: SampleModel, out_dir: Path) -> list[Path]:
    paths = []
    for year in school_years(model.first_year, model.last_year):
        path = out_dir / f"schools_{year}.csv"
        path.write_bytes(schools_csv(model, year))
        paths.append(path)
    return paths
