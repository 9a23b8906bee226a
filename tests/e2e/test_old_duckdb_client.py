"""The published file opens in DuckDB 1.1 (DESIGN.md "Published contract": clients from 1.1 on),
and an old client reads the same tables, columns, row counts and values as the current one.

The old client lives in its own virtual environment (DuckDB 1.1.3 from PyPI), built once and kept
next to pytest's temporary folders so later sessions reuse it; the test is skipped, with the pip
output, when the package cannot be installed (no network, no wheel for this Python)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

OLD_DUCKDB = "1.1.3"
# The published contract (DESIGN.md); the release may hold more tables, all of which are compared.
DOCUMENTED_TABLES = {
    "communes", "commune_indicators", "cohesion_index", "cohesion_index_domains", "cohesion_index_uncertainty",
    "cohesion_index_contributions", "indicator_treatments", "fund_eligibility", "fund_allocation",
    "fund_transitions", "_release", "_sources", "_data_dictionary", "_quality",
}
# A few values beyond row counts, chosen to cover every column type of the release (text,
# integer, double, boolean, bigint cents, and the timestamp of `_sources.retrieved_at`).
VALUE_QUERIES = {
    "release": "select * from _release",
    "communes": "select * from communes where nis_code in ('21013', '11002', '63067') order by nis_code",
    "indicators_21013": "select * from commune_indicators where nis_code = '21013' and year = 2025 order by indicator",
    "index_21013": "select * from cohesion_index where nis_code = '21013' order by year",
    "uncertainty_top": "select * from cohesion_index_uncertainty where year = 2025 order by rank_nominal, nis_code limit 5",
    "eligible_latest": "select * from fund_eligibility where eligible and year = 2025 order by nis_code",
    "cents_per_year": "select year, budget_line, sum(amount_cents) as cents from fund_allocation group by all order by all",
    # the old Python client converts TIMESTAMP WITH TIME ZONE through pytz; read it as epoch seconds
    "sources": "select dataset, vintage, file, sha256, epoch(retrieved_at) as retrieved_epoch from _sources order by all",
    "quality": "select check_name, asset, passed, severity from _quality order by all",
}

# Run by both interpreters: the same code, so that the JSON outputs compare directly.
READER = r'''
import json, sys
import duckdb

path, queries = sys.argv[1], json.loads(sys.argv[2])
con = duckdb.connect(path, read_only=True)
tables = [t for (t,) in con.execute(
    "select table_name from information_schema.tables where table_schema = 'main' order by table_name").fetchall()]
out = {"version": duckdb.__version__, "tables": {}, "values": {}}
for table in tables:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_name = ? order by ordinal_position", [table]).fetchall()
    rows = con.execute(f'select count(*) from "{table}"').fetchall()[0][0]
    out["tables"][table] = {"rows": rows, "columns": [list(c) for c in columns]}
for name, sql in queries.items():
    out["values"][name] = [list(r) for r in con.execute(sql).fetchall()]
con.close()
print(json.dumps(out))
'''

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def build_old_client(venv: Path) -> float:
    """Create ``venv`` with duckdb==OLD_DUCKDB; return the seconds it took. Skips when pip fails."""
    started = time.perf_counter()
    shutil.rmtree(venv, ignore_errors=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtual environment for DuckDB {OLD_DUCKDB}: {made.stderr.strip()[-500:]}")
    pip = subprocess.run(
        [str(_venv_python(venv)), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", f"duckdb=={OLD_DUCKDB}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if pip.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        pytest.skip(
            f"pip could not install duckdb=={OLD_DUCKDB} (PyPI unreachable or no wheel for Python "
            f"{sys.version_info.major}.{sys.version_info.minor}), so the old-client test cannot run: {pip.stderr.strip()[-500:]}"
        )
    # written last: a venv without it is a half-built one from an interrupted session
    (venv / "READY").write_text(OLD_DUCKDB + "\n", encoding="utf-8")
    return time.perf_counter() - started


@pytest.fixture(scope="session")
def old_client(tmp_path_factory) -> Path:
    """Python of a venv with the old DuckDB, kept across sessions beside pytest's numbered temp folders."""
    tag = f"duckdb-{OLD_DUCKDB}-py{sys.version_info.major}{sys.version_info.minor}"
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # a pytest-xdist worker's folder sits inside the test run's
    venv = base.parent / f"old-client-{tag}"
    python = _venv_python(venv)
    if not ((venv / "READY").is_file() and python.exists()):
        seconds = build_old_client(venv)
        print(f"\nbuilt the DuckDB {OLD_DUCKDB} client venv in {seconds:.1f} s at {venv}")
    return python


def read_with(python: Path | str, database: Path) -> dict:
    done = subprocess.run(
        [str(python), "-c", READER, str(database), json.dumps(VALUE_QUERIES)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{python} could not read {database}:\n{done.stderr.strip()[-2000:]}"
    return json.loads(done.stdout)


def test_old_duckdb_client_reads_the_published_file_like_the_current_one(sample_run, old_client):
    assert sample_run.success, f"the sample pipeline run failed, so there is no release to read: {sample_run.report.get('reason')}"
    published = sample_run.data_dir / "published" / "cohesion.duckdb"

    old = read_with(old_client, published)
    current = read_with(sys.executable, published)

    assert old["version"] == OLD_DUCKDB
    assert current["version"] != OLD_DUCKDB
    assert sorted(old["tables"]) == sorted(current["tables"])
    assert DOCUMENTED_TABLES <= set(current["tables"]), f"missing: {DOCUMENTED_TABLES - set(current['tables'])}"
    for table, seen in current["tables"].items():
        assert old["tables"][table]["rows"] == seen["rows"], f"{table}: DuckDB {OLD_DUCKDB} counts a different number of rows"
        assert old["tables"][table]["columns"] == seen["columns"], f"{table}: DuckDB {OLD_DUCKDB} sees other columns or types"
    for name, rows in current["values"].items():
        assert rows, f"value query {name!r} returned nothing on the sample release; pick rows that exist"
        assert old["values"][name] == rows, f"value query {name!r} reads differently in DuckDB {OLD_DUCKDB}"
