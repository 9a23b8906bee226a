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
        con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS {_rows_of(frame)}')
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
                con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS {_rows_of(frame)}')
            finally:
                con.unregister("incoming_frame")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _rows_of(frame: pd.DataFrame) -> str:
    """The query reading the registered frame, its text categories as text: DuckDB would make a
    pandas category an ENUM column, and a raw table's columns are VARCHAR whatever the frame held
    (ingestion.canonical.PER_FILE_COLUMNS)."""
    categories = [
        c for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(frame[c].cat.categories)
    ]
    if not categories:
        return "SELECT * FROM incoming_frame"
    casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in categories)
    return f"SELECT * REPLACE ({casts}) FROM incoming_frame"


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
        con.execute(f'CREATE TABLE IF NOT EXISTS "{schema}"."{table}" AS {_rows_of(frame)} LIMIT 0')
        con.execute(f'DELETE FROM "{schema}"."{table}" WHERE "{column}" IN (SELECT unnest(?::VARCHAR[]))', [values])
        con.execute(f'INSERT INTO "{schema}"."{table}" BY NAME {_rows_of(frame)}')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("incoming_frame")


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    return con.execute(f'SELECT * FROM "{schema}"."{table}"').df()


_NULLABLE_INTEGERS = {
    pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
}


def read_raw_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    """A raw table for the checks, with its text columns as categories (pandas Categorical).

    A raw table's text repeats a few values over every row (the dataset, the file's name and
    checksum, the period, the measure, the status): as text, the real files' 687,000 real-estate
    rows took 181 MB in pandas and twice that while read; as categories, about 20 MB. The values
    are those of the table, NULLs included; the checks compare values (in a set, a regex, keys,
    row conditions), never a text column's type. Read a column at a time (a scan without ORDER
    BY keeps the table's order), so that only one column's text is ever held whole."""
    described = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    if not described:
        raise duckdb.CatalogException(f'table "{schema}"."{table}" does not exist')
    columns = {}
    for (name,) in described:
        values = con.sql(f'SELECT "{name}" FROM "{schema}"."{table}"').to_arrow_table()[name].combine_chunks()
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            columns[name] = values.dictionary_encode().to_pandas()
        elif values.type in _NULLABLE_INTEGERS and values.null_count:
            columns[name] = values.to_pandas(types_mapper=_NULLABLE_INTEGERS.get)
        else:
            columns[name] = values.to_pandas()
        del values
    return pd.DataFrame(columns)


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
        con.execute(f'CREATE TABLE IF NOT EXISTS "{schema}"."{table}" AS {_rows_of(frame)} LIMIT 0')
        con.execute(
            f'DELETE FROM "{schema}"."{table}" WHERE split_part(vintage, \'+\', 1) IN (SELECT unnest(?::VARCHAR[])) '
            f"OR split_part(vintage, '+', 1) NOT IN (SELECT unnest(?::VARCHAR[]))",
            [years, keep],
        )
        con.execute(f'INSERT INTO "{schema}"."{table}" BY NAME {_rows_of(frame)}')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("incoming_frame")
