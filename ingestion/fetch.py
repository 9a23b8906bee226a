"""Bring catalog files into the raw archive: from the publishers, from a folder, or not at all.

* ``mode="online"``: download every file in scope that has a URL (conditional requests).
* ``mode="offline"``: touch no network; report what the archive holds and what is missing.
* ``source_dir=DIR`` (either mode): archive the files found in DIR, each recognised by its
  content (:mod:`ingestion.recognise`; the name is only a hint) and archived under its own name.
  Hand-downloaded files and the sample generator's output go in the same way; no network is used.
  Only regular files directly in DIR are read: a symbolic link (which could point anywhere on the
  machine) is refused, and so is a file that unpacks beyond its dataset's ``max_unpacked_mb``.

A fetch is a transaction (:meth:`ingestion.archive.RawArchive.transaction`): from a folder, it
archives every file or none (one failed file holds the others back, so a run never starts on
half a delivery); in any mode, an exception or an interruption midway archives nothing. Online,
a file the publisher fails to deliver is reported and the files that did arrive are kept.

Nothing here raises for a missing or failed file unless ``strict=True``: the report says what
happened to each file, and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import requests

from ingestion.archive import ArchiveEntry, RawArchive, year_outside_catalog
from ingestion.catalog import Catalog, FileSpec
from ingestion.download import (
    DEFAULT_POLICY,
    HttpPolicy,
    check_status,
    conditional_headers,
    download,
    new_session,
    request_headers,
    with_retries,
)
from ingestion.errors import ArchiveError, DownloadError, RecognitionError, UnmatchedFileError
from ingestion.files import content_problem, sha256_of, unpacked_problem
from ingestion.filehead import KIND_NAMES
from ingestion.recognise import LayoutVerdict, Recognition, recognise, unmatched_lines

Status = Literal["stored", "unchanged", "missing", "failed", "unmatched", "held back"]
_HASH_CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchItem:
    """What happened to one file.

    ``stored``: new bytes archived; ``unchanged``: the archive already held them (or, offline,
    holds the file); ``missing``: not available; ``failed``: a download or a check failed;
    ``unmatched``: a file in the source folder that is no catalog file; ``held back``: a good file
    of a folder in which another file failed (a fetch archives all or none). ``verdicts`` keeps, for a
    file from a folder, each layout's verdict on it (why it is, or is not, that layout), and
    ``kind`` what the file is (for the summary of those verdicts).
    """

    dataset: str | None
    file_id: str | None
    year: int | None
    filename: str
    status: Status
    reason: str
    entry: ArchiveEntry | None = None
    verdicts: tuple[LayoutVerdict, ...] = ()
    kind: str | None = None

    def line(self) -> str:
        where = f"{self.dataset}/{self.file_id}" if self.dataset else "(not in the catalog)"
        return f"{self.status:<9} {where} {self.filename}: {self.reason}"

    def held_back(self, failed: int) -> FetchItem:
        """This file, not archived because ``failed`` other file(s) of its folder failed."""
        return FetchItem(
            self.dataset, self.file_id, self.year, self.filename, "held back",
            f"not archived: {failed} other file(s) of the folder failed, and a fetch archives all of its files or "
            "none; fix or remove them, then fetch again", None, self.verdicts, self.kind,
        )

    def as_dict(self) -> dict[str, object]:
        """For the run report: what happened, and for a file from a folder each layout's verdict."""
        return {
            "file": self.filename,
            "status": self.status,
            "dataset": self.dataset,
            "file_id": self.file_id,
            "year": self.year,
            "reason": self.reason,
            "layouts": {v.layout: v.reason or "matches" for v in self.verdicts},
        }

    def details(self) -> list[str]:
        """For an unmatched file: why each layout that reads this kind of file refused it, and
        how many layouts read other kinds (the full verdicts stay in ``verdicts``)."""
        if self.status != "unmatched" or not self.verdicts:
            return []
        return unmatched_lines(self.verdicts, KIND_NAMES.get(self.kind or "", "this kind of file"))


