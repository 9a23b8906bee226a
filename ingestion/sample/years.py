"""Which years each synthetic file holds: the publishers' lags, early starts and one missing delivery.

Real files do not line up (SOURCES.md 0, 5.2, 6.1, 6.2, 10.3): Statbel publishes income about two
years late and the annual real-estate workbook a year late while its quarterly one already has
the first quarter of the current year; the data team's employment counts come a year late; the
Swing exports of provincies.incijfers.be end a year before the current one; population files,
the movement workbook and ONEM's rates are current. The sample reproduces those lags relative to
``last_year``, so that the pipeline's editions (each indicator's latest period within a lag) are
exercised. A dataset starts at ``first_year`` or earlier (``lead``); when its lag leaves it no year
in a short sample, it keeps its last year, so every file is always written.
"""

from __future__ import annotations

# Years behind the sample's last year (``last_year - lag`` is a file's last year).
INCOME_LAG = 2
ANNUAL_REAL_ESTATE_LAG = 1
EMPLOYMENT_COUNTS_LAG = 1
SWING_LAG = 1
# Years before the sample's first year: the index needs year-on-year changes and 3-year sums.
REAL_ESTATE_LEAD = 1
MOVEMENT_LEAD = 2
NEWCOMERS_LEAD = 2
# The quarterly real-estate workbook runs to this quarter of ``last_year`` (real: 2025Q1).
LAST_QUARTER = 1


def lagged_years(first_year: int, last_year: int, *, lag: int = 0, lead: int = 0) -> range:
    """``first_year - lead .. last_year - lag``, or just ``last_year - lag`` when that is earlier."""
    last = last_year - lag
    return range(min(first_year - lead, last), last + 1)


def missing_school_year(first_year: int, last_year: int) -> int | None:
    """The year whose schools delivery is missing: the middle of the range, never its first or
    last year (so a sample of fewer than three years has no gap)."""
    if last_year - first_year < 2:
        return None
    return (first_year + last_year) // 2


def school_years(first_year: int, last_year: int) -> list[int]:
    gap = missing_school_year(first_year, last_year)
    return [year for year in range(first_year, last_year + 1) if year != gap]
