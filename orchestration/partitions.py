"""Year partitions of the yearly datasets (those the publisher releases as one file per year).

A partition is a year: materialising ``raw/statbel_population`` for 2026 parses only
TF_SOC_POP_STRUCT_2026 and replaces only that year's rows, so a new release or a restated year
costs one file, not the whole series. Datasets with a file that restates every year (a panel, a
workbook of all years) stay unpartitioned and are reloaded whole. Every partitioned dataset
shares one definition (the years the catalog lists), so that a single run can cover them all:
``make run`` runs the range of archived years in one run (single-run backfill policy).
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from ingestion.catalog import Catalog, load_catalog
from ingestion.errors import CohesionError
from ingestion.load import RAW_DATASETS, archived_years
from ingestion.settings import paths

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


def partitioned_datasets(catalog: Catalog | None = None) -> dict[str, tuple[int, ...]]:
    """Dataset -> its partition years, for the raw datasets loaded year by year."""
    catalog = catalog or load_catalog()
    found = {d: catalog.dataset(d).partition_years for d in RAW_DATASETS}
    return {d: years for d, years in found.items() if years}


PARTITIONED: dict[str, tuple[int, ...]] = partitioned_datasets()
YEAR_PARTITIONS: dg.StaticPartitionsDefinition | None = (
    dg.StaticPartitionsDefinition([str(y) for y in sorted({y for ys in PARTITIONED.values() for y in ys})])
    if PARTITIONED
    else None
)


def partitions_for(dataset: str) -> dg.StaticPartitionsDefinition | None:
    return YEAR_PARTITIONS if dataset in PARTITIONED else None


def archived_range() -> tuple[str, str] | None:
    """First and last year archived for any partitioned dataset (None when none is archived)."""
    years = sorted({y for d in PARTITIONED for y in archived_years(d, paths())})
    return (str(years[0]), str(years[-1])) if years else None


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover the partitions ``first``..``last``."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def tags_for_archived_years() -> dict[str, str]:
    """Tags for a run of every archived year (empty without partitions or archived files)."""
    span = archived_range()
    return range_tags(*span) if span else {}


def run_years(tags: Mapping[str, str]) -> tuple[str, ...] | None:
    """The partition years a run covers, from its tags; None for a run without partitions."""
    if YEAR_PARTITIONS is None:
        return None
    keys = YEAR_PARTITIONS.get_partition_keys()
    if PARTITION_TAG in tags:
        return (tags[PARTITION_TAG],)
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        first, last = keys.index(tags[RANGE_START_TAG]), keys.index(tags[RANGE_END_TAG])
        return tuple(keys[first : last + 1])
    return None


def year_span(text: str) -> tuple[str, str]:
    """``2025`` or ``2019..2025`` as (first, last), both partitions of the yearly datasets."""
    described = ", ".join(f"{d} ({ys[0]}..{ys[-1]})" for d, ys in PARTITIONED.items()) or "none"
    if YEAR_PARTITIONS is None:
        raise CohesionError(f"--years: no dataset is loaded by year (yearly datasets: {described})")
    first, _, last = text.partition("..")
    last = last or first
    keys = YEAR_PARTITIONS.get_partition_keys()
    for year in (first, last):
        if year not in keys:
            raise CohesionError(f"--years {text}: {year!r} is not a year of the yearly datasets: {described}")
    if keys.index(first) > keys.index(last):
        raise CohesionError(f"--years {text}: the first year comes after the last")
    return first, last