@dataclass(frozen=True)
class FetchReport:
    mode: str
    items: tuple[FetchItem, ...]

    def _with(self, status: Status) -> tuple[FetchItem, ...]:
        return tuple(item for item in self.items if item.status == status)

    @property
    def stored(self) -> tuple[FetchItem, ...]:
        return self._with("stored")

    @property
    def unchanged(self) -> tuple[FetchItem, ...]:
        return self._with("unchanged")

    @property
    def missing(self) -> tuple[FetchItem, ...]:
        return self._with("missing")

    @property
    def failed(self) -> tuple[FetchItem, ...]:
        return self._with("failed")

    @property
    def unmatched(self) -> tuple[FetchItem, ...]:
        return self._with("unmatched")

    @property
    def ok(self) -> bool:
        return not self.missing and not self.failed

    def summary(self) -> str:
        statuses = ("stored", "unchanged", "missing", "failed", "unmatched") + (("held back",) * bool(self._with("held back")))
        counts = ", ".join(f"{len(self._with(s))} {s}" for s in statuses)
        lines = [f"fetch ({self.mode}): {counts}"]
        for item in self.items:
            lines.append(item.line())
            lines.extend(f"    {detail}" for detail in item.details())
        return "\n".join(lines)

    def raise_for_problems(self) -> None:
        """Raise when a file is missing or failed, listing each with its reason."""
        if self.ok:
            return
        lines = "\n".join(item.line() for item in (*self.failed, *self.missing))
        error = DownloadError if self.failed else ArchiveError
        raise error(f"{len(self.failed) + len(self.missing)} file(s) not available:\n{lines}")


def fetch(
    catalog: Catalog,
    archive: RawArchive,
    *,
    dataset: str | None = None,
    year: int | None = None,
    mode: Literal["online", "offline"] = "online",
    source_dir: str | Path | None = None,
    retrieved_at: datetime | str | None = None,
    origin: Literal["source_dir", "sample"] = "source_dir",
    strict: bool = False,
    policy: HttpPolicy = DEFAULT_POLICY,
    session: requests.Session | None = None,
    progress: bool | None = None,
) -> FetchReport:
    """Archive the catalog files in scope (one dataset and/or one year, or everything).

    ``retrieved_at`` fixes the retrieval time (the sample generator needs byte-identical runs);
    ``origin`` marks files from ``source_dir`` as ``source_dir`` or ``sample``; ``strict``
    raises (see :meth:`FetchReport.raise_for_problems`) instead of only reporting.
    """
    if mode not in ("online", "offline"):
        raise ValueError(f"mode must be 'online' or 'offline', found {mode!r}")
    if dataset is not None:
        catalog.dataset(dataset)  # an unknown id fails here, with the list of known ones
    if year is not None:
        _check_year(catalog, dataset, year)
    if source_dir is not None:
        with archive.transaction():
            items = _from_folder(catalog, archive, Path(source_dir), dataset, year, retrieved_at, origin)
        report = FetchReport(mode="source_dir", items=tuple(items))
    elif mode == "offline":
        report = FetchReport(mode=mode, items=tuple(_offline(catalog, archive, dataset, year)))
    else:
        archive.check_origin("download")  # before any download: the sample and real files never mix
        own_session = session is None
        http = session if session is not None else new_session()
        try:
            with archive.transaction():
                # Consumed inside the transaction: an interruption midway archives nothing.
                items = list(_online(catalog, archive, dataset, year, retrieved_at, policy, http, progress))
            report = FetchReport(mode=mode, items=tuple(items))
        finally:
            if own_session:
                http.close()
    if strict:
        report.raise_for_problems()
    return report


