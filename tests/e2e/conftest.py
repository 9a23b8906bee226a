"""One end-to-end materialisation of the whole graph on the embedded sample, shared by the
end-to-end tests (it takes about a minute), by every pytest-xdist worker too; a test that changes
the data folder works on a copy (data_copy)."""

from __future__ import annotations

import json
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


@pytest.fixture(autouse=True, scope="session")
def _dbt_parsed_once(dbt_manifest) -> None:
    """Every end-to-end test runs the pipeline or reads its run: dbt's manifest first, once."""


@pytest.fixture(scope="session")
def rerun_pipeline():
    """Run the graph again on a data folder (for idempotence and bad-input tests)."""
    return run_pipeline


def _sample_run(data_dir: Path) -> PipelineRun:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["COHESION_DATA_DIR"] = str(data_dir)
    from ingestion.sample.archive import generate_and_archive_sample

    generate_and_archive_sample()
    return run_pipeline(data_dir)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> PipelineRun:
    """The good sample run, built once per test run. Under pytest-xdist the first worker to need
    it builds it in the folder the workers share, and the others wait for it and read its report:
    the tests only read it (data_copy copies it before changing anything)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _sample_run(tmp_path_factory.mktemp("data"))
    from fixtures.locks import exclusive

    shared = tmp_path_factory.getbasetemp().parent  # the test run's folder, above each worker's own
    data_dir, saved = shared / "sample-run", shared / "sample-run.json"
    with exclusive(shared / "sample-run.lock"):
        if not saved.exists():
            run = _sample_run(data_dir)
            saved.write_text(json.dumps({"report": run.report, "success": run.success}, default=str), encoding="utf-8")
    os.environ["COHESION_DATA_DIR"] = str(data_dir)  # as the building worker has it
    done = json.loads(saved.read_text(encoding="utf-8"))
    return PipelineRun(data_dir, done["report"], done["success"])


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
