"""Real publishers' files for the real-file tests: ``$COHESION_SHARED_DIR/data-real``, else
``../shared/data-real`` beside the repository. Tests are skipped, saying so, when it is absent;
the files are read in place and never copied into the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ABSENT = "../shared/data-real is absent: real-file tests skipped"


def data_real_dir() -> Path:
    shared = os.environ.get("COHESION_SHARED_DIR")
    return (Path(shared) if shared else REPO_ROOT.parent / "shared") / "data-real"


@pytest.fixture(scope="session")
def data_real() -> Path:
    folder = data_real_dir()
    if not folder.is_dir():
        pytest.skip(ABSENT)
    return folder
