"""The checks read raw tables with their text as categories: the values, NULLs and row order of
the table, in a fraction of the memory of text columns."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from orchestration.warehouse import read_raw_table, read_table


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.execute("create schema raw")
    # 300,000 rows: DuckDB hands Arrow several chunks, which the reader joins column by column.
    con.execute(
        """
        create table raw.sample as
        select 'statbel_real_estate' as dataset, printf('%05d', i % 565) as nis_code,
               cast(565 as smallint) as map_vintage, cast(2018 + i % 7 as varchar) as period,
               case when i % 11 = 0 then null else i * 0.5 end::double as value,
               case when i % 11 = 0 then 'suppressed' else 'published' end as status,
               case when i % 13 = 0 then null else 'sales_houses' end as measure,
               repeat('a', 64) as file_sha256
        from range(300000) as t(i)
        """
    )
    return con


def test_a_raw_table_read_has_the_tables_values_in_its_order_with_text_as_categories(con):
    frame = read_raw_table(con, "raw", "sample")
    as_text = read_table(con, "raw", "sample")
    assert list(frame.columns) == list(as_text.columns)
    text = ["dataset", "nis_code", "period", "status", "measure", "file_sha256"]
    assert [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)] == text
    assert (frame["map_vintage"].dtype, frame["value"].dtype) == ("int16", "float64")
    # Row by row the same values, NULLs where the table has them.
    pd.testing.assert_frame_equal(frame.astype(as_text.dtypes.to_dict()), as_text)
    assert frame["value"].isna().sum() == 27273
    assert frame["measure"].isna().sum() == 23077
    assert frame["nis_code"].iloc[:3].tolist() == ["00000", "00001", "00002"]
    assert sorted(frame["period"].cat.categories) == [str(y) for y in range(2018, 2025)]
    # The text held once per distinct value: a tenth of the text columns' memory, or less.
    assert frame.memory_usage(deep=True).sum() < as_text.memory_usage(deep=True).sum() / 10


def test_a_null_integer_stays_an_integer_and_an_absent_table_is_named(con):
    con.execute("create table raw.gaps as select cast(null as smallint) as map_vintage, 'x' as dataset")
    frame = read_raw_table(con, "raw", "gaps")
    assert str(frame["map_vintage"].dtype) == "Int16" and frame["map_vintage"].isna().all()
    with pytest.raises(duckdb.CatalogException, match='"raw"."missing"'):
        read_raw_table(con, "raw", "missing")
