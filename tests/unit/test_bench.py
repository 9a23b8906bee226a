import sys

import pytest

from cli.bench import _peak_memory_mib, _reset_peak_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's peak count is Linux's")
def test_each_benchmarked_run_reports_its_own_peak_memory_not_an_earlier_runs():
    assert _reset_peak_memory()
    before = _peak_memory_mib()
    block = bytearray(200 * 1024 * 1024)  # 200 MiB, every page touched (zero-filled)
    with_block = _peak_memory_mib()
    del block
    assert with_block - before >= 190
    # A second run starts afresh: the first run's high mark is not its peak.
    assert _reset_peak_memory()
    assert _peak_memory_mib() < with_block - 150
