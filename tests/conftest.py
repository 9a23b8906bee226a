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


@pytest.fixture(autouse=True, scope="session")
def _quiet_third_parties():
    # GX phones home by default; Dagster and dbt must not either in tests.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # Every test run uses an ephemeral Dagster instance, whatever the caller's environment says.
    os.environ.pop("DAGSTER_HOME", None)
