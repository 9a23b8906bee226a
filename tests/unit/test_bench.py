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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's peak count is Linux's")
def test_a_run_in_a_process_of_its_own_reports_that_process_peak_and_last_line():
    # The bench's re-run and forced refresh: each `cohesion run` in a new process, measured there.
    from cli.bench import run_child

    allocate = "block = bytearray(300 * 1024 * 1024); print('first'); print('allocated 300 MiB')"
    child = run_child([sys.executable, "-c", allocate], env={})
    assert child.says == "allocated 300 MiB"
    assert 300 <= child.peak_mib < 300 + 100  # the interpreter's own ~10 MiB on top
    small = run_child([sys.executable, "-c", "print('nothing')"], env={})
    assert small.peak_mib < 100  # its own peak, not the earlier child's nor this process's


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_that_hangs_is_stopped_and_says_how_it_ended(tmp_path):
    import time

    from cli.bench import run_child

    pid_file = tmp_path / "pid"
    hang = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    child = run_child([sys.executable, "-c", hang], env={}, timeout=1)
    assert child.seconds < 10
    assert child.says == "exit code -9" and child.peak_mib != child.peak_mib  # no peak: NaN
    # The command itself is stopped too, not only the process that measured it.
    hanging = int(pid_file.read_text())
    for _ in range(50):
        if _gone_or_dead(hanging):
            break
        time.sleep(0.02)
    else:
        pytest.fail(f"the hanging command (pid {hanging}) still runs")


def _gone_or_dead(pid: int) -> bool:
    """No such process, or one that has ended and waits to be reaped (a zombie: its parent, the
    measuring process, was stopped, and a container's first process may never reap it)."""
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")
