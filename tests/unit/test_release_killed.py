"""A publishing process killed at the worst moments leaves the previous release published, byte
for byte, and the next publish succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from ingestion.errors import PublishError
from ingestion.files import sha256_of
from publish import release as rel

_CHILD = textwrap.dedent(
    """
    import os, sys, time, shutil
    from pathlib import Path
    import pandas as pd
    from publish import release as rel

    tmp, stage = Path(sys.argv[1]), sys.argv[2]
    info = rel.ReleaseInfo("r2", "2026-01-02T00:00:00+00:00", "test", "m", "r", "synthetic sample")

    def hang(*args, **kwargs):
        (tmp / "reached").write_text(stage)
        time.sleep(600)

    if stage == "assembling":
        rel._verify = hang  # the new file is written but not yet verified nor filed
    else:
        real_copy = shutil.copyfile
        def copy_then_hang(src, dst, *a, **k):
            real_copy(src, dst, *a, **k)  # the copy beside the published file exists...
            hang()                         # ...and the process dies before the rename
        shutil.copyfile = copy_then_hang
    release = rel.write_release(
        warehouse=tmp / "wh2.duckdb", releases_dir=tmp / "releases", info=info,
        sources=pd.DataFrame({"dataset": ["x"]}), dictionary=pd.DataFrame({"table_name": ["t"]}),
        quality=pd.DataFrame({"check_name": ["c"], "passed": [True]}),
    )
    rel.publish(release, tmp / "published" / "cohesion.duckdb")
    """
)


def _warehouse(path: Path, rows: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema published")
        con.execute(f"create table published.communes as select i as n from range({rows}) t(i)")
    return path


def _first_release(tmp: Path) -> Path:
    import pandas as pd

    info = rel.ReleaseInfo("r1", "2026-01-01T00:00:00+00:00", "test", "m", "r", "synthetic sample")
    release = rel.write_release(
        warehouse=_warehouse(tmp / "wh1.duckdb", 10), releases_dir=tmp / "releases", info=info,
        sources=pd.DataFrame({"dataset": ["x"]}), dictionary=pd.DataFrame({"table_name": ["t"]}),
        quality=pd.DataFrame({"check_name": ["c"], "passed": [True]}),
    )
    published = tmp / "published" / "cohesion.duckdb"
    rel.publish(release, published)
    return published


@pytest.mark.parametrize("stage", ["assembling", "replacing"])
def test_killed_publish_keeps_the_previous_release(tmp_path, stage):
    published = _first_release(tmp_path)
    before = sha256_of(published)
    _warehouse(tmp_path / "wh2.duckdb", 20)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path), stage], env=env)
    deadline = time.monotonic() + 120
    while not (tmp_path / "reached").exists():
        assert child.poll() is None, "the publishing process ended before reaching the kill point"
        assert time.monotonic() < deadline, "the publishing process never reached the kill point"
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    assert sha256_of(published) == before
    assert rel.current_release_id(published) == "r1"
    # Killed while assembling: no trace of r2 among releases. Killed while replacing: r2 is filed
    # but its run never completed, so it is marked and `cohesion rollback r2` refuses it.
    filed = ["r1"] if stage == "assembling" else ["r1", "r2"]
    releases = rel.list_releases(tmp_path / "releases")
    assert [r.release_id for r in releases] == filed
    assert [rel.release_status(r).label for r in releases] == ["complete", "never completed"][: len(filed)]
    if stage == "replacing":
        with pytest.raises(PublishError) as refused:
            rel.rollback("r2", tmp_path / "releases", published)
        assert str(refused.value) == (
            "release r2 cannot be published: never completed: its run stopped after filing it and before publishing "
            "it; nothing was published"
        )
        assert sha256_of(published) == before
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from communes").fetchall() == [(10,)]

    # The next run publishes normally and cleans up what the killed one left beside the file.
    import pandas as pd

    info = rel.ReleaseInfo("r3", "2026-01-03T00:00:00+00:00", "test", "m", "r", "synthetic sample")
    third = rel.write_release(
        warehouse=tmp_path / "wh2.duckdb", releases_dir=tmp_path / "releases", info=info,
        sources=pd.DataFrame({"dataset": ["x"]}), dictionary=pd.DataFrame({"table_name": ["t"]}),
        quality=pd.DataFrame({"check_name": ["c"], "passed": [True]}),
    )
    rel.publish(third, published)
    assert rel.current_release_id(published) == "r3"
    assert not list(published.parent.glob(".*.tmp"))
