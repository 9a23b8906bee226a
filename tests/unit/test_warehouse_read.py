"""The checks read raw tables through Arrow: the frame must be the one DuckDB's .df() makes."""

from __future__ import annotations

import duckdb
import pandas as pd

from orchestration.warehouse import read_raw_table, read_table


def test_a_raw_table_read_through_arrow_is_the_frame_df_makes():
    con = duckdb.connect()
    con.execute("create schema raw")
    # 300,000 rows: DuckDB hands Arrow several chunks, which the reader joins column by column.
    con.execute(
        """
        create table raw.sample as
        select 'statbel_real_estate' as dataset, printf('%05d', i % 565) as nis_code,
               cast(565 as smallint) as map_vintage, cast(2018 + i % 7 as varchar) as period,
               case when i % 11 = 0 then null else i * 0.5 end as value,
               case when i % 11 = 0 then 'suppressed' else 'published' end as status
        from range(300000) as t(i)
        """
    )
    frame = read_raw_table(con, "raw", "sample")
    pd.testing.assert_frame_equal(frame, read_table(con, "raw", "sample"))
    assert [frame[c].array._pa_array.num_chunks for c in ("dataset", "nis_code", "status")] == [1, 1, 1]
    assert frame["value"].isna().sum() == 27273
