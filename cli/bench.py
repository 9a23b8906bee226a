"""`make bench`: wall time of each stage of a full run, in scratch data folders: once on the
embedded sample, and once on the publishers' own files when a folder of them is at hand
(``../shared/data-real`` beside the repository, or ``--real-dir``), with the ratio of the two.

Stages: inputs (sample generation, or nothing for files already downloaded), ingestion
(archiving plus the raw assets that parse and load), validation (the Great Expectations checks),
dbt (models and tests), publish, and the total. Install time is excluded. Each run has a process
of its own, as each `cohesion run` has, and its peak memory is that process's, read from the
kernel's accounting.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

STAGES = ("sample generation", "ingestion", "validation", "dbt", "index", "fund", "site", "publish")


@dataclass(frozen=True)
class ChildRun:
    """A command run in a process of its own: its wall time, peak memory and last line."""

    seconds: float
    peak_mib: float
    says: str


@dataclass(frozen=True)
class BenchRun:
    label: str
    stages: dict[str, float]
    overhead: float
    total: float
    success: bool
    site: dict
    # The process's peak resident memory during the run (MiB), dbt included (it runs in process).
    peak_mib: float | None = None
    # `cohesion run` again on the same folder, nothing changed.
    rerun: ChildRun | None = None
    # `cohesion run --force` again on the same folder: a data team's refresh, whose checks compare
    # each dataset with the published load (a first run has none): wall time and peak memory.
    refresh: ChildRun | None = None


def _site_metadata(result) -> dict:
    from orchestration.report import _site_built

    return _site_built(result)


def _stage_of(step_key: str) -> str:
    if "dbt" in step_key:
        return "dbt"
    if step_key in ("index_stage", "fund_stage"):
        return step_key.removesuffix("_stage")
    if step_key == "published__site":
        return "site"
    if step_key.startswith("published"):
        return "publish"
    if step_key.endswith(("_checks", "raw_contract", "size_change", "plausibility", "commune_reference")):
        return "validation"
    return "ingestion"


_STATUS = Path("/proc/self/status")


def _reset_peak_memory() -> bool:
    """Start the kernel's count of this process's peak resident memory (VmHWM) afresh, so that
    each run reports its own peak and not the earlier run's (Linux; False elsewhere)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_memory_mib() -> float:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bench(label: str, bring_inputs: Callable[[], tuple[float, float]]) -> BenchRun:
    """One full run in a scratch data folder; ``bring_inputs`` archives the inputs and returns the
    seconds spent generating them and archiving them."""
    from orchestration import runner
    from orchestration.report import _step_seconds

    with tempfile.TemporaryDirectory(prefix="cohesion-bench-") as scratch:
        os.environ["COHESION_DATA_DIR"] = scratch
        per_run = _reset_peak_memory()
        started = time.perf_counter()
        generation, archiving = bring_inputs()
        prepare_started = time.perf_counter()
        runner.prepare_dbt()
        prepare = time.perf_counter() - prepare_started
        run_started = time.perf_counter()
        result, instance = runner.execute_pipeline()
        run_total = time.perf_counter() - run_started
        total = time.perf_counter() - started
        peak = _peak_memory_mib() if per_run else None
        stages = dict.fromkeys(STAGES, 0.0)
        stages.update({"sample generation": generation, "ingestion": archiving, "dbt": prepare})
        for step, seconds in _step_seconds(instance, result.run_id).items():
            stages[_stage_of(step)] += seconds
        overhead = run_total - sum(v for k, v in stages.items() if k != "sample generation") + archiving + prepare
        rerun = refresh = None
        if result.success:
            # The run published: the unchanged re-run a user would type next, then a refresh.
            rerun = _cohesion_run(scratch, sample=label == "sample")
            refresh = _cohesion_run(scratch, sample=label == "sample", force=True)
    return BenchRun(label, stages, max(overhead, 0.0), total, result.success, _site_metadata(result), peak, rerun, refresh)


def _cohesion_run(data_dir: str, *, sample: bool, force: bool = False) -> ChildRun:
    """`cohesion run` in a new process on a data folder whose release is current: nothing to do,
    or with ``force`` everything again, compared with what that release published."""
    command = [str(Path(sys.executable).with_name("cohesion")), "run", "--sample" if sample else "--offline"]
    return run_child(command + (["--force"] if force else []), {**os.environ, "COHESION_DATA_DIR": data_dir})


# Runs a command and writes its peak memory (KiB) to the file named first. Measured through this
# small process: a child started from the bench's own process inherits that process's high-water
# mark (Linux keeps it across exec), and a run that follows a run would report the first one's.
_MEASURED = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def run_child(command: list[str], env: dict[str, str], timeout: float = 600) -> ChildRun:
    """Run ``command``; its wall time, its own peak resident memory and its last line of output.
    A command still running after ``timeout`` seconds is stopped with what it started."""
    with tempfile.TemporaryDirectory(prefix="cohesion-bench-child-") as scratch:
        peak_file, output_file = Path(scratch) / "peak", Path(scratch) / "output"
        with output_file.open("wb") as output:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-c", _MEASURED, str(peak_file), *command],
                env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            seconds = time.perf_counter() - started
        lines = output_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        # ru_maxrss is in kilobytes on Linux; nothing is written when the run was stopped.
        peak = int(peak_file.read_text()) / 1024 if peak_file.exists() else float("nan")
    says = lines[-1] if lines else f"exit code {process.returncode}"
    return ChildRun(seconds, peak, says)


