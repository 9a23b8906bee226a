"""A sensor that asks the publishers, once a day, whether a file in the catalog changed.

For every catalog file with a URL (and every year the catalog lists for a per-year file) it
sends a conditional request (:func:`ingestion.fetch.has_update`). A changed file is downloaded
into the raw archive right away: the raw assets parse the archive and never download, so a run
started without the new bytes would re-publish the old ones, and ``has_update`` would keep
answering "changed" every day. Then it requests one run of the refresh job per changed dataset,
for ``raw/<dataset>``, the archive manifest ``raw/source_files`` (so ``_sources`` names the new
file) and everything downstream of them; for a dataset loaded by year, only the years of the new
files. The run key names the archived vintage and checksum of each new file, so the same bytes
never start two runs.

Network errors are logged and the file is skipped until the next tick; they never fail the
sensor. A tick stops asking after :data:`TIME_BUDGET_SECONDS` and resumes from there next time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import dagster as dg
import requests

from ingestion.archive import RawArchive
from ingestion.catalog import Catalog, FileSpec, load_catalog
from ingestion.download import DownloadResult, HttpPolicy, download, new_session
from ingestion.errors import ArchiveError, CatalogError, DownloadError
from ingestion.fetch import has_update
from ingestion.load import RAW_DATASETS
from orchestration.defs.schedules import REFRESH_JOB
from orchestration.partitions import PARTITIONED, range_tags
from ingestion.settings import paths

ONE_DAY_SECONDS = 24 * 60 * 60
# A sensor tick must end well within Dagster's evaluation timeout (60 s by default): fewer
# retries and shorter waits than a `cohesion fetch`, and a budget after which the rest waits.
SENSOR_POLICY = HttpPolicy(connect_timeout=5.0, read_timeout=20.0, retries=1, backoff=1.0)
TIME_BUDGET_SECONDS = 40.0
SOURCE_FILES_KEY = dg.AssetKey(["raw", "source_files"])

# Failures that mean "ask again tomorrow", not a bug: network, server, an archive refusal.
_SKIPPABLE = (DownloadError, ArchiveError, CatalogError, requests.RequestException, OSError)


@dataclass(frozen=True)
class PolledFile:
    spec: FileSpec
    year: int | None

    @property
    def label(self) -> str:
        return f"{self.spec.label}/{self.year}" if self.year is not None else self.spec.label


@dataclass(frozen=True)
class FileUpdate:
    """A new publisher file, now in the archive."""

    dataset: str
    file_id: str
    year: int | None
    vintage: str
    sha256: str

    @property
    def marker(self) -> str:
        year = f"/{self.year}" if self.year is not None else ""
        return f"{self.file_id}{year}@{self.vintage}:{self.sha256[:12]}"


@dataclass(frozen=True)
class PollResult:
    updates: tuple[FileUpdate, ...]
    problems: tuple[str, ...]  # one line per file that could not be checked or downloaded (a warning)
    checked: int
    resume_at: str | None  # label of the first file not checked (time budget spent), or None

    def partition_tags(self, dataset: str) -> dict[str, str]:
        """For a dataset loaded by year, the run covers the years of its new files only."""
        years = sorted({u.year for u in self.updates if u.dataset == dataset and u.year is not None})
        if dataset not in PARTITIONED or not years:
            return {}
        return range_tags(str(years[0]), str(years[-1]))

    def run_keys(self) -> dict[str, str]:
        """Dataset -> run key: the dataset and the marker of each of its new files."""
        ordered = sorted(self.updates, key=lambda u: (u.dataset, u.marker))
        return {
            dataset: f"{dataset}:{'+'.join(u.marker for u in group)}"
            for dataset, group in groupby(ordered, key=lambda u: u.dataset)
        }


Check = Callable[..., bool]  # has_update's signature
Fetch = Callable[..., DownloadResult]  # download's signature


def polled_files(catalog: Catalog, datasets: tuple[str, ...] = RAW_DATASETS) -> list[PolledFile]:
    """Every (file, year) worth asking about: files with a URL of datasets with a raw asset."""
    polled: list[PolledFile] = []
    for spec in catalog.files():
        if spec.url is None or spec.dataset not in datasets:
            continue
        if not spec.per_year:
            polled.append(PolledFile(spec, None))
        elif spec.years is not None:
            polled.extend(PolledFile(spec, year) for year in spec.years.years())
    return polled


def poll_publishers(
    catalog: Catalog,
    archive: RawArchive,
    *,
    resume_at: str | None = None,
    check: Check | None = None,
    fetch: Fetch | None = None,
    policy: HttpPolicy = SENSOR_POLICY,
    budget_seconds: float = TIME_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    log: Callable[[str], None] = lambda line: None,
) -> PollResult:
    """Ask about every polled file (starting at ``resume_at``), download the changed ones.

    ``check`` and ``fetch`` default to :func:`has_update` and :func:`ingestion.download.download`
    (looked up when called, so tests can replace them). An archive holding the synthetic sample
    is left alone: a publisher file must never be mixed into sample data.
    """
    check = check or has_update
    fetch = fetch or download
    files = _rotate(polled_files(catalog), resume_at)
    # An archive holding the synthetic sample takes no publisher file at all, not even for a
    # dataset the sample lacks: the archive refuses to mix them (ingestion.archive).
    sample = {f.spec.dataset for f in files} if _holds_sample(archive) else set()
    if sample:
        log("the archive holds the synthetic sample; not asking any publisher")
    deadline = clock() + budget_seconds
    updates: list[FileUpdate] = []
    problems: list[str] = []
    checked = 0
    session = new_session()
    try:
        for polled in (f for f in files if f.spec.dataset not in sample):
            if clock() > deadline:
                log(f"time budget of {budget_seconds:g} s spent; resuming at {polled.label} next tick")
                return PollResult(tuple(updates), tuple(problems), checked, polled.label)
            checked += 1
            try:
                if not check(polled.spec, archive, polled.year, policy=policy, session=session):
                    continue
                result = fetch(
                    polled.spec,
                    archive,
                    year=polled.year,
                    policy=policy,
                    session=session,
                    progress=False,
                    landing_page=catalog.dataset(polled.spec.dataset).landing_page,
                    max_unpacked_bytes=catalog.dataset(polled.spec.dataset).max_unpacked_bytes,
                )
            except _SKIPPABLE as exc:
                problems.append(f"{polled.label}: not checked, will ask again next tick: {exc}")
                continue
            entry = result.entry
            if result.status != "stored":
                # has_update said "changed" but the bytes are already archived (a new ETag on the
                # same content, for instance): nothing new to load.
                log(f"{polled.label}: the publisher answered with bytes the archive holds (vintage {entry.vintage})")
                continue
            update = FileUpdate(polled.spec.dataset, polled.spec.id, polled.year, entry.vintage, entry.sha256)
            log(f"{polled.label}: new file archived as vintage {entry.vintage} (sha256 {entry.sha256[:12]})")
            updates.append(update)
    finally:
        session.close()
    return PollResult(tuple(updates), tuple(problems), checked, None)


def refresh_selection(dataset: str, asset_graph: Any) -> list[dg.AssetKey]:
    """``raw/<dataset>``, ``raw/source_files`` and every asset downstream of them, in the
    repository's ``asset_graph``."""
    roots = dg.AssetSelection.assets(dg.AssetKey(["raw", dataset]), SOURCE_FILES_KEY)
    return sorted(roots.downstream().resolve(asset_graph), key=lambda key: key.to_user_string())


