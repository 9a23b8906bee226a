"""Coverage: which regions a parsed file has values for, against what the catalog declares.

The catalog's ``coverage`` says which regions a publisher covers (``national`` = all three). A
file declared national with no commune valued in a whole region (a regional extract saved under
the national name, a truncated table) is refused with one line; a regional file's gaps are only
reported (expectations/suites.py).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from ingestion.catalog import FileSpec
from ingestion.errors import CoverageError
from ingestion.geography import ISO_REGIONS, iso_region


def regions_with_values(frame: pd.DataFrame) -> Counter[str]:
    """Per region (ISO 3166-2), how many communes of the frame carry at least one value."""
    valued = frame.loc[frame["value"].notna(), "nis_code"].astype(str).unique()
    return Counter(iso_region(code) for code in valued)


def check_coverage(frame: pd.DataFrame, spec: FileSpec, filename: str) -> Counter[str]:
    """Raise :class:`CoverageError` when a file the catalog declares national has no value in a
    whole region; returns the communes with a value per region."""
    found = regions_with_values(frame)
    if not spec.national:
        return found
    missing = [region for region in ISO_REGIONS if not found.get(region)]
    if missing:
        present = ", ".join(f"{region} ({found[region]} communes)" for region in ISO_REGIONS if found.get(region))
        raise CoverageError(
            f"{spec.dataset}: {filename} covers only {present or 'no region'}; the catalog declares it national "
            f"(every region): missing {', '.join(missing)}"
        )
    return found
