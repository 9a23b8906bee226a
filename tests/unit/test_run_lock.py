"""One command at a time on a data folder: a second one refuses naming the holder, or waits; a
lock whose holder died is taken over."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.run_lock import DataFolderBusy, data_folder_lock

REPO = Path(__file__).resolve().parents[2]
HOLDER = (
    "import sys, time; from pathlib import Path; from cli.run_lock import data_folder_lock\n"
    "with data_folder_lock(Path(sys.argv[1]), 'cohesion run --sample'):\n"
    "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
)


def _holder(data_dir: Path, seconds: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir), str(seconds)], env=env,
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_command_refuses_naming_the_holder(tmp_path: Path):
    holder = _holder(tmp_path, 60)
    try:
        with pytest.raises(DataFolderBusy) as busy:
            with data_folder_lock(tmp_path, "cohesion run --offline"):
                pass
        message = str(busy.value)
        assert message.startswith(
            f"the data folder {tmp_path} is in use by pid {holder.pid} on host {socket.gethostname()}: "
            "`cohesion run --sample` since "
        )
        assert message.endswith("; wait for it to finish (or pass --wait SECONDS), or use another COHESION_DATA_DIR")
        assert "\n" not in message
    finally:
        holder.kill()
        holder.wait()


def test_a_second_command_can_wait_for_the_first(tmp_path: Path):
    holder = _holder(tmp_path, 1.5)
    started = time.monotonic()
    with data_folder_lock(tmp_path, "cohesion run --offline", wait_seconds=30) as held:
        assert time.monotonic() - started >= 0.5
        assert held.took_over is None  # released cleanly: nothing stale
    holder.wait()
    holder2 = _holder(tmp_path, 60)
    try:
        with pytest.raises(DataFolderBusy, match=r"since .* after waiting 0.6 s; wait for it to finish"):
            with data_folder_lock(tmp_path, "x", wait_seconds=0.6):
                pass
    finally:
        holder2.kill()
        holder2.wait()


def test_a_lock_whose_holder_was_killed_is_taken_over(tmp_path: Path):
    holder = _holder(tmp_path, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with data_folder_lock(tmp_path, "cohesion run --offline") as held:
        assert held.took_over is not None and held.took_over.pid == holder.pid
        assert held.note().startswith(f"took over the lock of pid {holder.pid} on host ")
        assert held.note().endswith(", which is no longer running")
    # Released by its holder: the next one finds nothing stale.
    with data_folder_lock(tmp_path, "again") as held:
        assert held.took_over is None