def has_update(
    spec: FileSpec,
    archive: RawArchive,
    year: int | None = None,
    *,
    policy: HttpPolicy = DEFAULT_POLICY,
    session: requests.Session | None = None,
) -> bool:
    """Whether the publisher offers bytes the archive does not hold (for a Dagster sensor).

    A conditional HEAD first (304, or the archived ETag / Last-Modified → False). A file never
    archived is an update when the URL answers 2xx; 404 and 410 mean not published (yet). When
    the server gives no validator to compare, a GET hashes the body against the archive. Files
    without a URL are never polled (False). Raises :class:`DownloadError` when the server fails
    or answers with an HTML page.
    """
    if spec.url is None:
        return False
    file_year = year if spec.per_year else None
    url = spec.url_for(file_year)
    what = f"{spec.label} ({spec.filename_for(file_year)}) from {url}"
    latest = archive.latest(spec.dataset, spec.id, file_year)
    headers = request_headers(policy, conditional_headers(latest))
    own_session = session is None
    http = session if session is not None else new_session()

    def probe(method: str) -> requests.Response:
        response = http.request(method, url, headers=headers, stream=True, timeout=policy.timeout)
        if response.status_code in (404, 410) or (method == "HEAD" and response.status_code in (405, 501)):
            return response  # answered by the caller, not errors
        try:
            check_status(response, what)
        except BaseException:
            response.close()
            raise
        return response

    try:
        response, _ = with_retries(lambda: probe("HEAD"), policy=policy, what=what)
        if response.status_code in (405, 501):  # HEAD not allowed: ask with GET instead
            response.close()
            response, _ = with_retries(lambda: probe("GET"), policy=policy, what=what)
        with response:
            code = response.status_code
            if code in (304, 404, 410):
                return False
            if "text/html" in response.headers.get("Content-Type", "").lower():
                raise DownloadError(
                    f"{what}: the server answered with an HTML page (a browser challenge?); "
                    "cannot tell whether a new release appeared"
                )
            if latest is None:
                return True
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
            if etag and latest.etag:
                return etag != latest.etag
            if modified and latest.last_modified:
                return modified != latest.last_modified
        return _body_digest(http, url, policy, what) != latest.sha256
    finally:
        if own_session:
            http.close()


def _check_year(catalog: Catalog, dataset: str | None, year: int) -> None:
    """--year beyond every per-year file's catalog years (in scope) is refused before anything is asked."""
    per_year = [spec for spec in catalog.files(dataset) if spec.per_year and spec.years is not None]
    if per_year and not any(year in spec.years for spec in per_year) and not any(
        not spec.per_year and (spec.years is None or year in spec.years) for spec in catalog.files(dataset)
    ):
        spans = ", ".join(f"{spec.label} {spec.years.first}..{spec.years.last}" for spec in per_year)
        raise ArchiveError(f"--year {year} is outside the catalog's years ({spans}); nothing was fetched")


def _in_scope(spec: FileSpec, year: int | None) -> bool:
    """A per-year file is asked for any year; a fixed-URL file only when it covers ``year``."""
    return spec.per_year or year is None or spec.years is None or year in spec.years


def _scope(catalog: Catalog, dataset: str | None, year: int | None) -> Iterator[FileSpec]:
    return (spec for spec in catalog.files(dataset) if _in_scope(spec, year))


def _online(
    catalog: Catalog,
    archive: RawArchive,
    dataset: str | None,
    year: int | None,
    retrieved_at: datetime | str | None,
    policy: HttpPolicy,
    session: requests.Session,
    progress: bool | None,
) -> Iterator[FetchItem]:
    for spec in _scope(catalog, dataset, year):
        years = _years_online(spec, year)
        if years is None:
            yield _item(spec, None, "missing", "no year given and the catalog lists no years for this file")
            continue
        for file_year in years:
            if spec.url is None:
                yield _without_url(spec, archive, file_year)
                continue
            try:
                result = download(
                    spec,
                    archive,
                    year=file_year,
                    policy=policy,
                    session=session,
                    retrieved_at=retrieved_at,
                    progress=progress,
                    landing_page=catalog.dataset(spec.dataset).landing_page,
                    max_unpacked_bytes=catalog.dataset(spec.dataset).max_unpacked_bytes,
                )
            except DownloadError as exc:
                yield _item(spec, file_year, "failed", str(exc), entry=archive.latest(spec.dataset, spec.id, file_year))
                continue
            reasons = {
                "stored": f"downloaded, archived as vintage {result.entry.vintage}",
                "unchanged": f"downloaded, same bytes as vintage {result.entry.vintage}",
                "not_modified": f"not modified since vintage {result.entry.vintage} (HTTP 304)",
            }
            status: Status = "stored" if result.status == "stored" else "unchanged"
            yield _item(spec, file_year, status, reasons[result.status], entry=result.entry)


def _years_online(spec: FileSpec, year: int | None) -> list[int | None] | None:
    if not spec.per_year:
        return [None]
    if year is not None:
        return [year]
    return list(spec.years.years()) if spec.years is not None else None


def _without_url(spec: FileSpec, archive: RawArchive, year: int | None) -> FetchItem:
    held = archive.latest(spec.dataset, spec.id, year)
    if held is not None:
        return _item(spec, year, "unchanged", f"no public URL; the archive holds vintage {held.vintage}", entry=held)
    hint = spec.note or "put the file in a folder and ingest it with --source-dir"
    return _item(spec, year, "missing", f"no public URL: {hint}")


