"""dbt inside the run's own process: the project parsed once per process, and each `dbt build`
handed that parse, so a build starts at once.

Started as a process of its own, each build spent about 7 s before and after its work: importing
dbt again, re-reading the project, writing a 2.5 MB manifest, and dagster-dbt's `dbt --version`
(another Python start). In process none of that repeats, and a run that dies takes its build with
it: nothing outlives the run to write the working database.

dbt's result events become Dagster events through dagster-dbt's own translation, and the subset a
run selects (a run rebuilding what depends on changed datasets) through dagster-dbt's own
selection, so the asset graph is the one `@dbt_assets` declares.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

# The database as dbt's profile names it (profiles.yml). The project is parsed with the database
# named by its file name only, so that the parse is the same in every data folder (dbt re-parses the
# whole project when the profile changes); a build names it by its full path.
DATABASE_ENV = "COHESION_DBT_DATABASE"

# dbt's events that carry a node's result: the ones dagster-dbt turns into outputs and checks.
_RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})


@contextlib.contextmanager
def database_named(name: str) -> Iterator[None]:
    """The profile's database named ``name`` for the duration of one dbt command."""
    before = os.environ.get(DATABASE_ENV)
    os.environ[DATABASE_ENV] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(DATABASE_ENV, None)
        else:
            os.environ[DATABASE_ENV] = before


def _project_args(project_dir: Path, profiles_dir: Path) -> list[str]:
    return ["--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir)]


def parse(project_dir: Path, profiles_dir: Path, database_file: str, *, write: bool):
    """`dbt parse` of the project in its own target folder (where its partial parse lives); returns
    dbt's result. ``write`` writes manifest.json and the partial parse (`cohesion prepare`);
    without it, the target folder is only read, so that runs in parallel can share it."""
    from dbt.cli.main import dbtRunner

    args = ["parse", "--quiet", *_project_args(project_dir, profiles_dir)]
    args += ["--target-path", str(project_dir / "target")]
    if not write:
        args.append("--no-write-json")
    with database_named(database_file):
        return dbtRunner().invoke(args)


# The parsed project, per project folder, with the manifest.json it was parsed beside.
_parsed: dict[Path, tuple[int, Any]] = {}


def remember_parse(project_dir: Path, manifest) -> None:
    """Keep the parse `cohesion prepare` just made for this process's builds."""
    stamp = (project_dir / "target" / "manifest.json").stat().st_mtime_ns
    _parsed[project_dir] = (stamp, manifest)


def parsed_project(project_dir: Path, profiles_dir: Path, database_file: str):
    """The project as dbt parsed it, once per process and per manifest.json (`cohesion prepare`
    writes a new one whenever the project changed): the partial parse in the project's target
    folder makes this about 0.4 s of processor time."""
    stamp = (project_dir / "target" / "manifest.json").stat().st_mtime_ns
    known = _parsed.get(project_dir)
    if known is not None and known[0] == stamp:
        return known[1]
    result = parse(project_dir, profiles_dir, database_file, write=False)
    if not result.success:
        raise dg.Failure(description=f"dbt parse failed: {result.exception or 'see the dbt log above'}")
    _parsed[project_dir] = (stamp, result.result)
    return result.result


@dataclass
class DbtBuild:
    """One `dbt build` as a run sees it: each node's result as run_results.json has it, and the
    command's own error when it raised instead of finishing."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    success: bool = False


class DbtInProcess(dg.ConfigurableResource):
    """dbt for the asset definitions of orchestration/defs/dbt.py, run in this process."""

    project_dir: str
    profiles_dir: str

    def build(
        self, context: dg.AssetExecutionContext, database: str, target_path: Path, exclude_resource_types: tuple[str, ...] = ()
    ) -> tuple[list, DbtBuild]:
        """`dbt build` of the selection of ``context``'s asset definition (or the subset the run
        selected) in ``database``; returns the Dagster events of its results, in dbt's order, and
        the build's outcome. Events are gathered during the build and returned once it ends."""
        from dagster_dbt.asset_utils import (
            DAGSTER_DBT_EXCLUDE_METADATA_KEY,
            DAGSTER_DBT_SELECT_METADATA_KEY,
            DAGSTER_DBT_SELECTOR_METADATA_KEY,
            get_manifest_and_translator_from_dbt_assets,
            get_subset_selection_for_context,
        )
        from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_dict

        project_dir, profiles_dir = Path(self.project_dir), Path(self.profiles_dir)
        manifest, translator, project = get_manifest_and_translator_from_dbt_assets([context.assets_def])
        selection, indirect = get_subset_selection_for_context(
            context=context,
            manifest=manifest,
            select=context.op.tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
            exclude=context.op.tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
            selector=context.op.tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
            dagster_dbt_translator=translator,
            current_dbt_indirect_selection_env=os.environ.get("DBT_INDIRECT_SELECTION"),
        )
        args = ["build", *_project_args(project_dir, profiles_dir), "--target-path", str(target_path)]
        args += ["--log-path", str(target_path), "--no-write-json", *selection]
        if indirect:
            args += ["--indirect-selection", indirect]
        for resource_type in exclude_resource_types:
            args += ["--exclude-resource-type", resource_type]

        raw_events: list[dict[str, Any]] = []

        def keep_result(event) -> None:
            # Called on dbt's worker threads for every event; only results become Dagster events.
            if event.info.name in _RESULT_EVENTS:
                raw_events.append(msg_to_dict(event))

        parsed = parsed_project(project_dir, profiles_dir, Path(database).name)
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        with database_named(str(Path(database).resolve())):
            try:
                outcome = dbtRunner(manifest=parsed, callbacks=[keep_result]).invoke(args)
            finally:
                _close_duckdb()

        build = DbtBuild(success=bool(outcome.success))
        if outcome.result is not None and hasattr(outcome.result, "results"):
            # run_results.json as dbt writes it, kept beside the build's logs for whoever looks.
            outcome.result.write(str(target_path / "run_results.json"))
            build.results = _results_by_node(target_path / "run_results.json")
        if outcome.exception is not None:
            build.error = " ".join(str(outcome.exception).split())[:300]
        events = []
        for raw in raw_events:
            message = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
            events.extend(
                message.to_default_asset_events(
                    manifest=manifest, dagster_dbt_translator=translator, context=context,
                    target_path=target_path, project=project,
                )
            )
        return events, build


def _close_duckdb() -> None:
    """Close the database dbt-duckdb keeps open once dbt is done (it keeps it for the process's
    next command): DuckDB refuses a second connection with another configuration to an open
    file, and the steps after dbt open the working database themselves."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if environment is not None:
            environment.close()
    gc.collect()  # cursors left in dbt's closed connections hold the database until collected


def _results_by_node(path: Path) -> dict[str, dict[str, Any]]:
    import json

    artifact = json.loads(path.read_text(encoding="utf-8"))
    return {result["unique_id"]: result for result in artifact.get("results", [])}
