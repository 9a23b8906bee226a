"""Archive the embedded sample like hand-downloaded files (`cohesion run --sample`)."""

from __future__ import annotations

import time

from ingestion.errors import CohesionError
from ingestion.settings import paths

# The sample's files are "retrieved" at a fixed time so that every sample run archives and
# publishes byte-identical sources.
SAMPLE_RETRIEVED_AT = "2025-12-01T00:00:00Z"


def generate_and_archive_sample(seed: int = 20250101) -> tuple[float, float]:
    """Write the embedded sample and archive it like hand-downloaded files. Returns the seconds
    spent generating and archiving."""
    from ingestion.catalog import load_catalog
    from ingestion.fetch import fetch
    from ingestion.archive import RawArchive
    from ingestion.sample import generate_sample

    data = paths()
    started = time.perf_counter()
    generate_sample(data.sample, seed=seed)
    generated = time.perf_counter()
    report = fetch(
        load_catalog(), RawArchive(data.raw), source_dir=data.sample, origin="sample", retrieved_at=SAMPLE_RETRIEVED_AT
    )
    if report.failed:
        raise CohesionError("; ".join(item.line() for item in report.failed))
    return generated - started, time.perf_counter() - generated