def _archive_folder(folder: Path) -> tuple[float, float]:
    from ingestion.archive import RawArchive
    from ingestion.catalog import load_catalog
    from ingestion.fetch import fetch
    from ingestion.settings import paths

    started = time.perf_counter()
    fetch(load_catalog(), RawArchive(paths().raw), source_dir=folder)
    return 0.0, time.perf_counter() - started


def default_real_dir() -> Path | None:
    from ingestion.settings import REPO_ROOT

    shared = os.environ.get("COHESION_SHARED_DIR")
    folder = (Path(shared) if shared else REPO_ROOT.parent / "shared") / "data-real"
    return folder if folder.is_dir() else None


def _one_run(source_dir: str | None) -> BenchRun:
    """The sample run (``source_dir`` None) or a run on the files of ``source_dir``."""
    if source_dir is None:
        from ingestion.sample.archive import generate_and_archive_sample

        return _bench("sample", generate_and_archive_sample)
    return _bench("real files", lambda: _archive_folder(Path(source_dir)))


def _in_own_process(source_dir: str | None) -> BenchRun:
    """:func:`_one_run` in a new process: a run's peak memory is then its own, not raised by what
    the run before it left in the process (measured after the sample run in the same process, the
    real files' run started about 200 MB higher: the libraries the sample run imported, its caches
    and heap). Imports are not timed, as before."""
    # The executor waits for its process to end (a Pool would terminate it in its exit handlers).
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as process:
        return process.submit(_one_run, source_dir).result()


def run_bench(real_dir: Path | None = None) -> int:
    runs = [_in_own_process(None)]
    real_dir = real_dir or default_real_dir()
    if real_dir is not None:
        with tempfile.TemporaryDirectory(prefix="cohesion-bench-real-") as flat:
            # The files as a user holds them: every file of the folder (and its subfolders) in one place.
            for path in sorted(Path(real_dir).rglob("*")):
                if path.is_file() and path.name != "SOURCES.md":
                    shutil.copyfile(path, Path(flat) / path.name)
            runs.append(_in_own_process(flat))
    print(f"{'stage':<20}" + "".join(f"{run.label:>12}" for run in runs))
    for stage in STAGES:
        print(f"{stage:<20}" + "".join(f"{run.stages[stage]:>12.1f}" for run in runs))
    print(f"{'dagster overhead':<20}" + "".join(f"{run.overhead:>12.1f}" for run in runs))
    print(f"{'total':<20}" + "".join(f"{run.total:>12.1f}" for run in runs))
    print(f"{'unchanged re-run':<20}" + "".join(
        f"{run.rerun.seconds:>12.1f}" if run.rerun is not None else f"{'-':>12}" for run in runs
    ))
    print(f"{'forced refresh':<20}" + "".join(
        f"{run.refresh.seconds:>12.1f}" if run.refresh is not None else f"{'-':>12}" for run in runs
    ))
    if len(runs) == 2:
        print(f"real files / sample: {runs[1].total / runs[0].total:.2f} x (target: at most 1.5)")
    try:
        from kernels.uncertainty import benchmark

        # Processor seconds, 1,000 draws x 565 communes x 7 years (data, imputation, choices).
        print(f"{'monte carlo 1000x565x7':<20}{benchmark(n_communes=565, draws=1000):>12.1f}")
    except ImportError:
        pass
    for run in runs:
        if run.site:
            print(
                f"site ({run.label}): {run.site.get('pages')} pages, {run.site.get('size_mb')} MB, built in "
                f"{run.site.get('build_seconds')} s, slowest page {run.site.get('slowest_page_seconds')} s (target: under 15 s)"
            )
    # dbt runs inside the run's process: that process's peak is the run's.
    print(f"{'peak memory (MiB)':<20}" + "".join(
        f"{run.peak_mib:>12.0f}" if run.peak_mib is not None else f"{'-':>12}" for run in runs
    ) + "  (target: at most 800; each run in a process of its own)")
    print(f"{'refresh peak (MiB)':<20}" + "".join(
        f"{run.refresh.peak_mib:>12.0f}" if run.refresh is not None else f"{'-':>12}" for run in runs
    ) + "  (target: at most 800; `cohesion run --force` after the run)")
    for run in runs:
        print(f"{run.label}: {'run succeeded' if run.success else 'run FAILED'}")
        if run.rerun is not None:
            print(f"  re-run said: {run.rerun.says}")
        if run.refresh is not None:
            print(f"  forced refresh said: {run.refresh.says}")
    return 0 if all(run.success for run in runs) else 1
