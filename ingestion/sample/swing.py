"""Synthetic Swing exports of provincies.incijfers.be: files that cover Flanders and Brussels only.

SOURCES.md 10.0, 10.2 and 10.3. Swing's CSV flavour, as in the real exports: `;` separator, text
double-quoted (markers too: `"-"` no value, `"x"` suppressed, `"?"` missing), numbers unquoted
with a decimal comma, UTF-8 without BOM, LF line ends and a final newline. Communes are named by
their Dutch name on the 2025 map, restated over the whole history, as the exports are.

- `nieuwkomers - gemeenten.csv`, wide: one column ``nieuwkomers|YYYY`` per year
  ``first_year - 2 .. last_year - 1`` (the real export runs 2014-2024: a year behind), one row per
  commune of Flanders and Brussels in alphabetical order, then the four pseudo-areas. Adult
  foreign newcomers are a Flemish measure: Brussels communes and pseudo-areas are `"-"`. Counts
  are a stable share of each commune's international immigrations of the movement workbook.
- `thuistaal leerlingen - gemeenten.csv`, long: a NIS column, the name, the year
  ``first_year .. last_year - 1`` and the share of primary pupils who do not speak Dutch at home
  (percent points, one decimal), derived from the language-support counts of the schools files;
  then a blank line and Swing's footer ``"Geen selecties"``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from ingestion import geography
from ingestion.sample.geo import map_geography
from ingestion.sample.model import SampleModel, stream
from ingestion.sample.schools import school_counts
from ingestion.sample.years import NEWCOMERS_LEAD, SWING_LAG, lagged_years

NEWCOMERS_FILE = "nieuwkomers - gemeenten.csv"
HOME_LANGUAGE_FILE = "thuistaal leerlingen - gemeenten.csv"
NEWCOMERS_LABEL = "nieuwkomers"
HOME_LANGUAGE_LABEL = "leerlingen basisonderwijs die thuis geen Nederlands spreken (t.o.v. lln bo) - WP"
SWING_MAP = 565
FLANDERS, BRUSSELS = "02000", "04000"
# PinC's pseudo-areas, always the last rows of a commune export (SOURCES.md 10.0).
PSEUDO_AREAS: tuple[str, ...] = (
    "Buiten Vlaanderen en Brussel", "Niet te lokaliseren", "Niet te lokaliseren - Brussel",
    "Niet te lokaliseren - Vlaanderen",
)
NO_VALUE = '"-"'
SUPPRESSED = '"x"'
FOOTER = '"Geen selecties"'
# Adults with a residence right of more than 3 months among all international immigrations
# (minors, short stays and returning Belgians are not newcomers); fixed per commune.
NEWCOMER_SHARE = (0.55, 0.70)
# Privacy: in communes this small, a count of 1-4 is sometimes hidden (`x`), in a year or two.
TINY_COMMUNE = 3_000
HIDDEN_SMALL_COUNT = 0.35
# Brussels' Dutch-language schools draw many families who speak French or another language at
# home: the home-language share there is well above what language support alone suggests.
BRUSSELS_HOME_LANGUAGE = 0.10


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def decimal_comma(value: float, decimals: int = 1) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


@cache
def swing_communes() -> tuple[tuple[str, str, str], ...]:
    """(NIS code, Dutch name, region) of every commune of Flanders and Brussels on the 565 map,
    in the exports' order: alphabetical by Dutch name, the two regions together."""
    frame = geography.communes_565()
    rows = [
        (code, name, region)
        for code, name, region in zip(frame["nis_code"], frame["name_nl"], frame["region_code"], strict=True)
        if region in (FLANDERS, BRUSSELS)
    ]
    return tuple(sorted(rows, key=lambda row: row[1]))


def _positions() -> list[int]:
    """Each Swing commune's row in the 565 map's arrays."""
    index = {code: i for i, code in enumerate(map_geography(SWING_MAP).codes)}
    return [index[code] for code, _, _ in swing_communes()]