def _offline(catalog: Catalog, archive: RawArchive, dataset: str | None, year: int | None) -> Iterator[FetchItem]:
    for spec in _scope(catalog, dataset, year):
        if spec.per_year and year is None:
            held_years = sorted({e.year for e in archive.entries(spec.dataset) if e.file_id == spec.id})
            years: list[int | None] = list(held_years) or [None]
        else:
            years = [year if spec.per_year else None]
        for file_year in years:
            held = None if (spec.per_year and file_year is None) else archive.latest(spec.dataset, spec.id, file_year)
            if held is not None:
                yield _item(spec, file_year, "unchanged", f"archived as vintage {held.vintage}", entry=held)
            else:
                yield _item(spec, file_year, "missing", "not in the archive (offline: nothing was downloaded)")


def _from_folder(
    catalog: Catalog,
    archive: RawArchive,
    folder: Path,
    dataset: str | None,
    year: int | None,
    retrieved_at: datetime | str | None,
    origin: Literal["source_dir", "sample"],
) -> list[FetchItem]:
    if not folder.is_dir():
        raise ArchiveError(f"source folder {folder} does not exist or is not a folder")
    archive.check_origin(origin)  # before anything is archived: the sample and real files never mix
    folder = folder.resolve()
    by_path: dict[Path, FetchItem] = {}
    found: list[Recognition] = []
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        refused = _not_a_file_of(folder, path)
        if refused is not None:
            if refused:
                by_path[path] = FetchItem(None, None, None, path.name, "failed", f"{refused}; nothing was archived")
            continue
        try:
            recognition = recognise(path, catalog)
        except UnmatchedFileError as exc:
            by_path[path] = _unrecognised(path, "unmatched", exc)
            continue
        except RecognitionError as exc:
            by_path[path] = _unrecognised(path, "failed", exc, "; nothing was archived")
            continue
        spec, file_year = recognition.spec, recognition.year
        if dataset is not None and spec.dataset != dataset:
            continue
        if year is not None and (not _in_scope(spec, year) or (spec.per_year and file_year != year)):
            continue
        found.append(recognition)
    twins = _twins(found)
    seen: set[tuple[str, str]] = set()
    # First every check, then, only if no file failed, every store: all or none.
    ready: list[Recognition] = []
    for recognition in found:
        spec, file_year, path = recognition.spec, recognition.year, recognition.path
        seen.add((spec.dataset, spec.id))
        problem = _problem(recognition, catalog, twins)
        if problem is not None:
            by_path[path] = _found(recognition, "failed", f"{problem}; nothing was archived")
        else:
            ready.append(recognition)
    failed = sum(item.status == "failed" for item in by_path.values())
    for recognition in ready:
        path = recognition.path
        if failed:
            by_path[path] = _found(recognition, "stored", "").held_back(failed)
            continue
        spec, file_year = recognition.spec, recognition.year
        result = archive.store(
            path, spec=spec, year=file_year, origin=origin, retrieved_at=retrieved_at, filename=path.name,
            recognised_by=recognition.basis,
        )
        vintage, how = result.entry.vintage, _how(recognition, catalog)
        if result.created:
            by_path[path] = _found(recognition, "stored", f"archived as vintage {vintage}{how}", result.entry)
        else:
            note = f"; {result.note}" if result.note else ""
            by_path[path] = _found(
                recognition, "unchanged", f"same bytes as vintage {vintage}{note}{how}", result.entry
            )
    items = [by_path[path] for path in sorted(by_path)]
    if dataset is not None or year is not None:
        # The user asked for something specific: say what the folder did not have.
        for spec in _scope(catalog, dataset, year):
            if (spec.dataset, spec.id) not in seen:
                file_year = year if spec.per_year else None
                expected = _display_name(spec, file_year)
                items.append(
                    _item(spec, file_year, "missing", f"no file in {folder} is {spec.label} (named like {expected!r})")
                )
    return items


def _not_a_file_of(folder: Path, path: Path) -> str | None:
    """Why ``path`` cannot be taken from ``folder`` ("" to skip it silently: a subfolder), or None.

    A symbolic link is refused whatever it points to: it could make the archive copy any file of
    the machine under a data file's name."""
    if path.is_symlink():
        try:
            target = f" (to {path.readlink()})"
        except OSError:
            target = ""
        return f"is a symbolic link{target}, not a file of {folder}: copy the file itself into the folder"
    if path.is_dir():
        return ""
    if not path.is_file():
        return "is not a regular file (a device, socket or pipe)"
    if path.resolve().parent != folder:
        return f"resolves outside {folder}"
    return None


