"""Where run-time data lives. Read from the environment when called, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
CONFIG_DIR = REPO_ROOT / "config"


def config_dir() -> Path:
    """The config folder: ``$COHESION_CONFIG_DIR``, as the dbt models read it, else the repository's
    ``config/``. Publishing records and copies the versions from here too."""
    return Path(os.environ.get("COHESION_CONFIG_DIR") or CONFIG_DIR).resolve()


def methodology_file() -> Path:
    """The methodology a run applies and its release records: ``$COHESION_METHODOLOGY`` (an
    archived version, e.g. config/archive/methodology_2026.2.yml, to rebuild its release), else
    the config folder's ``methodology.yml``. Read here, at the edge: the kernels take the file
    they are given (orchestration's ``method_files`` resource passes this one by default)."""
    return Path(os.environ.get("COHESION_METHODOLOGY") or config_dir() / "methodology.yml")


@dataclass(frozen=True)
class Paths:
    data: Path

    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def sample(self) -> Path:
        return self.data / "sample"

    @property
    def warehouse(self) -> Path:
        return self.data / "warehouse.duckdb"

    @property
    def releases(self) -> Path:
        return self.data / "releases"

    @property
    def published(self) -> Path:
        return self.data / "published" / "cohesion.duckdb"

    @property
    def reports(self) -> Path:
        return self.data / "reports"

    @property
    def baselines(self) -> Path:
        """The raw tables each published release was made from (publish.baseline)."""
        return self.data / "baselines"


def paths() -> Paths:
    """Paths under ``$COHESION_DATA_DIR`` (default: ``data/`` in the repository)."""
    return Paths(Path(os.environ.get("COHESION_DATA_DIR") or REPO_ROOT / "data").resolve())
