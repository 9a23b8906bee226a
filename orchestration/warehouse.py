"""Writing frames into the working database (idempotent: a table is replaced whole)."""

from __future__ import annotations

import duckdb
import pandas as pd


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame) -> None:
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    con.register("incoming_frame", frame)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM incoming_frame')
    finally:
        con.unregister("incoming_frame")


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    return con.execute(f'SELECT * FROM "{schema}"."{table}"').df()
