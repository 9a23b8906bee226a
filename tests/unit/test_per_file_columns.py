"""A parsed file's per-file columns are categories in pandas and text in the warehouse."""

from __future__ import annotations

import duckdb
import pandas as pd

from ingestion.canonical import SourceFile, concat_files, make_frame
from orchestration.warehouse import replace_table, replace_years


def _parsed(name: str, sha: str, codes: list[str]) -> pd.DataFrame:
    rows = pd.DataFrame(
        {"nis_code": codes, "period": "2024", "measure": "sales_houses", "value": 1.0, "unit": "count", "status": "published"}
    )
    return make_frame(rows, source=SourceFile("statbel_real_estate", f"/archive/{name}", sha), map_vintage=565)


def test_per_file_columns_are_categories_and_several_files_keep_their_values():
    first, second = _parsed("a.xlsx", "a" * 64, ["11001", "11002"]), _parsed("b.xlsx", "b" * 64, ["21004"])
    assert [str(first[c].dtype) for c in ("dataset", "source_file", "file_sha256")] == ["category"] * 3
    both = concat_files([first, second])
    assert str(both["source_file"].dtype) == "category"  # pd.concat alone would have made text of it
    assert both["source_file"].tolist() == ["a.xlsx", "a.xlsx", "b.xlsx"]
    assert both["file_sha256"].tolist() == ["a" * 64, "a" * 64, "b" * 64]


def test_categories_are_written_to_the_warehouse_as_text():
    con = duckdb.connect()
    frame = concat_files([_parsed("a.xlsx", "a" * 64, ["11001"]), _parsed("b.xlsx", "b" * 64, ["21004"])])
    replace_table(con, "raw", "statbel_real_estate", frame)
    types = dict(con.sql("select column_name, data_type from information_schema.columns where table_name = 'statbel_real_estate'").fetchall())
    assert (types["dataset"], types["source_file"], types["file_sha256"], types["nis_code"]) == ("VARCHAR",) * 4
    assert con.sql("select source_file from raw.statbel_real_estate order by 1").fetchall() == [("a.xlsx",), ("b.xlsx",)]
    # A yearly load creates the table the same way, and inserts text into it.
    replace_years(con, "raw", "yearly", frame.assign(vintage="2024"), years=["2024"], keep=["2024"])
    assert con.sql("select data_type from information_schema.columns where table_name = 'yearly' and column_name = 'file_sha256'").fetchall() == [("VARCHAR",)]
