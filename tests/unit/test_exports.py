"""The release's CSV exports: the same content gives the same file, whatever the stored order."""

from __future__ import annotations

import duckdb

from publish.exports import write_exports


def _database(path, order: str):
    with duckdb.connect(str(path)) as con:
        con.execute("create table communes (nis_code varchar, name_fr varchar, name_nl varchar)")
        con.execute("insert into communes values ('21004', 'Bruxelles', 'Brussel'), ('11002', 'Anvers', 'Antwerpen')")
        con.execute("create table scores (nis_code varchar, year integer, score double)")
        con.execute(
            "insert into scores select * from (values ('21004', 2024, 1.5), ('11002', 2024, 2.5), "
            f"('11002', 2023, 0.5), (null, 2024, 9.0)) as v(nis_code, year, score) order by {order}"
        )
        con.execute("create table notes (note varchar)")
        con.execute(f"insert into notes select * from (values ('b'), ('a')) as v(note) order by note {order.split()[-1]}")


def test_csv_rows_are_sorted_whatever_order_the_table_stores(tmp_path):
    files = []
    for order in ("score asc", "score desc"):
        database = tmp_path / f"{order.replace(' ', '_')}.duckdb"
        _database(database, order)
        out = tmp_path / order.replace(" ", "_")
        write_exports(database, out, ["communes", "scores", "notes"])
        files.append({name: (out / "csv" / f"{name}.csv").read_bytes() for name in ("scores", "notes")})
    assert files[0] == files[1]
    lines = files[0]["scores"].decode("utf-8-sig").splitlines()
    assert lines == [
        "nis_code,commune_fr,commune_nl,year,score",
        "11002,Anvers,Antwerpen,2023,0.5",
        "11002,Anvers,Antwerpen,2024,2.5",
        "21004,Bruxelles,Brussel,2024,1.5",
        ",,,2024,9.0",
    ]
    assert files[0]["notes"].decode("utf-8-sig").splitlines() == ["note", "a", "b"]
