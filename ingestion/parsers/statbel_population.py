"""Statbel population by commune, sex, nationality, civil status and age (TF_SOC_POP_STRUCT_YYYY).

SOURCES.md section 4.1 describes the file; what the Statbel parsers share is in statbel_common.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.files import sha256_of
from ingestion.filehead import FileHead
from ingestion.parsers.statbel_common import (
    check_declared_year,
    long_rows,
    read_statbel_text,
    refuse_first,
    refuse_negative_counts,
    select_communes,
    year_in_name,
)
from ingestion.signature import (
    Signature,
    StatbelHeader,
    Year,
    first_field,
    require_columns,
    statbel_header,
    year_of,
)

# --------------------------------------------------------------------------------------------
# TF_SOC_POP_STRUCT_YYYY
# --------------------------------------------------------------------------------------------

_MEMBER_PREFIX = "TF_SOC_POP_STRUCT"
# Older files (until about 2024) name the commune CD_MUNTY_REFNIS and carry CD_YEAR; newer ones
# (21 columns) name it CD_REFNIS and carry no year (SOURCES.md 4.1).
_CODE_COLUMNS = ("CD_MUNTY_REFNIS", "CD_REFNIS")
_SEXES = {"M": "population_male", "F": "population_female"}
_NATIONALITIES = {"BEL": "population_belgian", "ETR": "population_non_belgian"}
# METHOD.md section 2 needs 0-2 (crèches) and 3-17 (schools); CD_AGE 100 means "100 or more".
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("population_age_00_02", 0, 2),
    ("population_age_03_05", 3, 5),
    ("population_age_06_11", 6, 11),
    ("population_age_12_17", 12, 17),
    ("population_age_18_24", 18, 24),
    ("population_age_25_64", 25, 64),
    ("population_age_65_plus", 65, 100),
)
POPULATION_MEASURES: tuple[str, ...] = (
    "population_total",
    *_NATIONALITIES.values(),
    *_SEXES.values(),
    *(band for band, _, _ in AGE_BANDS),
)


def parse_statbel_pop_struct(
    path: Path,
    *,
    dataset: str,
    sha256: str | None = None,
    year: int | None = None,
    map_vintage: int | None = None,
) -> pd.DataFrame:
    """Residents per commune on 1 January: total, by nationality, sex and age band.

    Sums ``MS_POPULATION`` (the table is fully crossed; absent combinations have nobody). The
    period is ``CD_YEAR`` when the file has it, else the year in the name
    ``TF_SOC_POP_STRUCT_YYYY``, else ``year``; any two of them that disagree are an error.
    """
    path = Path(path)
    text = read_statbel_text(path, dataset=dataset, member_prefix=_MEMBER_PREFIX)
    file = text.file
    expected = "TF_SOC_POP_STRUCT columns"
    code_col, sex_col, nat_col, age_col, pop_col = text.require(
        _CODE_COLUMNS, ("CD_SEX",), ("CD_NATLTY",), ("CD_AGE",), ("MS_POPULATION",), expected=expected
    )
    year_col = "CD_YEAR" if "CD_YEAR" in text.header else None
    civil_col = "CD_CIV_STS" if "CD_CIV_STS" in text.header else None
    frame = text.columns([c for c in (code_col, sex_col, nat_col, age_col, pop_col, year_col, civil_col) if c])
    rows = text.row_numbers(frame)

    declared = {"file name": year_in_name(path.name, _MEMBER_PREFIX), "zip member name": None, "year argument": year}
    if text.member != file:
        declared["zip member name"] = year_in_name(text.member, _MEMBER_PREFIX)
    period = _population_period(frame, year_col, rows, declared, dataset=dataset, file=file)

    population = _whole_numbers(frame[pop_col], rows, dataset=dataset, file=file, column=pop_col)
    refuse_negative_counts(
        population, frame[code_col].to_numpy(), rows, dataset=dataset, file=file, column=pop_col,
        summed_into="the commune's totals by nationality, sex and age",
    )
    age = _whole_numbers(frame[age_col], rows, dataset=dataset, file=file, column=age_col)
    out_of_range = (age < 0) | (age > 100)
    if out_of_range.any():
        first = int(np.flatnonzero(out_of_range)[0])
        raise ParseError(
            dataset, file, f"age {int(age[first])} is outside 0..100", row=int(rows.iloc[first]), column=age_col
        )
    for column, allowed in ((sex_col, _SEXES), (nat_col, _NATIONALITIES)):
        refuse_first(
            ~frame[column].isin(allowed), frame[column], f"one of {sorted(allowed)}", rows=rows, dataset=dataset,
            file=file, column=column,
        )

    # The table is fully crossed, one row per combination: a repeated combination would be summed
    # twice into every total, silently (a commune's population doubled), so it is refused.
    keys_frame = frame[[c for c in (code_col, sex_col, nat_col, age_col, civil_col, year_col) if c]]
    repeated = keys_frame.duplicated(keep="first").to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        combination = ", ".join(f"{c} {keys_frame[c].iloc[first]}" for c in keys_frame.columns)
        raise ParseError(
            dataset, file, f"the combination {combination} appears twice; each must appear once",
            row=int(rows.iloc[first]),
        )
    work = pd.DataFrame(
        {"nis_code": frame[code_col], "period": period, "sex": frame[sex_col], "nat": frame[nat_col], "pop": population}
    )
    work["band"] = pd.cut(
        age,
        bins=[AGE_BANDS[0][1] - 1, *(high for _, _, high in AGE_BANDS)],
        labels=[band for band, _, _ in AGE_BANDS],
    )
    selection = select_communes(
        work,
        code_column="nis_code",
        row_numbers=rows,
        dataset=dataset,
        file=file,
        map_vintage=map_vintage,
        column_label=code_col,
    )
    work = selection.rows
    work = work.assign(nis_code=work["nis_code"].astype("category"), period=work["period"].astype("category"))
    keys = ["nis_code", "period"]
    wide = pd.concat(
        [
            work.groupby(keys, observed=True)["pop"].sum().rename("population_total"),
            work.groupby([*keys, "nat"], observed=True)["pop"].sum().unstack("nat").rename(columns=_NATIONALITIES),
            work.groupby([*keys, "sex"], observed=True)["pop"].sum().unstack("sex").rename(columns=_SEXES),
            work.groupby([*keys, "band"], observed=False)["pop"].sum().unstack("band"),
        ],
        axis=1,
    )
    # A commune with nobody in a category (no foreigners, say) is a true 0: absent rows have nobody.
    wide = wide.dropna(subset=["population_total"]).reindex(columns=list(POPULATION_MEASURES)).fillna(0)
    wide = wide.reset_index()
    no_gap = np.zeros(len(wide), dtype=bool)
    long = long_rows(
        wide["nis_code"].astype(str).to_numpy(),
        wide["period"].astype(str).to_numpy(),
        {m: (wide[m].to_numpy(dtype=float), no_gap) for m in POPULATION_MEASURES},
        dataset=dataset,
    )
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
    result = make_frame(long, source=source, map_vintage=selection.map_vintage)
    result.attrs["dropped"] = dict(selection.dropped)
    return result


def _population_period(
    frame: pd.DataFrame,
    year_col: str | None,
    rows: pd.Series,
    declared: Mapping[str, int | None],
    *,
    dataset: str,
    file: str,
) -> pd.Series:
    if year_col is None:
        known = {k: v for k, v in declared.items() if v is not None}
        if not known:
            raise ParseError(
                dataset,
                file,
                "no year: the file has no CD_YEAR column and its name no TF_SOC_POP_STRUCT_YYYY; pass year",
            )
        first_source, first_year = next(iter(known.items()))
        check_declared_year(first_year, known, dataset=dataset, file=file, found_where=f"the {first_source}")
        return pd.Series(str(first_year), index=frame.index)
    years = frame[year_col]
    refuse_first(
        ~years.str.fullmatch(r"(19|20)\d\d"), years, "a year", rows=rows, dataset=dataset, file=file, column=year_col
    )
    for found in sorted(years.unique()):
        first = int(np.flatnonzero((years == found).to_numpy())[0])
        check_declared_year(
            int(found), declared, dataset=dataset, file=file, found_where=f"{year_col} (row {int(rows.iloc[first])})"
        )
    return years


def _whole_numbers(cells: pd.Series, rows: pd.Series, *, dataset: str, file: str, column: str) -> np.ndarray:
    try:
        values = cells.astype("float64").to_numpy()
    except (TypeError, ValueError):  # slower path that finds the offending cell
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) | (values != np.round(values))
    refuse_first(bad, cells, "a whole number", rows=rows, dataset=dataset, file=file, column=column)
    return values


LAYOUTS = {"statbel_pop_struct": parse_statbel_pop_struct}


# --------------------------------------------------------------------------------------------
# Signature: how a TF_SOC_POP_STRUCT file is told from any other by its content
# --------------------------------------------------------------------------------------------


def _pop_struct_header(head: FileHead) -> StatbelHeader | str:
    header = statbel_header(head, _MEMBER_PREFIX)
    if isinstance(header, str):
        return header
    missing = require_columns(
        header,
        _CODE_COLUMNS,
        ("CD_SEX",),
        ("CD_NATLTY",),
        ("CD_AGE",),
        ("MS_POPULATION",),
        what="a TF_SOC_POP_STRUCT table",
    )
    return missing or header


def _pop_struct_year(head: FileHead) -> tuple[Year, ...]:
    """CD_YEAR of the first data line and the year in the zip member's name, where present."""
    header = _pop_struct_header(head)
    if isinstance(header, str):
        return ()
    found = []
    in_column = year_of(first_field(header, "CD_YEAR") or "")
    if in_column is not None:
        found.append(Year(in_column, "CD_YEAR (row 2)"))
    in_member = year_in_name(header.member, _MEMBER_PREFIX) if header.member else None
    if in_member is not None:
        found.append(Year(in_member, f"the zip member {header.member}"))
    return tuple(found)


def _check_pop_struct(head: FileHead) -> str | None:
    header = _pop_struct_header(head)
    return header if isinstance(header, str) else None


SIGNATURES = {
    "statbel_pop_struct": Signature(kinds=frozenset({"zip", "text"}), check=_check_pop_struct, year=_pop_struct_year)
}
