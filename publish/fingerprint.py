"""Two digests that let a run skip work it has done before. No Dagster here.

- :func:`inputs_fingerprint`: what a release is made from. The archive (every sidecar and every
  retirement or current-again record, in full; a data file by its size, its checksum being in its
  sidecar), the config folder, and the code (every source file of the packages and of the dbt
  project). ``cohesion run`` compares it with the published release's and, when they are equal,
  runs nothing: the same inputs through the same code give the same release.
- :func:`content_digest`: what a release holds. Every published table's columns and rows
  (independent of row order), the sources and the dictionary; not the run's own metadata (release
  id, time, the checks' summaries that name the release they compared with). A run whose content
  equals the published release's files no new release.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ingestion.archive import LEDGER_DIR, TRANSACTIONS_DIR
from ingestion.settings import REPO_ROOT

# Source folders and files whose content decides a release: a change in any of them is a change
# of code (the catalog and the dbt seeds included).
CODE_ROOTS = ("ingestion", "expectations", "orchestration", "publish", "cli", "kernels", "dbt_project")
CODE_FILES = ("pyproject.toml", "requirements.lock")
CODE_SUFFIXES = frozenset({".py", ".sql", ".yml", ".yaml", ".csv", ".json", ".toml", ".geojson", ".topojson", ".html", ".css", ".js"})
# Build output, logs and caches, never sources.
SKIPPED_FOLDERS = frozenset({"target", "logs", "dbt_packages", "__pycache__", ".pytest_cache", "node_modules"})
# The archive's bookkeeping is read in full; its data files are known by their sidecar's checksum.
ARCHIVE_DATA_MAX_READ = 1 << 20


def _files(root: Path, suffixes: frozenset[str] | None, skipped: frozenset[str] = frozenset()) -> list[Path]:
    """Files under ``root`` in path order, never entering a skipped folder (dbt's target folder
    holds hundreds of MB). Hidden ones only when ``skipped`` is given: the archive's ledger is a
    hidden folder, its unfinished transactions another."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            name for name in subfolders
            if name not in (skipped or SKIPPED_FOLDERS) and (skipped or not name.startswith("."))
        ]
        for name in names:
            if (skipped or not name.startswith(".")) and (suffixes is None or Path(name).suffix in suffixes):
                found.append(Path(folder) / name)
    return sorted(found)


def _add_files(digest, paths: list[Path], root: Path) -> None:
    """Each file's path (relative to ``root``) and bytes into ``digest``."""
    for path in paths:
        digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())


