"""A canonical frame moved forward onto the 565-commune map, in Python, for the CLI.

The warehouse does this in SQL (dbt macro ``harmonise_to_565``, docs block
``harmonised_dataset``); this module applies the same rules so that a data team can check one
file (``cohesion parse ID FILE --harmonise``) before it is loaded. The rules (DESIGN.md,
"Geography: one map, forward only"):

* every (period, measure) slice of the frame is spread over every commune of its map, so a
  commune absent from the file counts as a *missing* part instead of silently shrinking a sum;
* additive measures (``additive`` in ``dbt_project/seeds/measures.csv``) are summed per 565
  commune; a target is NULL unless every part is there and valued (never a partial sum), and
  takes the worst status of its parts (suppressed > missing > no_value > not_applicable >
  estimated > imputed > published);
* a non-additive measure (median, rate, index) passes through when the target has one source,
  and is NULL with status ``no_value`` and the flag ``merged_not_additive`` when several
  communes merge into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ingestion.canonical import CANONICAL_COLUMNS, empty_frame
from ingestion.errors import ParseError
from ingestion.geography import CURRENT_MAP, crosswalk_to_565

MEASURES_SEED = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "measures.csv"
HARMONISED_COLUMNS: tuple[str, ...] = CANONICAL_COLUMNS + ("flags", "source_map", "sources_expected", "sources_found")

# Worst status first, as in the SQL macro: a hidden part hides the sum, an absent part makes it
# missing. An absent commune ranks as "missing".
_STATUS_RANK: dict[str, int] = {
    "suppressed": 6,
    "missing": 5,
    "no_value": 4,
    "not_applicable": 3,
    "estimated": 2,
    "imputed": 1,
    "published": 0,
}
_ABSENT_RANK = _STATUS_RANK["missing"]
_RANK_STATUS: dict[int, str] = {rank: status for status, rank in _STATUS_RANK.items()}
_SLICE = ["dataset", "period", "measure", "unit", "map_vintage", "source_file", "file_sha256"]


@dataclass(frozen=True)
class HarmoniseReport:
    """What harmonisation did to a frame; every count is of rows (commune x period x measure)."""

    rows_in: dict[int, int]  # map vintage -> rows of the input on that map
    communes_in: dict[int, int]  # map vintage -> distinct communes of the input on that map
    rows_out: int
    communes_out: int
    merged_targets: tuple[str, ...]  # 565 codes that several communes of the input's map(s) merge into
    summed: int  # merged additive cells whose parts were all valued: the sum
    withheld: int  # merged additive cells NULL because a part was suppressed or missing
    not_additive: int  # merged non-additive cells set NULL (flag merged_not_additive)
    absent_parts: int  # (commune, period, measure) parts the file lacks, counted as missing
    renumbered: int  # output rows of a target that only changed code
    flags: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        inputs = ", ".join(
            f"{self.rows_in[m]:,} rows ({self.communes_in[m]} communes) on map {m}" for m in sorted(self.rows_in)
        )
        return [
            f"harmonised onto the {CURRENT_MAP} map: {inputs or 'no rows'} -> "
            f"{self.rows_out:,} rows ({self.communes_out} communes)",
            f"merged targets: {len(self.merged_targets)}"
            + (f" ({', '.join(self.merged_targets)})" if self.merged_targets else ""),
            f"merged cells: {self.summed:,} summed, {self.withheld:,} NULL because a part is suppressed or "
            f"missing, {self.not_additive:,} NULL because the measure is not additive (merged_not_additive)",
            f"parts absent from the file (counted as missing): {self.absent_parts:,}; "
            f"renumbered cells: {self.renumbered:,}",
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_in": {str(m): n for m, n in sorted(self.rows_in.items())},
            "communes_in": {str(m): n for m, n in sorted(self.communes_in.items())},
            "rows_out": self.rows_out,
            "communes_out": self.communes_out,
            "merged_targets": list(self.merged_targets),
            "summed": self.summed,
            "withheld": self.withheld,
            "not_additive": self.not_additive,
            "absent_parts": self.absent_parts,
            "renumbered": self.renumbered,
            "flags": dict(sorted(self.flags.items())),
        }


@cache
def _measures(seed: Path) -> pd.DataFrame:
    return pd.read_csv(seed, dtype=str, keep_default_na=False)


@cache
def additive_measures(dataset: str, seed: Path = MEASURES_SEED) -> frozenset[str]:
    """The measures of ``dataset`` that may be summed over communes (measures.csv, ``additive``)."""
    measures = _measures(seed)
    rows = measures[(measures["dataset"] == dataset) & (measures["additive"].str.lower() == "true")]
    return frozenset(rows["measure"])


def harmonise_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, HarmoniseReport]:
    """Move a canonical frame (maps 589, 581 and/or 565) onto the 565 map.

    Returns the harmonised frame (the canonical columns with ``map_vintage`` 565, plus
    ``flags``, ``source_map``, ``sources_expected`` and ``sources_found``, as in the warehouse)
    and a report. Raises :class:`ParseError` when the frame cannot be harmonised as it stands:
    a code that is no commune of its map, a commune twice in one slice, or one period and
    measure given on two maps or by two files.
    """
    missing = [c for c in CANONICAL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"not a canonical frame: no column(s) {missing}")
    data = frame[list(CANONICAL_COLUMNS)].reset_index(drop=True)
    dropped = dict(frame.attrs.get("dropped", {}))
    rows_in = {int(m): int(n) for m, n in data["map_vintage"].value_counts().items()}
    communes_in = {int(m): int(n) for m, n in data.groupby("map_vintage")["nis_code"].nunique().items()}
    if data.empty:
        out = _typed(pd.DataFrame(columns=list(HARMONISED_COLUMNS)))
        out.attrs["dropped"] = dropped
        return out, HarmoniseReport({}, {}, 0, 0, (), 0, 0, 0, 0, 0, {})

    _check_slices(data)
    crosswalk = pd.concat([crosswalk_to_565(int(m)) for m in sorted(rows_in)], ignore_index=True)
    crosswalk["from_map"] = crosswalk["from_map"].astype("int16")
    _check_codes(data, crosswalk)

    slices = data[_SLICE].drop_duplicates().reset_index(drop=True)
    slices["slice_id"] = np.arange(len(slices))
    # The spine: every commune of the slice's map, whether or not the file has it.
    parts = slices[["slice_id", "dataset", "period", "measure", "map_vintage"]].merge(
        crosswalk, left_on="map_vintage", right_on="from_map"
    )
    found = data[["dataset", "period", "measure", "map_vintage", "nis_code", "value", "status"]]
    parts = parts.merge(
        found,
        left_on=["dataset", "period", "measure", "map_vintage", "from_nis"],
        right_on=["dataset", "period", "measure", "map_vintage", "nis_code"],
        how="left",
    )
    present = parts["nis_code"].notna()
    parts["rank"] = np.where(present, parts["status"].map(_STATUS_RANK).fillna(0), _ABSENT_RANK).astype("int8")
    parts["present"] = present
    parts["valued"] = parts["value"].notna()

    grouped = _aggregate(parts)
    out = grouped.merge(slices, on="slice_id")

    pairs = out[["dataset", "measure"]].drop_duplicates()
    pairs["additive"] = [m in additive_measures(d) for d, m in zip(pairs["dataset"], pairs["measure"], strict=True)]
    additive = out[["dataset", "measure"]].merge(pairs, how="left", on=["dataset", "measure"])["additive"]
    additive.index = out.index
    merged = out["sources_expected"] > 1
    not_additive = merged & ~additive
    complete = out["parts_valued"] == out["sources_expected"]
    out["value"] = out["value_sum"].where(complete & ~not_additive)
    out["status"] = out["rank"].map(_RANK_STATUS).where(~not_additive, "no_value")
    out["flags"] = np.select(
        [not_additive, merged, out["renumbered"]], ["merged_not_additive", "merged_sum", "renumbered"], ""
    )
    out["source_map"] = out["map_vintage"]
    out["map_vintage"] = CURRENT_MAP
    out["nis_code"] = out["to_nis"]
    out = _typed(out[list(HARMONISED_COLUMNS)])
    out = out.sort_values(["nis_code", "period", "measure"], kind="stable").reset_index(drop=True)
    out.attrs["dropped"] = dropped

    merged_additive = merged & additive
    report = HarmoniseReport(
        rows_in=rows_in,
        communes_in=communes_in,
        rows_out=len(out),
        communes_out=int(out["nis_code"].nunique()),
        merged_targets=tuple(sorted(set(out.loc[out["sources_expected"] > 1, "nis_code"]))),
        summed=int((merged_additive & complete).sum()),
        withheld=int((merged_additive & ~complete).sum()),
        not_additive=int(not_additive.sum()),
        absent_parts=int((~present).sum()),
        renumbered=int(out["flags"].eq("renumbered").sum()),
        flags={str(k): int(v) for k, v in out["flags"].value_counts().items() if k},
    )
    return out, report


def _aggregate(parts: pd.DataFrame) -> pd.DataFrame:
    """One row per slice and 565 target: parts expected, found and valued, their sum and worst rank."""
    # Most targets have a single part; only merged targets need a group-by (it is the slow step).
    single = parts[parts["sources_in_target"] == 1]
    alone = pd.DataFrame(
        {
            "slice_id": single["slice_id"],
            "to_nis": single["to_nis"],
            "sources_expected": 1,
            "sources_found": single["present"].astype("int64"),
            "parts_valued": single["valued"].astype("int64"),
            "value_sum": single["value"],
            "rank": single["rank"],
            "renumbered": single["from_nis"] != single["to_nis"],
        }
    )
    merged = (
        parts[parts["sources_in_target"] > 1]
        .groupby(["slice_id", "to_nis"], sort=False)
        .agg(
            sources_expected=("from_nis", "size"),
            sources_found=("present", "sum"),
            parts_valued=("valued", "sum"),
            value_sum=("value", "sum"),
            rank=("rank", "max"),
        )
        .reset_index()
        .assign(renumbered=False)
    )
    return pd.concat([alone, merged], ignore_index=True) if len(merged) else alone.reset_index(drop=True)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    dtypes: dict[str, Any] = empty_frame().dtypes.to_dict()
    dtypes.update({"flags": "string", "source_map": "int16", "sources_expected": "int32", "sources_found": "int32"})
    return frame.astype(dtypes)


def _where(frame: pd.DataFrame) -> tuple[str, str]:
    """Dataset and file name(s) of a frame, for error messages."""
    datasets = sorted(set(frame["dataset"].dropna()))
    files = sorted(set(frame["source_file"].dropna()))
    return ", ".join(datasets) or "?", ", ".join(files) or "?"


def _check_slices(data: pd.DataFrame) -> None:
    # Harmonisation sums the parts of one map; two files or two maps in one slice would mix
    # maps or double count (the warehouse keeps one file per period and measure in staging).
    slices = data[_SLICE].drop_duplicates()
    clash = slices[slices.duplicated(["dataset", "period", "measure"], keep=False)]
    if not clash.empty:
        first = clash.iloc[0]
        both = clash[(clash["period"] == first["period"]) & (clash["measure"] == first["measure"])]
        sources = "; ".join(f"{r.source_file} (map {r.map_vintage}, unit {r.unit})" for r in both.itertuples())
        dataset, files = _where(clash)
        raise ParseError(
            dataset,
            files,
            f"period {first['period']} measure {first['measure']} comes from more than one file, map or unit "
            f"({sources}); harmonise one file at a time",
        )
    duplicated = data.duplicated(["dataset", "period", "measure", "nis_code"], keep=False)
    if duplicated.any():
        row = data[duplicated].iloc[0]
        raise ParseError(
            str(row["dataset"]),
            str(row["source_file"]),
            f"commune {row['nis_code']} appears more than once for period {row['period']} measure {row['measure']}",
            column="nis_code",
        )


def _check_codes(data: pd.DataFrame, crosswalk: pd.DataFrame) -> None:
    known = data[["map_vintage", "nis_code"]].drop_duplicates().merge(
        crosswalk[["from_map", "from_nis"]], left_on=["map_vintage", "nis_code"], right_on=["from_map", "from_nis"],
        how="left",
    )
    unknown = known[known["from_nis"].isna()]
    if not unknown.empty:
        by_map = unknown.groupby("map_vintage")["nis_code"].apply(lambda s: sorted(s)[:10])
        detail = "; ".join(f"map {m}: {', '.join(codes)}" for m, codes in by_map.items())
        dataset, files = _where(data)
        raise ParseError(
            dataset,
            files,
            f"{len(unknown)} code(s) are not communes of the map the frame declares ({detail}); "
            "totals and pseudo codes must be dropped by the parser",
            column="nis_code",
        )
