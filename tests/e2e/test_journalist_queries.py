"""The example queries we give journalists (JOURNALISTS.md) and README readers run against a
published release and return rows, so the guides never show a query that fails or answers nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
GUIDE = REPO_ROOT / "JOURNALISTS.md"
README = REPO_ROOT / "README.md"
GUIDE_QUERIES = 10

# A numbered question (one sentence, possibly wrapped), a blank line, then its ```sql block.
_NUMBERED_QUERY = re.compile(r"^(\d+)\. (\S.*?)\n\n```sql\n(.*?)^```", re.S | re.M)
_SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.S | re.M)
# A row of the guide's table of tables: | `name` | grain | meaning |
_TABLE_ROW = re.compile(r"^\| `(\w+)` \|", re.M)


@dataclass(frozen=True)
class ExampleQuery:
    number: int
    question: str
    sql: str


def sql_blocks(markdown: str) -> list[str]:
    """The body of every ```sql fenced block, in document order."""
    return _SQL_BLOCK.findall(markdown)


def numbered_queries(markdown: str) -> list[ExampleQuery]:
    return [
        ExampleQuery(int(n), " ".join(question.split()), sql) for n, question, sql in _NUMBERED_QUERY.findall(markdown)
    ]


def statements(sql: str) -> list[str]:
    """Split a block into statements with DuckDB's own parser (comments and quoted ';' are safe)."""
    with duckdb.connect() as con:
        return [s.query for s in con.extract_statements(sql)]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return len(con.execute(sql).fetchall())


@pytest.fixture(scope="module")
def published(sample_run) -> Path:
    assert sample_run.success, f"the sample pipeline run failed, so there is no release to query: {sample_run.report.get('reason')}"
    return sample_run.data_dir / "published" / "cohesion.duckdb"


def test_guide_has_ten_numbered_questions_each_with_one_sql_block():
    markdown = GUIDE.read_text(encoding="utf-8")
    blocks = sql_blocks(markdown)
    queries = numbered_queries(markdown)
    assert len(blocks) == GUIDE_QUERIES, f"JOURNALISTS.md has {len(blocks)} ```sql blocks, expected {GUIDE_QUERIES}"
    # every block is announced by its numbered question, numbered 1..10 in order
    assert [q.number for q in queries] == list(range(1, GUIDE_QUERIES + 1))
    assert [q.sql for q in queries] == blocks
    for query in queries:
        assert query.question.endswith(("?", ".")), f"query {query.number}: {query.question!r} is not one sentence"
        assert len(statements(query.sql)) == 1, f"query {query.number} holds more than one statement"


def test_readme_has_an_sql_block():
    blocks = sql_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) == 1, f"README.md has {len(blocks)} ```sql blocks, expected 1"
    assert len(statements(blocks[0])) >= 3


@pytest.mark.e2e
@pytest.mark.parametrize("number", range(1, GUIDE_QUERIES + 1), ids=lambda n: f"query{n}")
def test_guide_query_returns_rows(published, number):
    query = numbered_queries(GUIDE.read_text(encoding="utf-8"))[number - 1]
    with duckdb.connect(str(published), read_only=True) as con:
        rows = _rows(con, query.sql)
    assert rows >= 1, f"JOURNALISTS.md query {number} ({query.question}) returned no row on the sample release"


@pytest.mark.e2e
def test_guide_describes_every_published_table(published):
    described = set(_TABLE_ROW.findall(GUIDE.read_text(encoding="utf-8")))
    with duckdb.connect(str(published), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
    assert tables - described == set(), "tables in the release that JOURNALISTS.md does not explain"
    assert described - tables == set(), "tables JOURNALISTS.md explains that the release does not hold"


@pytest.mark.e2e
def test_readme_queries_return_rows(published):
    (block,) = sql_blocks(README.read_text(encoding="utf-8"))
    with duckdb.connect(str(published), read_only=True) as con:
        empty = [sql.strip() for sql in statements(block) if _rows(con, sql) == 0]
    assert empty == [], f"README.md queries that returned no row on the sample release: {empty}"


@pytest.mark.e2e
def test_published_merger_flag_is_the_crosswalk(published):
    """Query 4 relies on communes.merged_2025: it must mark exactly the 14 communes that the
    crosswalk (SOURCES.md 8.2) forms from several."""
    crosswalk = REPO_ROOT / "dbt_project" / "seeds" / "crosswalk_2024_2025.csv"
    with duckdb.connect() as con:
        expected = con.execute(
            "select distinct lpad(cast(to_nis as varchar), 5, '0') from read_csv(?, all_varchar = true) "
            "where to_nis in (select to_nis from read_csv(?, all_varchar = true) group by to_nis having count(*) > 1)",
            [str(crosswalk), str(crosswalk)],
        ).fetchall()
    with duckdb.connect(str(published), read_only=True) as con:
        flagged = con.execute("select nis_code from communes where merged_2025").fetchall()
    assert sorted(flagged) == sorted(expected)
    assert len(flagged) == 14


@pytest.mark.e2e
def test_guide_claims_hold_on_the_sample(published):
    """What the guide states about the file: 565 communes, 20 indicators, a synthetic-sample
    origin on the sample, and suppressed values stored as NULL, never 0."""
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from communes").fetchall() == [(565,)]
        indicators = con.execute("select count(distinct indicator) from commune_indicators").fetchall()
        assert indicators == [(20,)], f"JOURNALISTS.md says 20 indicators; the release has {indicators[0][0]}"
        assert con.execute("select data_origin from _release").fetchall() == [("synthetic sample",)]
        suppressed = con.execute(
            "select count(*), count(value) from commune_indicators where flags like 'suppressed%'"
        ).fetchall()
        assert suppressed[0][0] > 0 and suppressed[0][1] == 0, f"(suppressed rows, of which with a value): {suppressed}"
