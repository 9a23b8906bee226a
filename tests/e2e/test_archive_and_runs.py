"""A bad file in the archive and its correction, a retry, a file of a future year, a rollback given
a path, a symbolic link, two runs at once and a run killed during dbt (issue 13): each says what
happened in one line, and leaves the published file byte for byte and the archive intact.

Each case works on a copy of the good sample run's data folder (tests/e2e/conftest.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from fixtures.bad_inputs import assert_nothing_changed, lines_of, rewrite_zip_member, run_raw_asset, snapshot
from ingestion.archive import RawArchive
from ingestion.catalog import load_catalog
from ingestion.fetch import fetch
from publish.baseline import published_load
from ingestion.settings import Paths

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
COHESION = Path(sys.executable).with_name("cohesion")
BAD_AT = "2026-02-01T00:00:00Z"
POPULATION_2025 = "TF_SOC_POP_STRUCT_2025.zip"


def _times_ten_in_saint_gilles(source: Path, target: Path) -> None:
    def change(data: bytes) -> bytes:
        lines = lines_of(data)
        out = [lines[0]]
        for line in lines[1:]:
            if line.startswith(b"21013|"):
                fields = line.rstrip(b"\r\n").split(b"|")
                fields[-1] = str(int(fields[-1]) * 10).encode()  # MS_POPULATION, the last column in 2025
                line = b"|".join(fields) + b"\r\n"
            out.append(line)
        return b"".join(out)

    rewrite_zip_member(source, target, change)


def _fetch_one(data_dir: Path, folder: Path, name: str, retrieved_at: str, corrupt=None, source: Path | None = None):
    """Archive one file, as a hand download in ``folder``: ``source`` as it is, or the sample's
    ``name`` (corrupted by ``corrupt``)."""
    folder.mkdir(parents=True)
    if source is not None:
        shutil.copyfile(source, folder / name)
    elif corrupt is None:
        shutil.copyfile(data_dir / "sample" / name, folder / name)
    else:
        corrupt(data_dir / "sample" / name, folder / name)
    report = fetch(load_catalog(), RawArchive(data_dir / "raw"), source_dir=folder, retrieved_at=retrieved_at,
                   origin="sample")  # fmt: skip
    (item,) = report.items
    return item


def _cli(*args: str, data_dir: Path) -> tuple[int, str, str]:
    from cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


# ---- a poisoned archive, and its correction ------------------------------------------------------


def test_a_poisoned_archive_is_corrected_by_the_good_file_or_by_retiring_the_bad_one(data_copy: Path, tmp_path: Path):
    before = snapshot(data_copy)
    bad = _fetch_one(data_copy, tmp_path / "bad", POPULATION_2025, BAD_AT, _times_ten_in_saint_gilles)
    bad_vintage = bad.entry.vintage
    assert not run_raw_asset("statbel_population", data_copy, POPULATION_2025).success

    # The correct file handed back used to be a no-op ("same bytes as vintage 2025") while the bad
    # copy kept loading: now it is the current copy again.
    good = _fetch_one(data_copy, tmp_path / "good", POPULATION_2025, "2026-03-01T00:00:00Z")
    assert (good.status, good.reason) == (
        "unchanged", f"same bytes as vintage 2025; current again (it replaces vintage {bad_vintage})"
    )
    fixed = run_raw_asset("statbel_population", data_copy, POPULATION_2025)
    assert fixed.success, fixed.reason
    chosen = fixed.report["inputs_loaded"]["statbel_population"]["vintages"][POPULATION_2025]
    assert chosen.startswith("vintage 2025 (supplied again on 2026-03-01T00:00:00Z by ")
    assert chosen.endswith(f"; not loaded: {bad_vintage} (supplied earlier))")

    # Retired, the bad copy stays on disk, is listed with its reason, and is never loaded again,
    # even handed in once more.
    code, out, err = _cli("archive", "retire", "statbel_population", bad_vintage, "--reason",
                          "Saint-Gilles x10: a test file", "--by", "data team", data_dir=data_copy)  # fmt: skip
    assert (code, err) == (0, "")
    assert out.splitlines()[1].startswith("the next run loads statbel_population/pop_struct 2025 from vintage 2025 (")
    code, out, _ = _cli("archive", "list", "--dataset", "statbel_population", data_dir=data_copy)
    (retired,) = [line for line in out.splitlines() if line.startswith("retired")]
    assert retired.startswith(f"retired  statbel_population/{bad_vintage}/{POPULATION_2025} 2025  sha256 ")
    assert retired.endswith(" by data team: Saint-Gilles x10: a test file)")
    again = _fetch_one(data_copy, tmp_path / "again", POPULATION_2025, "2026-04-01T00:00:00Z",
                       source=tmp_path / "bad" / POPULATION_2025)  # the same bad bytes  # fmt: skip
    assert again.status == "unchanged" and "; that copy is retired on " in again.reason
    assert run_raw_asset("statbel_population", data_copy, POPULATION_2025).success
    assert (data_copy / "raw" / "statbel_population" / bad_vintage / POPULATION_2025).exists()
    assert_nothing_changed(before, data_copy, {bad.entry.path.parent})


# ---- a retry compares with what was published, not with the failed run ---------------------------


def test_a_retry_of_a_truncated_file_fails_like_the_first_run(data_copy: Path, tmp_path: Path):
    before = snapshot(data_copy)

    def truncate(source: Path, target: Path) -> None:
        # A download cut at 70 % of its lines, the zip rebuilt around what arrived.
        rewrite_zip_member(source, target, lambda data: b"".join(lines_of(data)[: int(len(lines_of(data)) * 0.7)]))

    bad = _fetch_one(data_copy, tmp_path / "bad", POPULATION_2025, BAD_AT, truncate)
    first = run_raw_asset("statbel_population", data_copy, POPULATION_2025)
    second = run_raw_asset("statbel_population", data_copy, POPULATION_2025, instance=first.instance)

    import duckdb

    with duckdb.connect(str(data_copy / "warehouse.duckdb"), read_only=True) as con:
        (rows,) = con.execute("select count(*) from raw.statbel_population where period = '2025'").fetchone()
    published = published_load(Paths(data_copy))
    was = published.rows_by_year("statbel_population")["2025"]
    expected = (
        f"dataset statbel_population: a drop of more than 15% in 1 year(s) against the published load "
        f"({published.label}), truncated or mis-filtered input? 2025: {rows} rows against {was} "
        f"({(rows - was) / was:+.1%})"
    )
    # Run 2 used to compare with run 1's load and find "none lost more than 15%".
    for run in (first, second):
        assert not run.success
        assert [s for s in run.check_summaries if "lost" in s or "drop" in s] == [expected]
    assert_nothing_changed(before, data_copy, {bad.entry.path.parent})


# ---- a file of a year beyond the catalog ----------------------------------------------------------


def test_a_file_for_2031_is_refused_and_one_already_archived_never_crashes_a_run(data_copy: Path, tmp_path: Path):
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from orchestration.definitions import defs
    from orchestration.partitions import tags_for_archived_years
    from orchestration.report import build_run_report

    before = snapshot(data_copy)

    def as_2031(source: Path, target: Path) -> None:
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
            new.writestr("TF_SOC_POP_STRUCT_2031.txt", old.read(old.namelist()[0]))

    folder = tmp_path / "future"
    folder.mkdir()
    as_2031(data_copy / "sample" / POPULATION_2025, folder / "TF_SOC_POP_STRUCT_2031.zip")
    report = fetch(load_catalog(), RawArchive(data_copy / "raw"), source_dir=folder, origin="sample")
    (item,) = report.items
    assert item.line() == (
        "failed    statbel_population/pop_struct TF_SOC_POP_STRUCT_2031.zip: TF_SOC_POP_STRUCT_2031.zip: year 2031 is "
        "outside the catalog's years for statbel_population/pop_struct (2015..2026; if the publisher really offers "
        "it, extend `years` in ingestion/catalog.yml); nothing was archived"
    )
    assert_nothing_changed(before, data_copy)

    # What an older version left: the 2031 file in the archive. Every run used to end in
    # "DagsterInvalidInvocationError: Partition range 2019 to 2031 is not a valid range".
    planted = data_copy / "raw" / "statbel_population" / "2031"
    planted.mkdir()
    shutil.copyfile(folder / "TF_SOC_POP_STRUCT_2031.zip", planted / "TF_SOC_POP_STRUCT_2031.zip")
    meta = json.loads((data_copy / "raw/statbel_population/2025/TF_SOC_POP_STRUCT_2025.zip.meta.json").read_text())
    meta.update(vintage="2031", year=2031, filename="TF_SOC_POP_STRUCT_2031.zip",
                sha256=sha256(planted / "TF_SOC_POP_STRUCT_2031.zip"))  # fmt: skip
    (planted / "TF_SOC_POP_STRUCT_2031.zip.meta.json").write_text(json.dumps(meta))
    tags = tags_for_archived_years()
    assert tags == {"dagster/asset_partition_range_start": "2019", "dagster/asset_partition_range_end": "2025"}
    local = dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks,
        resources={**defs.resources, "duckdb": DuckDBResource(database=str(data_copy / "warehouse.duckdb"))},
    )
    instance = dg.DagsterInstance.ephemeral()
    result = local.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[dg.AssetKey(["raw", "statbel_population"])], instance=instance, raise_on_error=False, tags=tags
    )
    assert result.success
    run_report = build_run_report(result, instance, {})
    assert run_report["inputs_loaded"]["statbel_population"]["not_loaded"] == [
        "2031/TF_SOC_POP_STRUCT_2031.zip: year 2031 is outside the catalog's years 2015..2026"
    ]
    code, out, _ = _cli("archive", "list", "--dataset", "statbel_population", data_dir=data_copy)
    assert "ignored  statbel_population/2031/TF_SOC_POP_STRUCT_2031.zip 2031" in out
    assert "(never loaded: year 2031 is outside the catalog's years 2015..2026)" in out
    assert sha256(before.published) == before.published_sha256


def sha256(path: Path) -> str:
    from ingestion.files import sha256_of

    return sha256_of(path)


# ---- rollback takes a release id only -------------------------------------------------------------


def test_rollback_refuses_a_path_to_another_data_folders_release(data_copy: Path, tmp_path: Path):
    before = snapshot(data_copy)
    (release_id,) = [p.name for p in (data_copy / "releases").iterdir() if not p.name.startswith(".")]
    other = tmp_path / "other"
    shutil.copytree(data_copy / "releases", other / "releases")
    path = f"../../{other.name}/releases/{release_id}"
    code, out, err = _cli("rollback", path, data_dir=data_copy)
    assert (code, out) == (2, "")
    assert err == (
        "cohesion rollback: rollback takes a release id as `cohesion releases` lists it (e.g. 20251201T000000Z-3f2a1b), "
        f"not {path!r}: a path, or another data folder's release, is never published; nothing was published\n"
    )
    code, out, _ = _cli("releases", data_dir=data_copy)
    assert out.splitlines()[0].startswith(f"* {release_id}  ")  # still published, still marked
    assert_nothing_changed(before, data_copy)


# ---- a symbolic link in the source folder ----------------------------------------------------------


def test_a_symbolic_link_in_the_source_folder_archives_nothing(data_copy: Path, tmp_path: Path):
    before = snapshot(data_copy)
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "TF_SOC_POP_STRUCT_2024.zip").symlink_to("/etc/passwd")
    shutil.copyfile(data_copy / "sample" / "schools_2024.csv", folder / "schools_2024.csv")
    report = fetch(load_catalog(), RawArchive(data_copy / "raw"), source_dir=folder, origin="sample",
                   retrieved_at=BAD_AT)  # fmt: skip
    assert [line for line in report.summary().splitlines()[1:]] == [
        f"failed    (not in the catalog) TF_SOC_POP_STRUCT_2024.zip: is a symbolic link (to /etc/passwd), not a file of "
        f"{folder.resolve()}: copy the file itself into the folder; nothing was archived",
        "held back schools/counts schools_2024.csv: not archived: 1 other file(s) of the folder failed, and a fetch "
        "archives all of its files or none; fix or remove them, then fetch again",
    ]
    assert_nothing_changed(before, data_copy)


# ---- two runs on one data folder -------------------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "COHESION_DATA_DIR": str(data_dir)}
    env.pop("DAGSTER_HOME", None)
    return env


def test_a_second_run_refuses_in_one_line_naming_the_holder_and_a_dead_holder_is_taken_over(data_copy: Path):
    from cli.run_lock import data_folder_lock

    before = snapshot(data_copy)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from cli.run_lock import data_folder_lock\n"
         "with data_folder_lock(Path(sys.argv[1]), 'cohesion run --sample'):\n"
         "    print('held', flush=True); time.sleep(120)\n", str(data_copy)],
        cwd=REPO, env=_env(data_copy), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        second = subprocess.run([str(COHESION), "run", "--offline"], env=_env(data_copy), capture_output=True, text=True,
                                timeout=120)  # fmt: skip
        assert second.returncode == 2
        (line,) = second.stderr.splitlines()
        assert line.startswith(
            f"cohesion run: the data folder {data_copy} is in use by pid {holder.pid} on host {socket.gethostname()}: "
            "`cohesion run --sample` since "
        )
        assert line.endswith("; wait for it to finish (or pass --wait SECONDS), or use another COHESION_DATA_DIR")
        assert_nothing_changed(before, data_copy)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with data_folder_lock(data_copy, "test") as held:
        assert held.took_over is not None and held.took_over.pid == holder.pid
        assert held.note() == (
            f"took over the lock of pid {holder.pid} on host {socket.gethostname()}: `cohesion run --sample` since "
            f"{held.took_over.since}, which is no longer running"
        )


# ---- kill -9 during dbt -----------------------------------------------------------------------------


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append((int(entry.name), cmdline))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_killed_during_dbt_leaves_nothing_writing(data_copy: Path, tmp_path: Path):
    from cli.run_lock import data_folder_lock

    # A corrected schools file first: a run on the copy's unchanged inputs would end at once
    # without starting dbt, and a forced one parses and checks every dataset before dbt starts
    # (~20 s); this one loads schools alone and is in dbt in about half that.
    item = _fetch_one(data_copy, tmp_path / "download", "schools_2024.csv", "2026-02-01T00:00:00Z",
                      corrupt=_one_more_pupil_in_saint_gilles)  # fmt: skip
    assert item.status == "stored", item.line()
    before = snapshot(data_copy)
    run = subprocess.Popen([str(COHESION), "run", "--offline"], env=_env(data_copy), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        # dbt runs inside the run's process: its progress lines say when it builds.
        assert run.stdout is not None
        for line in run.stdout:
            if "START sql table model" in line:
                break
        else:
            pytest.fail("the run ended before dbt started")
        time.sleep(2)  # dbt is building
        children = [pid for pid, _ in _children(run.pid)]
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        # The dbt child of an earlier design lived on as an orphan, writing the working database
        # for ~32 s: nothing the run started may outlive it.
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)], "a process of the run outlived it"
        warehouse = data_copy / "warehouse.duckdb"
        written = warehouse.stat().st_mtime_ns
        time.sleep(2)
        assert warehouse.stat().st_mtime_ns == written, "the working database is still being written"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert_nothing_changed(before, data_copy)
    with data_folder_lock(data_copy, "test") as held:
        assert held.took_over is not None and held.took_over.pid == run.pid


# ---- a change to one dataset rebuilds only what depends on it -----------------------------------


def _one_more_pupil_in_saint_gilles(source: Path, target: Path) -> None:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    at = header.index("pupils")
    for i, line in enumerate(lines):
        if line.startswith("21013,"):
            cells = line.rstrip("\n").split(",")
            cells[at] = str(int(cells[at]) + 1)
            lines[i] = ",".join(cells) + "\n"
    target.write_text("".join(lines), encoding="utf-8")


def test_a_corrected_file_of_one_dataset_rebuilds_only_what_depends_on_it(data_copy: Path, tmp_path: Path):
    published = data_copy / "published" / "cohesion.duckdb"
    first_release = _query_one(published, "select release_id from _release")
    checks_before = _query_one(published, "select count(*) from _quality")
    pupils_before = _query_one(
        published, "select denominator from commune_indicators where nis_code = '21013' and year = 2024 "
        "and indicator = 'school_delay_rate'")
    item = _fetch_one(data_copy, tmp_path / "download", "schools_2024.csv", "2026-02-01T00:00:00Z",
                      corrupt=_one_more_pupil_in_saint_gilles)  # fmt: skip
    assert item.status == "stored", item.line()

    code, out, err = _cli("run", data_dir=data_copy)
    assert code == 0, out + err
    assert f"since release {first_release} only schools changed: rebuilding what depends on them" in out
    assert "(the checks of what did not change are the published release's, carried over in _quality)" in out
    report = json.loads((data_copy / "reports" / "latest.json").read_text())
    assert report["changed_datasets"] == ["schools"]
    materialized = set(report["materialized"])
    assert {"raw/schools", "raw/source_files", "published/release"} <= materialized
    # Nothing upstream of other datasets ran: their raw tables are the release's.
    assert not materialized & {"raw/employment", "raw/statbel_population", "raw/arrivals", "raw/statbel_real_estate"}
    assert not any(key.startswith(("staging/stg_raw__employment", "harmonised/harmonised_employment")) for key in materialized)

    # A new release with the corrected count; every check of the previous release is still
    # listed, those that did not run said to be carried over.
    assert _query_one(published, "select release_id from _release") != first_release
    assert _query_one(published, "select count(*) from _quality") == checks_before
    carried = _query_one(published, "select count(*) from _quality where summary like 'carried over from release%'")
    assert 0 < carried < checks_before
    assert _query_one(
        published, "select count(*) from _quality where asset = 'raw/employment' and summary like 'carried over%'") > 0
    assert _query_one(published, "select count(*) from _quality where asset = 'raw/schools' and summary like 'carried over%'") == 0
    pupils_after = _query_one(
        published, "select denominator from commune_indicators where nis_code = '21013' and year = 2024 "
        "and indicator = 'school_delay_rate'")
    assert pupils_after == pupils_before + 1


def _query_one(path: Path, sql: str):
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]