@dg.sensor(
    name="publisher_release_sensor",
    job_name=REFRESH_JOB,
    minimum_interval_seconds=ONE_DAY_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Once a day, asks each publisher URL of the catalog whether the file changed "
    "(conditional requests); archives a changed file and refreshes and publishes that dataset.",
)
def publisher_release_sensor(context: dg.SensorEvaluationContext) -> Iterator[dg.RunRequest | dg.SkipReason]:
    catalog = load_catalog()
    result = poll_publishers(
        catalog, RawArchive(paths().raw), resume_at=context.cursor or None, log=context.log.info
    )
    for problem in result.problems:
        context.log.warning(problem)
    context.update_cursor(result.resume_at or "")
    if not result.updates:
        note = f"; {len(result.problems)} could not be checked (see the log)" if result.problems else ""
        yield dg.SkipReason(f"no new publisher file among the {result.checked} checked{note}")
        return
    asset_graph = context.repository_def.asset_graph
    for dataset, run_key in result.run_keys().items():
        yield dg.RunRequest(
            run_key=run_key,
            asset_selection=refresh_selection(dataset, asset_graph),
            tags={"cohesion/trigger": "publisher_release", "cohesion/dataset": dataset, **result.partition_tags(dataset)},
        )


def _rotate(files: list[PolledFile], resume_at: str | None) -> list[PolledFile]:
    labels = [f.label for f in files]
    if resume_at is None or resume_at not in labels:
        return files
    start = labels.index(resume_at)
    return files[start:] + files[:start]


def _holds_sample(archive: RawArchive) -> bool:
    return any(entry.origin == "sample" for entry in archive.entries())
