"""Writing frames into the working database (idempotent: a table is replaced whole)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa


def replace_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame) -> None:
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    con.register("incoming_frame", frame)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM incoming_frame')
    finally:
        con.unregister("incoming_frame")


def replace_tables(con: duckdb.DuckDBPyConnection, schema: str, frames: dict[str, pd.DataFrame]) -> None:
    """Replace every table of a stage in one transaction: a failure leaves the previous run's
    tables, never half of each run's."""
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frame in frames.items():
            con.register("incoming_frame", _scannable(frame))
            try:
                con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM incoming_frame')
            finally:
                con.unregister("incoming_frame")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _scannable(frame: pd.DataFrame) -> pd.DataFrame | pa.Table:
    """The frame as DuckDB scans it fastest: a frame with a column of numpy arrays (the index's
    Monte Carlo ranks, 1,000 per row) goes as an Arrow table, that column as one list array:
    DuckDB converts such a pandas column value by value, several times slower. The table is the
    same (the list column becomes the same LIST type). Other frames go as they are."""
    lists = [c for c in frame.columns if frame[c].dtype == object and _holds_arrays(frame[c])]
    simple = all(
        c in lists or pd.api.types.is_string_dtype(frame[c].dtype) and frame[c].dtype != object
        or (isinstance(frame[c].dtype, np.dtype) and frame[c].dtype.kind in "biuf")
        for c in frame.columns
    )
    if not lists or not simple:
        return frame
    columns = {}
    for c in frame.columns:
        if c in lists:
            values = frame[c].tolist()
            offsets = np.concatenate([[0], np.cumsum([len(v) for v in values])]).astype(np.int64)
            columns[c] = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(np.concatenate(values)))
        else:
            columns[c] = pa.array(frame[c])
    return pa.table(columns)


def _holds_arrays(column: pd.Series) -> bool:
    """Whether every value is a 1-D numpy array of one dtype (none missing)."""
    values = column.tolist()
    if not values or not all(isinstance(v, np.ndarray) and v.ndim == 1 for v in values):
        return False
    return len({v.dtype for v in values}) == 1


def replace_rows(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame, *, column: str, values: list[str]
) -> None:
    """Replace the rows whose ``column`` is one of ``values`` by ``frame``, in one transaction
    (a partitioned load: the other partitions' rows stay). Creates the table on first use."""
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    con.register("incoming_frame", frame)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(f'CREATE TABLE IF NOT EXISTS "{schema}"."{table}" AS SELECT * FROM incoming_frame LIMIT 0')
        con.execute(f'DELETE FROM "{schema}"."{table}" WHERE "{column}" IN (SELECT unnest(?::VARCHAR[]))', [values])
        con.execute(f'INSERT INTO "{schema}"."{table}" BY NAME SELECT * FROM incoming_frame')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("incoming_frame")


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    return con.execute(f'SELECT * FROM "{schema}"."{table}"').df()


# Arrow types whose pandas columns are those DuckDB's .df() makes (str, int16, float64), as long as
# an integer column has no NULL (.df() makes it Int16) and a text column is not all NULL (object).
_ARROW_AS_DF = (pa.string(), pa.large_string(), pa.int16(), pa.float64())


def read_raw_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    """:func:`read_table` for a raw table, through Arrow: the same frame (values and dtypes) in a
    tenth of the time (.df() took 0.7-2 s for the 325,000 rows of a real-estate table). A table
    with another type, or with the NULLs .df() types otherwise, is read by .df() itself."""
    arrow = con.sql(f'SELECT * FROM "{schema}"."{table}"').to_arrow_table()
    usable = arrow.num_rows > 0 and all(
        field.type in _ARROW_AS_DF
        and (column.null_count == 0 if pa.types.is_integer(field.type) else column.null_count < arrow.num_rows)
        for field, column in zip(arrow.schema, arrow.columns, strict=True)
    )
    if not usable:
        return read_table(con, schema, table)
    # One chunk per column: filters take rows from every column, and Arrow takes from one chunk
    # fastest. Each column is joined and its chunks let go before the next: joining them all at
    # once held the table twice (the real files' 687,000 real-estate rows peaked 60 MB higher).
    columns = {}
    for name in arrow.column_names:
        columns[name] = arrow[name].combine_chunks()
        arrow = arrow.drop_columns([name])
    return pa.table(columns).to_pandas()


def replace_years(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame, *, years: list[str], keep: list[str]
) -> None:
    """A yearly dataset's load, in one transaction: the rows of ``years`` (by the year part of
    their vintage: ``2025`` and ``2025+e54404f7`` are both 2025) are replaced by ``frame``, and the
    rows of any year not in ``keep`` (no loadable copy left in the archive) are removed."""
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    con.register("incoming_frame", frame)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(f'CREATE TABLE IF NOT EXISTS "{schema}"."{table}" AS SELECT * FROM incoming_frame LIMIT 0')
        con.execute(
            f'DELETE FROM "{schema}"."{table}" WHERE split_part(vintage, \'+\', 1) IN (SELECT unnest(?::VARCHAR[])) '
            f"OR split_part(vintage, '+', 1) NOT IN (SELECT unnest(?::VARCHAR[]))",
            [years, keep],
        )
        con.execute(f'INSERT INTO "{schema}"."{table}" BY NAME SELECT * FROM incoming_frame')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("incoming_frame")
