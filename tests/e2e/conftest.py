"""One end-to-end materialisation of the whole graph on the embedded sample, shared by the
end-to-end tests (it takes about a minute); a test that changes the data folder works on a copy
(data_copy)."""

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


def run_pipeline(data_dir: Path, selection: list[list[str]] | None = None) -> PipelineRun:
    """Materialise every asset in process against the data folder, as `cohesion run` does; or
    only the assets of ``selection`` (asset keys as path lists) and their checks."""
    os.environ["COHESION_DATA_DIR"] = str(data_dir)
    from orchestration.report import build_run_report
    from orchestration.runner import execute_pipeline, prepare_dbt

    prepare_dbt()
    result, instance = execute_pipeline(selection=selection)
    return PipelineRun(data_dir, build_run_report(result, instance, {}), result.success)


@pytest.fixture(scope="session")
def rerun_pipeline():
    """Run the graph again on a data folder (for idempotence and bad-input tests)."""
    return run_pipeline


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> PipelineRun:
    data_dir = tmp_path_factory.mktemp("data")
    os.environ["COHESION_DATA_DIR"] = str(data_dir)
    from ingestion.sample.archive import generate_and_archive_sample

    generate_and_archive_sample()
    return run_pipeline(data_dir)


def copy_data_folder(source: Path, target: Path) -> None:
    """Copy a data folder; the files under ``releases/`` are hard links. A release folder is
    written once under a staging name and renamed (publish.release.write_release), its files
    never opened for writing again: linking them is safe, and spares about half the bytes and
    two thirds of the files of each copy (the site's pages and the exports)."""
    shutil.copytree(source, target, ignore=lambda folder, names: ["releases"] if Path(folder) == source else [])
    if (source / "releases").is_dir():
        shutil.copytree(source / "releases", target / "releases", copy_function=os.link)


@pytest.fixture
def data_copy(sample_run, tmp_path, monkeypatch) -> Path:
    """A copy of the good sample run's data folder (archive, warehouse, published release), to
    break or refresh without touching the shared run."""
    assert sample_run.success, f"the good sample run failed, nothing to work on: {sample_run.report['reason']}"
    data_dir = tmp_path / "data"
    copy_data_folder(sample_run.data_dir, data_dir)
    monkeypatch.setenv("COHESION_DATA_DIR", str(data_dir))
    return data_dir
