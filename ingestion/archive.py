"""The raw archive: every publisher file ever ingested, kept byte for byte, never overwritten.

Layout: ``<root>/<dataset>/<vintage>/<filename>`` plus a sidecar ``<filename>.meta.json``
(dataset, file id, layout, vintage, year, url, size, sha256, retrieved_at, etag, last_modified,
origin, and how the file was recognised). The vintage is the data year for one-file-per-year
sources, else the UTC retrieval date (``YYYY-MM-DD``). The file name is the catalog's, or the
file's own name when it was recognised by its content under another one.

Rules, so a published number can always be traced to the exact bytes it came from:

* Nothing is overwritten or deleted. A file is copied to a temporary file in its target
  folder, its SHA-256 checked, and only then linked to its final name (which fails if the name
  exists); the sidecar is written the same way. Archived files are made read-only.
* Storing bytes the archive already holds for the same dataset, file and year is a no-op that
  returns the existing entry (so a re-run, or a fixed URL that did not change, adds nothing).
* Different bytes for an existing ``(dataset, vintage, filename)`` go beside the old ones under
  the vintage ``<vintage>+<sha8>``, the first 8 hex digits of the new file's SHA-256 (a
  publisher re-issued a year, or a fixed URL changed twice in one day).
* The synthetic sample and real files never share an archive: storing a file of origin
  ``sample`` into an archive holding real files, or the reverse, is refused.
* A per-year file for a year outside the catalog's years is refused (the yearly datasets are
  partitioned by those years: a file beyond them could never be loaded).
* Corrections are decisions, recorded beside the files and never erasing them: a vintage can be
  *retired* (with a reason; it stays on disk and is never loaded) and *restored*; storing bytes
  the archive already holds *supplies them again*, which makes that copy the current one (see
  :mod:`ingestion.vintages`). Each decision is one read-only JSON file under ``<root>/.ledger/``.
* A store inside :meth:`RawArchive.transaction` is undone when the transaction does not finish
  (an exception, Ctrl-C, or, at the next transaction, a writer that was killed): a fetch archives
  all of its files or none. That is the one case where the archive removes a file: one it added
  itself, in a transaction that never completed, and that nothing has loaded.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shutil
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ingestion.canonical import SourceFile
from ingestion.catalog import Catalog, FileSpec
from ingestion.errors import ArchiveError, CatalogError
from ingestion.files import sha256_of

ORIGINS: frozenset[str] = frozenset({"download", "source_dir", "sample"})
META_SUFFIX = ".meta.json"
LEDGER_DIR = ".ledger"
TRANSACTIONS_DIR = ".transactions"
# retire: never load this copy; restore: undo a retirement (and make the copy current);
# supplied: the same bytes were handed in again, so this copy is the current one again.
ACTIONS: frozenset[str] = frozenset({"retire", "restore", "supplied"})
MANIFEST_COLUMNS: tuple[str, ...] = (
    "dataset",
    "vintage",
    "file",
    "url",
    "sha256",
    "size",
    "retrieved_at",
    "licence",
    "attribution",
    "origin",
)

_CHUNK = 1 << 20
# Characters no archive path part may hold: separators, and what some file systems refuse.
_UNSAFE_CHARS = frozenset('/\\:*?"<>|')
_MAX_PART_BYTES = 255
_META_FIELDS = (
    "dataset",
    "file_id",
    "layout",
    "vintage",
    "year",
    "filename",
    "url",
    "size",
    "sha256",
    "retrieved_at",
    "etag",
    "last_modified",
    "origin",
)
# Sidecar fields added later: absent from older sidecars, which read as the default.
_OPTIONAL_META_FIELDS = {"recognised_by": None}


@dataclass(frozen=True)
class ArchiveEntry:
    """One archived file and its provenance (the content of its sidecar)."""

    dataset: str
    file_id: str
    layout: str
    vintage: str
    year: int | None
    filename: str
    url: str | None
    size: int
    sha256: str
    retrieved_at: str
    etag: str | None
    last_modified: str | None
    origin: str
    path: Path = field(compare=False)
    # How the file was recognised: "content" (its layout's signature), "name", or None (stored
    # by a download or before recognition existed).
    recognised_by: str | None = None

    @property
    def source_file(self) -> SourceFile:
        """The identity canonical rows point back to."""
        return SourceFile(dataset=self.dataset, path=str(self.path), sha256=self.sha256)

    def meta(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return data

    @property
    def is_sample(self) -> bool:
        return self.origin == "sample"


@dataclass(frozen=True)
class StoreResult:
    entry: ArchiveEntry
    created: bool  # False when the archive already held these bytes
    # For bytes the archive already held: what supplying them again did ("current again", or why
    # not: the copy is retired). None when nothing needed saying.
    note: str | None = None


@dataclass(frozen=True)
class Decision:
    """A correction of the archive: a copy retired, restored, or supplied again; never erased."""

    action: str
    dataset: str
    vintage: str
    filename: str
    sha256: str
    reason: str
    by: str
    at: str  # ISO 8601 UTC

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.dataset, self.vintage, self.filename)

    def describe(self) -> str:
        verb = {"retire": "retired", "restore": "restored", "supplied": "supplied again"}[self.action]
        because = f": {self.reason}" if self.reason else ""
        return f"{verb} on {self.at} by {self.by}{because}"


def entry_key(entry: ArchiveEntry) -> tuple[str, str, str]:
    return (entry.dataset, entry.vintage, entry.filename)


def format_timestamp(moment: datetime | str | None) -> str:
    """ISO 8601 UTC with a ``Z`` (``2025-03-01T09:30:00Z``); now when ``moment`` is None."""
    if moment is None:
        moment = datetime.now(UTC)
    elif isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ArchiveError(f"retrieved_at {moment!r} is not an ISO 8601 timestamp") from exc
    if moment.tzinfo is None:
        raise ArchiveError(f"retrieved_at {moment.isoformat()} has no time zone; pass a UTC time")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class RawArchive:
    """Files under ``root/<dataset>/<vintage>/<filename>``; see the module docstring for the rules."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._txn: _Journal | None = None  # the open transaction's journal (see transaction)

    def __repr__(self) -> str:
        return f"RawArchive({str(self.root)!r})"

    # ---- writing -------------------------------------------------------------------------

    def store(
        self,
        source: str | Path,
        *,
        spec: FileSpec,
        year: int | None = None,
        origin: str,
        url: str | None = None,
        retrieved_at: datetime | str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        expected_sha256: str | None = None,
        filename: str | None = None,
        recognised_by: str | None = None,
    ) -> StoreResult:
        """Archive the file at ``source`` as ``spec`` (for ``year`` when it is per year).

        ``url`` defaults to the catalog URL (provenance, also for hand-downloaded files);
        ``expected_sha256`` is the digest computed while downloading, checked against the copy;
        ``filename`` is the name to archive it under (default: the catalog's), e.g. the file's
        own name when it was recognised by its content; ``recognised_by`` goes to the sidecar.
        """
        if origin not in ORIGINS:
            raise ArchiveError(f"origin must be one of {sorted(ORIGINS)}, found {origin!r}")
        if spec.per_year and year is None:
            raise ArchiveError(f"{spec.label}: a year is needed to archive {spec.filename!r}")
        if spec.per_year and spec.years is not None and year not in spec.years:
            raise ArchiveError(year_outside_catalog(filename or spec.filename_for(year), spec, year) + "; nothing was archived")
        stamp = format_timestamp(retrieved_at)
        file_year = year if spec.per_year else None
        filename = filename if filename is not None else spec.filename_for(file_year)
        base_vintage = spec.vintage_for(file_year, datetime.fromisoformat(stamp.replace("Z", "+00:00")))
        for part in (spec.dataset, base_vintage, filename):
            _check_part(part)
        if url is None and spec.url is not None:
            url = spec.url_for(file_year)
        self.check_origin(origin)
        digest = sha256_of(source)
        if expected_sha256 is not None and digest != expected_sha256:
            raise ArchiveError(
                f"{spec.label}: {source} changed after it was read (sha256 {digest[:12]}..., "
                f"expected {expected_sha256[:12]}...); nothing was archived"
            )
        for entry in self.entries(spec.dataset):
            if entry.file_id == spec.id and entry.year == file_year and entry.sha256 == digest:
                return StoreResult(entry, created=False, note=self._supplied_again(entry, stamp))

        vintage = base_vintage
        target = self.root / spec.dataset / vintage / filename
        # A file without its sidecar is what an interrupted store leaves: finish it if the bytes match.
        orphan = target.exists() and not _meta_path(target).exists() and sha256_of(target) == digest
        if target.exists() and not orphan:
            vintage = f"{base_vintage}+{digest[:8]}"
            target = self.root / spec.dataset / vintage / filename
            if target.exists():
                raise ArchiveError(
                    f"{spec.label}: {target} already exists with other bytes than {source}; "
                    "the archive never overwrites"
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        self._journal(target, _meta_path(target))  # before the copy: a kill midway is undone too
        size = target.stat().st_size if orphan else _copy_verified(Path(source), target, digest, spec.label)
        entry = ArchiveEntry(
            dataset=spec.dataset,
            file_id=spec.id,
            layout=spec.layout,
            vintage=vintage,
            year=file_year,
            filename=filename,
            url=url,
            size=size,
            sha256=digest,
            retrieved_at=stamp,
            etag=etag,
            last_modified=last_modified,
            origin=origin,
            path=target,
            recognised_by=recognised_by,
        )
        meta_text = json.dumps(entry.meta(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        _publish_bytes(meta_text.encode("utf-8"), _meta_path(target), spec.label)
        return StoreResult(entry, created=True)

    # ---- corrections ---------------------------------------------------------------------

    def decisions(self) -> tuple[Decision, ...]:
        """Every recorded correction, oldest first."""
        folder = self.root / LEDGER_DIR
        if not folder.is_dir():
            return ()
        found = []
        for path in sorted(folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found.append(Decision(**{name: data[name] for name in Decision.__dataclass_fields__}))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ArchiveError(f"archive decision {path} is unreadable or incomplete ({exc!r})") from exc
        return tuple(sorted(found, key=lambda d: d.at))

    def retired(self) -> dict[tuple[str, str, str], Decision]:
        """The retirements in force: (dataset, vintage, file name) -> the decision."""
        state: dict[tuple[str, str, str], Decision] = {}
        for decision in self.decisions():
            if decision.action == "retire":
                state[decision.key] = decision
            elif decision.action == "restore":
                state.pop(decision.key, None)
        return state

    def supplied_at(self) -> dict[tuple[str, str, str], Decision]:
        """Per copy, the latest decision that made it current (supplied again, or restored)."""
        latest: dict[tuple[str, str, str], Decision] = {}
        for decision in self.decisions():
            if decision.action in ("supplied", "restore"):
                latest[decision.key] = decision
        return latest

    def find(self, dataset: str, vintage: str, filename: str | None = None) -> ArchiveEntry:
        """The archived copy ``dataset/vintage[/filename]``; an error lists what there is."""
        held = [e for e in self.entries(dataset) if e.vintage == vintage] if (self.root / dataset).is_dir() else []
        matching = [e for e in held if filename is None or e.filename == filename]
        if len(matching) == 1:
            return matching[0]
        if not held:
            vintages = sorted({e.vintage for e in self.entries(dataset)}) if (self.root / dataset).is_dir() else []
            raise ArchiveError(
                f"the archive holds no vintage {vintage!r} of dataset {dataset!r} "
                f"(its vintages: {', '.join(vintages) or 'none'}; see `cohesion archive list`)"
            )
        names = ", ".join(repr(e.filename) for e in held)
        if not matching:
            raise ArchiveError(f"vintage {dataset}/{vintage} holds no file {filename!r}; it holds {names}")
        raise ArchiveError(f"vintage {dataset}/{vintage} holds {len(held)} files ({names}); name the one you mean")

    def retire(self, entry: ArchiveEntry, *, reason: str, by: str | None = None, at: str | None = None) -> Decision:
        """Never load ``entry`` again; it stays on disk, and the decision records why."""
        where = f"{entry.dataset}/{entry.vintage}/{entry.filename}"
        if not reason.strip():
            raise ArchiveError(f"{where}: say why it is retired (--reason), for whoever reads the archive next")
        if entry_key(entry) in self.retired():
            raise ArchiveError(f"{where} is already retired ({self.retired()[entry_key(entry)].describe()})")
        return self._record("retire", entry, reason, by, at)

    def restore(self, entry: ArchiveEntry, *, reason: str, by: str | None = None, at: str | None = None) -> Decision:
        """Undo a retirement: the copy can be loaded again, and is the current one."""
        where = f"{entry.dataset}/{entry.vintage}/{entry.filename}"
        if entry_key(entry) not in self.retired():
            raise ArchiveError(f"{where} is not retired; nothing to restore")
        if not reason.strip():
            raise ArchiveError(f"{where}: say why it is restored (--reason)")
        return self._record("restore", entry, reason, by, at)

    def _supplied_again(self, entry: ArchiveEntry, stamp: str) -> str | None:
        """Bytes the archive holds were handed in again: that copy becomes the current one of its
        file (and year), unless it is retired (then it stays out, and the note says so)."""
        retired_keys = self.retired()
        retired = retired_keys.get(entry_key(entry))
        if retired is not None:
            return (
                f"that copy is {retired.describe()}; it is not loaded (`cohesion archive restore "
                f"{entry.dataset} {entry.vintage}` to use it again)"
            )
        supplied = self.supplied_at()

        def when(other: ArchiveEntry) -> str:
            decision = supplied.get(entry_key(other))
            return max(other.retrieved_at, decision.at) if decision else other.retrieved_at

        rivals = [
            e for e in self.entries(entry.dataset)
            if e.file_id == entry.file_id and e.year == entry.year and e != entry and entry_key(e) not in retired_keys
        ]
        newest = max(rivals, key=lambda e: (when(e), e.vintage), default=None)
        if newest is None or (when(entry), entry.vintage) > (when(newest), newest.vintage):
            return None  # already the current copy: nothing to record
        # Stamped after the copy it replaces, even when that copy carries a later retrieval time
        # than this clock (a stamp set by hand, a clock that was ahead).
        at = stamp if stamp > when(newest) else _after(when(newest))
        self._record("supplied", entry, f"the same bytes were supplied again; replaces vintage {newest.vintage}",
                     None, at)
        return f"current again (it replaces vintage {newest.vintage})"

    def _record(self, action: str, entry: ArchiveEntry, reason: str, by: str | None, at: str | None) -> Decision:
        decision = Decision(
            action=action, dataset=entry.dataset, vintage=entry.vintage, filename=entry.filename,
            sha256=entry.sha256, reason=reason.strip(), by=by or _user(), at=format_timestamp(at),
        )
        folder = self.root / LEDGER_DIR
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{decision.at.replace(':', '')}-{action}-{uuid.uuid4().hex[:8]}.json"
        self._journal(target)
        text = json.dumps(asdict(decision), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        _publish_bytes(text.encode("utf-8"), target, f"{entry.dataset}/{entry.vintage}")
        return decision

    # ---- transactions --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything stored inside is kept only if the block finishes; otherwise it is removed
        again (the files, their sidecars and the decisions it recorded). A transaction left by a
        killed writer is undone when the next one starts."""
        if self._txn is not None:
            yield  # nested: the outer transaction decides
            return
        self.undo_interrupted()
        folder = self.root / TRANSACTIONS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        journal = folder / f"{uuid.uuid4().hex}.json"
        self._txn = _Journal(journal, socket.gethostname(), os.getpid())
        self._txn.save()
        try:
            yield
        except BaseException:
            self._txn.undo()
            raise
        else:
            journal.unlink(missing_ok=True)
        finally:
            self._txn = None

    def undo_interrupted(self) -> list[Path]:
        """Undo the transactions of writers that died before finishing; returns what was removed."""
        folder = self.root / TRANSACTIONS_DIR
        removed: list[Path] = []
        if not folder.is_dir():
            return removed
        for path in sorted(folder.glob("*.json")):
            journal = _Journal.read(path)
            if journal is None or journal.alive():
                continue
            removed += journal.undo()
        return removed

    def _journal(self, *paths: Path) -> None:
        if self._txn is not None:
            self._txn.add(*paths)

    def check_origin(self, origin: str) -> None:
        """Refuse to put ``origin`` files beside the other kind: the synthetic sample and real
        files never share an archive (a release would mix invented and official numbers)."""
        counts = Counter(entry.is_sample for entry in self.entries())
        if origin == "sample" and counts[False]:
            raise ArchiveError(
                f"the archive {self.root} holds real publisher files ({counts[False]} files); the synthetic sample "
                "cannot be mixed with them: use another COHESION_DATA_DIR"
            )
        if origin != "sample" and counts[True]:
            raise ArchiveError(
                f"the archive {self.root} holds the synthetic sample ({counts[True]} files); real files cannot be "
                "mixed with it: use another COHESION_DATA_DIR"
            )

    def check_not_mixed(self) -> None:
        """Refuse an archive that already mixes sample and real files (copied together by hand)."""
        entries = self.entries()
        sample = [e for e in entries if e.is_sample]
        real = [e for e in entries if not e.is_sample]
        if sample and real:
            example = f"{real[0].dataset}/{real[0].vintage}/{real[0].filename}"
            raise ArchiveError(
                f"the archive {self.root} mixes the synthetic sample ({len(sample)} files) with real files "
                f"({len(real)} files, e.g. {example}); they cannot be loaded together: keep one kind per "
                "COHESION_DATA_DIR"
            )

    # ---- reading -------------------------------------------------------------------------

    def entries(self, dataset: str | None = None) -> tuple[ArchiveEntry, ...]:
        """Every archived file (of one dataset), sorted by dataset, file id, vintage, name."""
        if not self.root.is_dir():
            return ()
        folders = [self.root / dataset] if dataset is not None else sorted(self.root.iterdir())
        found = [self._read_meta(meta) for meta in self._metas(folders)]
        return tuple(sorted(found, key=lambda e: (e.dataset, e.file_id, e.vintage, e.filename)))

    def latest(self, dataset: str, file_id: str, year: int | None = None) -> ArchiveEntry | None:
        """The most recently retrieved entry of a file (of one year), or None."""
        candidates = [
            e for e in self.entries(dataset) if e.file_id == file_id and (year is None or e.year == year)
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda e: (e.retrieved_at, e.vintage))

    def _metas(self, folders: list[Path]) -> Iterator[Path]:
        for dataset_dir in folders:
            if not dataset_dir.is_dir() or dataset_dir.name.startswith("."):
                continue
            for vintage_dir in sorted(dataset_dir.iterdir()):
                if vintage_dir.is_dir():
                    yield from sorted(vintage_dir.glob(f"*{META_SUFFIX}"))

    def _read_meta(self, meta: Path) -> ArchiveEntry:
        data_path = meta.with_name(meta.name[: -len(META_SUFFIX)])
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            values = {name: data[name] for name in _META_FIELDS}
            values.update({name: data.get(name, default) for name, default in _OPTIONAL_META_FIELDS.items()})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ArchiveError(f"archive sidecar {meta} is unreadable or incomplete ({exc!r})") from exc
        if not data_path.is_file():
            raise ArchiveError(f"archive sidecar {meta} describes {data_path.name}, which is missing")
        return ArchiveEntry(path=data_path, **values)


def manifest_frame(archive: RawArchive, catalog: Catalog) -> pd.DataFrame:
    """The archive as the published ``_sources`` table: one row per archived file."""
    rows = []
    for entry in archive.entries():
        dataset = catalog.dataset(entry.dataset)
        try:
            spec = dataset.file(entry.file_id)
        except CatalogError:
            spec = None  # a file id the catalog no longer lists keeps the dataset's terms
        rows.append(
            {
                "dataset": entry.dataset,
                "vintage": entry.vintage,
                "file": entry.filename,
                "url": entry.url,
                "sha256": entry.sha256,
                "size": entry.size,
                "retrieved_at": entry.retrieved_at,
                "licence": dataset.licence_of(spec) if spec else dataset.licence,
                "attribution": dataset.attribution_of(spec) if spec else dataset.attribution,
                "origin": entry.origin,
            }
        )
    frame = pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
    frame = frame.astype({c: "string" for c in MANIFEST_COLUMNS if c not in ("size", "retrieved_at")})
    frame["size"] = frame["size"].astype("int64")
    frame["retrieved_at"] = pd.to_datetime(frame["retrieved_at"], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    return frame.sort_values(["dataset", "vintage", "file"], kind="stable").reset_index(drop=True)


def year_outside_catalog(filename: str, spec: FileSpec, year: int | None) -> str:
    """The one line that refuses a per-year file for a year the catalog does not list."""
    span = f"{spec.years.first}..{spec.years.last}" if spec.years is not None else "none"
    return (
        f"{filename}: year {year} is outside the catalog's years for {spec.label} ({span}; if the publisher "
        "really offers it, extend `years` in ingestion/catalog.yml)"
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container without a passwd entry
        return f"uid {os.getuid()}"


def _after(stamp: str) -> str:
    """``stamp`` plus one second: a decision sorts after the copy it replaces."""
    return format_timestamp(datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=1))


@dataclass
class _Journal:
    """What one transaction added to the archive, kept on disk so a killed writer can be undone."""

    path: Path
    host: str
    pid: int
    added: list[str] = field(default_factory=list)

    def add(self, *paths: Path) -> None:
        self.added.extend(str(p) for p in paths)
        self.save()

    def save(self) -> None:
        temp = self.path.with_name(f".{self.path.name}.tmp")
        temp.write_text(json.dumps({"host": self.host, "pid": self.pid, "added": self.added}), encoding="utf-8")
        os.replace(temp, self.path)

    @classmethod
    def read(cls, path: Path) -> _Journal | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, str(data["host"]), int(data["pid"]), list(data["added"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # being written right now, or damaged: left for its owner

    def alive(self) -> bool:
        if self.host != socket.gethostname():
            return True  # another machine's writer: it cannot be checked from here, so it is left alone
        return _pid_alive(self.pid)

    def undo(self) -> list[Path]:
        removed = []
        for name in reversed(self.added):
            path = Path(name)
            if path.exists():
                path.unlink()
                removed.append(path)
            try:
                path.parent.rmdir()  # a vintage folder this transaction created, now empty
            except OSError:
                pass
        self.path.unlink(missing_ok=True)
        return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _check_part(part: str) -> None:
    # Each part becomes a path component: refuse anything that could climb out of the archive
    # (separators, "..", a leading dot) or that a file system refuses (control characters,
    # reserved characters, trailing spaces or dots, overlong names). Publishers' own names
    # ("nieuwkomers ... 18_ jaar niet-EU -%2.csv", accents) pass.
    unsafe = (
        not part
        or not part[0].isalnum()
        or part != part.rstrip(" .")
        or ".." in part
        or any(ch in _UNSAFE_CHARS or ord(ch) < 32 or ord(ch) == 127 for ch in part)
        or len(part.encode("utf-8")) > _MAX_PART_BYTES
    )
    if unsafe:
        raise ArchiveError(f"{part!r} cannot be used as an archive folder or file name")


def _meta_path(target: Path) -> Path:
    return target.with_name(target.name + META_SUFFIX)


def _temp_beside(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")


def _copy_verified(source: Path, target: Path, digest: str, label: str) -> int:
    temp = _temp_beside(target)
    try:
        hasher = hashlib.sha256()
        size = 0
        with open(source, "rb") as reader, open(temp, "xb") as writer:
            for chunk in iter(lambda: reader.read(_CHUNK), b""):
                hasher.update(chunk)
                size += len(chunk)
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        if hasher.hexdigest() != digest:
            raise ArchiveError(f"{label}: the copy of {source} does not match its checksum; nothing was archived")
        _link(temp, target, label)
        return size
    finally:
        temp.unlink(missing_ok=True)


def _publish_bytes(content: bytes, target: Path, label: str) -> None:
    temp = _temp_beside(target)
    try:
        with open(temp, "xb") as writer:
            writer.write(content)
            writer.flush()
            os.fsync(writer.fileno())
        _link(temp, target, label)
    finally:
        temp.unlink(missing_ok=True)


def _link(temp: Path, target: Path, label: str) -> None:
    """Give ``temp`` its final name, refusing to replace an existing file, and make it read-only."""
    os.chmod(temp, 0o444)
    try:
        os.link(temp, target)  # atomic, and fails when the name exists: no overwrite, even in a race
    except FileExistsError as exc:
        raise ArchiveError(f"{label}: {target} appeared while archiving; the archive never overwrites") from exc
    except OSError:
        # A file system without hard links: the existence check and rename are not atomic, which
        # only matters if two runs archive the same file at the same instant.
        if target.exists():
            raise ArchiveError(f"{label}: {target} already exists; the archive never overwrites") from None
        shutil.move(temp, target)
