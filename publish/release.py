"""Write, verify and publish a release; list releases; roll back. No Dagster in here.

Write-audit-publish: the pipeline only ever writes the private working database. A release is
assembled in a temporary folder from the working database's ``published`` schema plus metadata,
written with an explicit storage version so DuckDB clients from 1.1 on can read it, re-opened
read-only and checked (row counts, checksum), then moved into ``releases/<release_id>/`` with one
rename. Publishing copies the verified file next to ``published/cohesion.duckdb`` and replaces it
with ``os.replace``: a reader who has the old file open keeps reading the old inode, and a reader
who opens the path gets either the old release or the new one, complete.

A release is filed *pending* (a marker under ``releases/.pending/``) and becomes complete when it
is published for the first time; a run killed in between leaves it pending. A pending release,
or one whose ``_quality`` table holds a failed check, is listed as such and is never published by
:func:`rollback`, which takes a release id (a name listed in the releases folder), never a path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingestion.errors import PublishError
from ingestion.files import sha256_of

RELEASE_FILE = "cohesion.duckdb"
MANIFEST_FILE = "release.json"
PENDING_DIR = ".pending"
# A release id as new_release_id makes them (tests use short ones): a plain name, never a path.
_RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# The oldest storage format DuckDB 2.0 can write; DuckDB 1.1.x clients open it (verified).
STORAGE_VERSION = "v1.1.0"
METADATA_TABLES = ("_release", "_sources", "_data_dictionary", "_quality")


@dataclass(frozen=True)
class ReleaseInfo:
    release_id: str
    created_at: str
    code_version: str
    methodology_version: str
    rules_version: str
    data_origin: str  # "synthetic sample", or "publishers' files: <datasets>"
    # What fund_release_diff holds ("first release", "no change since release <id>", ...); older
    # releases' manifests lack it.
    fund_diff_summary: str = ""
    # publish/fingerprint.py: what the release was made from (archive, config, code), and
    # what it holds; an unchanged run compares with them and does nothing.
    inputs_fingerprint: str = ""
    content_digest: str = ""


@dataclass(frozen=True)
class Release:
    release_id: str
    directory: Path
    sha256: str
    tables: Mapping[str, int]
    info: ReleaseInfo

    @property
    def file(self) -> Path:
        return self.directory / RELEASE_FILE


def new_release_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def published_tables(warehouse: Path, schema: str = "published") -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by table_name",
            [schema],
        ).fetchall()
    return [r[0] for r in rows]


def write_release(
    *,
    warehouse: Path,
    releases_dir: Path,
    info: ReleaseInfo,
    sources: pd.DataFrame,
    dictionary: pd.DataFrame,
    quality: pd.DataFrame,
    schema: str = "published",
    export: bool = True,
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
    config_files: tuple[Path, ...] = (),
) -> Release:
    """Assemble, verify and file a release. Raises :class:`PublishError`; leaves nothing behind."""
    releases_dir.mkdir(parents=True, exist_ok=True)
    final_dir = releases_dir / info.release_id
    if final_dir.exists():
        raise PublishError(f"release {info.release_id} already exists in {releases_dir}; releases are never overwritten")
    staging = releases_dir / f".tmp-{info.release_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        tables = published_tables(warehouse, schema)
        if not tables:
            raise PublishError(f"the working database {warehouse} has no table in schema {schema!r}: nothing to publish")
        expected = _write_database(
            staging / RELEASE_FILE, warehouse, schema, tables, info, sources, dictionary, quality, extra_tables or {}
        )
        _verify(staging / RELEASE_FILE, expected)
        if export:
            _export(staging / RELEASE_FILE, staging / "exports", list(expected))
        if config_files:
            # The exact rules and methodology files behind the release, for later diffs and audits.
            (staging / "config").mkdir()
            for config in config_files:
                shutil.copyfile(config, staging / "config" / config.name)
        digest = sha256_of(staging / RELEASE_FILE)
        manifest = {"release": asdict(info), "sha256": digest, "tables": expected, "storage_version": STORAGE_VERSION}
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _fsync_file(staging / RELEASE_FILE)
        # Pending until published: a run killed before publishing leaves a release nobody may
        # roll back to (its run never completed).
        marker = _pending_marker(releases_dir, info.release_id)
        marker.parent.mkdir(exist_ok=True)
        marker.write_text(json.dumps({"release_id": info.release_id, "filed_at": info.created_at}) + "\n", encoding="utf-8")
        try:
            os.rename(staging, final_dir)
        except OSError:
            marker.unlink(missing_ok=True)
            raise
        _fsync_dir(releases_dir)
    except PublishError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (duckdb.Error, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise PublishError(f"release {info.release_id} could not be written: {exc}") from exc
    return Release(info.release_id, final_dir, digest, expected, info)


def _write_database(
    target: Path,
    warehouse: Path,
    schema: str,
    tables: list[str],
    info: ReleaseInfo,
    sources: pd.DataFrame,
    dictionary: pd.DataFrame,
    quality: pd.DataFrame,
    extra_tables: Mapping[str, pd.DataFrame],
) -> dict[str, int]:
    metadata = {
        "_release": pd.DataFrame([asdict(info)]),
        "_sources": sources,
        "_data_dictionary": dictionary,
        "_quality": quality,
        **extra_tables,
    }
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
        con.execute(f"ATTACH '{target}' AS rel (STORAGE_VERSION '{STORAGE_VERSION}')")
        for table in tables:
            con.execute(f'CREATE TABLE rel.main."{table}" AS SELECT * FROM wh."{schema}"."{table}"')
            counts[table] = con.execute(f'SELECT count(*) FROM wh."{schema}"."{table}"').fetchall()[0][0]
        for name, frame in metadata.items():
            con.register("metadata_frame", frame)
            con.execute(f'CREATE TABLE rel.main."{name}" AS SELECT * FROM metadata_frame')
            con.unregister("metadata_frame")
            counts[name] = len(frame)
        con.execute("DETACH rel")
        con.execute("DETACH wh")
    return counts


def _verify(path: Path, expected: Mapping[str, int]) -> None:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            found = {
                t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
                for (t,) in con.execute("select table_name from information_schema.tables").fetchall()
            }
    except duckdb.Error as exc:
        raise PublishError(f"the new release file {path} does not open read-only: {exc}") from exc
    if found != dict(expected):
        raise PublishError(f"the new release file {path} holds {found}, expected {dict(expected)}")


def _export(database: Path, directory: Path, tables: list[str]) -> None:
    """Each table as Parquet and CSV beside the database, and the committee workbook."""
    from publish.exports import write_exports

    write_exports(database, directory, tables)


def publish(release: Release, published_path: Path) -> None:
    """Make ``release`` the published file with one atomic rename."""
    if sha256_of(release.file) != release.sha256:
        raise PublishError(f"release {release.release_id}: file checksum changed since it was verified; not published")
    published_path.parent.mkdir(parents=True, exist_ok=True)
    # Copies left by a publish that was killed midway were never visible under the published
    # name; they are only litter.
    for stale in published_path.parent.glob(f".{published_path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    temporary = published_path.with_name(f".{published_path.name}.{release.release_id}.tmp")
    try:
        shutil.copyfile(release.file, temporary)
        _fsync_file(temporary)
        if sha256_of(temporary) != release.sha256:
            raise PublishError(f"release {release.release_id}: the copy next to {published_path} is corrupt; not published")
        os.replace(temporary, published_path)
        _fsync_dir(published_path.parent)
    except OSError as exc:
        raise PublishError(f"release {release.release_id} could not be published to {published_path}: {exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)
    pointer = published_path.with_name("CURRENT_RELEASE")
    pointer_tmp = pointer.with_name(".CURRENT_RELEASE.tmp")
    pointer_tmp.write_text(release.release_id + "\n", encoding="utf-8")
    os.replace(pointer_tmp, pointer)
    # Published once: the release is complete.
    marker = _pending_marker(release.directory.parent, release.release_id)
    marker.unlink(missing_ok=True)
    try:
        marker.parent.rmdir()  # none pending: the releases folder holds releases only
    except OSError:
        pass  # another release is pending, or the folder is already gone


def _pending_marker(releases_dir: Path, release_id: str) -> Path:
    return releases_dir / PENDING_DIR / release_id


@dataclass(frozen=True)
class ReleaseStatus:
    """Whether a release may be published: ``problem`` says why not (None when it may)."""

    release_id: str
    problem: str | None

    @property
    def label(self) -> str:
        return "complete" if self.problem is None else self.problem.split(":")[0]


def release_status(release: Release) -> ReleaseStatus:
    """A release is publishable when its run completed (it was published once) and every check
    its ``_quality`` table records passed."""
    if _pending_marker(release.directory.parent, release.release_id).exists():
        return ReleaseStatus(
            release.release_id, "never completed: its run stopped after filing it and before publishing it"
        )
    try:
        with duckdb.connect(str(release.file), read_only=True) as con:
            failed = con.execute("select * from _quality where not passed").df()
    except duckdb.Error as exc:
        return ReleaseStatus(release.release_id, f"unreadable: {' '.join(str(exc).split())}")
    if len(failed):
        names = ", ".join(
            f"{row['check_name']} on {row['asset']}" if "asset" in row else str(row["check_name"])
            for _, row in failed.head(3).iterrows()
        ) + (" ..." if len(failed) > 3 else "")
        return ReleaseStatus(release.release_id, f"checks failed: {len(failed)} check(s) failed ({names})")
    return ReleaseStatus(release.release_id, None)


def load_release(directory: Path) -> Release:
    manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    info = ReleaseInfo(**manifest["release"])
    return Release(info.release_id, directory, manifest["sha256"], manifest["tables"], info)


def list_releases(releases_dir: Path) -> list[Release]:
    """Every filed release, oldest first (temporary folders of interrupted runs are ignored)."""
    if not releases_dir.exists():
        return []
    found = []
    for directory in sorted(releases_dir.iterdir()):
        if directory.name.startswith(".") or not (directory / MANIFEST_FILE).exists():
            continue
        found.append(load_release(directory))
    return sorted(found, key=lambda r: r.info.created_at)


def current_release_id(published_path: Path) -> str | None:
    pointer = published_path.with_name("CURRENT_RELEASE")
    if not published_path.exists():
        return None
    if pointer.exists():
        return pointer.read_text(encoding="utf-8").strip() or None
    with duckdb.connect(str(published_path), read_only=True) as con:
        return con.execute("select release_id from _release").fetchall()[0][0]


def rollback(release_id: str, releases_dir: Path, published_path: Path) -> Release:
    """Publish the release ``release_id`` of ``releases_dir`` again: an id as `cohesion releases`
    lists it, never a path; never a release that did not complete or whose checks failed."""
    if not _RELEASE_ID.fullmatch(release_id):
        raise PublishError(
            f"rollback takes a release id as `cohesion releases` lists it (e.g. 20251201T000000Z-3f2a1b), not "
            f"{release_id!r}: a path, or another data folder's release, is never published; nothing was published"
        )
    directory = releases_dir / release_id
    if not (directory / MANIFEST_FILE).exists():
        known = ", ".join(r.release_id for r in list_releases(releases_dir)) or "none"
        raise PublishError(f"no release {release_id!r} in {releases_dir} (known: {known})")
    release = load_release(directory)
    status = release_status(release)
    if status.problem is not None:
        raise PublishError(f"release {release_id} cannot be published: {status.problem}; nothing was published")
    _verify(release.file, release.tables)
    publish(release, published_path)
    return release
