"""Statbel population by commune, sex, nationality, civil status and age (TF_SOC_POP_STRUCT_YYYY).

SOURCES.md section 4.1 describes the file; what the Statbel parsers share is in statbel_common.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.files import sha256_of
from ingestion.filehead import FileHead
from ingestion.parsers.statbel_common import (
    CommuneSelection,
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
    table = text.table([c for c in (code_col, sex_col, nat_col, age_col, pop_col, year_col, civil_col) if c])

    declared = {"file name": year_in_name(path.name, _MEMBER_PREFIX), "zip member name": None, "year argument": year}
    if text.member != file:
        declared["zip member name"] = year_in_name(text.member, _MEMBER_PREFIX)
    # The text (about 100 MB a year) is not kept while the table is summed: the checked path,
    # for a file with a bad cell, reads it again.
    del text
    columns = _Columns(code_col, sex_col, nat_col, age_col, pop_col, year_col, civil_col)
    sums = _sums_of_clean_table(table, columns, declared, dataset=dataset, file=file, map_vintage=map_vintage)
    if sums is None:
        # A cell Statbel would not write: the row-by-row checks below find the first one and name it.
        text = read_statbel_text(path, dataset=dataset, member_prefix=_MEMBER_PREFIX)
        sums = _sums_checked(
            table.to_pandas(), text, columns, declared, dataset=dataset, file=file, map_vintage=map_vintage
        )
    codes, periods, values, selection = sums
    no_gap = np.zeros(len(codes), dtype=bool)
    long = long_rows(codes, periods, {m: (values[m], no_gap) for m in POPULATION_MEASURES}, dataset=dataset)
    source = SourceFile(dataset, str(path), sha256 or sha256_of(path))
    result = make_frame(long, source=source, map_vintage=selection.map_vintage)
    result.attrs["dropped"] = dict(selection.dropped)
    return result


@dataclass(frozen=True)
class _Columns:
    code: str
    sex: str
    nat: str
    age: str
    pop: str
    year: str | None
    civil: str | None

    def keys(self) -> list[str]:
        """The columns whose combination must appear once."""
        return [c for c in (self.code, self.sex, self.nat, self.age, self.civil, self.year) if c]


# Per commune and period: the codes, the periods, each measure's values, and the map selection.
_Sums = tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], CommuneSelection]
# Cells below this add up exactly in float64 however they are summed (see _sums_of_clean_table).
_EXACT = 2**53
_BAND_HIGHS = np.array([high for _, _, high in AGE_BANDS])


def _sums_of_clean_table(
    table: pa.Table, columns: _Columns, declared: Mapping[str, int | None], *, dataset: str, file: str,
    map_vintage: int | None,
) -> _Sums | None:
    """The commune sums straight from the Arrow columns, when every cell is one Statbel writes:
    whole non-negative counts, ages 0..100, known sex and nationality codes, years that agree with
    the declared ones, each combination once, codes of the map. Otherwise None, and
    :func:`_sums_checked` finds the first bad cell and names it (this path never raises).

    Several times faster than the pandas path on a 500,000-row year; the sums are the same:
    integers below 2**53 add up exactly in float64 in any order.
    """
    try:
        population = pc.cast(table[columns.pop], pa.int64()).to_numpy()
        age = pc.cast(table[columns.age], pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        return None  # not plain integers (a decimal point, a letter, a blank): checked row by row
    if population.min() < 0 or population.max() >= _EXACT // max(len(population), 1):
        return None
    if age.min() < 0 or age.max() > 100:
        return None
    if not set(pc.unique(table[columns.sex]).to_pylist()) <= set(_SEXES):
        return None
    if not set(pc.unique(table[columns.nat]).to_pylist()) <= set(_NATIONALITIES):
        return None
    if columns.year is None:
        period_index, period_names = np.zeros(len(population), dtype=np.int64), np.array([None], dtype=object)
        try:
            period_names[0] = _declared_period(declared, dataset=dataset, file=file)
        except ParseError:
            return None
    else:
        period_index, period_names = _encoded(table[columns.year])
        for found in period_names:
            if not re.fullmatch(r"(19|20)[0-9][0-9]", found):
                return None
            try:
                check_declared_year(int(found), declared, dataset=dataset, file=file, found_where=columns.year)
            except ParseError:
                return None
    encoded = {name: _encoded(table[name]) for name in columns.keys() if name != columns.year}
    if columns.year is not None:
        encoded[columns.year] = (period_index, period_names)
    # Each combination once: the combination's position in a mixed-radix number, compared as text
    # as the pandas path compares it (07 and 7 are two ages there too).
    key = np.zeros(len(population), dtype=np.int64)
    radix = 1
    for name in columns.keys():
        index, names = encoded[name]
        radix *= len(names)
        if radix >= 2**62:
            return None
        key = key * len(names) + index
    if radix <= 4 * len(key):  # a fully crossed table fills most of its radix: counting is cheapest
        if np.bincount(key, minlength=radix).max() > 1:
            return None
    else:
        key.sort()
        if (key[1:] == key[:-1]).any():
            return None
    code_index, code_names = encoded[columns.code]
    try:
        selection = select_communes(
            pd.DataFrame({"nis_code": code_names}), code_column="nis_code",
            row_numbers=pd.Series(0, index=range(len(code_names))), dataset=dataset, file=file, map_vintage=map_vintage,
            row_counts=np.bincount(code_index, minlength=len(code_names)),
        )
    except ParseError:
        return None
    periods = len(period_names)
    group = code_index * periods + period_index
    groups = len(code_names) * periods
    weights = population.astype(float)
    rows = np.bincount(group, minlength=groups)
    values = {"population_total": np.bincount(group, weights=weights, minlength=groups)}
    for column, measures in ((columns.nat, _NATIONALITIES), (columns.sex, _SEXES)):
        cells = table[column]
        for code, measure in measures.items():
            chosen = pc.equal(cells, code).combine_chunks().to_numpy(zero_copy_only=False)
            values[measure] = np.bincount(group[chosen], weights=weights[chosen], minlength=groups)
    band = np.searchsorted(_BAND_HIGHS, age)  # ages 0..2 -> band 0, ..., 65..100 -> band 6
    by_band = np.bincount(group * len(AGE_BANDS) + band, weights=weights, minlength=groups * len(AGE_BANDS))
    for position, (measure, _, _) in enumerate(AGE_BANDS):
        values[measure] = by_band[position :: len(AGE_BANDS)]
    kept_codes = np.zeros(len(code_names), dtype=bool)
    kept_codes[selection.rows.index.to_numpy()] = True
    present = np.flatnonzero((rows > 0) & np.repeat(kept_codes, periods))
    return (
        code_names[present // periods],
        period_names[present % periods].astype(str).astype(object),
        {m: v[present] for m, v in values.items()},
        selection,
    )


def _encoded(cells: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell the position of its value among the distinct values (in order of appearance)."""
    encoded = pc.dictionary_encode(cells.combine_chunks())
    return encoded.indices.to_numpy().astype(np.int64), np.array(encoded.dictionary.to_pylist(), dtype=object)


