"""publisher_release_sensor: which files it asks about, what it does with a changed one, and
that a network failure never crashes it. No network: has_update and download are replaced."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from ingestion.archive import RawArchive
from ingestion.catalog import Catalog, FileSpec, load_catalog
from ingestion.download import DownloadResult
from ingestion.errors import DownloadError
from orchestration.defs import sensors
from orchestration.defs.schedules import refresh_job
from orchestration.partitions import RANGE_END_TAG, RANGE_START_TAG, YEAR_PARTITIONS

RETRIEVED = "2026-03-02T06:00:00Z"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RawArchive:
    monkeypatch.setenv("COHESION_DATA_DIR", str(tmp_path / "data"))
    return RawArchive(tmp_path / "data" / "raw")


class FakePublisher:
    """has_update and download for a publisher whose ``changed`` files have new bytes."""

    def __init__(self, tmp_path: Path, changed: set[str], failing: set[str] = frozenset()) -> None:
        self.tmp_path, self.changed, self.failing = tmp_path, changed, failing
        self.asked: list[str] = []

    @staticmethod
    def label(spec: FileSpec, year: int | None) -> str:
        return f"{spec.label}/{year}" if spec.per_year else spec.label

    def has_update(self, spec: FileSpec, archive: RawArchive, year: int | None = None, **kwargs) -> bool:
        label = self.label(spec, year)
        self.asked.append(label)
        assert kwargs["policy"] is sensors.SENSOR_POLICY and kwargs["session"] is not None
        if label in self.failing:
            raise DownloadError(f"{label}: failed after 2 attempt(s): could not connect within 5 s (connect timeout)")
        return label in self.changed and archive.latest(spec.dataset, spec.id, year) is None

    def download(self, spec: FileSpec, archive: RawArchive, *, year: int | None = None, **kwargs) -> DownloadResult:
        source = self.tmp_path / f"new-{spec.id}-{year}"
        source.write_bytes(f"new release of {self.label(spec, year)}".encode())
        stored = archive.store(source, spec=spec, year=year, origin="download", retrieved_at=RETRIEVED)
        return DownloadResult("stored" if stored.created else "unchanged", "https://x", stored.entry, 200, 1)


def test_polled_files_are_the_urls_of_the_raw_datasets(catalog: Catalog):
    labels = [f.label for f in sensors.polled_files(catalog)]
    assert "statbel_population/pop_struct/2015" in labels and "statbel_population/pop_struct/2026" in labels
    assert "statbel_real_estate/quarterly" in labels and "employment/onem_rates" in labels
    # No URL (hand exports, data-team files), or no raw asset (the REFNIS list feeds the seeds).
    assert not [label for label in labels if label.startswith(("statbel_refnis/", "schools/", "arrivals/newcomers"))]
    assert len(labels) == len(set(labels))


def test_a_changed_file_is_archived_and_gives_one_run_key_per_dataset(catalog, archive, tmp_path):
    publisher = FakePublisher(
        tmp_path, {"statbel_population/pop_struct/2026", "statbel_income/panel", "statbel_income/fisc_workbook/2023"}
    )
    result = sensors.poll_publishers(catalog, archive, check=publisher.has_update, fetch=publisher.download)
    assert result.problems == () and result.resume_at is None
    assert result.checked == len(sensors.polled_files(catalog)) == len(publisher.asked)
    entry = archive.latest("statbel_population", "pop_struct", 2026)
    assert entry is not None and entry.vintage == "2026"
    keys = result.run_keys()
    assert keys["statbel_population"] == f"statbel_population:pop_struct/2026@2026:{entry.sha256[:12]}"
    assert keys["statbel_income"].startswith("statbel_income:fisc_workbook/2023@2023:")
    assert "+panel@2026-03-02:" in keys["statbel_income"]
    # Asked again, the archive holds the new files: nothing changed, no run.
    again = sensors.poll_publishers(catalog, archive, check=publisher.has_update, fetch=publisher.download)
    assert again.updates == ()


def test_a_network_error_is_reported_and_the_other_files_still_checked(catalog, archive, tmp_path):
    publisher = FakePublisher(tmp_path, {"employment/onem_rates"}, failing={"statbel_real_estate/quarterly"})
    result = sensors.poll_publishers(catalog, archive, check=publisher.has_update, fetch=publisher.download)
    assert [u.file_id for u in result.updates] == ["onem_rates"]
    assert result.problems == (
        "statbel_real_estate/quarterly: not checked, will ask again next tick: statbel_real_estate/quarterly: "
        "failed after 2 attempt(s): could not connect within 5 s (connect timeout)",
    )
    assert result.checked == len(publisher.asked) == len(sensors.polled_files(catalog))


def test_an_archive_holding_the_sample_is_never_polled(catalog, archive, tmp_path):
    sample = tmp_path / "TF_SOC_POP_STRUCT_2025.zip"
    sample.write_bytes(b"synthetic")
    spec = catalog.dataset("statbel_population").file("pop_struct")
    archive.store(sample, spec=spec, year=2025, origin="sample", retrieved_at=RETRIEVED)
    # Not even a dataset the sample lacks (the population totals table): the archive would refuse it.
    publisher = FakePublisher(tmp_path, {"statbel_population/pop_struct/2026", "statbel_population_totals/pop_density"})
    lines: list[str] = []
    result = sensors.poll_publishers(
        catalog, archive, check=publisher.has_update, fetch=publisher.download, log=lines.append
    )
    assert result.updates == () and result.problems == ()
    assert publisher.asked == []
    assert lines == ["the archive holds the synthetic sample; not asking any publisher"]
    assert archive.latest("statbel_population", "pop_struct", 2026) is None


def test_the_time_budget_stops_a_tick_and_the_next_resumes_there(catalog, archive, tmp_path):
    ticks = iter(range(1000))
    publisher = FakePublisher(tmp_path, set())
    first = sensors.poll_publishers(
        catalog, archive, check=publisher.has_update, fetch=publisher.download,
        budget_seconds=2.5, clock=lambda: float(next(ticks)),
    )
    files = sensors.polled_files(catalog)
    assert first.checked == 2 and first.resume_at == files[2].label
    publisher.asked.clear()
    sensors.poll_publishers(
        catalog, archive, resume_at=first.resume_at, check=publisher.has_update, fetch=publisher.download
    )
    assert publisher.asked[0] == files[2].label and len(publisher.asked) == len(files)


# ---- the sensor itself, evaluated by Dagster ----------------------------------------------


def _definitions() -> dg.Definitions:
    """A small graph shaped like the real one: two raw datasets, the manifest, a staging model of
    one of them and the publish asset that depends on everything."""

    @dg.asset(key=["raw", "statbel_population"], partitions_def=YEAR_PARTITIONS)
    def population() -> None: ...

    @dg.asset(key=["raw", "statbel_income"])
    def income() -> None: ...

    @dg.asset(key=["raw", "source_files"])
    def source_files() -> None: ...

    @dg.asset(key=["staging", "stg_raw__statbel_population"], deps=[population])
    def staged() -> None: ...

    @dg.asset(key=["published", "release"], deps=[staged, income, source_files])
    def release() -> None: ...

    return dg.Definitions(
        assets=[population, income, source_files, staged, release],
        jobs=[refresh_job],
        sensors=[sensors.publisher_release_sensor],
    )


def evaluate(monkeypatch, publisher: FakePublisher, cursor: str | None = None):
    monkeypatch.setattr(sensors, "has_update", publisher.has_update)
    monkeypatch.setattr(sensors, "download", publisher.download)
    context = dg.build_sensor_context(definitions=_definitions(), cursor=cursor)
    return list(sensors.publisher_release_sensor(context) or []), context


def test_sensor_is_stopped_by_default_and_runs_at_most_daily():
    sensor = sensors.publisher_release_sensor
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert sensor.minimum_interval_seconds == 86_400 and sensor.job_name == "refresh_and_publish"


def test_sensor_requests_a_run_of_the_changed_dataset_and_what_depends_on_it(archive, tmp_path, monkeypatch):
    publisher = FakePublisher(tmp_path, {"statbel_population/pop_struct/2026"})
    requests, _ = evaluate(monkeypatch, publisher)
    assert len(requests) == 1 and isinstance(requests[0], dg.RunRequest)
    request = requests[0]
    assert request.run_key.startswith("statbel_population:pop_struct/2026@2026:")
    assert sorted(key.to_user_string() for key in request.asset_selection) == [
        "published/release", "raw/source_files", "raw/statbel_population", "staging/stg_raw__statbel_population",
    ]
    assert request.tags["cohesion/dataset"] == "statbel_population"
    # Population is loaded by year: the run covers the new year's partition only.
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == ("2026", "2026")


def test_a_dataset_reloaded_whole_gets_no_partition_tags(archive, tmp_path, monkeypatch):
    requests, _ = evaluate(monkeypatch, FakePublisher(tmp_path, {"statbel_income/panel"}))
    assert [r.tags["cohesion/dataset"] for r in requests] == ["statbel_income"]
    assert RANGE_START_TAG not in requests[0].tags and "dagster/partition" not in requests[0].tags


def test_sensor_skips_when_nothing_changed_and_survives_network_errors(archive, tmp_path, monkeypatch):
    publisher = FakePublisher(tmp_path, set(), failing={"statbel_income/panel", "arrivals/movement"})
    requests, _ = evaluate(monkeypatch, publisher)
    assert len(requests) == 1 and isinstance(requests[0], dg.SkipReason)
    checked = len(publisher.asked)
    assert requests[0].skip_message == (
        f"no new publisher file among the {checked} checked; 2 could not be checked (see the log)"
    )
