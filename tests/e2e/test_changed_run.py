"""A changed run on a copy of the sample run publishes what changed, and says against which
release (the unchanged and forced runs are in tests/e2e/test_pipeline.py)."""

from __future__ import annotations

import duckdb
import pytest
import yaml

pytestmark = pytest.mark.e2e


def _query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_changed_run_publishes_what_changed(data_copy, rerun_pipeline, monkeypatch, tmp_path):
    data = data_copy
    published = data / "published" / "cohesion.duckdb"
    (first_id,) = [p.name for p in (data / "releases").iterdir() if not p.name.startswith(".")]

    # A reviewed outlier changes the published flags, not the fund: a second release, whose fund
    # diff says there is no change, against which release.
    reviewed = tmp_path / "exceptions.yml"
    reviewed.write_text(yaml.safe_dump({"version": 1, "exceptions": [
        {"dataset": "statbel_population", "nis_code": "21013", "measure": "population_total", "period": "2025",
         "reason": "checked with the commune", "reviewed_by": "data team", "reviewed_on": "2026-02-02"}
    ]}))  # fmt: skip
    monkeypatch.setenv("COHESION_PLAUSIBILITY_EXCEPTIONS", str(reviewed))
    run = rerun_pipeline(data)
    assert run.success and not run.report["unchanged"], run.report["reason"]
    releases = sorted(p.name for p in (data / "releases").iterdir() if not p.name.startswith("."))
    assert len(releases) == 2 and releases[0] == first_id
    assert _query(published, "select count(*) from commune_indicators where flags like '%reviewed_outlier%'")[0][0] > 0
    assert _query(published, "select count(*) from fund_release_diff") == [(0,)]
    assert _query(published, "select fund_diff_summary from _release") == [(f"no change since release {first_id}",)]
    assert (data / "releases" / releases[1] / "config" / "fund_rules.yml").exists()