def code_fingerprint(repo: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for name in CODE_ROOTS:
        _add_files(digest, _files(repo / name, CODE_SUFFIXES), repo)
    for name in CODE_FILES:
        path = repo / name
        if path.exists():
            digest.update(f"{name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def site_code_fingerprint(repo: Path = REPO_ROOT) -> str:
    """sha256 of the code that turns a release's tables into its site and explanations (publish/):
    part of what a release holds, so that a change of it makes a new release with a new site."""
    digest = hashlib.sha256(b"cohesion site code v1\0")
    _add_files(digest, _files(repo / "publish", CODE_SUFFIXES | {".svg", ".md"}), repo)
    return digest.hexdigest()


def package_code_version(package: str, repo: Path = REPO_ROOT) -> str:
    """A short sha256 of one package's source files: the code version of the assets it computes
    (Dagster records it beside each materialisation)."""
    digest = hashlib.sha256()
    _add_files(digest, _files(repo / package, CODE_SUFFIXES), repo)
    return digest.hexdigest()[:16]


def dbt_project_fingerprint(project: Path) -> str:
    """sha256 of the dbt project's sources and the dbt version: what its manifest is parsed from."""
    from importlib import metadata

    digest = hashlib.sha256(f"dbt-core {metadata.version('dbt-core')}\0".encode())
    _add_files(digest, _files(project, CODE_SUFFIXES), project)
    return digest.hexdigest()


def _archive_fingerprint(folder: Path, digest) -> None:
    # The ledger (retirements, copies made current again) is read; a fetch's unfinished
    # transaction is not part of the archive.
    for path in _files(folder, None, skipped=frozenset({TRANSACTIONS_DIR})):
        digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
        size = path.stat().st_size
        if path.name.endswith((".json", ".yml", ".yaml", ".txt")) and size <= ARCHIVE_DATA_MAX_READ:
            digest.update(path.read_bytes())
        else:
            digest.update(str(size).encode())


def dataset_fingerprints(raw_dir: Path) -> dict[str, str]:
    """sha256 per archived dataset of its files (sidecars in full, data files by size) and of the
    archive's decisions about it (retirements, copies made current again): the raw asset's data
    version, and what tells a run which datasets changed since a release."""
    decisions: dict[str, list[Path]] = {}
    ledger = raw_dir / LEDGER_DIR
    for path in _files(ledger, frozenset({".json"}), skipped=frozenset({TRANSACTIONS_DIR})) if ledger.is_dir() else []:
        try:
            dataset = str(json.loads(path.read_text(encoding="utf-8")).get("dataset", ""))
        except (OSError, ValueError, AttributeError):
            dataset = ""  # an unreadable decision: the archive itself refuses it when loaded
        decisions.setdefault(dataset, []).append(path)
    found = {}
    folders = sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(".")) if raw_dir.is_dir() else []
    for folder in folders:
        digest = hashlib.sha256(b"cohesion dataset v1\0")
        _archive_fingerprint(folder, digest)
        for path in decisions.get(folder.name, []):
            digest.update(f"\0decision {path.name}\0".encode())
            digest.update(path.read_bytes())
        found[folder.name] = digest.hexdigest()
    return found


def method_fingerprint(config_dir: Path, repo: Path = REPO_ROOT, extra_files: tuple[Path, ...] = ()) -> str:
    """sha256 of the code and the config (with ``extra_files``), without the archive: when only
    this is unchanged since a release, a run rebuilds only what depends on the changed datasets."""
    digest = hashlib.sha256(b"cohesion method v1\0")
    _add_code_and_config(digest, config_dir, repo, extra_files)
    return digest.hexdigest()


def _add_code_and_config(digest, config_dir: Path, repo: Path, extra_files: tuple[Path, ...]) -> None:
    """The code, the config folder and ``extra_files`` (a config file chosen from elsewhere)."""
    digest.update(code_fingerprint(repo).encode())
    digest.update(b"\0config\0")
    for path in _files(config_dir, frozenset({".yml", ".yaml"})):
        digest.update(f"{path.name}\0".encode())
        digest.update(path.read_bytes())
    for path in extra_files:
        if path.exists() and path.parent.resolve() != config_dir.resolve():
            digest.update(f"\0extra {path.name}\0".encode())
            digest.update(path.read_bytes())


def inputs_fingerprint(raw_dir: Path, config_dir: Path, repo: Path = REPO_ROOT, extra_files: tuple[Path, ...] = ()) -> str:
    """sha256 of the archive, the config folder (and ``extra_files``: a config file chosen from
    elsewhere, such as an archived methodology) and the code, as described above."""
    digest = hashlib.sha256(b"cohesion inputs v1\0")
    _add_code_and_config(digest, config_dir, repo, extra_files)
    digest.update(b"\0archive\0")
    _archive_fingerprint(raw_dir, digest)
    return digest.hexdigest()


def content_digest(con, relations: Mapping[str, str], frames: Mapping[str, pd.DataFrame] = {}) -> str:
    """sha256 over each relation's (``name -> SQL relation``) and frame's columns, types, row count
    and the sum of its rows' hashes: the same rows in any order give the same digest."""
    digest = hashlib.sha256(b"cohesion content v1\0")
    registered = []
    try:
        for name, frame in frames.items():
            view = f"digest_frame_{len(registered)}"
            con.register(view, frame)
            registered.append(view)
            relations = {**relations, name: view}
        for name in sorted(relations):
            relation = relations[name]
            columns = con.execute(f"describe select * from {relation}").fetchall()
            rows, hashed = con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from {relation} t").fetchall()[0]
            digest.update(f"{name}\0{[(c[0], c[1]) for c in columns]}\0{rows}\0{hashed}\0".encode())
    finally:
        for view in registered:
            con.unregister(view)
    return digest.hexdigest()
