"""One end-to-end materialisation of the whole graph on the embedded sample, shared by the
end-to-end tests (it takes about a minute)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class PipelineRun:
    data_dir: Path
    report: dict
    success: bool


def run_pipeline(data_dir: Path) -> PipelineRun:
    """Materialise every asset in process against the data folder, as `cohesion run` does."""
    os.environ["COHESION_DATA_DIR"] = str(data_dir)
    from orchestration.report import build_run_report
    from orchestration.runner import execute_pipeline, prepare_dbt

    prepare_dbt()
    result, instance = execute_pipeline()
    return PipelineRun(data_dir, build_run_report(result, instance, {}), result.success)


@pytest.fixture(scope="session")
def rerun_pipeline():
    """Run the whole graph again on a data folder (for idempotence and bad-input tests)."""
    return run_pipeline


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> PipelineRun:
    data_dir = tmp_path_factory.mktemp("data")
    os.environ["COHESION_DATA_DIR"] = str(data_dir)
    from ingestion.sample.archive import generate_and_archive_sample

    generate_and_archive_sample()
    return run_pipeline(data_dir)


@pytest.fixture
def data_copy(sample_run, tmp_path, monkeypatch) -> Path:
    """A copy of the good sample run's data folder (archive, warehouse, published release), to
    break or refresh without touching the shared run."""
    assert sample_run.success, f"the good sample run failed, nothing to work on: {sample_run.report['reason']}"
    data_dir = tmp_path / "data"
    shutil.copytree(sample_run.data_dir, data_dir)
    monkeypatch.setenv("COHESION_DATA_DIR", str(data_dir))
    return data_dir

