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
GUIDE_QUERIES = 17

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


def test_guide_has_seventeen_numbered_questions_each_with_one_sql_block():
    markdown = GUIDE.read_text(encoding="utf-8")
    blocks = sql_blocks(markdown)
    queries = numbered_queries(markdown)
    assert len(blocks) == GUIDE_QUERIES, f"JOURNALISTS.md has {len(blocks)} ```sql blocks, expected {GUIDE_QUERIES}"
    # every block is announced by its numbered question, numbered 1..17 in order
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


def _answer(published: Path, number: int):
    query = numbered_queries(GUIDE.read_text(encoding="utf-8"))[number - 1]
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(query.sql).df()


@pytest.mark.e2e
def test_newsroom_money_per_inhabitant_by_province_adds_up_to_the_budget(published):
    answer = _answer(published, 11)
    with duckdb.connect(str(published), read_only=True) as con:
        [(year, budget_cents)] = con.execute(
            "select year, budget_cents from fund_summary where year = (select max(year) from fund_summary)"
        ).fetchall()
        [(residents,)] = con.execute(f"select sum(population) from commune_population where year = {year}").fetchall()
    # Ten provinces and Brussels, every euro of the year's budget, every resident of the country.
    assert len(answer) == 11 and set(answer["year"]) == {year}
    assert "Région de Bruxelles-Capitale" in set(answer["province_fr"])
    assert round(answer["paid_eur"].sum() * 100) == budget_cents
    assert answer["population"].sum() == residents
    top = answer.iloc[0]
    assert top["eur_per_inhabitant"] == round(top["paid_eur"] / top["population"], 2)


@pytest.mark.e2e
def test_newsroom_who_entered_or_left_matches_the_summary_and_says_why(published):
    answer = _answer(published, 12)
    with duckdb.connect(str(published), read_only=True) as con:
        [(entering, leaving)] = con.execute(
            "select communes_entering, communes_leaving from fund_summary where year = (select max(year) from fund_summary)"
        ).fetchall()
    assert (answer["status"] == "entering").sum() == entering
    assert (answer["status"] == "leaving").sum() == leaving
    assert entering + leaving > 0
    for row in answer.itertuples():
        if row.status == "entering":
            assert row.reason.startswith("Eligible:") and "Enters the fund this year" in row.reason
        else:
            # A leaving commune is paid its exit guarantee only, and the reason says how much.
            assert row.paid_eur == row.of_which_exit_guarantee_eur > 0
            assert f"exit guarantee of €{row.of_which_exit_guarantee_eur:,.2f}" in row.reason


@pytest.mark.e2e
def test_newsroom_rank_certainty_is_an_interval_around_the_rank(published):
    answer = _answer(published, 13)
    assert len(answer) >= 5
    assert (answer["rank_p05"] <= answer["rank_median"]).all() and (answer["rank_median"] <= answer["rank_p95"]).all()
    assert answer["eligibility_probability"].between(0, 1).all()


@pytest.mark.e2e
def test_newsroom_what_changed_says_first_release_when_there_is_nothing_to_compare(published):
    answer = _answer(published, 14)
    # The sample run is the data folder's first release: one line, saying so.
    assert len(answer) == 1
    assert answer.loc[0, "fund_diff_summary"] == "first release: no previous release to compare with"
    assert answer["change"].isna().all()


@pytest.mark.e2e
def test_newsroom_real_or_proxy_counts_match_the_flags(published):
    answer = _answer(published, 15).set_index("indicator")
    assert set(answer["data_origin"]) == {"synthetic sample"}
    with duckdb.connect(str(published), read_only=True) as con:
        proxied = dict(
            con.execute(
                "select indicator, count(value) from commune_indicators where flags like '%proxy%' group by indicator"
            ).fetchall()
        )
    assert {i for i, n in answer["proxies"].items() if n} == set(proxied) == {
        "arrivals_proxy_net_non_belgian", "arrivals_proxy_per_1000_3y"
    }
    assert all(answer.loc[i, "proxies"] == n for i, n in proxied.items())
    assert answer.loc["arrivals_per_1000_3y", "proxies"] == 0