def newcomers_years(model: SampleModel) -> range:
    return lagged_years(model.first_year, model.last_year, lag=SWING_LAG, lead=NEWCOMERS_LEAD)


def home_language_years(model: SampleModel) -> range:
    return lagged_years(model.first_year, model.last_year, lag=SWING_LAG)


def newcomer_counts(model: SampleModel, year: int) -> np.ndarray:
    """Adult foreign newcomers per base commune: a commune's fixed share of its immigrations."""
    n = len(model.communes.codes)
    share = stream(model.seed, "newcomers-share").uniform(*NEWCOMER_SHARE, size=n)
    return stream(model.seed, "newcomers", year).binomial(model.flows[year]["immigrations"], share)


def newcomers_csv(model: SampleModel) -> bytes:
    geo = map_geography(SWING_MAP)
    years = list(newcomers_years(model))
    positions = _positions()
    counts = np.stack([geo.aggregate(newcomer_counts(model, y)) for y in years], axis=1)[positions]
    residents = geo.aggregate(model.population[years[-1]])[positions]
    draws = stream(model.seed, "newcomers-hidden").random(counts.shape)
    hidden = (residents[:, None] < TINY_COMMUNE) & (counts >= 1) & (counts <= 4) & (draws < HIDDEN_SMALL_COUNT)
    header = [quoted("gemeenten"), *(quoted(f"{NEWCOMERS_LABEL}|{year}") for year in years)]
    lines = [";".join(header)]
    for (_, name, region), row, secret in zip(swing_communes(), counts.tolist(), hidden.tolist(), strict=True):
        if region == BRUSSELS:  # a Flemish measure: Brussels has no value, never 0
            cells = [NO_VALUE] * len(years)
        else:
            cells = [SUPPRESSED if s else str(v) for v, s in zip(row, secret, strict=True)]
        lines.append(";".join((quoted(name), *cells)))
    lines.extend(";".join((quoted(name), *[NO_VALUE] * len(years))) for name in PSEUDO_AREAS)
    return ("\n".join(lines) + "\n").encode("utf-8")


def home_language_share(support: np.ndarray, pupils: np.ndarray, brussels: np.ndarray) -> np.ndarray:
    """Share of pupils not speaking Dutch at home, from the pupils needing language support: more
    children speak another language at home than need support (1 - (1 - s)^2), more so in
    Brussels' Dutch-language schools."""
    support_share = support / np.maximum(pupils, 1)
    return np.clip(1 - (1 - support_share) ** 2 + BRUSSELS_HOME_LANGUAGE * brussels, 0.0, 0.98)


def home_language_csv(model: SampleModel) -> bytes:
    geo = map_geography(SWING_MAP)
    positions = _positions()
    communes = swing_communes()
    brussels = np.array([region == BRUSSELS for _, _, region in communes])
    shares = {}
    for year in home_language_years(model):
        counts = school_counts(model, year)
        support = geo.aggregate(counts["pupils_language_support"])[positions]
        shares[year] = home_language_share(support, geo.aggregate(counts["pupils"])[positions], brussels)
    header = ("NIS", "gemeenten", "jaar", HOME_LANGUAGE_LABEL)
    lines = [";".join(quoted(h) for h in header)]
    for i, (code, name, _) in enumerate(communes):
        lines.extend(
            f"{quoted(code)};{quoted(name)};{year};{decimal_comma(100 * share[i])}" for year, share in shares.items()
        )
    lines += ["", FOOTER]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_swing(model: SampleModel, out_dir: Path) -> list[Path]:
    newcomers, home_language = out_dir / NEWCOMERS_FILE, out_dir / HOME_LANGUAGE_FILE
    newcomers.write_bytes(newcomers_csv(model))
    home_language.write_bytes(home_language_csv(model))
    return [newcomers, home_language]