def _sums_checked(
    frame: pd.DataFrame, text, columns: _Columns, declared: Mapping[str, int | None], *, dataset: str, file: str,
    map_vintage: int | None,
) -> _Sums:
    """The sums with every cell checked row by row: a bad cell is a ParseError naming its line."""
    code_col, sex_col, nat_col, age_col, pop_col = columns.code, columns.sex, columns.nat, columns.age, columns.pop
    year_col, civil_col = columns.year, columns.civil
    rows = text.row_numbers(frame)
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
    keys_frame = frame[columns.keys()]
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
    return (
        wide["nis_code"].astype(str).to_numpy(),
        wide["period"].astype(str).to_numpy(),
        {m: wide[m].to_numpy(dtype=float) for m in POPULATION_MEASURES},
        selection,
    )


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
        return pd.Series(_declared_period(declared, dataset=dataset, file=file), index=frame.index)
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


def _declared_period(declared: Mapping[str, int | None], *, dataset: str, file: str) -> str:
    """The period of a file without CD_YEAR: the year its name (or the caller) declares."""
    known = {k: v for k, v in declared.items() if v is not None}
    if not known:
        raise ParseError(
            dataset,
            file,
            "no year: the file has no CD_YEAR column and its name no TF_SOC_POP_STRUCT_YYYY; pass year",
        )
    first_source, first_year = next(iter(known.items()))
    check_declared_year(first_year, known, dataset=dataset, file=file, found_where=f"the {first_source}")
    return str(first_year)


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
