"""A release's exports beside its DuckDB file, for readers without DuckDB: every table as Parquet
(the published contract, unchanged) and as CSV for spreadsheets (UTF-8 with a byte-order mark,
comma-separated, the commune's French and Dutch names beside its code), and the fund committee's
workbook. No Dagster here."""

from __future__ import annotations

from pathlib import Path

import duckdb

from publish.committee import FUND_TABLES, add_byte_order_mark, export_release_workbook


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every table's columns in order (one query for the thirty tables)."""
    found: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns order by table_name, ordinal_position"
    ).fetchall():
        found.setdefault(table, []).append(column)
    return found


def _csv_query(table: str, columns: list[str]) -> str:
    """The table, with the commune's names right after its code when it has one, its rows sorted
    on every column from the first: a table's stored order (and a join's) varied from run to
    run, so two releases' CSVs differed where their content did not."""
    if "nis_code" not in columns or table == "communes":
        return f'select * from "{table}" order by all'
    rest = ", ".join(f't."{c}"' for c in columns if c != "nis_code")
    return (
        f'select t.nis_code, c.name_fr as commune_fr, c.name_nl as commune_nl{", " + rest if rest else ""} '
        f'from "{table}" t left join communes c using (nis_code) order by all'
    )


def write_exports(database: Path, directory: Path, tables: list[str]) -> None:
    (directory / "parquet").mkdir(parents=True)
    (directory / "csv").mkdir(parents=True)
    with duckdb.connect(str(database), read_only=True) as con:
        has_communes = "communes" in tables
        columns = _columns(con) if has_communes else {}
        for table in tables:
            parquet = directory / "parquet" / f"{table}.parquet"
            csv = directory / "csv" / f"{table}.csv"
            con.execute(f"COPY \"{table}\" TO '{parquet}' (FORMAT parquet)")
            query = _csv_query(table, columns.get(table, [])) if has_communes else f'select * from "{table}" order by all'
            con.execute(f"COPY ({query}) TO '{csv}' (FORMAT csv, HEADER)")
            add_byte_order_mark(csv)
    if set(FUND_TABLES) <= set(tables):
        export_release_workbook(database, directory / "committee")
