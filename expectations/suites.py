"""Raw-data contracts: what every dataset's canonical table must satisfy before dbt reads it.

A suite is built per dataset and per validation, because commune coverage depends on which
maps and periods the table holds (each period is checked against the commune list of the map its
file declares). Great Expectations is imported lazily (it takes seconds to import).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ingestion.canonical import RAW_COLUMNS, STATUSES
from ingestion.geography import map_codes
from ingestion.reference import measures_by_dataset



@dataclass(frozen=True)
class RangeRule:
    """Values of the measures with ``unit`` (optionally excluding some) must lie in [low, high]."""

    unit: str
    low: float | None
    high: float | None
    exclude: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class DatasetContract:
    dataset: str
    ranges: tuple[RangeRule, ...]
    # Files the catalog declares national (coverage): every commune of the declared map must be
    # present in every period. Regional files (Flemish exports) are reported, not gated, on coverage.
    national_file_ids: frozenset[str] | None = None  # None: every file is national
    key: tuple[str, ...] = ("file_id", "nis_code", "period", "measure")
    measures: frozenset[str] = field(default_factory=frozenset)


_COUNT_UNITS = ("persons", "declarations", "transactions", "pupils")
_COMMON_RANGES: tuple[RangeRule, ...] = tuple(
    RangeRule(unit, 0, None, why="counts are never negative") for unit in _COUNT_UNITS
) + (
    RangeRule("share", 0, 1, why="a share lies within 0-1"),
    RangeRule("percent", 0, 100, why="a percentage lies within 0-100"),
    # No upper bound: a rate per 1,000 of a small group exceeds 1,000 (Damme 2016: 2,596.6 non-EU
    # newcomers per 1,000 non-EU adults).
    RangeRule("per_1000", 0, None, why="a rate per 1,000 is never negative"),
)

# Ranges beyond the common ones, for the datasets that need them (the dataset list is the catalog's).
_SPECIFIC: dict[str, tuple[RangeRule, ...]] = {
    "statbel_income": (
        RangeRule("EUR", 0, None, why="incomes are not negative"),
        RangeRule("index", 0, 1000, why="prosperity index around 100"),
    ),
    "statbel_real_estate": (RangeRule("EUR", 5_000, 20_000_000, why="plausible sale prices"),),
}
# Balances may be negative: they are exempt from the count rule.
_SIGNED_MEASURES = ("international_net",)


def national_file_ids(dataset: str) -> frozenset[str]:
    """The files of ``dataset`` the catalog declares national (``coverage``). The others (exports
    of provincies.incijfers.be cover Flanders and Brussels) have their coverage gaps reported per
    file and year, not gated: never filled silently, never blocking either."""
    from ingestion.catalog import load_catalog

    return frozenset(f.id for f in load_catalog().dataset(dataset).files if f.national)


def coverage_gaps(coverage: pd.DataFrame) -> list[str]:
    """One line per file, period and map where communes of the map are absent."""
    lines = []
    for (file_id, vintage, period), group in coverage.groupby(["file_id", "map_vintage", "period"], sort=True):
        expected = map_codes(int(vintage))
        absent = expected - set(group["nis_code"])
        if absent:
            lines.append(f"{file_id} {period}: {len(absent)} of {len(expected)} communes absent (e.g. {', '.join(sorted(absent)[:3])})")
    return lines


def contract_for(dataset: str) -> DatasetContract:
    from ingestion.load import RAW_DATASETS

    if dataset not in RAW_DATASETS:
        raise KeyError(f"no raw-data contract for dataset {dataset!r}: not a raw dataset of the catalog {list(RAW_DATASETS)}")
    ranges = tuple(
        RangeRule(r.unit, r.low, r.high, exclude=_SIGNED_MEASURES, why=r.why) if r.unit == "persons" else r
        for r in _COMMON_RANGES
    ) + _SPECIFIC.get(dataset, ())
    return DatasetContract(
        dataset=dataset,
        ranges=ranges,
        national_file_ids=national_file_ids(dataset),
        measures=measures_by_dataset().get(dataset, frozenset()),
    )


def _quote(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def build_expectations(contract: DatasetContract) -> list:
    """Row-level expectations on a dataset's raw canonical table."""
    import great_expectations as gx

    e = gx.expectations
    expectations: list = [
        e.ExpectTableColumnsToMatchSet(column_set=list(RAW_COLUMNS), exact_match=True),
        e.ExpectTableRowCountToBeBetween(min_value=1),
        e.ExpectColumnValuesToMatchRegex(column="nis_code", regex=r"^\d{5}$"),
        e.ExpectColumnValuesToBeInSet(column="map_vintage", value_set=[589, 581, 565]),
        e.ExpectColumnValuesToMatchRegex(column="period", regex=r"^\d{4}(?:Q[1-4])?$"),
        e.ExpectColumnValuesToBeInSet(column="status", value_set=sorted(STATUSES)),
        e.ExpectColumnValuesToBeInSet(column="dataset", value_set=[contract.dataset]),
        e.ExpectCompoundColumnsToBeUnique(column_list=list(contract.key)),
        e.ExpectColumnValuesToNotBeNull(column="file_sha256"),
        # A published cell has a number; a suppressed one has none (never a 0 stand-in).
        e.ExpectColumnValuesToNotBeNull(
            column="value", row_condition='status=="published"', condition_parser="pandas"
        ),
        e.ExpectColumnValuesToBeNull(
            column="value",
            row_condition='status in ["suppressed", "missing", "no_value", "not_applicable"]',
            condition_parser="pandas",
        ),
    ]
    if contract.measures:
        expectations.append(e.ExpectColumnValuesToBeInSet(column="measure", value_set=sorted(contract.measures)))
    for rule in contract.ranges:
        condition = f"unit=={_quote(rule.unit)}"
        if rule.exclude:
            condition += " and measure not in [" + ", ".join(_quote(m) for m in rule.exclude) + "]"
        expectations.append(
            e.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=rule.low,
                max_value=rule.high,
                row_condition=condition,
                condition_parser="pandas",
            )
        )
    return expectations


COVERAGE_COLUMNS: tuple[str, ...] = ("file_id", "map_vintage", "period", "nis_code")


def coverage_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per file, map, period and commune: coverage is checked on this much smaller frame
    (a quarterly workbook has 16 measures per commune and quarter)."""
    return frame[list(COVERAGE_COLUMNS)].drop_duplicates().reset_index(drop=True)


def coverage_condition(file_id: str, period: str, map_vintage: int) -> str:
    """The row condition of one file, period and map's coverage expectation."""
    return f"file_id=={_quote(file_id)} and period=={_quote(period)} and map_vintage=={map_vintage}"


def coverage_differences(
    coverage: pd.DataFrame, national_file_ids: frozenset[str] | None = None
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Per coverage condition (file, period, map), the communes of the map that are missing and the
    codes that are not communes of the map (unexpected), each listed in full. With
    ``national_file_ids``, only those files (regional exports are reported as gaps, not gated)."""
    out = {}
    for (file_id, vintage, period), group in coverage.groupby(["file_id", "map_vintage", "period"], sort=True):
        if national_file_ids is not None and file_id not in national_file_ids:
            continue
        expected, present = map_codes(int(vintage)), set(group["nis_code"])
        out[coverage_condition(str(file_id), str(period), int(vintage))] = (
            tuple(sorted(expected - present)), tuple(sorted(present - expected))
        )
    return out
