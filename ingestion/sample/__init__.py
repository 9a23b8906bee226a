"""The embedded sample: synthetic files in the publishers' real layouts, reproducible from a seed.

:func:`generate_sample` writes every file the catalog marks ``sample: true`` (recognised by their
content, ingestion/recognise.py), plus ``README_SAMPLE.txt``. All files are cut from one latent world
(:mod:`ingestion.sample.model`), generated on the 589-commune map and aggregated forward, so the
same commune tells the same story in every file. The same seed and years give byte-identical
files. Like the real files, they do not line up: each dataset has its publisher's lag and map,
one schools delivery is missing, and two Swing exports cover Flanders and Brussels only
(:mod:`ingestion.sample.years`, :mod:`ingestion.sample.swing`). These are NOT official statistics.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from ingestion.files import sha256_of
from ingestion.sample.income import write_income
from ingestion.sample.labour import write_labour
from ingestion.sample.model import build_model
from ingestion.sample.movement import write_movement
from ingestion.sample.population import write_population
from ingestion.sample.readme import readme_text
from ingestion.sample.real_estate import write_real_estate
from ingestion.sample.schools import write_schools
from ingestion.sample.swing import write_swing

DEFAULT_SEED = 20250101
README_NAME = "README_SAMPLE.txt"
# Files of one year each: those of other years left by an earlier run are removed, so that the
# folder holds one sample only.
_YEARLY_NAMES = re.compile(r"^(TF_SOC_POP_STRUCT_\d{4}\.zip|employment_counts_\d{4}\.csv|schools_\d{4}\.csv)$")
_EARLIEST_YEAR = 1994  # the movement workbook starts two years earlier, in 1992 as the real one


@dataclass(frozen=True)
class SampleFile:
    name: str
    size: int  # bytes
    sha256: str


@dataclass(frozen=True)
class SampleReport:
    out_dir: Path
    seed: int
    first_year: int
    last_year: int
    files: tuple[SampleFile, ...]  # by name
    seconds: float


def generate_sample(
    out_dir: Path, *, seed: int = DEFAULT_SEED, first_year: int = 2019, last_year: int = 2025
) -> SampleReport:
    """Write the synthetic sample for ``first_year..last_year`` into ``out_dir`` (created if needed).

    Each file ends where its publisher's lag puts it relative to ``last_year`` (income two years
    earlier; annual real estate, employment counts and the Swing exports one year earlier; the
    quarterly real estate at ``last_year`` Q1; the rest at ``last_year``). Files start at
    ``first_year``, the real-estate files a year earlier and the movement workbook and the
    newcomers two years earlier, as the index needs (3-year sums, year-on-year changes). The
    schools file of the middle year is missing. See :mod:`ingestion.sample.years`.
    """
    if not _EARLIEST_YEAR <= first_year <= last_year <= 2099:
        raise ValueError(
            f"sample years {first_year}..{last_year}: expected {_EARLIEST_YEAR} <= first_year <= last_year <= 2099"
        )
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = build_model(seed, first_year, last_year)
    written = [
        *write_population(model, out_dir),
        *write_income(model, out_dir),
        *write_real_estate(model, out_dir),
        *write_movement(model, out_dir),
        *write_labour(model, out_dir),
        *write_schools(model, out_dir),
        *write_swing(model, out_dir),
    ]
    readme = out_dir / README_NAME
    readme.write_text(readme_text(seed, first_year, last_year, sorted(p.name for p in written)), encoding="utf-8")
    written.append(readme)
    names = {p.name for p in written}
    for stale in out_dir.iterdir():
        if stale.is_file() and _YEARLY_NAMES.match(stale.name) and stale.name not in names:
            stale.unlink()
    files = tuple(
        SampleFile(name=path.name, size=path.stat().st_size, sha256=sha256_of(path))
        for path in sorted(written, key=lambda path: path.name)
    )
    return SampleReport(
        out_dir=out_dir,
        seed=seed,
        first_year=first_year,
        last_year=last_year,
        files=files,
        seconds=time.perf_counter() - started,
    )
