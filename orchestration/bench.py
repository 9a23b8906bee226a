"""`make bench`: wall time of each stage of a full sample run, in a scratch data folder.

Stages: sample generation, ingestion (archiving plus the raw assets that parse and load),
validation (the Great Expectations checks), dbt (models and tests), publish, and the total.
Install time is excluded. Peak memory is read from the kernel's accounting.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time


def _stage_of(step_key: str) -> str:
    if "dbt" in step_key:
        return "dbt"
    if step_key.startswith("published"):
        return "publish"
    if step_key.endswith(("raw_contract", "size_change", "commune_reference")):
        return "validation"
    return "ingestion"


def run_bench() -> int:
    from orchestration import cli
    from orchestration.report import _step_seconds

    with tempfile.TemporaryDirectory(prefix="cohesion-bench-") as scratch:
        os.environ["COHESION_DATA_DIR"] = scratch
        started = time.perf_counter()
        generation, archiving = cli.generate_and_archive_sample()
        prepare_started = time.perf_counter()
        cli.prepare_dbt()
        prepare = time.perf_counter() - prepare_started
        run_started = time.perf_counter()
        result, instance = cli.execute_pipeline()
        run_total = time.perf_counter() - run_started
        total = time.perf_counter() - started
        stages = {"sample generation": generation, "ingestion": archiving, "validation": 0.0, "dbt": prepare, "publish": 0.0}
        for step, seconds in _step_seconds(instance, result.run_id).items():
            stages[_stage_of(step)] += seconds
        overhead = run_total - sum(v for k, v in stages.items() if k not in ("sample generation",)) + archiving + prepare
    print(f"{'stage':<20}{'seconds':>10}")
    for stage, seconds in stages.items():
        print(f"{stage:<20}{seconds:>10.1f}")
    print(f"{'dagster overhead':<20}{max(overhead, 0.0):>10.1f}")
    print(f"{'total':<20}{total:>10.1f}")
    try:
        from cohesion_kernels.uncertainty import benchmark

        print(f"{'monte carlo 1000x565':<20}{benchmark(n_communes=565, draws=1000):>10.1f}")
    except ImportError:
        pass
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {own:.0f} MiB (this process), {children:.0f} MiB (largest child, dbt)")
    print("run succeeded" if result.success else "run FAILED")
    return 0 if result.success else 1
