"""Method 2 is what runs by default, and method 1 stays reproducible: the archived methodology file
rebuilds, from the sample's warehouse, the method-1 index recorded before method 2 landed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from kernels import warehouse
from orchestration.resources import MethodFiles

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
METHOD_1 = REPO / "config" / "archive" / "methodology_2026.2.yml"
RECORDED = REPO / "tests" / "fixtures" / "method1_sample_index.csv"


@pytest.fixture(scope="module")
def frames(sample_run):
    assert sample_run.success, f"the sample pipeline run failed: {sample_run.report.get('reason')}"
    with duckdb.connect(str(sample_run.data_dir / "warehouse.duckdb"), read_only=True) as con:
        return (
            con.execute("select * from indicators.indicators_commune_indicators").df(),
            con.execute("select * from staging.stg_reference__communes").df(),
            con.execute("select * from index.index_inputs").df(),
        )


def test_the_published_release_is_method_2(sample_run):
    with duckdb.connect(str(sample_run.data_dir / "published" / "cohesion.duckdb"), read_only=True) as con:
        [(release,)] = con.execute("select methodology_version from _release").fetchall()
        versions = {v for (v,) in con.execute("select distinct methodology_version from cohesion_index").fetchall()}
    assert release == "2027.1" and versions == {"2027.1"}


def test_the_archived_method_1_file_rebuilds_the_recorded_method_1_index(frames, monkeypatch):
    # As `COHESION_METHODOLOGY=... cohesion run` does: the switch is read by the stages' resource,
    # which hands the file to the kernels.
    monkeypatch.setenv("COHESION_METHODOLOGY", str(METHOD_1))
    result = warehouse.index_result(*frames, m=MethodFiles().load_methodology())
    assert result.methodology_version == "2026.2"
    recorded = pd.read_csv(RECORDED, dtype={"nis_code": str})
    got = result.index.merge(recorded, on=["nis_code", "year"], how="outer", suffixes=("", "_recorded"), indicator=True)
    assert (got["_merge"] == "both").all() and len(got) == 565 * 7
    # Recorded at 9 decimals.
    np.testing.assert_allclose(got["score"], got["score_recorded"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(got["score_fixed_goalposts"], got["score_fixed_goalposts_recorded"], rtol=0, atol=1e-8)
    assert (got["rank"].astype("float").fillna(-1) == got["rank_recorded"].fillna(-1)).all()


def test_method_2_differs_from_method_1_where_the_issue_says_it_should(frames):
    m2 = warehouse.index_result(*frames)
    recorded = pd.read_csv(RECORDED, dtype={"nis_code": str})
    both = m2.index.merge(recorded, on=["nis_code", "year"], suffixes=("", "_m1"))
    assert (both["rank"].astype(float) != both["rank_m1"]).mean() > 0.5
    # No outlier treatment before rank-normal, one income mean.
    assert not m2.treatments["treatment"].isin(["winsorised_high", "winsorised_low", "log_transformed"]).any()
    assert "mean_income_per_inhabitant" not in set(m2.contributions["indicator"])
