from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return Path(os.environ.get("COHESION_SHARED_DIR") or REPO_ROOT.parent / "shared")


ABSENT = "../shared/data-real is absent: real-file tests skipped"


def data_real_dir() -> Path:
    """Real publishers' files: ``$COHESION_SHARED_DIR/data-real``, else ``../shared/data-real``
    beside the repository. Read in place, never copied into the repository."""
    return shared_dir() / "data-real"


@pytest.fixture(scope="session")
def data_real() -> Path:
    folder = data_real_dir()
    if not folder.is_dir():
        pytest.skip(ABSENT)
    return folder


@pytest.fixture(scope="session")
def data_real_files(data_real) -> list[Path]:
    """Every file of ../shared/data-real (its folders flattened) except the notes."""
    return sorted(p for p in data_real.rglob("*") if p.is_file() and p.name != "SOURCES.md")


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory) -> Path:
    """dbt's manifest, parsed once for the whole test run: under pytest-xdist the workers share
    dbt_project/target, and two `dbt parse` writing it at once would leave a torn manifest, so the
    first worker parses under a lock and the others then find it fresh (orchestration.runner)."""
    from fixtures.locks import exclusive
    from ingestion.settings import DBT_PROJECT_DIR
    from orchestration.runner import prepare_dbt

    with pytest.MonkeyPatch.context() as patch, exclusive(DBT_PROJECT_DIR / "target" / ".cohesion-parse.lock"):
        # prepare_dbt points COHESION_WAREHOUSE into the data folder: a throwaway one, restored after.
        patch.setenv("COHESION_DATA_DIR", str(tmp_path_factory.mktemp("dbt-parse")))
        patch.setenv("COHESION_WAREHOUSE", "")
        return prepare_dbt()


# Python's cyclic garbage collector, in a test process: after collection the process holds every
# test module and the libraries they import (Dagster, dbt, Great Expectations, pandas), ~0.5 M
# objects that each full collection walked again, and a pipeline run allocates enough to start
# one every few seconds: ~10% of the processor time of an end-to-end file went to collecting
# (tests/e2e/test_pipeline.py: 18 s of 190 s; 6 s with the settings below). Frozen, the modules'
# objects are no longer walked; with a larger young generation, fewer collections reach the old
# ones. Garbage is still collected (and the pipeline's own gc.collect() calls still collect it
# all); the pipeline's code and output are the same. The test process only: `cohesion` started
# by a test keeps Python's defaults.
GC_THRESHOLDS = (50_000, 20, 100)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@pytest.fixture(autouse=True, scope="session")
def _quiet_third_parties():
    # GX phones home by default; Dagster and dbt must not either in tests.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # Every test run uses an ephemeral Dagster instance, whatever the caller's environment says.
    os.environ.pop("DAGSTER_HOME", None)


# Under pytest-xdist (`make test` runs two workers, `--dist loadfile`) each file goes whole to one
# worker, so that its module fixtures (the real-file run, a dbt build, a generated sample) are built
# once; the sample run, a session fixture, is built once and shared by the workers
# (tests/e2e/conftest.py). (`--dist loadgroup` would group finer, but xdist 3.8 names a test's
# group by rewriting `item._nodeid`, which pytest 9 no longer reads: every test is its own group.)
def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # The longest first, in the order xdist hands the files out: the real-file run on one
        # worker while the other builds the sample run, then the files whose tests make pipeline
        # runs of their own, then the other end-to-end files, then the rest.
        items.sort(key=_longest_first)


def _longest_first(item) -> int:
    names = item.fixturenames
    if "real_run" in names:
        return 0
    if "e2e" not in item.keywords:
        return 3
    return 1 if {"rerun_pipeline", "data_real"} & set(names) else 2
