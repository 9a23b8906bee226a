from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return Path(os.environ.get("COHESION_SHARED_DIR") or REPO_ROOT.parent / "shared")


@pytest.fixture(autouse=True, scope="session")
def _quiet_third_parties():
    # GX phones home by default; Dagster and dbt must not either in tests.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # Every test run uses an ephemeral Dagster instance, whatever the caller's environment says.
    os.environ.pop("DAGSTER_HOME", None)