def _problem(recognition: Recognition, catalog: Catalog, twins: dict[Path, str]) -> str | None:
    """Why a recognised file cannot be archived (the first reason), or None."""
    spec, file_year, path = recognition.spec, recognition.year, recognition.path
    if path in twins:
        return twins[path]
    if spec.per_year and spec.years is not None and file_year not in spec.years:
        return year_outside_catalog(path.name, spec, file_year)
    member = spec.member_for(file_year) if recognition.kind == "zip" else None
    problem = content_problem(path, path.name, member=member)
    if problem is not None:
        return f"{path} {problem}"
    too_big = unpacked_problem(path, spec.dataset, catalog.dataset(spec.dataset).max_unpacked_bytes)
    if too_big is not None:
        return f"{path.name} {too_big}"
    return None


def _how(recognition: Recognition, catalog: Catalog) -> str:
    """What a user needs to know about how a file was taken, when its name is not the catalog's."""
    if recognition.basis != "content":
        return (
            f"; recognised by its name only: its content does not have the signature of layout "
            f"{recognition.layout} ({recognition.content_reason()}), so its parser will say what is wrong"
        )
    catalog_name = _display_name(recognition.spec, recognition.year)
    if recognition.name.lower() == catalog_name.lower():
        return ""
    how = f"; recognised by its content as {recognition.describe()}, the catalog's name is {catalog_name!r}"
    named = catalog.match_filename(recognition.name)
    if named is not None and named.file.label != recognition.spec.label:
        # The name promised another file: say so, the content decided.
        how += f" (its name is that of {named.file.label})"
    return how


def _twins(found: list[Recognition]) -> dict[Path, str]:
    """Files of one folder that are the same catalog file (and year) with different bytes: which
    one is current cannot be told, so none is archived."""
    groups: dict[tuple[str, int | None], list[Recognition]] = {}
    for recognition in found:
        groups.setdefault((recognition.spec.label, recognition.year), []).append(recognition)
    twins: dict[Path, str] = {}
    for (label, file_year), group in groups.items():
        if len(group) > 1 and len({sha256_of(r.path) for r in group}) > 1:
            names = ", ".join(repr(r.name) for r in group)
            what = f"{label} {file_year}" if file_year is not None else label
            for recognition in group:
                twins[recognition.path] = (
                    f"the folder holds {len(group)} different files that are {what} ({names}); keep one"
                )
    return twins


def _found(recognition: Recognition, status: Status, reason: str, entry: ArchiveEntry | None = None) -> FetchItem:
    spec = recognition.spec
    return FetchItem(
        spec.dataset, spec.id, recognition.year, recognition.name, status, reason, entry, recognition.verdicts,
        recognition.kind,
    )


def _unrecognised(path: Path, status: Status, error: RecognitionError, suffix: str = "") -> FetchItem:
    spec = error.spec  # known when the content was recognised and the trouble came after
    return FetchItem(
        spec.dataset if spec else None, spec.id if spec else None, None, path.name, status,
        f"{error.problem}{suffix}", verdicts=error.verdicts, kind=error.kind,
    )


def _item(
    spec: FileSpec, year: int | None, status: Status, reason: str, entry: ArchiveEntry | None = None
) -> FetchItem:
    return FetchItem(spec.dataset, spec.id, year, _display_name(spec, year), status, reason, entry)


def _display_name(spec: FileSpec, year: int | None) -> str:
    """The file name for ``year``, or the catalog pattern when a per-year file has no year."""
    return spec.filename if spec.per_year and year is None else spec.filename_for(year)


def _body_digest(session: requests.Session, url: str, policy: HttpPolicy, what: str) -> str:
    def attempt() -> str:
        response = session.get(url, headers=request_headers(policy), stream=True, timeout=policy.timeout)
        with response:
            check_status(response, what)
            hasher = hashlib.sha256()
            for chunk in response.iter_content(_HASH_CHUNK):
                hasher.update(chunk)
            return hasher.hexdigest()

    digest, _ = with_retries(attempt, policy=policy, what=what)
    return digest
