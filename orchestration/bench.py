"""`make bench`: wall time of each stage of a full run, in scratch data folders: once on the
embedded sample, and once on the publishers' own files when a folder of them is at hand
(``../shared/data-real`` beside the repository, or ``--real-dir``), with the ratio of the two.

Stages: inputs (sample generation, or nothing for files already downloaded), ingestion
(archiving plus the raw assets that parse and load), validation (the Great Expectations checks),
dbt (models and tests), publish, and the total. Install time is excluded. Peak memory is read from
the kernel's accounting.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STAGES = ("sample generation", "ingestion", "validation", "dbt", "publish")


@dataclass(frozen=True)
class BenchRun:
    label: str
    stages: dict[str, float]
    overhead: float
    total: float
    success: bool


def _stage_of(step_key: str) -> str:
    if "dbt" in step_key:
        return "dbt"
    if step_key.startswith("published"):
        return "publish"
    if step_key.endswith(("raw_contract", "size_change", "commune_reference")):
        return "validation"
    return "ingestion"


def _bench(label: str, bring_inputs: Callable[[], tuple[float, float]]) -> BenchRun:
    """One full run in a scratch data folder; ``bring_inputs`` archives the inputs and returns the
    seconds spent generating them and archiving them."""
    from orchestration import cli
    from orchestration.report import _step_seconds

    with tempfile.TemporaryDirectory(prefix="cohesion-bench-") as scratch:
        os.environ["COHESION_DATA_DIR"] = scratch
        started = time.perf_counter()
        generation, archiving = bring_inputs()
        prepare_started = time.perf_counter()
        cli.prepare_dbt()
        prepare = time.perf_counter() - prepare_started
        run_started = time.perf_counter()
        result, instance = cli.execute_pipeline()
        run_total = time.perf_counter() - run_started
        total = time.perf_counter() - started
        stages = dict.fromkeys(STAGES, 0.0)
        stages.update({"sample generation": generation, "ingestion": archiving, "dbt": prepare})
        for step, seconds in _step_seconds(instance, result.run_id).items():
            stages[_stage_of(step)] += seconds
        overhead = run_total - sum(v for k, v in stages.items() if k != "sample generation") + archiving + prepare
    return BenchRun(label, stages, max(overhead, 0.0), total, result.success)


def _archive_folder(folder: Path) -> tuple[float, float]:
    from ingestion.archive import RawArchive
    from ingestion.catalog import load_catalog
    from ingestion.fetch import fetch
    from orchestration.settings import paths

    started = time.perf_counter()
    fetch(load_catalog(), RawArchive(paths().raw), source_dir=folder)
    return 0.0, time.perf_counter() - started


def default_real_dir() -> Path | None:
    from orchestration.settings import REPO_ROOT

    shared = os.environ.get("COHESION_SHARED_DIR")
    folder = (Path(shared) if shared else REPO_ROOT.parent / "shared") / "data-real"
    return folder if folder.is_dir() else None


def run_bench(real_dir: Path | None = None) -> int:
    from orchestration import cli

    runs = [_bench("sample", cli.generate_and_archive_sample)]
    real_dir = real_dir or default_real_dir()
    if real_dir is not None:
        with tempfile.TemporaryDirectory(prefix="cohesion-bench-real-") as flat:
            # The files as a user holds them: every file of the folder (and its subfolders) in one place.
            for path in sorted(Path(real_dir).rglob("*")):
                if path.is_file() and path.name != "SOURCES.md":
                    shutil.copyfile(path, Path(flat) / path.name)
            runs.append(_bench("real files", lambda: _archive_folder(Path(flat))))
    print(f"{'stage':<20}" + "".join(f"{run.label:>12}" for run in runs))
    for stage in STAGES:
        print(f"{stage:<20}" + "".join(f"{run.stages[stage]:>12.1f}" for run in runs))
    print(f"{'dagster overhead':<20}" + "".join(f"{run.overhead:>12.1f}" for run in runs))
    print(f"{'total':<20}" + "".join(f"{run.total:>12.1f}" for run in runs))
    if len(runs) == 2:
        print(f"real files / sample: {runs[1].total / runs[0].total:.2f} x (target: at most 1.5)")
    try:
        from cohesion_kernels.uncertainty import benchmark

        # Processor seconds, 1,000 draws x 565 communes x 7 years (data, imputation, choices).
        print(f"{'monte carlo 1000x565x7':<20}{benchmark(n_communes=565, draws=1000):>12.1f}")
    except ImportError:
        pass
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {own:.0f} MiB (this process), {children:.0f} MiB (largest child, dbt)")
    for run in runs:
        print(f"{run.label}: {'run succeeded' if run.success else 'run FAILED'}")
    return 0 if all(run.success for run in runs) else 1
