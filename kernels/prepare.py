"""Check the frames the index stage passes in and pivot them to one matrix per year.

Input frames (extra columns are ignored):
- ``indicators``: one row per commune x year x indicator, columns ``nis_code``, ``year``,
  ``indicator``, ``value`` and, optionally, ``numerator`` and ``denominator`` (needed to smooth
  a rate). A missing value is NaN or an absent row, never 0.
- ``communes``: the map, one row per commune: ``nis_code``, ``arrondissement_code``. Every commune
  of this frame is a row of the matrices, so coverage is measured against the whole map.
- ``population`` (optional): ``nis_code``, ``year``, ``population``; used to decide which
  communes are small enough to smooth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernels.methodology import Methodology


class IndexInputError(ValueError):
    """A frame passed to the index kernel does not have the expected shape or content."""

    def __init__(self, frame: str, problem: str) -> None:
        self.frame = frame
        self.problem = problem
        super().__init__(f"cohesion index input {frame!r}: {problem}")


@dataclass(frozen=True)
class YearData:
    """One year's inputs, aligned: rows are the map's communes, columns the methodology's indicators."""

    year: int
    nis_codes: np.ndarray  # (N,) str
    arrondissements: np.ndarray  # (N,) str
    population: np.ndarray  # (N,) float, NaN when unknown
    indicators: tuple[str, ...]  # (J,)
    values: np.ndarray  # (N, J) float, NaN = missing
    numerators: np.ndarray  # (N, J)
    denominators: np.ndarray  # (N, J)


def prepare_years(
    indicators: pd.DataFrame,
    communes: pd.DataFrame,
    methodology: Methodology,
    population: pd.DataFrame | None = None,
) -> dict[int, YearData]:
    """Validate the inputs and return one YearData per year present in ``indicators`` (an edition
    year: the values may describe earlier reference periods, see ``editions``)."""
    _require(indicators, "indicators", ["nis_code", "year", "indicator", "value"])
    _require(communes, "communes", ["nis_code", "arrondissement_code"])
    codes = communes["nis_code"].astype(str).to_numpy()
    dup = pd.Series(codes).duplicated()
    if dup.any():
        raise IndexInputError("communes", f"nis_code {codes[dup.to_numpy()][0]!r} appears more than once")
    if communes["arrondissement_code"].isna().any():
        bad = codes[communes["arrondissement_code"].isna().to_numpy()][:5]
        raise IndexInputError("communes", f"no arrondissement_code for nis_code(s) {list(bad)}")
    arrondissements = communes["arrondissement_code"].astype(str).to_numpy()

    wanted = methodology.indicator_ids
    frame = indicators.copy()
    frame["nis_code"] = frame["nis_code"].astype(str)
    frame["indicator"] = frame["indicator"].astype(str)
    frame = frame[frame["indicator"].isin(wanted)]
    # An indicator of the methodology without any row is not an error: editions leave out what the
    # files do not support (and publish why); here it is a column with no value, which screening drops.
    try:
        frame["year"] = pd.to_numeric(frame["year"], errors="raise").astype(int)
        for col in ("value", "numerator", "denominator"):
            if col in frame:
                frame[col] = pd.to_numeric(frame[col], errors="raise").astype(float)
    except (ValueError, TypeError) as exc:
        raise IndexInputError("indicators", f"non-numeric year, value, numerator or denominator ({exc})") from None
    # The distinct codes first: a set of every row's code iterates an Arrow column value by value.
    unknown = sorted(set(frame["nis_code"].unique()) - set(codes))
    if unknown:
        raise IndexInputError(
            "indicators", f"{len(unknown)} nis_code(s) not on the communes map, e.g. {unknown[:5]}"
        )
    keys = ["nis_code", "year", "indicator"]
    dups = frame.duplicated(keys)
    if dups.any():
        first = frame.loc[dups, keys].iloc[0].to_dict()
        raise IndexInputError("indicators", f"{int(dups.sum())} duplicate row(s) for the same key, e.g. {first}")
    for col in ("numerator", "denominator"):
        if col not in frame:
            frame[col] = np.nan
    pop_lookup = _population(population, codes)

    row_of = pd.Series(np.arange(len(codes)), index=codes)
    col_of = pd.Series(np.arange(len(wanted)), index=list(wanted))
    out: dict[int, YearData] = {}
    for year, part in frame.groupby("year", sort=True):
        rows = row_of.loc[part["nis_code"].to_numpy()].to_numpy()
        cols = col_of.loc[part["indicator"].to_numpy()].to_numpy()
        mats = []
        for col in ("value", "numerator", "denominator"):
            m = np.full((len(codes), len(wanted)), np.nan)
            m[rows, cols] = part[col].to_numpy(dtype=float)
            mats.append(m)
        out[int(year)] = YearData(
            year=int(year),
            nis_codes=codes,
            arrondissements=arrondissements,
            population=pop_lookup(int(year)),
            indicators=tuple(wanted),
            values=mats[0],
            numerators=mats[1],
            denominators=mats[2],
        )
    return out


def _require(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise IndexInputError(name, f"expected a pandas DataFrame, found {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise IndexInputError(name, f"missing column(s) {missing}; found {list(frame.columns)}")


def _population(population: pd.DataFrame | None, codes: np.ndarray):
    if population is None:
        return lambda year: np.full(len(codes), np.nan)
    _require(population, "population", ["nis_code", "year", "population"])
    codes_of = population["nis_code"].astype(str).to_numpy(dtype=object)
    years_of = pd.to_numeric(population["year"]).to_numpy()
    people = pd.to_numeric(population["population"]).to_numpy(dtype=float)
    position = pd.Series(np.arange(len(codes), dtype=float), index=pd.Index(codes.astype(object), dtype=object))
    rows_of = position.reindex(codes_of).to_numpy()

    def lookup(year: int) -> np.ndarray:
        out = np.full(len(codes), np.nan)
        hit = (years_of == year) & ~np.isnan(rows_of)
        out[rows_of[hit].astype(int)] = people[hit]
        return out

    return lookup
