"""`make run` and `make dev` copy dagster.yaml into $DAGSTER_HOME: Dagster must accept it (an
unknown key makes every `make run` fail before the first asset)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

DAGSTER_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"


def test_the_instance_configuration_loads_with_its_tick_retention(tmp_path):
    shutil.copy(DAGSTER_YAML, tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        assert instance.get_settings("retention") == {
            "schedule": {"purge_after_days": 90},
            "sensor": {"purge_after_days": 30},
        }
        assert instance.get_settings("telemetry") == {"enabled": False}
    finally:
        instance.dispose()
