"""A snapshot of the Dagster code location, so that the graph never changes by accident.

Asset keys with their group and upstream assets, asset checks with their blocking flag, jobs,
schedules and sensors are compared with `snapshots/asset_graph.json`. After an intended change,
rewrite the file and review its diff with the change:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/unit/test_asset_graph.py
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "asset_graph.json"
# A fixed folder rather than pytest's tmp_path: the dbt profile holds the warehouse path, and dbt
# parses everything again (about 12 s instead of 3 s) whenever that path differs from the last parse.
DATA_DIR = Path(tempfile.gettempdir()) / "cohesion-asset-graph-snapshot"


def _partitions(definition: Any) -> dict[str, Any]:
    """A partitioned asset's partition keys (first..last and how many); nothing when unpartitioned."""
    if definition is None:
        return {}
    keys = definition.get_partition_keys()
    return {"partitions": f"{keys[0]}..{keys[-1]} ({len(keys)})"}


def asset_graph_snapshot(defs: Any) -> dict[str, Any]:
    """The parts of a code location a change must not alter unnoticed, as sorted plain data."""
    graph = defs.resolve_asset_graph()
    all_keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assets = {
        key.to_user_string(): {
            "group": graph.get(key).group_name,
            "upstream": sorted(parent.to_user_string() for parent in graph.get(key).parent_keys),
            **_partitions(graph.get(key).partitions_def),
        }
        for key in graph.get_all_asset_keys()
    }
    checks = {
        f"{check.asset_key.to_user_string()}:{check.name}": {"blocking": graph.get_check_spec(check).blocking}
        for check in graph.asset_check_keys
    }
    jobs = {}
    for unresolved in defs.jobs or []:
        job = defs.resolve_job_def(unresolved.name)
        selected = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
        # The refresh job selects everything: say so rather than repeat every asset key.
        jobs[job.name] = {"assets": "all" if selected == all_keys else sorted(selected)}
    schedules = {
        schedule.name: {
            "job": schedule.job_name,
            "cron": schedule.cron_schedule,
            "timezone": schedule.execution_timezone,
            "default_status": schedule.default_status.value,
        }
        for schedule in defs.schedules or []
    }
    sensors = {
        sensor.name: {
            "jobs": sorted(target.job_name for target in sensor.targets),
            "minimum_interval_seconds": sensor.minimum_interval_seconds,
            "default_status": sensor.default_status.value,
        }
        for sensor in defs.sensors or []
    }
    return {
        "assets": dict(sorted(assets.items())),
        "asset_checks": dict(sorted(checks.items())),
        "jobs": dict(sorted(jobs.items())),
        "schedules": dict(sorted(schedules.items())),
        "sensors": dict(sorted(sensors.items())),
    }


def describe_changes(expected: dict[str, dict[str, Any]], found: dict[str, dict[str, Any]]) -> list[str]:
    """One line per entry added, removed or changed, section by section."""
    lines = []
    for section in sorted(set(expected) | set(found)):
        old, new = expected.get(section, {}), found.get(section, {})
        lines += [f"{section}: added {name} {new[name]}" for name in sorted(set(new) - set(old))]
        lines += [f"{section}: removed {name}" for name in sorted(set(old) - set(new))]
        lines += [
            f"{section}: changed {name}: {old[name]} -> {new[name]}"
            for name in sorted(set(old) & set(new))
            if old[name] != new[name]
        ]
    return lines


def _render(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def code_location(dbt_manifest):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COHESION_DATA_DIR", str(DATA_DIR))
        # prepare_dbt sets it for dbt; registered here so it is restored afterwards.
        patch.setenv("COHESION_WAREHOUSE", str(DATA_DIR / "warehouse.duckdb"))
        from orchestration.runner import prepare_dbt

        prepare_dbt()
        from orchestration.definitions import defs

        yield defs


def test_describe_changes_names_each_added_removed_and_changed_entry():
    old = {"assets": {"raw/a": {"group": "raw"}, "raw/b": {"group": "raw"}}, "jobs": {"j": {"assets": "all"}}}
    new = {"assets": {"raw/a": {"group": "core"}, "raw/c": {"group": "raw"}}, "jobs": {"j": {"assets": "all"}}}
    assert describe_changes(old, new) == [
        "assets: added raw/c {'group': 'raw'}",
        "assets: removed raw/b",
        "assets: changed raw/a: {'group': 'raw'} -> {'group': 'core'}",
    ]


def test_asset_graph_matches_the_committed_snapshot(code_location):
    found = asset_graph_snapshot(code_location)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(_render(found), encoding="utf-8")
    assert SNAPSHOT.exists(), f"no snapshot at {SNAPSHOT}: run UPDATE_SNAPSHOTS=1 pytest {Path(__file__).name}"
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changes = describe_changes(expected, found)
    assert not changes, (
        f"the asset graph differs from {SNAPSHOT.name} ({len(changes)} change(s)); if intended, rewrite it with "
        f"UPDATE_SNAPSHOTS=1 and commit the diff:\n" + "\n".join(changes[:50])
    )


def test_every_raw_dataset_has_its_blocking_contract_check_and_publish_waits_for_every_published_table(
    code_location,
):
    # The two promises of DESIGN.md "Quality gates" the snapshot must keep, stated outright.
    from ingestion.load import RAW_DATASETS

    found = asset_graph_snapshot(code_location)
    assert {f"raw/{d}:raw_contract": {"blocking": True} for d in RAW_DATASETS}.items() <= found["asset_checks"].items()
    # The release is filed from every published table, its site built from that file, and only
    # then are the two published together.
    release_steps = {"published/release_files", "published/site", "published/release"}
    published = {key for key, asset in found["assets"].items() if asset["group"] == "published"} - release_steps
    assert set(found["assets"]["published/release_files"]["upstream"]) == published | {"raw/source_files"}
    assert found["assets"]["published/site"]["upstream"] == ["published/release_files"]
    assert found["assets"]["published/release"]["upstream"] == ["published/release_files", "published/site"]
    assert [name for name, check in found["asset_checks"].items() if not check["blocking"]] == []


def test_dbt_runs_as_two_builds_with_the_index_and_fund_stages_between_them(code_location):
    from orchestration.defs import dbt, fund, index

    graph = code_location.resolve_asset_graph()
    upstream = {k.to_user_string() for k in dbt.cohesion_dbt_upstream.keys}
    published = {k.to_user_string() for k in dbt.cohesion_dbt_published.keys}
    stages = {k.to_user_string() for k in [*index.index_stage.keys, *fund.fund_stage.keys]}
    # Each dbt model is built by one of the two streams; the stages' inputs come from the first.
    assert upstream & published == set() and stages & (upstream | published) == set()
    assert {"index/index_inputs", "fund/fund_needs_profile", "indicators/indicators_commune_indicators"} <= upstream
    assert {k for k in published if not k.startswith("published/")} == set()
    # The published models read the stages' tables (dbt sources) as the stages' own assets: every
    # stage table but the draws, which only the fund stage reads.
    read = {
        p.to_user_string()
        for k in dbt.cohesion_dbt_published.keys
        for p in graph.get(k).parent_keys
        if p.to_user_string().split("/")[0] in ("index", "fund")
    }
    assert stages - read == {"index/index_draws"} and read <= stages
    assert all(graph.get(dg_key).is_materializable for dg_key in graph.get_all_asset_keys() if dg_key.to_user_string() in read)
