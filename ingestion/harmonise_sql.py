"""A canonical frame moved onto the 565-commune map by the warehouse's own SQL, for the CLI.

``cohesion parse ID FILE --harmonise`` lets a data team check one file before it is loaded. The
frame goes into an in-memory DuckDB as the raw table of its dataset, with the seeds and the 565
communes, and the dbt models run on it as the warehouse runs them (``stg_raw__<dataset>``,
``harmonised_commune_map``, ``harmonised_<dataset>``; rendered by :mod:`ingestion.dbt_sql`).
The rules are the docs block ``harmonised_dataset`` and the macro ``harmonise_to_565``; they are
written there only.

What stands here is what the warehouse checks before dbt runs (one file per period and measure,
every code a commune of its map), said as a :class:`ParseError` naming the file, since a single
file given by hand has not been through the loader and its checks; and the report of what
harmonisation did, counted on the rows the SQL returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ingestion.canonical import CANONICAL_COLUMNS, RAW_EXTRA_COLUMNS, empty_frame
from ingestion.dbt_sql import create_model, dependencies, models
from ingestion.errors import ParseError
from ingestion.geography import CURRENT_MAP, communes_565, map_codes

HARMONISED_COLUMNS: tuple[str, ...] = CANONICAL_COLUMNS + ("flags", "source_map", "sources_expected", "sources_found")
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


def harmonise_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, HarmoniseReport]:
    """Move a canonical frame of one dataset (maps 589, 581 and/or 565) onto the 565 map.

    ``frame`` may also carry the raw tables' ``file_id`` and ``vintage``; without them each
    source file is its own file id. Returns the harmonised frame (the canonical columns with
    ``map_vintage`` 565, plus ``flags``, ``source_map``, ``sources_expected`` and
    ``sources_found``, as in the warehouse) and a report. Raises :class:`ParseError` when the
    frame cannot be harmonised as it stands: a code that is no commune of its map, a commune twice
    in one slice, or one period and measure given on two maps or by two files.
    """
    missing = [c for c in CANONICAL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"not a canonical frame: no column(s) {missing}")
    datasets = sorted(set(frame["dataset"].dropna()))
    if len(datasets) > 1:
        raise ValueError(f"harmonise one dataset at a time, found {', '.join(datasets)}")
    data = frame[list(CANONICAL_COLUMNS)].reset_index(drop=True)
    for column in RAW_EXTRA_COLUMNS:
        data[column] = frame[column].to_numpy() if column in frame.columns else ""
    if "file_id" not in frame.columns:
        data["file_id"] = data["source_file"]
    dropped = dict(frame.attrs.get("dropped", {}))
    rows_in = {int(m): int(n) for m, n in data["map_vintage"].value_counts().items()}
    communes_in = {int(m): int(n) for m, n in data.groupby("map_vintage")["nis_code"].nunique().items()}
    if data.empty:
        out = _typed(pd.DataFrame(columns=list(HARMONISED_COLUMNS)))
        out.attrs["dropped"] = dropped
        return out, HarmoniseReport({}, {}, 0, 0, (), 0, 0, 0, 0, 0, {})

    _check_slices(data)
    _check_codes(data)
    out = _typed(_run_models(data, datasets[0]))
    out.attrs["dropped"] = dropped

    merged = out["sources_expected"] > 1
    report = HarmoniseReport(
        rows_in=rows_in,
        communes_in=communes_in,
        rows_out=len(out),
        communes_out=int(out["nis_code"].nunique()),
        merged_targets=tuple(sorted(set(out.loc[merged, "nis_code"]))),
        # A merged additive cell is the sum when every part is valued, else NULL (never partial).
        summed=int((out["flags"].eq("merged_sum") & out["value"].notna()).sum()),
        withheld=int((out["flags"].eq("merged_sum") & out["value"].isna()).sum()),
        not_additive=int(out["flags"].eq("merged_not_additive").sum()),
        absent_parts=int((out["sources_expected"] - out["sources_found"]).sum()),
        renumbered=int(out["flags"].eq("renumbered").sum()),
        flags={str(k): int(v) for k, v in out["flags"].value_counts().items() if k},
    )
    return out, report


@dataclass(frozen=True)
class _Models:
    """The dbt models a raw dataset goes through: its staging model (which may union several raw
    tables, e.g. population and population totals) and the harmonised model of that entity."""

    staging: str
    harmonised: str
    raw_tables: tuple[str, ...]


@cache
def _models_for(dataset: str) -> _Models:
    # dbt naming (STYLE.md): stg_raw__<entity>, then harmonised_<entity>.
    candidates = [m for m in models("staging") if m.startswith("stg_raw__")]
    staging = [m for m in candidates if ("raw", dataset) in dependencies("staging", m).sources]
    if len(staging) != 1:
        raise ValueError(f"dataset {dataset}: expected one staging model reading raw.{dataset}, found {staging or 'none'}")
    harmonised = "harmonised_" + staging[0].removeprefix("stg_raw__")
    if staging[0] not in dependencies("harmonised", harmonised).refs:
        raise ValueError(f"dataset {dataset}: model {harmonised} does not read {staging[0]}")
    raw = tuple(table for schema, table in dependencies("staging", staging[0]).sources if schema == "raw")
    return _Models(staging[0], harmonised, raw)


def _run_models(data: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The dbt models of ``dataset`` on ``data`` as its raw table, in an in-memory DuckDB."""
    chain = _models_for(dataset)
    with duckdb.connect(":memory:") as connection:
        connection.execute("create schema raw; create schema reference")
        connection.register("frame_rows", data)
        # Views over the frame, not copies (a real-estate file is half a million rows); the
        # staging model's other raw tables are empty.
        for table in chain.raw_tables:
            rows = "" if table == dataset else " limit 0"
            connection.execute(f'create view raw."{table}" as select * from frame_rows{rows}')
        connection.register("communes", communes_565())
        connection.execute("create table reference.communes as select * from communes")
        create_model(connection, "harmonised", chain.harmonised)
        # The warehouse's rows in the canonical shape of the CLI's output (and --out file),
        # through Arrow: DuckDB's own pandas conversion of text columns takes seconds on the
        # half a million rows of the real-estate file.
        rows = connection.sql(
            f"""
            with files as (select distinct source_file, file_sha256 from "{chain.staging}")
            select
                h.dataset, h.nis_code, {CURRENT_MAP} as map_vintage, h.period, h.measure, h.value, h.unit,
                h.status, h.source_file, files.file_sha256, h.flags, h.source_map, h.sources_expected,
                h.sources_found
            from "{chain.harmonised}" as h
            join files on files.source_file = h.source_file
            order by h.nis_code, h.period, h.measure
            """
        ).to_arrow_table()
    return rows.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    # A category column takes the categories of its values (the empty frame's have none).
    dtypes: dict[str, Any] = {
        c: "category" if isinstance(t, pd.CategoricalDtype) else t for c, t in empty_frame().dtypes.items()
    }
    dtypes.update({"flags": "string", "source_map": "int16", "sources_expected": "int32", "sources_found": "int32"})
    return frame[list(HARMONISED_COLUMNS)].astype(dtypes)


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


def _check_codes(data: pd.DataFrame) -> None:
    # The SQL joins each map's communes to the file: a code of no commune would vanish silently.
    codes = data[["map_vintage", "nis_code"]].drop_duplicates()
    unknown = codes[[code not in map_codes(int(m)) for m, code in zip(codes["map_vintage"], codes["nis_code"], strict=True)]]
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
